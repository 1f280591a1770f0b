/* outcome.h: a case's outcome as a backend builds it, in the words of common/outcome_vocab.h.
 *
 * Every backend maps its library's errors onto those words with a table, so "expired
 * certificate rejected" means the same whichever library said it. The vocabulary itself (codes,
 * words, alert names) is common/outcome_vocab.h, which the harness reads result lines with; a
 * backend never sets the harness-only codes (TQ_OUT_BACKEND_CRASHED, TQ_OUT_PROTOCOL_ERROR). */
#ifndef TQ_OUTCOME_H
#define TQ_OUTCOME_H

#include <stdbool.h>

#include "outcome_vocab.h"
#include "status.h"

/* struct tq_outcome is a case's verdict so far. It starts as TQ_OUT_NOT_RUN (all zero). */
struct tq_outcome {
    enum tq_outcome_code code;
    int alert;        /* for TQ_OUT_ALERT_RECEIVED: the alert description number */
    char reason[256]; /* for unsupported / config_error / mqtt_error: what, in words */
    char error[1024]; /* the library's own error text, verbatim; empty: none */
};

/* tq_outcome_format writes the wire form of `out` into `buf` (at least TQ_OUTCOME_WIRE_MAX
 * bytes) with tq_outcome_write: the word, and for alert_received the alert word after a colon
 * ("alert_received:protocol_version", "alert_received:alert_200"). A case still TQ_OUT_NOT_RUN
 * is written "unmapped": a result line never says not_run. */
void tq_outcome_format(char *buf, size_t buf_len, const struct tq_outcome *out);

/* tq_outcome_fail sets `out->code` to `code` and `out->reason` from the format, and returns a
 * failed status (TQ_ERR_CRYPTO) so callers write `return tq_outcome_fail(out, ...)`. */
TQ_MUST_USE tq_status tq_outcome_fail(struct tq_outcome *out, enum tq_outcome_code code,
                                      const char *fmt, ...) TQ_PRINTF(3, 4);

/* tq_outcome_set_error copies the library's error text into `out->error` (truncated to fit). */
void tq_outcome_set_error(struct tq_outcome *out, const char *text);

#endif
