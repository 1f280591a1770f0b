/* reports.h: where a run's reports go, shared by `tlsqual run`, `tlsqual merge` and
 * `tlsqual device`: one folder per run, OUT/<run-id>/{junit.xml,results.json,report.html}, and
 * OUT/latest pointing at the newest. */
#ifndef TQ_REPORTS_H
#define TQ_REPORTS_H

#include <stddef.h>

#include "report.h"
#include "status.h"

/* tq_reports_make_run_dir creates OUT/<run-id> for a run's reports and logs and writes its path
 * into `out` and the id into `run_id`. The id is the start time (UTC), the process id and
 * `suffix` (may be ""), so runs started together never collide. */
TQ_MUST_USE tq_status tq_reports_make_run_dir(struct tq_diag *diag, char *out, size_t out_len,
                                              char *run_id, size_t run_id_len, const char *out_dir,
                                              const char *suffix);

/* tq_reports_point_latest makes OUT/latest a symbolic link to `run_id`, replacing it
 * atomically. Failure leaves the old link; it is not an error. */
void tq_reports_point_latest(const char *out_dir, const char *run_id);

/* tq_reports_print_summary prints the closing lines of a run to stdout: the counts, the time
 * `wall_ms`, where the reports are (`run_dir`), why the report is incomplete (when it is) and
 * the one line CI logs grep for, with the counts of junit.xml:
 *   summary: P passed, F failed, E errors, S skipped, W warnings[, incomplete]
 * (P counts the W cases that passed with a warning; P + F + E + S is the number of cases). */
void tq_reports_print_summary(const struct tq_report *report, const char *run_dir, double wall_ms);

/* tq_reports_write writes every report of `report` into `dir`: results.json, report.html and
 * junit.xml (and junit.xml also into `copy_dir` when not NULL: the stable path CI
 * configurations point at). */
TQ_MUST_USE tq_status tq_reports_write(struct tq_diag *diag, const struct tq_report *report,
                                       const char *dir, const char *copy_dir);

#endif
