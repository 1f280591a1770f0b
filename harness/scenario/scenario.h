/* scenario.h: one scenario file (format in docs/scenario-format.md), parsed and checked.
 *
 * A scenario says what the broker serves, what the client does, and what must come out. Every
 * value keeps the line it came from, so a later check (lint, the runner) can still point at the
 * file and line. Strings are owned by the scenario. */
#ifndef TQ_SCENARIO_H
#define TQ_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "outcome_vocab.h" /* tq_outcome_known: what `expect.outcome` may name */
#include "status.h"

/* The longest scenario name: Mbed TLS's rule for test descriptions (CI tracks cases by name). */
#define TQ_SCENARIO_NAME_MAX 66
/* Bounds on lists in a scenario; more is a parse error naming the bound. */
#define TQ_SCENARIO_LIST_MAX 64
#define TQ_SCENARIO_MQTT_MAX 8
/* The largest scenario file read (bytes). */
#define TQ_SCENARIO_FILE_MAX (256 * 1024)

struct tq_strlist {
    size_t num;
    char *items[TQ_SCENARIO_LIST_MAX];
};

struct tq_mqtt_step { /* one SUBSCRIBE or PUBLISH of the client */
    char *topic;
    long qos;
    char *payload; /* PUBLISH only */
};

/* struct tq_scenario_broker: broker settings. Each set member becomes the `tlsqual broker`
 * option whose key it is in the broker's option table (broker/broker_options.h: the same name,
 * underscores as dashes), and its value was checked with that table when the scenario was
 * read. Scenarios with equal settings share one broker process. */
struct tq_scenario_broker {
    char *endpoint;      /* "ats" (default) or "legacy" */
    char *refusal;       /* how a rejected client certificate is refused */
    char *refusal_alert; /* the alert for refusal "alert" */
    char *qos2;          /* what a QoS 2 SUBSCRIBE gets */
    char *policy;        /* AWS IoT security policy id (broker/policy.h) */
    char *sni;           /* SNI mode: optional, required, endpoint */
    char *chain;         /* chain variant: short, cross, cross-g2 */
    char *server_cert;   /* serve this artifact's chain instead of the endpoint's */
    char *listener;      /* mqtt (8883-style) or alpn (443-style) */
    char *validity;      /* device-certificate validity: strict or ignore */
    char *crl;           /* device-certificate CRL checks: on or off */
    char *shared_cert;   /* a certificate used by two devices: allow or refuse */
    char *profile;       /* aws or strict */
};

/* tq_scenario_broker_args writes the `tlsqual broker` options for `b` into `argv` (pairs of
 * "--option" and value, at most `max_args` pointers, borrowed from `b`) and returns how many. */
size_t tq_scenario_broker_args(const struct tq_scenario_broker *b, const char **argv,
                               size_t max_args);

struct tq_scenario_versions {
    char *min; /* "1.0" .. "1.3"; NULL: library default */
    char *max;
};

struct tq_scenario_mqtt {
    bool enabled;    /* the scenario has an `mqtt` section */
    char *client_id; /* NULL: derived from the case name */
    long keep_alive; /* 0: the protocol's default */
    size_t num_subscribe;
    struct tq_mqtt_step subscribe[TQ_SCENARIO_MQTT_MAX];
    size_t num_publish;
    struct tq_mqtt_step publish[TQ_SCENARIO_MQTT_MAX];
    long expect_messages;
};

struct tq_scenario_client {
    char *certificate;       /* artifact name; NULL: no client certificate */
    struct tq_strlist trust; /* artifact names of trusted roots */
    char *server_name;       /* "endpoint" (default): the endpoint's host name; else literal */
    bool send_sni;           /* default true */
    struct tq_scenario_versions versions;
    struct tq_strlist suites; /* IANA names */
    struct tq_strlist alpn;
    struct tq_strlist crl; /* artifact names whose CRL the client checks */
    struct tq_scenario_mqtt mqtt;
};

