/* The MQTT side of a session: what both versions share (CONNECT's accept path, the input loop)
 * and MQTT 3.1.1, one handler per packet type, as AWS IoT Core behaves (docs/aws-iot/mqtt.md).
 * MQTT 5 is session_mqtt5.c; messages, sessions, Will and retained messages session_deliver.c.
 * Packets are decoded with the shared codecs (common/mqtt.h, common/mqtt5.h). */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_internal.h"

typedef tq_status (*packet_handler)(struct tq_session *s, struct tq_diag *diag,
                                    const struct tq_mqtt_frame *frame);

/* see broker_internal.h */
tq_status tq__mqtt_send_status(struct tq_session *s, const struct tq_buf *buf, tq_status st)
{
    if (tq_ok(st))
        tq__session_send(s, buf);
    return st;
}

static tq_status send_connack(struct tq_session *s, uint8_t rc, bool present)
{
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 16);
    struct tq_mqtt_connack ack = {.session_present = present, .return_code = rc};
    tq__session_emit(s, "mqtt_connack",
                     json_pack("{s:i, s:b}", "rc", rc, "session_present", present));
    return tq__mqtt_send_status(s, &buf, tq_mqtt_connack_write(&buf, &ack));
}

/* see broker_internal.h */
void tq__mqtt_keep_alive_deadline(struct tq_session *s)
{
    /* docs/aws-iot/mqtt.md#keep-alive-timeout: "A client that sends nothing for 1.5 times its
     * keep-alive is disconnected". */
    tq__session_arm(s, s->keep_alive_s * 1500UL);
}

/* see broker_internal.h */
unsigned tq__mqtt_effective_keep_alive(const struct tq_session *s, uint16_t requested)
{
    /* docs/aws-iot/mqtt.md#keep-alive: below 30 s is treated as 30 (--keepalive-min, lower for
     * tests); the maximum is 1200 s. */
    unsigned min = s->broker->cfg->keepalive_min_s;
    if (requested < min)
        return min;
    return requested > TQ_BROKER_KEEPALIVE_MAX_S ? TQ_BROKER_KEEPALIVE_MAX_S : requested;
}

static void emit_connect(struct tq_session *s, const struct tq_mqtt_connect *c)
{
    tq__session_emit(s, "mqtt_connect",
                     json_pack("{s:s%, s:i, s:i, s:i, s:b, s:b, s:b}", "client_id",
                               c->client_id.p ? (const char *)c->client_id.p : "", c->client_id.len,
                               "protocol_level", c->protocol_level, "keep_alive", c->keep_alive,
                               "keep_alive_effective",
                               tq__mqtt_effective_keep_alive(s, c->keep_alive), "clean_session",
                               c->clean_session, "has_will", c->has_will, "has_username",
                               c->has_username));
}

/* take_over_client_id closes the connection that holds the same client ID
 * (docs/aws-iot/devices.md#duplicate-client-id: "the new client connection is accepted and the
 * previously connected client is disconnected"; lifecycle disconnectReason DUPLICATE_CLIENTID).
 * There is at most one: each CONNECT takes its client ID over before it is indexed. */
static void take_over_client_id(struct tq_session *s)
{
    struct tq_session *o = tq__connected_by_client_id(s->broker, s->client_id);
    if (o == NULL || o == s)
        return;
    tq__audit_conflict(s->broker, s->client_id, o->tls.cert_id, s->tls.cert_id);
    tq__session_emit(o, "duplicate_clientid",
                     json_pack("{s:s, s:I, s:s}", "client_id", s->client_id, "new_conn",
                               (json_int_t)s->conn, "new_peer", s->peer));
    tq__session_close(o, "duplicate_clientid", NULL, false);
}

/* At most this many other connections are listed in one shared_certificate event, so that N
 * clients sharing one certificate write O(N) bytes each, not O(N^2) in all. */
enum { SHARED_CERT_MAX_LISTED = 8 };

static json_t *shared_with(const struct tq_session *o)
{
    return json_pack("{s:I, s:s, s:s}", "conn", (json_int_t)o->conn, "peer", o->peer, "client_id",
                     o->client_id);
}

