/* `tlsqual run`: options in, exit code out; the work is in run/runner.c. */
#include "run_cli.h"

#include "cli_common.h"

#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "catalog.h"
#include "certs.h"
#include "fs.h"
#include "proc.h"
#include "reports.h"
#include "results_json.h"
#include "runner.h"

enum { MAX_BACKENDS = 32, MAX_FILTERS = 32, DEFAULT_TIMEOUT_MS = 10000 };

struct run_options {
    const char *scenarios_dir;
    const char *out_dir;
    const char *pki_dir;
    const char *filters[MAX_FILTERS];      /* a case runs when it matches any */
    size_t num_filters;
    const char *baseline;                 /* NULL: SCENARIOS/known-deviations.txt if present */
    const char *backends[MAX_BACKENDS];   /* names or exec:PATH; none: every one found */
    size_t num_backends;
    int timeout_ms;
    int jobs;
    unsigned shard_index, shard_count;
    bool list;
    bool isolate;
};

static const char run_usage[] =
    "usage: tlsqual run [options]\n"
    "Runs every scenario through every backend against the mock broker and writes\n"
    "OUT/junit.xml. Exit 0: all passed; 1: a case failed or could not run; 2: usage or\n"
    "configuration error.\n\n"
    "  --backend NAME      run this backend only (repeatable); NAME may be exec:PATH for any\n"
    "                      executable that speaks docs/backend-protocol.md\n"
    "  --scenarios DIR     scenario folder (default: ./scenarios)\n"
    "  --out DIR           report folder (default: ./results)\n"
    "  --pki DIR           mock PKI, generated when absent (default: OUT/pki)\n"
    "  --filter TEXT       run only cases whose group/name contains TEXT, or tagged NAME\n"
    "                      for TEXT = tag:NAME (repeatable: a case runs when any matches)\n"
    "  --baseline FILE     known deviations per backend (default:\n"
    "                      SCENARIOS/known-deviations.txt when it exists)\n"
    "  --timeout MS        each backend's deadline per case (default 10000)\n"
    "  --jobs N            run N cases at once (default: the number of cores)\n"
    "  --shard K/N         run only the K-th of N shards (1 <= K <= N): every case runs in\n"
    "                      exactly one shard, so N CI jobs together run the whole suite\n"
    "  --isolate           start a fresh backend process for every case (default: each\n"
    "                      worker keeps one process per backend; a crash, hang or protocol\n"
    "                      break still fails only its own case and starts a new process)\n"
    "  --list              list the cases and exit\n"
    "  --help              this text\n";

static int add_backends(struct run_options *o, char *arg)
{
    char *save = NULL;
    for (char *name = strtok_r(arg, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (o->num_backends == MAX_BACKENDS) {
            fprintf(stderr, "tlsqual run: at most %d backends\n", MAX_BACKENDS);
            return TQ_EXIT_USAGE;
        }
        o->backends[o->num_backends++] = name;
    }
    return TQ_EXIT_OK;
}

static int parse_timeout(struct run_options *o, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || v < 100 || v > 600000) {
        fprintf(stderr, "tlsqual run: --timeout wants milliseconds from 100 to 600000, got '%s'\n",
                arg);
        return TQ_EXIT_USAGE;
    }
    o->timeout_ms = (int)v;
    return TQ_EXIT_OK;
}

static int add_filter(struct run_options *o, const char *arg)
{
    if (o->num_filters == MAX_FILTERS) {
        fprintf(stderr, "tlsqual run: at most %d --filter options\n", MAX_FILTERS);
        return TQ_EXIT_USAGE;
    }
    o->filters[o->num_filters++] = arg;
    return TQ_EXIT_OK;
}

static int parse_jobs(struct run_options *o, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || v < 1 || v > 64) {
        fprintf(stderr, "tlsqual run: --jobs wants a number from 1 to 64, got '%s'\n", arg);
        return TQ_EXIT_USAGE;
    }
    o->jobs = (int)v;
    return TQ_EXIT_OK;
}

static int parse_shard(struct run_options *o, const char *arg)
{
    unsigned k = 0, n = 0;
    char tail;
    if (sscanf(arg, "%u/%u%c", &k, &n, &tail) != 2 || n == 0 || k == 0 || k > n) {
        fprintf(stderr, "tlsqual run: --shard wants K/N with 1 <= K <= N, got '%s'\n", arg);
        return TQ_EXIT_USAGE;
    }
    o->shard_index = k - 1;
    o->shard_count = n;
    return TQ_EXIT_OK;
}

