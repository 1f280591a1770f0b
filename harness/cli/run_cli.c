/* `tlsqual run`: options in, exit code out; the work is in run/runner.c. */
#include "run_cli.h"

#include "cli_common.h"

#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
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
#include "run_identity.h"
#include "runner.h"

enum { MAX_BACKENDS = 32, MAX_FILTERS = 32, MAX_CASE_IDS = 256, DEFAULT_TIMEOUT_MS = 10000 };

struct run_options {
    const char *scenarios_dir;
    const char *out_dir;
    const char *pki_dir;
    const char *filters[MAX_FILTERS]; /* a case runs when it matches any */
    size_t num_filters;
    const char *case_ids[MAX_CASE_IDS]; /* --case: exact case IDs (catalog.h), likewise */
    size_t num_case_ids;
    const char *scenarios_why;          /* how scenarios_dir was chosen, for the header */
    const char *docs;                   /* --docs: the AWS IoT reference; NULL: beside it */
    bool pki_create;                    /* --pki-create: make --pki's PKI when absent */
    const char *baseline;               /* NULL: SCENARIOS/known-deviations.txt if present */
    const char *backends[MAX_BACKENDS]; /* names or exec:PATH; none: every one found */
    size_t num_backends;
    int timeout_ms;
    int jobs;
    unsigned shard_index, shard_count;
    const char *run_id; /* --run-id: shards merge only with the same one */
    bool list;
    bool isolate;
};

static const char run_usage[] =
    "usage: tlsqual run [options]\n"
    "Runs every scenario through every backend against the mock broker and writes\n"
    "OUT/junit.xml. Exit 0: all passed; 1: a case failed or could not run; 2: usage or\n"
    "configuration error (also: a filter that selects no case); 130: stopped by SIGINT or\n"
    "SIGTERM (the reports are written and marked incomplete).\n\n"
    "  --backend NAME      run this backend only (repeatable); NAME may be exec:PATH for any\n"
    "                      executable that speaks docs/backend-protocol.md\n"
    "  --scenarios DIR     scenario folder (default: ./scenarios, else the suite of the\n"
    "                      source tree tlsqual was built from; the header says which)\n"
    "  --out DIR           report folder (default: ./results)\n"
    "  --pki DIR           mock PKI made by `tlsqual certs --out DIR` (completed when an\n"
    "                      artifact is missing; default: OUT/pki, generated when absent)\n"
    "  --pki-create        generate the --pki PKI when DIR holds none (else that is an error)\n"
    "  --case ID           run only the case ID, exactly: group/name as --list prints it\n"
    "                      (repeatable; with --backend, one case per backend)\n"
    "  --filter TEXT       run only cases whose ID contains TEXT (a substring: it may match\n"
    "                      several), or tagged NAME for TEXT = tag:NAME (repeatable: a case\n"
    "                      runs when any --filter or --case matches)\n"
    "  --docs DIR          the AWS IoT reference that spec: cites as docs/aws-iot/ (default:\n"
    "                      docs/aws-iot beside the scenario folder)\n"
    "  --baseline FILE     known deviations per backend (default:\n"
    "                      SCENARIOS/known-deviations.txt when it exists)\n"
    "  --timeout MS        each backend's deadline per case (default 10000)\n"
    "  --jobs N            run N cases at once (default: the number of cores)\n"
    "  --shard K/N         run only the K-th of N shards (1 <= K <= N): every case runs in\n"
    "                      exactly one shard, so N CI jobs together run the whole suite\n"
    "  --run-id ID         the run's id in the reports (e.g. the CI pipeline id); `tlsqual\n"
    "                      merge` refuses shards whose ids differ (default: the run's\n"
    "                      identity, a digest of what it ran: docs/report-format.md)\n"
    "  --isolate           start a fresh backend process for every case (default: each\n"
    "                      worker keeps one process per backend; a crash, hang or protocol\n"
    "                      break still fails only its own case and starts a new process)\n"
    "  --list              list the selected cases, one \"BACKEND CASE-ID\" a line, and exit\n"
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

static int add_case_id(struct run_options *o, const char *arg)
{
    if (o->num_case_ids == MAX_CASE_IDS) {
        fprintf(stderr, "tlsqual run: at most %d --case options\n", MAX_CASE_IDS);
        return TQ_EXIT_USAGE;
    }
    o->case_ids[o->num_case_ids++] = arg;
    return TQ_EXIT_OK;
}