/* num_same_client_id counts the sessions of group `g` whose client ID is `s`'s: those are
 * takeovers, not sharers. */
static size_t num_same_client_id(struct tq_session *s, const struct tq_cert_group *g)
{
    if (s->client_id[0] == '\0')
        return g->num_unnamed;
    const struct tq_session *o = tq__connected_by_client_id(s->broker, s->client_id);
    return o != NULL && o->group == g;
}

/* shared_certificate reports the connections that use `s`'s certificate under another client
 * ID (docs/aws-iot/devices.md#shared-certificate: DEVICE_CERTIFICATE_SHARED_CHECK, "Multiple,
 * concurrent connections use the same X.509 certificate"; its findings list the client IDs).
 * The same certificate under the same client ID is a takeover (duplicate_clientid), not a
 * shared certificate. True when there is one. The certificate's group gives the count at once,
 * and the listing stops after SHARED_CERT_MAX_LISTED: the cost does not grow with the number of
 * sharers. */
static bool shared_certificate(struct tq_session *s)
{
    const struct tq_cert_group *g = tq__cert_group(s->broker, s->tls.cert_id);
    size_t num = g ? g->num - num_same_client_id(s, g) : 0;
    if (num == 0)
        return false;
    json_t *ids = json_array(), *others = json_array();
    json_array_append_new(ids, json_string(s->client_id));
    const struct tq_session *first = NULL;
    size_t listed = 0;
    for (const struct tq_session *o = g->newest; o && listed < SHARED_CERT_MAX_LISTED;
         o = o->group_next) {
        if (strcmp(o->client_id, s->client_id) == 0)
            continue;
        first = first ? first : o;
        listed++;
        json_array_append_new(ids, json_string(o->client_id));
        json_array_append_new(others, shared_with(o));
    }
    if (first == NULL) { /* cannot be: num counts sessions with another client ID */
        json_decref(ids);
        json_decref(others);
        return false;
    }
    tq__audit_shared(s->broker, s->tls.cert_id, ids);
    tq__session_emit(s, "shared_certificate",
                     json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:s}", "client_cert_id",
                               s->tls.cert_id, "client_id", s->client_id, "client_ids", ids,
                               "others", others, "num_others", (json_int_t)num, "other_conn",
                               (json_int_t)first->conn, "other_peer", first->peer));
    return true;
}

static tq_status refuse_connect(struct tq_session *s, uint8_t rc, const char *reason)
{
    TQ_GUARD(send_connack(s, rc, false));
    tq__session_close(s, reason, NULL, true);
    return TQ_SUCCESS;
}

/* refuse_at_connect closes `s` refused after its CONNECT decoded: on MQTT 3.1.1 without CONNACK
 * (how AWS IoT drops a CONNECT it does not authorize, docs/aws-iot/mqtt.md#unauthorized-connect),
 * on MQTT 5 with CONNACK `reason5` (that page's CONNACK reason codes). */
static void refuse_at_connect(struct tq_session *s, const char *reason, const char *detail,
                              uint8_t reason5)
{
    if (s->protocol_level != TQ_MQTT5_LEVEL ||
        !tq_ok(tq__mqtt5_connack_refuse(s, reason5, reason, detail)))
        tq__session_close(s, reason, detail, false);
}

/* see broker_internal.h */
bool tq__mqtt_connect_begin(struct tq_session *s, struct tq_connect_req *req, bool *out_present)
{
    struct tq_msg *will = req->will;
    req->will = NULL;
    memcpy(s->client_id, req->client_id.p, req->client_id.len);
    s->client_id[req->client_id.len] = '\0';
    s->keep_alive_s = tq__mqtt_effective_keep_alive(s, req->keep_alive);
    if (shared_certificate(s) && s->broker->cfg->shared_cert == TQ_SHARED_CERT_REFUSE) {
        tq_msg_unref(will);
        refuse_at_connect(s, "shared_certificate",
                          "the certificate is in use by another "
                          "client ID (--shared-cert refuse)",
                          TQ_MQTT5_RC_NOT_AUTHORIZED);
        return false;
    }
    take_over_client_id(s);
    if (!tq_ok(tq__connected_add(s)) ||
        !tq_ok(tq__mqtt_attach(s, req->clean, req->session_expiry_s, out_present))) {
        tq_msg_unref(will);
        refuse_at_connect(s, "internal_error", "out of memory", TQ_MQTT5_RC_UNSPECIFIED_ERROR);
        return false;
    }
    s->will = will;
    return true;
}

