#include "backend.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "proc.h"

enum { PROBE_TIMEOUT_MS = 15000, PROBE_MAX_OUTPUT = 1 << 20, MAX_BACKENDS = 64 };

struct tq_backend {
    char *name;
    char *path;
    json_t *caps;
};

static bool caps_list_has(const struct tq_backend *b, const char *list, const char *item)
{
    json_t *arr = json_object_get(b->caps, list);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), item) == 0)
            return true;
    }
    return false;
}

static tq_status check_caps(struct tq_diag *diag, const char *path, json_t *caps)
{
    static const char *const lists[] = {"versions", "suites", "features"};
    if (!json_is_object(caps) || json_integer_value(json_object_get(caps, "protocol")) != 1)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, path, 0,
                            "--capabilities: want a JSON object with \"protocol\": 1");
    if (!json_is_string(json_object_get(caps, "name")))
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, path, 0, "--capabilities: want \"name\"");
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (!json_is_array(json_object_get(caps, lists[i])))
            return tq_diag_fail(diag, TQ_ERR_PROTOCOL, path, 0,
                                "--capabilities: want an array \"%s\"", lists[i]);
    return TQ_SUCCESS;
}

static tq_status parse_caps(struct tq_diag *diag, json_t **out, const char *path,
                            const struct tq_proc_output *run)
{
    char how[128];
    tq_proc_describe(how, sizeof(how), run, PROBE_TIMEOUT_MS);
    if (!run->exited || run->exit_code != 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, path, 0, "--capabilities ended with %s: %.*s",
                            how, (int)(run->err.len > 300 ? 300 : run->err.len),
                            run->err.data ? (const char *)run->err.data : "");
    json_error_t err;
    *out = json_loadb((const char *)run->out.data, run->out.len, JSON_REJECT_DUPLICATES, &err);
    if (*out == NULL)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, path, 0,
                            "--capabilities printed invalid JSON: %s", err.text);
    return check_caps(diag, path, *out);
}

/* see backend.h */
tq_status tq_backend_probe(struct tq_diag *diag, struct tq_backend **out, const char *path,
                           const char *name)
{
    *out = NULL;
    if (access(path, X_OK) != 0)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, path, 0, "backend is not an executable");
    char exe[4096], flag[] = "--capabilities";
    snprintf(exe, sizeof(exe), "%s", path);
    char *argv[] = {exe, flag, NULL};
    struct tq_proc_output run;
    TQ_GUARD(tq_proc_run(diag, &run, argv, NULL, 0, PROBE_TIMEOUT_MS, PROBE_MAX_OUTPUT));
    json_t *caps = NULL;
    tq_status st = parse_caps(diag, &caps, path, &run);
    tq_proc_output_cleanup(&run);
    struct tq_backend *b = tq_ok(st) ? calloc(1, sizeof(*b)) : NULL;
    if (b == NULL) {
        json_decref(caps);
        return tq_ok(st) ? TQ_STATUS(TQ_ERR_NOMEM) : st;
    }
    b->caps = caps;
    b->path = strdup(path);
    b->name = strdup(name ? name : json_string_value(json_object_get(caps, "name")));
    if (b->path == NULL || b->name == NULL) {
        tq_backend_free(b);
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    *out = b;
    return TQ_SUCCESS;
}

/* see backend.h */
void tq_backend_free(struct tq_backend *b)
{
    if (b == NULL)
        return;
    json_decref(b->caps);
    free(b->name);
    free(b->path);
    free(b);
}

/* see backend.h */
const char *tq_backend_name(const struct tq_backend *b)
{
    return b->name;
}

/* see backend.h */
const char *tq_backend_path(const struct tq_backend *b)
{
    return b->path;
}

/* see backend.h */
const char *tq_backend_library(const struct tq_backend *b)
{
    const char *lib = json_string_value(json_object_get(b->caps, "library"));
    return lib ? lib : "unknown";
}

