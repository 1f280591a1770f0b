/* Messages on their way to clients, as AWS IoT Core delivers them: routing to sessions, online
 * (sent; QoS 1 kept in flight until its PUBACK) or offline (QoS 1 queued), sessions taken and
 * let go by connections and their expiry (docs/aws-iot/mqtt.md#persistent-sessions,
 * #session-expiry), the Will (#last-will) and retained messages (#retained-messages). The
 * bookkeeping itself is mqtt_sessions.c. A bare "#anchor" here is docs/aws-iot/mqtt.md#anchor. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker_internal.h"

/* A retained message, one per topic. */
struct tq_retained {
    struct tq_index_node node; /* in broker->retained, key `topic` */
    struct tq_retained *prev, *next;
    struct tq_msg *msg;
    char topic[];
};

enum {
    /* How many topics may hold a retained message: AWS has an account quota
     * (#retained-messages: "further retained publications with a payload are throttled"); a
     * bound of the mock's own. */
    MAX_RETAINED = 10000,
    /* What an outgoing PUBLISH may add to the packet it came in: a topic that came as a Topic
     * Alias, a Message Expiry Interval, a Property Length. */
    PUBLISH_SLACK = 65535 + 16,
};

/* see broker_internal.h */
uint64_t tq__mqtt_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/* emit_dropped reports a message a session did not get: for its connection, or broker-wide
 * when it has none (`ms` NULL: the retained store). */
static void emit_dropped(struct tq_broker *b, const struct tq_msession *ms, const struct tq_msg *m,
                         const char *reason)
{
    json_t *fields =
        json_pack("{s:s, s:s%, s:i, s:s}", "client_id", ms ? ms->client_id : "", "topic",
                  (const char *)m->topic.p, m->topic.len, "qos", m->qos, "reason", reason);
    struct tq_session *s = ms ? ms->conn : NULL;
    if (s != NULL)
        tq__session_emit(s, "message_dropped", fields);
    else
        tq_events_emit(b->events, "message_dropped", 0, "", fields);
}

/* send_publish sends `m` to `s` as a PUBLISH of its protocol version; false when it could not
 * be written, or is above the client's Maximum Packet Size, which [MQTT-3.1.2-25] says to
 * discard instead. */
static bool send_publish(struct tq_session *s, const struct tq_msg *m, uint8_t qos,
                         uint16_t packet_id, bool dup, bool retain)
{
    struct tq_buf buf TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&buf, (size_t)s->broker->cfg->max_packet + PUBLISH_SLACK);
    tq_status st;
    if (s->protocol_level == TQ_MQTT5_LEVEL) {
        struct tq_mqtt5_publish p;
        tq_msg_view(m, &p, tq__mqtt_now_ms());
        p.qos = qos;
        p.packet_id = packet_id;
        p.dup = dup;
        p.retain = retain;
        st = tq_mqtt5_publish_write(&buf, &p);
        if (tq_ok(st) && s->client_max_packet > 0 && buf.len > s->client_max_packet)
            return false;
    } else {
        struct tq_mqtt_publish p = {.dup = dup,
                                    .qos = qos,
                                    .retain = retain,
                                    .topic = m->topic,
                                    .packet_id = packet_id,
                                    .payload = m->payload,
                                    .payload_len = m->payload_len};
        st = tq_mqtt_publish_write(&buf, &p);
    }
    if (!tq_ok(st))
        return false;
    tq__session_send(s, &buf);
    return true;
}

static bool online(const struct tq_msession *ms)
{
    const struct tq_session *s = ms->conn;
    return s != NULL && s->state == TQ_SESSION_CONNECTED;
}

/* send_tracked puts `m` in flight on `ms` and sends it; what cannot be sent is dropped. */
static void send_tracked(struct tq_broker *b, struct tq_msession *ms, struct tq_msg *m, uint8_t qos,
                         bool retain)
{
    uint16_t id = tq_msession_track(ms, m, qos, retain);
    if (id != 0 && send_publish(ms->conn, m, qos, id, false, retain))
        return;
    if (id != 0)
        tq_msession_ack(ms, id);
    emit_dropped(b, ms, m, "not_sent");
}

