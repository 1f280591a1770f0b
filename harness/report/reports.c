/* Report folders and the three report writers, called in one place. */
#include "reports.h"

#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "html.h"
#include "junit.h"
#include "results_json.h"

static void iso8601_now(char *out, size_t out_len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, out_len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* see reports.h */
tq_status tq_reports_make_run_dir(struct tq_diag *diag, char *out, size_t out_len, char *run_id,
                                  size_t run_id_len, const char *out_dir, const char *suffix)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(run_id, run_id_len, "%s-%ld%s", stamp, (long)getpid(), suffix);
    TQ_GUARD(tq_fs_join(diag, out, out_len, out_dir, run_id));
    return tq_fs_mkdirs(diag, out, 0755);
}

/* see reports.h */
void tq_reports_point_latest(const char *out_dir, const char *run_id)
{
    char link_path[PATH_MAX], tmp[PATH_MAX];
    snprintf(link_path, sizeof(link_path), "%s/latest", out_dir);
    snprintf(tmp, sizeof(tmp), "%s/.latest.%ld", out_dir, (long)getpid());
    unlink(tmp);
    if (symlink(run_id, tmp) != 0 || rename(tmp, link_path) != 0)
        unlink(tmp);
}

/* see reports.h */
tq_status tq_reports_write(struct tq_diag *diag, const struct tq_report *report, const char *dir,
                           const char *copy_dir)
{
    char path[PATH_MAX], stamp[32], host[256] = "localhost";
    iso8601_now(stamp, sizeof(stamp));
    gethostname(host, sizeof(host) - 1);
    TQ_GUARD(tq_fs_join(diag, path, sizeof(path), dir, "results.json"));
    TQ_GUARD(tq_results_json_write(diag, path, report));
    TQ_GUARD(tq_fs_join(diag, path, sizeof(path), dir, "report.html"));
    TQ_GUARD(tq_html_write(diag, path, report));
    TQ_GUARD(tq_fs_join(diag, path, sizeof(path), dir, "junit.xml"));
    TQ_GUARD(tq_junit_write(diag, path, report, stamp, host));
    if (copy_dir == NULL)
        return TQ_SUCCESS;
    TQ_GUARD(tq_fs_join(diag, path, sizeof(path), copy_dir, "junit.xml"));
    return tq_junit_write(diag, path, report, stamp, host);
}

/* see reports.h */
void tq_reports_print_summary(const struct tq_report *report, const char *run_dir, double wall_ms)
{
    struct tq_report_counts n = tq_report_counts_for(report, NULL);
    const char *incomplete = tq_report_incomplete(report);
    printf("\n%zu cases: %zu passed (%zu with warnings), %zu failed, %zu errors, %zu skipped in "
           "%.1f s\nreports: %s/{junit.xml,results.json,report.html}\n",
           n.total, n.passed, n.warned, n.failed, n.errors, n.skipped, wall_ms / 1000, run_dir);
    if (incomplete != NULL)
        printf("INCOMPLETE: %s\n", incomplete);
    /* The counts of junit.xml: failures and errors apart, warnings among the passed. */
    printf("summary: %zu passed, %zu failed, %zu errors, %zu skipped, %zu warnings%s\n", n.passed,
           n.failed, n.errors, n.skipped, n.warned, incomplete ? ", incomplete" : "");
}