/* see broker_internal.h */
void tq__mqtt_connect_end(struct tq_session *s, bool present)
{
    s->state = TQ_SESSION_CONNECTED;
    tq__mqtt_keep_alive_deadline(s);
    if (present)
        tq__mqtt_resume(s);
}

/* will_of copies the Will of a 3.1.1 CONNECT (docs/aws-iot/mqtt.md#last-will); QoS 2, which AWS
 * does not have (#qos), is kept as QoS 1. */
static tq_status will_of(const struct tq_mqtt_connect *c, struct tq_msg **out)
{
    *out = NULL;
    if (!c->has_will)
        return TQ_SUCCESS;
    struct tq_mqtt5_publish p = {.qos = c->will_qos > 1 ? 1 : c->will_qos,
                                 .retain = c->will_retain,
                                 .topic = c->will_topic,
                                 .payload = c->will_message.p,
                                 .payload_len = c->will_message.len};
    return tq_msg_new(out, &p, tq__mqtt_now_ms());
}

static tq_status accept_connect(struct tq_session *s, const struct tq_mqtt_connect *c)
{
    /* docs/aws-iot/mqtt.md#persistent-sessions: cleanSession 0 resumes or creates a session,
     * which outlives the connection by the account's expiry (one hour by default). */
    struct tq_connect_req req = {.client_id = c->client_id,
                                 .keep_alive = c->keep_alive,
                                 .clean = c->clean_session,
                                 .session_expiry_s =
                                     c->clean_session ? 0 : s->broker->cfg->session_expiry};
    if (!tq_ok(will_of(c, &req.will))) {
        tq__session_close(s, "internal_error", "out of memory", false);
        return TQ_SUCCESS;
    }
    bool present = false;
    if (!tq__mqtt_connect_begin(s, &req, &present))
        return TQ_SUCCESS;
    TQ_GUARD(send_connack(s, TQ_MQTT_ACCEPTED, present));
    tq__mqtt_connect_end(s, present);
    return TQ_SUCCESS;
}

/* client_id_refused: docs/aws-iot/mqtt.md#client-id-limits: at most --max-client-id bytes (128
 * on AWS), and IDs starting with "$" are reserved for the ones AWS IoT assigns. An empty one
 * needs a clean session (MQTT 3.1.1 section 3.1.3.1). */
static bool client_id_refused(const struct tq_session *s, const struct tq_mqtt_connect *c)
{
    return c->client_id.len > s->broker->cfg->max_client_id ||
           (c->client_id.len == 0 && !c->clean_session) ||
           (c->client_id.len > 0 && c->client_id.p[0] == '$');
}

static tq_status on_connect(struct tq_session *s, struct tq_diag *diag,
                            const struct tq_mqtt_frame *frame)
{
    if (s->state == TQ_SESSION_CONNECTED) { /* MQTT 3.1.1 section 3.1.0-2 */
        tq__session_close(s, "second_connect", NULL, false);
        return TQ_SUCCESS;
    }
    struct tq_mqtt_connect c;
    TQ_GUARD(tq_mqtt_connect_read(diag, &c, frame));
    /* docs/aws-iot/mqtt.md#versions: MQTT 3.1.1 and MQTT 5, chosen per connection. */
    if (c.protocol_level == TQ_MQTT5_LEVEL)
        return tq__mqtt5_connect(s, diag, frame);
    emit_connect(s, &c);
    if (s->tls.refusal != NULL) { /* TQ_REFUSE_AFTER_CONNECT: close, no CONNACK
                                     * (docs/aws-iot/mqtt.md#unauthorized-connect) */
        tq__session_close(s, "certificate_refused", s->tls.refusal, false);
        return TQ_SUCCESS;
    }
    if (c.protocol_level != 4)
        return refuse_connect(s, TQ_MQTT_REFUSED_PROTOCOL_VERSION, "unsupported_protocol_level");
    s->protocol_level = 4;
    if (client_id_refused(s, &c))
        return refuse_connect(s, TQ_MQTT_REFUSED_IDENTIFIER, "identifier_rejected");
    return accept_connect(s, &c);
}

