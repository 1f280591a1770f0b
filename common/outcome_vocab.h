/* outcome_vocab.h: the outcome vocabulary of docs/backend-protocol.md, defined once.
 *
 * A backend's result line says how a case ended in one word (`outcome`), and a scenario's
 * `expect.outcome` names the words it accepts. Both sides are compiled from this table: the
 * backend driver formats its words with tq_outcome_write, and the harness checks result lines
 * and scenarios with tq_outcome_known. So a word one side can write is always a word the other
 * side can read (tests/unit/outcome_vocab_test.c enumerates every one).
 *
 * The wire form of an outcome is its word, except for `alert_received`, which always carries the
 * alert after a colon: `alert_received:<alert word>`. An alert word is the alert's name in the
 * IANA TLS Alerts registry (RFC 8446 section 6, with the RFC 5246 names TLS 1.3 dropped), or
 * `alert_<N>` (N in decimal, no leading zero) for a description number that has no name. A
 * number that has a name is only ever written by its name, so `alert_41` is not a word (41 is
 * `no_certificate`): each alert has exactly one spelling.
 *
 * Links nothing but libc: every backend executable uses it. */
#ifndef TQ_OUTCOME_VOCAB_H
#define TQ_OUTCOME_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

/* Who may write an outcome word. */
enum tq_outcome_writer {
    TQ_OUTCOME_NOWHERE = 0, /* never on the wire: the zero state of a case not yet decided */
    TQ_OUTCOME_BACKEND = 1, /* a backend, in its result line */
    TQ_OUTCOME_HARNESS = 2, /* the harness only: the backend died or broke the protocol */
};

/* One line per outcome: code, word, who writes it. docs/backend-protocol.md#canonical-outcomes
 * says what each means. */
#define TQ_OUTCOME_TABLE(X)                                                                        \
    X(TQ_OUT_NOT_RUN, "not_run", TQ_OUTCOME_NOWHERE)                                               \
    X(TQ_OUT_OK, "ok", TQ_OUTCOME_BACKEND)                                                         \
    X(TQ_OUT_CERT_EXPIRED, "cert_expired", TQ_OUTCOME_BACKEND)                                     \
    X(TQ_OUT_CERT_NOT_YET_VALID, "cert_not_yet_valid", TQ_OUTCOME_BACKEND)                         \
    X(TQ_OUT_CERT_UNTRUSTED, "cert_untrusted", TQ_OUTCOME_BACKEND)                                 \
    X(TQ_OUT_CERT_REVOKED, "cert_revoked", TQ_OUTCOME_BACKEND)                                     \
    X(TQ_OUT_HOSTNAME_MISMATCH, "hostname_mismatch", TQ_OUTCOME_BACKEND)                           \
    X(TQ_OUT_BAD_SIGNATURE, "bad_signature", TQ_OUTCOME_BACKEND)                                   \
    X(TQ_OUT_UNSUPPORTED_ALGORITHM, "unsupported_algorithm", TQ_OUTCOME_BACKEND)                   \
    X(TQ_OUT_CERT_INVALID, "cert_invalid", TQ_OUTCOME_BACKEND)                                     \
    X(TQ_OUT_PROTOCOL_VERSION, "protocol_version", TQ_OUTCOME_BACKEND)                             \
    X(TQ_OUT_NO_SHARED_CIPHER, "no_shared_cipher", TQ_OUTCOME_BACKEND)                             \
    X(TQ_OUT_ALERT_RECEIVED, "alert_received", TQ_OUTCOME_BACKEND)                                 \
    X(TQ_OUT_HANDSHAKE_FAILURE, "handshake_failure", TQ_OUTCOME_BACKEND)                           \
    X(TQ_OUT_CLOSED_BY_PEER, "closed_by_peer", TQ_OUTCOME_BACKEND)                                 \
    X(TQ_OUT_CONNACK_REFUSED, "connack_refused", TQ_OUTCOME_BACKEND)                               \
    X(TQ_OUT_SUBACK_REFUSED, "suback_refused", TQ_OUTCOME_BACKEND)                                 \
    X(TQ_OUT_MQTT_ERROR, "mqtt_error", TQ_OUTCOME_BACKEND)                                         \
    X(TQ_OUT_CONNECT_FAILED, "connect_failed", TQ_OUTCOME_BACKEND)                                 \
    X(TQ_OUT_TIMEOUT, "timeout", TQ_OUTCOME_BACKEND)                                               \
    X(TQ_OUT_UNSUPPORTED, "unsupported", TQ_OUTCOME_BACKEND)                                       \
    X(TQ_OUT_CONFIG_ERROR, "config_error", TQ_OUTCOME_BACKEND)                                     \
    X(TQ_OUT_UNMAPPED, "unmapped", TQ_OUTCOME_BACKEND)                                             \
    X(TQ_OUT_BACKEND_CRASHED, "backend_crashed", TQ_OUTCOME_HARNESS)                               \
    X(TQ_OUT_PROTOCOL_ERROR, "protocol_error", TQ_OUTCOME_HARNESS)

