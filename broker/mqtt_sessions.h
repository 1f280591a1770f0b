/* mqtt_sessions.h: the broker's MQTT sessions, the state that may outlive a connection (MQTT
 * 3.1.1 section 4.1, MQTT 5 section 4.1), and the messages they hold.
 *
 * AWS IoT Core's rules (docs/aws-iot/mqtt.md#persistent-sessions, #session-expiry): a persistent
 * session keeps the client's subscriptions and its QoS 1 messages: those sent and not yet
 * acknowledged ("in flight") and those that arrived while the client was away or while its
 * in-flight window was full ("queued", within a bound; the excess is dropped). A session ends when
 * its expiry interval has passed after the disconnect, or at once when that interval is 0.
 *
 * Conventions:
 * - No I/O and no clock of its own: times are milliseconds of a monotonic clock, given by the
 *   caller. The connection that holds a session is an opaque pointer (`conn`).
 * - Subscriptions are not here: the router (router.h) keeps them, with the session as owner.
 * - A message (struct tq_msg) is immutable once made and shared by reference count: one
 *   PUBLISH routed to many sessions, queued and retained, is one copy. */
#ifndef TQ_BROKER_MQTT_SESSIONS_H
#define TQ_BROKER_MQTT_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index.h"
#include "mqtt5.h"
#include "status.h"

/* The longest client ID a session holds; the broker refuses longer ones before (its limit,
 * --max-client-id, may not exceed this). */
#define TQ_MSESSION_CLIENT_ID_CAP 256

/* AWS's bounds on Message Expiry Interval (docs/aws-iot/mqtt.md#message-expiry): "AWS raises 0
 * to 1 and lowers anything above 604800 (7 days) to 604800". */
#define TQ_MSG_EXPIRY_MIN_S 1u
#define TQ_MSG_EXPIRY_MAX_S 604800u

/* struct tq_msg is one application message as the broker keeps it: its own copies of the topic,
 * the payload and the properties that are forwarded to subscribers
 * (docs/aws-iot/mqtt.md#mqtt5-properties: Payload Format Indicator, Content Type, Response
 * Topic, Correlation Data, User Property; Message Expiry Interval as a deadline). Read-only once
 * made. */
struct tq_msg {
    unsigned refs;
    uint8_t qos; /* as published: 0 or 1 */
    bool retain; /* as published */
    struct tq_mqtt_str topic;
    const uint8_t *payload;
    size_t payload_len;
    struct tq_mqtt5_props props; /* the forwarded ones; Message Expiry not set here */
    uint64_t received_at_ms;     /* when it was made */
    bool expires;                /* it had a Message Expiry Interval */
    uint64_t expires_at_ms;      /* then: the monotonic time it expires */
};

/* tq_msg_new copies the message of `p` (its topic, which must not be empty: the caller resolves a
 * Topic Alias first; payload; QoS; RETAIN; forwarded properties) into a new message with one
 * reference, received at `now_ms`. A Message Expiry Interval is clamped to AWS's 1 to 604800 s.
 * Fails with TQ_ERR_NOMEM only; then `*out` is NULL. */
TQ_MUST_USE tq_status tq_msg_new(struct tq_msg **out, const struct tq_mqtt5_publish *p,
                                 uint64_t now_ms);

/* tq_msg_ref adds a reference to `m` and returns it; tq_msg_unref drops one and frees the
 * message with the last (NULL is a no-op). */
struct tq_msg *tq_msg_ref(struct tq_msg *m);
void tq_msg_unref(struct tq_msg *m);

/* tq_msg_expired is true when `m` has a Message Expiry Interval that has passed at `now_ms`. */
bool tq_msg_expired(const struct tq_msg *m, uint64_t now_ms);

/* tq_msg_view fills `out` with a PUBLISH of `m` at `now_ms`: topic, payload, RETAIN as
 * published, the forwarded properties and, when `m` expires, Message Expiry Interval set to the
 * whole seconds left (docs/aws-iot/mqtt.md#message-expiry: "0 once less than one second
 * remains"). QoS, packet identifier and DUP are the caller's to set. `out` points into `m`. */
void tq_msg_view(const struct tq_msg *m, struct tq_mqtt5_publish *out, uint64_t now_ms);

/* struct tq_msession_entry is one QoS 1 message of a session: in flight (with its packet
 * identifier) or queued (packet_id 0). */
struct tq_msession_entry {
    struct tq_msg *msg; /* one reference, the entry's */
    uint16_t packet_id;
    uint8_t qos;
    bool retain; /* the RETAIN flag it is sent with */
};

/* struct tq_msession is one session. The store owns it; its members are read by the broker and
 * changed only through the functions below, but for `expiry_s` and `receive_max`, which the
 * broker sets from the CONNECT (and DISCONNECT) of the connection holding it. */
