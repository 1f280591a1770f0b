/* The device session: one broker per plan case, the device's connection followed through the
 * broker's events, a verdict per case. Everything the session knows of the device comes from
 * those events: it never talks to the device itself. */
#include "device_session.h"

#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "device_publish.h"
#include "event_schema.h"
#include "fs.h"
#include "broker_proc.h"
#include "mqtt.h"
#include "proc.h"

enum {
    BROKER_STOP_MS = 3000,
    POLL_MS = 50,
    CONFIRM_MS = 10000, /* after the max-size PUBLISH: time to confirm it */
    PUBLISH_TIMEOUT_MS = 15000,
    MAX_EVENTS_BYTES = 16 << 20,
    MAX_BROKER_ARGS = 16,
    MAX_DETAILS = 256 * 1024,
};

#define PUBLISHER_CLIENT_ID "tlsqual-device-publisher"
#define DEFAULT_ACK_TOPIC "tlsqual/device/ack"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* struct view is the device's connection in one case, as the broker's events tell it. It is
 * recomputed from the whole events file at every poll, so it never depends on timing. */
struct view {
    long conn;   /* the first connection that sent a ClientHello; 0: none yet */
    char *hello; /* its client_hello line (owned) */
    bool established, connected, subscribed, closed;
    long connack; /* -1: none sent */
    char version[16], suite[96], cert_id[65], subject[512];
    char close_reason[64], close_detail[512], alert_sent[64], alert_received[64];
    char refused[256]; /* "client_certificate_rejected reason=..." and the like */
    char topic[512];   /* a concrete topic for its first usable subscription */
    char acked[512];   /* the topic of its first PUBLISH under the ack topic */
    long delivered;    /* the publisher's PUBLISH: subscribers (-1: not yet) */
    long delivered_len;
    struct tq_buf lines; /* the connection's event lines, for the evidence */
    char peer[64];       /* the device connection's peer */
    long publisher;      /* the helper's connection, known by its client ID; -1: none */
    struct {
        long conn;
        char peer[64];
    } opened[16];      /* every connection of the case as it opened (16 kept) */
    size_t num_opened; /* all of them */
};

static void view_reset(struct view *v)
{
    free(v->hello);
    struct tq_buf lines = v->lines;
    *v = (struct view){.connack = -1, .delivered = -1, .publisher = -1, .lines = lines};
    v->lines.len = 0;
}

static void view_cleanup(struct view *v)
{
    free(v->hello);
    v->hello = NULL;
    tq_buf_cleanup(&v->lines);
}

/* str returns string member `key` of `ev` (event_schema.h), "" when it is null. */
static const char *str(const struct tq_event *ev, const char *key)
{
    const char *s = tq_event_string(ev, key);
    return s ? s : "";
}

static void copy(char *out, size_t out_len, const char *s)
{
    snprintf(out, out_len, "%s", s);
}

/* concrete_topic turns a subscription filter into a topic it matches: '+' and '#' levels become
 * "tlsqual" (docs/device-mode.md). */
static void concrete_topic(char *out, size_t out_len, const char *filter)
{
    size_t used = 0;
    for (const char *p = filter; *p && used + 8 < out_len; p++) {
        if (*p == '+' || *p == '#')
            used += (size_t)snprintf(out + used, out_len - used, "tlsqual");
        else
            out[used++] = *p;
    }
    out[used] = '\0';
}

static void on_subscribe(struct view *v, const struct tq_event *ev)
{
    size_t i;
    json_t *f;
    json_array_foreach(tq_event_json(ev, "filters"), i, f)
    {
        /* the items of `filters` are {filter, requested_qos, granted} (docs/broker-events.md) */
        const char *filter = json_string_value(json_object_get(f, "filter"));
        filter = filter ? filter : "";
        json_t *granted = json_object_get(f, "granted");
        bool ok = json_is_integer(granted) && json_integer_value(granted) <= 1;
        if (v->topic[0] == '\0' && ok && filter[0] != '$' && filter[0] != '\0')
            concrete_topic(v->topic, sizeof(v->topic), filter);
    }
    v->subscribed = v->subscribed || v->topic[0] != '\0';
}