static int parse_run_options(struct run_options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'}, {"scenarios", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},     {"pki", required_argument, NULL, 'p'},
        {"filter", required_argument, NULL, 'f'},  {"timeout", required_argument, NULL, 't'},
        {"list", no_argument, NULL, 'l'},          {"help", no_argument, NULL, 'h'},
        {"jobs", required_argument, NULL, 'j'},    {"shard", required_argument, NULL, 'k'},
        {"baseline", required_argument, NULL, 'B'},
        {"isolate", no_argument, NULL, 'I'},
        {NULL, 0, NULL, 0}};
    *o = (struct run_options){.scenarios_dir = tq_cli_default_scenarios_dir(), .out_dir = "results",
                              .timeout_ms = DEFAULT_TIMEOUT_MS,
                              .jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), .shard_count = 1};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        int rc = TQ_EXIT_OK;
        switch (c) {
        case 'b': rc = add_backends(o, optarg); break;
        case 's': o->scenarios_dir = optarg; break;
        case 'o': o->out_dir = optarg; break;
        case 'p': o->pki_dir = optarg; break;
        case 'f': rc = add_filter(o, optarg); break;
        case 'B': o->baseline = optarg; break;
        case 't': rc = parse_timeout(o, optarg); break;
        case 'j': rc = parse_jobs(o, optarg); break;
        case 'k': rc = parse_shard(o, optarg); break;
        case 'l': o->list = true; break;
        case 'I': o->isolate = true; break;
        case 'h': fputs(run_usage, stdout); return -1;
        default: fputs(run_usage, stderr); return TQ_EXIT_USAGE;
        }
        if (rc != TQ_EXIT_OK)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "tlsqual run: unexpected argument '%s'\n%s", argv[optind], run_usage);
        return TQ_EXIT_USAGE;
    }
    return TQ_EXIT_OK;
}

/* struct backend_set holds the probed backends of one run. */
struct backend_set {
    struct tq_backend *items[MAX_BACKENDS];
    size_t num;
};

static void backend_set_cleanup(struct backend_set *set)
{
    for (size_t i = 0; i < set->num; i++)
        tq_backend_free(set->items[i]);
    set->num = 0;
}

static tq_status resolve_backend(struct tq_diag *diag, char *path, size_t path_len,
                                 const char *dir, const char *name)
{
    if (strncmp(name, "exec:", 5) == 0) {
        snprintf(path, path_len, "%s", name + 5);
        return TQ_SUCCESS;
    }
    char file[256];
    snprintf(file, sizeof(file), "tlsqual-backend-%s", name);
    TQ_GUARD(tq_fs_join(diag, path, path_len, dir, file));
    if (!tq_fs_exists(path))
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, path, 0, "no backend called '%s'", name);
    return TQ_SUCCESS;
}

/* struct probe is one backend's --capabilities call, run in a thread of its own: each is a
 * process start and a library initialisation, and a run probes every backend before its first
 * case. */
struct probe {
    pthread_t thread;
    bool started;
    char path[PATH_MAX];
    const char *name;          /* the name asked for, or NULL (found, or exec:PATH) */
    struct tq_backend *backend;
    struct tq_diag diag;
    tq_status st;
};

static void *probe_main(void *arg)
{
    struct probe *p = arg;
    p->st = tq_backend_probe(&p->diag, &p->backend, p->path, p->name);
    return NULL;
}

static tq_status resolve_probes(struct tq_diag *diag, struct probe *probes, size_t *num,
                                const struct run_options *o)
{
    char self[PATH_MAX], dir[PATH_MAX];
    char *found[MAX_BACKENDS];
    size_t num_found = 0;
    TQ_GUARD(tq_fs_self_dir(diag, self, sizeof(self)));
    TQ_GUARD(tq_fs_join(diag, dir, sizeof(dir), self, "backends"));
    if (o->num_backends == 0)
        TQ_GUARD(tq_backend_discover(diag, found, MAX_BACKENDS, &num_found, dir));
    *num = o->num_backends ? o->num_backends : num_found;
    tq_status st = *num ? TQ_SUCCESS
                        : tq_diag_fail(diag, TQ_ERR_NOT_FOUND, dir, 0, "no backend found");
    for (size_t i = 0; i < *num && tq_ok(st); i++) {
        const char *name = o->num_backends ? o->backends[i] : NULL;
        struct probe *p = &probes[i];
        p->name = name && strncmp(name, "exec:", 5) ? name : NULL;
        if (name == NULL)
            snprintf(p->path, sizeof(p->path), "%s", found[i]);
        else
            st = resolve_backend(diag, p->path, sizeof(p->path), dir, name);
    }
    for (size_t i = 0; i < num_found; i++)
        free(found[i]);
    return st;
}