/* selection_of is what --filter and --case select (runner.h). */
static struct tq_runner_selection selection_of(const struct run_options *o)
{
    return (struct tq_runner_selection){.filters = o->filters,
                                        .num_filters = o->num_filters,
                                        .case_ids = o->case_ids,
                                        .num_case_ids = o->num_case_ids};
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

/* The options that only keep their argument (a string member) or set a flag (a bool member). */
static const struct {
    int opt;
    size_t offset;
    bool flag;
} stored_options[] = {
    {'s', offsetof(struct run_options, scenarios_dir), false},
    {'o', offsetof(struct run_options, out_dir), false},
    {'p', offsetof(struct run_options, pki_dir), false},
    {'d', offsetof(struct run_options, docs), false},
    {'B', offsetof(struct run_options, baseline), false},
    {'r', offsetof(struct run_options, run_id), false},
    {'C', offsetof(struct run_options, pki_create), true},
    {'l', offsetof(struct run_options, list), true},
    {'I', offsetof(struct run_options, isolate), true},
};

/* apply_option applies option `opt` with argument `arg`: TQ_EXIT_OK, -1 after --help, or the
 * exit code of a bad value. */
static int apply_option(struct run_options *o, int opt, char *arg)
{
    for (size_t i = 0; i < sizeof(stored_options) / sizeof(stored_options[0]); i++) {
        if (stored_options[i].opt != opt)
            continue;
        char *field = (char *)o + stored_options[i].offset;
        if (stored_options[i].flag)
            *(bool *)field = true;
        else
            *(const char **)field = arg;
        return TQ_EXIT_OK;
    }
    switch (opt) {
    case 'b':
        return add_backends(o, arg);
    case 'f':
        return add_filter(o, arg);
    case 'c':
        return add_case_id(o, arg);
    case 't':
        return parse_timeout(o, arg);
    case 'j':
        return parse_jobs(o, arg);
    case 'k':
        return parse_shard(o, arg);
    case 'h':
        return fputs(run_usage, stdout), -1;
    default:
        return fputs(run_usage, stderr), TQ_EXIT_USAGE;
    }
}

/* check_run_options checks what no single option can: leftovers, --pki-create without --pki,
 * and where the scenarios come from. */
static int check_run_options(struct run_options *o, int argc, char **argv)
{
    if (optind < argc) {
        fprintf(stderr, "tlsqual run: unexpected argument '%s'\n%s", argv[optind], run_usage);
        return TQ_EXIT_USAGE;
    }
    if (o->pki_create && o->pki_dir == NULL) {
        fprintf(stderr, "tlsqual run: --pki-create goes with --pki DIR (the default, OUT/pki, is "
                        "generated when absent)\n");
        return TQ_EXIT_USAGE;
    }
    if (o->scenarios_dir == NULL &&
        (o->scenarios_dir = tq_cli_default_scenarios_dir(&o->scenarios_why)) == NULL) {
        tq_cli_scenarios_missing("run");
        return TQ_EXIT_USAGE;
    }
    return TQ_EXIT_OK;
}

static int parse_run_options(struct run_options *o, int argc, char **argv)
{
    static const struct option longopts[] = {{"backend", required_argument, NULL, 'b'},
                                             {"scenarios", required_argument, NULL, 's'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"pki", required_argument, NULL, 'p'},
                                             {"filter", required_argument, NULL, 'f'},
                                             {"timeout", required_argument, NULL, 't'},
                                             {"list", no_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"jobs", required_argument, NULL, 'j'},
                                             {"shard", required_argument, NULL, 'k'},
                                             {"baseline", required_argument, NULL, 'B'},
                                             {"isolate", no_argument, NULL, 'I'},
                                             {"run-id", required_argument, NULL, 'r'},
                                             {"case", required_argument, NULL, 'c'},
                                             {"docs", required_argument, NULL, 'd'},
                                             {"pki-create", no_argument, NULL, 'C'},
                                             {NULL, 0, NULL, 0}};
    *o = (struct run_options){.scenarios_why = "given with --scenarios",
                              .out_dir = "results",
                              .timeout_ms = DEFAULT_TIMEOUT_MS,
                              .jobs = (int)sysconf(_SC_NPROCESSORS_ONLN),
                              .shard_count = 1};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        int rc = apply_option(o, c, optarg);
        if (rc != TQ_EXIT_OK)
            return rc;
    }
    return check_run_options(o, argc, argv);
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

static tq_status resolve_backend(struct tq_diag *diag, char *path, size_t path_len, const char *dir,
                                 const char *name)
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
    const char *name; /* the name asked for, or NULL (found, or exec:PATH) */
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
    tq_status st =
        *num ? TQ_SUCCESS : tq_diag_fail(diag, TQ_ERR_NOT_FOUND, dir, 0, "no backend found");
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
    struct tq_runner_selection sel = selection_of(o);
    for (size_t b = 0; b < set->num; b++)
        for (size_t i = 0; i < cat->num; i++) {
            char full[512];
            snprintf(full, sizeof(full), "%s/%s", cat->groups[i], cat->items[i]->name);
            if (tq_runner_selects(&sel, cat->groups[i], cat->items[i]))
                printf("%s %s\n", tq_backend_name(set->items[b]), full);
        }
    return TQ_EXIT_OK;
}

