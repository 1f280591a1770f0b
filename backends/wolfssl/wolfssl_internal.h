/* wolfssl_internal.h: what the wolfSSL backend's files share. */
#ifndef TQ_WOLFSSL_INTERNAL_H
#define TQ_WOLFSSL_INTERNAL_H

/* options.h must come before any other wolfSSL header: it holds the build's settings, which
 * the other headers read. */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <stdbool.h>

#include "backend_ops.h"

/* struct wolf_config is a configured context (ops.config_size bytes, zeroed by the driver). */
struct wolf_config {
    WOLFSSL_CTX *ctx;
    unsigned num_opened; /* connections made from it so far */
};

/* struct wolf_client is one connection (ops.conn_size bytes, zeroed by the driver). */
struct wolf_client {
    WOLFSSL *ssl;
    bool verify_peer;
    bool has_verify_time;
    int64_t verify_time;
    const char *check_ip;         /* the case's IP-literal server_name; NULL: none */
    enum tq_outcome_code verdict; /* set by the verify callback for what it judged itself */
    char verdict_text[128];
    int verify_error; /* the first error the verify callback saw; 0: none */
    bool verify_ran;
    bool handshake_done;
};

/* wolf_configure builds the WOLFSSL_CTX of a struct wolf_config for `cfg` (ops.configure). */
tq_status wolf_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg);

/* wolf_open makes the WOLFSSL of a struct wolf_client from a struct wolf_config (ops.open). */
tq_status wolf_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg);

/* wolf_list_names adds every IANA name of `kind` this wolfSSL can honour (ops.list_names). */
void wolf_list_names(enum tq_name_kind kind, struct tq_name_sink *sink);

/* wolf_name_rfc4514 writes `name` into `buf` as an RFC 4514 (RFC 2253) string: most
 * significant RDN last, "," between RDNs, specials escaped. It writes "" for NULL and stops at
 * the last whole character or escape that fits. */
void wolf_name_rfc4514(char *buf, size_t buf_len, WOLFSSL_X509_NAME *name);

/* wolf_fail maps the failure of a wolfSSL call that returned `ret` to an outcome in `out`
 * with the library's text, and returns a failed status. */
tq_status wolf_fail(struct wolf_client *c, struct tq_outcome *out, int ret);

/* wolf_config_fail records wolfSSL error `err` (0: none) while applying `what` as `code`. */
tq_status wolf_config_fail(struct tq_outcome *out, enum tq_outcome_code code, int err,
                           const char *what);

/* wolf_error_outcome maps a wolfSSL or wolfCrypt error code; TQ_OUT_UNMAPPED without entry. */
enum tq_outcome_code wolf_error_outcome(int err);

/* wolf_error_text writes wolfSSL's text for error code `err`. */
void wolf_error_text(char *buf, size_t buf_len, int err);

#endif