/* missing_version: a range needs at least one of its versions; "1.0".."1.3" compare as text. */
static const char *missing_version(const struct tq_backend *b, const struct tq_scenario *s,
                                   char *reason, size_t reason_len)
{
    static const char *const all[] = {"1.0", "1.1", "1.2", "1.3"};
    const char *min = s->client.versions.min ? s->client.versions.min : "1.0";
    const char *max = s->client.versions.max ? s->client.versions.max : "1.3";
    for (size_t i = 0; i < 4; i++)
        if (strcmp(all[i], min) >= 0 && strcmp(all[i], max) <= 0 &&
            caps_list_has(b, "versions", all[i]))
            return NULL;
    snprintf(reason, reason_len, "backend lacks TLS %s%s%s", min, strcmp(min, max) ? " to " : "",
             strcmp(min, max) ? max : "");
    return reason;
}

/* missing_key_type: "DSA-2048" needs the family "dsa" when the backend lists key types. */
static const char *missing_key_type(const struct tq_backend *b, const char *key_type, char *reason,
                                    size_t reason_len)
{
    if (key_type == NULL || !json_is_array(json_object_get(b->caps, "key_types")))
        return NULL;
    char family[16];
    size_t n = strcspn(key_type, "-");
    for (size_t i = 0; i < n && i + 1 < sizeof(family); i++)
        family[i] =
            (char)(key_type[i] >= 'A' && key_type[i] <= 'Z' ? key_type[i] + 32 : key_type[i]);
    family[n < sizeof(family) - 1 ? n : sizeof(family) - 1] = '\0';
    if (caps_list_has(b, "key_types", family))
        return NULL;
    snprintf(reason, reason_len, "backend lacks client key type %s", family);
    return reason;
}

/* see backend.h */
const char *tq_backend_missing(const struct tq_backend *b, const struct tq_scenario *s,
                               const char *client_key_type, char *reason, size_t reason_len)
{
    if (missing_version(b, s, reason, reason_len) ||
        missing_key_type(b, client_key_type, reason, reason_len))
        return reason;
    for (size_t i = 0; i < s->client.suites.num; i++)
        if (!caps_list_has(b, "suites", s->client.suites.items[i])) {
            snprintf(reason, reason_len, "backend lacks suite %s", s->client.suites.items[i]);
            return reason;
        }
    struct {
        bool needed;
        const char *feature;
    } const needs[] = {
        {s->client.alpn.num > 0, "alpn"}, {!s->client.send_sni, "no_sni"},
        {s->client.crl.num > 0, "crl"},   {s->client.certificate != NULL, "client_cert"},
        {s->client.mqtt.enabled, "mqtt"},
    };
    for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
        if (needs[i].needed && !caps_list_has(b, "features", needs[i].feature)) {
            snprintf(reason, reason_len, "backend lacks feature %s", needs[i].feature);
            return reason;
        }
    return NULL;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* see backend.h */
tq_status tq_backend_discover(struct tq_diag *diag, char **paths, size_t max_paths, size_t *out_num,
                              const char *dir)
{
    *out_num = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, dir, 0, "no backends folder");
    static const char prefix[] = "tlsqual-backend-";
    tq_status st = TQ_SUCCESS;
    for (struct dirent *e; (e = readdir(d)) != NULL && tq_ok(st);) {
        char path[4096];
        if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) != 0)
            continue;
        if (!tq_ok(st = tq_fs_join(diag, path, sizeof(path), dir, e->d_name)))
            break;
        if (access(path, X_OK) != 0)
            continue;
        if (*out_num == max_paths)
            st = tq_diag_fail(diag, TQ_ERR_LIMIT, dir, 0, "more than %zu backends", max_paths);
        else if ((paths[*out_num] = strdup(path)) == NULL)
            st = TQ_STATUS(TQ_ERR_NOMEM);
        else
            (*out_num)++;
    }
    closedir(d);
    qsort(paths, *out_num, sizeof(*paths), compare_paths);
    return st;
}
