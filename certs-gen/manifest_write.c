/* manifest_write.c: DIR/manifest.json ("tlsqual-pki/1", docs/pki.md), read back by manifest.c.
 * `generated_at` changes only when an artifact does, so a run with nothing to do leaves the
 * file byte for byte as it was. */
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "certs_internal.h"
#include "fs.h"

static void free_json(json_t **j)
{
    json_decref(*j);
}

static json_t *file_member(const char *name, const char *suffix, bool present)
{
    if (!present)
        return json_null();
    char file[NAME_MAX + 1];
    snprintf(file, sizeof(file), "%s%s", name, suffix);
    return json_string(file);
}

static json_t *rfc3339(const ASN1_TIME *t)
{
    struct tm tm;
    char text[32] = "";
    if (ASN1_TIME_to_tm(t, &tm))
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(text);
}

static const char *signature_name(const struct tq__run *run, size_t c)
{
    size_t issuer_key = tq__key_row(tq__profile_find(run->rows[c].issuer));
    const char *name =
        OBJ_nid2ln(tq__signature_nid(run->rows[issuer_key].key_type, run->rows[c].digest));
    return name ? name : "unknown";
}

/* see certs_internal.h */
tq_status tq__manifest_entry(struct tq_diag *diag, json_t **out, struct tq__run *run, size_t i,
                             X509 *cert)
{
    const struct tq__profile *p = &run->rows[i];
    const struct tq__profile *c = &run->rows[tq__cert_row(i)];
    char sha256[65];
    TQ_GUARD(tq__cert_sha256(diag, sha256, cert));
    *out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:s}",
                     "name", p->name, "role", p->role, "subject", c->subject, "issuer", c->issuer,
                     "cert", file_member(c->name, ".pem", true), "key",
                     file_member(run->rows[tq__key_row(i)].name, ".key", true), "chain",
                     file_member(p->name, ".chain.pem", p->leaf), "crl",
                     file_member(p->name, ".crl.pem", (p->ext & TQ_EXT_CRL) != 0), "sha256", sha256,
                     "key_type", tq__key_type_name(c->key_type), "signature",
                     signature_name(run, tq__cert_row(i)), "not_before",
                     rfc3339(X509_get0_notBefore(cert)), "not_after",
                     rfc3339(X509_get0_notAfter(cert)), "purpose", p->purpose);
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    return TQ_SUCCESS;
}

/* see certs_internal.h */
tq_status tq__json_write_if_changed(struct tq_diag *diag, struct tq__run *run, const char *file,
                                    json_t *root)
{
    char path[PATH_MAX];
    TQ_GUARD(tq_fs_join(diag, path, sizeof(path), run->dir, file));
    char *text TQ_DEFER(tq_free_ptr) = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    TQ_ENSURE(text != NULL, TQ_ERR_NOMEM);
    size_t len = strlen(text);
    char *data TQ_DEFER(tq_free_ptr) = malloc(len + 2);
    TQ_ENSURE(data != NULL, TQ_ERR_NOMEM);
    memcpy(data, text, len);
    data[len] = '\n';
    data[len + 1] = '\0';
    return tq__write_if_changed(diag, run, path, data, len + 1, 0644);
}

/* generated_at keeps the previous value when every artifact is unchanged. */
static json_t *generated_at(const struct tq__run *run, json_t *artifacts, json_t *endpoints)
{
    json_t *old = run->old_manifest;
    const char *old_at = json_string_value(json_object_get(old, "generated_at"));
    if (old_at != NULL && json_equal(json_object_get(old, "artifacts"), artifacts) &&
        json_equal(json_object_get(old, "endpoints"), endpoints))
        return json_string(old_at);
    struct tm tm;
    char text[32] = "";
    if (gmtime_r(&run->now, &tm) != NULL)
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(text);
}

/* see certs_internal.h */
tq_status tq__manifest_update(struct tq_diag *diag, struct tq__run *run)
{
    json_t *artifacts TQ_DEFER(free_json) = json_array();
    json_t *endpoints TQ_DEFER(free_json) =
        json_pack("{s:s, s:s}", "ats", TQ_ENDPOINT_ATS, "legacy", TQ_ENDPOINT_LEGACY);
    TQ_ENSURE(artifacts != NULL && endpoints != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < run->num_rows; i++)
        TQ_ENSURE(json_array_append(artifacts, run->items[i].entry) == 0, TQ_ERR_NOMEM);
    json_t *root TQ_DEFER(free_json) = json_pack(
        "{s:s, s:o, s:O, s:O}", "format", "tlsqual-pki/1", "generated_at",
        generated_at(run, artifacts, endpoints), "endpoints", endpoints, "artifacts", artifacts);
    TQ_ENSURE(root != NULL, TQ_ERR_NOMEM);
    return tq__json_write_if_changed(diag, run, "manifest.json", root);
}
