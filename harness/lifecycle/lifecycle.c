#include "lifecycle.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_client.h"
#include "async_run.h"
#include "broker_proc.h"
#include "case.h"
#include "events_log.h"
#include "fs.h"
#include "proc.h"
#include "result.h"
#include "verdict.h"

enum {
    MAX_OUTPUT = 1 << 20,
    MAX_EVENTS_BYTES = 16 << 20,
    MAX_PEM_BYTES = 64 * 1024,
    HOLD_READY_MS = 5000,  /* a held connection connects and subscribes within this */
    EVENTS_WAIT_MS = 1000, /* the broker may log a close just after the client exited */
    API_TIMEOUT_MS = 10000,
    BROKER_STOP_MS = 5000,
};

/* struct held is a connection that stays up while later steps run. */
struct held {
    const struct tq_scenario_step *step;
    struct tq_async_run run;
    char client_id[192];
    size_t events_from; /* no event line before this one can be the connection's */
};

struct engine;
static void note(struct engine *e, const char *fmt, ...) TQ_PRINTF(2, 3);

struct engine {
    const struct tq_lifecycle_case *c;
    struct tq_events_log *events;
    struct tq_buf *details;
    struct tq_broker_proc broker;
    struct tq_broker_proc_options opts;
    const char *args[TQ_BROKER_PROC_MAX_ARGS];
    char events_path[4096], log_path[4096], registry_path[4096];
    struct held held[TQ_SCENARIO_STEPS_MAX];
    size_t num_held;
    bool session_used;                       /* a connection of this case ran on c->session */
    char stray_before[TQ_RESULT_QUOTE_SIZE]; /* see struct tq_lifecycle_verdict */
};

/* note appends evidence to the case's details; past their bound it is cut, and that is fine. */
static void note(struct engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_buf_vappendf(e->details, fmt, ap);
    va_end(ap);
    (void)st;
}

/* ---- judging one connection --------------------------------------------------------------- */

/* judge_connection judges a finished connection against `expect`, with the broker's events for
 * its port, and leaves its result, stderr and events as evidence. */
static enum tq_verdict judge_connection(struct engine *e, const struct tq_scenario_expect *expect,
                                        struct tq_proc_output *run, const char *want_id,
                                        size_t events_from, char *why, size_t why_len)
{
    struct tq_result result;
    bool has_result = false;
    int deadline = e->c->timeout_ms + e->c->grace_ms;
    enum tq_verdict v =
        tq_verdict_of_run(run, deadline, want_id, expect, NULL, &result, &has_result, why, why_len);
    /* Only a result of this connection is evidence as it is; anything else is quoted (escaped)
     * in `why`. */
    if (has_result && tq_ok(tq_buf_u8(&run->out, '\0')))
        note(e, "result: %s", (const char *)run->out.data);
    if (v != TQ_VERDICT_PASS && run->err.len && tq_ok(tq_buf_u8(&run->err, '\0')))
        note(e, "stderr: %.2000s\n", (const char *)run->err.data);
    if (!has_result)
        return v;
    struct tq_buf events;
    tq_buf_init(&events, 256 * 1024);
    const struct tq_strlist *want = &expect->broker_events;
    const char *missing =
        tq_events_log_await(e->events, &events, &result.local_port, 1, events_from,
                            (const char *const *)want->items, want->num, EVENTS_WAIT_MS);
    if (missing && (v == TQ_VERDICT_PASS || v == TQ_VERDICT_WARN)) {
        snprintf(why, why_len, "want broker event '%s' for this connection, got none", missing);
        v = TQ_VERDICT_FAIL;
    }
    if (events.len && tq_ok(tq_buf_u8(&events, '\0')))
        note(e, "broker events for this connection:\n%s", (const char *)events.data);
    tq_buf_cleanup(&events);
    return v;
}

static struct tq_case_context case_context(const struct engine *e)
{
    return (struct tq_case_context){.pki = e->c->pki,
                                    .art = e->c->art,
                                    .host = e->broker.host,
                                    .port = e->broker.port,
                                    .timeout_ms = e->c->timeout_ms,
                                    .backend = e->c->backend_name};
}

