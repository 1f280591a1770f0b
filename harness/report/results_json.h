/* results_json.h: the machine-readable report (format "tlsqual-results/1", described in
 * docs/report-format.md): every case with its full evidence, and run-wide properties. It is
 * also the input of `tlsqual merge`, so writing then reading a report loses nothing a report
 * writer uses. */
#ifndef TQ_RESULTS_JSON_H
#define TQ_RESULTS_JSON_H

#include <stdbool.h>

#include "bytes.h"
#include "report.h"
#include "status.h"

/* tq_results_json_render appends the document for `r` to `out`: indented, or compact with
 * every '/' escaped when `for_html` (safe inside an HTML <script> element). */
TQ_MUST_USE tq_status tq_results_json_render(struct tq_buf *out, const struct tq_report *r,
                                             bool for_html);

/* tq_results_json_write writes `r` to `path` atomically. */
TQ_MUST_USE tq_status tq_results_json_write(struct tq_diag *diag, const char *path,
                                            const struct tq_report *r);

/* tq_results_json_read appends the cases of the results.json at `path` to `r`, and its
 * properties (those not already in `r`). Fails, naming the file, on anything that is not this
 * format. */
TQ_MUST_USE tq_status tq_results_json_read(struct tq_diag *diag, struct tq_report *r,
                                           const char *path);

#endif
