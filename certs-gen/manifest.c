#include "manifest.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

struct tq_manifest {
    json_t *root; /* keeps every string below alive */
    char dir[PATH_MAX];
    size_t num_artifacts;
    struct tq_artifact *artifacts;
    char **paths; /* absolute paths, 4 per artifact */
};

enum { PATHS_PER_ARTIFACT = 4, MAX_MANIFEST_BYTES = 4 << 20 };

static const char *opt_string(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static tq_status absolute(struct tq_diag *diag, struct tq_manifest *m, size_t slot, const char *rel,
                          const char **out)
{
    *out = NULL;
    if (rel == NULL)
        return TQ_SUCCESS;
    if (strchr(rel, '/') != NULL || strcmp(rel, "..") == 0)
        return tq_diag_fail(diag, TQ_ERR_PARSE, m->dir, 0,
                            "manifest.json: file member '%s' must be a plain file name", rel);
    char buf[PATH_MAX];
    TQ_GUARD(tq_fs_join(diag, buf, sizeof(buf), m->dir, rel));
    m->paths[slot] = strdup(buf);
    TQ_ENSURE(m->paths[slot] != NULL, TQ_ERR_NOMEM);
    *out = m->paths[slot];
    return TQ_SUCCESS;
}

static tq_status load_artifact(struct tq_diag *diag, struct tq_manifest *m, size_t i, json_t *obj)
{
    struct tq_artifact *a = &m->artifacts[i];
    a->name = opt_string(obj, "name");
    a->role = opt_string(obj, "role");
    if (a->name == NULL || a->role == NULL || opt_string(obj, "cert") == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, m->dir, 0,
                            "manifest.json: artifact %zu lacks name, role or cert", i);
    a->issuer = opt_string(obj, "issuer");
    a->subject = opt_string(obj, "subject");
    a->sha256 = opt_string(obj, "sha256");
    a->purpose = opt_string(obj, "purpose");
    a->key_type = opt_string(obj, "key_type");
    size_t base = i * PATHS_PER_ARTIFACT;
    TQ_GUARD(absolute(diag, m, base + 0, opt_string(obj, "cert"), &a->cert));
    TQ_GUARD(absolute(diag, m, base + 1, opt_string(obj, "key"), &a->key));
    TQ_GUARD(absolute(diag, m, base + 2, opt_string(obj, "chain"), &a->chain));
    return absolute(diag, m, base + 3, opt_string(obj, "crl"), &a->crl);
}

static tq_status load_root(struct tq_diag *diag, struct tq_manifest *m, const char *path)
{
    json_error_t err;
    m->root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (m->root == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, path, (unsigned)err.line, "%s", err.text);
    const char *format = opt_string(m->root, "format");
    if (format == NULL || strcmp(format, "tlsqual-pki/1") != 0)
        return tq_diag_fail(diag, TQ_ERR_PARSE, path, 0,
                            "want format \"tlsqual-pki/1\", got %s%s%s", format ? "\"" : "",
                            format ? format : "none", format ? "\"" : "");
    json_t *list = json_object_get(m->root, "artifacts");
    if (!json_is_array(list))
        return tq_diag_fail(diag, TQ_ERR_PARSE, path, 0, "want an array \"artifacts\"");
    m->num_artifacts = json_array_size(list);
    m->artifacts = calloc(m->num_artifacts + 1, sizeof(*m->artifacts));
    m->paths = calloc(m->num_artifacts * PATHS_PER_ARTIFACT + 1, sizeof(*m->paths));
    TQ_ENSURE(m->artifacts != NULL && m->paths != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < m->num_artifacts; i++)
        TQ_GUARD(load_artifact(diag, m, i, json_array_get(list, i)));
    return TQ_SUCCESS;
}

/* see manifest.h */
tq_status tq_manifest_load(struct tq_diag *diag, struct tq_manifest **out, const char *dir)
{
    *out = NULL;
    struct tq_manifest *m = calloc(1, sizeof(*m));
    TQ_ENSURE(m != NULL, TQ_ERR_NOMEM);
    char path[PATH_MAX];
    tq_status st = TQ_STATUS(TQ_ERR_IO);
    if (realpath(dir, m->dir) == NULL)
        st = tq_diag_fail(diag, TQ_ERR_NOT_FOUND, dir, 0, "PKI folder does not exist");
    else if (tq_ok(st = tq_fs_join(diag, path, sizeof(path), m->dir, "manifest.json")))
        st = load_root(diag, m, path);
    if (!tq_ok(st)) {
        tq_manifest_free(m);
        return st;
    }
    *out = m;
    return TQ_SUCCESS;
}

/* see manifest.h */
void tq_manifest_free(struct tq_manifest *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; m->paths && i < m->num_artifacts * PATHS_PER_ARTIFACT; i++)
        free(m->paths[i]);
    free(m->paths);
    free(m->artifacts);
    json_decref(m->root);
    free(m);
}

/* see manifest.h */
const struct tq_artifact *tq_manifest_find(const struct tq_manifest *m, const char *name)
{
    for (size_t i = 0; i < m->num_artifacts; i++)
        if (strcmp(m->artifacts[i].name, name) == 0)
            return &m->artifacts[i];
    return NULL;
}

/* see manifest.h */
size_t tq_manifest_count(const struct tq_manifest *m)
{
    return m->num_artifacts;
}

/* see manifest.h */
const struct tq_artifact *tq_manifest_at(const struct tq_manifest *m, size_t i)
{
    return i < m->num_artifacts ? &m->artifacts[i] : NULL;
}

/* see manifest.h */
const char *tq_manifest_endpoint(const struct tq_manifest *m, const char *type)
{
    return opt_string(json_object_get(m->root, "endpoints"), type);
}

/* see manifest.h */
const char *tq_manifest_generated_at(const struct tq_manifest *m)
{
    const char *s = opt_string(m->root, "generated_at");
    return s ? s : "";
}

/* see manifest.h */
const char *tq_manifest_dir(const struct tq_manifest *m)
{
    return m->dir;
}