static tq_status build_line(struct engine *e, const struct tq_scenario_step *step, char **line,
                            char *client_id, size_t client_id_len)
{
    struct tq_diag diag = {0};
    struct tq_case_context ctx = case_context(e);
    if (!tq_ok(tq_case_build_step(&diag, line, client_id, client_id_len, e->c->scenario, step,
                                  &ctx))) {
        note(e, "cannot build the case: %s\n", diag.msg);
        return TQ_STATUS(diag.code);
    }
    note(e, "case: %s", *line);
    return TQ_SUCCESS;
}

/* ---- the steps ------------------------------------------------------------------------------ */

static enum tq_verdict step_connect(struct engine *e, const struct tq_scenario_step *step,
                                    char *why, size_t why_len)
{
    char *line = NULL, client_id[192];
    size_t events_from = tq_events_log_mark(e->events);
    if (!tq_ok(build_line(e, step, &line, client_id, sizeof(client_id)))) {
        snprintf(why, why_len, "cannot build the case (see the details)");
        return TQ_VERDICT_ERROR;
    }
    char exe[4096], flag[] = "--run", id[TQ_RESULT_ID_MAX + 1], quote[TQ_RESULT_QUOTE_SIZE];
    snprintf(exe, sizeof(exe), "%s", e->c->backend_path);
    char *argv[] = {exe, flag, NULL};
    int deadline = e->c->timeout_ms + e->c->grace_ms;
    if (!tq_result_case_id(id, sizeof(id), line)) {
        free(line);
        snprintf(why, why_len, "the case line has no usable id");
        return TQ_VERDICT_ERROR;
    }
    /* Output since the result the process gave last broke the protocol on the connection that
     * result answered (docs/backend-protocol.md#one-line-per-case): before this case's first
     * connection, the previous case's (the runner charges it); later, this case's. */
    if (e->c->session && tq_backend_session_stray(e->c->session, quote, sizeof(quote))) {
        if (!e->session_used) {
            snprintf(e->stray_before, sizeof(e->stray_before), "%s", quote);
        } else {
            free(line);
            snprintf(why, why_len,
                     "protocol_error: after the result of an earlier connection of "
                     "this case the backend wrote %s",
                     quote);
            return TQ_VERDICT_ERROR;
        }
    }
    e->session_used = e->session_used || e->c->session != NULL;
    struct tq_proc_output run;
    struct tq_diag diag = {0};
    tq_status st =
        e->c->session
            ? tq_backend_session_run(&diag, e->c->session, &run, line, deadline, MAX_OUTPUT)
            : tq_proc_run(&diag, &run, argv, line, strlen(line), deadline, MAX_OUTPUT);
    free(line);
    if (!tq_ok(st)) {
        snprintf(why, why_len, "cannot start backend: %.700s", diag.msg);
        return TQ_VERDICT_ERROR;
    }
    enum tq_verdict v = judge_connection(e, &step->expect, &run, id, events_from, why, why_len);
    tq_proc_output_cleanup(&run);
    return v;
}

static enum tq_verdict step_hold(struct engine *e, const struct tq_scenario_step *step, char *why,
                                 size_t why_len)
{
    struct held *h = &e->held[e->num_held];
    *h = (struct held){.step = step};
    h->events_from = tq_events_log_mark(e->events);
    char *line = NULL;
    if (!tq_ok(build_line(e, step, &line, h->client_id, sizeof(h->client_id)))) {
        snprintf(why, why_len, "cannot build the case (see the details)");
        return TQ_VERDICT_ERROR;
    }
    if (!tq_ok(tq_async_run_start(&h->run, e->c->backend_path, line,
                                  e->c->timeout_ms + e->c->grace_ms))) {
        snprintf(why, why_len, "cannot start a thread for the held connection");
        return TQ_VERDICT_ERROR;
    }
    e->num_held++;
    size_t next = h->events_from;
    struct tq_events_log_line connect = {0};
    for (double deadline = tq_now_ms() + HOLD_READY_MS; tq_now_ms() < deadline; usleep(20 * 1000)) {
        if (tq_events_log_client_subscribed(e->events, h->client_id, &next, &connect))
            return TQ_VERDICT_PASS;
        if (tq_async_run_ended(&h->run))
            break;
    }
    snprintf(why, why_len,
             "the held connection '%s' (client ID %s) did not connect and "
             "subscribe within %d ms (its result is in the details of its wait step)",
             step->connect, h->client_id, HOLD_READY_MS);
    return TQ_VERDICT_FAIL;
}

