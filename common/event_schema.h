/* event_schema.h: the broker's event lines (docs/broker-events.md), defined once: which events
 * exist, which members each carries and of what JSON type; and the one reader of those lines.
 *
 * The broker writes its lines (broker/events.c) and checks each against this schema in builds
 * with assertions (the ASan build of `make test`): a line that breaks it aborts the broker there,
 * naming the event and the member. The harness reads every line with tq_event_parse, which
 * applies the same checks, and gets the members through typed getters; `tlsqual lint` checks the
 * event patterns of scenarios (`expect.broker_events`) against the same table. So a member the
 * harness reads is a member the broker writes, with the type the harness reads it as.
 *
 * Conventions:
 * - Every line is one JSON object. Its first four members are `ts` (string), `event` (string),
 *   `conn` (integer >= 0) and `peer` (string), in that order (the reader checks their presence
 *   and types, not their order). A broker-wide event has conn 0; a connection event has conn >= 1
 *   and a peer "IP:PORT" whose port is the client's.
 * - Every member the schema lists for an event is present ("members that do not apply are null,
 *   never absent"), with its type, or null where the schema allows it; no other member appears.
 *   The writer's check holds the broker to all of it. The reader holds a line to all of it but
 *   presence: a member a line leaves out reads as null (the getters say so), so that a test can
 *   write the members it is about and nothing else.
 * - Nested values (the items of a list, the members of an object inside a line) are not checked
 *   here: the event's own row in docs/broker-events.md describes them. */
#ifndef TQ_EVENT_SCHEMA_H
#define TQ_EVENT_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* Where an event can happen. */
enum tq_event_scope {
    TQ_EVENT_BROKER_WIDE, /* conn 0 */
    TQ_EVENT_CONNECTION,  /* conn >= 1, peer with a port */
    TQ_EVENT_EITHER,      /* registry_write_failed: an API call's (conn 0) or a JITR's */
};

/* One line per event: its enum, its name and its scope. The members of each are in
 * event_schema.c. */
#define TQ_EVENT_TABLE(X)                                                                          \
    X(TQ_EVENT_BROKER_STARTED, "broker_started", TQ_EVENT_BROKER_WIDE)                             \
    X(TQ_EVENT_SIGNAL_RECEIVED, "signal_received", TQ_EVENT_BROKER_WIDE)                           \
    X(TQ_EVENT_REGISTRY_RELOADED, "registry_reloaded", TQ_EVENT_BROKER_WIDE)                       \
    X(TQ_EVENT_API_REQUEST, "api_request", TQ_EVENT_BROKER_WIDE)                                   \
    X(TQ_EVENT_CERTIFICATE_REGISTERED, "certificate_registered", TQ_EVENT_BROKER_WIDE)             \
    X(TQ_EVENT_CERTIFICATE_UPDATED, "certificate_updated", TQ_EVENT_BROKER_WIDE)                   \
    X(TQ_EVENT_CERTIFICATE_DELETED, "certificate_deleted", TQ_EVENT_BROKER_WIDE)                   \
    X(TQ_EVENT_CA_CERTIFICATE_REGISTERED, "ca_certificate_registered", TQ_EVENT_BROKER_WIDE)       \
    X(TQ_EVENT_CA_CERTIFICATE_UPDATED, "ca_certificate_updated", TQ_EVENT_BROKER_WIDE)             \
    X(TQ_EVENT_AUDIT_TASK_COMPLETED, "audit_task_completed", TQ_EVENT_BROKER_WIDE)                 \
    X(TQ_EVENT_REGISTRY_WRITE_FAILED, "registry_write_failed", TQ_EVENT_EITHER)                    \
    X(TQ_EVENT_ACCEPT_PAUSED, "accept_paused", TQ_EVENT_BROKER_WIDE)                               \
    X(TQ_EVENT_CONNECTION_DROPPED, "connection_dropped", TQ_EVENT_BROKER_WIDE)                     \
    X(TQ_EVENT_BROKER_STOPPED, "broker_stopped", TQ_EVENT_BROKER_WIDE)                             \
    X(TQ_EVENT_CONNECTION_OPENED, "connection_opened", TQ_EVENT_CONNECTION)                        \
    X(TQ_EVENT_CLIENT_HELLO, "client_hello", TQ_EVENT_CONNECTION)                                  \
    X(TQ_EVENT_ALPN_REJECTED, "alpn_rejected", TQ_EVENT_CONNECTION)                                \
    X(TQ_EVENT_SNI_REJECTED, "sni_rejected", TQ_EVENT_CONNECTION)                                  \
    X(TQ_EVENT_TLS_ESTABLISHED, "tls_established", TQ_EVENT_CONNECTION)                            \
    X(TQ_EVENT_CLIENT_CERTIFICATE_REJECTED, "client_certificate_rejected", TQ_EVENT_CONNECTION)    \
    X(TQ_EVENT_JITR_REGISTERED, "jitr_registered", TQ_EVENT_CONNECTION)                            \
    X(TQ_EVENT_MQTT_CONNECT, "mqtt_connect", TQ_EVENT_CONNECTION)                                  \
    X(TQ_EVENT_SHARED_CERTIFICATE, "shared_certificate", TQ_EVENT_CONNECTION)                      \
    X(TQ_EVENT_MQTT_CONNACK, "mqtt_connack", TQ_EVENT_CONNECTION)                                  \
    X(TQ_EVENT_DUPLICATE_CLIENTID, "duplicate_clientid", TQ_EVENT_CONNECTION)                      \
    X(TQ_EVENT_MQTT_SUBSCRIBE, "mqtt_subscribe", TQ_EVENT_CONNECTION)                              \
    X(TQ_EVENT_MQTT_UNSUBSCRIBE, "mqtt_unsubscribe", TQ_EVENT_CONNECTION)                          \
    X(TQ_EVENT_MQTT_PUBLISH, "mqtt_publish", TQ_EVENT_CONNECTION)                                  \
    X(TQ_EVENT_MQTT_DISCONNECT, "mqtt_disconnect", TQ_EVENT_CONNECTION)                            \
    X(TQ_EVENT_SESSION_RESUMED, "session_resumed", TQ_EVENT_CONNECTION)                            \
    X(TQ_EVENT_SESSION_STORED, "session_stored", TQ_EVENT_CONNECTION)                              \
    X(TQ_EVENT_SESSION_EXPIRED, "session_expired", TQ_EVENT_BROKER_WIDE)                           \
    X(TQ_EVENT_MESSAGE_DROPPED, "message_dropped", TQ_EVENT_EITHER)                                \
    X(TQ_EVENT_WILL_PUBLISHED, "will_published", TQ_EVENT_CONNECTION)                              \
    X(TQ_EVENT_CONNECTION_CLOSED, "connection_closed", TQ_EVENT_CONNECTION)

