/* MQTT 5 connections (OASIS mqtt-v5.0-os) as AWS IoT Core serves them
 * (docs/aws-iot/mqtt.md#mqtt5-features, docs/aws-iot/mqtt.md#mqtt5-properties): CONNACK with
 * AWS's properties and reason codes, PUBLISH with Topic Aliases, SUBSCRIBE without Subscription
 * Identifiers, reason codes on every acknowledgement, DISCONNECT both ways. One handler per
 * packet type, as session_mqtt.c for MQTT 3.1.1; the accept path, routing and sessions are
 * shared with it. A bare "#anchor" in this file is docs/aws-iot/mqtt.md#anchor. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_internal.h"

typedef tq_status (*packet_handler)(struct tq_session *s, struct tq_diag *diag,
                                    const struct tq_mqtt_frame *frame);

static json_t *opt_int(const struct tq_mqtt5_props *p, enum tq_mqtt5_prop id, json_int_t value)
{
    return tq_mqtt5_props_has(p, id) ? json_integer(value) : json_null();
}

/* connack_props_json lists the CONNACK properties that were sent, by their names in snake case. */
static json_t *connack_props_json(const struct tq_mqtt5_props *p)
{
    static const struct {
        enum tq_mqtt5_prop id;
        const char *name;
    } scalars[] = {
        {TQ_MQTT5_PROP_SESSION_EXPIRY, "session_expiry"},
        {TQ_MQTT5_PROP_SERVER_KEEP_ALIVE, "server_keep_alive"},
        {TQ_MQTT5_PROP_RECEIVE_MAXIMUM, "receive_maximum"},
        {TQ_MQTT5_PROP_MAXIMUM_PACKET_SIZE, "maximum_packet_size"},
        {TQ_MQTT5_PROP_TOPIC_ALIAS_MAXIMUM, "topic_alias_maximum"},
        {TQ_MQTT5_PROP_MAXIMUM_QOS, "maximum_qos"},
        {TQ_MQTT5_PROP_RETAIN_AVAILABLE, "retain_available"},
        {TQ_MQTT5_PROP_WILDCARD_SUB_AVAILABLE, "wildcard_subscription_available"},
        {TQ_MQTT5_PROP_SUBSCRIPTION_ID_AVAILABLE, "subscription_identifier_available"},
        {TQ_MQTT5_PROP_SHARED_SUB_AVAILABLE, "shared_subscription_available"},
    };
    const json_int_t values[] = {
        p->session_expiry,      p->server_keep_alive,      p->receive_maximum,
        p->maximum_packet_size, p->topic_alias_maximum,    p->maximum_qos,
        p->retain_available,    p->wildcard_sub_available, p->subscription_id_available,
        p->shared_sub_available};
    json_t *out = json_object();
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
        if (tq_mqtt5_props_has(p, scalars[i].id))
            json_object_set_new(out, scalars[i].name, json_integer(values[i]));
    if (tq_mqtt5_props_has(p, TQ_MQTT5_PROP_ASSIGNED_CLIENT_ID))
        json_object_set_new(
            out, "assigned_client_identifier",
            json_stringn((const char *)p->assigned_client_id.p, p->assigned_client_id.len));
    return out;
}

/* set_reason_string sets the Reason String of a refusing CONNACK or a server's DISCONNECT, which
 * a server may send whatever the client's Request Problem Information (MQTT 5 section
 * 3.1.2.11.7); AWS does (docs/aws-iot/mqtt.md#connack-reason-codes: "CONNACK:ClientId is
 * invalid:..."). At most 255 bytes of valid UTF-8 from `text`. */
static void set_reason_string(struct tq_mqtt5_props *props, const char *text)
{
    size_t len = strnlen(text, 256);
    if (len > 255) { /* cut before a character, not inside one */
        len = 255;
        while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
            len--;
    }
    props->reason_string = (struct tq_mqtt_str){.p = (const uint8_t *)text, .len = len};
    props->present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_REASON_STRING);
}

