/* result.h: reads one result line written by a backend (docs/backend-protocol.md).
 * The line is untrusted: it is bounded, must be one JSON object, and every member this harness
 * uses is type-checked; a line that breaks the protocol is TQ_ERR_PROTOCOL with the reason. */
#ifndef TQ_RESULT_H
#define TQ_RESULT_H

#include <stddef.h>

#include "status.h"

/* The most certificates of a received chain kept. */
#define TQ_RESULT_CHAIN_MAX 8

/* The largest result line accepted. */
#define TQ_RESULT_LINE_MAX (256 * 1024)

struct tq_result {
    char id[128];
    char outcome[64];
    char reason[256];      /* for "unsupported" */
    char handshake[16];
    char version[16];
    char suite[96];
    char error[512];       /* the library's own text */
    long connack;          /* -1: none received */
    long local_port;       /* -1: not reported */
    char leaf_sha256[65];  /* SHA-256 of the server's leaf as received; "" when none */
    size_t num_chain;      /* the chain as received (at most TQ_RESULT_CHAIN_MAX kept) */
    char chain_sha256[TQ_RESULT_CHAIN_MAX][65];
};

/* tq_result_parse reads the first line of `text` (`len` bytes; `text` may be NULL when `len` is
 * 0, which is the protocol error "no result line") into `out`. */
TQ_MUST_USE tq_status tq_result_parse(struct tq_diag *diag, struct tq_result *out,
                                      const char *text, size_t len);

#endif