static void on_closed(struct view *v, const struct tq_event *ev)
{
    v->closed = true;
    copy(v->close_reason, sizeof(v->close_reason), str(ev, "reason"));
    copy(v->close_detail, sizeof(v->close_detail), str(ev, "detail"));
    copy(v->alert_sent, sizeof(v->alert_sent), str(ev, "alert_sent"));
    copy(v->alert_received, sizeof(v->alert_received), str(ev, "alert_received"));
}

static void on_device_event(struct view *v, const struct tq_event *ev, const char *ack_topic)
{
    switch (ev->id) {
    case TQ_EVENT_TLS_ESTABLISHED:
        v->established = true;
        copy(v->version, sizeof(v->version), str(ev, "version"));
        copy(v->suite, sizeof(v->suite), str(ev, "suite"));
        copy(v->cert_id, sizeof(v->cert_id), str(ev, "client_cert_id"));
        copy(v->subject, sizeof(v->subject), str(ev, "client_subject"));
        return;
    case TQ_EVENT_MQTT_CONNECT:
        v->connected = true;
        return;
    case TQ_EVENT_MQTT_CONNACK:
        v->connack = tq_event_integer(ev, "rc", -1);
        return;
    case TQ_EVENT_MQTT_SUBSCRIBE:
        on_subscribe(v, ev);
        return;
    case TQ_EVENT_MQTT_PUBLISH: {
        size_t n = strlen(ack_topic);
        const char *topic = str(ev, "topic");
        if (v->acked[0] == '\0' && strncmp(topic, ack_topic, n) == 0 && topic[n] == '/')
            copy(v->acked, sizeof(v->acked), topic);
        return;
    }
    case TQ_EVENT_CONNECTION_CLOSED:
        on_closed(v, ev);
        return;
    case TQ_EVENT_CLIENT_CERTIFICATE_REJECTED:
    case TQ_EVENT_SNI_REJECTED:
    case TQ_EVENT_ALPN_REJECTED:
        snprintf(v->refused, sizeof(v->refused), "%s reason=%s", tq_event_name(ev->id),
                 str(ev, "reason"));
        return;
    default:
        return; /* the other events of the connection change nothing the verdict reads */
    }
}

static void append(struct tq_buf *b, const char *s)
{
    if (!tq_ok(tq_buf_append(b, s, strlen(s))))
        return; /* evidence is bounded; past the bound it is cut */
}

/* scan rebuilds `v` from the events text of this case's broker. The device's connection is the
 * first one that sent a ClientHello and is not the publisher's (found by its client ID): only its
 * lines feed the verdict; of the publisher only its PUBLISH is read, and every other connection
 * (a retry, a second socket, a probe) is only listed as evidence (docs/device-mode.md#matching). */
static void scan(struct view *v, char *text, const char *ack_topic)
{
    view_reset(v);
    long publisher = -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct tq_event ev;
        struct tq_diag ignored;
        if (!tq_ok(tq_event_parse(&ignored, &ev, line, strlen(line))))
            continue; /* a line the schema refuses (event_schema.h) is no evidence */
        long conn = ev.conn;
        /* The helper is never the device's connection, whatever client ID the device uses. */
        if (ev.id == TQ_EVENT_MQTT_CONNECT && conn != v->conn &&
            strcmp(str(&ev, "client_id"), PUBLISHER_CLIENT_ID) == 0)
            publisher = conn;
        if (ev.id == TQ_EVENT_CONNECTION_OPENED && v->num_opened++ < 16) {
            v->opened[v->num_opened - 1].conn = conn;
            copy(v->opened[v->num_opened - 1].peer, sizeof(v->opened[0].peer), ev.peer);
        }
        if (v->conn == 0 && conn != 0 && conn != publisher && ev.id == TQ_EVENT_CLIENT_HELLO) {
            v->conn = conn;
            v->hello = strdup(line);
            copy(v->peer, sizeof(v->peer), ev.peer);
        }
        if (conn == publisher && ev.id == TQ_EVENT_MQTT_PUBLISH) {
            v->delivered = tq_event_integer(&ev, "subscribers", 0);
            v->delivered_len = tq_event_integer(&ev, "payload_len", 0);
        }
        if (conn != 0 && conn == v->conn) {
            on_device_event(v, &ev, ack_topic);
            append(&v->lines, line);
            append(&v->lines, "\n");
        }
        tq_event_cleanup(&ev);
    }
    v->publisher = publisher;
}