enum tq_outcome_code {
#define TQ_X_ENUM(code, word, writer) code,
    TQ_OUTCOME_TABLE(TQ_X_ENUM)
#undef TQ_X_ENUM
        TQ_OUT_COUNT /* not an outcome: the number of codes */
};

/* The longest alert word ("bad_certificate_status_response") plus its NUL, and the longest wire
 * form of an outcome ("alert_received:" and an alert word). */
#define TQ_ALERT_WORD_MAX 32
#define TQ_OUTCOME_WIRE_MAX (sizeof("alert_received:") - 1 + TQ_ALERT_WORD_MAX)

/* tq_alert_name returns the registry name of TLS alert description `code` ("certificate_expired"
 * for 45), or NULL when `code` is outside 0..255 or has no name. */
const char *tq_alert_name(int code);

/* tq_alert_word returns the alert word of `code`: its name, or "alert_<code>" when it has none;
 * NULL when `code` is outside 0..255. The text is static. */
const char *tq_alert_word(int code);

/* tq_alert_code returns the description number that alert word `word` spells, or -1 when
 * `word` is no alert word (an unknown name, or "alert_<N>" for an N that has a name, is over 255
 * or has a leading zero). */
int tq_alert_code(const char *word);

/* tq_outcome_word returns the word of `code` without the ":<alert>" suffix, or NULL for a value
 * that is no code. */
const char *tq_outcome_word(enum tq_outcome_code code);

/* tq_outcome_writer_of returns who may write `code` (TQ_OUTCOME_NOWHERE for a value that is no
 * code). */
enum tq_outcome_writer tq_outcome_writer_of(enum tq_outcome_code code);

/* tq_outcome_write writes the wire form of outcome `code` into `out` (at least
 * TQ_OUTCOME_WIRE_MAX bytes): the word, and for TQ_OUT_ALERT_RECEIVED ":" and the alert word of
 * `alert` (ignored for the other codes). */
void tq_outcome_write(char *out, size_t out_len, enum tq_outcome_code code, int alert);

/* tq_outcome_parse reads the wire form `text` back: on success it stores the code in `*out_code`
 * and, for alert_received, the alert number in `*out_alert` (-1 for the other codes), and returns
 * true. It returns false for anything tq_outcome_write cannot write for a code that is on the
 * wire (TQ_OUTCOME_BACKEND or TQ_OUTCOME_HARNESS), "not_run" included. Either output may be
 * NULL. */
bool tq_outcome_parse(const char *text, enum tq_outcome_code *out_code, int *out_alert);

/* tq_outcome_known is true when `text` is a well-formed outcome of the vocabulary: what a
 * result line may say and a scenario may expect (tq_outcome_parse without the outputs). */
bool tq_outcome_known(const char *text);

#endif
