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
#include "events.h"
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
    struct bufferevent *bev;              /* owns the SSL and the socket */
    SSL *ssl;
    struct event *timer;                  /* the deadline of the current state */
    struct timespec opened;
    struct tq_tls_peer tls;
    char client_id[TQ_BROKER_MAX_CLIENT_ID + 1];
    unsigned keep_alive_s;                /* effective, after clamping */
    uint16_t next_packet_id;
    const char *close_reason;
    char close_detail[256];
};

/* tq__session_accept takes ownership of the accepted socket `fd` and starts the handshake. */
void tq__session_accept(struct tq_broker *b, evutil_socket_t fd, const struct sockaddr *addr);

/* tq__session_close starts closing `s` for `reason` (see docs/broker-events.md); `detail` may be
 * NULL. Pending output is flushed first when `flush` is set. The session is freed later, from
 * the event loop, never inside this call, so callers may keep using `s` until they return. */
void tq__session_close(struct tq_session *s, const char *reason, const char *detail, bool flush);

/* tq__session_free emits connection_closed and frees `s` at once. */
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

/* tq__jitr_register registers `s`'s certificate, marked by the TLS layer for just-in-time
 * registration (tq_tls_peer.jitr_leaf), as PENDING_ACTIVATION, and publishes the registration
 * message on $aws/events/certificates/registered/<caCertificateId> (aws-iot-facts.md §4.6).
 * The caller refuses the connection as usual. */
void tq__jitr_register(struct tq_session *s);

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
