/* The certificate registry: registry.json, held as parsed JSON plus an index. A change is made
 * on a copy of the JSON, indexed, written and synced, and only then swapped in, so the registry
 * in memory never differs from what a restart would read. */
#include "registry.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs.h"

struct registry_index {
    size_t num_cas, num_certs;
    struct tq_registry_entry *cas, *certs;
    char **paths; /* absolute cert paths, one per entry */
    size_t num_paths;
};

struct tq_registry {
    json_t *root; /* keeps every string below alive */
    char path[PATH_MAX];
    char cert_dir[PATH_MAX];
    struct registry_index idx;
};

enum { MAX_REGISTRY_BYTES = 16 << 20 };

static const char *const list_names[] = {
    [TQ_REGISTRY_CAS] = "cas", [TQ_REGISTRY_CERTIFICATES] = "certificates"};

/* The lower-case refusal reason of each non-ACTIVE status
 * (docs/aws-iot/client-certificates.md#status-values). */
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

/* is_plain_file_name is true for a name that stays inside the certificate folder when joined
 * to it: not empty, not "." or ".." (the folder itself or its parent), and without '/'. */
static bool is_plain_file_name(const char *name)
{
    return name[0] != '\0' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           strchr(name, '/') == NULL;
}

static void index_free(struct registry_index *idx)
{
    for (size_t i = 0; i < idx->num_paths; i++)
        free(idx->paths[i]);
    free(idx->paths);
    free(idx->cas);
    free(idx->certs);
    *idx = (struct registry_index){0};
}

/* struct build is what indexing one JSON document needs. */
struct build {
    const char *path; /* the registry file, for messages */
    const char *cert_dir;
    json_t *root;
    struct registry_index *idx;
};

static tq_status entry_path(struct tq_diag *diag, struct build *b, const char *file,
                            const char **out)
{
    char buf[PATH_MAX];
    TQ_GUARD(tq_fs_join(diag, buf, sizeof(buf), b->cert_dir, file));
    b->idx->paths[b->idx->num_paths] = strdup(buf);
    TQ_ENSURE(b->idx->paths[b->idx->num_paths] != NULL, TQ_ERR_NOMEM);
    *out = b->idx->paths[b->idx->num_paths++];
    return TQ_SUCCESS;
}

static double time_member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static void read_members(json_t *obj, struct tq_registry_entry *e)
{
    e->id = json_string_value(json_object_get(obj, "id"));
    e->name = json_string_value(json_object_get(obj, "name"));
    e->status = json_string_value(json_object_get(obj, "status"));
    e->mode = json_string_value(json_object_get(obj, "mode"));
    e->ca = json_string_value(json_object_get(obj, "ca"));
    e->pem = json_string_value(json_object_get(obj, "pem"));
    e->thing = json_string_value(json_object_get(obj, "thing"));
    e->auto_registration = json_is_true(json_object_get(obj, "auto_registration"));
    e->created = time_member(obj, "created");
    e->modified = time_member(obj, "modified");
}

static tq_status load_entry(struct tq_diag *diag, struct build *b, const char *list, size_t i,
                            struct tq_registry_entry *e)
{
    json_t *obj = json_array_get(json_object_get(b->root, list), i);
    read_members(obj, e);
    const char *file = json_string_value(json_object_get(obj, "cert"));
    if (!is_cert_id(e->id) || e->name == NULL || e->status == NULL ||
        (file == NULL && e->pem == NULL))
        return tq_diag_fail(diag, TQ_ERR_PARSE, b->path, 0,
                            "%s[%zu]: want id (64 lowercase hex digits), name, cert or pem, and "
                            "status",
                            list, i);
    if (file != NULL && !is_plain_file_name(file))
        return tq_diag_fail(diag, TQ_ERR_PARSE, b->path, 0,
                            "%s[%zu]: cert '%s' must be a plain file name", list, i, file);
    char inline_name[80];
    snprintf(inline_name, sizeof(inline_name), "%s.pem", e->id);
    return entry_path(diag, b, file ? file : inline_name, &e->cert);
}

