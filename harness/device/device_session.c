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
#include "fs.h"
#include "mqtt.h"
#include "proc.h"

enum {
    READY_FD = 3,
    BROKER_READY_MS = 15000,
    BROKER_STOP_MS = 3000,
    POLL_MS = 50,
    CONFIRM_MS = 10000,          /* after the max-size PUBLISH: time to confirm it */
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
    long conn;                   /* the first connection that sent a ClientHello; 0: none yet */
    char *hello;                 /* its client_hello line (owned) */
    bool established, connected, subscribed, closed;
    long connack;                /* -1: none sent */
    char version[16], suite[96], cert_id[65], subject[512];
    char close_reason[64], close_detail[512], alert_sent[64], alert_received[64];
    char refused[256];           /* "client_certificate_rejected reason=..." and the like */
    char topic[512];             /* a concrete topic for its first usable subscription */
    char acked[512];             /* the topic of its first PUBLISH under the ack topic */
    long delivered;              /* the publisher's PUBLISH: subscribers (-1: not yet) */
    long delivered_len;
    struct tq_buf lines;         /* the connection's event lines, for the evidence */
};

static void view_reset(struct view *v)
{
    free(v->hello);
    struct tq_buf lines = v->lines;
    *v = (struct view){.connack = -1, .delivered = -1, .lines = lines};
    v->lines.len = 0;
}

static void view_cleanup(struct view *v)
{
    free(v->hello);
    v->hello = NULL;
    tq_buf_cleanup(&v->lines);
}

static const char *str(json_t *ev, const char *key)
{
    const char *s = json_string_value(json_object_get(ev, key));
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

static void on_subscribe(struct view *v, json_t *ev)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(ev, "filters"), i, f)
    {
        const char *filter = str(f, "filter");
        json_t *granted = json_object_get(f, "granted");
        bool ok = json_is_integer(granted) && json_integer_value(granted) <= 1;
        if (v->topic[0] == '\0' && ok && filter[0] != '$' && filter[0] != '\0')
            concrete_topic(v->topic, sizeof(v->topic), filter);
    }
    v->subscribed = v->subscribed || v->topic[0] != '\0';
}

static void on_closed(struct view *v, json_t *ev)
{
    v->closed = true;
    copy(v->close_reason, sizeof(v->close_reason), str(ev, "reason"));
    copy(v->close_detail, sizeof(v->close_detail), str(ev, "detail"));
    copy(v->alert_sent, sizeof(v->alert_sent), str(ev, "alert_sent"));
    copy(v->alert_received, sizeof(v->alert_received), str(ev, "alert_received"));
}

static void on_device_event(struct view *v, const char *name, json_t *ev, const char *ack_topic)
{
    if (strcmp(name, "tls_established") == 0) {
        v->established = true;
        copy(v->version, sizeof(v->version), str(ev, "version"));
        copy(v->suite, sizeof(v->suite), str(ev, "suite"));
        copy(v->cert_id, sizeof(v->cert_id), str(ev, "client_cert_id"));
        copy(v->subject, sizeof(v->subject), str(ev, "client_subject"));
    } else if (strcmp(name, "mqtt_connect") == 0) {
        v->connected = true;
    } else if (strcmp(name, "mqtt_connack") == 0) {
        v->connack = (long)json_integer_value(json_object_get(ev, "rc"));
    } else if (strcmp(name, "mqtt_subscribe") == 0) {
        on_subscribe(v, ev);
    } else if (strcmp(name, "mqtt_publish") == 0) {
        size_t n = strlen(ack_topic);
        const char *topic = str(ev, "topic");
        if (v->acked[0] == '\0' && strncmp(topic, ack_topic, n) == 0 && topic[n] == '/')
            copy(v->acked, sizeof(v->acked), topic);
    } else if (strcmp(name, "connection_closed") == 0) {
        on_closed(v, ev);
    } else if (strstr(name, "_rejected") != NULL) {
        snprintf(v->refused, sizeof(v->refused), "%s reason=%s", name, str(ev, "reason"));
    }
}

static void append(struct tq_buf *b, const char *s)
{
    if (!tq_ok(tq_buf_append(b, s, strlen(s))))
        return; /* evidence is bounded; past the bound it is cut */
}

/* scan rebuilds `v` from the events text. The device's connection is the first one that sent a
 * ClientHello and is not the publisher's; `publisher_conn` is found by its client ID. */