/* see broker_internal.h */
size_t tq__broker_publish(struct tq_broker *b, const char *topic, json_t *payload)
{
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    if (text == NULL)
        return 0;
    struct tq_mqtt5_publish p = {.topic = {.p = (const uint8_t *)topic, .len = strlen(topic)},
                                 .payload = (const uint8_t *)text,
                                 .payload_len = strlen(text)};
    struct tq_msg *m = NULL;
    size_t num = tq_ok(tq_msg_new(&m, &p, tq__mqtt_now_ms())) ? tq__mqtt_route(b, NULL, m) : 0;
    tq_msg_unref(m);
    free(text);
    return num;
}

/* see broker_internal.h */
size_t tq__mqtt_route_publish(struct tq_session *s, const struct tq_mqtt5_publish *p)
{
    struct tq_msg *m = NULL;
    if (!tq_ok(tq_msg_new(&m, p, tq__mqtt_now_ms())))
        return 0;
    size_t num = tq__mqtt_route(s->broker, s->msession, m);
    tq_msg_unref(m);
    return num;
}

static tq_status on_publish(struct tq_session *s, struct tq_diag *diag,
                            const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt_publish p;
    TQ_GUARD(tq_mqtt_publish_read(diag, &p, frame));
    /* docs/aws-iot/mqtt.md#topic-limits: AWS's topic length and levels hold for MQTT 3.1.1 too,
     * which has no reason code to refuse a PUBLISH with: the connection ends (CLIENT_ERROR). */
    if (!tq_mqtt5_topic_within(&s->broker->limits, p.topic, false)) {
        tq__session_close(s, "topic_invalid",
                          "the topic name exceeds --max-topic-length or "
                          "--max-topic-slashes",
                          false);
        return TQ_SUCCESS;
    }
    struct tq_mqtt5_publish p5 = {.qos = p.qos,
                                  .retain = p.retain,
                                  .topic = p.topic,
                                  .payload = p.payload,
                                  .payload_len = p.payload_len};
    /* docs/aws-iot/mqtt.md#qos: QoS 2 is not supported, "gets no PUBACK". */
    size_t num = p.qos == 2 ? 0 : tq__mqtt_route_publish(s, &p5);
    tq__session_emit(s, "mqtt_publish",
                     json_pack("{s:s%, s:i, s:i, s:b, s:I, s:I, s:b}", "topic",
                               (const char *)p.topic.p, p.topic.len, "qos", p.qos, "packet_id",
                               p.packet_id, "retain", p.retain, "payload_len",
                               (json_int_t)p.payload_len, "subscribers", (json_int_t)num, "dropped",
                               p.qos == 2));
    if (p.qos != 1)
        return TQ_SUCCESS;
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 8);
    return tq__mqtt_send_status(s, &buf,
                                tq_mqtt_packet_id_write(&buf, TQ_MQTT_PUBACK, p.packet_id));
}

static tq_status on_puback(struct tq_session *s, struct tq_diag *diag,
                           const struct tq_mqtt_frame *frame)
{
    uint16_t packet_id;
    TQ_GUARD(tq_mqtt_packet_id_read(diag, &packet_id, frame));
    tq__mqtt_puback(s, packet_id); /* an unknown identifier is ignored */
    return TQ_SUCCESS;
}

/* see broker_internal.h */
int tq__mqtt_qos2_grant(const struct tq_session *s)
{
    static const int qos2_grants[] = {
        [TQ_QOS2_IGNORE] = -1, [TQ_QOS2_GRANT1] = 1, [TQ_QOS2_REJECT] = 0x80};
    return qos2_grants[s->broker->cfg->qos2];
}

static int grant(const struct tq_session *s, uint8_t requested)
{
    return requested < 2 ? requested : tq__mqtt_qos2_grant(s);
}