static bool poll_events(struct view *v, const char *events_path, const char *ack_topic)
{
    char *text = NULL;
    size_t len = 0;
    struct tq_diag ignored;
    if (!tq_ok(tq_fs_read_all(&ignored, &text, &len, events_path, MAX_EVENTS_BYTES)))
        return false;
    scan(v, text, ack_topic);
    free(text);
    return true;
}

/* struct live is one case while it is played. */
struct live {
    const struct tq_device_session_config *cfg;
    const struct tq_device_case *dc;
    size_t index;
    struct tq_broker_proc broker;
    char events_path[PATH_MAX];
    char host[96];
    int port;
    struct view view;
    enum tq_verdict verdict;
    char message[1024];
    struct tq_buf notes; /* the session's own evidence lines */
    double started_ms;
    size_t payload_len;
    char ack_topic[256];
};

static void decide(struct live *lv, enum tq_verdict v, const char *fmt, ...) TQ_PRINTF(3, 4);

static void decide(struct live *lv, enum tq_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lv->message, sizeof(lv->message), fmt, ap);
    va_end(ap);
    lv->verdict = v;
}

static void note(struct live *lv, const char *fmt, ...) TQ_PRINTF(2, 3);

static void note(struct live *lv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_buf_vappendf(&lv->notes, fmt, ap);
    va_end(ap);
    if (tq_ok(st))
        append(&lv->notes, "\n"); /* notes are bounded; past the bound they are cut */
}

/* why_closed describes how the device's connection ended, for messages. */
static void why_closed(char *out, size_t out_len, const struct view *v)
{
    snprintf(out, out_len, "closed: %s%s%s%s%s%s%s%s", v->close_reason,
             v->alert_received[0] ? ", alert from the device " : "", v->alert_received,
             v->alert_sent[0] ? ", alert from the broker " : "", v->alert_sent,
             v->refused[0] ? " (" : "", v->refused, v->refused[0] ? ")" : "");
}

/* judge_connect settles a connect_and_connect case, or returns false to keep waiting. */
static bool judge_connect(struct live *lv)
{
    const struct view *v = &lv->view;
    char how[1024];
    if (v->connack == 0) {
        decide(lv, TQ_VERDICT_PASS, "%s", "");
        note(lv, "connected: %s %s, CONNECT answered with CONNACK 0", v->version, v->suite);
        return true;
    }
    if (v->connack > 0) {
        decide(lv, TQ_VERDICT_FAIL, "the broker refused the CONNECT with CONNACK %ld", v->connack);
        return true;
    }
    if (!v->closed)
        return false;
    why_closed(how, sizeof(how), v);
    if (!v->established && v->alert_received[0])
        decide(lv, TQ_VERDICT_FAIL, "the device refused a good server chain with alert %s (%s)",
               v->alert_received, how);
    else if (v->established)
        decide(lv, TQ_VERDICT_FAIL, "completed the handshake but sent no CONNECT (%s)", how);
    else
        decide(lv, TQ_VERDICT_FAIL, "the handshake did not complete (%s)", how);
    return true;
}

static void judge_observation(struct live *lv, enum tq_device_observation obs, const char *what)
{
    enum tq_verdict v = lv->dc->on[obs];
    decide(lv, v, "%s", v == TQ_VERDICT_PASS ? "" : what);
    note(lv, "observation: %s -> %s (%s)", tq_device_observation_name(obs), tq_verdict_name(v),
         what);
}