struct tq_msession {
    char client_id[TQ_MSESSION_CLIENT_ID_CAP + 1];
    uint8_t protocol_level; /* 4 or 5: a session is resumed by the same version only */
    uint32_t expiry_s;      /* 0: ends with its connection */
    void *conn;             /* the connection holding it; NULL while offline */
    uint64_t offline_at_ms; /* while offline: when the connection ended */
    struct tq_msession *off_prev, *off_next; /* in the store's offline list, while offline */
    uint16_t receive_max; /* the client's Receive Maximum (MQTT 5); 65535 if none */
    uint16_t last_packet_id;
    size_t num_inflight; /* sent, waiting for PUBACK, in the order sent */
    struct tq_msession_entry *inflight;
    size_t queue_head, num_queued; /* not yet sent, oldest first (a ring) */
    struct tq_msession_entry *queue;
    size_t inflight_cap, queue_cap; /* allocated entries: grown on demand up to the store's
                                     * bounds, so that an idle session costs little */
    uint64_t num_dropped;           /* queued messages lost to the bound or to expiry */
    /* The store's bookkeeping. */
    struct tq_msessions *store;
    struct tq_index_node node; /* by client ID, when indexed */
    bool indexed;
    struct tq_msession *prev, *next;
};

/* struct tq_msessions is every session of a broker. */
struct tq_msessions;

/* tq_msessions_new returns an empty store whose sessions queue at most `queue_max` messages
 * and keep at most `inflight_max` in flight (docs/aws-iot/mqtt.md#rate-limits: 100
 * unacknowledged outbound QoS 1 messages per client), or NULL without memory. Both are >= 1. */
struct tq_msessions *tq_msessions_new(size_t queue_max, size_t inflight_max);

/* tq_msessions_free releases every session (their messages included) and the store. NULL is a
 * no-op. */
void tq_msessions_free(struct tq_msessions *store);

/* tq_msessions_add makes a session for `client_id` (at most TQ_MSESSION_CLIENT_ID_CAP bytes),
 * held by connection `conn` (not NULL), with no messages, and stores it in `*out`. A non-empty
 * client ID is indexed: it must not be in the store already (the caller looked it up and removed
 * the old one). An empty one (an MQTT 3.1.1 client without client ID, whose session is never
 * resumed) is not. Fails with TQ_ERR_NOMEM, or TQ_ERR_USAGE for a client ID too long or already
 * present. */
TQ_MUST_USE tq_status tq_msessions_add(struct tq_msessions *store, struct tq_msession **out,
                                       const char *client_id, uint8_t protocol_level, void *conn);

/* tq_msession_set_offline records that the connection holding `s` ended at `now_ms`; its
 * expiry runs from then. tq_msession_set_online gives `s` to connection `conn` (not NULL): a
 * resumed session. */
void tq_msession_set_offline(struct tq_msession *s, uint64_t now_ms);
void tq_msession_set_online(struct tq_msession *s, void *conn);

/* tq_msessions_find returns the session of `client_id`, or NULL. */
struct tq_msession *tq_msessions_find(const struct tq_msessions *store, const char *client_id);

/* tq_msessions_count returns how many sessions the store holds. */
size_t tq_msessions_count(const struct tq_msessions *store);

/* tq_msessions_remove takes `s` out of its store and frees it and its messages. */
void tq_msessions_remove(struct tq_msession *s);

/* tq_msessions_expired returns an offline session whose expiry interval has passed at `now_ms`
 * (offline_at_ms + expiry_s), or NULL when there is none. The caller removes it (and its
 * subscriptions) and asks again. */
struct tq_msession *tq_msessions_expired(const struct tq_msessions *store, uint64_t now_ms);

/* tq_msessions_next_expiry returns the earliest time at which an offline session expires, or
 * UINT64_MAX when no session is offline. */
uint64_t tq_msessions_next_expiry(const struct tq_msessions *store);

/* tq_msession_can_send is true when `s` may have one more message in flight: fewer than the
 * store's maximum and than the client's Receive Maximum. */
bool tq_msession_can_send(const struct tq_msession *s);

/* tq_msession_track puts `m` (a new reference) in flight at `qos` with `retain` and a packet
 * identifier not in flight, and returns that identifier; 0 when tq_msession_can_send is false
 * or without memory (nothing done). */
uint16_t tq_msession_track(struct tq_msession *s, struct tq_msg *m, uint8_t qos, bool retain);

/* tq_msession_ack ends the flight of packet identifier `packet_id` (a PUBACK came) and is true,
 * or is false when no message is in flight with it. */
bool tq_msession_ack(struct tq_msession *s, uint16_t packet_id);

/* tq_msession_inflight_at returns the `i`-th message in flight, oldest first (i <
 * num_inflight). */
const struct tq_msession_entry *tq_msession_inflight_at(const struct tq_msession *s, size_t i);

/* tq_msession_enqueue queues `m` (a new reference) at `qos` with `retain` behind the others, and
 * is true; when the queue is full (or without memory) it drops `m`, counts it in num_dropped and
 * is false. */
bool tq_msession_enqueue(struct tq_msession *s, struct tq_msg *m, uint8_t qos, bool retain);

/* tq_msession_dequeue takes the oldest queued entry whose message has not expired at `now_ms`
 * into `*out` (the caller owns its reference) and is true; false when none is left. Expired
 * messages on the way are dropped and counted in num_dropped. */
bool tq_msession_dequeue(struct tq_msession *s, uint64_t now_ms, struct tq_msession_entry *out);

#endif