/* within_limits: docs/aws-iot/mqtt.md#subscribe-limits and #topic-limits hold for MQTT 3.1.1
 * too; its SUBACK has one failure code, 0x80, for a filter past --max-filters, past the
 * connection's --max-subscriptions, or with too many levels. */
static bool within_limits(const struct tq_session *s, const struct tq_mqtt_subscribe *sub, size_t i,
                          size_t *num_new)
{
    const struct tq_broker *b = s->broker;
    if (i >= b->cfg->max_filters || !tq_mqtt5_topic_within(&b->limits, sub->filters[i], true))
        return false;
    if (tq_router_has(b->router, s->msession, sub->filters[i]))
        return true;
    if (tq_router_count(b->router, s->msession) + *num_new >= b->cfg->max_subscriptions)
        return false;
    ++*num_new;
    return true;
}

static json_t *subscribe_event(const struct tq_mqtt_subscribe *sub,
                               const struct tq_mqtt_suback *ack, bool acked)
{
    json_t *filters = json_array();
    for (size_t i = 0; i < sub->num_filters; i++)
        json_array_append_new(
            filters, json_pack("{s:s%, s:i, s:o}", "filter", (const char *)sub->filters[i].p,
                               sub->filters[i].len, "requested_qos", sub->qos[i], "granted",
                               acked ? json_integer(ack->codes[i]) : json_null()));
    return json_pack("{s:i, s:o, s:b}", "packet_id", sub->packet_id, "filters", filters, "suback",
                     acked);
}

static tq_status on_subscribe(struct tq_session *s, struct tq_diag *diag,
                              const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt_subscribe sub;
    TQ_GUARD(tq_mqtt_subscribe_read(diag, &sub, frame));
    struct tq_mqtt_suback ack = {.packet_id = sub.packet_id, .num_codes = sub.num_filters};
    bool acked = true;
    size_t num_new = 0;
    for (size_t i = 0; i < sub.num_filters; i++) {
        int g = grant(s, sub.qos[i]);
        acked = acked && g >= 0;
        ack.codes[i] = (uint8_t)(g < 0 || !within_limits(s, &sub, i, &num_new) ? 0x80 : g);
    }
    for (size_t i = 0; acked && i < sub.num_filters; i++)
        if (ack.codes[i] != 0x80)
            TQ_GUARD(
                tq_router_subscribe(s->broker->router, s->msession, sub.filters[i], ack.codes[i]));
    tq__session_emit(s, "mqtt_subscribe", subscribe_event(&sub, &ack, acked));
    if (!acked)
        return TQ_SUCCESS;
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 64);
    TQ_GUARD(tq__mqtt_send_status(s, &buf, tq_mqtt_suback_write(&buf, &ack)));
    for (size_t i = 0; i < sub.num_filters; i++)
        if (ack.codes[i] != 0x80)
            tq__mqtt_send_retained(s, sub.filters[i], ack.codes[i]);
    return TQ_SUCCESS;
}

static tq_status on_unsubscribe(struct tq_session *s, struct tq_diag *diag,
                                const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt_subscribe unsub;
    TQ_GUARD(tq_mqtt_subscribe_read(diag, &unsub, frame));
    json_t *filters = json_array();
    for (size_t i = 0; i < unsub.num_filters; i++) {
        tq_router_unsubscribe(s->broker->router, s->msession, unsub.filters[i]);
        json_array_append_new(filters,
                              json_stringn((const char *)unsub.filters[i].p, unsub.filters[i].len));
    }
    tq__session_emit(s, "mqtt_unsubscribe",
                     json_pack("{s:i, s:o}", "packet_id", unsub.packet_id, "filters", filters));
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 8);
    return tq__mqtt_send_status(s, &buf,
                                tq_mqtt_packet_id_write(&buf, TQ_MQTT_UNSUBACK, unsub.packet_id));
}

/* see broker_internal.h */
tq_status tq__mqtt_pingreq(struct tq_session *s, struct tq_diag *diag,
                           const struct tq_mqtt_frame *frame)
{
    (void)diag, (void)frame;
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 4);
    return tq__mqtt_send_status(s, &buf, tq_mqtt_empty_write(&buf, TQ_MQTT_PINGRESP));
}