/* judge_abort settles an abort_before_connect case, or returns false to keep waiting. */
static bool judge_abort(struct live *lv)
{
    const struct view *v = &lv->view;
    char how[1024], what[1200];
    if (v->connected) {
        judge_observation(lv, TQ_DEVICE_OBS_CONNECT,
                          "accepted the bad chain: completed the handshake and sent CONNECT");
        return true;
    }
    if (!v->closed)
        return false;
    why_closed(how, sizeof(how), v);
    if (v->established) {
        snprintf(what, sizeof(what),
                 "completed the handshake with the bad chain, then closed "
                 "before CONNECT (%s)",
                 how);
        judge_observation(lv, TQ_DEVICE_OBS_HANDSHAKE, what);
    } else if (v->alert_received[0] && strcmp(v->alert_received, "close_notify") != 0) {
        snprintf(what, sizeof(what), "refused the chain with alert %s", v->alert_received);
        judge_observation(lv, TQ_DEVICE_OBS_ALERT, what);
    } else if (v->alert_sent[0] || v->refused[0]) {
        decide(lv, TQ_VERDICT_ERROR,
               "the broker refused the connection before the device "
               "judged the chain (%s): this case did not test the device",
               how);
    } else {
        snprintf(what, sizeof(what), "refused the chain without sending an alert (%s)", how);
        judge_observation(lv, TQ_DEVICE_OBS_CLOSE, what);
    }
    return true;
}

static const char *publisher_host(const char *host)
{
    if (strcmp(host, "0.0.0.0") == 0)
        return "127.0.0.1";
    if (strcmp(host, "::") == 0)
        return "::1";
    return host;
}

/* deliver runs the helper client that PUBLISHes the maximum-size message to the device's topic.
 * False (with the verdict set) when it could not. */
static bool deliver(struct live *lv)
{
    const struct tq_artifact *a = lv->cfg->publisher;
    long want = lv->dc->publish.payload_size;
    size_t max = tq_device_publish_max_payload(strlen(lv->view.topic));
    lv->payload_len = want > 0 && (size_t)want < max ? (size_t)want : max;
    struct tq_device_publish_request req = {.host = publisher_host(lv->host),
                                            .port = lv->port,
                                            .cert = a->chain ? a->chain : a->cert,
                                            .key = a->key,
                                            .client_id = PUBLISHER_CLIENT_ID,
                                            .topic = lv->view.topic,
                                            .payload_len = lv->payload_len,
                                            .timeout_ms = PUBLISH_TIMEOUT_MS};
    struct tq_diag diag = {0};
    long port = -1;
    note(lv, "publishing %zu payload bytes (QoS 1) to '%s'", lv->payload_len, lv->view.topic);
    if (!tq_ok(tq_device_publish_send(&diag, &port, &req))) {
        decide(lv, TQ_VERDICT_ERROR, "the max-size PUBLISH could not be sent: %s", diag.msg);
        return false;
    }
    return true;
}

/* judge_received settles a receive_max_publish case after the PUBLISH, or returns false. */
static bool judge_received(struct live *lv, bool deadline)
{
    const struct view *v = &lv->view;
    char how[1024], want[300];
    snprintf(want, sizeof(want), "%s/%zu", lv->ack_topic, lv->payload_len);
    if (v->delivered == 0) {
        decide(lv, TQ_VERDICT_FAIL, "the PUBLISH to '%s' reached no subscriber", v->topic);
        return true;
    }
    if (v->acked[0] && strcmp(v->acked, want) == 0) {
        decide(lv, TQ_VERDICT_PASS, "%s", "");
        note(lv, "confirmed: the device published to %s", v->acked);
        return true;
    }
    if (v->acked[0]) {
        decide(lv, TQ_VERDICT_FAIL,
               "want an acknowledgement on %s, got %s: the device did not "
               "receive the payload whole",
               want, v->acked);
        return true;
    }
    if (v->closed && v->delivered > 0 && strcmp(v->close_reason, "client_disconnect") == 0) {
        decide(lv, TQ_VERDICT_PASS, "%s", "");
        note(lv, "confirmed: the device sent DISCONNECT after the delivery");
        return true;
    }
    if (v->closed) {
        why_closed(how, sizeof(how), v);
        decide(lv, TQ_VERDICT_FAIL, "the connection ended badly after the max-size PUBLISH (%s)",
               how);
        return true;
    }
    if (!deadline)
        return false;
    decide(lv, TQ_VERDICT_WARN,
           "delivered %zu bytes, but the device did not confirm (publish to "
           "%s or DISCONNECT; docs/device-mode.md#ack)",
           lv->payload_len, want);
    return true;
}

