/* device_plan.h: a device qualification plan (format in docs/device-mode.md), parsed and checked.
 *
 * A plan is the scenario file of `tlsqual device`: an ordered list of server-side cases, one per
 * incoming connection from the device under test. Each case says which broker options serve it
 * (server certificate, chain, policy, SNI mode, listener), what the device must do, and how each
 * thing the device may do maps to a verdict, in the style of AWS IoT Device Advisor
 * (docs/aws-iot/device-advisor.md). Plans are YAML read with libyaml; every error names the file,
 * the line and what was expected. Strings are owned by the plan. */
#ifndef TQ_DEVICE_PLAN_H
#define TQ_DEVICE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"
#include "status.h"

/* The most cases in one plan, the longest case name (the scenario rule), the largest file. */
#define TQ_DEVICE_PLAN_MAX_CASES 32
#define TQ_DEVICE_CASE_NAME_MAX 66
#define TQ_DEVICE_PLAN_FILE_MAX (128 * 1024)

/* What the device must do while a case is live. */
enum tq_device_must {
    TQ_DEVICE_MUST_CONNECT,     /* "connect_and_connect": TLS handshake, then MQTT CONNECT */
    TQ_DEVICE_MUST_ABORT,       /* "abort_before_connect": refuse the server, no CONNECT */
    TQ_DEVICE_MUST_RECEIVE_MAX, /* "receive_max_publish": subscribe, take a 128 KB PUBLISH */
};

/* What a device did on a bad chain: the keys of a case's `verdict` mapping. */
enum tq_device_observation {
    TQ_DEVICE_OBS_ALERT,     /* refused the handshake and sent a TLS alert */
    TQ_DEVICE_OBS_CLOSE,     /* refused the handshake, closed without an alert */
    TQ_DEVICE_OBS_HANDSHAKE, /* completed the handshake, closed before CONNECT */
    TQ_DEVICE_OBS_CONNECT,   /* completed the handshake and sent CONNECT */
    TQ_DEVICE_OBS_COUNT,
};

/* struct tq_device_broker: broker settings. Each set member becomes the `tlsqual broker` option
 * whose key it is in the broker's option table (broker/broker_options.h: the same name,
 * underscores as dashes), which checked its value when the plan was read; NULL leaves the
 * broker's default. */
struct tq_device_broker {
    char *endpoint;    /* ats, legacy */
    char *server_cert; /* artifact name: server-expired, server-large, ... */
    char *chain;       /* short, cross, cross-g2 */
    char *policy;      /* security policy id (broker/policy.h) */
    char *sni;         /* optional, required, endpoint */
    char *listener;    /* mqtt (8883-style), alpn (443-style) */
};

/* struct tq_device_verdict_rules: the verdict words of a case's `verdict` mapping, as written
 * (pass, warn or fail; NULL: the default of the kind, see tq_device_case.on). */
struct tq_device_verdict_rules {
    char *alert;
    char *close;
    char *handshake;
    char *connect;
};

/* struct tq_device_publish: the maximum-size PUBLISH of a receive_max_publish case. */
struct tq_device_publish {
    long payload_size; /* 0 (default): the largest that fits AWS IoT's 128 KB packet */
    char *ack_topic;   /* NULL: "tlsqual/device/ack" (docs/device-mode.md#ack) */
};

struct tq_device_case {
    char *name;        /* unique in the plan, at most 66 characters */
    char *spec;        /* the fact it checks, e.g.
                                     "docs/aws-iot/device-advisor.md#tls-connect" */
    char *description; /* what the operator sees while the case is live */
    char *device_must; /* as written; see `must` */
    struct tq_device_broker broker;
    struct tq_device_verdict_rules verdict;
    struct tq_device_publish publish;
    unsigned line; /* where the case starts in the plan file */
    /* Derived after parsing: */
    enum tq_device_must must;
    enum tq_verdict on[TQ_DEVICE_OBS_COUNT]; /* abort_before_connect: the verdict for each
                                                 observation. Defaults: alert pass, close warn,
                                                 handshake fail, connect fail */
};

struct tq_device_plan {
    char *path;
    char *name;
    char *spec;
    char *description;
    struct tq_device_broker defaults; /* under every case; a case's own setting wins */
    size_t num_cases;
    struct tq_device_case cases[TQ_DEVICE_PLAN_MAX_CASES];
};

/* tq_device_plan_load parses the plan file at `path` into a new plan in `*out`. On success the
 * caller owns `*out` (release with tq_device_plan_free). On failure `*out` is NULL and `diag`
 * names the file, the line and what was expected there. */
TQ_MUST_USE tq_status tq_device_plan_load(struct tq_diag *diag, struct tq_device_plan **out,
                                          const char *path);

/* tq_device_plan_parse is tq_device_plan_load on text in memory; `path` names it in errors. */
TQ_MUST_USE tq_status tq_device_plan_parse(struct tq_diag *diag, struct tq_device_plan **out,
                                           const char *path, const char *text, size_t text_len);

/* tq_device_plan_free releases `plan`. NULL is a no-op. */
void tq_device_plan_free(struct tq_device_plan *plan);

/* tq_device_plan_setting returns the effective value of broker setting `key` ("server_cert",
 * "listener", ...) for case `c` of `plan`: the case's own, else the plan's default, else NULL. */
const char *tq_device_plan_setting(const struct tq_device_plan *plan,
                                   const struct tq_device_case *c, const char *key);

/* tq_device_plan_broker_args writes the `tlsqual broker` options of case `c` (pairs of
 * "--option" and value, borrowed from the plan) into `argv`, at most `max_args` pointers, and
 * returns how many. */
size_t tq_device_plan_broker_args(const struct tq_device_plan *plan, const struct tq_device_case *c,
                                  const char **argv, size_t max_args);

/* tq_device_must_name returns "connect_and_connect", "abort_before_connect" or
 * "receive_max_publish". */
const char *tq_device_must_name(enum tq_device_must must);

/* tq_device_observation_name returns "alert", "close", "handshake" or "connect". */
const char *tq_device_observation_name(enum tq_device_observation obs);

#endif
