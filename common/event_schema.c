/* event_schema.c: see event_schema.h. The member lists are docs/broker-events.md's tables. */
#include "event_schema.h"

#include <assert.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct member {
    const char *name;
    enum tq_event_type type;
    bool nullable;
};

/* A shape is one set of members a line of the event has; client_hello has two. */
struct shape {
    const struct member *members;
    size_t num;
};

struct event_row {
    struct shape shapes[2]; /* the second: client_hello's malformed form, and the MQTT 5
                                  * form of the mqtt_* events (their 3.1.1 members and more) */
};

#define STR(n)                                                                                     \
    {                                                                                              \
        n, TQ_EVENT_STRING, false                                                                  \
    }
#define STR_OR_NULL(n)                                                                             \
    {                                                                                              \
        n, TQ_EVENT_STRING, true                                                                   \
    }
#define INT(n)                                                                                     \
    {                                                                                              \
        n, TQ_EVENT_INTEGER, false                                                                 \
    }
#define INT_OR_NULL(n)                                                                             \
    {                                                                                              \
        n, TQ_EVENT_INTEGER, true                                                                  \
    }
#define OBJ(n)                                                                                     \
    {                                                                                              \
        n, TQ_EVENT_OBJECT, false                                                                  \
    }
#define BOOL(n)                                                                                    \
    {                                                                                              \
        n, TQ_EVENT_BOOL, false                                                                    \
    }
#define LIST(n)                                                                                    \
    {                                                                                              \
        n, TQ_EVENT_ARRAY, false                                                                   \
    }
#define SHAPE(m)                                                                                   \
    {                                                                                              \
        m, ARRAY_LEN(m)                                                                            \
    }

static const struct member common[] = {STR("ts"), STR("event"), INT("conn"), STR("peer")};

/* Broker-wide events. */
static const struct member broker_started[] = {STR("listener"),
                                               STR("listener_mode"),
                                               STR("endpoint"),
                                               STR_OR_NULL("endpoint_host"),
                                               LIST("server_chains"),
                                               STR_OR_NULL("server_cert"),
                                               STR("chain"),
                                               STR("policy"),
                                               STR("sni"),
                                               STR("validity"),
                                               STR("crl"),
                                               STR("shared_cert"),
                                               INT("keepalive_min"),
                                               STR("profile"),
                                               INT("nofile"),
                                               STR("pki"),
                                               INT("pid"),
                                               STR("registry"),
                                               STR_OR_NULL("api"),
                                               OBJ("mqtt_limits")};
static const struct member signal_received[] = {STR("signal")};
static const struct member registry_reloaded[] = {BOOL("ok"), STR_OR_NULL("error"), INT("cas"),
                                                  INT("certificates"), INT("connections_closed")};
static const struct member api_request[] = {STR_OR_NULL("operation"), STR("method"), STR("path"),
                                            INT("status"), STR_OR_NULL("error")};
static const struct member certificate_registered[] = {
    STR("certificate_id"), STR("status"), STR("mode"), STR_OR_NULL("ca_certificate_id"),
    STR("source")};
static const struct member certificate_changed[] = {
    STR("certificate_id"), STR_OR_NULL("old_status"), STR_OR_NULL("new_status"),
    INT("connections_closed")};
static const struct member ca_certificate_registered[] = {STR("ca_certificate_id"), STR("status"),
                                                          STR("mode"), BOOL("auto_registration")};
static const struct member ca_certificate_updated[] = {STR("ca_certificate_id"), STR("status"),
                                                       BOOL("auto_registration")};
static const struct member audit_task_completed[] = {STR("task_id"), LIST("checks"),
                                                     INT("findings")};
static const struct member registry_write_failed[] = {STR("operation"), STR("detail")};
static const struct member accept_paused[] = {STR("error"), INT("pause_ms")};
static const struct member connection_dropped[] = {STR("reason")};

