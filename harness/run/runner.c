#include "runner.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "async_run.h"
#include "broker_proc.h"
#include "case.h"
#include "event_match.h"
#include "events_log.h"
#include "fs.h"
#include "lifecycle.h"
#include "proc.h"
#include "backend_session.h"
#include "verdict.h"

enum {
    GRACE_MS = 5000, /* on top of the backend's own deadline */
    MAX_BACKEND_OUTPUT = 1 << 20,
    MAX_EVENTS_BYTES = 64 << 20,
    EVENTS_WAIT_MS = 1000,
    COMPANION_READY_MS = 5000,
};

static volatile sig_atomic_t interrupted;

/* on_signal: the first SIGINT or SIGTERM ends the backends in flight (their cases are reported
 * as interrupted) and lets the run write its reports; a second one ends the run at once. */
static void on_signal(int sig)
{
    interrupted = 1;
    tq_proc_stop_all();
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(sig, &dfl, NULL);
}

enum { MAX_BROKERS = 32 };

struct broker {
    struct tq_broker_proc proc;
    struct tq_events_log *events; /* its events file, read incrementally */
    char events_path[4096];
    char key[1024]; /* its options, joined: equal keys share the broker */
};

struct broker_pool {
    struct broker items[MAX_BROKERS];
    size_t num;
};

static void broker_key(char *out, size_t out_len, const char **args, size_t num_args)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < num_args && used < out_len; i++)
        used += (size_t)snprintf(out + used, out_len - used, "%s%s", i ? " " : "", args[i]);
}

static tq_status broker_start(struct tq_diag *diag, struct broker *b, size_t index,
                              const struct tq_runner_config *cfg, const char **args,
                              size_t num_args)
{
    char log_path[4096], name[64];
    snprintf(name, sizeof(name), "broker-%zu-events.jsonl", index);
    TQ_GUARD(tq_fs_join(diag, b->events_path, sizeof(b->events_path), cfg->out_dir, name));
    snprintf(name, sizeof(name), "broker-%zu.log", index);
    TQ_GUARD(tq_fs_join(diag, log_path, sizeof(log_path), cfg->out_dir, name));
    unlink(b->events_path); /* this run's events only: the broker appends */
    struct tq_broker_proc_options opts = {.pki_dir = cfg->pki_dir,
                                          .events_path = b->events_path,
                                          .log_path = log_path,
                                          .args = args,
                                          .num_args = num_args};
    TQ_GUARD(tq_events_log_open(diag, &b->events, b->events_path, MAX_EVENTS_BYTES));
    tq_status st = tq_broker_proc_start(diag, &b->proc, &opts);
    if (!tq_ok(st)) {
        tq_events_log_close(b->events);
        b->events = NULL;
        char why[sizeof(diag->msg)];
        snprintf(why, sizeof(why), "%s", diag->msg);
        return tq_diag_fail(diag, st.code, NULL, 0, "broker (%s) did not start: %s; its log: %s",
                            b->key[0] ? b->key : "default settings", why, log_path);
    }
    return TQ_SUCCESS;
}

/* pool_get returns the broker for scenario `s`, starting it on first use. */
static tq_status pool_get(struct tq_diag *diag, struct broker_pool *pool, const struct broker **out,
                          const struct tq_runner_config *cfg, const struct tq_scenario *s)
{
    const char *args[TQ_BROKER_PROC_MAX_ARGS];
    size_t num_args = tq_scenario_broker_args(&s->broker, args, TQ_BROKER_PROC_MAX_ARGS);
    char key[1024];
    broker_key(key, sizeof(key), args, num_args);
    for (size_t i = 0; i < pool->num; i++)
        if (strcmp(pool->items[i].key, key) == 0) {
            *out = &pool->items[i];
            return TQ_SUCCESS;
        }
    if (pool->num == MAX_BROKERS)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, s->path, 0,
                            "more than %d distinct broker settings in one run", MAX_BROKERS);
    struct broker *b = &pool->items[pool->num];
    snprintf(b->key, sizeof(b->key), "%s", key);
    TQ_GUARD(broker_start(diag, b, pool->num, cfg, args, num_args));
    pool->num++;
    *out = b;
    return TQ_SUCCESS;
}

static void pool_stop(struct broker_pool *pool)
{
    for (size_t i = 0; i < pool->num; i++) {
        tq_broker_proc_stop(&pool->items[i].proc, 5000);
        tq_events_log_close(pool->items[i].events);
        pool->items[i].events = NULL;
    }
    pool->num = 0;
}

static void append_text(struct tq_buf *out, const char *s)
{
    if (!tq_ok(tq_buf_append(out, s, strlen(s))))
        return; /* the details are bounded; past the bound they are cut, and that is fine */
}