/* offer gives `m` to session `ms` at `qos`: sent when its connection is up (QoS 1 in flight,
 * or queued behind the window of Receive Maximum); queued when QoS 1 and the session persists
 * (#persistent-sessions: "unacknowledged and newly matching QoS 1 messages are stored"); else
 * dropped. */
static void offer(struct tq_broker *b, struct tq_msession *ms, struct tq_msg *m, uint8_t qos,
                  bool retain)
{
    bool up = online(ms);
    if (qos == 0) {
        if (up && !send_publish(ms->conn, m, 0, 0, false, retain))
            emit_dropped(b, ms, m, "not_sent");
        return;
    }
    if (up && ms->num_queued == 0 && tq_msession_can_send(ms)) {
        send_tracked(b, ms, m, qos, retain);
        return;
    }
    if (!up && ms->conn == NULL && ms->expiry_s == 0)
        return; /* a session that ended with its connection, waiting to be removed */
    if (!tq_msession_enqueue(ms, m, qos, retain))
        emit_dropped(b, ms, m, "queue_full");
}

/* pump sends the queued messages of `s`'s session the in-flight window allows. */
static void pump(struct tq_session *s)
{
    struct tq_msession *ms = s->msession;
    uint64_t now = tq__mqtt_now_ms();
    struct tq_msession_entry e;
    while (ms != NULL && ms->conn == s && online(ms) && tq_msession_can_send(ms) &&
           tq_msession_dequeue(ms, now, &e)) {
        send_tracked(s->broker, ms, e.msg, e.qos, e.retain);
        tq_msg_unref(e.msg);
    }
}

/* ---- retained messages ---- */

/* find_retained returns the retained message of topic `topic`, or NULL. */
static struct tq_retained *find_retained(struct tq_broker *b, struct tq_mqtt_str topic)
{
    char *key = malloc(topic.len + 1);
    if (key == NULL)
        return NULL;
    memcpy(key, topic.p, topic.len);
    key[topic.len] = '\0';
    struct tq_index_node *n = tq_index_find(&b->retained, key);
    free(key);
    return n ? TQ_INDEX_ENTRY(n, struct tq_retained, node) : NULL;
}

static void remove_retained(struct tq_broker *b, struct tq_retained *r)
{
    tq_index_remove(&b->retained, &r->node);
    if (r->prev)
        r->prev->next = r->next;
    else
        b->retained_first = r->next;
    if (r->next)
        r->next->prev = r->prev;
    b->num_retained--;
    tq_msg_unref(r->msg);
    free(r);
}

static void add_retained(struct tq_broker *b, struct tq_msg *m)
{
    struct tq_retained *r = calloc(1, sizeof(*r) + m->topic.len + 1);
    if (r == NULL)
        return;
    memcpy(r->topic, m->topic.p, m->topic.len);
    if (!tq_ok(tq_index_insert(&b->retained, &r->node, r->topic))) {
        free(r);
        return;
    }
    r->msg = tq_msg_ref(m);
    r->next = b->retained_first;
    if (r->next)
        r->next->prev = r;
    b->retained_first = r;
    b->num_retained++;
}

/* retain stores `m` as its topic's retained message, replacing the one before; a 0-byte one
 * deletes it instead (#retained-messages). */
static void retain(struct tq_broker *b, struct tq_msg *m)
{
    struct tq_retained *r = find_retained(b, m->topic);
    if (m->payload_len == 0) {
        if (r != NULL)
            remove_retained(b, r);
        return;
    }
    if (r != NULL) {
        tq_msg_unref(r->msg);
        r->msg = tq_msg_ref(m);
    } else if (b->num_retained < MAX_RETAINED) {
        add_retained(b, m);
    } else {
        emit_dropped(b, NULL, m, "retained_full");
    }
}

/* see broker_internal.h */
size_t tq__mqtt_send_retained(struct tq_session *s, struct tq_mqtt_str filter, uint8_t options)
{
    /* #shared-subscriptions: "A shared subscription gets no retained message on subscribing". */
    if (s->msession == NULL || tq_mqtt5_filter_shared(filter, NULL, NULL))
        return 0;
    struct tq_retained *r = find_retained(s->broker, filter);
    if (r == NULL)
        return 0;
    /* #message-expiry: "an expired retained message is not delivered to new subscribers". */
    if (tq_msg_expired(r->msg, tq__mqtt_now_ms())) {
        remove_retained(s->broker, r);
        return 0;
    }
    uint8_t qos = options & TQ_ROUTER_QOS_MASK;
    offer(s->broker, s->msession, r->msg, qos < r->msg->qos ? qos : r->msg->qos, true);
    return 1;
}

