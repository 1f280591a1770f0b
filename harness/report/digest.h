/* digest.h: SHA-256 fingerprints of what a run ran on (scenario files, baseline, PKI shape), so
 * that reports of separate processes can tell whether they belong to one run (merge.h).
 *
 * A digest is fed labelled fields; each is framed by its label and length, so no two sequences
 * of fields give the same input ("ab"+"c" differs from "a"+"bc"). The result is written
 * "sha256:" followed by 64 lowercase hex digits. */
#ifndef TQ_DIGEST_H
#define TQ_DIGEST_H

#include <stddef.h>

#include "status.h"

enum { TQ_DIGEST_TEXT_LEN = 7 + 64 + 1 }; /* "sha256:" + hex + NUL */

/* struct tq_digest is one SHA-256 in progress. Caller storage: tq_digest_init, then
 * tq_digest_cleanup (which accepts the zero state). */
struct tq_digest {
    void *ctx;    /* the OpenSSL EVP_MD_CTX */
    tq_status st; /* sticky: the first failure of an add */
};

/* tq_digest_init starts an empty digest in `d`. */
TQ_MUST_USE tq_status tq_digest_init(struct tq_digest *d);

/* tq_digest_cleanup releases `d`; a zeroed `d` is a no-op. */
void tq_digest_cleanup(struct tq_digest *d);

/* tq_digest_add feeds one field: `label`, then `len` bytes of `data`. A failure is kept and
 * returned by tq_digest_final. */
void tq_digest_add(struct tq_digest *d, const char *label, const void *data, size_t len);

/* tq_digest_add_str feeds `label` and the string `s` (NULL is fed as a field of its own kind,
 * distinct from ""). */
void tq_digest_add_str(struct tq_digest *d, const char *label, const char *s);

/* tq_digest_add_file feeds `label` and the bytes of the file at `path` (at most `max_len`).
 * Fails, naming the file, when it cannot be read. */
TQ_MUST_USE tq_status tq_digest_add_file(struct tq_diag *diag, struct tq_digest *d,
                                         const char *label, const char *path, size_t max_len);

/* tq_digest_final writes the digest as "sha256:<hex>" into `out` (TQ_DIGEST_TEXT_LEN bytes),
 * or fails with the first failure of an add. `d` still needs tq_digest_cleanup. */
TQ_MUST_USE tq_status tq_digest_final(struct tq_digest *d, char out[TQ_DIGEST_TEXT_LEN]);

#endif