static tq_status probe_backends(struct tq_diag *diag, struct backend_set *set,
                                const struct run_options *o)
{
    struct probe probes[MAX_BACKENDS] = {{.started = false}};
    size_t num = 0;
    TQ_GUARD(resolve_probes(diag, probes, &num, o));
    for (size_t i = 0; i < num; i++)
        probes[i].started = pthread_create(&probes[i].thread, NULL, probe_main, &probes[i]) == 0;
    for (size_t i = 0; i < num; i++) {
        if (probes[i].started)
            pthread_join(probes[i].thread, NULL);
        else
            probe_main(&probes[i]);
    }
    tq_status st = TQ_SUCCESS;
    for (size_t i = 0; i < num; i++) { /* in order: the first failure is the one reported */
        if (tq_ok(st) && !tq_ok(probes[i].st)) {
            *diag = probes[i].diag;
            st = probes[i].st;
        }
        if (tq_ok(probes[i].st))
            set->items[set->num++] = probes[i].backend;
    }
    return st;
}

static int list_cases(const struct tq_catalog *cat, const struct backend_set *set,
                      const struct run_options *o)
{
    for (size_t b = 0; b < set->num; b++)
        for (size_t i = 0; i < cat->num; i++) {
            char full[512];
            snprintf(full, sizeof(full), "%s/%s", cat->groups[i], cat->items[i]->name);
            if (tq_runner_selects(o->filters, o->num_filters, cat->groups[i], cat->items[i]))
                printf("%s %s\n", tq_backend_name(set->items[b]), full);
        }
    return TQ_EXIT_OK;
}

static tq_status set_properties(struct tq_report *report, const struct backend_set *set,
                                const struct tq_manifest *pki, const struct run_options *o)
{
    TQ_GUARD(tq_report_set_property(report, "tlsqual.version", TQ_VERSION));
    TQ_GUARD(tq_report_set_property(report, "pki.generated_at", tq_manifest_generated_at(pki)));
    TQ_GUARD(tq_report_set_property(report, "scenarios", o->scenarios_dir));
    for (size_t i = 0; i < set->num; i++) {
        char name[160];
        snprintf(name, sizeof(name), "backend.%s.library", tq_backend_name(set->items[i]));
        TQ_GUARD(tq_report_set_property(report, name, tq_backend_library(set->items[i])));
    }
    return TQ_SUCCESS;
}

static tq_status prepare_pki(struct tq_diag *diag, struct tq_manifest **out,
                             const struct run_options *o, char *pki_dir, size_t pki_dir_len)
{
    if (o->pki_dir)
        snprintf(pki_dir, pki_dir_len, "%s", o->pki_dir);
    else
        TQ_GUARD(tq_fs_join(diag, pki_dir, pki_dir_len, o->out_dir, "pki"));
    TQ_GUARD(tq_fs_mkdirs(diag, pki_dir, 0755));
    struct tq_certs_options certs = {.quiet = true};
    TQ_GUARD(tq_certs_generate(diag, pki_dir, &certs));
    return tq_manifest_load(diag, out, pki_dir);
}

/* make_run_dir creates OUT/<run-id> for this run's reports and logs (reports.h); a shard's id
 * says which shard it is. */
static tq_status make_run_dir(struct tq_diag *diag, char *out, size_t out_len, char *run_id,
                              size_t run_id_len, const struct run_options *o)
{
    char suffix[64] = "";
    if (o->shard_count > 1)
        snprintf(suffix, sizeof(suffix), "-shard%uof%u", o->shard_index + 1, o->shard_count);
    return tq_reports_make_run_dir(diag, out, out_len, run_id, run_id_len, o->out_dir, suffix);
}