/* struct run_case is everything known about one case while it runs. */
struct run_case {
    const struct tq_runner_config *cfg;
    const struct broker *broker;
    const struct tq_scenario *scenario;
    const struct tq_backend *backend;
    struct tq_case_record record;
    char message[2048];
    struct tq_buf details;
    char *stderr_text;                  /* owned; the record points at it */
    char *result_line;                  /* owned; likewise */
    struct tq_backend_session *session; /* the worker's process for this backend; NULL: isolated */
    char case_id[TQ_RESULT_ID_MAX + 1]; /* the id of the case line sent: its result must echo it */
    const char *prev_id; /* the case whose result `session`'s process gave last; NULL: none */
    char answered_prev[TQ_RESULT_QUOTE_SIZE]; /* a line of this case's output that answers
                                                 prev_id again, quoted; "" when none */
    char stray_before[TQ_RESULT_QUOTE_SIZE];  /* what the process wrote after prev_id's result
                                                 and before this case was sent; "" when none */
    long companion_port;                      /* the companion's local port, when it reported one */
    size_t events_from;     /* the broker's event lines before this one are not the case's */
    struct tq_case_pki art; /* the scenario's artifacts, resolved once (case.h) */
};

static void set_verdict(struct run_case *rc, enum tq_verdict v, const char *fmt, ...)
    TQ_PRINTF(3, 4);

static void set_verdict(struct run_case *rc, enum tq_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rc->message, sizeof(rc->message), fmt, ap);
    va_end(ap);
    rc->record.verdict = v;
    rc->record.message = rc->message;
}

/* is_word is true for the words of tlsqual's own syntax ("run", "--case"), which need no
 * quotes; every value is quoted. */
static bool is_word(const char *arg)
{
    size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyz-");
    return arg[n] == '\0' && (strcmp(arg, "run") == 0 || (n > 2 && strncmp(arg, "--", 2) == 0));
}

/* append_quoted appends " ARG", quoted for a POSIX shell: inside single quotes nothing is
 * special but the single quote itself, which becomes '\'' (close, escaped quote, reopen). */
static void append_quoted(struct tq_buf *out, const char *arg)
{
    if (is_word(arg)) {
        append_text(out, " ");
        append_text(out, arg);
        return;
    }
    append_text(out, " '");
    for (const char *p = arg, *q; *p; p = q) {
        q = strchr(p, '\'');
        if (q == NULL) {
            append_text(out, p);
            break;
        }
        if (!tq_ok(tq_buf_append(out, p, (size_t)(q - p))))
            return;
        append_text(out, "'\\''");
        q++;
    }
    append_text(out, "'");
}

static size_t backend_index(const struct tq_runner_config *cfg, const struct tq_backend *b)
{
    size_t i = 0;
    while (i < cfg->num_backends && cfg->backends[i] != b)
        i++;
    return i;
}

/* add_rerun_command writes the line that reruns exactly this case: the original invocation's
 * settings (struct tq_runner_rerun), this backend, and the case by its exact ID. */
static void add_rerun_command(struct run_case *rc)
{
    const struct tq_runner_rerun *r = &rc->cfg->rerun;
    size_t b = backend_index(rc->cfg, rc->backend);
    char id[1024];
    snprintf(id, sizeof(id), "%s/%s", rc->record.group, rc->scenario->name);
    append_text(&rc->details, "rerun:");
    if (r->argv == NULL) {
        append_quoted(&rc->details, "tlsqual");
        append_quoted(&rc->details, "run");
    }
    for (size_t i = 0; r->argv && i < r->argc; i++)
        append_quoted(&rc->details, r->argv[i]);
    append_quoted(&rc->details, "--backend");
    append_quoted(&rc->details, r->backend_args && b < rc->cfg->num_backends
                                    ? r->backend_args[b]
                                    : tq_backend_name(rc->backend));
    append_quoted(&rc->details, "--case");
    append_quoted(&rc->details, id);
    append_text(&rc->details, "\n");
}

static bool chain_has(const struct tq_result *r, const char *sha256)
{
    for (size_t i = 0; sha256 && i < r->num_chain; i++)
        if (strcmp(r->chain_sha256[i], sha256) == 0)
            return true;
    return false;
}

/* chain_mismatch checks expect.chain_includes and chain_excludes against the chain received
 * (by SHA-256 of each certificate, as a device pinning whole certificates would). */
