/* baseline.h: known deviations a vendor accepts for a backend, kept in a text file:
 *
 *     # comments and blank lines are ignored
 *     gnutls: client-certificate/device certificate DSA 2048 SHA-256 connects  # why
 *
 * one case per line: backend name, a colon, the case as "group/name", an optional reason
 * after " #". A listed case that fails is reported as a known deviation (pass with a warning
 * that quotes the reason); a listed case that passes is a failure until the line is removed,
 * so the file never hides a fixed bug. */
#ifndef TQ_BASELINE_H
#define TQ_BASELINE_H

#include <stdbool.h>
#include <stdio.h>

#include "report.h"
#include "status.h"

/* The most lines one baseline holds, and the longest line. */
#define TQ_BASELINE_MAX 4096
#define TQ_BASELINE_LINE_MAX 512

struct tq_baseline;

/* tq_baseline_load reads the file at `path` into a new baseline in `*out`. A line that is not
 * "backend: group/name" is an error naming the file and line. */
TQ_MUST_USE tq_status tq_baseline_load(struct tq_diag *diag, struct tq_baseline **out,
                                       const char *path);

/* tq_baseline_parse is tq_baseline_load on text in memory (`path` names it in errors). */
TQ_MUST_USE tq_status tq_baseline_parse(struct tq_diag *diag, struct tq_baseline **out,
                                        const char *path, const char *text, size_t len);

/* struct tq_baseline_known says which names a baseline line may use: the backends (names as
 * reports call them) and the cases (IDs "group/name", docs/scenario-format.md#case-ids). */
struct tq_baseline_known {
    const char *const *backends; /* NULL: backend names are not checked */
    size_t num_backends;
    /* has_case is true when `case_id` is a case of the catalog; NULL: cases are not checked. */
    bool (*has_case)(const void *ctx, const char *case_id);
    const void *ctx;
};

/* tq_baseline_check prints (to `errors`, as "file:line: problem") every line of `b` that names
 * a backend or a case that `known` does not know, or repeats an earlier line, and returns how
 * many there are. A line that can never match (a renamed case, a misspelt backend) would
 * otherwise stop tracking its deviation without a word. */
size_t tq_baseline_check(const struct tq_baseline *b, const struct tq_baseline_known *known,
                         FILE *errors);

/* tq_baseline_path returns the file `b` was read from. */
const char *tq_baseline_path(const struct tq_baseline *b);

/* tq_baseline_free releases `b`; NULL is a no-op. */
void tq_baseline_free(struct tq_baseline *b);

/* tq_baseline_apply adjusts the verdict of `record` (a case of `backend`, `group`/`name`) by the
 * baseline: a listed FAIL becomes WARN, a listed PASS becomes FAIL. `message` receives the new
 * message when the verdict changes. Returns the (possibly new) verdict. NULL `b`: unchanged. */
enum tq_verdict tq_baseline_apply(const struct tq_baseline *b, const struct tq_case_record *record,
                                  char *message, size_t message_len);

#endif
