/* `tlsqual device`: options in, exit code out; the work is in device_session.c (the cases) and
 * device_checks.c (the ClientHello findings). */
#include "device.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs.h"
#include "cli_common.h"
#include "device_checks.h"
#include "device_plan.h"
#include "device_session.h"
#include "fs.h"
#include "manifest.h"
#include "policy.h"
#include "proc.h"
#include "reports.h"
#include "run_cli.h"

enum {
    DEFAULT_IDLE_S = 60,
    DEFAULT_CASE_S = 30,
};

#define DEFAULT_LISTEN "127.0.0.1:18883"
#define DEFAULT_PUBLISHER "device-rsa-2048-sha384"

struct device_options {
    const char *listen;
    const char *pki_dir;
    const char *plan;
    const char *out_dir;
    const char *device_name;
    const char *firmware;
    const char *policy;
    const char *listener;
    const char *expect_ja3;
    const char *publisher_cert;
    int idle_s, case_s;
};

static const char device_usage[] =
    "usage: tlsqual device --pki DIR [options]\n"
    "Plays a device qualification plan against a device: one server-side case per incoming\n"
    "connection from the device, in order, telling the operator which case is live and what the\n"
    "device must do; then checks every ClientHello it sent and writes the reports of\n"
    "`tlsqual run` (OUT/<run-id>/{junit.xml,results.json,report.html}). See docs/device-mode.md.\n"
    "Exit 0: every case passed (warnings allowed); 1: a case failed or did not run; 2: usage or\n"
    "configuration error.\n\n"
    "  --listen HOST:PORT    where the device connects (default " DEFAULT_LISTEN "; a LAN\n"
    "                        address for a real device; port 0: pick one, then keep it)\n"
    "  --pki DIR             the mock PKI the device was provisioned from (required): a folder\n"
    "                        `tlsqual certs --out DIR` made; completed by its rules when an\n"
    "                        artifact is missing, never created here\n"
    "  --plan FILE           the plan (default: plans/default.plan.yaml)\n"
    "  --out DIR             report folder (default: ./results)\n"
    "  --device-name NAME    the device's identity, for the report\n"
    "  --firmware VERSION    the firmware build under test, for the report\n"
    "  --policy ID           security policy for every case and for the suite check\n"
    "                        (default: the plan's, else " TQ_POLICY_DEFAULT_ID ")\n"
    "  --listener MODE       mqtt (8883-style) or alpn (443-style) for every case\n"
    "  --idle-timeout S      the longest wait for the device's next connection; a device that\n"
    "                        does not come ends the session (default 60)\n"
    "  --case-timeout S      the longest one connection may take to settle its case (default 30)\n"
    "  --expect-ja3 MD5      the JA3 fingerprint of a reference firmware build to compare with\n"
    "  --publisher-cert NAME registered certificate of the max-size PUBLISH helper (default\n"
    "                        " DEFAULT_PUBLISHER ")\n"
    "  --help                this text\n";

static const char *default_plan(void)
{
    return tq_fs_exists("plans/default.plan.yaml") ? "plans/default.plan.yaml"
                                                   : TQ_SOURCE_DIR "/plans/default.plan.yaml";
}

static int parse_seconds(int *out, const char *name, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || v < 1 || v > 3600) {
        fprintf(stderr, "tlsqual device: --%s wants seconds from 1 to 3600, got '%s'\n", name, arg);
        return TQ_EXIT_USAGE;
    }
    *out = (int)v;
    return TQ_EXIT_OK;
}

static int check_choice(const char *name, const char *arg, const char *a, const char *b)
{
    if (strcmp(arg, a) == 0 || strcmp(arg, b) == 0)
        return TQ_EXIT_OK;
    fprintf(stderr, "tlsqual device: --%s wants %s or %s, got '%s'\n", name, a, b, arg);
    return TQ_EXIT_USAGE;
}

static int check_policy(const char *arg)
{
    if (tq_policy_find(arg) != NULL)
        return TQ_EXIT_OK;
    fprintf(stderr,
            "tlsqual device: --policy '%s' is not a policy (tlsqual broker "
            "--help-policies)\n",
            arg);
    return TQ_EXIT_USAGE;
}

static int parse_option(struct device_options *o, int c, const char *arg)
{
    switch (c) {
    case 'L':
        o->listen = arg;
        return TQ_EXIT_OK;
    case 'p':
        o->pki_dir = arg;
        return TQ_EXIT_OK;
    case 'P':
        o->plan = arg;
        return TQ_EXIT_OK;
    case 'o':
        o->out_dir = arg;
        return TQ_EXIT_OK;
    case 'n':
        o->device_name = arg;
        return TQ_EXIT_OK;
    case 'f':
        o->firmware = arg;
        return TQ_EXIT_OK;
    case 'j':
        o->expect_ja3 = arg;
        return TQ_EXIT_OK;
    case 'c':
        o->publisher_cert = arg;
        return TQ_EXIT_OK;
    case 'y':
        o->policy = arg;
        return check_policy(arg);
    case 'l':
        o->listener = arg;
        return check_choice("listener", arg, "mqtt", "alpn");
    case 'i':
        return parse_seconds(&o->idle_s, "idle-timeout", arg);
    case 't':
        return parse_seconds(&o->case_s, "case-timeout", arg);
    case 'h':
        fputs(device_usage, stdout);
        return -1;
    default:
        fputs(device_usage, stderr);
        return TQ_EXIT_USAGE;
    }
}