static tq_status send_connack(struct tq_session *s, uint8_t reason, bool present,
                              const struct tq_mqtt5_props *props)
{
    struct tq_mqtt5_connack ack = {.session_present = present, .reason = reason, .props = *props};
    tq__session_emit(s, "mqtt_connack",
                     json_pack("{s:i, s:b, s:i, s:s, s:o}", "rc", reason, "session_present",
                               present, "protocol_level", TQ_MQTT5_LEVEL, "reason",
                               tq_mqtt5_reason_name(TQ_MQTT_CONNACK, reason), "properties",
                               connack_props_json(props)));
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 512);
    return tq__mqtt_send_status(s, &buf, tq_mqtt5_connack_write(&buf, &ack));
}

/* see broker_internal.h */
tq_status tq__mqtt5_connack_refuse(struct tq_session *s, uint8_t reason, const char *why,
                                   const char *detail)
{
    const char *text = detail ? detail : tq_mqtt5_reason_name(TQ_MQTT_CONNACK, reason);
    struct tq_mqtt5_props props = {0};
    set_reason_string(&props, text);
    TQ_GUARD(send_connack(s, reason, false, &props));
    tq__session_close(s, why, text, true);
    return TQ_SUCCESS;
}

static void emit_connect(struct tq_session *s, const struct tq_mqtt5_connect *c)
{
    const struct tq_mqtt5_props *p = &c->props;
    tq__session_emit(
        s, "mqtt_connect",
        json_pack(
            "{s:s%, s:i, s:i, s:i, s:b, s:b, s:b, s:o, s:o, s:o, s:o}", "client_id",
            c->client_id.p ? (const char *)c->client_id.p : "", c->client_id.len, "protocol_level",
            TQ_MQTT5_LEVEL, "keep_alive", c->keep_alive, "keep_alive_effective",
            tq__mqtt_effective_keep_alive(s, c->keep_alive), "clean_session", c->clean_start,
            "has_will", c->has_will, "has_username", c->has_username, "session_expiry",
            opt_int(p, TQ_MQTT5_PROP_SESSION_EXPIRY, p->session_expiry), "receive_maximum",
            opt_int(p, TQ_MQTT5_PROP_RECEIVE_MAXIMUM, p->receive_maximum), "maximum_packet_size",
            opt_int(p, TQ_MQTT5_PROP_MAXIMUM_PACKET_SIZE, p->maximum_packet_size),
            "topic_alias_maximum",
            opt_int(p, TQ_MQTT5_PROP_TOPIC_ALIAS_MAXIMUM, p->topic_alias_maximum)));
}

/* assign_client_id writes a new client ID in AWS IoT Core's form, "$GEN/" and a random UUID
 * (docs/aws-iot/mqtt.md#client-id-limits: "$GEN/8b42676c-3300-4b4d-8c4f-9b75a17f7999" was
 * observed). `out` holds 42 bytes. */
static bool assign_client_id(char out[42])
{
    uint8_t r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return false;
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* RFC 9562 version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    char hex[33];
    tq_hex(hex, r, sizeof(r));
    snprintf(out, 42, "$GEN/%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return true;
}

/* will_of copies the Will of CONNECT `c`, with its forwarded properties. */
static tq_status will_of(const struct tq_mqtt5_connect *c, struct tq_msg **out)
{
    *out = NULL;
    if (!c->has_will)
        return TQ_SUCCESS;
    struct tq_mqtt5_publish p = {.qos = c->will_qos,
                                 .retain = c->will_retain,
                                 .topic = c->will_topic,
                                 .props = c->will_props,
                                 .payload = c->will_payload.p,
                                 .payload_len = c->will_payload.len};
    return tq_msg_new(out, &p, tq__mqtt_now_ms());
}

/* connack_props fills what the CONNACK of an accepted CONNECT `c` says
 * (docs/aws-iot/mqtt.md#mqtt5-properties): the server's capabilities and limits, and the
 * values it applies instead of the client's. */
static void connack_props(const struct tq_session *s, const struct tq_mqtt5_connect *c,
                          struct tq_mqtt5_props *out)
{
    const struct tq_broker_config *cfg = s->broker->cfg;
    tq_mqtt5_connack_capabilities(out, &s->broker->limits);
    out->receive_maximum = (uint16_t)cfg->receive_max; /* #receive-maximum: 100 */
    out->present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_RECEIVE_MAXIMUM);
    /* #session-expiry: AWS "returns the value it actually applies in the CONNACK when the
     * request exceeds the account's maximum". */
    if (s->session_expiry_s != c->props.session_expiry) {
        out->session_expiry = s->session_expiry_s;
        out->present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_SESSION_EXPIRY);
    }
    /* #keep-alive: "the CONNACK may carry a Server Keep Alive that the client must use
     * instead": sent when the clamp changed the request. */
    if (s->keep_alive_s != c->keep_alive) {
        out->server_keep_alive = (uint16_t)s->keep_alive_s;
        out->present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_SERVER_KEEP_ALIVE);
    }
}