/* planned_cases counts the cases of the whole run (every shard): backends x selected
 * scenarios. */
static size_t planned_cases(const struct tq_catalog *cat, const struct backend_set *set,
                            const struct run_options *o)
{
    size_t selected = 0;
    struct tq_runner_selection sel = selection_of(o);
    for (size_t i = 0; i < cat->num; i++)
        selected += tq_runner_selects(&sel, cat->groups[i], cat->items[i]);
    return selected * set->num;
}

/* no_case_selected explains a run that would run nothing: a usage error, before any folder is
 * made or OUT/latest moved. */
static int no_case_selected(const struct tq_catalog *cat, const struct run_options *o)
{
    fprintf(stderr, "tlsqual run: no case to run: ");
    if (o->num_filters + o->num_case_ids == 0)
        fprintf(stderr, "%s holds no scenario", o->scenarios_dir);
    else
        fprintf(stderr, "no scenario of the %zu in %s matches", cat->num, o->scenarios_dir);
    for (size_t i = 0; i < o->num_filters; i++)
        fprintf(stderr, "%s --filter '%s'", i ? " or" : "", o->filters[i]);
    for (size_t i = 0; i < o->num_case_ids; i++)
        fprintf(stderr, "%s --case '%s'", i + o->num_filters ? " or" : "", o->case_ids[i]);
    fprintf(stderr, " (a filter matches a substring of the case ID group/name, or tag:NAME; "
                    "`tlsqual run --list` lists the IDs); nothing was run and no report "
                    "written\n");
    return TQ_EXIT_USAGE;
}

/* prepare_pki completes the PKI of the run. A --pki folder must hold one already unless
 * --pki-create asks to make it: a mistyped folder would otherwise become a brand-new PKI, in
 * silence. The default, OUT/pki, is the run's own and is made when absent. */