/* judge_subscribed settles the receive_max_publish case before the PUBLISH (a failure), or
 * returns false to keep waiting; `*out_ready` says it is time to publish. */
static bool judge_subscribed(struct live *lv, bool *out_ready)
{
    const struct view *v = &lv->view;
    char how[1024];
    *out_ready = false;
    if (v->connack > 0 || (v->closed && v->connack != 0)) {
        (void)judge_connect(lv); /* the same failures as a plain connect case */
        return true;
    }
    if (v->subscribed) {
        *out_ready = true;
        return false;
    }
    if (!v->closed)
        return false;
    why_closed(how, sizeof(how), v);
    decide(lv, TQ_VERDICT_FAIL, "connected but closed before subscribing to a topic (%s)", how);
    return true;
}

static double now_ms(void)
{
    return tq_now_ms();
}

/* follow_receive plays a receive_max_publish case once the device's connection exists. */
static void follow_receive(struct live *lv, double deadline)
{
    bool ready = false;
    while (!interrupted && now_ms() < deadline) {
        if (poll_events(&lv->view, lv->events_path, lv->ack_topic) && judge_subscribed(lv, &ready))
            return;
        if (ready)
            break;
        usleep(POLL_MS * 1000);
    }
    if (!ready)
        return decide(lv, TQ_VERDICT_FAIL,
                      "did not subscribe to a topic within %d s of "
                      "connecting",
                      lv->cfg->case_timeout_ms / 1000);
    if (!deliver(lv))
        return;
    double confirm = now_ms() + CONFIRM_MS;
    for (bool last = false; !last && !interrupted; usleep(POLL_MS * 1000)) {
        last = now_ms() >= confirm;
        if (poll_events(&lv->view, lv->events_path, lv->ack_topic) && judge_received(lv, last))
            return;
    }
}

/* follow plays the case once the device's connection exists, until it is settled. */
static void follow(struct live *lv)
{
    double deadline = now_ms() + lv->cfg->case_timeout_ms;
    if (lv->dc->must == TQ_DEVICE_MUST_RECEIVE_MAX)
        return follow_receive(lv, deadline);
    bool (*judge)(struct live *) =
        lv->dc->must == TQ_DEVICE_MUST_ABORT ? judge_abort : judge_connect;
    while (!interrupted && now_ms() < deadline) {
        if (poll_events(&lv->view, lv->events_path, lv->ack_topic) && judge(lv))
            return;
        usleep(POLL_MS * 1000);
    }
    if (lv->dc->must == TQ_DEVICE_MUST_ABORT && lv->view.established)
        return judge_observation(lv, TQ_DEVICE_OBS_HANDSHAKE,
                                 "completed the handshake with the bad chain and kept the "
                                 "connection open");
    decide(lv, TQ_VERDICT_FAIL, "the connection did not settle within %d s (%s)",
           lv->cfg->case_timeout_ms / 1000,
           lv->view.established ? "handshake done, no CONNACK" : "no handshake");
}

/* wait_for_device polls until the device's connection shows up. False at the idle deadline. */
static bool wait_for_device(struct live *lv)
{
    double deadline = now_ms() + lv->cfg->idle_timeout_ms;
    while (!interrupted && now_ms() < deadline) {
        if (poll_events(&lv->view, lv->events_path, lv->ack_topic) && lv->view.conn != 0)
            return true;
        usleep(POLL_MS * 1000);
    }
    return false;
}

/* override sets `option` to `value` (when not NULL) among the `n` setting arguments of `argv`
 * ("--option", "value" pairs), in place or appended, and returns the new count. */
static size_t override(const char **argv, size_t n, const char *option, const char *value)
{
    if (value == NULL)
        return n;
    for (size_t i = 0; i + 1 < n; i += 2)
        if (strcmp(argv[i], option) == 0) {
            argv[i + 1] = value;
            return n;
        }
    argv[n++] = option;
    argv[n++] = value;
    return n;
}

/* broker_start starts case `lv`'s broker on the operator's address through broker_proc, so it
 * stops with this process however this process ends (--parent-pid). */