static tq_status accept_connect(struct tq_session *s, const struct tq_mqtt5_connect *c)
{
    const struct tq_broker_config *cfg = s->broker->cfg;
    struct tq_connect_req req = {
        .client_id = c->client_id, .keep_alive = c->keep_alive, .clean = c->clean_start};
    /* #client-id-limits: an empty client ID gets one assigned in the CONNACK. */
    char assigned[42];
    bool assign = c->client_id.len == 0;
    if (assign && !assign_client_id(assigned))
        return tq__mqtt5_connack_refuse(s, TQ_MQTT5_RC_UNSPECIFIED_ERROR, "internal_error",
                                        "no random bytes for a client ID");
    if (assign)
        req.client_id = tq_mqtt_str_of(assigned);
    uint32_t requested = c->props.session_expiry; /* absent: 0 */
    req.session_expiry_s = requested > cfg->session_expiry ? cfg->session_expiry : requested;
    s->session_expiry_s = req.session_expiry_s;
    s->client_max_packet = c->props.maximum_packet_size; /* absent: 0, no limit */
    if (!tq_ok(will_of(c, &req.will)))
        return tq__mqtt5_connack_refuse(s, TQ_MQTT5_RC_UNSPECIFIED_ERROR, "internal_error",
                                        "out of memory");
    bool present = false;
    if (!tq__mqtt_connect_begin(s, &req, &present))
        return TQ_SUCCESS;
    if (tq_mqtt5_props_has(&c->props, TQ_MQTT5_PROP_RECEIVE_MAXIMUM))
        s->msession->receive_max = c->props.receive_maximum;
    struct tq_mqtt5_props props = {0};
    connack_props(s, c, &props);
    if (assign) {
        props.assigned_client_id = req.client_id;
        props.present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_ASSIGNED_CLIENT_ID);
    }
    TQ_GUARD(send_connack(s, TQ_MQTT5_RC_SUCCESS, present, &props));
    tq__mqtt_connect_end(s, present);
    return TQ_SUCCESS;
}

/* read_failure is the CONNACK reason code for a CONNECT the codec refused (mqtt5.h). */
static uint8_t read_failure(tq_status st)
{
    return st.code == TQ_ERR_PARSE      ? TQ_MQTT5_RC_MALFORMED_PACKET
           : st.code == TQ_ERR_PROTOCOL ? TQ_MQTT5_RC_PROTOCOL_ERROR
           : st.code == TQ_ERR_LIMIT    ? TQ_MQTT5_RC_QUOTA_EXCEEDED
                                        : TQ_MQTT5_RC_UNSPECIFIED_ERROR;
}

