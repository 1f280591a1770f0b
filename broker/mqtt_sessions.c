/* Sessions and messages: a list and a client-ID index of sessions, a fixed window of in-flight
 * messages and a ring of queued ones per session. */
#include "mqtt_sessions.h"

#include <stdlib.h>
#include <string.h>

struct tq_msessions {
    struct tq_index by_client_id;
    struct tq_msession *first;
    struct tq_msession *offline; /* the sessions without connection */
    size_t num;
    size_t queue_max;
    size_t inflight_max;
};

/* ---- messages ---- */

/* The properties a message keeps (docs/aws-iot/mqtt.md#mqtt5-properties: "forwarded"). */
static const uint64_t forwarded = TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_PAYLOAD_FORMAT) |
                                  TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_CONTENT_TYPE) |
                                  TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_RESPONSE_TOPIC) |
                                  TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_CORRELATION_DATA) |
                                  TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_USER_PROPERTY);

static size_t strings_len(const struct tq_mqtt5_props *p)
{
    size_t n = p->content_type.len + p->response_topic.len + p->correlation_data.len;
    for (size_t i = 0; i < p->num_user_props; i++)
        n += p->user_props[i].name.len + p->user_props[i].value.len;
    return n;
}

/* copy_str copies `s` to `*at` and returns the copy; `*at` moves past it. */
static struct tq_mqtt_str copy_str(uint8_t **at, struct tq_mqtt_str s)
{
    struct tq_mqtt_str copy = {.p = *at, .len = s.len};
    if (s.len > 0)
        memcpy(*at, s.p, s.len);
    *at += s.len;
    return copy;
}

static void copy_props(struct tq_msg *m, const struct tq_mqtt5_props *p, uint8_t **at)
{
    struct tq_mqtt5_props *out = &m->props;
    out->present = p->present & forwarded;
    out->payload_format = p->payload_format;
    out->content_type = copy_str(at, p->content_type);
    out->response_topic = copy_str(at, p->response_topic);
    out->correlation_data = copy_str(at, p->correlation_data);
    out->num_user_props = p->num_user_props;
    for (size_t i = 0; i < p->num_user_props; i++) {
        out->user_props[i].name = copy_str(at, p->user_props[i].name);
        out->user_props[i].value = copy_str(at, p->user_props[i].value);
    }
}

static void set_expiry(struct tq_msg *m, const struct tq_mqtt5_props *p, uint64_t now_ms)
{
    if (!tq_mqtt5_props_has(p, TQ_MQTT5_PROP_MESSAGE_EXPIRY))
        return;
    uint32_t s = p->message_expiry;
    s = s < TQ_MSG_EXPIRY_MIN_S   ? TQ_MSG_EXPIRY_MIN_S
        : s > TQ_MSG_EXPIRY_MAX_S ? TQ_MSG_EXPIRY_MAX_S
                                  : s;
    m->expires = true;
    m->expires_at_ms = now_ms + (uint64_t)s * 1000;
}

/* see mqtt_sessions.h */
tq_status tq_msg_new(struct tq_msg **out, const struct tq_mqtt5_publish *p, uint64_t now_ms)
{
    *out = NULL;
    size_t len = sizeof(struct tq_msg) + p->topic.len + p->payload_len + strings_len(&p->props);
    struct tq_msg *m = calloc(1, len);
    TQ_ENSURE(m != NULL, TQ_ERR_NOMEM);
    uint8_t *at = (uint8_t *)(m + 1);
    m->refs = 1;
    m->received_at_ms = now_ms;
    m->qos = p->qos;
    m->retain = p->retain;
    m->topic = copy_str(&at, p->topic);
    m->payload = copy_str(&at, (struct tq_mqtt_str){.p = p->payload, .len = p->payload_len}).p;
    m->payload_len = p->payload_len;
    copy_props(m, &p->props, &at);
    set_expiry(m, &p->props, now_ms);
    *out = m;
    return TQ_SUCCESS;
}

/* see mqtt_sessions.h */
struct tq_msg *tq_msg_ref(struct tq_msg *m)
{
    m->refs++;
    return m;
}

/* see mqtt_sessions.h */
void tq_msg_unref(struct tq_msg *m)
{
    if (m != NULL && --m->refs == 0)
        free(m);
}

/* see mqtt_sessions.h */
bool tq_msg_expired(const struct tq_msg *m, uint64_t now_ms)
{
    return m->expires && now_ms >= m->expires_at_ms;
}

/* see mqtt_sessions.h */
void tq_msg_view(const struct tq_msg *m, struct tq_mqtt5_publish *out, uint64_t now_ms)
{
    *out = (struct tq_mqtt5_publish){.retain = m->retain,
                                     .topic = m->topic,
                                     .payload = m->payload,
                                     .payload_len = m->payload_len,
                                     .props = m->props};
    if (!m->expires)
        return;
    out->props.message_expiry =
        now_ms >= m->expires_at_ms ? 0 : (uint32_t)((m->expires_at_ms - now_ms) / 1000);
    out->props.present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_MESSAGE_EXPIRY);
}