static struct held *find_held(struct engine *e, const char *name)
{
    for (size_t i = 0; i < e->num_held; i++)
        if (strcmp(e->held[i].step->connect, name) == 0)
            return &e->held[i];
    return NULL;
}

/* step_wait waits for the held connection's process to end (by itself: the broker closes it,
 * a message arrives, or its deadline passes) and judges it. */
static enum tq_verdict step_wait(struct engine *e, const struct tq_scenario_step *step, char *why,
                                 size_t why_len)
{
    struct held *h = find_held(e, step->wait);
    if (h == NULL) {
        snprintf(why, why_len, "the held connection '%s' never started", step->wait);
        return TQ_VERDICT_ERROR;
    }
    tq_async_run_join(&h->run);
    char id[TQ_RESULT_ID_MAX + 1];
    if (!tq_ok(h->run.st)) {
        snprintf(why, why_len, "cannot start the backend for held connection '%s'", step->wait);
        return TQ_VERDICT_ERROR;
    }
    if (!tq_result_case_id(id, sizeof(id), h->run.line)) {
        snprintf(why, why_len, "the held connection's case line has no usable id");
        return TQ_VERDICT_ERROR;
    }
    return judge_connection(e, &step->expect, &h->run.out, id, h->events_from, why, why_len);
}

/* ---- control-plane calls ------------------------------------------------------------------ */

static char *read_pem(const struct tq_artifact *a)
{
    char *pem = NULL;
    size_t len = 0;
    struct tq_diag ignored;
    if (a == NULL || !tq_ok(tq_fs_read_all(&ignored, &pem, &len, a->cert, MAX_PEM_BYTES)))
        return NULL;
    return pem;
}

static const char *sha256_of(const struct tq_artifact *a)
{
    return a ? a->sha256 : "";
}

/* step_certificate and step_ca are the artifacts step `step` names (NULL: none). */
static const struct tq_artifact *step_certificate(const struct engine *e,
                                                  const struct tq_scenario_step *step)
{
    return e->c->art->step_certificate[step - e->c->scenario->steps];
}

static const struct tq_artifact *step_ca(const struct engine *e,
                                         const struct tq_scenario_step *step)
{
    return e->c->art->step_ca[step - e->c->scenario->steps];
}

/* register_body writes the JSON body of RegisterCertificate(WithoutCA). NULL: a PEM is missing. */
static char *register_body(const struct engine *e, const struct tq_scenario_step *step)
{
    char *pem = read_pem(step_certificate(e, step));
    char *ca_pem = step->ca ? read_pem(step_ca(e, step)) : NULL;
    json_t *body = pem ? json_pack("{s:s}", "certificatePem", pem) : NULL;
    if (body && ca_pem)
        json_object_set_new(body, "caCertificatePem", json_string(ca_pem));
    if (body && step->status)
        json_object_set_new(body, "status", json_string(step->status));
    char *text = body && (ca_pem || !step->ca) ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    free(pem);
    free(ca_pem);
    return text;
}

struct request {
    const char *method;
    char path[512];
    char *body; /* owned; NULL: none */
};

/* build_request maps an api step onto the REST call awscli makes (docs/broker-api.md). */
static bool build_request(const struct engine *e, const struct tq_scenario_step *step,
                          struct request *r)
{
    const char *op = step->api, *id = sha256_of(step_certificate(e, step));
    *r = (struct request){.method = "GET"};
    if (strcmp(op, "UpdateCertificate") == 0) {
        r->method = "PUT";
        snprintf(r->path, sizeof(r->path), "/certificates/%s?newStatus=%s", id, step->status);
    } else if (strcmp(op, "DescribeCertificate") == 0) {
        snprintf(r->path, sizeof(r->path), "/certificates/%s", id);
    } else if (strcmp(op, "DeleteCertificate") == 0) {
        r->method = "DELETE";
        snprintf(r->path, sizeof(r->path), "/certificates/%s?forceDelete=true", id);
    } else if (strcmp(op, "UpdateCACertificate") == 0) {
        r->method = "PUT";
        snprintf(r->path, sizeof(r->path), "/cacertificate/%s?%s%s%s%s",
                 sha256_of(step_ca(e, step)), step->status ? "newStatus=" : "",
                 step->status ? step->status : "",
                 step->status && step->auto_registration ? "&" : "",
                 step->auto_registration ? "newAutoRegistrationStatus=" : "");
        if (step->auto_registration)
            strncat(r->path, step->auto_registration, sizeof(r->path) - strlen(r->path) - 1);
    } else {
        bool with_ca = strcmp(op, "RegisterCertificate") == 0;
        r->method = "POST";
        snprintf(r->path, sizeof(r->path), "%s",
                 with_ca ? "/certificate/register" : "/certificate/register-no-ca");
        r->body = register_body(e, step);
        return r->body != NULL;
    }
    return true;
}