/* see broker_internal.h */
tq_status tq__mqtt5_connect(struct tq_session *s, struct tq_diag *diag,
                            const struct tq_mqtt_frame *frame)
{
    (void)diag;
    s->protocol_level = TQ_MQTT5_LEVEL;
    struct tq_mqtt5_connect c;
    struct tq_diag why = {0};
    tq_status st = tq_mqtt5_connect_read(&why, &c, frame);
    if (!tq_ok(st))
        return tq__mqtt5_connack_refuse(
            s, read_failure(st), st.code == TQ_ERR_PARSE ? "malformed_packet" : "protocol_error",
            why.msg);
    emit_connect(s, &c);
    /* --refusal after-connect: #unauthorized-connect lists CONNACK 0x87 for MQTT 5. */
    if (s->tls.refusal != NULL)
        return tq__mqtt5_connack_refuse(s, TQ_MQTT5_RC_NOT_AUTHORIZED, "certificate_refused",
                                        s->tls.refusal);
    /* #client-id-limits (length, "$" reserved for the IDs AWS IoT assigns: a client cannot
     * reconnect with one), #topic-limits (the Will topic), #qos (the Will QoS). */
    uint8_t rc = tq_mqtt5_connect_check(&s->broker->limits, &c);
    if (rc == TQ_MQTT5_RC_SUCCESS && c.client_id.len > 0 && c.client_id.p[0] == '$')
        rc = TQ_MQTT5_RC_CLIENT_IDENTIFIER_NOT_VALID;
    if (rc != TQ_MQTT5_RC_SUCCESS)
        return tq__mqtt5_connack_refuse(s, rc,
                                        rc == TQ_MQTT5_RC_CLIENT_IDENTIFIER_NOT_VALID
                                            ? "identifier_rejected"
                                            : "connect_refused",
                                        NULL);
    return accept_connect(s, &c);
}

/* ---- PUBLISH and PUBACK ---- */

/* resolve_alias replaces the empty topic of `p` by its Topic Alias's, or records the alias of
 * a topic (MQTT 5 section 3.3.2.3.4). Returns 0, 0x82 for an alias never set [MQTT-3.3.2-8]...
 * (a Protocol Error), 0x80 without memory. The alias is within Topic Alias Maximum: checked by
 * tq_mqtt5_publish_check before. */
static uint8_t resolve_alias(struct tq_session *s, struct tq_mqtt5_publish *p)
{
    if (!tq_mqtt5_props_has(&p->props, TQ_MQTT5_PROP_TOPIC_ALIAS))
        return TQ_MQTT5_RC_SUCCESS;
    if (s->aliases == NULL)
        s->aliases = calloc((size_t)s->broker->limits.topic_alias_maximum + 1, sizeof(*s->aliases));
    if (s->aliases == NULL)
        return TQ_MQTT5_RC_UNSPECIFIED_ERROR;
    struct tq_topic_alias *slot = &s->aliases[p->props.topic_alias];
    if (p->topic.len == 0) {
        if (slot->topic == NULL)
            return TQ_MQTT5_RC_PROTOCOL_ERROR;
        p->topic = (struct tq_mqtt_str){.p = slot->topic, .len = slot->len};
        return TQ_MQTT5_RC_SUCCESS;
    }
    uint8_t *copy = malloc(p->topic.len);
    if (copy == NULL)
        return TQ_MQTT5_RC_UNSPECIFIED_ERROR;
    memcpy(copy, p->topic.p, p->topic.len);
    free(slot->topic);
    *slot = (struct tq_topic_alias){.topic = copy, .len = p->topic.len};
    return TQ_MQTT5_RC_SUCCESS;
}

/* close_reason_of names the connection_closed reason of a DISCONNECT reason code a PUBLISH
 * check returned (tq__mqtt5_farewell maps it back). */
static const char *close_reason_of(uint8_t rc)
{
    switch (rc) {
    case TQ_MQTT5_RC_TOPIC_ALIAS_INVALID:
        return "topic_alias_invalid";
    case TQ_MQTT5_RC_QOS_NOT_SUPPORTED:
        return "qos_not_supported";
    case TQ_MQTT5_RC_RETAIN_NOT_SUPPORTED:
        return "retain_not_supported";
    case TQ_MQTT5_RC_UNSPECIFIED_ERROR:
        return "internal_error";
    default:
        return "protocol_error";
    }
}

