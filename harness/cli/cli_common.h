/* cli_common.h: what the subcommands of `tlsqual` (run, lint, merge) share: default paths, the
 * one way a failure is printed, and the closing summary with its exit code. */
#ifndef TQ_CLI_COMMON_H
#define TQ_CLI_COMMON_H

#include <stddef.h>

#include "baseline.h"
#include "catalog.h"
#include "report.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>

/* tq_cli_default_scenarios_dir is the one place that knows where scenarios are looked for when
 * no --scenarios is given. It returns ./scenarios when that exists; else the suite of the source
 * tree this binary was built from, when that still exists; else NULL. `*out_why` says which
 * and why, for the run header ("./scenarios in the current folder"). */
const char *tq_cli_default_scenarios_dir(const char **out_why);

/* tq_cli_scenarios_missing prints, for `command`, that no scenario folder was found (neither
 * ./scenarios nor the source tree's) and that --scenarios DIR names one. */
void tq_cli_scenarios_missing(const char *command);

/* tq_cli_default_reference_dir writes the AWS IoT reference folder that `spec:` citations of
 * the scenarios in `scenarios_dir` name: docs/aws-iot in the folder above them (a repository's
 * layout: scenarios/ and docs/ side by side). */
TQ_MUST_USE tq_status tq_cli_default_reference_dir(struct tq_diag *diag, char *out, size_t out_len,
                                                   const char *scenarios_dir);

/* tq_cli_check_specs checks the `spec:` of every scenario of `cat` (catalog.h) against the
 * reference folder `docs_option` (--docs; NULL: tq_cli_default_reference_dir of
 * `scenarios_dir`), prints each problem as "file:line: ..." and returns how many. A --docs
 * folder that does not exist is one problem; a default one that does not exist fails every
 * citation of it, and a last line says where it was looked for and that --docs names another. */
size_t tq_cli_check_specs(const char *command, const struct tq_catalog *cat,
                          const char *docs_option, const char *scenarios_dir);

/* tq_cli_check_baseline prints every line of baseline `b` (baseline.h) that names a case `cat`
 * lacks, repeats a line, or (when `check_backends`) names a backend that is neither one of
 * `backends` nor a reference backend of this source tree (backends/<name>/, built here or
 * not). Returns the number of problems. */
size_t tq_cli_check_baseline(const struct tq_baseline *b, const struct tq_catalog *cat,
                             bool check_backends, const char *const *backends, size_t num_backends);

/* tq_cli_check_pki_dir succeeds when `dir` holds a mock PKI (its manifest.json). Otherwise it
 * fails with a message for the user of `option` that says what is wrong, that `tlsqual certs
 * --out DIR` makes one, then `how_to_create` ("or add --pki-create ..."): a mistyped folder
 * never becomes a new PKI silently. */
TQ_MUST_USE tq_status tq_cli_check_pki_dir(struct tq_diag *diag, const char *dir,
                                           const char *option, const char *how_to_create);

/* tq_cli_print_diag prints "PREFIX: what failed" on stderr. */
void tq_cli_print_diag(const char *prefix, const struct tq_diag *diag);

/* tq_cli_note_interruption marks `report` incomplete when a signal stopped its run: when a case
 * did not run to a verdict (tq_case_interrupted). It counts those cases into `*out_num`; a
 * caller that finds some exits TQ_EXIT_INTERRUPTED. Call it before writing the reports. */
TQ_MUST_USE tq_status tq_cli_note_interruption(struct tq_report *report, size_t *out_num);

/* tq_cli_summarize prints the closing summary of a report and returns its enum tq_exit: a run
 * in which no case was executed, and an incomplete report (report.h), are failures, never a
 * pass. */
int tq_cli_summarize(const struct tq_report *report, const char *run_dir, double wall_ms);

#endif