static tq_status load_list(struct tq_diag *diag, struct build *b, const char *list,
                           struct tq_registry_entry **out, size_t *out_num)
{
    json_t *arr = json_object_get(b->root, list);
    if (!json_is_array(arr))
        return tq_diag_fail(diag, TQ_ERR_PARSE, b->path, 0, "want an array \"%s\"", list);
    *out_num = json_array_size(arr);
    *out = calloc(*out_num + 1, sizeof(**out));
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < *out_num; i++)
        TQ_GUARD(load_entry(diag, b, list, i, &(*out)[i]));
    return TQ_SUCCESS;
}

/* index_root checks b->root and fills b->idx (which the caller frees, also on failure). */
static tq_status index_root(struct tq_diag *diag, struct build *b)
{
    const char *format = json_string_value(json_object_get(b->root, "format"));
    if (format == NULL || strcmp(format, "tlsqual-registry/1") != 0)
        return tq_diag_fail(diag, TQ_ERR_PARSE, b->path, 0,
                            "want format \"tlsqual-registry/1\", got %s", format ? format : "none");
    size_t total = json_array_size(json_object_get(b->root, "cas")) +
                   json_array_size(json_object_get(b->root, "certificates"));
    b->idx->paths = calloc(total + 1, sizeof(*b->idx->paths));
    TQ_ENSURE(b->idx->paths != NULL, TQ_ERR_NOMEM);
    TQ_GUARD(load_list(diag, b, "cas", &b->idx->cas, &b->idx->num_cas));
    return load_list(diag, b, "certificates", &b->idx->certs, &b->idx->num_certs);
}

static tq_status save_root(struct tq_diag *diag, const char *path, const json_t *root)
{
    char *text TQ_DEFER(tq_free_ptr) = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    TQ_ENSURE(text != NULL, TQ_ERR_NOMEM);
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps leaves room for the NUL: it becomes the final newline */
    return tq_fs_write_atomic(diag, path, text, len + 1, 0644);
}

/* install indexes `root` (taking it) and, when `save`, writes it; then it replaces reg's
 * document. On failure `root` is released and `reg` is unchanged. */
static tq_status install(struct tq_diag *diag, struct tq_registry *reg, json_t *root, bool save)
{
    struct registry_index idx = {0};
    struct build b = {.path = reg->path, .cert_dir = reg->cert_dir, .root = root, .idx = &idx};
    tq_status st = index_root(diag, &b);
    if (tq_ok(st) && save)
        st = save_root(diag, reg->path, root);
    if (!tq_ok(st)) {
        index_free(&idx);
        json_decref(root);
        return st;
    }
    index_free(&reg->idx);
    json_decref(reg->root);
    reg->root = root;
    reg->idx = idx;
    return TQ_SUCCESS;
}

static tq_status set_paths(struct tq_diag *diag, struct tq_registry *reg, const char *path,
                           const char *cert_dir)
{
    if ((size_t)snprintf(reg->path, sizeof(reg->path), "%s", path) >= sizeof(reg->path))
        return tq_diag_fail(diag, TQ_ERR_LIMIT, path, 0, "registry path too long");
    const char *slash = strrchr(reg->path, '/');
    if (cert_dir == NULL && slash == NULL)
        return tq_diag_fail(diag, TQ_ERR_USAGE, path, 0, "want a registry path with a directory");
    if (cert_dir == NULL)
        snprintf(reg->cert_dir, sizeof(reg->cert_dir), "%.*s", (int)(slash - reg->path), reg->path);
    else if ((size_t)snprintf(reg->cert_dir, sizeof(reg->cert_dir), "%s", cert_dir) >=
             sizeof(reg->cert_dir))
        return tq_diag_fail(diag, TQ_ERR_LIMIT, cert_dir, 0, "certificate folder too long");
    return TQ_SUCCESS;
}

static tq_status read_file(struct tq_diag *diag, json_t **out, const char *path)
{
    *out = NULL;
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    if (!tq_fs_exists(path))
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, path, 0, "registry file does not exist");
    TQ_GUARD(tq_fs_read_all(diag, &text, &len, path, MAX_REGISTRY_BYTES));
    json_error_t err;
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (*out == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, path, (unsigned)err.line, "%s", err.text);
    return TQ_SUCCESS;
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
tq_status tq_registry_open(struct tq_diag *diag, struct tq_registry **out, const char *path,
                           const char *cert_dir)
{
    *out = NULL;
    struct tq_registry *reg = calloc(1, sizeof(*reg));
    TQ_ENSURE(reg != NULL, TQ_ERR_NOMEM);
    json_t *root = NULL;
    tq_status st = set_paths(diag, reg, path, cert_dir);
    if (tq_ok(st))
        st = read_file(diag, &root, reg->path);
    if (tq_ok(st))
        st = install(diag, reg, root, false);
    return finish(st, reg, out);
}