static void emit_publish(struct tq_session *s, const struct tq_mqtt5_publish *p, size_t num,
                         bool routed, int puback)
{
    tq__session_emit(s, "mqtt_publish",
                     json_pack("{s:s%, s:i, s:i, s:b, s:I, s:I, s:b, s:i, s:o, s:o}", "topic",
                               p->topic.p ? (const char *)p->topic.p : "", p->topic.len, "qos",
                               p->qos, "packet_id", p->packet_id, "retain", p->retain,
                               "payload_len", (json_int_t)p->payload_len, "subscribers",
                               (json_int_t)num, "dropped", !routed, "protocol_level",
                               TQ_MQTT5_LEVEL, "topic_alias",
                               opt_int(&p->props, TQ_MQTT5_PROP_TOPIC_ALIAS, p->props.topic_alias),
                               "puback", puback >= 0 ? json_integer(puback) : json_null()));
}

static tq_status on_publish(struct tq_session *s, struct tq_diag *diag,
                            const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt5_publish p;
    TQ_GUARD(tq_mqtt5_publish_read(diag, &p, frame));
    /* #topic-limits, #topic-aliases, #qos (Maximum QoS 1: QoS 2 is DISCONNECT 0x9B),
     * #subscription-identifiers. */
    uint8_t rc = tq_mqtt5_publish_check(&s->broker->limits, &p);
    if (rc == TQ_MQTT5_RC_SUCCESS)
        rc = resolve_alias(s, &p);
    if (rc != TQ_MQTT5_RC_SUCCESS && rc != TQ_MQTT5_RC_TOPIC_NAME_INVALID) {
        emit_publish(s, &p, 0, false, -1);
        tq__session_close(s, close_reason_of(rc), tq_mqtt5_reason_name(TQ_MQTT_DISCONNECT, rc),
                          false);
        return TQ_SUCCESS;
    }
    /* #puback-reason-codes: 0x90 Topic Name invalid refuses the message alone. */
    bool routed = rc == TQ_MQTT5_RC_SUCCESS;
    size_t num = routed ? tq__mqtt_route_publish(s, &p) : 0;
    emit_publish(s, &p, num, routed, p.qos == 1 ? rc : -1);
    if (p.qos != 1)
        return TQ_SUCCESS;
    struct tq_mqtt5_ack ack = {.packet_id = p.packet_id, .reason = rc};
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 16);
    return tq__mqtt_send_status(s, &buf, tq_mqtt5_ack_write(&buf, TQ_MQTT_PUBACK, &ack));
}

static tq_status on_puback(struct tq_session *s, struct tq_diag *diag,
                           const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt5_ack ack;
    TQ_GUARD(tq_mqtt5_ack_read(diag, &ack, frame));
    tq__mqtt_puback(s, ack.packet_id); /* an unknown identifier is ignored */
    return TQ_SUCCESS;
}

/* ---- SUBSCRIBE and UNSUBSCRIBE ---- */

static json_t *subscribe_event(const struct tq_mqtt5_subscribe *sub, const uint8_t *codes,
                               bool acked)
{
    json_t *filters = json_array();
    for (size_t i = 0; i < sub->num_filters; i++) {
        const struct tq_mqtt5_subscription *o = &sub->subs[i];
        json_array_append_new(
            filters, json_pack("{s:s%, s:i, s:o, s:b, s:b, s:i}", "filter",
                               (const char *)o->filter.p, o->filter.len, "requested_qos", o->qos,
                               "granted", acked ? json_integer(codes[i]) : json_null(), "no_local",
                               o->no_local, "retain_as_published", o->retain_as_published,
                               "retain_handling", o->retain_handling));
    }
    return json_pack("{s:i, s:o, s:b, s:i}", "packet_id", sub->packet_id, "filters", filters,
                     "suback", acked, "protocol_level", TQ_MQTT5_LEVEL);
}

/* grant_all applies the connection's limits to the granted codes: QoS 2 as --qos2 says
 * (#qos; false: no SUBACK at all), and past --max-subscriptions 0x97 (#subscribe-limits,
 * #suback-reason-codes). `existed[i]`: the filter was subscribed before. */
