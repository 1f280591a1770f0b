/* backend_case.h: reading and validating case lines (docs/backend-protocol.md, "Case").
 *
 * A case line is one JSON object of at most TQ_CASE_MAX_LINE bytes. Members are read from a
 * table of {name, parser, offset}; an unknown member, a wrong type, a value out of range or a
 * missing required member (`id`, `host`, `port`) fails with TQ_ERR_PARSE and a message that
 * names the member, what was wanted and what was got. Nothing is kept from a failed parse. */
#ifndef TQ_BACKEND_CASE_H
#define TQ_BACKEND_CASE_H

#include <stdbool.h>
#include <stdio.h>

#include "backend_ops.h"

/* The longest case line, without its newline. */
#define TQ_CASE_MAX_LINE (64u * 1024u)

/* tq_case_read_line reads one line from `in` into `buf` (`buf_len` >= 2 bytes), without the
 * newline and NUL-terminated, and stores its length in `*out_len`. At end of input with nothing
 * read it sets `*out_eof`. A line that does not fit in `buf_len - 1` bytes fails with
 * TQ_ERR_LIMIT (the rest of it is not consumed); an embedded NUL byte fails with TQ_ERR_PARSE.
 * A last line without a newline is still a line. */
TQ_MUST_USE tq_status tq_case_read_line(struct tq_diag *diag, char *buf, size_t *out_len,
                                        bool *out_eof, size_t buf_len, FILE *in);

/* tq_case_parse parses the case line `line` (`line_len` bytes) into `*out`, which it first
 * resets to the defaults. On success the caller releases `*out` with tq_case_cleanup; on failure
 * `*out` is left in the cleaned-up state and `diag` says why. */
TQ_MUST_USE tq_status tq_case_parse(struct tq_diag *diag, struct tq_client_config *out,
                                    const char *line, size_t line_len);

/* tq_case_cleanup frees everything `cfg` owns and zeroes it. It accepts a zeroed config. */
void tq_case_cleanup(struct tq_client_config *cfg);

#endif
