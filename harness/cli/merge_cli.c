/* `tlsqual merge`: the reports of a run's shards combined into one. */
#include "run_cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "fs.h"
#include "merge.h"
#include "reports.h"
#include "results_json.h"

static const char merge_usage[] =
    "usage: tlsqual merge --out DIR [--allow-partial] RUN...\n"
    "Combines the reports of the shards of one run (each RUN a run folder or its results.json)\n"
    "into one: DIR/{junit.xml,results.json,report.html}, cases in the order of an unsharded run.\n"
    "Refuses, writing nothing, reports that are not every shard of one run: a shard missing or\n"
    "given twice, shards of different counts (1/2 and 2/3), or of different runs (scenario\n"
    "files, filters, backends or their versions, PKI, baseline, tlsqual or --run-id differ).\n\n"
    "  --allow-partial  merge even with shards missing: the report names them and is marked\n"
    "                   incomplete\n\n"
    "Exit 0: merged, complete, and every case passed; 1: merged, and a case failed or the report\n"
    "is incomplete; 2: usage, unreadable input, or shards that do not make one run.\n";

/* struct inputs holds each shard's report, read from its own results.json. */
struct inputs {
    struct tq_merge_input *items; /* items[i].report is reports[i] */
    struct tq_report **reports;   /* owned */
    char (*paths)[PATH_MAX];
    size_t num;
};

static void inputs_cleanup(struct inputs *in)
{
    for (size_t i = 0; i < in->num; i++)
        tq_report_free(in->reports[i]);
    free(in->items);
    free(in->reports);
    free(in->paths);
}

static tq_status read_input(struct tq_diag *diag, struct inputs *in, const char *arg)
{
    char *path = in->paths[in->num];
    struct stat sb;
    if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode))
        TQ_GUARD(tq_fs_join(diag, path, PATH_MAX, arg, "results.json"));
    else
        snprintf(path, PATH_MAX, "%s", arg);
    TQ_GUARD(tq_report_new(&in->reports[in->num]));
    in->items[in->num] = (struct tq_merge_input){.report = in->reports[in->num], .source = path};
    return tq_results_json_read(diag, in->reports[in->num++], path);
}

static tq_status merge(struct tq_diag *diag, struct tq_report *out, char **args, size_t num,
                       bool allow_partial)
{
    struct inputs in TQ_DEFER(inputs_cleanup) = {.items = calloc(num, sizeof(*in.items)),
                                                 .reports = calloc(num, sizeof(*in.reports)),
                                                 .paths = calloc(num, sizeof(*in.paths))};
    TQ_ENSURE(in.items != NULL && in.reports != NULL && in.paths != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < num; i++)
        TQ_GUARD(read_input(diag, &in, args[i]));
    return tq_merge_shards(diag, out, in.items, in.num, allow_partial);
}

/* see run_cli.h */
int tq_merge_cli(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"allow-partial", no_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out_dir = NULL;
    bool allow_partial = false;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        if (c == 'o') {
            out_dir = optarg;
        } else if (c == 'p') {
            allow_partial = true;
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
    if (tq_ok(st) &&
        tq_ok(st = merge(&diag, report, argv + optind, (size_t)(argc - optind), allow_partial)) &&
        tq_ok(st = tq_fs_mkdirs(&diag, out_dir, 0755)) &&
        tq_ok(st = tq_reports_write(&diag, report, out_dir, NULL)))
        rc = tq_cli_summarize(report, out_dir, 0);
    if (!tq_ok(st))
        tq_cli_print_diag("tlsqual merge", &diag);
    tq_report_free(report);
    return rc;
}
