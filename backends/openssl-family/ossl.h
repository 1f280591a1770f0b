/* ossl.h: the backend of the OpenSSL family, one source for OpenSSL and BoringSSL.
 *
 * The files of this folder are compiled twice, once into each executable, against that
 * library's headers: tlsqual-backend-openssl (with backends/openssl/openssl_lib.c) and
 * tlsqual-backend-boringssl (with backends/boringssl/boringssl_lib.c). The two libraries share
 * their API but for a few calls and policies; the library file holds exactly those, as the one
 * `const struct ossl_lib ossl_lib` of its executable, and its error tables. The shared files
 * have no #ifdef on the library: a difference is a member of struct ossl_lib.
 *
 * Files: ossl_backend.c (the ops table, its main, the connection calls), ossl_config.c (the
 * SSL_CTX of a configured context and the SSL of a connection), ossl_errors.c (outcomes). */
#ifndef TQ_OSSL_H
#define TQ_OSSL_H

#include <openssl/ssl.h>
#include <stdbool.h>

#include "backend_ops.h"
#include "error_table.h"

/* struct ossl_config is a configured context (ops.config_size bytes, zeroed by the driver). */
struct ossl_config {
    SSL_CTX *ctx;
};

/* struct ossl_client is one connection (ops.conn_size bytes, zeroed by the driver). */
struct ossl_client {
    SSL *ssl;
    int alert_sent;     /* description + 1; 0: none */
    int alert_received; /* description + 1; 0: none */
    bool sent_fatal;    /* a fatal alert is kept over any later one */
    bool received_fatal;
    bool handshake_done; /* SSL_connect succeeded: the session is described even after a
                                later fatal error, when SSL_is_init_finished is false again */
    char refusal[128];   /* why ossl_lib.verify_cb refused a certificate the library
                                accepted (weak key, SHA-1 signature); "": it did not */
};

/* struct ossl_lib is what differs between the libraries of the family. Every member is set;
 * a NULL or 0 is allowed only where the member's comment gives it a meaning. */
struct ossl_lib {
    const char *name;          /* ops.name: the executable is tlsqual-backend-<name> */
    uint32_t versions;         /* ops.versions */
    uint32_t features;         /* ops.features */
    uint32_t client_key_types; /* ops.client_key_types */

    /* enable_all_suites sets the cipher lists of `ctx` to every suite the library implements
     * that a cipher list can name; false when it cannot. */
    bool (*enable_all_suites)(SSL_CTX *ctx);
    /* usable is false for a suite a case cannot use: PSK and SRP need credentials a case
     * cannot give. */
    bool (*usable)(const SSL_CIPHER *suite);
    /* fixed_suites are the IANA names of the suites the library always offers and no cipher
     * list names (BoringSSL's TLS 1.3 suites); the capability list starts with them. NULL
     * (and num_fixed_suites 0): none, enable_all_suites reaches every suite. */
    const char *const *fixed_suites;
    size_t num_fixed_suites;

    /* set_policy applies the [context] versions and suites of `cfg` to `ctx`, and what the
     * library needs to honour them (OpenSSL: its security level; BoringSSL: the versions its
     * fixed TLS 1.3 suites leave). The shared code applies groups and sigalgs after it. */
    tq_status (*set_policy)(SSL_CTX *ctx, struct tq_outcome *out,
                            const struct tq_client_config *cfg);
    /* verify_cb is the verify callback given to SSL_CTX_set_verify: it may refuse a
     * certificate the library accepts, with X509_V_ERR_APPLICATION_VERIFICATION and the
     * reason in the connection's `refusal`. NULL: the library's verdict alone (OpenSSL, whose
     * security level does that job). */
    int (*verify_cb)(int ok, X509_STORE_CTX *store);
    /* set_max_fragment_length asks for RFC 6066 max_fragment_length `len` (512, 1024, 2048 or
     * 4096). NULL: the library has none, and `features` does not declare TQ_FEAT_MFL (the
     * driver answers such a case `unsupported` before configuring). */
    tq_status (*set_max_fragment_length)(SSL_CTX *ctx, struct tq_outcome *out, unsigned len);
    /* eof_reason is the SSL reason with which the library reports a TCP close without
     * close_notify while reading (OpenSSL's SSL_R_UNEXPECTED_EOF_WHILE_READING). 0: the library
     * reports it as SSL_ERROR_SYSCALL with an empty error queue only. */
    int eof_reason;

    /* verify_map maps the X509_V_ERR_* verification codes, reason_map the SSL reasons
     * (ERR_GET_REASON of an ERR_LIB_SSL error) that only this library has; ossl_errors.c maps
     * those both have. NULL (and 0 rows): none of its own. */
    const struct tq_error_map *verify_map;
    size_t num_verify_map;
    const struct tq_error_map *reason_map;
    size_t num_reason_map;
};

/* ossl_lib is the library of this executable, defined by its library file. */
extern const struct ossl_lib ossl_lib;

/* ossl_configure builds the SSL_CTX of a struct ossl_config for `cfg` (ops.configure). */
tq_status ossl_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg);

/* ossl_open makes the SSL of a struct ossl_client from a struct ossl_config (ops.open). */
tq_status ossl_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg);

/* ossl_list_names adds every IANA name of `kind` this library can honour (ops.list_names). */
void ossl_list_names(enum tq_name_kind kind, struct tq_name_sink *sink);

/* ossl_new_full_ctx returns a new SSL_CTX with every suite enabled (ossl_lib.enable_all_suites),
 * or NULL; the caller frees it. The error queue is left empty. */
SSL_CTX *ossl_new_full_ctx(void);

/* ossl_find_suite returns the usable suite of `full` (from ossl_new_full_ctx) whose IANA name
 * is `iana`, or NULL. */
const SSL_CIPHER *ossl_find_suite(SSL_CTX *full, const char *iana);

/* ossl_append_name appends ":name" (or "name" to an empty list) to the NUL-terminated list in
 * `buf`; false when it does not fit. */
bool ossl_append_name(char *buf, size_t buf_len, const char *name);

/* ossl_set_versions sets the lowest and highest version of `ctx` (TQ_TLS_ANY: the library's
 * default); a version the library refuses is `unsupported`. */
tq_status ossl_set_versions(SSL_CTX *ctx, struct tq_outcome *out, enum tq_tls_version min,
                            enum tq_tls_version max);

/* ossl_fail maps the failure of an SSL call that returned `ret` to an outcome in `out`, with
 * the error queue's text, and empties the queue. It returns a failed status. */
tq_status ossl_fail(struct ossl_client *c, struct tq_outcome *out, int ret);

/* ossl_config_fail records an error while loading `what` (a file, a list) as config_error or
 * unsupported (`code`) with the error queue's text, and empties the queue. */
tq_status ossl_config_fail(struct tq_outcome *out, enum tq_outcome_code code, const char *what);

#endif