/* see broker_internal.h */
void tq__mqtt_retained_free(struct tq_broker *b)
{
    while (b->retained_first != NULL)
        remove_retained(b, b->retained_first);
    tq_index_cleanup(&b->retained);
}

/* ---- routing ---- */

struct route {
    struct tq_broker *broker;
    struct tq_msg *msg;
};

static void deliver(void *owner, uint8_t delivery, void *arg)
{
    const struct route *r = arg;
    /* RETAIN is cleared on messages for established subscriptions (MQTT 3.1.1 [MQTT-3.3.1-9],
     * MQTT 5 section 3.3.1.3) unless the subscription has Retain As Published. */
    bool keep = (delivery & TQ_ROUTER_RETAIN_AS_PUBLISHED) && r->msg->retain;
    offer(r->broker, owner, r->msg, delivery & TQ_ROUTER_QOS_MASK, keep);
}

/* see broker_internal.h */
size_t tq__mqtt_route(struct tq_broker *b, struct tq_msession *from, struct tq_msg *m)
{
    if (m->retain)
        retain(b, m);
    struct route r = {.broker = b, .msg = m};
    return tq_router_route(b->router, from, m->topic, m->qos, deliver, &r);
}

/* see broker_internal.h */
bool tq__mqtt_puback(struct tq_session *s, uint16_t packet_id)
{
    bool found = s->msession != NULL && tq_msession_ack(s->msession, packet_id);
    pump(s);
    return found;
}

/* ---- sessions ---- */

static void arm_expiry(struct tq_broker *b)
{
    uint64_t next = tq_msessions_next_expiry(b->msessions);
    if (next == UINT64_MAX) {
        evtimer_del(b->expiry_timer);
        return;
    }
    uint64_t now = tq__mqtt_now_ms(), ms = next > now ? next - now : 0;
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(b->expiry_timer, &tv);
}

static void end_session(struct tq_broker *b, struct tq_msession *ms)
{
    tq_router_drop(b->router, ms);
    tq_msessions_remove(ms);
}

/* see broker_internal.h */
void tq__mqtt_expire(struct tq_broker *b)
{
    struct tq_msession *ms;
    while ((ms = tq_msessions_expired(b->msessions, tq__mqtt_now_ms())) != NULL) {
        if (ms->expiry_s > 0)
            tq_events_emit(b->events, "session_expired", 0, "",
                           json_pack("{s:s, s:I, s:I, s:I}", "client_id", ms->client_id,
                                     "subscriptions", (json_int_t)tq_router_count(b->router, ms),
                                     "inflight", (json_int_t)ms->num_inflight, "queued",
                                     (json_int_t)ms->num_queued));
        end_session(b, ms);
    }
    arm_expiry(b);
}

static bool resumable(const struct tq_msession *ms, const struct tq_session *s, uint64_t now)
{
    /* #persistent-sessions: "An MQTT 3 session cannot be resumed as an MQTT 5 session or the
     * other way round"; one whose expiry passed (not yet removed) is over. */
    return ms->conn == NULL && ms->expiry_s > 0 && ms->protocol_level == s->protocol_level &&
           ms->offline_at_ms + (uint64_t)ms->expiry_s * 1000 > now;
}

/* see broker_internal.h */
tq_status tq__mqtt_attach(struct tq_session *s, bool clean, uint32_t expiry_s, bool *out_present)
{
    struct tq_broker *b = s->broker;
    struct tq_msession *ms = tq_msessions_find(b->msessions, s->client_id);
    *out_present = false;
    if (ms != NULL && ms->conn != NULL) { /* cannot be: the takeover let it go first */
        ((struct tq_session *)ms->conn)->msession = NULL;
        tq_msession_set_offline(ms, tq__mqtt_now_ms());
    }
    if (ms != NULL && !clean && resumable(ms, s, tq__mqtt_now_ms())) {
        tq_msession_set_online(ms, s);
        *out_present = true;
    } else {
        if (ms != NULL)
            end_session(b, ms); /* Clean Start, another version, or expired */
        TQ_GUARD(tq_msessions_add(b->msessions, &ms, s->client_id, s->protocol_level, s));
    }
    ms->expiry_s = expiry_s;
    ms->receive_max = UINT16_MAX;
    s->msession = ms;
    arm_expiry(b);
    return TQ_SUCCESS;
}