static tq_status broker_start(struct tq_diag *diag, struct live *lv, const char *listen)
{
    const struct tq_device_session_config *cfg = lv->cfg;
    char log_path[PATH_MAX], name[64];
    snprintf(name, sizeof(name), "case-%02zu-events.jsonl", lv->index + 1);
    TQ_GUARD(tq_fs_join(diag, lv->events_path, sizeof(lv->events_path), cfg->run_dir, name));
    snprintf(name, sizeof(name), "case-%02zu-broker.log", lv->index + 1);
    TQ_GUARD(tq_fs_join(diag, log_path, sizeof(log_path), cfg->run_dir, name));
    unlink(lv->events_path);
    const char *args[MAX_BROKER_ARGS + 4];
    size_t n = tq_device_plan_broker_args(cfg->plan, lv->dc, args, MAX_BROKER_ARGS);
    n = override(args, n, "--policy", cfg->policy);
    n = override(args, n, "--listener", cfg->listener);
    /* A device on the bench is reached on the address `tlsqual device --listen` names: that
     * option is the user's explicit word for a non-loopback bind (the broker's rule). */
    struct tq_broker_proc_options opts = {.pki_dir = cfg->pki_dir,
                                          .events_path = lv->events_path,
                                          .log_path = log_path,
                                          .args = args,
                                          .num_args = n,
                                          .listen = listen,
                                          .allow_remote = !tq_broker_host_is_loopback(listen)};
    tq_status st = tq_broker_proc_start(diag, &lv->broker, &opts);
    if (!tq_ok(st)) {
        char why[sizeof(diag->msg)];
        snprintf(why, sizeof(why), "%s", diag->msg); /* diag->msg is about to be rewritten */
        return tq_diag_fail(diag, st.code, log_path, 0, "case '%s' on %s: %s", lv->dc->name, listen,
                            why);
    }
    lv->port = lv->broker.port;
    snprintf(lv->host, sizeof(lv->host), "%s", lv->broker.host);
    return TQ_SUCCESS;
}

static void broker_stop(struct live *lv)
{
    tq_broker_proc_stop(&lv->broker, BROKER_STOP_MS);
}

/* must_text says what the device must do while case `dc` is live. */
static void must_text(char *out, size_t out_len, const struct tq_device_case *dc)
{
    switch (dc->must) {
    case TQ_DEVICE_MUST_CONNECT:
        snprintf(out, out_len, "the device must connect and send MQTT CONNECT");
        return;
    case TQ_DEVICE_MUST_ABORT:
        snprintf(out, out_len, "the device must refuse the server and close before CONNECT");
        return;
    case TQ_DEVICE_MUST_RECEIVE_MAX:
        snprintf(out, out_len,
                 "the device must connect, subscribe, receive a maximum-size "
                 "PUBLISH whole, then confirm it (docs/device-mode.md#ack)");
        return;
    }
    snprintf(out, out_len, "?");
}

static void console_live(const struct live *lv, size_t total)
{
    FILE *out = lv->cfg->console;
    char must[256];
    must_text(must, sizeof(must), lv->dc);
    fprintf(out, "case %zu/%zu: %s\n  %s: connect now to %s:%d (waiting up to %d s)\n",
            lv->index + 1, total, lv->dc->description, must, lv->host, lv->port,
            lv->cfg->idle_timeout_ms / 1000);
    fflush(out);
}

static void console_verdict(const struct live *lv)
{
    static const char *const labels[] = {"ERROR", "PASS", "FAIL", "ERROR", "SKIP", "WARN"};
    fprintf(lv->cfg->console, "  -> %s %s%s%s (%.1f s)\n", labels[lv->verdict], lv->dc->name,
            lv->message[0] ? ": " : "", lv->message, (now_ms() - lv->started_ms) / 1000);
    fflush(lv->cfg->console);
}