static bool chain_mismatch(const struct run_case *rc, const struct tq_result *r, char *why,
                           size_t why_len)
{
    for (size_t i = 0; i < rc->art.num_chain_includes; i++) {
        const struct tq_artifact *a = rc->art.chain_includes[i];
        if (!chain_has(r, a->sha256)) {
            snprintf(why, why_len, "want %s in the chain received, got a chain of %zu without it",
                     a->name, r->num_chain);
            return true;
        }
    }
    for (size_t i = 0; i < rc->art.num_chain_excludes; i++) {
        const struct tq_artifact *a = rc->art.chain_excludes[i];
        if (chain_has(r, a->sha256)) {
            snprintf(why, why_len, "want %s absent from the chain received, got it", a->name);
            return true;
        }
    }
    return false;
}

static void judge_output(struct run_case *rc, const struct tq_proc_output *run)
{
    char why[1024];
    const struct tq_artifact *want = rc->art.server_certificate;
    struct tq_result result;
    bool has_result = false;
    enum tq_verdict v =
        tq_verdict_of_run(run, rc->cfg->timeout_ms + GRACE_MS, rc->case_id, &rc->scenario->expect,
                          want ? want->sha256 : NULL, &result, &has_result, why, sizeof(why));
    set_verdict(rc, v, "%s", why);
    if (!has_result)
        return;
    if ((v == TQ_VERDICT_PASS || v == TQ_VERDICT_WARN) &&
        chain_mismatch(rc, &result, why, sizeof(why)))
        set_verdict(rc, TQ_VERDICT_FAIL, "%s", why);
    const uint8_t *nl = memchr(run->out.data, '\n', run->out.len);
    rc->result_line =
        strndup((const char *)run->out.data, nl ? (size_t)(nl - run->out.data) : run->out.len);
    rc->record.result_line = rc->result_line;
    append_text(&rc->details, "result: ");
    if (!tq_ok(tq_buf_append(&rc->details, run->out.data, run->out.len)))
        return;
    /* The broker's events are read only where they are used: a case that expects some, or
     * evidence for a case that did not pass. Reading them for every case made a run's cost
     * grow with the square of its size (docs/performance.md). */
    bool wanted = rc->scenario->expect.broker_events.num > 0 ||
                  (rc->record.verdict != TQ_VERDICT_PASS && rc->record.verdict != TQ_VERDICT_SKIP);
    if (!wanted)
        return;
    struct tq_buf events;
    tq_buf_init(&events, 1 << 20);
    long ports[2] = {result.local_port, rc->companion_port};
    const struct tq_strlist *patterns = &rc->scenario->expect.broker_events;
    const char *missing = tq_events_log_await(
        rc->broker->events, &events, ports, rc->companion_port > 0 ? 2 : 1, rc->events_from,
        (const char *const *)patterns->items, patterns->num, EVENTS_WAIT_MS);
    if (missing && (v == TQ_VERDICT_PASS || v == TQ_VERDICT_WARN))
        set_verdict(rc, TQ_VERDICT_FAIL, "want broker event '%s' for this connection, got none",
                    missing);
    append_text(&rc->details, "broker events for this connection:\n");
    if (events.len && tq_ok(tq_buf_u8(&events, '\0')))
        append_text(&rc->details, (const char *)events.data);
    tq_buf_cleanup(&events);
}

/* run_process runs the backend on `case_line` and collects its output in `run`. False when it
 * could not start (the verdict is then set). */
static bool run_process(struct run_case *rc, const char *case_line, struct tq_proc_output *run)
{
    char exe[4096], flag[] = "--run";
    snprintf(exe, sizeof(exe), "%s", tq_backend_path(rc->backend));
    char *argv[] = {exe, flag, NULL};
    struct tq_diag diag = {0};
    append_text(&rc->details, "case: ");
    append_text(&rc->details, case_line);
    if (!tq_result_case_id(rc->case_id, sizeof(rc->case_id), case_line)) {
        set_verdict(rc, TQ_VERDICT_ERROR, "the case line has no usable id");
        return false;
    }
    int deadline_ms = rc->cfg->timeout_ms + GRACE_MS;
    /* The last look before the line is sent (a companion may have taken seconds to come up):
     * output that came since the previous case's result is that case's, not this one's. */
    if (rc->session &&
        !tq_backend_session_stray(rc->session, rc->stray_before, sizeof(rc->stray_before)))
        rc->stray_before[0] = '\0';
    tq_status st = rc->session ? tq_backend_session_run(&diag, rc->session, run, case_line,
                                                        deadline_ms, MAX_BACKEND_OUTPUT)
                               : tq_proc_run(&diag, run, argv, case_line, strlen(case_line),
                                             deadline_ms, MAX_BACKEND_OUTPUT);
    if (!tq_ok(st)) {
        set_verdict(rc, TQ_VERDICT_ERROR, "cannot start backend: %s", diag.msg);
        return false;
    }
    rc->record.seconds = run->elapsed_ms / 1000.0;
    return true;
}