/* see broker_internal.h */
void tq__mqtt_resume(struct tq_session *s)
{
    struct tq_msession *ms = s->msession;
    if (ms == NULL)
        return;
    tq__session_emit(s, "session_resumed",
                     json_pack("{s:s, s:I, s:I, s:I}", "client_id", ms->client_id, "subscriptions",
                               (json_int_t)tq_router_count(s->broker->router, ms), "inflight",
                               (json_int_t)ms->num_inflight, "queued", (json_int_t)ms->num_queued));
    /* The messages in flight go again with the same packet identifiers and DUP set (MQTT 3.1.1
     * section 4.4, [MQTT-4.4.0-1] in MQTT 5), before any other. */
    for (size_t i = 0; i < ms->num_inflight && ms->conn == s;) {
        const struct tq_msession_entry *e = tq_msession_inflight_at(ms, i);
        if (send_publish(s, e->msg, e->qos, e->packet_id, true, e->retain)) {
            i++;
            continue;
        }
        emit_dropped(s->broker, ms, e->msg, "not_sent");
        tq_msession_ack(ms, e->packet_id);
    }
    pump(s);
}

/* let_go releases `s`'s session: offline (persistent: event session_stored; its expiry runs),
 * or ended soon, from the expiry timer, when its expiry is 0. Subscriptions are dropped there
 * and not here: this runs inside routing too (a Will, a connection closed while written to),
 * where the router must not change. */
static void let_go(struct tq_session *s)
{
    struct tq_msession *ms = s->msession;
    if (ms == NULL)
        return;
    s->msession = NULL;
    if (ms->conn != s)
        return;
    struct tq_broker *b = s->broker;
    tq_msession_set_offline(ms, tq__mqtt_now_ms());
    if (ms->expiry_s > 0)
        tq__session_emit(s, "session_stored",
                         json_pack("{s:s, s:I, s:I, s:I, s:I}", "client_id", ms->client_id,
                                   "session_expiry", (json_int_t)ms->expiry_s, "subscriptions",
                                   (json_int_t)tq_router_count(b->router, ms), "inflight",
                                   (json_int_t)ms->num_inflight, "queued",
                                   (json_int_t)ms->num_queued));
    arm_expiry(b);
}

/* publish_will publishes `s`'s Will, if it still has one (#last-will: "when the connection ends
 * without a client DISCONNECT"). Its Message Expiry Interval counts from now (#message-expiry:
 * "Will messages (counted from the disconnect)"). */
static void publish_will(struct tq_session *s, const char *reason)
{
    struct tq_msg *will = s->will, *m = NULL;
    s->will = NULL;
    if (will == NULL)
        return;
    struct tq_mqtt5_publish p;
    tq_msg_view(will, &p, will->received_at_ms);
    p.qos = will->qos;
    size_t num = 0;
    if (tq_ok(tq_msg_new(&m, &p, tq__mqtt_now_ms())))
        num = tq__mqtt_route(s->broker, NULL, m);
    tq__session_emit(s, "will_published",
                     json_pack("{s:s%, s:i, s:b, s:I, s:I, s:s}", "topic",
                               (const char *)will->topic.p, will->topic.len, "qos", will->qos,
                               "retain", will->retain, "payload_len", (json_int_t)will->payload_len,
                               "subscribers", (json_int_t)num, "reason", reason));
    tq_msg_unref(m);
    tq_msg_unref(will);
}

/* see broker_internal.h */
void tq__mqtt_closing(struct tq_session *s, const char *reason)
{
    let_go(s);
    publish_will(s, reason);
}

/* see broker_internal.h */
void tq__mqtt_freeing(struct tq_session *s)
{
    let_go(s);
    tq_msg_unref(s->will);
    s->will = NULL;
    for (size_t i = 0; s->aliases != NULL && i <= s->broker->limits.topic_alias_maximum; i++)
        free(s->aliases[i].topic);
    free(s->aliases);
    s->aliases = NULL;
}