/* Connection events. */
static const struct member connection_opened[] = {STR("listener")};
static const struct member client_hello[] = {STR_OR_NULL("legacy_version"),
                                             LIST("versions"),
                                             LIST("suites"),
                                             LIST("groups"),
                                             LIST("point_formats"),
                                             LIST("sigalgs"),
                                             STR_OR_NULL("sni"),
                                             LIST("alpn"),
                                             LIST("extensions"),
                                             STR("ja3"),
                                             STR("ja3_md5")};
static const struct member client_hello_malformed[] = {STR("malformed")};
static const struct member alpn_rejected[] = {STR("reason"), LIST("alpn"), STR("expected")};
static const struct member sni_rejected[] = {STR("reason"), STR_OR_NULL("sni"),
                                             STR_OR_NULL("expected")};
static const struct member tls_established[] = {STR("version"),
                                                STR("suite"),
                                                STR_OR_NULL("sni"),
                                                STR_OR_NULL("alpn"),
                                                STR_OR_NULL("client_cert_id"),
                                                STR_OR_NULL("client_subject"),
                                                STR_OR_NULL("validity_ignored")};
static const struct member client_certificate_rejected[] = {
    STR("reason"), STR_OR_NULL("client_cert_id"), STR_OR_NULL("client_subject"),
    INT("verify_error")};
static const struct member jitr_registered[] = {STR("certificate_id"), STR("ca_certificate_id"),
                                                STR("topic"), INT("subscribers")};
static const struct member mqtt_connect[] = {
    STR("client_id"),      INT("protocol_level"), INT("keep_alive"),   INT("keep_alive_effective"),
    BOOL("clean_session"), BOOL("has_will"),      BOOL("has_username")};
static const struct member mqtt5_connect[] = {STR("client_id"),
                                              INT("protocol_level"),
                                              INT("keep_alive"),
                                              INT("keep_alive_effective"),
                                              BOOL("clean_session"),
                                              BOOL("has_will"),
                                              BOOL("has_username"),
                                              INT_OR_NULL("session_expiry"),
                                              INT_OR_NULL("receive_maximum"),
                                              INT_OR_NULL("maximum_packet_size"),
                                              INT_OR_NULL("topic_alias_maximum")};
static const struct member shared_certificate[] = {
    STR("client_cert_id"), STR("client_id"),  LIST("client_ids"), LIST("others"),
    INT("num_others"),     INT("other_conn"), STR("other_peer")};
static const struct member mqtt_connack[] = {INT("rc"), BOOL("session_present")};
static const struct member mqtt5_connack[] = {
    INT("rc"), BOOL("session_present"), INT("protocol_level"), STR("reason"), OBJ("properties")};
static const struct member duplicate_clientid[] = {STR("client_id"), INT("new_conn"),
                                                   STR("new_peer")};
static const struct member mqtt_subscribe[] = {INT("packet_id"), LIST("filters"), BOOL("suback")};
static const struct member mqtt5_subscribe[] = {INT("packet_id"), LIST("filters"), BOOL("suback"),
                                                INT("protocol_level")};
static const struct member mqtt_unsubscribe[] = {INT("packet_id"), LIST("filters")};
static const struct member mqtt5_unsubscribe[] = {INT("packet_id"), LIST("filters"),
                                                  INT("protocol_level"), LIST("codes")};
static const struct member mqtt_publish[] = {STR("topic"),   INT("qos"),         INT("packet_id"),
                                             BOOL("retain"), INT("payload_len"), INT("subscribers"),
                                             BOOL("dropped")};
static const struct member mqtt5_publish[] = {STR("topic"),
                                              INT("qos"),
                                              INT("packet_id"),
                                              BOOL("retain"),
                                              INT("payload_len"),
                                              INT("subscribers"),
                                              BOOL("dropped"),
                                              INT("protocol_level"),
                                              INT_OR_NULL("topic_alias"),
                                              INT_OR_NULL("puback")};
static const struct member mqtt_disconnect[] = {STR("direction"), INT("reason_code"), STR("reason"),
                                                INT_OR_NULL("session_expiry")};