static bool grant_all(struct tq_session *s, const struct tq_mqtt5_subscribe *sub, uint8_t *codes,
                      bool *existed)
{
    const struct tq_broker *b = s->broker;
    size_t num = tq_router_count(b->router, s->msession);
    bool acked = true;
    for (size_t i = 0; i < sub->num_filters; i++) {
        existed[i] = tq_router_has(b->router, s->msession, sub->subs[i].filter);
        if (codes[i] >= 0x80)
            continue;
        int g = sub->subs[i].qos == 2 ? tq__mqtt_qos2_grant(s) : codes[i];
        acked = acked && g >= 0;
        codes[i] = (uint8_t)(g < 0 ? TQ_MQTT5_RC_UNSPECIFIED_ERROR : g);
        if (codes[i] < 0x80 && !existed[i] && num >= b->cfg->max_subscriptions)
            codes[i] = TQ_MQTT5_RC_QUOTA_EXCEEDED;
        num += codes[i] < 0x80 && !existed[i];
    }
    return acked;
}

static uint8_t router_options(const struct tq_mqtt5_subscription *o, uint8_t granted)
{
    return (uint8_t)(granted | (o->no_local ? TQ_ROUTER_NO_LOCAL : 0) |
                     (o->retain_as_published ? TQ_ROUTER_RETAIN_AS_PUBLISHED : 0));
}

static void send_retained(struct tq_session *s, const struct tq_mqtt5_subscribe *sub,
                          const uint8_t *codes, const bool *existed)
{
    for (size_t i = 0; i < sub->num_filters; i++) {
        const struct tq_mqtt5_subscription *o = &sub->subs[i];
        bool wanted = o->retain_handling == TQ_MQTT5_RETAIN_SEND ||
                      (o->retain_handling == TQ_MQTT5_RETAIN_SEND_IF_NEW && !existed[i]);
        if (codes[i] < 0x80 && wanted)
            tq__mqtt_send_retained(s, o->filter, codes[i]);
    }
}

static tq_status on_subscribe(struct tq_session *s, struct tq_diag *diag,
                              const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt5_subscribe sub;
    TQ_GUARD(tq_mqtt5_subscribe_read(diag, &sub, frame));
    struct tq_mqtt5_suback ack = {.packet_id = sub.packet_id, .num_codes = sub.num_filters};
    /* #subscribe-limits (filters per SUBSCRIBE: 0x97), #topic-limits (0x8F), and
     * #subscription-identifiers: "a SUBSCRIBE carrying one is a protocol error answered with
     * DISCONNECT 0xA1". */
    uint8_t disconnect =
        tq_mqtt5_subscribe_check(&s->broker->limits, TQ_MQTT_SUBSCRIBE, &sub, ack.codes);
    if (disconnect != TQ_MQTT5_RC_SUCCESS) {
        tq__session_emit(s, "mqtt_subscribe", subscribe_event(&sub, ack.codes, false));
        tq__session_close(s, "subscription_ids_unsupported",
                          tq_mqtt5_reason_name(TQ_MQTT_DISCONNECT, disconnect), false);
        return TQ_SUCCESS;
    }
    bool existed[TQ_MQTT5_MAX_FILTERS];
    bool acked = grant_all(s, &sub, ack.codes, existed);
    for (size_t i = 0; acked && i < sub.num_filters; i++)
        if (ack.codes[i] < 0x80)
            TQ_GUARD(tq_router_subscribe(s->broker->router, s->msession, sub.subs[i].filter,
                                         router_options(&sub.subs[i], ack.codes[i])));
    tq__session_emit(s, "mqtt_subscribe", subscribe_event(&sub, ack.codes, acked));
    if (!acked)
        return TQ_SUCCESS;
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 64);
    TQ_GUARD(tq__mqtt_send_status(s, &buf, tq_mqtt5_suback_write(&buf, TQ_MQTT_SUBACK, &ack)));
    send_retained(s, &sub, ack.codes, existed);
    return TQ_SUCCESS;
}

