/* broker_internal.h: what server.c, session.c and session_mqtt.c share. Not a public API. */
#ifndef TQ_BROKER_INTERNAL_H
#define TQ_BROKER_INTERNAL_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdint.h>
#include <time.h>

#include "api.h"
#include "broker.h"
#include "drain.h"
#include "events.h"
#include "index.h"
#include "manifest.h"
#include "mqtt.h"
#include "mqtt5.h"
#include "mqtt_sessions.h"
#include "registry.h"
#include "router.h"
#include "tls.h"

/* AWS IoT's limits (docs/aws-iot/mqtt.md#packet-size, docs/aws-iot/mqtt.md#client-id-limits,
 * docs/aws-iot/mqtt.md#keep-alive). */
enum {
    TQ_BROKER_MAX_PACKET = 128 * 1024,  /* "Maximum packet size 128 KB": the default of
                                           * --max-packet (docs/aws-iot/mqtt.md#packet-size) */
    TQ_BROKER_MAX_PACKET_CAP = 1 << 20, /* the most --max-packet may be (input per client) */
    TQ_BROKER_MAX_CLIENT_ID = 128,      /* "Max 128 bytes": the default of --max-client-id */
    TQ_BROKER_KEEPALIVE_MIN_S = 30,     /* "Values below 30 s are treated as 30"; the
                                           * default of --keepalive-min (lower: tests only) */
    TQ_BROKER_KEEPALIVE_MAX_S = 1200,   /* "The maximum and default is 1200 s" */
    TQ_BROKER_CLOSE_GRACE_MS = 2000,    /* how long a closing connection may flush */
    TQ_BROKER_MAX_OUTPUT = 4 << 20,     /* unsent bytes before a slow reader is dropped */
    /* The bounds of the lingering close (drain.h) after a connection's last output: what a
     * client still sends is discarded until it closes, 64 KiB or 1 s, whichever comes first.
     * Enough for a client to read an alert or a CONNACK it would otherwise lose to the reset
     * (it only has to read what is already in its socket), short enough that clients which
     * never close cannot keep the broker's descriptors. */
    TQ_BROKER_DRAIN_MAX_BYTES = 64 * 1024,
    TQ_BROKER_DRAIN_MAX_MS = 1000,
};

struct tq_session;
struct tq_audit;
struct tq_retained;

/* struct tq_topic_alias is the topic an MQTT 5 client gave a Topic Alias (an owned copy). */
struct tq_topic_alias {
    uint8_t *topic;
    size_t len;
};

struct tq_broker {
    const struct tq_broker_config *cfg;
    struct event_base *base;
    struct evconnlistener *listener;
    struct event *accept_resume; /* re-enables accepting after a pause (EMFILE) */
    struct event *sigint, *sigterm, *sighup;
    SSL_CTX *ssl_ctx;
    struct tq_tls_settings tls;
    struct tq_manifest *manifest;
    struct tq_registry *registry;
    struct tq_router *router;
    struct tq_events *events;
    struct tq_session *sessions; /* doubly linked, newest first */
    struct tq_drain *drain;      /* the sockets of freed sessions, closing (drain.h) */
    struct tq_index client_ids;  /* CONNECTED sessions by client ID (empty ones not) */
    struct tq_index cert_groups; /* struct tq_cert_group by certificate id */
    struct {
        unsigned long ms;
        const struct timeval *tv;       /* libevent's common timeout of that duration */
    } timeouts[8];                      /* the deadlines sessions use, few and repeated */
    struct tq_api *api;                 /* the control plane (--api), or NULL */
    struct tq_audit *audit;             /* what Device Defender audits would see */
    struct tq_msessions *msessions;     /* MQTT sessions by client ID (mqtt_sessions.h) */
    struct event *expiry_timer;         /* ends offline sessions whose expiry passed */
    struct tq_index retained;           /* struct tq_retained by topic (session_deliver.c) */
    struct tq_retained *retained_first; /* the same, listed */
    size_t num_retained;
    struct tq_mqtt5_limits limits; /* the MQTT limits of the configuration */
    unsigned long next_conn;
    long nofile;          /* the open-file limit after raising it; -1: none */
    char listen_addr[64]; /* the bound address, "127.0.0.1:18883" */
};

enum tq_session_state {
    TQ_SESSION_HANDSHAKE,
    TQ_SESSION_AWAIT_CONNECT,
    TQ_SESSION_CONNECTED,
    TQ_SESSION_CLOSING,
};