static int parse_options(struct device_options *o, int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'L'},
                                             {"pki", required_argument, NULL, 'p'},
                                             {"plan", required_argument, NULL, 'P'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"device-name", required_argument, NULL, 'n'},
                                             {"firmware", required_argument, NULL, 'f'},
                                             {"policy", required_argument, NULL, 'y'},
                                             {"listener", required_argument, NULL, 'l'},
                                             {"idle-timeout", required_argument, NULL, 'i'},
                                             {"case-timeout", required_argument, NULL, 't'},
                                             {"expect-ja3", required_argument, NULL, 'j'},
                                             {"publisher-cert", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *o = (struct device_options){.listen = DEFAULT_LISTEN,
                                 .plan = default_plan(),
                                 .out_dir = "results",
                                 .publisher_cert = DEFAULT_PUBLISHER,
                                 .idle_s = DEFAULT_IDLE_S,
                                 .case_s = DEFAULT_CASE_S};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        int rc = parse_option(o, c, optarg);
        if (rc != TQ_EXIT_OK)
            return rc;
    }
    if (optind < argc || o->pki_dir == NULL) {
        fprintf(stderr, "tlsqual device: %s\n%s",
                optind < argc ? "unexpected argument" : "--pki DIR is required", device_usage);
        return TQ_EXIT_USAGE;
    }
    return TQ_EXIT_OK;
}

static void print_diag(const struct tq_diag *diag)
{
    char line[2048];
    tq_diag_format(line, sizeof(line), diag);
    fprintf(stderr, "tlsqual device: %s\n", line);
}

/* check_artifacts makes sure every certificate the plan and the options name is in the PKI,
 * before any broker starts, and looks up the publisher's once, into `*out_publisher`. */
static tq_status check_artifacts(struct tq_diag *diag, const struct tq_artifact **out_publisher,
                                 const struct tq_device_plan *plan, const struct tq_manifest *pki,
                                 const struct device_options *o)
{
    for (size_t i = 0; i < plan->num_cases; i++) {
        const char *name = tq_device_plan_setting(plan, &plan->cases[i], "server_cert");
        if (name != NULL && tq_manifest_find(pki, name) == NULL)
            return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, plan->path, plan->cases[i].line,
                                "case '%s': the PKI has no artifact '%s' (docs/pki.md)",
                                plan->cases[i].name, name);
    }
    if ((*out_publisher = tq_manifest_find(pki, o->publisher_cert)) == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, NULL, 0,
                            "--publisher-cert: the PKI has no artifact '%s'", o->publisher_cert);
    return TQ_SUCCESS;
}

/* struct prepared is everything loaded before the session starts. */
struct prepared {
    struct tq_device_plan *plan;
    struct tq_manifest *pki;
    char pki_dir[PATH_MAX];
    char run_dir[PATH_MAX];
    char run_id[128];
    const char *policy; /* the effective policy id */
    const char *endpoint_host;
    const struct tq_artifact *publisher; /* --publisher-cert */
};

static void prepared_cleanup(struct prepared *p)
{
    tq_device_plan_free(p->plan);
    tq_manifest_free(p->pki);
}

static tq_status prepare(struct tq_diag *diag, struct prepared *p, const struct device_options *o)
{
    /* The device was provisioned from this PKI: a new one would fail every case, after a long
     * silent generation. */
    TQ_GUARD(tq_cli_check_pki_dir(diag, o->pki_dir, "--pki",
                                  "provision the device from it (docs/device-mode.md), then "
                                  "run tlsqual device again"));
    TQ_GUARD(tq_device_plan_load(diag, &p->plan, o->plan));
    snprintf(p->pki_dir, sizeof(p->pki_dir), "%s", o->pki_dir);
    struct tq_certs_options certs = {.quiet = true};
    TQ_GUARD(tq_certs_generate(diag, p->pki_dir, &certs));
    TQ_GUARD(tq_manifest_load(diag, &p->pki, p->pki_dir));
    TQ_GUARD(check_artifacts(diag, &p->publisher, p->plan, p->pki, o));
    const char *policy = tq_device_plan_setting(p->plan, NULL, "policy");
    p->policy = o->policy ? o->policy : policy ? policy : TQ_POLICY_DEFAULT_ID;
    const char *endpoint = tq_device_plan_setting(p->plan, NULL, "endpoint");
    p->endpoint_host = tq_manifest_endpoint(p->pki, endpoint ? endpoint : "ats");
    TQ_GUARD(tq_fs_mkdirs(diag, o->out_dir, 0755));
    return tq_reports_make_run_dir(diag, p->run_dir, sizeof(p->run_dir), p->run_id,
                                   sizeof(p->run_id), o->out_dir, "-device");
}