static void scan(struct view *v, char *text, const char *ack_topic)
{
    view_reset(v);
    long publisher = -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *ev = json_loads(line, 0, NULL);
        const char *name = str(ev, "event");
        long conn = (long)json_integer_value(json_object_get(ev, "conn"));
        if (strcmp(name, "mqtt_connect") == 0 && strcmp(str(ev, "client_id"),
                                                        PUBLISHER_CLIENT_ID) == 0)
            publisher = conn;
        if (v->conn == 0 && conn != publisher && strcmp(name, "client_hello") == 0) {
            v->conn = conn;
            v->hello = strdup(line);
        }
        if (conn == publisher && strcmp(name, "mqtt_publish") == 0) {
            v->delivered = (long)json_integer_value(json_object_get(ev, "subscribers"));
            v->delivered_len = (long)json_integer_value(json_object_get(ev, "payload_len"));
        }
        if (conn != 0 && conn == v->conn) {
            on_device_event(v, name, ev, ack_topic);
            append(&v->lines, line);
            append(&v->lines, "\n");
        }
        json_decref(ev);
    }
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
    struct tq_proc_child broker;
    char events_path[PATH_MAX];
    char host[96];
    int port;
    struct view view;
    enum tq_verdict verdict;
    char message[1024];
    struct tq_buf notes;         /* the session's own evidence lines */
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
        snprintf(what, sizeof(what), "completed the handshake with the bad chain, then closed "
                 "before CONNECT (%s)", how);
        judge_observation(lv, TQ_DEVICE_OBS_HANDSHAKE, what);
    } else if (v->alert_received[0] && strcmp(v->alert_received, "close_notify") != 0) {
        snprintf(what, sizeof(what), "refused the chain with alert %s", v->alert_received);
        judge_observation(lv, TQ_DEVICE_OBS_ALERT, what);
    } else if (v->alert_sent[0] || v->refused[0]) {
        decide(lv, TQ_VERDICT_ERROR, "the broker refused the connection before the device "
               "judged the chain (%s): this case did not test the device", how);
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
    const struct tq_artifact *a = tq_manifest_find(lv->cfg->pki, lv->cfg->publisher_cert);
    if (a == NULL) {
        decide(lv, TQ_VERDICT_ERROR, "the PKI has no artifact '%s' for the publisher",
               lv->cfg->publisher_cert);
        return false;
    }
    long want = lv->dc->publish.payload_size;
    size_t max = tq_device_publish_max_payload(strlen(lv->view.topic));
    lv->payload_len = want > 0 && (size_t)want < max ? (size_t)want : max;
    struct tq_device_publish_request req = {
        .host = publisher_host(lv->host), .port = lv->port, .cert = a->chain ? a->chain : a->cert,
        .key = a->key, .client_id = PUBLISHER_CLIENT_ID, .topic = lv->view.topic,
        .payload_len = lv->payload_len, .timeout_ms = PUBLISH_TIMEOUT_MS};
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
        decide(lv, TQ_VERDICT_FAIL, "want an acknowledgement on %s, got %s: the device did not "
               "receive the payload whole", want, v->acked);
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
    decide(lv, TQ_VERDICT_WARN, "delivered %zu bytes, but the device did not confirm (publish to "
           "%s or DISCONNECT; docs/device-mode.md#ack)", lv->payload_len, want);
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
        (void)judge_connect(lv);   /* the same failures as a plain connect case */
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
        if (poll_events(&lv->view, lv->events_path, lv->ack_topic) &&
            judge_subscribed(lv, &ready))
            return;
        if (ready)
            break;
        usleep(POLL_MS * 1000);
    }
    if (!ready)
        return decide(lv, TQ_VERDICT_FAIL, "did not subscribe to a topic within %d s of "
                      "connecting", lv->cfg->case_timeout_ms / 1000);
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

/* override sets `option` to `value` (when not NULL) among the `n` arguments of `argv`, in place
 * or appended, and returns the new count. */
static size_t override(const char **argv, size_t n, const char *option, const char *value)
{
    if (value == NULL)
        return n;
    for (size_t i = 10; i + 1 < n; i += 2)
        if (strcmp(argv[i], option) == 0) {
            argv[i + 1] = value;
            return n;
        }
    argv[n++] = option;
    argv[n++] = value;
    return n;
}

static tq_status parse_ready(struct tq_diag *diag, struct live *lv, const char *ready)
{
    const char *colon = strrchr(ready, ':');
    lv->port = colon ? atoi(colon + 1) : 0;
    if (lv->port <= 0) {
        int ignored;
        tq_proc_stop(&lv->broker, BROKER_STOP_MS, &ignored);
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "the broker's ready line '%s' is not HOST:PORT", ready);
    }
    const char *host = ready;
    size_t host_len = (size_t)(colon - ready);
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        host++;
        host_len -= 2;
    }
    snprintf(lv->host, sizeof(lv->host), "%.*s", (int)host_len, host);
    return TQ_SUCCESS;
}

/* last_log_line writes the last non-empty line of the broker's log at `path` into `out`. */
static void last_log_line(char *out, size_t out_len, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    struct tq_diag ignored;
    out[0] = '\0';
    if (!tq_ok(tq_fs_read_all(&ignored, &text, &len, path, 1 << 20)))
        return;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    char *start = strrchr(text, '\n');
    copy(out, out_len, start ? start + 1 : text);
    free(text);
}

