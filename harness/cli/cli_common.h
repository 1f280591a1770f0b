/* cli_common.h: what the subcommands of `tlsqual` (run, lint, merge) share: default paths, the
 * one way a failure is printed, and the closing summary with its exit code. */
#ifndef TQ_CLI_COMMON_H
#define TQ_CLI_COMMON_H

#include "report.h"
#include "status.h"

/* tq_cli_default_facts_path is the facts file scenarios cite, or NULL when it is absent. */
const char *tq_cli_default_facts_path(void);

/* tq_cli_default_scenarios_dir is ./scenarios when it exists, else the source tree's. */
const char *tq_cli_default_scenarios_dir(void);

/* tq_cli_print_diag prints "PREFIX: what failed" on stderr. */
void tq_cli_print_diag(const char *prefix, const struct tq_diag *diag);

/* tq_cli_summarize prints the closing summary of a report and returns its enum tq_exit: a run
 * in which no case was executed is a failure, not a pass. */
int tq_cli_summarize(const struct tq_report *report, const char *run_dir, double wall_ms);

#endif