static tq_status set_properties(struct tq_report *r, const struct prepared *p,
                                const struct device_options *o,
                                const struct tq_device_observed *seen, const char *ja3)
{
    const char *props[][2] = {
        {"tlsqual.version", TQ_VERSION},
        {"run.id", p->run_id},
        {"mode", "device"},
        {"pki.generated_at", tq_manifest_generated_at(p->pki)},
        {"plan", p->plan->path},
        {"plan.name", p->plan->name},
        {"policy", p->policy},
        {"endpoint", p->endpoint_host ? p->endpoint_host : ""},
        {"device.listen", seen->listen},
        {"device.name", o->device_name ? o->device_name : ""},
        {"device.firmware", o->firmware ? o->firmware : ""},
        {"device.client_cert_id", seen->client_cert_id},
        {"device.client_subject", seen->client_subject},
        {"device.ja3_md5", ja3},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        TQ_GUARD(tq_report_set_property(r, props[i][0], props[i][1]));
    return TQ_SUCCESS;
}

/* finish runs the ClientHello checks over what the session saw, sets the properties and writes
 * the reports. */
static tq_status finish(struct tq_diag *diag, struct tq_report *report, const struct prepared *p,
                        const struct device_options *o, const struct tq_device_observed *seen,
                        size_t *out_num_interrupted)
{
    struct tq_device_check_input in = {.hellos = seen->hellos,
                                       .num_hellos = seen->num_hellos,
                                       .policy = p->policy,
                                       .endpoint_host = p->endpoint_host,
                                       .expect_ja3 = o->expect_ja3};
    size_t num_checks = 0;
    char ja3[64];
    TQ_GUARD(tq_device_checks_run(diag, &num_checks, report, &in, p->plan->num_cases));
    tq_device_checks_ja3(ja3, sizeof(ja3), &in);
    TQ_GUARD(set_properties(report, p, o, seen, ja3));
    TQ_GUARD(tq_cli_note_interruption(report, out_num_interrupted));
    TQ_GUARD(tq_reports_write(diag, report, p->run_dir, o->out_dir));
    tq_reports_point_latest(o->out_dir, p->run_id);
    return TQ_SUCCESS;
}

/* summarize is `tlsqual run`'s summary and exit code (cli_common.h): device runs write the same
 * reports, so they say the same things about them. */
static int summarize(const struct tq_report *report, const char *run_dir, double wall_ms,
                     size_t num_interrupted)
{
    int rc = tq_cli_summarize(report, run_dir, wall_ms);
    return num_interrupted > 0 ? TQ_EXIT_INTERRUPTED : rc;
}

static int run_session(const struct device_options *o, struct prepared *p)
{
    struct tq_device_session_config cfg = {.plan = p->plan,
                                           .pki = p->pki,
                                           .pki_dir = p->pki_dir,
                                           .listen = o->listen,
                                           .run_dir = p->run_dir,
                                           .policy = o->policy,
                                           .listener = o->listener,
                                           .idle_timeout_ms = o->idle_s * 1000,
                                           .case_timeout_ms = o->case_s * 1000,
                                           .publisher = p->publisher,
                                           .console = stdout};
    struct tq_device_observed seen = {.num_hellos = 0};
    struct tq_report *report = NULL;
    struct tq_diag diag = {0};
    int rc = TQ_EXIT_FAILED;
    size_t num_interrupted = 0;
    double start = tq_now_ms();
    printf("tlsqual device: plan '%s' (%zu cases), endpoint %s, reports in %s\n", p->plan->name,
           p->plan->num_cases, p->endpoint_host ? p->endpoint_host : "?", p->run_dir);
    tq_status st = tq_report_new(&report);
    if (tq_ok(st) && !tq_ok(st = tq_device_session_run(&diag, report, &seen, &cfg)))
        rc = TQ_EXIT_USAGE; /* no broker could serve the first case: --listen or the PKI */
    if (tq_ok(st) && tq_ok(st = finish(&diag, report, p, o, &seen, &num_interrupted)))
        rc = summarize(report, p->run_dir, tq_now_ms() - start, num_interrupted);
    if (!tq_ok(st))
        print_diag(&diag);
    tq_device_observed_cleanup(&seen);
    tq_report_free(report);
    return rc;
}

/* see device.h */
int tq_device_cli(int argc, char **argv)
{
    struct device_options o;
    int rc = parse_options(&o, argc, argv);
    if (rc != TQ_EXIT_OK)
        return rc < 0 ? TQ_EXIT_OK : rc;
    signal(SIGPIPE, SIG_IGN);
    struct prepared p = {.plan = NULL};
    struct tq_diag diag = {0};
    if (!tq_ok(prepare(&diag, &p, &o))) {
        print_diag(&diag);
        prepared_cleanup(&p);
        return TQ_EXIT_USAGE;
    }
    rc = run_session(&o, &p);
    prepared_cleanup(&p);
    return rc;
}
