/* The certificate registry: registry.json, held as parsed JSON plus an index. */
#include "registry.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

struct tq_registry {
    json_t *root;                          /* keeps every string below alive */
    char path[PATH_MAX];
    size_t num_cas, num_certs;
    struct tq_registry_entry *cas, *certs;
    char **paths;                          /* absolute cert paths, one per entry */
    size_t num_paths;
};

enum { MAX_REGISTRY_BYTES = 16 << 20 };

/* The lower-case refusal reason of each non-ACTIVE status (aws-iot-facts.md §4.3). */
static const struct {
    const char *status;
    const char *reason;
} status_reasons[] = {
    {"INACTIVE", "inactive"},
    {"REVOKED", "revoked"},
    {"PENDING_TRANSFER", "pending_transfer"},
    {"PENDING_ACTIVATION", "pending_activation"},
    {"REGISTER_INACTIVE", "register_inactive"},
};

static bool is_cert_id(const char *id)
{
    if (id == NULL || strlen(id) != 64)
        return false;
    return strspn(id, "0123456789abcdef") == 64;
}

static tq_status entry_path(struct tq_diag *diag, struct tq_registry *reg, const char *file,
                            const char **out)
{
    char buf[PATH_MAX];
    char *dir_end = strrchr(reg->path, '/');
    TQ_ENSURE(dir_end != NULL, TQ_ERR_INTERNAL);
    *dir_end = '\0';
    tq_status st = tq_fs_join(diag, buf, sizeof(buf), reg->path, file);
    *dir_end = '/';
    TQ_GUARD(st);
    reg->paths[reg->num_paths] = strdup(buf);
    TQ_ENSURE(reg->paths[reg->num_paths] != NULL, TQ_ERR_NOMEM);
    *out = reg->paths[reg->num_paths++];
    return TQ_SUCCESS;
}

static tq_status load_entry(struct tq_diag *diag, struct tq_registry *reg, const char *list,
                            size_t i, struct tq_registry_entry *e)
{
    json_t *obj = json_array_get(json_object_get(reg->root, list), i);
    e->id = json_string_value(json_object_get(obj, "id"));
    e->name = json_string_value(json_object_get(obj, "name"));
    e->status = json_string_value(json_object_get(obj, "status"));
    e->mode = json_string_value(json_object_get(obj, "mode"));
    e->ca = json_string_value(json_object_get(obj, "ca"));
    const char *file = json_string_value(json_object_get(obj, "cert"));
    if (!is_cert_id(e->id) || e->name == NULL || e->status == NULL || file == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, reg->path, 0,
                            "%s[%zu]: want id (64 lowercase hex digits), name, cert and status",
                            list, i);
    if (strchr(file, '/') != NULL || strcmp(file, "..") == 0)
        return tq_diag_fail(diag, TQ_ERR_PARSE, reg->path, 0,
                            "%s[%zu]: cert '%s' must be a plain file name", list, i, file);
    return entry_path(diag, reg, file, &e->cert);
}

static tq_status load_list(struct tq_diag *diag, struct tq_registry *reg, const char *list,
                           struct tq_registry_entry **out, size_t *out_num)
{
    json_t *arr = json_object_get(reg->root, list);
    if (!json_is_array(arr))
        return tq_diag_fail(diag, TQ_ERR_PARSE, reg->path, 0, "want an array \"%s\"", list);
    *out_num = json_array_size(arr);
    *out = calloc(*out_num + 1, sizeof(**out));
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < *out_num; i++)
        TQ_GUARD(load_entry(diag, reg, list, i, &(*out)[i]));
    return TQ_SUCCESS;
}

/* read_root checks and indexes reg->root, just loaded by jansson (NULL: `err` says why). */
static tq_status read_root(struct tq_diag *diag, struct tq_registry *reg, const json_error_t *err)
{
    if (reg->root == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, reg->path, (unsigned)err->line, "%s", err->text);
    const char *format = json_string_value(json_object_get(reg->root, "format"));
    if (format == NULL || strcmp(format, "tlsqual-registry/1") != 0)
        return tq_diag_fail(diag, TQ_ERR_PARSE, reg->path, 0,
                            "want format \"tlsqual-registry/1\", got %s",
                            format ? format : "none");
    size_t total = json_array_size(json_object_get(reg->root, "cas")) +
                   json_array_size(json_object_get(reg->root, "certificates"));
    reg->paths = calloc(total + 1, sizeof(*reg->paths));
    TQ_ENSURE(reg->paths != NULL, TQ_ERR_NOMEM);
    TQ_GUARD(load_list(diag, reg, "cas", &reg->cas, &reg->num_cas));
    return load_list(diag, reg, "certificates", &reg->certs, &reg->num_certs);
}