struct tq_session {
    struct tq_broker *broker;
    struct tq_session *prev, *next;
    unsigned long conn;
    char peer[64];
    enum tq_session_state state;
    struct bufferevent *bev; /* over `ssl` and the socket; owns neither */
    SSL *ssl;                /* owned; its BIO does not close the socket */
    struct event *timer;     /* the deadline of the current state */
    struct timespec opened;
    struct tq_tls_peer tls;
    char client_id[TQ_MSESSION_CLIENT_ID_CAP + 1];
    unsigned keep_alive_s;        /* effective, after clamping */
    uint8_t protocol_level;       /* of the CONNECT: 4 (MQTT 3.1.1) or 5; 0 before */
    struct tq_msession *msession; /* while CONNECTED: its MQTT session */
    struct tq_msg *will;          /* the Will of the CONNECT, until the connection ends */
    /* MQTT 5 only (docs/aws-iot/mqtt.md#mqtt5-properties). */
    uint32_t session_expiry_s;      /* the Session Expiry Interval applied */
    uint32_t client_max_packet;     /* the client's Maximum Packet Size; 0: none */
    struct tq_topic_alias *aliases; /* inbound Topic Aliases 1..limits.topic_alias_maximum;
                                           * NULL until the first */
    bool disconnect_sent;           /* a DISCONNECT went out: nothing more is sent */
    const char *close_reason;
    char close_detail[256];
    /* While indexed (tq__connected_add: the session is CONNECTED): its client ID in
     * broker->client_ids, and its place in its certificate's group, newest first. */
    bool indexed;
    struct tq_index_node id_node;
    struct tq_cert_group *group;
    struct tq_session *group_prev, *group_next;
};

/* struct tq_cert_group is every CONNECTED session that uses one client certificate, for the
 * shared-certificate check (docs/aws-iot/devices.md#shared-certificate) without a scan of all
 * connections. */
struct tq_cert_group {
    struct tq_index_node node; /* in broker->cert_groups, key cert_id */
    char cert_id[65];
    struct tq_session *newest; /* ordered by connection number, highest first */
    size_t num;                /* sessions in the group */
    size_t num_unnamed;        /* of which with an empty client ID */
};

/* tq__session_accept takes ownership of the accepted socket `fd` and starts the handshake. */
void tq__session_accept(struct tq_broker *b, evutil_socket_t fd, const struct sockaddr *addr);

/* tq__session_close starts closing `s` for `reason` (see docs/broker-events.md); `detail` may be
 * NULL. Pending output is flushed first when `flush` is set. The session is freed later, from
 * the event loop, never inside this call, so callers may keep using `s` until they return. */
void tq__session_close(struct tq_session *s, const char *reason, const char *detail, bool flush);

/* tq__session_free emits connection_closed and frees `s` at once. Its socket is handed to the
 * broker's drain (drain.h): what the broker sent, alert or packet, reaches the client. */
void tq__session_free(struct tq_session *s);

/* tq__session_emit writes event `event` for `s` (its conn and peer) with `fields` (stolen). */
void tq__session_emit(struct tq_session *s, const char *event, json_t *fields);

/* tq__session_send appends one whole packet, already encoded in `buf`, to the output. A client
 * with more than TQ_BROKER_MAX_OUTPUT bytes unsent is closed instead ("output_overflow"). */
void tq__session_send(struct tq_session *s, const struct tq_buf *buf);

/* tq__session_arm sets the session's single deadline to `ms` milliseconds from now. */
void tq__session_arm(struct tq_session *s, unsigned long ms);

/* tq__session_established runs once the handshake succeeded: tls_established, and the
 * registry refusal styles that act after the handshake. */
void tq__session_established(struct tq_session *s);

/* tq__connected_add indexes `s`, which is becoming CONNECTED: by client ID (an empty one is
 * not indexed) and in its certificate's group. Fails with TQ_ERR_NOMEM only, and then `s` is
 * not indexed at all. */
TQ_MUST_USE tq_status tq__connected_add(struct tq_session *s);

/* tq__connected_remove takes `s` out of the indexes; a no-op when it is not indexed. */
void tq__connected_remove(struct tq_session *s);

/* tq__connected_by_client_id returns the indexed session with client ID `client_id`, or NULL.
 * There is at most one: a CONNECT takes the client ID over (duplicate_clientid) first. */
struct tq_session *tq__connected_by_client_id(struct tq_broker *b, const char *client_id);

/* tq__cert_group returns the group of indexed sessions that use certificate `cert_id`, or NULL
 * when there is none. */
const struct tq_cert_group *tq__cert_group(struct tq_broker *b, const char *cert_id);