static const struct member session_counts[] = {STR("client_id"), INT("subscriptions"),
                                               INT("inflight"), INT("queued")};
static const struct member session_stored[] = {
    STR("client_id"), INT("session_expiry"), INT("subscriptions"), INT("inflight"), INT("queued")};
static const struct member message_dropped[] = {STR("client_id"), STR("topic"), INT("qos"),
                                                STR("reason")};
static const struct member will_published[] = {STR("topic"),       INT("qos"),
                                               BOOL("retain"),     INT("payload_len"),
                                               INT("subscribers"), STR("reason")};
static const struct member connection_closed[] = {STR("reason"),
                                                  STR_OR_NULL("detail"),
                                                  INT("bytes_in"),
                                                  INT("bytes_out"),
                                                  INT("duration_ms"),
                                                  STR_OR_NULL("alert_sent"),
                                                  STR_OR_NULL("alert_received")};

static const struct event_row events[] = {
#define ROW(id, m) [id] = {.shapes = {SHAPE(m)}}
#define ROW2(id, m, m5) [id] = {.shapes = {SHAPE(m), SHAPE(m5)}}
    ROW(TQ_EVENT_BROKER_STARTED, broker_started),
    ROW(TQ_EVENT_SIGNAL_RECEIVED, signal_received),
    ROW(TQ_EVENT_REGISTRY_RELOADED, registry_reloaded),
    ROW(TQ_EVENT_API_REQUEST, api_request),
    ROW(TQ_EVENT_CERTIFICATE_REGISTERED, certificate_registered),
    ROW(TQ_EVENT_CERTIFICATE_UPDATED, certificate_changed),
    ROW(TQ_EVENT_CERTIFICATE_DELETED, certificate_changed),
    ROW(TQ_EVENT_CA_CERTIFICATE_REGISTERED, ca_certificate_registered),
    ROW(TQ_EVENT_CA_CERTIFICATE_UPDATED, ca_certificate_updated),
    ROW(TQ_EVENT_AUDIT_TASK_COMPLETED, audit_task_completed),
    ROW(TQ_EVENT_REGISTRY_WRITE_FAILED, registry_write_failed),
    ROW(TQ_EVENT_ACCEPT_PAUSED, accept_paused),
    ROW(TQ_EVENT_CONNECTION_DROPPED, connection_dropped),
    [TQ_EVENT_BROKER_STOPPED] = {.shapes = {{NULL, 0}}},
    ROW(TQ_EVENT_CONNECTION_OPENED, connection_opened),
    [TQ_EVENT_CLIENT_HELLO] = {.shapes = {SHAPE(client_hello), SHAPE(client_hello_malformed)}},
    ROW(TQ_EVENT_ALPN_REJECTED, alpn_rejected),
    ROW(TQ_EVENT_SNI_REJECTED, sni_rejected),
    ROW(TQ_EVENT_TLS_ESTABLISHED, tls_established),
    ROW(TQ_EVENT_CLIENT_CERTIFICATE_REJECTED, client_certificate_rejected),
    ROW(TQ_EVENT_JITR_REGISTERED, jitr_registered),
    ROW2(TQ_EVENT_MQTT_CONNECT, mqtt_connect, mqtt5_connect),
    ROW(TQ_EVENT_SHARED_CERTIFICATE, shared_certificate),
    ROW2(TQ_EVENT_MQTT_CONNACK, mqtt_connack, mqtt5_connack),
    ROW(TQ_EVENT_DUPLICATE_CLIENTID, duplicate_clientid),
    ROW2(TQ_EVENT_MQTT_SUBSCRIBE, mqtt_subscribe, mqtt5_subscribe),
    ROW2(TQ_EVENT_MQTT_UNSUBSCRIBE, mqtt_unsubscribe, mqtt5_unsubscribe),
    ROW2(TQ_EVENT_MQTT_PUBLISH, mqtt_publish, mqtt5_publish),
    ROW(TQ_EVENT_MQTT_DISCONNECT, mqtt_disconnect),
    ROW(TQ_EVENT_SESSION_RESUMED, session_counts),
    ROW(TQ_EVENT_SESSION_STORED, session_stored),
    ROW(TQ_EVENT_SESSION_EXPIRED, session_counts),
    ROW(TQ_EVENT_MESSAGE_DROPPED, message_dropped),
    ROW(TQ_EVENT_WILL_PUBLISHED, will_published),
    ROW(TQ_EVENT_CONNECTION_CLOSED, connection_closed),
#undef ROW
#undef ROW2
};

