/* manifest.h: reads DIR/manifest.json, the index of the mock PKI (format in docs/pki.md).
 * The broker and the runner find every certificate, key and chain by artifact name here. */
#ifndef TQ_MANIFEST_H
#define TQ_MANIFEST_H

#include <stddef.h>

#include "status.h"

struct tq_manifest;

/* struct tq_artifact is one entry. Paths are absolute (DIR joined with the file member);
 * members that the manifest sets to null are NULL. Owned by the manifest. */
struct tq_artifact {
    const char *name;
    const char *role;
    const char *issuer; /* name of the signing artifact */
    const char *subject;
    const char *cert;
    const char *key;
    const char *chain;
    const char *crl;
    const char *sha256;
    const char *purpose;
    const char *key_type; /* "RSA-2048", "EC-P256", "DSA-2048", ... */
};

/* tq_manifest_load reads `dir`/manifest.json into a new manifest in `*out`. On failure `*out`
 * is NULL and `diag` names the file, the line and what was wrong. */
TQ_MUST_USE tq_status tq_manifest_load(struct tq_diag *diag, struct tq_manifest **out,
                                       const char *dir);

/* tq_manifest_free releases `m`; NULL is a no-op. */
void tq_manifest_free(struct tq_manifest *m);

/* tq_manifest_find returns the artifact called `name`, or NULL. */
const struct tq_artifact *tq_manifest_find(const struct tq_manifest *m, const char *name);

/* tq_manifest_count and tq_manifest_at enumerate the artifacts in file order. */
size_t tq_manifest_count(const struct tq_manifest *m);
const struct tq_artifact *tq_manifest_at(const struct tq_manifest *m, size_t i);

/* tq_manifest_endpoint returns the endpoint host name for `type` ("ats", "legacy"), or NULL. */
const char *tq_manifest_endpoint(const struct tq_manifest *m, const char *type);

/* tq_manifest_generated_at returns the generation time as written (RFC 3339), or "". */
const char *tq_manifest_generated_at(const struct tq_manifest *m);

/* tq_manifest_dir returns the absolute folder the manifest was loaded from. */
const char *tq_manifest_dir(const struct tq_manifest *m);

#endif