/* tq__mqtt_input consumes every complete MQTT packet in `s`'s input buffer. */
void tq__mqtt_input(struct tq_session *s);

/* ---- session_mqtt.c: what both MQTT versions share ---- */

/* struct tq_connect_req is a decoded CONNECT of either version, as the shared accept path
 * needs it. */
struct tq_connect_req {
    struct tq_mqtt_str client_id; /* as sent, or the Assigned Client Identifier */
    uint16_t keep_alive;
    bool clean;                /* cleanSession (3.1.1) or Clean Start (5) */
    uint32_t session_expiry_s; /* as applied: 0 ends the session with the connection */
    struct tq_msg *will;       /* NULL or a new reference, which the accept path takes */
};

/* tq__mqtt_effective_keep_alive is the keep-alive the broker applies to a request of `requested`
 * seconds (docs/aws-iot/mqtt.md#keep-alive). */
unsigned tq__mqtt_effective_keep_alive(const struct tq_session *s, uint16_t requested);

/* tq__mqtt_connect_begin runs the version-independent part of accepting CONNECT `req` on `s`
 * (whose protocol_level is set): the shared-certificate check, the takeover of the client ID,
 * the session (resumed or new); it takes req->will. It is true when the caller is to send its
 * CONNACK of success (`*out_present` the Session Present flag), then call
 * tq__mqtt_connect_end; false when it refused the CONNECT and `s` is closing (MQTT 3.1.1: no
 * CONNACK; MQTT 5: a CONNACK with the failure's reason code). */
bool tq__mqtt_connect_begin(struct tq_session *s, struct tq_connect_req *req, bool *out_present);

/* tq__mqtt_connect_end makes `s` CONNECTED after its CONNACK went out: the keep-alive deadline,
 * then what its resumed session still holds (tq__mqtt_resume). */
void tq__mqtt_connect_end(struct tq_session *s, bool present);

/* tq__mqtt_route_publish routes a client's PUBLISH `p` (either version, its topic resolved)
 * from `s`, and returns how many subscriptions it matched; 0 without memory. */
size_t tq__mqtt_route_publish(struct tq_session *s, const struct tq_mqtt5_publish *p);

/* tq__mqtt_qos2_grant is what a SUBSCRIBE asking QoS 2 is granted, as --qos2 says
 * (docs/aws-iot/mqtt.md#qos): -1 no SUBACK at all, 1, or 0x80. */
int tq__mqtt_qos2_grant(const struct tq_session *s);

/* tq__mqtt_pingreq answers a PINGREQ (the same in both versions). */
TQ_MUST_USE tq_status tq__mqtt_pingreq(struct tq_session *s, struct tq_diag *diag,
                                       const struct tq_mqtt_frame *frame);

/* tq__mqtt_keep_alive_deadline re-arms `s`'s keep-alive deadline. */
void tq__mqtt_keep_alive_deadline(struct tq_session *s);

/* tq__mqtt_send_status sends `buf` when `st` is a success (what a writer returned) and returns
 * `st`. */
tq_status tq__mqtt_send_status(struct tq_session *s, const struct tq_buf *buf, tq_status st);

/* tq__mqtt_closing runs once `s` is closing for `reason` (tq__session_close): its session is let
 * go (kept when persistent, else ended soon) and its Will published, unless the client
 * disconnected normally (docs/aws-iot/mqtt.md#last-will). */
void tq__mqtt_closing(struct tq_session *s, const char *reason);

/* tq__mqtt_freeing releases what the MQTT side of `s` still holds (tq__session_free): a session
 * not yet let go (broker shutdown: no Will), the Will, the Topic Aliases. */
void tq__mqtt_freeing(struct tq_session *s);

/* ---- session_mqtt5.c: MQTT 5 ---- */

/* tq__mqtt5_connect handles a CONNECT of protocol level 5. */
TQ_MUST_USE tq_status tq__mqtt5_connect(struct tq_session *s, struct tq_diag *diag,
                                        const struct tq_mqtt_frame *frame);

/* tq__mqtt5_dispatch handles any other packet of an MQTT 5 connection. */
TQ_MUST_USE tq_status tq__mqtt5_dispatch(struct tq_session *s, struct tq_diag *diag,
                                         const struct tq_mqtt_frame *frame);

/* tq__mqtt5_farewell sends the server's DISCONNECT to `s`, about to close for `reason`
 * (docs/aws-iot/mqtt.md#disconnect-reason-codes), when `s` is an MQTT 5 connection still
 * CONNECTED and the reason has a code; its Reason String is `detail` (NULL: `reason`). True
 * when it sent one (tq__session_close then flushes). Called by tq__session_close before `s`
 * is CLOSING. */