_Static_assert(ARRAY_LEN(events) == TQ_EVENT_COUNT, "one member list per event");

static const struct {
    const char *name;
    enum tq_event_scope scope;
} names[] = {
#define TQ_X_NAME(id, name, scope) [id] = {name, scope},
    TQ_EVENT_TABLE(TQ_X_NAME)
#undef TQ_X_NAME
};

/* see event_schema.h */
const char *tq_event_name(enum tq_event_id id)
{
    return (unsigned)id < TQ_EVENT_COUNT ? names[id].name : NULL;
}

/* see event_schema.h */
enum tq_event_id tq_event_lookup(const char *name, size_t len)
{
    for (unsigned i = 0; i < TQ_EVENT_COUNT; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0)
            return (enum tq_event_id)i;
    return TQ_EVENT_COUNT;
}

static const struct member *find_in(const struct member *members, size_t num, const char *name)
{
    for (size_t i = 0; i < num; i++)
        if (strcmp(members[i].name, name) == 0)
            return &members[i];
    return NULL;
}

static const struct member *find_member(enum tq_event_id id, const char *name)
{
    const struct member *m = find_in(common, ARRAY_LEN(common), name);
    for (size_t s = 0; m == NULL && (unsigned)id < TQ_EVENT_COUNT && s < 2; s++)
        m = find_in(events[id].shapes[s].members, events[id].shapes[s].num, name);
    return m;
}

/* see event_schema.h */
bool tq_event_member_type(enum tq_event_id id, const char *member, enum tq_event_type *out,
                          bool *out_nullable)
{
    const struct member *m = find_member(id, member);
    if (m == NULL)
        return false;
    if (out != NULL)
        *out = m->type;
    if (out_nullable != NULL)
        *out_nullable = m->nullable;
    return true;
}

/* see event_schema.h */
const char *tq_event_member_at(enum tq_event_id id, size_t i)
{
    for (size_t s = 0; (unsigned)id < TQ_EVENT_COUNT && s < 2; s++) {
        if (i < events[id].shapes[s].num)
            return events[id].shapes[s].members[i].name;
        i -= events[id].shapes[s].num;
    }
    return NULL;
}

static bool has_type(const json_t *v, enum tq_event_type type)
{
    switch (type) {
    case TQ_EVENT_STRING:
        return json_is_string(v);
    case TQ_EVENT_INTEGER:
        return json_is_integer(v);
    case TQ_EVENT_BOOL:
        return json_is_boolean(v);
    case TQ_EVENT_ARRAY:
        return json_is_array(v);
    case TQ_EVENT_OBJECT:
        return json_is_object(v);
    }
    return false;
}

static const char *type_name(enum tq_event_type type)
{
    switch (type) {
    case TQ_EVENT_STRING:
        return "a string";
    case TQ_EVENT_INTEGER:
        return "an integer";
    case TQ_EVENT_BOOL:
        return "true or false";
    case TQ_EVENT_ARRAY:
        return "a list";
    case TQ_EVENT_OBJECT:
        return "an object";
    }
    return "a value";
}

static const char *json_type_name(const json_t *v)
{
    static const char *const by_type[] = {
        [JSON_OBJECT] = "an object",   [JSON_ARRAY] = "a list", [JSON_STRING] = "a string",
        [JSON_INTEGER] = "an integer", [JSON_REAL] = "a real",  [JSON_TRUE] = "true",
        [JSON_FALSE] = "false",        [JSON_NULL] = "null"};
    return v == NULL ? "nothing" : by_type[json_typeof(v)];
}