/* finish_case judges the backend's output, keeps its stderr when it matters, and frees `run`. */
static void finish_case(struct run_case *rc, struct tq_proc_output *run)
{
    judge_output(rc, run);
    /* A late or second answer to the previous case, read while this one ran, failed this case
     * (it is not this case's result); it also shows that the previous case broke the protocol. */
    size_t len = 0;
    const char *again =
        rc->prev_id && rc->record.verdict == TQ_VERDICT_ERROR
            ? tq_result_line_with_id((const char *)run->out.data, run->out.len, rc->prev_id, &len)
            : NULL;
    if (again)
        tq_result_quote(rc->answered_prev, sizeof(rc->answered_prev), again, len);
    if (run->err.len > 0 && tq_ok(tq_buf_u8(&run->err, '\0')) &&
        rc->record.verdict != TQ_VERDICT_PASS)
        rc->record.stderr_text = rc->stderr_text = strdup((const char *)run->err.data);
    tq_proc_output_cleanup(run);
}

static void run_backend(struct run_case *rc, const char *case_line)
{
    struct tq_proc_output run;
    if (run_process(rc, case_line, &run))
        finish_case(rc, &run);
}

/* struct companion is the second device of a scenario, run in a thread of its own. */
struct companion {
    struct tq_async_run run;
    char client_id[128];
    size_t events_from; /* no event line before this one can be the companion's */
    char broke[1024];   /* how its stdout broke the protocol; "" when it did not */
};

/* companion_ready waits until the broker's events show the companion subscribed; false when
 * it did not within COMPANION_READY_MS, or its process ended first. */
static bool companion_ready(struct tq_events_log *events, struct companion *c)
{
    size_t next = c->events_from;
    struct tq_events_log_line connect = {0};
    for (double deadline = tq_now_ms() + COMPANION_READY_MS;
         tq_now_ms() < deadline && !tq_async_run_ended(&c->run); usleep(20 * 1000))
        if (tq_events_log_client_subscribed(events, c->client_id, &next, &connect))
            return true;
    return false;
}

static bool companion_start(struct run_case *rc, struct companion *c,
                            const struct tq_case_context *ctx)
{
    struct tq_diag diag = {0};
    char *line = NULL;
    if (!tq_ok(tq_case_build_companion(&diag, &line, c->client_id, sizeof(c->client_id),
                                       rc->scenario, ctx))) {
        set_verdict(rc, TQ_VERDICT_ERROR, "cannot build the companion: %s", diag.msg);
        return false;
    }
    if (!tq_ok(tq_async_run_start(&c->run, tq_backend_path(rc->backend), line,
                                  rc->cfg->timeout_ms + GRACE_MS))) {
        set_verdict(rc, TQ_VERDICT_ERROR, "cannot start the companion thread");
        return false;
    }
    return true;
}

/* companion_finish joins the companion and keeps its port and its evidence. A companion that
 * ended normally but wrote anything but its own result line broke the protocol: that is kept in
 * `c->broke` (the companion is the backend under test too). */
static void companion_finish(struct run_case *rc, struct companion *c)
{
    tq_async_run_join(&c->run);
    struct tq_diag diag = {0};
    struct tq_result result;
    struct tq_buf *out = &c->run.out.out;
    char id[TQ_RESULT_ID_MAX + 1];
    if (!tq_ok(c->run.st))
        return;
    if (!tq_result_case_id(id, sizeof(id), c->run.line))
        snprintf(c->broke, sizeof(c->broke), "the companion's case line has no usable id");
    else if (!tq_ok(tq_result_parse(&diag, &result, id, (const char *)out->data, out->len))) {
        if (c->run.out.exited && c->run.out.exit_code == 0)
            snprintf(c->broke, sizeof(c->broke), "%s", diag.msg);
        return; /* not a result: the message quotes it, escaped */
    }
    rc->companion_port = result.local_port;
    append_text(&rc->details, "companion result: ");
    if (out->len && tq_ok(tq_buf_u8(out, '\0')))
        append_text(&rc->details, (const char *)out->data);
}

/* run_with_companion connects the companion, runs the client, joins the companion, and only
 * then judges the client: the broker events it expects may be on the companion's connection. */
/* companion_failed explains why the companion never became ready: a crash is a crash of
 * the backend under test (it is the same executable), anything else is said as it is. */