static tq_status broker_start(struct tq_diag *diag, struct live *lv, const char *listen)
{
    const struct tq_device_session_config *cfg = lv->cfg;
    char self[PATH_MAX], exe[PATH_MAX + 16], log_path[PATH_MAX], name[64], ready[128];
    char pki[PATH_MAX], listen_arg[128];
    TQ_GUARD(tq_fs_self_dir(diag, self, sizeof(self)));
    TQ_GUARD(tq_fs_join(diag, exe, sizeof(exe), self, "tlsqual"));
    snprintf(name, sizeof(name), "case-%02zu-events.jsonl", lv->index + 1);
    TQ_GUARD(tq_fs_join(diag, lv->events_path, sizeof(lv->events_path), cfg->run_dir, name));
    snprintf(name, sizeof(name), "case-%02zu-broker.log", lv->index + 1);
    TQ_GUARD(tq_fs_join(diag, log_path, sizeof(log_path), cfg->run_dir, name));
    unlink(lv->events_path);
    copy(pki, sizeof(pki), cfg->pki_dir);
    copy(listen_arg, sizeof(listen_arg), listen);
    const char *argv[10 + MAX_BROKER_ARGS + 5] = {exe, "broker", "--pki", pki, "--listen",
                                                  listen_arg, "--events", lv->events_path,
                                                  "--ready-fd", "3"};
    size_t n = 10 + tq_device_plan_broker_args(cfg->plan, lv->dc, argv + 10, MAX_BROKER_ARGS);
    n = override(argv, n, "--policy", cfg->policy);
    n = override(argv, n, "--listener", cfg->listener);
    /* A device on the bench is reached on the address `tlsqual device --listen` names: that
     * option is the user's explicit word for a non-loopback bind (the broker's rule). */
    if (!tq_broker_host_is_loopback(listen_arg))
        argv[n++] = "--allow-remote";
    char *const *args = (char *const *)(void *)argv; /* posix_spawn's argv is not const */
    tq_status st = tq_proc_start(diag, &lv->broker, args, log_path, READY_FD, ready,
                                 sizeof(ready), BROKER_READY_MS);
    if (!tq_ok(st)) {
        char why[1024], said[512] = "";
        copy(why, sizeof(why), diag->msg);   /* diag->msg is about to be rewritten */
        last_log_line(said, sizeof(said), log_path);
        return tq_diag_fail(diag, st.code, log_path, 0, "the broker for case '%s' did not start "
                            "on %s: %s%s%s", lv->dc->name, listen, why,
                            said[0] ? "; it said: " : "", said);
    }
    return parse_ready(diag, lv, ready);
}

static void broker_stop(struct live *lv)
{
    int wait_status;
    tq_proc_stop(&lv->broker, BROKER_STOP_MS, &wait_status);
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
        snprintf(out, out_len, "the device must connect, subscribe, receive a maximum-size "
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
            .event = o->owned[o->num_hellos], .case_name = lv->dc->name,
            .alpn_listener = listener != NULL && strcmp(listener, "alpn") == 0};
        o->num_hellos += o->owned[o->num_hellos] != NULL;
    }
    if (o->client_cert_id[0] == '\0' && v->cert_id[0] != '\0') {
        copy(o->client_cert_id, sizeof(o->client_cert_id), v->cert_id);
        copy(o->client_subject, sizeof(o->client_subject), v->subject);
    }
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
    append(&details, "events of the device's connection:\n");
    if (lv->view.lines.len && tq_ok(tq_buf_u8(&lv->view.lines, '\0')))
        append(&details, (const char *)lv->view.lines.data);
    tq_status st = tq_buf_u8(&details, '\0');
    struct tq_case_record r = {
        .name = lv->dc->name, .backend = "device",
        .group = lv->dc->must == TQ_DEVICE_MUST_RECEIVE_MAX ? "mqtt" : "tls",
        .scenario_file = lv->cfg->plan->path, .verdict = lv->verdict, .message = lv->message,
        .details = tq_ok(st) ? (const char *)details.data : NULL,
        .seconds = (now_ms() - lv->started_ms) / 1000, .seq = lv->index};
    st = tq_report_add(report, &r);
    tq_buf_cleanup(&details);
    return st;
}

static tq_status record_not_run(struct tq_report *report,
                                const struct tq_device_session_config *cfg, size_t index,
                                const char *why)
{
    const struct tq_device_case *dc = &cfg->plan->cases[index];
    struct tq_case_record r = {
        .name = dc->name, .backend = "device",
        .group = dc->must == TQ_DEVICE_MUST_RECEIVE_MAX ? "mqtt" : "tls",
        .scenario_file = cfg->plan->path, .verdict = TQ_VERDICT_ERROR, .message = why,
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
                          const struct tq_device_session_config *cfg, size_t index,
                          bool *out_came)
{
    const struct tq_device_case *dc = &cfg->plan->cases[index];
    struct live lv = {.cfg = cfg, .dc = dc, .index = index, .verdict = TQ_VERDICT_NOT_RUN};
    lv.view = (struct view){.connack = -1, .delivered = -1};
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
            return st;   /* the first broker did not start: nothing can run */
        }
        if (!tq_ok(st))
            TQ_GUARD(record_not_run(report, cfg, i, case_diag.msg));
        if (interrupted)
            snprintf(why, sizeof(why), "interrupted: the session was stopped by a signal");
        else if (!came)
            snprintf(why, sizeof(why), "did not run: the device stopped connecting (no connection "
                     "within %d s in case %zu)", cfg->idle_timeout_ms / 1000, i + 1);
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
