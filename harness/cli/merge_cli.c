/* `tlsqual merge`: the reports of a run's shards combined into one. */
#include "run_cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "fs.h"
#include "reports.h"
#include "results_json.h"

static const char merge_usage[] =
    "usage: tlsqual merge --out DIR RUN...\n"
    "Combines the reports of shards (each RUN a run folder or its results.json) into one:\n"
    "DIR/junit.xml and DIR/results.json, cases in the order of an unsharded run. A case that\n"
    "appears in two shards is an error. Exit 0: merged and every case passed; 1: merged, and a\n"
    "case failed; 2: usage or unreadable input.\n";

static tq_status merge_one(struct tq_diag *diag, struct tq_report *report, const char *arg)
{
    char path[PATH_MAX];
    struct stat sb;
    if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
        TQ_GUARD(tq_fs_join(diag, path, sizeof(path), arg, "results.json"));
    else
        snprintf(path, sizeof(path), "%s", arg);
    return tq_results_json_read(diag, report, path);
}

static size_t report_duplicates(const struct tq_report *r)
{
    size_t dups = 0;
    for (size_t i = 1; i < tq_report_count(r); i++) {
        const struct tq_case_record *a = tq_report_at(r, i - 1), *b = tq_report_at(r, i);
        if (a->seq == b->seq && strcmp(a->backend, b->backend) == 0 &&
            strcmp(a->name, b->name) == 0) {
            fprintf(stderr, "tlsqual merge: case '%s' of %s is in two shards\n", a->name,
                    a->backend);
            dups++;
        }
    }
    return dups;
}

/* see run_cli.h */
int tq_merge_cli(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out_dir = NULL;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        if (c == 'o') {
            out_dir = optarg;
        } else {
            fputs(merge_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? TQ_EXIT_OK : TQ_EXIT_USAGE;
        }
    }
    if (out_dir == NULL || optind == argc) {
        fputs(merge_usage, stderr);
        return TQ_EXIT_USAGE;
    }
    struct tq_report *report = NULL;
    struct tq_diag diag = {0};
    int rc = TQ_EXIT_USAGE;
    tq_status st = tq_report_new(&report);
    for (int i = optind; tq_ok(st) && i < argc; i++)
        st = merge_one(&diag, report, argv[i]);
    if (tq_ok(st)) {
        tq_report_sort_by_seq(report);
        if (report_duplicates(report) == 0 && tq_ok(st = tq_fs_mkdirs(&diag, out_dir, 0755)) &&
            tq_ok(st = tq_reports_write(&diag, report, out_dir, NULL)))
            rc = tq_cli_summarize(report, out_dir, 0);
    }
    if (!tq_ok(st))
        tq_cli_print_diag("tlsqual merge", &diag);
    tq_report_free(report);
    return rc;
}