static tq_status load_baseline(struct tq_diag *diag, struct tq_baseline **out,
                               const struct run_options *o)
{
    char path[PATH_MAX];
    *out = NULL;
    if (o->baseline)
        return tq_baseline_load(diag, out, o->baseline);
    TQ_GUARD(tq_fs_join(diag, path, sizeof(path), o->scenarios_dir, "known-deviations.txt"));
    return tq_fs_exists(path) ? tq_baseline_load(diag, out, path) : TQ_SUCCESS;
}

static int run_and_report(const struct run_options *o, const struct tq_catalog *cat,
                          const struct backend_set *set)
{
    char pki_dir[PATH_MAX], run_dir[PATH_MAX], run_id[128];
    struct tq_diag diag = {0};
    struct tq_manifest *pki = NULL;
    struct tq_report *report = NULL;
    struct tq_baseline *baseline = NULL;
    int rc = TQ_EXIT_FAILED;
    if (!tq_ok(load_baseline(&diag, &baseline, o)) ||
        !tq_ok(tq_fs_mkdirs(&diag, o->out_dir, 0755)) ||
        !tq_ok(prepare_pki(&diag, &pki, o, pki_dir, sizeof(pki_dir))) ||
        !tq_ok(make_run_dir(&diag, run_dir, sizeof(run_dir), run_id, sizeof(run_id), o))) {
        tq_cli_print_diag("tlsqual run", &diag);
        tq_baseline_free(baseline);
        tq_manifest_free(pki);
        return TQ_EXIT_USAGE;
    }
    if (tq_catalog_check_pki(cat, pki, stderr) > 0) {
        tq_baseline_free(baseline);
        tq_manifest_free(pki);
        return TQ_EXIT_USAGE;
    }
    struct tq_runner_config cfg = {
        .catalog = cat, .backends = set->items, .num_backends = set->num, .pki = pki,
        .pki_dir = pki_dir, .out_dir = run_dir, .filters = o->filters, .num_filters = o->num_filters, .baseline = baseline,
        .timeout_ms = o->timeout_ms, .jobs = o->jobs, .isolate = o->isolate,
        .shard_index = o->shard_index,
        .shard_count = o->shard_count, .console = stdout};
    double start = tq_now_ms();
    if (tq_ok(tq_report_new(&report)) && tq_ok(set_properties(report, set, pki, o)) &&
        tq_ok(tq_report_set_property(report, "run.id", run_id)) &&
        tq_ok(tq_runner_run(&diag, report, &cfg)) &&
        tq_ok(tq_reports_write(&diag, report, run_dir, o->out_dir))) {
        tq_reports_point_latest(o->out_dir, run_id);
        rc = tq_cli_summarize(report, run_dir, tq_now_ms() - start);
    }
    else
        tq_cli_print_diag("tlsqual run", &diag);
    tq_report_free(report);
    tq_baseline_free(baseline);
    tq_manifest_free(pki);
    return rc;
}

/* see run_cli.h */
int tq_run_cli(int argc, char **argv)
{
    struct run_options o;
    int rc = parse_run_options(&o, argc, argv);
    if (rc != TQ_EXIT_OK)
        return rc < 0 ? TQ_EXIT_OK : rc;
    signal(SIGPIPE, SIG_IGN);   /* a backend that dies before reading its case is one failure */
    static struct tq_catalog cat;
    size_t num_errors = 0;
    bool loaded = tq_ok(tq_catalog_load(&cat, &num_errors, o.scenarios_dir, stderr));
    num_errors += loaded ? tq_catalog_check_specs(&cat, tq_cli_default_facts_path(), stderr) : 0;
    if (!loaded || num_errors > 0) {
        fprintf(stderr, "tlsqual run: %zu problem(s) in the scenarios; nothing was run\n",
                num_errors);
        tq_catalog_cleanup(&cat);
        return TQ_EXIT_USAGE;
    }
    struct backend_set set = {.num = 0};
    struct tq_diag diag = {0};
    if (!tq_ok(probe_backends(&diag, &set, &o))) {
        tq_cli_print_diag("tlsqual run", &diag);
        rc = TQ_EXIT_USAGE;
    } else {
        rc = o.list ? list_cases(&cat, &set, &o) : run_and_report(&o, &cat, &set);
    }
    backend_set_cleanup(&set);
    tq_catalog_cleanup(&cat);
    return rc;
}
