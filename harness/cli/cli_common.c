/* Helpers shared by the subcommands of cli/. */
#include "cli_common.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "reports.h"
#include "run_cli.h"

/* see cli_common.h */
const char *tq_cli_default_scenarios_dir(const char **out_why)
{
    static const char source_suite[] = TQ_SOURCE_DIR "/scenarios";
    if (tq_fs_exists("scenarios")) {
        *out_why = "./scenarios in the current folder";
        return "scenarios";
    }
    if (tq_fs_exists(source_suite)) {
        *out_why = "no ./scenarios here, so the suite of the source tree tlsqual was built from; "
                   "--scenarios DIR chooses another";
        return source_suite;
    }
    *out_why = NULL;
    return NULL;
}

/* see cli_common.h */
void tq_cli_scenarios_missing(const char *command)
{
    fprintf(stderr,
            "tlsqual %s: no scenario folder: there is no ./scenarios here, and the source "
            "tree tlsqual was built from (%s) has none; give --scenarios DIR\n",
            command, TQ_SOURCE_DIR);
}

/* see cli_common.h */
tq_status tq_cli_default_reference_dir(struct tq_diag *diag, char *out, size_t out_len,
                                       const char *scenarios_dir)
{
    char real[PATH_MAX];
    if (realpath(scenarios_dir, real) == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, scenarios_dir, 0,
                            "cannot resolve the scenario folder: %s", strerror(errno));
    char *slash = strrchr(real, '/');
    *(slash == real ? slash + 1 : slash) = '\0'; /* the folder above; "/" stays "/" */
    return tq_fs_join(diag, out, out_len, real, "docs/aws-iot");
}

/* see cli_common.h */
size_t tq_cli_check_specs(const char *command, const struct tq_catalog *cat,
                          const char *docs_option, const char *scenarios_dir)
{
    char dir[PATH_MAX];
    struct tq_diag diag = {0};
    if (docs_option != NULL && !tq_fs_exists(docs_option)) {
        fprintf(stderr,
                "tlsqual %s: --docs %s: no such folder (want the AWS IoT reference, "
                "docs/aws-iot of the repository)\n",
                command, docs_option);
        return 1;
    }
    if (docs_option != NULL)
        snprintf(dir, sizeof(dir), "%s", docs_option);
    else if (!tq_ok(tq_cli_default_reference_dir(&diag, dir, sizeof(dir), scenarios_dir))) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "tlsqual %s", command);
        tq_cli_print_diag(prefix, &diag);
        return 1;
    }
    size_t problems = tq_catalog_check_specs(cat, dir, stderr);
    if (problems > 0 && docs_option == NULL && !tq_fs_exists(dir))
        fprintf(stderr,
                "tlsqual %s: the AWS IoT reference that spec: cites is looked for in "
                "docs/aws-iot beside the scenario folder, and %s does not exist; --docs DIR "
                "names it\n",
                command, dir);
    return problems;
}

static bool catalog_has_case(const void *ctx, const char *case_id)
{
    const struct tq_catalog *cat = ctx;
    return tq_catalog_find(cat, case_id) < cat->num;
}

/* see cli_common.h */
size_t tq_cli_check_baseline(const struct tq_baseline *b, const struct tq_catalog *cat,
                             bool check_backends, const char *const *backends, size_t num_backends)
{
    enum { MAX_KNOWN = 64 };
    char reference[] = TQ_REFERENCE_BACKENDS, *save = NULL;
    const char *known[MAX_KNOWN];
    size_t num = 0;
    for (size_t i = 0; i < num_backends && num < MAX_KNOWN; i++)
        known[num++] = backends[i];
    for (char *name = strtok_r(reference, ",", &save); name && num < MAX_KNOWN;
         name = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < num && strcmp(known[i], name) != 0)
            i++;
        if (i == num)
            known[num++] = name;
    }
    struct tq_baseline_known k = {.backends = check_backends ? known : NULL,
                                  .num_backends = check_backends ? num : 0,
                                  .has_case = catalog_has_case,
                                  .ctx = cat};
    return tq_baseline_check(b, &k, stderr);
}

/* see cli_common.h */
tq_status tq_cli_check_pki_dir(struct tq_diag *diag, const char *dir, const char *option,
                               const char *how_to_create)
{
    char manifest[PATH_MAX];
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, NULL, 0,
                            "%s %s: no such folder; make a PKI with `tlsqual certs --out %s`, "
                            "%s",
                            option, dir, dir, how_to_create);
    TQ_GUARD(tq_fs_join(diag, manifest, sizeof(manifest), dir, "manifest.json"));
    if (!tq_fs_exists(manifest))
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, NULL, 0,
                            "%s %s: the folder holds no PKI (no manifest.json); make one with "
                            "`tlsqual certs --out %s`, %s",
                            option, dir, dir, how_to_create);
    return TQ_SUCCESS;
}

/* see cli_common.h */
void tq_cli_print_diag(const char *prefix, const struct tq_diag *diag)
{
    char line[2048];
    tq_diag_format(line, sizeof(line), diag);
    fprintf(stderr, "%s: %s\n", prefix, line);
}

/* see cli_common.h */
tq_status tq_cli_note_interruption(struct tq_report *report, size_t *out_num)
{
    char reason[256];
    *out_num = 0;
    for (size_t i = 0; i < tq_report_count(report); i++)
        *out_num += tq_case_interrupted(tq_report_at(report, i));
    if (*out_num == 0)
        return TQ_SUCCESS;
    snprintf(reason, sizeof(reason),
             "interrupted by a signal: %zu of %zu cases did not run to a verdict (errors whose "
             "message begins \"" TQ_REPORT_INTERRUPTED "\")",
             *out_num, tq_report_count(report));
    return tq_report_mark_incomplete(report, reason);
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
    if (tq_report_incomplete(report) != NULL) {
        fprintf(stderr, "tlsqual: the report is incomplete (%s): that is never a pass\n",
                tq_report_incomplete(report));
        return TQ_EXIT_FAILED;
    }
    return n.failed + n.errors ? TQ_EXIT_FAILED : TQ_EXIT_OK;
}