static tq_status on_disconnect(struct tq_session *s, struct tq_diag *diag,
                               const struct tq_mqtt_frame *frame)
{
    (void)diag, (void)frame;
    /* docs/aws-iot/mqtt.md#last-will: "after a DISCONNECT from the client it is discarded". */
    tq_msg_unref(s->will);
    s->will = NULL;
    tq__session_close(s, "client_disconnect", NULL, false);
    return TQ_SUCCESS;
}

/* The packets an MQTT 3.1.1 client may send (PUBREC/PUBREL/PUBCOMP: AWS IoT has no QoS 2,
 * docs/aws-iot/mqtt.md#unsupported-packets). */
static const packet_handler handlers[16] = {
    [TQ_MQTT_CONNECT] = on_connect,         [TQ_MQTT_PUBLISH] = on_publish,
    [TQ_MQTT_PUBACK] = on_puback,           [TQ_MQTT_SUBSCRIBE] = on_subscribe,
    [TQ_MQTT_UNSUBSCRIBE] = on_unsubscribe, [TQ_MQTT_PINGREQ] = tq__mqtt_pingreq,
    [TQ_MQTT_DISCONNECT] = on_disconnect,
};

static tq_status dispatch(struct tq_session *s, struct tq_diag *diag,
                          const struct tq_mqtt_frame *frame)
{
    /* MQTT 3.1.1 section 3.1.0-1, MQTT 5 [MQTT-3.1.0-1]: the first packet must be CONNECT. */
    if (s->state == TQ_SESSION_AWAIT_CONNECT && frame->type != TQ_MQTT_CONNECT)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "want CONNECT first, got %s",
                            tq_mqtt5_type_name(frame->type));
    if (s->state == TQ_SESSION_CONNECTED)
        tq__mqtt_keep_alive_deadline(s);
    if (s->protocol_level == TQ_MQTT5_LEVEL)
        return tq__mqtt5_dispatch(s, diag, frame);
    packet_handler handler = handlers[frame->type];
    if (handler == NULL)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "unexpected %s packet from a client",
                            tq_mqtt_type_name(frame->type));
    return handler(s, diag, frame);
}

/* failure_reason names why a packet failed: the frame (`framing`) or its decoding. A decoder's
 * TQ_ERR_LIMIT is more items than the codec holds (filters, properties): on MQTT 5 that is a
 * quota (DISCONNECT 0x97, docs/aws-iot/mqtt.md#disconnect-reason-codes). */
static const char *failure_reason(const struct tq_session *s, tq_status st, bool framing)
{
    if (st.code == TQ_ERR_LIMIT)
        return framing || s->protocol_level != TQ_MQTT5_LEVEL ? "packet_too_large"
                                                              : "quota_exceeded";
    return st.code == TQ_ERR_PARSE      ? "malformed_packet"
           : st.code == TQ_ERR_PROTOCOL ? "protocol_error"
                                        : "internal_error";
}

/* see broker_internal.h */
void tq__mqtt_input(struct tq_session *s)
{
    struct evbuffer *in = bufferevent_get_input(s->bev);
    while (s->state == TQ_SESSION_AWAIT_CONNECT || s->state == TQ_SESSION_CONNECTED) {
        size_t len = evbuffer_get_length(in);
        const uint8_t *data = len ? evbuffer_pullup(in, (ev_ssize_t)len) : NULL;
        struct tq_diag diag = {0};
        struct tq_mqtt_frame frame;
        bool complete = false;
        tq_status st = data ? tq_mqtt_frame_parse(&diag, &frame, &complete, data, len,
                                                  s->broker->cfg->max_packet)
                            : TQ_SUCCESS;
        bool framing = !tq_ok(st);
        if (tq_ok(st) && complete)
            st = dispatch(s, &diag, &frame);
        if (!tq_ok(st))
            tq__session_close(s, failure_reason(s, st, framing), diag.msg, false);
        if (!tq_ok(st) || !complete)
            return;
        evbuffer_drain(in, frame.frame_len);
    }
}
