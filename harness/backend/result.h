/* result.h: reads what a backend wrote on stdout for one case (docs/backend-protocol.md).
 * The text is untrusted: it is bounded, must be exactly one line holding one JSON object that
 * answers *that* case (its "id" is the case's id), and every member this harness uses is
 * type-checked. Anything else is TQ_ERR_PROTOCOL with the reason and the offending line quoted,
 * so a case is never judged on a line that was not its own result. */
#ifndef TQ_RESULT_H
#define TQ_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* The most certificates of a received chain kept. */
#define TQ_RESULT_CHAIN_MAX 8

/* The largest result line accepted. */
#define TQ_RESULT_LINE_MAX (256 * 1024)

/* The longest case id (bytes, without the NUL) the harness sends and matches. */
#define TQ_RESULT_ID_MAX 255

/* How many bytes of an offending line a quote shows; longer lines are cut and say so. */
#define TQ_RESULT_QUOTE_BYTES 160

/* The room a quote needs, NUL included: every byte may become \xNN, plus the quotes and the
 * "... (N bytes)" tail. */
#define TQ_RESULT_QUOTE_SIZE (4 * TQ_RESULT_QUOTE_BYTES + 48)

struct tq_result {
    char id[TQ_RESULT_ID_MAX + 1];
    char outcome[64];
    char reason[256]; /* for "unsupported" */
    char handshake[16];
    char version[16];
    char suite[96];
    char error[512];      /* the library's own text */
    long connack;         /* -1: none received */
    long local_port;      /* -1: not reported */
    char leaf_sha256[65]; /* SHA-256 of the server's leaf as received; "" when none */
    size_t num_chain;     /* the chain as received (at most TQ_RESULT_CHAIN_MAX kept) */
    char chain_sha256[TQ_RESULT_CHAIN_MAX][65];
};

/* tq_result_parse reads the result of the case whose id is `want_id` from everything the backend
 * wrote on stdout for that case: `len` bytes at `text` (`text` may be NULL when `len` is 0).
 * The protocol wants exactly one line (its final newline may be missing when the process ended)
 * holding one JSON object whose "id" equals `want_id` byte for byte and whose "outcome" is
 * canonical. Fails with TQ_ERR_PROTOCOL (TQ_ERR_LIMIT for a line over TQ_RESULT_LINE_MAX) when
 * there is no line, when the first line is not such an object (not JSON, another shape, no id,
 * another case's id), or when anything follows it (a second answer, a debug line); `diag->msg`
 * then says which and quotes the offending line (tq_result_quote). On failure `out` holds
 * nothing to judge. */
TQ_MUST_USE tq_status tq_result_parse(struct tq_diag *diag, struct tq_result *out,
                                      const char *want_id, const char *text, size_t len);

/* tq_result_case_id copies the "id" of the case line `line` (what the harness sent) into `out`
 * (`out_len` bytes). False when the line is not a JSON object with a string id that fits. */
bool tq_result_case_id(char *out, size_t out_len, const char *line);

/* tq_result_line_with_id returns the first line of the `len` bytes at `text` that is a JSON
 * object whose "id" is `id`, and its length in `*out_len`; NULL when there is none (or `id` is
 * empty). It tells whether output read during one case answers another. */
const char *tq_result_line_with_id(const char *text, size_t len, const char *id, size_t *out_len);

/* tq_result_quote writes `len` bytes at `line` into `out` as a bounded, escaped quote fit for a
 * message: in single quotes, printable ASCII kept, backslash and quote escaped, every other byte
 * as \xNN; as many bytes as fit in `out_len` (at most TQ_RESULT_QUOTE_BYTES; all of them when
 * `out_len` is TQ_RESULT_QUOTE_SIZE), then "... (N bytes)" when the line was cut. An `out_len`
 * under 40 gets an empty string. */
void tq_result_quote(char *out, size_t out_len, const char *line, size_t len);

#endif