enum tq_event_id {
#define TQ_X_ENUM(id, name, scope) id,
    TQ_EVENT_TABLE(TQ_X_ENUM)
#undef TQ_X_ENUM
        TQ_EVENT_COUNT /* not an event: the number of events, and "no such event" */
};

/* The JSON type of a member. */
enum tq_event_type {
    TQ_EVENT_STRING,
    TQ_EVENT_INTEGER,
    TQ_EVENT_BOOL,
    TQ_EVENT_ARRAY,
    TQ_EVENT_OBJECT,
};

/* The longest line the reader takes: longer is refused (a client_hello with every extension is a
 * few KiB). */
#define TQ_EVENT_LINE_MAX (256u * 1024u)

/* tq_event_name returns the name of `id` ("broker_started"), or NULL for TQ_EVENT_COUNT. */
const char *tq_event_name(enum tq_event_id id);

/* tq_event_lookup returns the id of the event called `name` (`len` bytes), or TQ_EVENT_COUNT. */
enum tq_event_id tq_event_lookup(const char *name, size_t len);

/* tq_event_member_type stores in `*out` the type of member `member` of event `id` (the four
 * common members included) and whether it may be null, and returns true; false when the event
 * has no such member. Either output may be NULL. */
bool tq_event_member_type(enum tq_event_id id, const char *member, enum tq_event_type *out,
                          bool *out_nullable);

/* tq_event_member_at returns the name of the `i`-th member of event `id` (the common four not
 * counted; client_hello's `malformed` last), or NULL when `i` is past the last. */
const char *tq_event_member_at(enum tq_event_id id, size_t i);

/* tq_event_check checks one line before it is written: event `event` of connection `conn` from
 * `peer`, with `fields` (the members after the common four, in order; NULL: none). It fails
 * with TQ_ERR_PROTOCOL and a diag naming the event and what is wrong ("connection_closed: member
 * 'alert_sent' must be a string or null, got an integer") when the line breaks the schema. */
TQ_MUST_USE tq_status tq_event_check(struct tq_diag *diag, const char *event, unsigned long conn,
                                     const char *peer, json_t *fields);

/* struct tq_event is one event line, read and checked. */
struct tq_event {
    json_t *obj; /* the whole line; owned, released by tq_event_cleanup */
    enum tq_event_id id;
    long conn;
    const char *ts;   /* borrowed from `obj` */
    const char *peer; /* borrowed from `obj`; "" for most broker-wide events */
    long port;        /* the port of `peer`; 0 when it has none */
};

/* tq_event_parse reads the event line `line` (`len` bytes, without its '\n') into `*out` and
 * checks it against the schema. On success the caller owns `*out` and releases it with
 * tq_event_cleanup. On failure `*out` is empty (safe to clean up) and `diag` says what is wrong
 * (TQ_ERR_PARSE: not a JSON object; TQ_ERR_PROTOCOL: breaks the schema; TQ_ERR_LIMIT: longer than
 * TQ_EVENT_LINE_MAX). */
TQ_MUST_USE tq_status tq_event_parse(struct tq_diag *diag, struct tq_event *out, const char *line,
                                     size_t len);

/* tq_event_cleanup releases what `ev` holds and empties it; an empty event is a no-op. */
void tq_event_cleanup(struct tq_event *ev);

/* The getters read member `member` of a parsed event. The member must be one the schema gives
 * the event, with the getter's type: asking for another is a bug, which aborts in builds with
 * assertions and otherwise answers as for null. */

/* tq_event_string returns the string `member`, borrowed from `ev`, or NULL when it is null. */
const char *tq_event_string(const struct tq_event *ev, const char *member);

/* tq_event_integer returns the integer `member`, or `if_null` when it is null. */
long tq_event_integer(const struct tq_event *ev, const char *member, long if_null);

/* tq_event_bool returns the boolean `member` (false when null). */
bool tq_event_bool(const struct tq_event *ev, const char *member);

/* tq_event_json returns the list or object `member`, borrowed from `ev`, or NULL when null. */
json_t *tq_event_json(const struct tq_event *ev, const char *member);

/* tq_event_port returns the port of an address "IP:PORT" or "[IPv6]:PORT" (a `peer`, a
 * `listener`, an `api`): the decimal digits after the last colon, 1 to 65535 without a leading
 * zero; 0 when there is none. */
long tq_event_port(const char *address);

#endif