/* see registry.h */
tq_status tq_registry_load(struct tq_diag *diag, struct tq_registry **out, const char *dir)
{
    *out = NULL;
    char path[PATH_MAX];
    TQ_GUARD(tq_fs_join(diag, path, sizeof(path), dir, "registry.json"));
    return tq_registry_open(diag, out, path, dir);
}

/* see registry.h */
tq_status tq_registry_parse(struct tq_diag *diag, struct tq_registry **out, const char *path,
                            const char *text, size_t text_len)
{
    *out = NULL;
    struct tq_registry *reg = calloc(1, sizeof(*reg));
    TQ_ENSURE(reg != NULL, TQ_ERR_NOMEM);
    tq_status st = set_paths(diag, reg, path, NULL);
    if (tq_ok(st)) {
        json_error_t err;
        json_t *root = json_loadb(text, text_len, JSON_REJECT_DUPLICATES, &err);
        st = root ? install(diag, reg, root, false)
                  : tq_diag_fail(diag, TQ_ERR_PARSE, reg->path, (unsigned)err.line, "%s", err.text);
    }
    return finish(st, reg, out);
}

/* see registry.h */
tq_status tq_registry_reload(struct tq_diag *diag, struct tq_registry *reg)
{
    json_t *root = NULL;
    TQ_GUARD(read_file(diag, &root, reg->path));
    return install(diag, reg, root, false);
}

/* see registry.h */
void tq_registry_free(struct tq_registry *reg)
{
    if (reg == NULL)
        return;
    index_free(&reg->idx);
    json_decref(reg->root);
    free(reg);
}

/* see registry.h */
const char *tq_registry_path(const struct tq_registry *reg)
{
    return reg->path;
}

/* see registry.h */
size_t tq_registry_num_cas(const struct tq_registry *reg)
{
    return reg->idx.num_cas;
}

/* see registry.h */
const struct tq_registry_entry *tq_registry_ca(const struct tq_registry *reg, size_t i)
{
    return i < reg->idx.num_cas ? &reg->idx.cas[i] : NULL;
}

/* see registry.h */
size_t tq_registry_num_certificates(const struct tq_registry *reg)
{
    return reg->idx.num_certs;
}

/* see registry.h */
const struct tq_registry_entry *tq_registry_certificate(const struct tq_registry *reg, size_t i)
{
    return i < reg->idx.num_certs ? &reg->idx.certs[i] : NULL;
}

static const struct tq_registry_entry *find_in(const struct tq_registry_entry *entries, size_t num,
                                               const char *id)
{
    for (size_t i = 0; i < num; i++)
        if (strcmp(entries[i].id, id) == 0)
            return &entries[i];
    return NULL;
}

/* see registry.h */
const struct tq_registry_entry *tq_registry_find(const struct tq_registry *reg, const char *id)
{
    return find_in(reg->idx.certs, reg->idx.num_certs, id);
}

/* see registry.h */
const struct tq_registry_entry *tq_registry_find_ca(const struct tq_registry *reg, const char *id)
{
    return find_in(reg->idx.cas, reg->idx.num_cas, id);
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

/* see registry.h */
bool tq_registry_status_valid(const char *status)
{
    return status != NULL &&
           (strcmp(status, "ACTIVE") == 0 ||
            strcmp(tq_registry_refusal(&(struct tq_registry_entry){.status = status}),
                   "unknown_status") != 0);
}

static json_int_t now_s(void)
{
    return (json_int_t)time(NULL);
}

/* find_member returns the index of entry `id` in `arr`, or -1. */
static long find_member(json_t *arr, const char *id)
{
    size_t i;
    json_t *obj;
    json_array_foreach(arr, i, obj)
    {
        const char *got = json_string_value(json_object_get(obj, "id"));
        if (got != NULL && strcmp(got, id) == 0)
            return (long)i;
    }
    return -1;
}

static json_t *new_member(enum tq_registry_list list, const struct tq_registry_entry *e)
{
    json_int_t now = now_s();
    json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", e->id, "name", e->name, "pem",
                            e->pem, "status", e->status, "mode", e->mode ? e->mode : "DEFAULT");
    if (obj == NULL)
        return NULL;
    if (list == TQ_REGISTRY_CAS)
        json_object_set_new(obj, "auto_registration", json_boolean(e->auto_registration));
    else
        json_object_set_new(obj, "ca", e->ca ? json_string(e->ca) : json_null());
    json_object_set_new(obj, "created",
                        json_integer(e->created > 0 ? (json_int_t)e->created : now));
    json_object_set_new(obj, "modified",
                        json_integer(e->modified > 0 ? (json_int_t)e->modified : now));
    return obj;
}