static tq_status on_unsubscribe(struct tq_session *s, struct tq_diag *diag,
                                const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt5_subscribe unsub;
    TQ_GUARD(tq_mqtt5_subscribe_read(diag, &unsub, frame));
    struct tq_mqtt5_suback ack = {.packet_id = unsub.packet_id, .num_codes = unsub.num_filters};
    (void)tq_mqtt5_subscribe_check(&s->broker->limits, TQ_MQTT_UNSUBSCRIBE, &unsub, ack.codes);
    json_t *filters = json_array(), *codes = json_array();
    for (size_t i = 0; i < unsub.num_filters; i++) {
        /* #suback-reason-codes: AWS's UNSUBACK codes have no 0x11 (No subscription existed):
         * a filter that was not subscribed is a success too. */
        if (ack.codes[i] == TQ_MQTT5_RC_SUCCESS)
            tq_router_unsubscribe(s->broker->router, s->msession, unsub.subs[i].filter);
        json_array_append_new(
            filters, json_stringn((const char *)unsub.subs[i].filter.p, unsub.subs[i].filter.len));
        json_array_append_new(codes, json_integer(ack.codes[i]));
    }
    tq__session_emit(s, "mqtt_unsubscribe",
                     json_pack("{s:i, s:o, s:i, s:o}", "packet_id", unsub.packet_id, "filters",
                               filters, "protocol_level", TQ_MQTT5_LEVEL, "codes", codes));
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, 64);
    return tq__mqtt_send_status(s, &buf, tq_mqtt5_suback_write(&buf, TQ_MQTT_UNSUBACK, &ack));
}

/* ---- DISCONNECT ---- */

static void emit_disconnect(struct tq_session *s, const char *direction,
                            const struct tq_mqtt5_disconnect *d)
{
    tq__session_emit(
        s, "mqtt_disconnect",
        json_pack("{s:s, s:i, s:s, s:o}", "direction", direction, "reason_code", d->reason,
                  "reason", tq_mqtt5_reason_name(TQ_MQTT_DISCONNECT, d->reason), "session_expiry",
                  opt_int(&d->props, TQ_MQTT5_PROP_SESSION_EXPIRY, d->props.session_expiry)));
}

static tq_status on_disconnect(struct tq_session *s, struct tq_diag *diag,
                               const struct tq_mqtt_frame *frame)
{
    struct tq_mqtt5_disconnect d;
    TQ_GUARD(tq_mqtt5_disconnect_read(diag, &d, frame));
    emit_disconnect(s, "client", &d);
    if (tq_mqtt5_props_has(&d.props, TQ_MQTT5_PROP_SESSION_EXPIRY)) {
        /* #session-expiry: "the interval may be changed, except from 0 to a positive value"
         * ([MQTT-3.14.2-2]: a Protocol Error). */
        if (s->session_expiry_s == 0 && d.props.session_expiry > 0) {
            tq__session_close(s, "protocol_error",
                              "DISCONNECT sets a Session Expiry Interval "
                              "after 0 in CONNECT",
                              false);
            return TQ_SUCCESS;
        }
        uint32_t max = s->broker->cfg->session_expiry;
        s->session_expiry_s = d.props.session_expiry > max ? max : d.props.session_expiry;
        if (s->msession != NULL)
            s->msession->expiry_s = s->session_expiry_s;
    }
    /* #last-will: discarded after a DISCONNECT, but for reason 0x04 Disconnect with Will
     * Message (MQTT 5 section 3.14.2.1), which publishes it. */
    if (d.reason != TQ_MQTT5_RC_DISCONNECT_WITH_WILL) {
        tq_msg_unref(s->will);
        s->will = NULL;
    }
    tq__session_close(s, "client_disconnect", NULL, false);
    return TQ_SUCCESS;
}

/* The server's DISCONNECT reason code for each reason a connection closes
 * (docs/aws-iot/mqtt.md#disconnect-reason-codes, devices.md#duplicate-client-id). Reasons not
 * listed close without DISCONNECT (the client's own DISCONNECT, a vanished peer, a client that
 * does not read). */