static tq_status member_fail(struct tq_diag *diag, const char *event, const struct member *m,
                             const json_t *got)
{
    return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "%s: member '%s' must be %s%s, got %s",
                        event, m->name, type_name(m->type), m->nullable ? " or null" : "",
                        json_type_name(got));
}

/* check_member checks the type of member `m` of `obj`; an absent member passes unless
 * `required`. */
static tq_status check_member(struct tq_diag *diag, const char *event, const struct member *m,
                              const json_t *obj, bool required)
{
    const json_t *v = obj != NULL ? json_object_get(obj, m->name) : NULL;
    if ((v == NULL && !required) ||
        (v != NULL && (has_type(v, m->type) || (m->nullable && json_is_null(v)))))
        return TQ_SUCCESS;
    return member_fail(diag, event, m, v);
}

/* How strictly a line is held to its shape. */
enum strictness {
    WRITTEN, /* the writer's check: every member present, the common four apart */
    READ,    /* the reader's: the common four present too; an absent member reads as null */
};

/* check_shape checks that `obj` has only members of `shape` (and the common four when READ: a
 * whole line rather than the fields of one), of their types; all of them when WRITTEN. */
static tq_status check_shape(struct tq_diag *diag, const char *event, const struct shape *shape,
                             json_t *obj, enum strictness how)
{
    bool with_common = how == READ;
    for (size_t i = 0; i < shape->num; i++)
        TQ_GUARD(check_member(diag, event, &shape->members[i], obj, how == WRITTEN));
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        bool is_common = find_in(common, ARRAY_LEN(common), key) != NULL;
        if ((is_common && with_common) || find_in(shape->members, shape->num, key) != NULL)
            continue;
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "%s: member '%s' is not in docs/broker-events.md", event, key);
    }
    return TQ_SUCCESS;
}

static tq_status check_scope(struct tq_diag *diag, enum tq_event_id id, unsigned long conn,
                             const char *peer)
{
    enum tq_event_scope scope = names[id].scope;
    if (scope == TQ_EVENT_BROKER_WIDE && conn != 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "%s: a broker-wide event must have conn 0, got %lu", names[id].name,
                            conn);
    if (scope == TQ_EVENT_CONNECTION && (conn == 0 || tq_event_port(peer) == 0))
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "%s: a connection event must have conn >= 1 and a peer IP:PORT, "
                            "got conn %lu and peer '%s'",
                            names[id].name, conn, peer);
    return TQ_SUCCESS;
}

/* check_members checks `obj` against every shape of event `id`; the error is the first
 * shape's. */
static tq_status check_members(struct tq_diag *diag, enum tq_event_id id, json_t *obj,
                               enum strictness how)
{
    const struct event_row *row = &events[id];
    if (row->shapes[1].members != NULL &&
        tq_ok(check_shape(NULL, names[id].name, &row->shapes[1], obj, how)))
        return TQ_SUCCESS;
    return check_shape(diag, names[id].name, &row->shapes[0], obj, how);
}

/* see event_schema.h */
tq_status tq_event_check(struct tq_diag *diag, const char *event, unsigned long conn,
                         const char *peer, json_t *fields)
{
    enum tq_event_id id = tq_event_lookup(event, strlen(event));
    if (id == TQ_EVENT_COUNT)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "event '%s' is not in docs/broker-events.md", event);
    TQ_GUARD(check_scope(diag, id, conn, peer != NULL ? peer : ""));
    if (fields != NULL && !json_is_object(fields))
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "%s: the members are %s, not an "
                            "object",
                            event, json_type_name(fields));
    json_t *none = fields == NULL ? json_object() : NULL;
    tq_status st = check_members(diag, id, fields != NULL ? fields : none, WRITTEN);
    json_decref(none);
    return st;
}