/* keep_observed stores what case `lv` saw of the device into `o`. */
static void keep_observed(struct tq_device_observed *o, const struct live *lv)
{
    const struct view *v = &lv->view;
    if (v->hello != NULL && o->num_hellos < TQ_DEVICE_PLAN_MAX_CASES) {
        const char *listener = tq_device_plan_setting(lv->cfg->plan, lv->dc, "listener");
        if (lv->cfg->listener)
            listener = lv->cfg->listener;
        o->owned[o->num_hellos] = strdup(v->hello);
        o->hellos[o->num_hellos] = (struct tq_device_hello){
            .event = o->owned[o->num_hellos],
            .case_name = lv->dc->name,
            .alpn_listener = listener != NULL && strcmp(listener, "alpn") == 0};
        o->num_hellos += o->owned[o->num_hellos] != NULL;
    }
    if (o->client_cert_id[0] == '\0' && v->cert_id[0] != '\0') {
        copy(o->client_cert_id, sizeof(o->client_cert_id), v->cert_id);
        copy(o->client_subject, sizeof(o->client_subject), v->subject);
    }
}

/* note_connections says which connection the case was judged on, and which it ignored. */
static void note_connections(struct tq_buf *details, const struct view *v)
{
    static const char lead[] = "other connections during this case, never judged:";
    char line[256];
    if (v->conn != 0) {
        snprintf(line, sizeof(line), "judged on connection %ld from %s: %s\n", v->conn, v->peer,
                 "the first to send a ClientHello to this case's broker");
        append(details, line);
    }
    size_t listed = 0, kept = v->num_opened < 16 ? v->num_opened : 16;
    for (size_t i = 0; i < kept; i++) {
        if (v->opened[i].conn == v->conn || v->opened[i].conn == v->publisher)
            continue;
        snprintf(line, sizeof(line), "%s connection %ld from %s", listed++ ? "," : lead,
                 v->opened[i].conn, v->opened[i].peer);
        append(details, line);
    }
    if (v->num_opened > kept) {
        snprintf(line, sizeof(line), "%s %zu more connections", listed++ ? "," : lead,
                 v->num_opened - kept);
        append(details, line);
    }
    if (listed)
        append(details, "\n");
}

static tq_status record_case(struct tq_report *report, struct live *lv)
{
    struct tq_buf details;
    tq_buf_init(&details, MAX_DETAILS);
    char head[PATH_MAX + 256];
    snprintf(head, sizeof(head), "device must: %s\nbroker events: %s\n", lv->dc->device_must,
             lv->events_path);
    append(&details, head);
    if (lv->notes.len && tq_ok(tq_buf_u8(&lv->notes, '\0')))
        append(&details, (const char *)lv->notes.data);
    note_connections(&details, &lv->view);
    append(&details, "events of the device's connection:\n");
    if (lv->view.lines.len && tq_ok(tq_buf_u8(&lv->view.lines, '\0')))
        append(&details, (const char *)lv->view.lines.data);
    tq_status st = tq_buf_u8(&details, '\0');
    struct tq_case_record r = {.name = lv->dc->name,
                               .backend = "device",
                               .group = lv->dc->must == TQ_DEVICE_MUST_RECEIVE_MAX ? "mqtt" : "tls",
                               .scenario_file = lv->cfg->plan->path,
                               .verdict = lv->verdict,
                               .message = lv->message,
                               .details = tq_ok(st) ? (const char *)details.data : NULL,
                               .seconds = (now_ms() - lv->started_ms) / 1000,
                               .seq = lv->index};
    st = tq_report_add(report, &r);
    tq_buf_cleanup(&details);
    return st;
}

static tq_status record_not_run(struct tq_report *report,
                                const struct tq_device_session_config *cfg, size_t index,
                                const char *why)
{
    const struct tq_device_case *dc = &cfg->plan->cases[index];
    struct tq_case_record r = {.name = dc->name,
                               .backend = "device",
                               .group = dc->must == TQ_DEVICE_MUST_RECEIVE_MAX ? "mqtt" : "tls",
                               .scenario_file = cfg->plan->path,
                               .verdict = TQ_VERDICT_ERROR,
                               .message = why,
                               .seq = index};
    fprintf(cfg->console, "  -> ERROR %s: %s\n", dc->name, why);
    return tq_report_add(report, &r);
}

/* play runs case `lv` on a started broker: wait for the device, follow it, judge. False when the
 * device never came (the session then ends). */