/* described_status returns certificateDescription.status of a DescribeCertificate answer. */
static void described_status(char *out, size_t out_len, const char *body)
{
    json_t *doc = json_loads(body, 0, NULL);
    const char *status = json_string_value(
        json_object_get(json_object_get(doc, "certificateDescription"), "status"));
    snprintf(out, out_len, "%s", status ? status : "no status");
    json_decref(doc);
}

static enum tq_verdict step_api(struct engine *e, const struct tq_scenario_step *step, char *why,
                                size_t why_len)
{
    struct request r;
    if (!build_request(e, step, &r)) {
        snprintf(why, why_len, "cannot read the certificates of api %s", step->api);
        return TQ_VERDICT_ERROR;
    }
    struct tq_api_answer answer;
    struct tq_diag diag = {0};
    tq_status st =
        tq_api_call(&diag, &answer, e->broker.api_port, r.method, r.path, r.body, API_TIMEOUT_MS);
    free(r.body);
    if (!tq_ok(st)) {
        snprintf(why, why_len, "api %s: %.700s", step->api, diag.msg);
        return TQ_VERDICT_ERROR;
    }
    note(e, "api %s: %s %s -> HTTP %d %.1500s\n", step->api, r.method, r.path, answer.status,
         answer.body);
    long want = step->http_status ? step->http_status : 200;
    enum tq_verdict v = TQ_VERDICT_PASS;
    char status[64] = "";
    if (answer.status == 200 && strcmp(step->api, "DescribeCertificate") == 0 && step->status)
        described_status(status, sizeof(status), answer.body);
    if (answer.status != want) {
        snprintf(why, why_len, "api %s: want HTTP %ld, got %d: %.300s", step->api, want,
                 answer.status, answer.body);
        v = TQ_VERDICT_FAIL;
    } else if (status[0] && strcmp(status, step->status) != 0) {
        snprintf(why, why_len, "api DescribeCertificate %s: want status %s, got %s",
                 step->certificate, step->status, status);
        v = TQ_VERDICT_FAIL;
    }
    free(answer.body);
    return v;
}

/* ---- the broker ---------------------------------------------------------------------------- */

static tq_status broker_setup(struct tq_diag *diag, struct engine *e)
{
    const struct tq_lifecycle_case *c = e->c;
    char source[4096], *registry = NULL;
    size_t len = 0;
    TQ_GUARD(tq_fs_mkdirs(diag, c->work_dir, 0700));
    TQ_GUARD(tq_fs_join(diag, e->events_path, sizeof(e->events_path), c->work_dir,
                        "broker-events.jsonl"));
    TQ_GUARD(tq_fs_join(diag, e->log_path, sizeof(e->log_path), c->work_dir, "broker.log"));
    TQ_GUARD(
        tq_fs_join(diag, e->registry_path, sizeof(e->registry_path), c->work_dir, "registry.json"));
    TQ_GUARD(tq_fs_join(diag, source, sizeof(source), c->pki_dir, "registry.json"));
    TQ_GUARD(tq_fs_read_all(diag, &registry, &len, source, MAX_EVENTS_BYTES));
    tq_status st = tq_fs_write_atomic(diag, e->registry_path, registry, len, 0600);
    free(registry);
    TQ_GUARD(st);
    unlink(e->events_path);
    TQ_GUARD(tq_events_log_open(diag, &e->events, e->events_path, MAX_EVENTS_BYTES));
    size_t num_args =
        tq_scenario_broker_args(&c->scenario->broker, e->args, TQ_BROKER_PROC_MAX_ARGS);
    e->opts = (struct tq_broker_proc_options){.pki_dir = c->pki_dir,
                                              .events_path = e->events_path,
                                              .log_path = e->log_path,
                                              .args = e->args,
                                              .num_args = num_args,
                                              .api = true,
                                              .registry_path = e->registry_path};
    return tq_broker_proc_start(diag, &e->broker, &e->opts);
}

