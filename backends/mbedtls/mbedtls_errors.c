/* mbedtls_errors.c: Mbed TLS's error codes and verification flags, mapped to the canonical
 * outcomes with tables. An error with no entry is `unmapped`, never guessed. */
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/x509.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "error_table.h"
#include "mbedtls_internal.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* MBEDTLS_X509_BADCERT_* / BADCRL_* -> outcome; the first row whose bit is set wins. */
static const struct tq_error_map flag_map[] = {
    {MBEDTLS_X509_BADCERT_NOT_TRUSTED, TQ_OUT_CERT_UNTRUSTED},
    {MBEDTLS_X509_BADCERT_MISSING, TQ_OUT_CERT_UNTRUSTED},
    {MBEDTLS_X509_BADCERT_REVOKED, TQ_OUT_CERT_REVOKED},
    {MBEDTLS_X509_BADCERT_EXPIRED, TQ_OUT_CERT_EXPIRED},
    {MBEDTLS_X509_BADCERT_FUTURE, TQ_OUT_CERT_NOT_YET_VALID},
    {MBEDTLS_X509_BADCERT_CN_MISMATCH, TQ_OUT_HOSTNAME_MISMATCH},
    {MBEDTLS_X509_BADCERT_BAD_MD, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {MBEDTLS_X509_BADCERT_BAD_PK, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {MBEDTLS_X509_BADCERT_BAD_KEY, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {MBEDTLS_X509_BADCERT_KEY_USAGE, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCERT_NS_CERT_TYPE, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCERT_OTHER, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCRL_NOT_TRUSTED, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCRL_EXPIRED, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCRL_FUTURE, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCRL_BAD_MD, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCRL_BAD_PK, TQ_OUT_CERT_INVALID},
    {MBEDTLS_X509_BADCRL_BAD_KEY, TQ_OUT_CERT_INVALID},
};

/* MBEDTLS_ERR_* -> outcome. Certificate verdicts and alerts received are handled first. */
static const struct tq_error_map error_map[] = {
    {MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION, TQ_OUT_PROTOCOL_VERSION},
    {MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE, TQ_OUT_NO_SHARED_CIPHER},
    {MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN, TQ_OUT_NO_SHARED_CIPHER},
    {MBEDTLS_ERR_SSL_CONN_EOF, TQ_OUT_CLOSED_BY_PEER},
    {MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, TQ_OUT_CLOSED_BY_PEER},
    {MBEDTLS_ERR_NET_CONN_RESET, TQ_OUT_CLOSED_BY_PEER},
    {MBEDTLS_ERR_SSL_TIMEOUT, TQ_OUT_TIMEOUT},
    {MBEDTLS_ERR_SSL_INVALID_MAC, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_INVALID_RECORD, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE_REQUEST, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_SERVER_KEY_EXCHANGE, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO_DONE, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_CHANGE_CIPHER_SPEC, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_FINISHED, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_BAD_HS_NEW_SESSION_TICKET, TQ_OUT_HANDSHAKE_FAILURE},
    {MBEDTLS_ERR_SSL_PK_TYPE_MISMATCH, TQ_OUT_HANDSHAKE_FAILURE},
};

/* see mbedtls_internal.h */
enum tq_outcome_code mtls_flags_outcome(uint32_t flags)
{
    return tq_error_map_lookup_bits(flag_map, NUM(flag_map), flags);
}

/* see mbedtls_internal.h */
void mtls_flags_text(char *buf, size_t buf_len, uint32_t flags)
{
    char text[1024];
    int n = mbedtls_x509_crt_verify_info(text, sizeof(text), "", flags);
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < n && used + 3 < buf_len; i++) {
        bool last = i + 1 == n;
        if (text[i] != '\n')
            buf[used++] = text[i];
        else if (!last) {
            buf[used++] = ';';
            buf[used++] = ' ';
        }
    }
    buf[used] = '\0';
}

static void error_text(char *buf, size_t buf_len, int err)
{
    char text[512];
    mbedtls_strerror(err, text, sizeof(text));
    snprintf(buf, buf_len, "%s (-0x%04x)", text, (unsigned)-err);
}

/* see mbedtls_internal.h */
tq_status mtls_config_fail(struct tq_outcome *out, enum tq_outcome_code code, int err,
                           const char *what)
{
    if (err != 0)
        error_text(out->error, sizeof(out->error), err);
    else
        tq_outcome_set_error(out, "a certificate in the file could not be parsed");
    return tq_outcome_fail(out, code, "%s", what);
}

/* see mbedtls_internal.h */
tq_status mtls_fail(struct mtls_client *c, struct tq_outcome *out, int err)
{
    error_text(out->error, sizeof(out->error), err);
    uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
    /* Mbed TLS 2.28 reports some certificate checks (extended key usage, for one) as
     * BAD_HS_CERTIFICATE with the reason only in the verify flags: the flags say why. */
    bool flags_say_why =
        err == MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE && flags != 0 && flags != UINT32_MAX;
    if (err == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || flags_say_why) {
        out->code = mtls_flags_outcome(flags);
        size_t used = strlen(out->error);
        snprintf(out->error + used, sizeof(out->error) - used, ": ");
        used = strlen(out->error);
        mtls_flags_text(out->error + used, sizeof(out->error) - used, flags);
    } else if (err == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && c->alert_received > 0) {
        out->code = TQ_OUT_ALERT_RECEIVED;
        out->alert = c->alert_received - 1;
    } else if (err == MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE) {
        /* e.g. max_fragment_length smaller than a handshake message Mbed TLS must send: it
         * cannot fragment its own handshake messages. */
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED,
                               "a feature this case needs is not available in Mbed TLS 2.28 "
                               "(max_fragment_length below the size of its own handshake "
                               "messages?)");
    } else {
        out->code = tq_error_map_lookup(error_map, NUM(error_map), err);
    }
    return TQ_STATUS(TQ_ERR_CRYPTO);
}
