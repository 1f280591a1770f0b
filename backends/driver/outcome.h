/* outcome.h: the canonical outcome vocabulary of docs/backend-protocol.md, and TLS alert names.
 *
 * Every backend maps its library's errors onto these words with a table, so "expired
 * certificate rejected" means the same whichever library said it. The harness-only outcomes
 * (`backend_crashed`, `protocol_error`) are not in this table: a backend never writes them. */
#ifndef TQ_OUTCOME_H
#define TQ_OUTCOME_H

#include <stdbool.h>

#include "status.h"

/* One line per outcome: code, word on the wire. */
#define TQ_OUTCOME_TABLE(X)                                                                       \
    X(TQ_OUT_NOT_RUN, "not_run")                                                                  \
    X(TQ_OUT_OK, "ok")                                                                            \
    X(TQ_OUT_CERT_EXPIRED, "cert_expired")                                                        \
    X(TQ_OUT_CERT_NOT_YET_VALID, "cert_not_yet_valid")                                            \
    X(TQ_OUT_CERT_UNTRUSTED, "cert_untrusted")                                                    \
    X(TQ_OUT_CERT_REVOKED, "cert_revoked")                                                        \
    X(TQ_OUT_HOSTNAME_MISMATCH, "hostname_mismatch")                                              \
    X(TQ_OUT_BAD_SIGNATURE, "bad_signature")                                                      \
    X(TQ_OUT_UNSUPPORTED_ALGORITHM, "unsupported_algorithm")                                      \
    X(TQ_OUT_CERT_INVALID, "cert_invalid")                                                        \
    X(TQ_OUT_PROTOCOL_VERSION, "protocol_version")                                                \
    X(TQ_OUT_NO_SHARED_CIPHER, "no_shared_cipher")                                                \
    X(TQ_OUT_ALERT_RECEIVED, "alert_received")                                                    \
    X(TQ_OUT_HANDSHAKE_FAILURE, "handshake_failure")                                              \
    X(TQ_OUT_CLOSED_BY_PEER, "closed_by_peer")                                                    \
    X(TQ_OUT_CONNACK_REFUSED, "connack_refused")                                                  \
    X(TQ_OUT_SUBACK_REFUSED, "suback_refused")                                                    \
    X(TQ_OUT_MQTT_ERROR, "mqtt_error")                                                            \
    X(TQ_OUT_CONNECT_FAILED, "connect_failed")                                                    \
    X(TQ_OUT_TIMEOUT, "timeout")                                                                  \
    X(TQ_OUT_UNSUPPORTED, "unsupported")                                                          \
    X(TQ_OUT_CONFIG_ERROR, "config_error")                                                        \
    X(TQ_OUT_UNMAPPED, "unmapped")

enum tq_outcome_code {
#define TQ_X_ENUM(code, word) code,
    TQ_OUTCOME_TABLE(TQ_X_ENUM)
#undef TQ_X_ENUM
};

/* struct tq_outcome is a case's verdict so far. It starts as TQ_OUT_NOT_RUN (all zero). */
struct tq_outcome {
    enum tq_outcome_code code;
    int alert;            /* for TQ_OUT_ALERT_RECEIVED: the alert description number */
    char reason[256];     /* for unsupported / config_error / mqtt_error: what, in words */
    char error[1024];     /* the library's own error text, verbatim; empty: none */
};

/* tq_outcome_word returns the wire word of `code` (without the ":<alert>" suffix). */
const char *tq_outcome_word(enum tq_outcome_code code);

/* tq_outcome_format writes the wire form of `out` into `buf`: the word, and for alert_received
 * the alert name after a colon ("alert_received:protocol_version"). */
void tq_outcome_format(char *buf, size_t buf_len, const struct tq_outcome *out);

/* tq_outcome_fail sets `out->code` to `code` and `out->reason` from the format, and returns a
 * failed status (TQ_ERR_CRYPTO) so callers write `return tq_outcome_fail(out, ...)`. */
TQ_MUST_USE tq_status tq_outcome_fail(struct tq_outcome *out, enum tq_outcome_code code,
                                      const char *fmt, ...) TQ_PRINTF(3, 4);

/* tq_outcome_set_error copies the library's error text into `out->error` (truncated to fit). */
void tq_outcome_set_error(struct tq_outcome *out, const char *text);

/* tq_alert_name returns the RFC 8446 name of alert description `desc` ("certificate_expired"),
 * or NULL when the number has no name. */
const char *tq_alert_name(int desc);

#endif