static enum tq_verdict step_restart(struct engine *e, const struct tq_scenario_step *step,
                                    char *why, size_t why_len)
{
    if (strcmp(step->restart, "kill") == 0)
        tq_broker_proc_kill(&e->broker);
    else
        tq_broker_proc_stop(&e->broker, BROKER_STOP_MS);
    /* The same ports: devices and the pipeline keep their addresses across the restart. */
    e->opts.port = e->broker.port;
    e->opts.api_port = e->broker.api_port;
    struct tq_diag diag = {0};
    if (!tq_ok(tq_broker_proc_start(&diag, &e->broker, &e->opts))) {
        snprintf(why, why_len, "the broker did not start again: %.500s (its log: %.300s)", diag.msg,
                 e->log_path);
        return TQ_VERDICT_ERROR;
    }
    note(e, "broker restarted (%s) on %s:%d, control plane port %d\n", step->restart,
         e->broker.host, e->broker.port, e->broker.api_port);
    return TQ_VERDICT_PASS;
}

/* ---- the case ------------------------------------------------------------------------------ */

static enum tq_verdict run_step(struct engine *e, const struct tq_scenario_step *step, char *why,
                                size_t why_len)
{
    if (step->connect)
        return step->hold ? step_hold(e, step, why, why_len) : step_connect(e, step, why, why_len);
    if (step->api)
        return step_api(e, step, why, why_len);
    if (step->wait)
        return step_wait(e, step, why, why_len);
    return step_restart(e, step, why, why_len);
}

static const char *step_label(const struct tq_scenario_step *step, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s",
             step->connect ? "connect"
             : step->api   ? "api"
             : step->wait  ? "wait"
                           : "restart",
             step->connect ? step->connect
             : step->api   ? step->api
             : step->wait  ? step->wait
                           : step->restart);
    return buf;
}

static void run_steps(struct engine *e, struct tq_lifecycle_verdict *out)
{
    const struct tq_scenario *s = e->c->scenario;
    out->verdict = TQ_VERDICT_PASS;
    for (size_t i = 0; i < s->num_steps; i++) {
        const struct tq_scenario_step *step = &s->steps[i];
        char why[900] = "", label[160];
        note(e, "step %zu (%s, line %u)\n", i + 1, step_label(step, label, sizeof(label)),
             step->line);
        enum tq_verdict v = run_step(e, step, why, sizeof(why));
        if (v == TQ_VERDICT_PASS)
            continue;
        snprintf(out->message, sizeof(out->message), "step %zu (%.120s, line %u): %.800s", i + 1,
                 label, step->line, why);
        out->verdict = v;
        if (v != TQ_VERDICT_WARN)
            return;
    }
}

/* see lifecycle.h */
void tq_lifecycle_run(const struct tq_lifecycle_case *c, struct tq_lifecycle_verdict *out,
                      struct tq_buf *details)
{
    double start = tq_now_ms();
    struct engine *e = calloc(1, sizeof(*e));
    *out = (struct tq_lifecycle_verdict){.verdict = TQ_VERDICT_ERROR};
    if (e == NULL) {
        snprintf(out->message, sizeof(out->message), "out of memory");
        return;
    }
    e->c = c;
    e->details = details;
    e->broker.child.pid = -1;
    struct tq_diag diag = {0};
    if (tq_ok(broker_setup(&diag, e))) {
        note(e, "private broker %s:%d, control plane port %d, registry %s, events %s\n",
             e->broker.host, e->broker.port, e->broker.api_port, e->registry_path, e->events_path);
        run_steps(e, out);
    } else {
        snprintf(out->message, sizeof(out->message), "cannot start the case's broker: %.900s",
                 diag.msg);
    }
    /* Stopping the broker first closes every held connection, so their processes end now. */
    tq_broker_proc_stop(&e->broker, BROKER_STOP_MS);
    for (size_t i = 0; i < e->num_held; i++)
        tq_async_run_cleanup(&e->held[i].run);
    snprintf(out->stray_before, sizeof(out->stray_before), "%s", e->stray_before);
    tq_events_log_close(e->events);
    free(e);
    out->seconds = (tq_now_ms() - start) / 1000.0;
}