/* finish hands `reg` to the caller when `st` is success, and frees it otherwise. */
static tq_status finish(tq_status st, struct tq_registry *reg, struct tq_registry **out)
{
    if (!tq_ok(st)) {
        tq_registry_free(reg);
        return st;
    }
    *out = reg;
    return TQ_SUCCESS;
}

/* see registry.h */
tq_status tq_registry_load(struct tq_diag *diag, struct tq_registry **out, const char *dir)
{
    *out = NULL;
    struct tq_registry *reg = calloc(1, sizeof(*reg));
    TQ_ENSURE(reg != NULL, TQ_ERR_NOMEM);
    tq_status st = tq_fs_join(diag, reg->path, sizeof(reg->path), dir, "registry.json");
    if (tq_ok(st) && !tq_fs_exists(reg->path))
        st = tq_diag_fail(diag, TQ_ERR_NOT_FOUND, reg->path, 0, "registry file does not exist");
    if (tq_ok(st)) {
        json_error_t err;
        reg->root = json_load_file(reg->path, JSON_REJECT_DUPLICATES, &err);
        st = read_root(diag, reg, &err);
    }
    return finish(st, reg, out);
}

/* see registry.h */
tq_status tq_registry_parse(struct tq_diag *diag, struct tq_registry **out, const char *path,
                            const char *text, size_t text_len)
{
    *out = NULL;
    struct tq_registry *reg = calloc(1, sizeof(*reg));
    TQ_ENSURE(reg != NULL, TQ_ERR_NOMEM);
    tq_status st = TQ_SUCCESS;
    if ((size_t)snprintf(reg->path, sizeof(reg->path), "%s", path) >= sizeof(reg->path) ||
        strchr(reg->path, '/') == NULL)
        st = tq_diag_fail(diag, TQ_ERR_USAGE, path, 0, "want a registry path with a directory");
    if (tq_ok(st)) {
        json_error_t err;
        reg->root = json_loadb(text, text_len, JSON_REJECT_DUPLICATES, &err);
        st = read_root(diag, reg, &err);
    }
    return finish(st, reg, out);
}

/* see registry.h */
void tq_registry_free(struct tq_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->num_paths; i++)
        free(reg->paths[i]);
    free(reg->paths);
    free(reg->cas);
    free(reg->certs);
    json_decref(reg->root);
    free(reg);
}

/* see registry.h */
size_t tq_registry_num_cas(const struct tq_registry *reg)
{
    return reg->num_cas;
}

/* see registry.h */
const struct tq_registry_entry *tq_registry_ca(const struct tq_registry *reg, size_t i)
{
    return i < reg->num_cas ? &reg->cas[i] : NULL;
}

/* see registry.h */
size_t tq_registry_num_certificates(const struct tq_registry *reg)
{
    return reg->num_certs;
}

/* see registry.h */
const struct tq_registry_entry *tq_registry_certificate(const struct tq_registry *reg, size_t i)
{
    return i < reg->num_certs ? &reg->certs[i] : NULL;
}

/* see registry.h */
const struct tq_registry_entry *tq_registry_find(const struct tq_registry *reg, const char *id)
{
    for (size_t i = 0; i < reg->num_certs; i++)
        if (strcmp(reg->certs[i].id, id) == 0)
            return &reg->certs[i];
    return NULL;
}

/* see registry.h */
const char *tq_registry_refusal(const struct tq_registry_entry *entry)
{
    if (entry == NULL)
        return "unregistered";
    if (strcmp(entry->status, "ACTIVE") == 0)
        return NULL;
    for (size_t i = 0; i < sizeof(status_reasons) / sizeof(status_reasons[0]); i++)
        if (strcmp(entry->status, status_reasons[i].status) == 0)
            return status_reasons[i].reason;
    return "unknown_status";
}