static tq_status prepare_pki(struct tq_diag *diag, struct tq_manifest **out,
                             const struct run_options *o, char *pki_dir, size_t pki_dir_len)
{
    char manifest[PATH_MAX];
    if (o->pki_dir)
        snprintf(pki_dir, pki_dir_len, "%s", o->pki_dir);
    else
        TQ_GUARD(tq_fs_join(diag, pki_dir, pki_dir_len, o->out_dir, "pki"));
    if (o->pki_dir && !o->pki_create)
        TQ_GUARD(tq_cli_check_pki_dir(diag, pki_dir, "--pki",
                                      "or add --pki-create to let this run generate it"));
    TQ_GUARD(tq_fs_join(diag, manifest, sizeof(manifest), pki_dir, "manifest.json"));
    if (!tq_fs_exists(manifest))
        fprintf(stderr,
                "tlsqual run: generating a new mock PKI in %s (%s); the first time "
                "takes about 15 s\n",
                pki_dir, o->pki_dir ? "--pki-create" : "OUT/pki");
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

/* baseline_path writes the known-deviations file of the run into `out`, or "" for none: --baseline,
 * else SCENARIOS/known-deviations.txt when it exists. */
static tq_status baseline_path(struct tq_diag *diag, char *out, size_t out_len,
                               const struct run_options *o)
{
    if (o->baseline) {
        snprintf(out, out_len, "%s", o->baseline);
        return TQ_SUCCESS;
    }
    TQ_GUARD(tq_fs_join(diag, out, out_len, o->scenarios_dir, "known-deviations.txt"));
    if (!tq_fs_exists(out))
        out[0] = '\0';
    return TQ_SUCCESS;
}

/* load_baseline reads the run's baseline and refuses a line that can never match: a case the
 * catalog lacks, or a backend that is neither in this run nor a reference backend. */
static tq_status load_baseline(struct tq_diag *diag, struct tq_baseline **out,
                               const struct run_options *o, const struct tq_catalog *cat,
                               const struct backend_set *set)
{
    char path[PATH_MAX];
    const char *names[MAX_BACKENDS];
    *out = NULL;
    TQ_GUARD(baseline_path(diag, path, sizeof(path), o));
    if (path[0] == '\0')
        return TQ_SUCCESS;
    TQ_GUARD(tq_baseline_load(diag, out, path));
    for (size_t i = 0; i < set->num; i++)
        names[i] = tq_backend_name(set->items[i]);
    size_t problems = tq_cli_check_baseline(*out, cat, true, names, set->num);
    if (problems == 0)
        return TQ_SUCCESS;
    tq_baseline_free(*out);
    *out = NULL;
    return tq_diag_fail(diag, TQ_ERR_PARSE, path, 0,
                        "%zu line(s) can never match (above): "
                        "fix or remove them",
                        problems);
}

/* struct rerun_line is the argv of the "rerun:" line of failed cases (runner.h) and the
 * strings it points to: this executable and this run's options, paths made absolute. */
struct rerun_line {
    char self[PATH_MAX], scenarios[PATH_MAX], pki[PATH_MAX], out[PATH_MAX];
    char baseline[PATH_MAX], docs[PATH_MAX], timeout[16];
    char backends[MAX_BACKENDS][PATH_MAX + 8];
    const char *argv[24];
    const char *backend_args[MAX_BACKENDS];
    struct tq_runner_rerun rerun;
};

static void absolute(char *out, const char *path)
{
    if (realpath(path, out) == NULL)
        snprintf(out, PATH_MAX, "%s", path);
}

/* backend_arg writes how --backend names backend `i`: as it was given (exec:PATH made
 * absolute), or for a discovered one, the NAME of its tlsqual-backend-NAME. */
static void backend_arg(char *out, size_t out_len, const struct backend_set *set, size_t i,
                        const struct run_options *o)
{
    static const char exec_prefix[] = "exec:", file_prefix[] = "tlsqual-backend-";
    char path[PATH_MAX];
    const char *given = o->num_backends ? o->backends[i] : NULL;
    if (given && strncmp(given, exec_prefix, sizeof(exec_prefix) - 1) != 0) {
        snprintf(out, out_len, "%s", given);
        return;
    }
    absolute(path, tq_backend_path(set->items[i]));
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (given == NULL && strncmp(base, file_prefix, sizeof(file_prefix) - 1) == 0)
        snprintf(out, out_len, "%s", base + sizeof(file_prefix) - 1);
    else
        snprintf(out, out_len, "%s%s", exec_prefix, path);
}

/* rerun_init fills `r` from the options and what the run resolved (the PKI, the baseline). */
static void rerun_init(struct rerun_line *r, const struct run_options *o,
                       const struct backend_set *set, const char *pki_dir,
                       const struct tq_baseline *baseline)
{
    size_t n = 0;
    ssize_t len = readlink("/proc/self/exe", r->self, sizeof(r->self) - 1);
    if (len > 0)
        r->self[len] = '\0';
    else
        snprintf(r->self, sizeof(r->self), "tlsqual");
    absolute(r->scenarios, o->scenarios_dir);
    absolute(r->pki, pki_dir);
    absolute(r->out, o->out_dir);
    r->argv[n++] = r->self;
    r->argv[n++] = "run";
    r->argv[n++] = "--scenarios";
    r->argv[n++] = r->scenarios;
    r->argv[n++] = "--pki";
    r->argv[n++] = r->pki;
    r->argv[n++] = "--out";
    r->argv[n++] = r->out;
    if (baseline) {
        absolute(r->baseline, tq_baseline_path(baseline));
        r->argv[n++] = "--baseline";
        r->argv[n++] = r->baseline;
    }
    if (o->docs) {
        absolute(r->docs, o->docs);
        r->argv[n++] = "--docs";
        r->argv[n++] = r->docs;
    }
    if (o->timeout_ms != DEFAULT_TIMEOUT_MS) {
        snprintf(r->timeout, sizeof(r->timeout), "%d", o->timeout_ms);
        r->argv[n++] = "--timeout";
        r->argv[n++] = r->timeout;
    }
    if (o->isolate)
        r->argv[n++] = "--isolate";
    for (size_t i = 0; i < set->num; i++) {
        backend_arg(r->backends[i], sizeof(r->backends[i]), set, i, o);
        r->backend_args[i] = r->backends[i];
    }
    r->rerun =
        (struct tq_runner_rerun){.argv = r->argv, .argc = n, .backend_args = r->backend_args};
}

/* print_header says what the run is made of before its first case: where the scenarios come
 * from and why, the backends, the PKI, the baseline and where the reports go. */
static void print_header(const struct run_options *o, const struct tq_catalog *cat,
                         const struct backend_set *set, const char *pki_dir,
                         const struct tq_baseline *baseline, const char *run_dir)
{
    printf("tlsqual run: %zu scenario(s) from %s (%s)\ntlsqual run: backends", cat->num,
           o->scenarios_dir, o->scenarios_why);
    for (size_t i = 0; i < set->num; i++)
        printf("%s %s", i ? "," : "", tq_backend_name(set->items[i]));
    printf("; PKI %s; baseline %s; reports in %s\n", pki_dir,
           baseline ? tq_baseline_path(baseline) : "none", run_dir);
    fflush(stdout);
}

/* struct prepared_run is what a run needs before its first case: its PKI, baseline and folder. */
struct prepared_run {
    char pki_dir[PATH_MAX], run_dir[PATH_MAX], run_id[128];
    struct tq_manifest *pki;
    struct tq_baseline *baseline;
    size_t planned;
};

/* record_identity records what identifies run `p` on `report` (run_identity.h). */
static tq_status record_identity(struct tq_diag *diag, struct tq_report *report,
                                 const struct run_options *o, const struct tq_catalog *cat,
                                 const struct backend_set *set, const struct prepared_run *p)
{
    const struct tq_backend *backends[MAX_BACKENDS];
    for (size_t i = 0; i < set->num; i++)
        backends[i] = set->items[i];
    struct tq_run_identity id = {.backends = backends,
                                 .num_backends = set->num,
                                 .pki = p->pki,
                                 .catalog = cat,
                                 .scenarios_dir = o->scenarios_dir,
                                 .baseline = p->baseline,
                                 .run_folder = p->run_id,
                                 .filters = o->filters,
                                 .num_filters = o->num_filters,
                                 .case_ids = o->case_ids,
                                 .num_case_ids = o->num_case_ids,
                                 .shard_index = o->shard_index,
                                 .shard_count = o->shard_count,
                                 .planned = p->planned,
                                 .run_id = o->run_id};
    return tq_run_identity_record(diag, report, &id);
}

/* execute runs the prepared run and writes its reports; it returns the run's exit code. */
static int execute(const struct run_options *o, const struct tq_catalog *cat,
                   const struct backend_set *set, const struct prepared_run *p)
{
    struct tq_runner_config cfg = {.catalog = cat,
                                   .backends = set->items,
                                   .num_backends = set->num,
                                   .pki = p->pki,
                                   .pki_dir = p->pki_dir,
                                   .out_dir = p->run_dir,
                                   .selection = selection_of(o),
                                   .baseline = p->baseline,
                                   .timeout_ms = o->timeout_ms,
                                   .jobs = o->jobs,
                                   .isolate = o->isolate,
                                   .shard_index = o->shard_index,
                                   .shard_count = o->shard_count,
                                   .console = stdout};
    static struct rerun_line rerun; /* 160 KiB of paths: not on the stack */
    rerun_init(&rerun, o, set, p->pki_dir, p->baseline);
    cfg.rerun = rerun.rerun;
    print_header(o, cat, set, p->pki_dir, p->baseline, p->run_dir);
    struct tq_diag diag = {0};
    struct tq_report *report = NULL;
    size_t num_interrupted = 0;
    int rc = TQ_EXIT_FAILED;
    double start = tq_now_ms();
    if (tq_ok(tq_report_new(&report)) && tq_ok(record_identity(&diag, report, o, cat, set, p)) &&
        tq_ok(tq_runner_run(&diag, report, &cfg)) &&
        tq_ok(tq_cli_note_interruption(report, &num_interrupted)) &&
        tq_ok(tq_reports_write(&diag, report, p->run_dir, o->out_dir))) {
        tq_reports_point_latest(o->out_dir, p->run_id);
        rc = tq_cli_summarize(report, p->run_dir, tq_now_ms() - start);
        rc = num_interrupted > 0 ? TQ_EXIT_INTERRUPTED : rc;
    } else
        tq_cli_print_diag("tlsqual run", &diag);
    tq_report_free(report);
    return rc;
}

static int run_and_report(const struct run_options *o, const struct tq_catalog *cat,
                          const struct backend_set *set)
{
    static struct prepared_run p; /* paths: not on the stack */
    p = (struct prepared_run){.planned = planned_cases(cat, set, o)};
    if (p.planned == 0)
        return no_case_selected(cat, o);
    struct tq_diag diag = {0};
    int rc = TQ_EXIT_USAGE;
    if (!tq_ok(load_baseline(&diag, &p.baseline, o, cat, set)) ||
        !tq_ok(tq_fs_mkdirs(&diag, o->out_dir, 0755)) ||
        !tq_ok(prepare_pki(&diag, &p.pki, o, p.pki_dir, sizeof(p.pki_dir))) ||
        !tq_ok(make_run_dir(&diag, p.run_dir, sizeof(p.run_dir), p.run_id, sizeof(p.run_id), o)))
        tq_cli_print_diag("tlsqual run", &diag);
    else if (tq_catalog_check_pki(cat, p.pki, stderr) == 0)
        rc = execute(o, cat, set, &p);
    tq_baseline_free(p.baseline);
    tq_manifest_free(p.pki);
    return rc;
}

/* backend_label names the backend `i` of `set` as the user gave it, for errors. */
static void backend_label(char *out, size_t out_len, const struct backend_set *set, size_t i,
                          const struct run_options *o)
{
    if (o->num_backends > 0)
        snprintf(out, out_len, "--backend %s (%s)", o->backends[i], tq_backend_path(set->items[i]));
    else
        snprintf(out, out_len, "%s", tq_backend_path(set->items[i]));
}

/* check_unique_names refuses two backends that report one name: a name is a JUnit testsuite,
 * a report column and a key of every case, so the two would merge into one suite with every
 * case twice. */
static int check_unique_names(const struct backend_set *set, const struct run_options *o)
{
    for (size_t i = 0; i < set->num; i++)
        for (size_t k = 0; k < i; k++) {
            if (strcmp(tq_backend_name(set->items[i]), tq_backend_name(set->items[k])) != 0)
                continue;
            char first[PATH_MAX + 64], second[PATH_MAX + 64];
            backend_label(first, sizeof(first), set, k, o);
            backend_label(second, sizeof(second), set, i, o);
            fprintf(stderr,
                    "tlsqual run: two backends are called '%s': %s and %s; each backend "
                    "needs a name of its own (it names the backend's JUnit testsuite)\n",
                    tq_backend_name(set->items[i]), first, second);
            return TQ_EXIT_USAGE;
        }
    return TQ_EXIT_OK;
}

/* check_case_ids refuses a --case that names no scenario: a typo would run nothing. */
static size_t check_case_ids(const struct tq_catalog *cat, const struct run_options *o)
{
    size_t problems = 0;
    for (size_t i = 0; i < o->num_case_ids; i++) {
        if (tq_catalog_find(cat, o->case_ids[i]) < cat->num)
            continue;
        fprintf(stderr,
                "tlsqual run: --case '%s': no such case in %s (an ID is group/name, "
                "exactly as `tlsqual run --list` prints it)\n",
                o->case_ids[i], o->scenarios_dir);
        problems++;
    }
    return problems;
}

/* see run_cli.h */
int tq_run_cli(int argc, char **argv)
{
    struct run_options o;
    int rc = parse_run_options(&o, argc, argv);
    if (rc != TQ_EXIT_OK)
        return rc < 0 ? TQ_EXIT_OK : rc;
    signal(SIGPIPE, SIG_IGN); /* a backend that dies before reading its case is one failure */
    static struct tq_catalog cat;
    size_t num_errors = 0;
    bool loaded = tq_ok(tq_catalog_load(&cat, &num_errors, o.scenarios_dir, stderr));
    num_errors += loaded ? tq_cli_check_specs("run", &cat, o.docs, o.scenarios_dir) : 0;
    num_errors += loaded ? check_case_ids(&cat, &o) : 0;
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
    } else if ((rc = check_unique_names(&set, &o)) == TQ_EXIT_OK) {
        rc = o.list ? list_cases(&cat, &set, &o) : run_and_report(&o, &cat, &set);
    }
    backend_set_cleanup(&set);
    tq_catalog_cleanup(&cat);
    return rc;
}