struct tq_scenario_expect {
    struct tq_strlist outcome;        /* accepted outcomes (alternatives); at least one */
    struct tq_strlist warn_outcome;   /* also accepted, as "pass with warnings" */
    long connack;                     /* -1: not checked */
    char *version;                    /* NULL: not checked; else "TLSv1.2" ... */
    char *suite;                      /* NULL: not checked; else an IANA name */
    char *server_certificate;         /* NULL: not checked; else the artifact the leaf must be */
    struct tq_strlist broker_events;  /* "event field=value ..." that must appear among the
                                        broker's events for the client's connection */
    struct tq_strlist chain_includes; /* artifacts the received chain must contain */
    struct tq_strlist chain_excludes; /* artifacts it must not contain (pinning checks) */
};

/* struct tq_scenario_companion: a second device, connected before the client and kept
 * connected while it runs (shared certificates, client IDs used twice). */
struct tq_scenario_companion {
    bool enabled;      /* the scenario has a `companion` section */
    char *certificate; /* artifact name; NULL: the client's certificate */
    char *client_id;   /* NULL: derived */
};

/* The most steps of a lifecycle scenario. */
#define TQ_SCENARIO_STEPS_MAX 16

/* struct tq_scenario_step is one step of a lifecycle scenario (docs/scenario-format.md): the
 * case gets a broker of its own, and its steps run in order. Exactly one of `connect`, `api`,
 * `wait` and `restart` is set. */
struct tq_scenario_step {
    char *connect;           /* a connection's name: the backend under test connects */
    char *api;               /* an AWS IoT operation on the broker's control plane */
    char *wait;              /* a held connection's name: wait until it has ended */
    char *restart;           /* "kill" (SIGKILL, a crash) or "stop" (SIGTERM): the broker
                                  starts again on the same ports with the same registry */
    char *certificate;       /* connect: the client certificate (default client.certificate);
                                  api: the certificate the operation is about */
    char *client_id;         /* connect: the MQTT client ID (default derived from the name) */
    bool hold;               /* connect: stay connected and subscribed until the broker closes
                                  the connection or one message arrives; a later `wait` ends it */
    char *topic;             /* connect with hold: what it subscribes to (default its own) */
    char *ca;                /* api: the CA certificate artifact */
    char *status;            /* api: the new status, or for DescribeCertificate the one wanted */
    char *auto_registration; /* api UpdateCACertificate: ENABLE or DISABLE */
    long http_status;        /* api: the HTTP status wanted (0: 200) */
    bool has_expect;
    struct tq_scenario_expect expect; /* connect without hold, and wait */
    unsigned line;                    /* where the step starts */
};

struct tq_scenario {
    char *path;
    char *name;
    char *spec; /* the fact or RFC section it checks */
    char *description;
    char *expand; /* NULL, or "policy_suites": one case per suite of the policy */
    struct tq_strlist tags;
    struct tq_scenario_broker broker;
    struct tq_scenario_client client;
    struct tq_scenario_companion companion;
    struct tq_scenario_expect expect; /* unused (has_expect false) in a lifecycle scenario */
    bool has_expect;
    size_t num_steps; /* > 0: a lifecycle scenario */
    struct tq_scenario_step steps[TQ_SCENARIO_STEPS_MAX];
    unsigned name_line;     /* for lint messages about the name */
    size_t num_value_lines; /* where each string value came from: see tq_scenario_line_of */
    struct {
        const char *value;
        unsigned line;
    } value_lines[256];
};

/* tq_scenario_line_of returns the line of the file where the string `value` (a pointer held
 * by `s`, such as s->client.certificate) was written, or 0 when unknown. */
unsigned tq_scenario_line_of(const struct tq_scenario *s, const char *value);

/* tq_scenario_load parses the scenario file at `path` into a new scenario in `*out`. On
 * success the caller owns `*out` (release with tq_scenario_free). On failure `*out` is NULL and
 * `diag` names the file, the line and what was expected there. */
TQ_MUST_USE tq_status tq_scenario_load(struct tq_diag *diag, struct tq_scenario **out,
                                       const char *path);

/* tq_scenario_parse is tq_scenario_load on text already in memory; `path` names it in errors. */
TQ_MUST_USE tq_status tq_scenario_parse(struct tq_diag *diag, struct tq_scenario **out,
                                        const char *path, const char *text, size_t text_len);

/* tq_scenario_free releases `s`. NULL is a no-op. */
void tq_scenario_free(struct tq_scenario *s);

#endif
