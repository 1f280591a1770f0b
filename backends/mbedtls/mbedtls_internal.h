/* mbedtls_internal.h: what the Mbed TLS backend's files share. */
#ifndef TQ_MBEDTLS_INTERNAL_H
#define TQ_MBEDTLS_INTERNAL_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>

#include "backend_ops.h"

#define MTLS_MAX_SUITES 256
#define MTLS_MAX_GROUPS 32
#define MTLS_MAX_ALPN 64

/* struct mtls_config is a configured context (ops.config_size bytes, zeroed by the driver).
 * The arrays and names are here because Mbed TLS keeps pointers to them for the life of the
 * config, which outlives the case it was built for. */
struct mtls_config {
    bool initialized; /* the mbedtls_*_init calls ran: release frees */
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crl crl;
    mbedtls_x509_crt own;
    mbedtls_pk_context key;
    int suites[MTLS_MAX_SUITES + 1];
    mbedtls_ecp_group_id groups[MTLS_MAX_GROUPS + 1];
    char alpn_names[MTLS_MAX_ALPN][256];
    const char *alpn[MTLS_MAX_ALPN + 1];
};

/* struct mtls_client is one connection (ops.conn_size bytes, zeroed by the driver). */
struct mtls_client {
    bool initialized; /* mbedtls_ssl_init ran: cleanup frees */
    mbedtls_ssl_context ssl;
    bool has_verify_time;
    int64_t verify_time;
    bool check_ip; /* server_name is an IP literal: checked by mtls_verify */
    unsigned char ip[16];
    size_t ip_len;
    int fd;
    bool handshake_done;
    int alert_sent;     /* description + 1; 0: none */
    int alert_received; /* description + 1; 0: none */
};

/* mtls_configure builds the struct mtls_config for `cfg` (ops.configure). */
tq_status mtls_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg);

/* mtls_open makes the SSL context of a struct mtls_client from a struct mtls_config
 * (ops.open). */
tq_status mtls_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg);

/* mtls_list_names adds every IANA name of `kind` this Mbed TLS can honour (ops.list_names). */
void mtls_list_names(enum tq_name_kind kind, struct tq_name_sink *sink);

/* mtls_suite_id returns the Mbed TLS id of IANA suite `iana`, or 0 when this build does not
 * offer it (Mbed TLS spells IANA names with '-' for '_'). */
int mtls_suite_id(const char *iana);

/* mtls_verify is the verify callback (mbedtls_ssl_set_verify, per connection): it re-judges
 * validity dates as of the case's verify_time and checks an IP-literal server_name, which
 * Mbed TLS 2.28 does not do itself. `ctx` is the struct mtls_client. */
int mtls_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags);

/* mtls_dn_rfc2253 writes `name` as an RFC 2253 string (most significant RDN last). */
void mtls_dn_rfc2253(char *buf, size_t buf_len, const mbedtls_x509_name *name);

/* mtls_fail maps the failure `err` of an Mbed TLS call to an outcome in `out` with the
 * library's text, and returns a failed status. */
tq_status mtls_fail(struct mtls_client *c, struct tq_outcome *out, int err);

/* mtls_config_fail records `err` while loading or applying `what` as `code`. */
tq_status mtls_config_fail(struct tq_outcome *out, enum tq_outcome_code code, int err,
                           const char *what);

/* mtls_flags_outcome maps MBEDTLS_X509_BADCERT_* / BADCRL_* flags; TQ_OUT_UNMAPPED when no flag
 * has an entry. */
enum tq_outcome_code mtls_flags_outcome(uint32_t flags);

/* mtls_flags_text writes Mbed TLS's description of verification `flags` on one line. */
void mtls_flags_text(char *buf, size_t buf_len, uint32_t flags);

#endif
