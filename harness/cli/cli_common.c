/* Helpers shared by the subcommands of cli/. */
#include "cli_common.h"

#include <stdio.h>

#include "fs.h"
#include "reports.h"
#include "run_cli.h"

/* see cli_common.h; the shared folder beside the source tree (as CI has it). */
const char *tq_cli_default_facts_path(void)
{
    static const char path[] = TQ_SOURCE_DIR "/../shared/aws-iot-facts.md";
    return tq_fs_exists(path) ? path : NULL;
}

/* see cli_common.h */
const char *tq_cli_default_scenarios_dir(void)
{
    return tq_fs_exists("scenarios") ? "scenarios" : TQ_SOURCE_DIR "/scenarios";
}

/* see cli_common.h */
void tq_cli_print_diag(const char *prefix, const struct tq_diag *diag)
{
    char line[2048];
    tq_diag_format(line, sizeof(line), diag);
    fprintf(stderr, "%s: %s\n", prefix, line);
}

/* see cli_common.h */
int tq_cli_summarize(const struct tq_report *report, const char *run_dir, double wall_ms)
{
    tq_reports_print_summary(report, run_dir, wall_ms);
    struct tq_report_counts n = tq_report_counts_for(report, NULL);
    if (n.total == n.skipped) {
        fprintf(stderr, "tlsqual: no case was executed: that is an error, not a pass\n");
        return TQ_EXIT_FAILED;
    }
    return n.failed + n.errors ? TQ_EXIT_FAILED : TQ_EXIT_OK;
}