static bool play(struct live *lv)
{
    if (!wait_for_device(lv)) {
        if (interrupted)
            decide(lv, TQ_VERDICT_ERROR, "interrupted: the session was stopped by a signal");
        else
            decide(lv, TQ_VERDICT_ERROR, "did not run: no connection within %d s",
                   lv->cfg->idle_timeout_ms / 1000);
        return false;
    }
    follow(lv);
    if (interrupted && lv->verdict == TQ_VERDICT_NOT_RUN)
        decide(lv, TQ_VERDICT_ERROR, "interrupted: the session was stopped by a signal");
    return true;
}

/* run_case plays case `index` on `listen` and records it. `*out_came` is false when the device
 * did not connect in time. */
static tq_status run_case(struct tq_diag *diag, struct tq_report *report,
                          struct tq_device_observed *observed,
                          const struct tq_device_session_config *cfg, size_t index, bool *out_came)
{
    const struct tq_device_case *dc = &cfg->plan->cases[index];
    struct live lv = {.cfg = cfg, .dc = dc, .index = index, .verdict = TQ_VERDICT_NOT_RUN};
    lv.view = (struct view){.connack = -1, .delivered = -1, .publisher = -1};
    tq_buf_init(&lv.view.lines, MAX_DETAILS);
    tq_buf_init(&lv.notes, 64 * 1024);
    copy(lv.ack_topic, sizeof(lv.ack_topic),
         dc->publish.ack_topic ? dc->publish.ack_topic : DEFAULT_ACK_TOPIC);
    *out_came = true;
    lv.started_ms = now_ms();
    tq_status st = broker_start(diag, &lv, observed->listen);
    if (!tq_ok(st)) {
        tq_buf_cleanup(&lv.notes);
        view_cleanup(&lv.view);
        return st;
    }
    snprintf(observed->listen, sizeof(observed->listen), "%s%s%s:%d",
             strchr(lv.host, ':') ? "[" : "", lv.host, strchr(lv.host, ':') ? "]" : "", lv.port);
    console_live(&lv, cfg->plan->num_cases);
    *out_came = play(&lv);
    broker_stop(&lv);
    /* a last look: the broker writes the connection's close when it stops */
    (void)poll_events(&lv.view, lv.events_path, lv.ack_topic);
    keep_observed(observed, &lv);
    console_verdict(&lv);
    st = record_case(report, &lv);
    tq_buf_cleanup(&lv.notes);
    view_cleanup(&lv.view);
    return st;
}

/* see device_session.h */
void tq_device_observed_cleanup(struct tq_device_observed *o)
{
    for (size_t i = 0; i < o->num_hellos; i++)
        free(o->owned[i]);
    o->num_hellos = 0;
}

static tq_status play_all(struct tq_diag *diag, struct tq_report *report,
                          struct tq_device_observed *observed,
                          const struct tq_device_session_config *cfg)
{
    size_t total = cfg->plan->num_cases, i = 0;
    char why[256] = "";
    for (; i < total && why[0] == '\0'; i++) {
        bool came = true;
        struct tq_diag case_diag = {0};
        tq_status st = run_case(&case_diag, report, observed, cfg, i, &came);
        if (!tq_ok(st) && i == 0) {
            *diag = case_diag;
            return st; /* the first broker did not start: nothing can run */
        }
        if (!tq_ok(st))
            TQ_GUARD(record_not_run(report, cfg, i, case_diag.msg));
        if (interrupted)
            snprintf(why, sizeof(why), "interrupted: the session was stopped by a signal");
        else if (!came)
            snprintf(why, sizeof(why),
                     "did not run: the device stopped connecting (no connection "
                     "within %d s in case %zu)",
                     cfg->idle_timeout_ms / 1000, i + 1);
    }
    for (; i < total; i++)
        TQ_GUARD(record_not_run(report, cfg, i, why));
    return TQ_SUCCESS;
}

/* see device_session.h */
tq_status tq_device_session_run(struct tq_diag *diag, struct tq_report *report,
                                struct tq_device_observed *observed,
                                const struct tq_device_session_config *cfg)
{
    snprintf(observed->listen, sizeof(observed->listen), "%s", cfg->listen);
    interrupted = 0;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    tq_status st = play_all(diag, report, observed, cfg);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return st;
}
