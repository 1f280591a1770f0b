/* certs.h: generates the mock PKI described in docs/pki.md (OpenSSL C API). */
#ifndef TQ_CERTS_H
#define TQ_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "status.h"

/* struct tq_certs_counts says what a run did. A run with nothing to do writes no file. */
struct tq_certs_counts {
    size_t keys_generated;
    size_t keys_kept;
    size_t certs_issued;
    size_t certs_kept;
    size_t files_written; /* keys, certificates, CRLs, chains, manifest.json, registry.json */
};

struct tq_certs_options {
    bool force;                     /* regenerate every certificate (keys are still reused) */
    bool quiet;                     /* print nothing on success */
    time_t now;                     /* the time of generation; 0: the current time (tests pin it) */
    struct tq_certs_counts *counts; /* optional: set to what the run did, on success */
};

/* tq_certs_generate makes sure `dir` holds a complete, current PKI and its manifest.json and
 * registry.json. Work already done and still valid is kept: a second call with nothing to do
 * rewrites nothing. Keys are written 0600, every file atomically. */
TQ_MUST_USE tq_status tq_certs_generate(struct tq_diag *diag, const char *dir,
                                        const struct tq_certs_options *options);

/* tq_certs_artifact_known is true when `tlsqual certs` generates an artifact called `name`
 * (docs/pki.md), so scenarios can be checked without generating a PKI. */
bool tq_certs_artifact_known(const char *name);

/* tq_certs_cli is `tlsqual certs`: argv[0] is "certs". Returns the process exit code
 * (0 success, 1 failure, 2 usage error). */
int tq_certs_cli(int argc, char **argv);

#endif