/* ---- the store ---- */

/* see mqtt_sessions.h */
struct tq_msessions *tq_msessions_new(size_t queue_max, size_t inflight_max)
{
    if (queue_max == 0 || inflight_max == 0)
        return NULL;
    struct tq_msessions *store = calloc(1, sizeof(*store));
    if (store == NULL)
        return NULL;
    tq_index_init(&store->by_client_id);
    store->queue_max = queue_max;
    store->inflight_max = inflight_max;
    return store;
}

static void release_entries(struct tq_msession *s)
{
    for (size_t i = 0; i < s->num_inflight; i++)
        tq_msg_unref(s->inflight[i].msg);
    for (size_t i = 0; i < s->num_queued; i++)
        tq_msg_unref(s->queue[(s->queue_head + i) % s->queue_cap].msg);
    free(s->inflight);
    free(s->queue);
}

static void unlink_offline(struct tq_msession *s)
{
    if (s->conn != NULL)
        return;
    if (s->off_prev)
        s->off_prev->off_next = s->off_next;
    else
        s->store->offline = s->off_next;
    if (s->off_next)
        s->off_next->off_prev = s->off_prev;
    s->off_prev = s->off_next = NULL;
}

/* see mqtt_sessions.h */
void tq_msession_set_offline(struct tq_msession *s, uint64_t now_ms)
{
    if (s->conn == NULL)
        return;
    s->conn = NULL;
    s->offline_at_ms = now_ms;
    s->off_prev = NULL;
    s->off_next = s->store->offline;
    if (s->off_next)
        s->off_next->off_prev = s;
    s->store->offline = s;
}

/* see mqtt_sessions.h */
void tq_msession_set_online(struct tq_msession *s, void *conn)
{
    unlink_offline(s);
    s->conn = conn;
}

/* see mqtt_sessions.h */
void tq_msessions_remove(struct tq_msession *s)
{
    struct tq_msessions *store = s->store;
    unlink_offline(s);
    if (s->indexed)
        tq_index_remove(&store->by_client_id, &s->node);
    if (s->prev)
        s->prev->next = s->next;
    else
        store->first = s->next;
    if (s->next)
        s->next->prev = s->prev;
    store->num--;
    release_entries(s);
    free(s);
}

/* see mqtt_sessions.h */
void tq_msessions_free(struct tq_msessions *store)
{
    if (store == NULL)
        return;
    while (store->first != NULL)
        tq_msessions_remove(store->first);
    tq_index_cleanup(&store->by_client_id);
    free(store);
}

static struct tq_msession *session_alloc(struct tq_msessions *store)
{
    struct tq_msession *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->store = store;
    s->receive_max = UINT16_MAX;
    return s;
}

/* see mqtt_sessions.h */
tq_status tq_msessions_add(struct tq_msessions *store, struct tq_msession **out,
                           const char *client_id, uint8_t protocol_level, void *conn)
{
    *out = NULL;
    TQ_ENSURE(conn != NULL, TQ_ERR_USAGE);
    size_t len = strlen(client_id);
    TQ_ENSURE(len <= TQ_MSESSION_CLIENT_ID_CAP, TQ_ERR_USAGE);
    TQ_ENSURE(len == 0 || tq_msessions_find(store, client_id) == NULL, TQ_ERR_USAGE);
    struct tq_msession *s = session_alloc(store);
    TQ_ENSURE(s != NULL, TQ_ERR_NOMEM);
    memcpy(s->client_id, client_id, len + 1);
    s->protocol_level = protocol_level;
    s->conn = conn;
    if (len > 0 && !tq_ok(tq_index_insert(&store->by_client_id, &s->node, s->client_id))) {
        release_entries(s);
        free(s);
        return TQ_STATUS(TQ_ERR_NOMEM);
    }
    s->indexed = len > 0;
    s->next = store->first;
    if (store->first)
        store->first->prev = s;
    store->first = s;
    store->num++;
    *out = s;
    return TQ_SUCCESS;
}

/* see mqtt_sessions.h */
struct tq_msession *tq_msessions_find(const struct tq_msessions *store, const char *client_id)
{
    struct tq_index_node *n = client_id[0] ? tq_index_find(&store->by_client_id, client_id) : NULL;
    return n ? TQ_INDEX_ENTRY(n, struct tq_msession, node) : NULL;
}

/* see mqtt_sessions.h */
size_t tq_msessions_count(const struct tq_msessions *store)
{
    return store->num;
}

static uint64_t expires_at(const struct tq_msession *s)
{
    return s->offline_at_ms + (uint64_t)s->expiry_s * 1000;
}

