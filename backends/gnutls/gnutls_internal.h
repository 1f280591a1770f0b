/* gnutls_internal.h: what the GnuTLS backend's files share. */
#ifndef TQ_GNUTLS_INTERNAL_H
#define TQ_GNUTLS_INTERNAL_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <time.h>

#include "backend_ops.h"

/* struct gtls_config is a configured context (ops.config_size bytes, zeroed by the driver):
 * credentials (trust, CRLs, client certificate, the verify function) and the priorities, which
 * GnuTLS lets many sessions share. */
struct gtls_config {
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t priority;
};

/* struct gtls_client is one connection (ops.conn_size bytes, zeroed by the driver). */
struct gtls_client {
    gnutls_session_t session;
    char *server_name; /* owned copy (GnuTLS's typed data is not const); NULL: no check */
    bool has_verify_time;
    time_t verify_time;
    bool verify_ran;        /* the verify function ran: verify_status is the verdict */
    unsigned verify_status; /* gnutls_certificate_status_t bits */
    int verify_error;       /* gnutls_certificate_verify_peers's own return, if < 0 */
    bool handshake_done;
    int fd;             /* the driver's socket (gtls_handshake sets it) */
    bool timed_out;     /* the last recv/send failed with EAGAIN: SO_*TIMEO fired */
    int alert_sent;     /* description + 1; 0: none */
    int alert_received; /* description + 1; 0: none */
};

/* gtls_configure builds the credentials and priorities of a struct gtls_config for `cfg`
 * (ops.configure). */
tq_status gtls_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg);

/* gtls_open makes the session of a struct gtls_client from a struct gtls_config (ops.open). */
tq_status gtls_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg);

/* gtls_list_names adds every IANA name of `kind` this GnuTLS can honour (ops.list_names). */
void gtls_list_names(enum tq_name_kind kind, struct tq_name_sink *sink);

/* gtls_priority_string writes the priority string for `cfg` into `buf`. Every suite, group and
 * sigalg must be honoured exactly: a name GnuTLS does not know, or a suite list that GnuTLS's
 * kx x cipher x MAC priorities cannot express without offering more suites, is outcome
 * `unsupported` with the reason. */
tq_status gtls_priority_string(struct tq_outcome *out, char *buf, size_t buf_len,
                               const struct tq_client_config *cfg);

/* gtls_suite_iana writes the IANA name of GnuTLS suite-table entry `name` (GnuTLS spells
 * TLS_ECDHE_RSA_AES_128_CBC_SHA1 what IANA spells TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA). */
void gtls_suite_iana(char *buf, size_t buf_len, const char *name, gnutls_kx_algorithm_t kx,
                     gnutls_protocol_t min_version);

/* gtls_fail maps the failure `err` of a GnuTLS call to an outcome in `out` with the library's
 * text, and returns a failed status. */
tq_status gtls_fail(struct gtls_client *c, struct tq_outcome *out, int err);

/* gtls_config_fail records `err` while applying `what` as `code` (config_error, unsupported). */
tq_status gtls_config_fail(struct tq_outcome *out, enum tq_outcome_code code, int err,
                           const char *what);

/* gtls_status_outcome maps gnutls_certificate_status_t bits; TQ_OUT_UNMAPPED when no bit has
 * an entry. */
enum tq_outcome_code gtls_status_outcome(unsigned status);

/* gtls_status_text writes GnuTLS's description of the verification status `status`. */
void gtls_status_text(char *buf, size_t buf_len, unsigned status);

#endif