static const struct {
    const char *reason;
    uint8_t code;
} farewells[] = {
    {"duplicate_clientid", TQ_MQTT5_RC_SESSION_TAKEN_OVER},
    {"keepalive_timeout", TQ_MQTT5_RC_KEEP_ALIVE_TIMEOUT},
    {"certificate_status_changed", TQ_MQTT5_RC_NOT_AUTHORIZED},
    {"malformed_packet", TQ_MQTT5_RC_MALFORMED_PACKET},
    {"protocol_error", TQ_MQTT5_RC_PROTOCOL_ERROR},
    {"second_connect", TQ_MQTT5_RC_PROTOCOL_ERROR},
    {"quota_exceeded", TQ_MQTT5_RC_QUOTA_EXCEEDED},
    {"topic_alias_invalid", TQ_MQTT5_RC_TOPIC_ALIAS_INVALID},
    {"qos_not_supported", TQ_MQTT5_RC_QOS_NOT_SUPPORTED},
    {"retain_not_supported", TQ_MQTT5_RC_RETAIN_NOT_SUPPORTED},
    {"subscription_ids_unsupported", TQ_MQTT5_RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED},
    /* Not in AWS's list: the specification's code for a packet over Maximum Packet Size. */
    {"packet_too_large", TQ_MQTT5_RC_PACKET_TOO_LARGE},
    {"broker_shutdown", TQ_MQTT5_RC_SERVER_SHUTTING_DOWN},
    {"internal_error", TQ_MQTT5_RC_UNSPECIFIED_ERROR},
};

/* see broker_internal.h */
bool tq__mqtt5_farewell(struct tq_session *s, const char *reason, const char *detail)
{
    if (s->protocol_level != TQ_MQTT5_LEVEL || s->state != TQ_SESSION_CONNECTED ||
        s->disconnect_sent)
        return false;
    for (size_t i = 0; i < sizeof(farewells) / sizeof(farewells[0]); i++) {
        if (strcmp(farewells[i].reason, reason) != 0)
            continue;
        s->disconnect_sent = true;
        struct tq_mqtt5_disconnect d = {.reason = farewells[i].code};
        set_reason_string(&d.props, detail ? detail : reason);
        emit_disconnect(s, "server", &d);
        struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
        tq_buf_init(&buf, 300);
        return tq_ok(
            tq__mqtt_send_status(s, &buf, tq_mqtt5_disconnect_write(&buf, TQ_MQTT_DISCONNECT, &d)));
    }
    return false;
}

static tq_status on_connect(struct tq_session *s, struct tq_diag *diag,
                            const struct tq_mqtt_frame *frame)
{
    (void)diag, (void)frame;
    /* [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error (DISCONNECT 0x82). */
    tq__session_close(s, "second_connect", NULL, false);
    return TQ_SUCCESS;
}

/* The packets an MQTT 5 client may send once connected: no PUBREC/PUBREL/PUBCOMP (no QoS 2),
 * no AUTH (docs/aws-iot/mqtt.md#unsupported-packets). */
static const packet_handler handlers[16] = {
    [TQ_MQTT_CONNECT] = on_connect,         [TQ_MQTT_PUBLISH] = on_publish,
    [TQ_MQTT_PUBACK] = on_puback,           [TQ_MQTT_SUBSCRIBE] = on_subscribe,
    [TQ_MQTT_UNSUBSCRIBE] = on_unsubscribe, [TQ_MQTT_PINGREQ] = tq__mqtt_pingreq,
    [TQ_MQTT_DISCONNECT] = on_disconnect,
};

/* see broker_internal.h */
tq_status tq__mqtt5_dispatch(struct tq_session *s, struct tq_diag *diag,
                             const struct tq_mqtt_frame *frame)
{
    packet_handler handler = handlers[frame->type];
    if (handler == NULL)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "unexpected %s packet from a client",
                            tq_mqtt5_type_name(frame->type));
    return handler(s, diag, frame);
}
