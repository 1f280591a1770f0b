/* broker.h: the mock AWS-IoT-like MQTT broker: one libevent loop, TLS listener, sessions.
 *
 * Lifecycle: tq_broker_new loads the PKI, binds the listener and announces it; tq_broker_serve
 * runs until SIGINT or SIGTERM; tq_broker_free closes every connection and flushes the events.
 * What the broker does is reported as events (events.h, docs/broker-events.md). */
#ifndef TQ_BROKER_H
#define TQ_BROKER_H

#include <stdbool.h>

#include "status.h"
#include "tls.h"

/* What to do with a SUBSCRIBE requesting QoS 2 (docs/aws-iot/mqtt.md#qos: "If QoS 2 is
 * requested, the message broker doesn't send a PUBACK or SUBACK"). */
enum tq_qos2_mode {
    TQ_QOS2_IGNORE, /* no SUBACK, nothing subscribed: what the AWS documentation says */
    TQ_QOS2_GRANT1, /* SUBACK granting QoS 1 */
    TQ_QOS2_REJECT, /* SUBACK 0x80 for that filter */
};

/* Where a client certificate the registry refuses is refused
 * (docs/aws-iot/client-certificates.md#refusal-point). */
enum tq_refusal_style {
    TQ_REFUSE_ALERT,         /* a fatal alert inside the handshake */
    TQ_REFUSE_CLOSE,         /* complete the handshake, then close at once */
    TQ_REFUSE_AFTER_CONNECT, /* complete the handshake, close after CONNECT, no CONNACK */
};

/* What to do when a client certificate is used by two connections at once with different
 * client IDs (docs/aws-iot/devices.md#shared-certificate: AWS does not block it; Device
 * Defender reports it). */
enum tq_shared_cert_mode {
    TQ_SHARED_CERT_ALLOW,  /* accept; event shared_certificate */
    TQ_SHARED_CERT_REFUSE, /* event shared_certificate, then close the later connection */
};

struct tq_broker_config {
    const char *pki_dir;          /* folder with manifest.json and registry.json */
    const char *listen;           /* "HOST:PORT"; port 0 picks a free port */
    const char *events_path;      /* NULL or "-": stdout */
    int ready_fd;                 /* -1: none; else receives "HOST:PORT\n", then closed */
    unsigned parent_pid;          /* 0: none; else the broker stops (SIGTERM) when the
                                         process it was started by is gone */
    const char *endpoint;         /* "ats" or "legacy" (tls.h endpoint table) */
    enum tq_chain_variant chain;  /* which ATS chain files are sent */
    const char *server_cert;      /* NULL, or an artifact served instead of the endpoint's */
    const char *policy;           /* a policy id or AWS name (policy.h) */
    const char *profile;          /* "aws" or "strict": informational, the CLI applies it */
    unsigned handshake_timeout_s; /* also bounds the wait for CONNECT after the handshake */
    unsigned keepalive_min_s;     /* smallest effective keep-alive: 30, lower for tests */
    enum tq_qos2_mode qos2;
    enum tq_refusal_style refusal;
    enum tq_sni_mode sni;
    enum tq_listener_mode listener;
    enum tq_validity_mode validity;
    enum tq_crl_mode crl;
    enum tq_shared_cert_mode shared_cert;
    const char *refusal_alert; /* alert name for TQ_REFUSE_ALERT */
    const char *api;           /* NULL: no control plane; else "HOST:PORT" (api.h) */
    bool allow_remote;         /* false: `listen` and `api` must be loopback addresses
                                       * (127.0.0.0/8, ::1, localhost) */
    const char *registry_path; /* NULL: DIR/registry.json of the PKI; else this file,
                                       * whose "cert" members stay relative to the PKI */
    /* AWS IoT Core's MQTT limits (docs/aws-iot/mqtt.md), settings of the `aws` profile. */
    unsigned max_client_id;     /* bytes of a client ID (#client-id-limits), at most 256 */
    unsigned max_topic_length;  /* bytes of a topic name (#topic-limits); 0: none */
    unsigned max_topic_slashes; /* '/' in a topic name or filter (#topic-limits); 0: none */
    unsigned max_filters;       /* topic filters per SUBSCRIBE (#subscribe-limits) */
    unsigned max_subscriptions; /* subscriptions per connection (#subscribe-limits) */
    unsigned max_packet;        /* bytes of any packet, header included (#packet-size) */
    unsigned session_expiry;    /* s a session outlives its connection at most; MQTT 3.1.1
                                       * persistent sessions get it (#persistent-sessions) */
    unsigned session_queue;     /* QoS 1 messages an offline session keeps (#persistent-
                                       * sessions: "within account limits; excess is dropped") */
    unsigned topic_alias_max;   /* MQTT 5 Topic Alias Maximum (#topic-aliases) */
    unsigned receive_max;       /* MQTT 5 Receive Maximum, and the in-flight QoS 1 window
                                       * towards each client (#receive-maximum, #rate-limits) */
};

/* TQ_BROKER_DEFAULT_LISTEN is an unprivileged loopback address. */
#define TQ_BROKER_DEFAULT_LISTEN "127.0.0.1:18883"

/* tq_broker_config_defaults fills `cfg` with the defaults (pki_dir NULL: the caller sets it). */
void tq_broker_config_defaults(struct tq_broker_config *cfg);

struct tq_broker;

/* tq_broker_host_is_loopback is true when the HOST of "HOST:PORT" (or "[IPv6]:PORT") is a
 * loopback address: in 127.0.0.0/8 (also as an IPv4-mapped IPv6 address), ::1, or the name
 * "localhost" (any case). Any other name, an empty host and a text without ":PORT" are not. */
bool tq_broker_host_is_loopback(const char *host_port);

/* tq_broker_new validates `cfg`, loads the PKI, binds the listener and writes the bound address
 * to cfg->ready_fd. On failure `*out` is NULL and `diag` names what is wrong; codes
 * TQ_ERR_NOMEM and TQ_ERR_INTERNAL are runtime failures, every other code is a configuration
 * error. `cfg`'s strings must outlive the broker. */
TQ_MUST_USE tq_status tq_broker_new(struct tq_diag *diag, struct tq_broker **out,
                                    const struct tq_broker_config *cfg);

/* tq_broker_serve runs the event loop until SIGINT or SIGTERM. SIGHUP reloads the registry
 * file (event registry_reloaded) and closes the connections it no longer allows. */
TQ_MUST_USE tq_status tq_broker_serve(struct tq_diag *diag, struct tq_broker *broker);

/* tq_broker_free closes every connection (event connection_closed, reason "broker_shutdown"),
 * writes broker_stopped and releases everything. NULL is a no-op. */
void tq_broker_free(struct tq_broker *broker);

#endif
