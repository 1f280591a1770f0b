/* boringssl_internal.h: what the BoringSSL backend's files share. */
#ifndef TQ_BORINGSSL_INTERNAL_H
#define TQ_BORINGSSL_INTERNAL_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "backend_ops.h"

/* struct bssl_config is a configured context (ops.config_size bytes, zeroed by the driver). */
struct bssl_config {
    SSL_CTX *ctx;
};

/* struct bssl_client is one connection (ops.conn_size bytes, zeroed by the driver). */
struct bssl_client {
    SSL *ssl;
    int alert_sent;          /* description + 1; 0: none */
    int alert_received;      /* description + 1; 0: none */
    bool sent_fatal;         /* a fatal alert is kept over any later one */
    bool received_fatal;
    bool handshake_done;     /* SSL_connect succeeded: the session is described even after a
                                later fatal error, when SSL_is_init_finished is false again */
    char refusal[128];       /* why the verify callback refused a certificate BoringSSL
                                accepted (weak key, SHA-1 signature); "": it did not */
};

/* bssl_configure builds the SSL_CTX of a struct bssl_config for `cfg` (ops.configure). */
tq_status bssl_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg);

/* bssl_open makes the SSL of a struct bssl_client from a struct bssl_config (ops.open). */
tq_status bssl_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg);

/* bssl_list_names adds every IANA name of `kind` this OpenSSL can honour (ops.list_names). */
void bssl_list_names(enum tq_name_kind kind, struct tq_name_sink *sink);

/* bssl_fail maps the failure of an SSL call that returned `ret` to an outcome in `out`, with
 * the error queue's text, and empties the queue. It returns a failed status. */
tq_status bssl_fail(struct bssl_client *c, struct tq_outcome *out, int ret);

/* bssl_config_fail records an error while loading `what` (a file, a list) as config_error or
 * unsupported (`code`) with the error queue's text, and empties the queue. */
tq_status bssl_config_fail(struct tq_outcome *out, enum tq_outcome_code code, const char *what);

/* bssl_error_text writes the error queue's entries, oldest first, into `buf` and empties it. */
void bssl_error_text(char *buf, size_t buf_len);

/* bssl_verify_outcome maps an X509_V_ERR_* code; TQ_OUT_UNMAPPED when it has no entry. */
enum tq_outcome_code bssl_verify_outcome(long verify_code);

#endif
