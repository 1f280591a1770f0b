/* driver_internal.h: what the driver's files share with each other (never with a backend). */
#ifndef TQ_DRIVER_INTERNAL_H
#define TQ_DRIVER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "backend_ops.h"
#include "config_cache.h"
#include "mqtt.h"

/* tq__now_ms returns CLOCK_MONOTONIC in milliseconds, with a fractional part. */
double tq__now_ms(void);

/* tq__tcp_connect connects to `host`:`port` (an IP literal, or a name resolved with
 * getaddrinfo) with a non-blocking connect bounded by `deadline_ms` (a tq__now_ms value) and
 * returns the connected, blocking socket in `*out_fd`, its local port in `*out_local_port`. On
 * failure `out` holds connect_failed or timeout and the system's error text. */
TQ_MUST_USE tq_status tq__tcp_connect(struct tq_outcome *out, int *out_fd, uint16_t *out_local_port,
                                      const char *host, uint16_t port, double deadline_ms);

/* tq__arm_deadline sets SO_RCVTIMEO and SO_SNDTIMEO on `fd` to the time left until
 * `deadline_ms` (at least 1 ms). */
void tq__arm_deadline(int fd, double deadline_ms);

/* struct tq_mqtt_report is the `mqtt` member of the result. */
struct tq_mqtt_report {
    bool ran;
    int connack; /* -1: none received */
    size_t num_suback;
    uint8_t suback[64];
    uint32_t puback;
    uint32_t received;
    double elapsed_ms;
};

/* struct tq_link is one TLS connection as the MQTT exchange sees it. */
struct tq_link {
    const struct tq_tls_client_ops *ops;
    void *conn;
    int fd;
    double deadline_ms;
};

/* tq__mqtt_exchange runs the case's MQTT exchange (docs/backend-protocol.md) over `link`,
 * filling `report`. On failure `out` holds the outcome (connack_refused, suback_refused,
 * mqtt_error, closed_by_peer, or the backend's own outcome for a TLS error). */
TQ_MUST_USE tq_status tq__mqtt_exchange(struct tq_outcome *out, struct tq_mqtt_report *report,
                                        const struct tq_link *link,
                                        const struct tq_mqtt_spec *spec);

/* struct tq_case_result is everything one result line reports. */
struct tq_case_result {
    const char *id;
    const char *library;
    struct tq_outcome outcome;
    const char *handshake; /* "completed", "failed", "not_started" */
    bool has_session;
    struct tq_session_info session;
    int local_port; /* -1: not connected */
    struct tq_mqtt_report mqtt;
    double t_connect, t_handshake, t_mqtt, t_total;
};

/* tq__write_result writes `r` as one JSON line to `out` and flushes it. */
TQ_MUST_USE tq_status tq__write_result(struct tq_diag *diag, FILE *out,
                                       const struct tq_case_result *r);

/* tq__write_capabilities writes the capabilities line of `ops` to `out`. */
TQ_MUST_USE tq_status tq__write_capabilities(struct tq_diag *diag, FILE *out,
                                             const struct tq_tls_client_ops *ops);

/* tq__feature_name returns the capability name of one enum tq_feature bit. */
const char *tq__feature_name(uint32_t bit);

/* tq__check_features fails with outcome `unsupported` when `cfg` needs a version or feature
 * that `ops` does not declare. */
TQ_MUST_USE tq_status tq__check_features(struct tq_outcome *out,
                                         const struct tq_tls_client_ops *ops,
                                         const struct tq_client_config *cfg);

/* tq__run_case runs one case end to end with the backend of `cache` and fills `r` (whose
 * strings point into `cfg`). The configured context comes from `cache`, which keeps it for the
 * next case. */
void tq__run_case(struct tq_case_result *r, struct tq_config_cache *cache,
                  const struct tq_client_config *cfg);

#endif
