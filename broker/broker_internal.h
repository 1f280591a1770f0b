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
#include "registry.h"
#include "router.h"
#include "tls.h"

/* AWS IoT's limits (aws-iot-facts.md §6). */
enum {
    TQ_BROKER_MAX_PACKET = 128 * 1024,    /* "Maximum packet size 128 KB" */
    TQ_BROKER_MAX_CLIENT_ID = 128,        /* "Max 128 bytes" */
    TQ_BROKER_KEEPALIVE_MIN_S = 30,       /* "Values below 30 s are treated as 30"; the
                                           * default of --keepalive-min (lower: tests only) */
    TQ_BROKER_KEEPALIVE_MAX_S = 1200,     /* "The maximum and default is 1200 s" */
    TQ_BROKER_CLOSE_GRACE_MS = 2000,      /* how long a closing connection may flush */
    TQ_BROKER_MAX_OUTPUT = 4 << 20,       /* unsent bytes before a slow reader is dropped */
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

struct tq_broker {
    const struct tq_broker_config *cfg;
    struct event_base *base;
    struct evconnlistener *listener;
    struct event *accept_resume;          /* re-enables accepting after a pause (EMFILE) */
    struct event *sigint, *sigterm, *sighup;
    SSL_CTX *ssl_ctx;
    struct tq_tls_settings tls;
    struct tq_manifest *manifest;
    struct tq_registry *registry;
    struct tq_router *router;
    struct tq_events *events;
    struct tq_session *sessions;          /* doubly linked, newest first */
    struct tq_drain *drain;               /* the sockets of freed sessions, closing (drain.h) */
    struct tq_index client_ids;           /* CONNECTED sessions by client ID (empty ones not) */
    struct tq_index cert_groups;          /* struct tq_cert_group by certificate id */
    struct {
        unsigned long ms;
        const struct timeval *tv;         /* libevent's common timeout of that duration */
    } timeouts[8];                        /* the deadlines sessions use, few and repeated */
    struct tq_api *api;                   /* the control plane (--api), or NULL */
    struct tq_audit *audit;               /* what Device Defender audits would see */
    unsigned long next_conn;
    long nofile;                          /* the open-file limit after raising it; -1: none */
    char listen_addr[64];                 /* the bound address, "127.0.0.1:18883" */
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
    struct bufferevent *bev;              /* over `ssl` and the socket; owns neither */
    SSL *ssl;                             /* owned; its BIO does not close the socket */
    struct event *timer;                  /* the deadline of the current state */
    struct timespec opened;
    struct tq_tls_peer tls;
    char client_id[TQ_BROKER_MAX_CLIENT_ID + 1];
    unsigned keep_alive_s;                /* effective, after clamping */
    uint16_t next_packet_id;
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
 * shared-certificate check (aws-iot-facts.md §5) without a scan of all connections. */
struct tq_cert_group {
    struct tq_index_node node;            /* in broker->cert_groups, key cert_id */
    char cert_id[65];
    struct tq_session *newest;            /* ordered by connection number, highest first */
    size_t num;                           /* sessions in the group */
    size_t num_unnamed;                   /* of which with an empty client ID */
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