bool tq__mqtt5_farewell(struct tq_session *s, const char *reason, const char *detail);

/* tq__mqtt5_connack_refuse sends an MQTT 5 CONNACK with failure `reason` (event mqtt_connack)
 * and closes `s` for `why` with `detail` (NULL: the reason code's name). */
TQ_MUST_USE tq_status tq__mqtt5_connack_refuse(struct tq_session *s, uint8_t reason,
                                               const char *why, const char *detail);

/* ---- session_deliver.c: messages, sessions, Will and retained messages ---- */

/* tq__mqtt_now_ms is the monotonic clock the sessions and messages use. */
uint64_t tq__mqtt_now_ms(void);

/* tq__mqtt_attach gives `s` its session: resumed when `clean` is false and the client ID has
 * a session of the same protocol level (`*out_present` true), else a new one (an old one is
 * ended), with expiry `expiry_s`. Fails with TQ_ERR_NOMEM only. */
TQ_MUST_USE tq_status tq__mqtt_attach(struct tq_session *s, bool clean, uint32_t expiry_s,
                                      bool *out_present);

/* tq__mqtt_resume sends what `s`'s resumed session holds: the messages in flight again (DUP
 * set), then the queued ones as far as the in-flight window allows. */
void tq__mqtt_resume(struct tq_session *s);

/* tq__mqtt_route delivers message `m` to every matching subscriber (to the offline persistent
 * ones: queued when QoS 1), published by `from` (NULL: the broker itself), and returns how
 * many subscriptions it matched. A retained `m` is stored first (tq__mqtt_retain). */
size_t tq__mqtt_route(struct tq_broker *b, struct tq_msession *from, struct tq_msg *m);

/* tq__mqtt_puback ends the flight of `packet_id` on `s` and sends what the window now allows;
 * false when nothing was in flight with that identifier. */
bool tq__mqtt_puback(struct tq_session *s, uint16_t packet_id);

/* tq__mqtt_send_retained sends `s` the retained message of a topic equal to `filter` (at most
 * the QoS of `options`, RETAIN set) and returns 1, or 0 when there is none
 * (docs/aws-iot/mqtt.md#retained-messages: only a filter equal to the topic). */
size_t tq__mqtt_send_retained(struct tq_session *s, struct tq_mqtt_str filter, uint8_t options);

/* tq__mqtt_retained_free releases every retained message of `b`. */
void tq__mqtt_retained_free(struct tq_broker *b);

/* tq__mqtt_expire ends the offline sessions whose expiry passed (event session_expired) and
 * arms b->expiry_timer for the next one. */
void tq__mqtt_expire(struct tq_broker *b);

/* tq__broker_enforce closes every connection whose client certificate the registry accepted
 * and now refuses (event connection_closed, reason certificate_status_changed, detail the
 * refusal: "inactive", "revoked", "unregistered", ...). It returns how many it closed. */
size_t tq__broker_enforce(struct tq_broker *b);

/* tq__broker_refresh_tls rebuilds the SSL_CTX from the registry (its trust store holds the
 * registered CAs and SNI_ONLY certificates); new handshakes use it, live ones keep theirs. */
TQ_MUST_USE tq_status tq__broker_refresh_tls(struct tq_diag *diag, struct tq_broker *b);

/* tq__broker_publish delivers a QoS 0 PUBLISH of `payload` (stolen, compact JSON) on `topic`
 * to every matching subscriber, as the broker itself (AWS IoT reserved topics), and returns
 * how many subscribers got it. */
size_t tq__broker_publish(struct tq_broker *b, const char *topic, json_t *payload);

/* tq__audit_new returns empty audit records, or NULL without memory; tq__audit_free releases
 * them (NULL is a no-op). */
struct tq_audit *tq__audit_new(void);
void tq__audit_free(struct tq_audit *audit);

/* tq__audit_shared records that the connected clients `client_ids` (a JSON array of strings)
 * use certificate `cert_id` at once (DEVICE_CERTIFICATE_SHARED_CHECK). */
void tq__audit_shared(struct tq_broker *b, const char *cert_id, const json_t *client_ids);

/* tq__audit_conflict records that client ID `client_id`, connected with certificate
 * `old_cert`, was taken over by a connection with `new_cert` (CONFLICTING_CLIENT_IDS_CHECK). */
void tq__audit_conflict(struct tq_broker *b, const char *client_id, const char *old_cert,
                        const char *new_cert);

#endif