static tq_status parse_common(struct tq_diag *diag, struct tq_event *ev)
{
    for (size_t i = 0; i < ARRAY_LEN(common); i++)
        TQ_GUARD(check_member(diag, "event line", &common[i], ev->obj, true));
    json_t *name = json_object_get(ev->obj, "event");
    ev->id = tq_event_lookup(json_string_value(name), json_string_length(name));
    ev->conn = (long)json_integer_value(json_object_get(ev->obj, "conn"));
    ev->ts = json_string_value(json_object_get(ev->obj, "ts"));
    ev->peer = json_string_value(json_object_get(ev->obj, "peer"));
    ev->port = tq_event_port(ev->peer);
    if (ev->id == TQ_EVENT_COUNT)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "event '%s' is not in docs/broker-events.md", json_string_value(name));
    if (ev->conn < 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "%s: conn must be >= 0, got %ld",
                            names[ev->id].name, ev->conn);
    return check_scope(diag, ev->id, (unsigned long)ev->conn, ev->peer);
}

/* see event_schema.h */
tq_status tq_event_parse(struct tq_diag *diag, struct tq_event *out, const char *line, size_t len)
{
    *out = (struct tq_event){.id = TQ_EVENT_COUNT};
    if (len > TQ_EVENT_LINE_MAX)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "event line of %zu bytes exceeds %u", len,
                            TQ_EVENT_LINE_MAX);
    json_error_t err;
    out->obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(out->obj)) {
        tq_event_cleanup(out);
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "event line is not a JSON object: %s",
                            err.text[0] ? err.text : "another JSON type");
    }
    tq_status st = parse_common(diag, out);
    if (tq_ok(st))
        st = check_members(diag, out->id, out->obj, READ);
    if (!tq_ok(st))
        tq_event_cleanup(out);
    return st;
}

/* see event_schema.h */
void tq_event_cleanup(struct tq_event *ev)
{
    json_decref(ev->obj);
    *ev = (struct tq_event){.id = TQ_EVENT_COUNT};
}

/* member returns `ev`'s member `name` when the schema gives the event that member with type
 * `type`, else NULL (and a failed assertion: the caller asked for what no line has). */
static json_t *member(const struct tq_event *ev, const char *name, enum tq_event_type type)
{
    enum tq_event_type declared;
    bool known = tq_event_member_type(ev->id, name, &declared, NULL) && declared == type;
    assert(known && "a member this event does not have with this type (event_schema.c)");
    return known && ev->obj != NULL ? json_object_get(ev->obj, name) : NULL;
}

/* see event_schema.h */
const char *tq_event_string(const struct tq_event *ev, const char *name)
{
    return json_string_value(member(ev, name, TQ_EVENT_STRING));
}

/* see event_schema.h */
long tq_event_integer(const struct tq_event *ev, const char *name, long if_null)
{
    json_t *v = member(ev, name, TQ_EVENT_INTEGER);
    return json_is_integer(v) ? (long)json_integer_value(v) : if_null;
}

/* see event_schema.h */
bool tq_event_bool(const struct tq_event *ev, const char *name)
{
    return json_is_true(member(ev, name, TQ_EVENT_BOOL));
}

/* see event_schema.h */
json_t *tq_event_json(const struct tq_event *ev, const char *name)
{
    enum tq_event_type declared = TQ_EVENT_OBJECT;
    tq_event_member_type(ev->id, name, &declared, NULL);
    json_t *v = member(ev, name, declared == TQ_EVENT_ARRAY ? TQ_EVENT_ARRAY : TQ_EVENT_OBJECT);
    return json_is_null(v) ? NULL : v;
}

/* see event_schema.h */
long tq_event_port(const char *address)
{
    const char *colon = address != NULL ? strrchr(address, ':') : NULL;
    if (colon == NULL || colon[1] < '1' || colon[1] > '9')
        return 0;
    long port = 0;
    for (const char *p = colon + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || port > 65535)
            return 0;
        port = port * 10 + (*p - '0');
    }
    return port <= 65535 ? port : 0;
}