static void companion_failed(struct run_case *rc, const struct companion *c)
{
    char how[160];
    const struct tq_proc_output *out = &c->run.out;
    tq_proc_describe(how, sizeof(how), out, c->run.deadline_ms);
    if (!tq_ok(c->run.st))
        set_verdict(rc, TQ_VERDICT_ERROR, "cannot start the companion backend");
    else if (out->timed_out || !out->exited || out->exit_code != 0)
        set_verdict(rc, TQ_VERDICT_ERROR, "backend_crashed: the companion %s", how);
    else
        set_verdict(rc, TQ_VERDICT_FAIL,
                    "the companion '%s' did not connect and subscribe "
                    "within %d ms (its result is below)",
                    c->client_id, COMPANION_READY_MS);
}

static void run_with_companion(struct run_case *rc, const struct tq_case_context *ctx,
                               const char *line)
{
    struct companion c = {.run.st = TQ_STATUS(TQ_ERR_INTERNAL)};
    c.events_from = rc->events_from;
    if (!companion_start(rc, &c, ctx))
        return;
    struct tq_proc_output run;
    bool ran = companion_ready(rc->broker->events, &c) && run_process(rc, line, &run);
    bool ready_failed = !ran && rc->record.verdict == TQ_VERDICT_NOT_RUN;
    companion_finish(rc, &c);
    if (ready_failed)
        companion_failed(rc, &c);
    if (ran)
        finish_case(rc, &run);
    if (c.broke[0] && rc->record.verdict != TQ_VERDICT_ERROR)
        set_verdict(rc, TQ_VERDICT_ERROR, "protocol_error: the companion: %s", c.broke);
    tq_async_run_cleanup(&c.run);
}

/* run_lifecycle runs a scenario with steps, on a broker of its own in a folder of the run. */
static void run_lifecycle(struct run_case *rc)
{
    char dir[4096], name[160];
    snprintf(name, sizeof(name), "lifecycle/%s-%zu", tq_backend_name(rc->backend), rc->record.seq);
    struct tq_diag diag = {0};
    if (!tq_ok(tq_fs_join(&diag, dir, sizeof(dir), rc->cfg->out_dir, name)))
        return set_verdict(rc, TQ_VERDICT_ERROR, "%s", diag.msg);
    struct tq_lifecycle_case c = {.scenario = rc->scenario,
                                  .pki = rc->cfg->pki,
                                  .art = &rc->art,
                                  .pki_dir = rc->cfg->pki_dir,
                                  .backend_name = tq_backend_name(rc->backend),
                                  .backend_path = tq_backend_path(rc->backend),
                                  .session = rc->session,
                                  .timeout_ms = rc->cfg->timeout_ms,
                                  .grace_ms = GRACE_MS,
                                  .work_dir = dir};
    struct tq_lifecycle_verdict v;
    tq_lifecycle_run(&c, &v, &rc->details);
    set_verdict(rc, v.verdict, "%s", v.message);
    rc->record.seconds = v.seconds;
    snprintf(rc->stray_before, sizeof(rc->stray_before), "%s", v.stray_before);
}

static void run_one(struct run_case *rc)
{
    char reason[256];
    if (interrupted)
        return set_verdict(rc, TQ_VERDICT_ERROR, "interrupted: the run was stopped by a signal");
    struct tq_diag diag = {0};
    if (!tq_ok(tq_case_resolve(&diag, &rc->art, rc->scenario, rc->cfg->pki)))
        return set_verdict(rc, TQ_VERDICT_ERROR, "cannot build the case: %s", diag.msg);
    const struct tq_artifact *client = rc->art.client;
    if (tq_backend_missing(rc->backend, rc->scenario, client ? client->key_type : NULL, reason,
                           sizeof(reason)))
        return set_verdict(rc, TQ_VERDICT_SKIP, "%s", reason);
    if (rc->scenario->num_steps > 0)
        return run_lifecycle(rc);
    struct tq_case_context ctx = {.pki = rc->cfg->pki,
                                  .art = &rc->art,
                                  .host = rc->broker->proc.host,
                                  .port = rc->broker->proc.port,
                                  .timeout_ms = rc->cfg->timeout_ms,
                                  .backend = tq_backend_name(rc->backend)};
    char *line = NULL;
    rc->events_from = tq_events_log_mark(rc->broker->events);
    if (!tq_ok(tq_case_build(&diag, &line, rc->scenario, &ctx)))
        return set_verdict(rc, TQ_VERDICT_ERROR, "cannot build the case: %s", diag.msg);
    if (rc->scenario->companion.enabled)
        run_with_companion(rc, &ctx, line);
    else
        run_backend(rc, line);
    free(line);
}