/* see registry.h */
tq_status tq_registry_add(struct tq_diag *diag, struct tq_registry *reg, enum tq_registry_list list,
                          const struct tq_registry_entry *entry)
{
    if (!is_cert_id(entry->id) || entry->name == NULL || entry->pem == NULL ||
        !tq_registry_status_valid(entry->status))
        return tq_diag_fail(diag, TQ_ERR_USAGE, reg->path, 0,
                            "want an entry with id, name, pem and a valid status");
    if (find_member(json_object_get(reg->root, list_names[list]), entry->id) >= 0)
        return tq_diag_fail(diag, TQ_ERR_USAGE, reg->path, 0, "%s: %s is already registered",
                            list_names[list], entry->id);
    json_t *root = json_deep_copy(reg->root);
    json_t *member = new_member(list, entry);
    if (root == NULL || member == NULL ||
        json_array_append_new(json_object_get(root, list_names[list]), member) != 0) {
        json_decref(root);
        return tq_diag_fail(diag, TQ_ERR_NOMEM, reg->path, 0, "out of memory");
    }
    return install(diag, reg, root, true);
}

/* copy_member returns a copy of reg's document and, in `*out_member`, its entry `id` of
 * `list`; NULL when there is no such entry (`diag` says so) or no memory. */
static json_t *copy_member(struct tq_diag *diag, tq_status *st, const struct tq_registry *reg,
                           enum tq_registry_list list, const char *id, long *out_index)
{
    *out_index = find_member(json_object_get(reg->root, list_names[list]), id);
    if (*out_index < 0) {
        *st = tq_diag_fail(diag, TQ_ERR_NOT_FOUND, reg->path, 0, "%s: no entry %s",
                           list_names[list], id);
        return NULL;
    }
    json_t *root = json_deep_copy(reg->root);
    *st = root ? TQ_SUCCESS : tq_diag_fail(diag, TQ_ERR_NOMEM, reg->path, 0, "out of memory");
    return root;
}

/* see registry.h */
tq_status tq_registry_update(struct tq_diag *diag, struct tq_registry *reg,
                             enum tq_registry_list list, const char *id, const char *status,
                             int auto_registration)
{
    if (status != NULL && !tq_registry_status_valid(status))
        return tq_diag_fail(diag, TQ_ERR_USAGE, reg->path, 0, "unknown status %s", status);
    tq_status st = TQ_SUCCESS;
    long i = 0;
    json_t *root = copy_member(diag, &st, reg, list, id, &i);
    if (root == NULL)
        return st;
    json_t *obj = json_array_get(json_object_get(root, list_names[list]), (size_t)i);
    if (status != NULL)
        json_object_set_new(obj, "status", json_string(status));
    if (auto_registration >= 0 && list == TQ_REGISTRY_CAS)
        json_object_set_new(obj, "auto_registration", json_boolean(auto_registration > 0));
    json_object_set_new(obj, "modified", json_integer(now_s()));
    return install(diag, reg, root, true);
}

/* see registry.h */
tq_status tq_registry_remove(struct tq_diag *diag, struct tq_registry *reg,
                             enum tq_registry_list list, const char *id)
{
    tq_status st = TQ_SUCCESS;
    long i = 0;
    json_t *root = copy_member(diag, &st, reg, list, id, &i);
    if (root == NULL)
        return st;
    json_array_remove(json_object_get(root, list_names[list]), (size_t)i);
    return install(diag, reg, root, true);
}