/* see mqtt_sessions.h */
struct tq_msession *tq_msessions_expired(const struct tq_msessions *store, uint64_t now_ms)
{
    /* A scan of the offline sessions only: the broker asks once per expiry. */
    for (struct tq_msession *s = store->offline; s != NULL; s = s->off_next)
        if (expires_at(s) <= now_ms)
            return s;
    return NULL;
}

/* see mqtt_sessions.h */
uint64_t tq_msessions_next_expiry(const struct tq_msessions *store)
{
    uint64_t next = UINT64_MAX;
    for (const struct tq_msession *s = store->offline; s != NULL; s = s->off_next)
        if (expires_at(s) < next)
            next = expires_at(s);
    return next;
}

/* ---- in flight and queued ---- */

/* see mqtt_sessions.h */
bool tq_msession_can_send(const struct tq_msession *s)
{
    return s->num_inflight < s->store->inflight_max && s->num_inflight < s->receive_max;
}

static bool in_flight(const struct tq_msession *s, uint16_t packet_id)
{
    for (size_t i = 0; i < s->num_inflight; i++)
        if (s->inflight[i].packet_id == packet_id)
            return true;
    return false;
}

/* grown returns a new capacity for `cap` entries, doubled from 8, at most `max`. */
static size_t grown(size_t cap, size_t max)
{
    size_t n = cap == 0 ? 8 : 2 * cap;
    return n < max ? n : max;
}

static bool grow_inflight(struct tq_msession *s)
{
    if (s->num_inflight < s->inflight_cap)
        return true;
    size_t cap = grown(s->inflight_cap, s->store->inflight_max);
    struct tq_msession_entry *e = realloc(s->inflight, cap * sizeof(*e));
    if (e == NULL)
        return false;
    s->inflight = e;
    s->inflight_cap = cap;
    return true;
}

/* grow_queue makes room for one more queued entry: a bigger ring, its entries from index 0. */
static bool grow_queue(struct tq_msession *s)
{
    if (s->num_queued < s->queue_cap)
        return true;
    size_t cap = grown(s->queue_cap, s->store->queue_max);
    struct tq_msession_entry *e = malloc(cap * sizeof(*e));
    if (e == NULL)
        return false;
    for (size_t i = 0; i < s->num_queued; i++)
        e[i] = s->queue[(s->queue_head + i) % s->queue_cap];
    free(s->queue);
    s->queue = e;
    s->queue_cap = cap;
    s->queue_head = 0;
    return true;
}

/* see mqtt_sessions.h */
uint16_t tq_msession_track(struct tq_msession *s, struct tq_msg *m, uint8_t qos, bool retain)
{
    if (!tq_msession_can_send(s) || !grow_inflight(s))
        return 0;
    /* At most inflight_max (< 65535) identifiers are in use: a free one is found. */
    do {
        s->last_packet_id = s->last_packet_id == UINT16_MAX ? 1 : s->last_packet_id + 1;
    } while (in_flight(s, s->last_packet_id));
    s->inflight[s->num_inflight++] = (struct tq_msession_entry){
        .msg = tq_msg_ref(m), .packet_id = s->last_packet_id, .qos = qos, .retain = retain};
    return s->last_packet_id;
}

/* see mqtt_sessions.h */
bool tq_msession_ack(struct tq_msession *s, uint16_t packet_id)
{
    for (size_t i = 0; i < s->num_inflight; i++) {
        if (s->inflight[i].packet_id != packet_id)
            continue;
        tq_msg_unref(s->inflight[i].msg);
        memmove(&s->inflight[i], &s->inflight[i + 1],
                (s->num_inflight - i - 1) * sizeof(s->inflight[0]));
        s->num_inflight--;
        return true;
    }
    return false;
}

/* see mqtt_sessions.h */
const struct tq_msession_entry *tq_msession_inflight_at(const struct tq_msession *s, size_t i)
{
    return i < s->num_inflight ? &s->inflight[i] : NULL;
}

/* see mqtt_sessions.h */
bool tq_msession_enqueue(struct tq_msession *s, struct tq_msg *m, uint8_t qos, bool retain)
{
    if (s->num_queued == s->store->queue_max || !grow_queue(s)) {
        s->num_dropped++;
        return false;
    }
    s->queue[(s->queue_head + s->num_queued++) % s->queue_cap] =
        (struct tq_msession_entry){.msg = tq_msg_ref(m), .qos = qos, .retain = retain};
    return true;
}

/* see mqtt_sessions.h */
bool tq_msession_dequeue(struct tq_msession *s, uint64_t now_ms, struct tq_msession_entry *out)
{
    while (s->num_queued > 0) {
        struct tq_msession_entry e = s->queue[s->queue_head];
        s->queue_head = (s->queue_head + 1) % s->queue_cap;
        s->num_queued--;
        if (!tq_msg_expired(e.msg, now_ms)) {
            *out = e;
            return true;
        }
        s->num_dropped++;
        tq_msg_unref(e.msg);
    }
    return false;
}