/* struct console: plain lines when stdout is not a terminal (CI logs); on a terminal, a
 * progress bar redrawn in place with every non-passing case printed above it. Colours only on a
 * terminal, and never when NO_COLOR is set (https://no-color.org). */
struct console {
    FILE *out;
    bool tty, color;
    size_t done, total, bad;
};

static void console_init(struct console *c, FILE *out, size_t total)
{
    const char *no_color = getenv("NO_COLOR");
    *c = (struct console){.out = out, .tty = isatty(fileno(out)) == 1, .total = total};
    c->color = c->tty && (no_color == NULL || no_color[0] == '\0');
}

static void console_bar(struct console *c)
{
    enum { WIDTH = 30 };
    size_t filled = c->total ? c->done * WIDTH / c->total : WIDTH;
    char bar[WIDTH + 1];
    for (size_t i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(c->out, "\r\033[K[%s] %zu/%zu cases, %zu not passed", bar, c->done, c->total, c->bad);
}

static void console_line(struct console *c, const struct tq_case_record *r, const char *note)
{
    static const char *const labels[] = {"ERROR", "PASS ", "FAIL ", "ERROR", "SKIP ", "WARN "};
    static const char *const colors[] = {"\033[35m", "\033[32m", "\033[31m",
                                         "\033[35m", "\033[2m",  "\033[33m"};
    fprintf(c->out, "%s%s%s %-10s %s/%s (%.0f ms)%s%s%s\n", c->color ? colors[r->verdict] : "",
            labels[r->verdict], c->color ? "\033[0m" : "", r->backend, r->group, r->name,
            r->seconds * 1000, note, r->message && r->message[0] ? ": " : "",
            r->message ? r->message : "");
}

static void console_case(struct console *c, const struct tq_case_record *r)
{
    c->done++;
    bool quiet = r->verdict == TQ_VERDICT_PASS || r->verdict == TQ_VERDICT_SKIP;
    c->bad += quiet ? 0 : 1;
    if (c->tty)
        fputs("\r\033[K", c->out);
    if (!c->tty || !quiet)
        console_line(c, r, "");
    if (c->tty)
        console_bar(c);
    if (c->tty && c->done == c->total)
        fputs("\n", c->out);
    fflush(c->out);
}

/* console_amend prints again a case whose verdict changed after it was printed (its backend
 * broke the protocol after giving its result), counting it as not passed if it was. */
static void console_amend(struct console *c, const struct tq_case_record *r, bool was_quiet)
{
    c->bad += was_quiet ? 1 : 0;
    if (c->tty)
        fputs("\r\033[K", c->out);
    console_line(c, r, " (amended)");
    if (c->tty && c->done < c->total)
        console_bar(c);
    fflush(c->out);
}

/* struct plan is the expanded matrix: one slot per case that this run (and shard) executes. */
struct slot {
    size_t backend, scenario, seq;
    const struct broker *broker;
    struct run_case rc;
};

struct plan {
    const struct tq_runner_config *cfg;
    struct console console;
    struct slot *slots;
    size_t num;
    size_t next;          /* the next slot a worker takes */
    pthread_mutex_t lock; /* guards `next` and the console */
};

/* see runner.h */
bool tq_runner_selects(const struct tq_runner_selection *sel, const char *group,
                       const struct tq_scenario *s)
{
    static const char tag_prefix[] = "tag:";
    for (size_t i = 0; i < sel->num_case_ids; i++)
        if (tq_catalog_id_is(group, s->name, sel->case_ids[i]))
            return true;
    char id[1024];
    snprintf(id, sizeof(id), "%s/%s", group, s->name);
    for (size_t i = 0; i < sel->num_filters; i++) {
        const char *f = sel->filters[i];
        if (strncmp(f, tag_prefix, sizeof(tag_prefix) - 1) != 0) {
            if (strstr(id, f) != NULL)
                return true;
            continue;
        }
        for (size_t t = 0; t < s->tags.num; t++)
            if (strcmp(s->tags.items[t], f + sizeof(tag_prefix) - 1) == 0)
                return true;
    }
    return sel->num_filters == 0 && sel->num_case_ids == 0;
}

static bool selected(const struct tq_runner_config *cfg, size_t i)
{
    return tq_runner_selects(&cfg->selection, cfg->catalog->groups[i], cfg->catalog->items[i]);
}

/* plan_build expands backend x scenario in order, keeps this shard's cases, and starts the
 * brokers they need. */
static tq_status plan_build(struct tq_diag *diag, struct plan *p, struct broker_pool *pool)
{
    const struct tq_runner_config *cfg = p->cfg;
    size_t total = cfg->num_backends * cfg->catalog->num, index = 0;
    p->slots = calloc(total ? total : 1, sizeof(*p->slots));
    TQ_ENSURE(p->slots != NULL, TQ_ERR_NOMEM);
    for (size_t b = 0; b < cfg->num_backends; b++)
        for (size_t i = 0; i < cfg->catalog->num; i++) {
            size_t seq = index;
            if (!selected(cfg, i) || index++ % cfg->shard_count != cfg->shard_index)
                continue;
            struct slot *slot = &p->slots[p->num++];
            slot->seq = seq;
            slot->backend = b;
            slot->scenario = i;
            /* A lifecycle scenario changes the registry: it starts a broker of its own. */
            if (cfg->catalog->items[i]->num_steps == 0)
                TQ_GUARD(pool_get(diag, pool, &slot->broker, cfg, cfg->catalog->items[i]));
        }
    return TQ_SUCCESS;
}

/* mark_interrupted reports a case that a stop request cut short (its backend was killed) as
 * interrupted, keeping what was seen. */
static void mark_interrupted(struct run_case *rc, bool stopped_before)
{
    enum tq_verdict v = rc->record.verdict;
    if (stopped_before || !interrupted || v == TQ_VERDICT_PASS || v == TQ_VERDICT_WARN ||
        v == TQ_VERDICT_SKIP)
        return;
    char seen[sizeof(rc->message)];
    snprintf(seen, sizeof(seen), "%s", rc->message);
    set_verdict(rc, TQ_VERDICT_ERROR,
                "interrupted: the run was stopped by a signal while this "
                "case ran (%.1900s)",
                seen);
}

static void run_slot(struct plan *p, struct slot *slot, struct tq_backend_session *session,
                     const struct run_case *prev)
{
    const struct tq_runner_config *cfg = p->cfg;
    struct run_case *rc = &slot->rc;
    *rc = (struct run_case){.cfg = cfg,
                            .broker = slot->broker,
                            .scenario = cfg->catalog->items[slot->scenario],
                            .backend = cfg->backends[slot->backend],
                            .session = session,
                            .prev_id = prev ? prev->case_id : NULL};
    tq_buf_init(&rc->details, 256 * 1024);
    rc->record = (struct tq_case_record){.name = rc->scenario->name,
                                         .backend = tq_backend_name(rc->backend),
                                         .group = cfg->catalog->groups[slot->scenario],
                                         .scenario_file = rc->scenario->path,
                                         .seq = slot->seq};
    bool stopped_before = interrupted;
    run_one(rc);
    mark_interrupted(rc, stopped_before);
    if (rc->record.verdict != TQ_VERDICT_PASS && rc->record.verdict != TQ_VERDICT_SKIP)
        add_rerun_command(rc); /* every kind of case, lifecycle ones too */
    char adjusted[sizeof(rc->message)];
    enum tq_verdict v = tq_baseline_apply(cfg->baseline, &rc->record, adjusted, sizeof(adjusted));
    if (v != rc->record.verdict)
        set_verdict(rc, v, "%s", adjusted);
    if (rc->record.verdict != TQ_VERDICT_PASS && tq_ok(tq_buf_u8(&rc->details, '\0')))
        rc->record.details = (const char *)rc->details.data;
    else
        rc->record.details = NULL;
    pthread_mutex_lock(&p->lock);
    console_case(&p->console, &rc->record);
    pthread_mutex_unlock(&p->lock);
}

/* amend_broken turns the recorded verdict of case `rc` into a protocol error: after its result
 * was read, its backend process wrote `quote` on stdout (docs/backend-protocol.md: exactly one
 * result line per case). A verdict never stays PASS when its backend broke the protocol on that
 * case; the verdict it had is kept in the message. */
static void amend_broken(struct plan *p, struct run_case *rc, const char *when, const char *quote)
{
    enum tq_verdict was = rc->record.verdict;
    if (was == TQ_VERDICT_ERROR)
        return; /* already failed as not run; the line is the next case's evidence too */
    char seen[sizeof(rc->message)];
    snprintf(seen, sizeof(seen), "%s", rc->message);
    set_verdict(rc, TQ_VERDICT_ERROR,
                "protocol_error: after its result line the backend wrote "
                "%s: %s (judged on that result, the case was %s%s%.900s)",
                when, quote, tq_verdict_name(was), seen[0] ? ": " : "", seen);
    if (rc->record.details != NULL)
        rc->details.len--; /* drop the NUL; the details grow */
    append_text(&rc->details, "protocol: the result above was followed by ");
    append_text(&rc->details, quote);
    append_text(&rc->details, "\n");
    if (rc->record.details == NULL)
        add_rerun_command(rc);
    rc->record.details =
        tq_ok(tq_buf_u8(&rc->details, '\0')) ? (const char *)rc->details.data : NULL;
    pthread_mutex_lock(&p->lock);
    console_amend(&p->console, &rc->record, was == TQ_VERDICT_PASS || was == TQ_VERDICT_SKIP);
    pthread_mutex_unlock(&p->lock);
}

/* struct lane is a worker's process for one backend, and the case it answered last. */
struct lane {
    struct tq_backend_session session;
    struct run_case *last; /* the case whose result the process gave last; NULL: none */
};

/* lane_run runs slot `slot` on lane `l` (NULL: a process of its own) and charges any output its
 * process wrote out of turn to the case that broke the protocol (docs/backend-protocol.md). */
static void lane_run(struct plan *p, struct slot *slot, struct lane *l)
{
    char quote[TQ_RESULT_QUOTE_SIZE];
    if (l == NULL)
        return run_slot(p, slot, NULL, NULL);
    if (tq_backend_session_stray(&l->session, quote, sizeof(quote)) && l->last)
        amend_broken(p, l->last, "more before the next case was sent", quote);
    if (l->session.pid < 0)
        l->last = NULL; /* a fresh process: nothing it writes can answer an earlier case */
    unsigned long runs = l->session.num_runs;
    run_slot(p, slot, &l->session, l->last);
    if (slot->rc.stray_before[0] && l->last)
        amend_broken(p, l->last, "more before the next case was sent", slot->rc.stray_before);
    if (slot->rc.answered_prev[0] && l->last)
        amend_broken(p, l->last, "another answer to it while the next case ran",
                     slot->rc.answered_prev);
    if (l->session.num_runs != runs)
        l->last = &slot->rc;
}

/* worker runs cases until none is left, with one backend session per backend of its own. */
static void *worker(void *arg)
{
    struct plan *p = arg;
    struct lane *lanes = calloc(p->cfg->num_backends, sizeof(*lanes));
    for (size_t b = 0; lanes && b < p->cfg->num_backends; b++)
        tq_backend_session_init(&lanes[b].session, tq_backend_path(p->cfg->backends[b]));
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next < p->num ? p->next++ : p->num;
        pthread_mutex_unlock(&p->lock);
        if (i == p->num)
            break;
        /* No sessions (isolation asked, or out of memory): one process per case. */
        bool shared = lanes != NULL && !p->cfg->isolate;
        lane_run(p, &p->slots[i], shared ? &lanes[p->slots[i].backend] : NULL);
    }
    char quote[TQ_RESULT_QUOTE_SIZE];
    for (size_t b = 0; lanes && b < p->cfg->num_backends; b++)
        if (tq_backend_session_close(&lanes[b].session, quote, sizeof(quote)) && lanes[b].last)
            amend_broken(p, lanes[b].last, "more before the end of its input", quote);
    free(lanes);
    return NULL;
}

static void plan_execute(struct plan *p)
{
    pthread_t threads[64];
    size_t num_threads = (size_t)(p->cfg->jobs < 1 ? 1 : p->cfg->jobs > 64 ? 64 : p->cfg->jobs);
    size_t started = 0;
    for (; started < num_threads; started++)
        if (pthread_create(&threads[started], NULL, worker, p) != 0)
            break;
    if (started == 0)
        worker(p); /* no thread could start: run them here, one at a time */
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

static tq_status plan_report(struct plan *p, struct tq_report *report)
{
    tq_status st = TQ_SUCCESS;
    for (size_t i = 0; i < p->num; i++) {
        struct run_case *rc = &p->slots[i].rc;
        if (tq_ok(st))
            st = tq_report_add(report, &rc->record);
        free(rc->stderr_text);
        free(rc->result_line);
        tq_buf_cleanup(&rc->details);
    }
    return st;
}

/* see runner.h */
tq_status tq_runner_run(struct tq_diag *diag, struct tq_report *report,
                        const struct tq_runner_config *cfg)
{
    struct broker_pool pool = {.num = 0};
    struct plan plan = {.cfg = cfg};
    pthread_mutex_init(&plan.lock, NULL);
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    tq_status st = plan_build(diag, &plan, &pool);
    console_init(&plan.console, cfg->console, plan.num);
    if (tq_ok(st)) {
        plan_execute(&plan);
        st = plan_report(&plan, report);
        if (!tq_ok(st))
            st = tq_diag_fail(diag, st.code, NULL, 0, "cannot record a case: %s",
                              tq_status_text(st.code));
    }
    pool_stop(&pool);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    pthread_mutex_destroy(&plan.lock);
    free(plan.slots);
    return st;
}
