/* ossl_errors.c: a failed call of the OpenSSL family mapped to a canonical outcome, with the
 * tables of the codes both libraries define (here) and of the library's own (ossl_lib.verify_map,
 * ossl_lib.reason_map). An error with no row is `unmapped`, never guessed. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>

#include "ossl.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* X509_V_ERR_* codes (x509_vfy.h) that both libraries define -> outcome. ossl_lib.verify_map
 * has the library's own; no code is in both. */
static const struct tq_error_map verify_map[] = {
    {X509_V_ERR_CERT_HAS_EXPIRED, TQ_OUT_CERT_EXPIRED},
    {X509_V_ERR_CERT_NOT_YET_VALID, TQ_OUT_CERT_NOT_YET_VALID},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, TQ_OUT_CERT_UNTRUSTED},
    {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, TQ_OUT_CERT_UNTRUSTED},
    {X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, TQ_OUT_CERT_UNTRUSTED},
    {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, TQ_OUT_CERT_UNTRUSTED},
    {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, TQ_OUT_CERT_UNTRUSTED},
    {X509_V_ERR_CERT_UNTRUSTED, TQ_OUT_CERT_UNTRUSTED},
    {X509_V_ERR_CERT_REJECTED, TQ_OUT_CERT_UNTRUSTED},
    {X509_V_ERR_CERT_REVOKED, TQ_OUT_CERT_REVOKED},
    {X509_V_ERR_HOSTNAME_MISMATCH, TQ_OUT_HOSTNAME_MISMATCH},
    {X509_V_ERR_IP_ADDRESS_MISMATCH, TQ_OUT_HOSTNAME_MISMATCH},
    {X509_V_ERR_CERT_SIGNATURE_FAILURE, TQ_OUT_BAD_SIGNATURE},
    {X509_V_ERR_CRL_SIGNATURE_FAILURE, TQ_OUT_BAD_SIGNATURE},
    {X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, TQ_OUT_BAD_SIGNATURE},
    {X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {X509_V_ERR_INVALID_CA, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_INVALID_PURPOSE, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_INVALID_EXTENSION, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_INVALID_NON_CA, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_PATH_LENGTH_EXCEEDED, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_KEYUSAGE_NO_CERTSIGN, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_CERT_CHAIN_TOO_LONG, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_UNABLE_TO_GET_CRL, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_CRL_HAS_EXPIRED, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_CRL_NOT_YET_VALID, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, TQ_OUT_CERT_INVALID},
};

/* SSL reasons that both libraries define -> outcome; ossl_lib.reason_map has the library's own.
 * Alerts received are not here: the info callback records them and they win first (see
 * classify). */
static const struct tq_error_map reason_map[] = {
    {SSL_R_UNSUPPORTED_PROTOCOL, TQ_OUT_PROTOCOL_VERSION},
    {SSL_R_WRONG_SSL_VERSION, TQ_OUT_PROTOCOL_VERSION},
    {SSL_R_NO_CIPHERS_AVAILABLE, TQ_OUT_NO_SHARED_CIPHER},
    {SSL_R_NO_SHARED_CIPHER, TQ_OUT_NO_SHARED_CIPHER},
    {SSL_R_NO_CIPHER_MATCH, TQ_OUT_NO_SHARED_CIPHER},
    {SSL_R_WRONG_CIPHER_RETURNED, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_WRONG_VERSION_NUMBER, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_UNEXPECTED_MESSAGE, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_UNEXPECTED_RECORD, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_RECORD_LENGTH_MISMATCH, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_LENGTH_MISMATCH, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_BAD_SIGNATURE, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_BAD_ECPOINT, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_WRONG_CURVE, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_WRONG_SIGNATURE_TYPE, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_TLSV1_ALERT_INAPPROPRIATE_FALLBACK, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_EXCESSIVE_MESSAGE_SIZE, TQ_OUT_HANDSHAKE_FAILURE},
};

/* lookup maps `code` with the library's own rows, then the family's. */
static enum tq_outcome_code lookup(const struct tq_error_map *own, size_t num_own,
                                   const struct tq_error_map *family, size_t num_family, long code)
{
    enum tq_outcome_code outcome = tq_error_map_lookup(own, num_own, code);
    return outcome != TQ_OUT_UNMAPPED ? outcome : tq_error_map_lookup(family, num_family, code);
}

/* error_text writes the error queue's entries, oldest first, into `buf` and empties it. */
static void error_text(char *buf, size_t buf_len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < 16; i++) {
        unsigned long e = ERR_get_error();
        if (e == 0)
            break;
        char one[256];
        ERR_error_string_n(e, one, sizeof(one));
        int n = snprintf(buf + used, buf_len - used, "%s%s", used ? "; " : "", one);
        if (n < 0 || (size_t)n >= buf_len - used)
            break;
        used += (size_t)n;
    }
    ERR_clear_error();
}

/* see ossl.h */
tq_status ossl_config_fail(struct tq_outcome *out, enum tq_outcome_code code, const char *what)
{
    error_text(out->error, sizeof(out->error));
    return tq_outcome_fail(out, code, "%s", what);
}

/* classify picks the outcome of a failed call, in order: the certificate verdict, a fatal
 * alert from the server, the library's reason, then the I/O condition. */
static enum tq_outcome_code classify(struct ossl_client *c, struct tq_outcome *out, int ssl_err,
                                     unsigned long first_err)
{
    long verify = SSL_get_verify_result(c->ssl);
    int reason = ERR_GET_REASON(first_err);
    bool verify_failed = verify != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED;
    /* APPLICATION_VERIFICATION with a refusal comes from ossl_lib.verify_cb only. */
    if (verify_failed && verify == X509_V_ERR_APPLICATION_VERIFICATION && c->refusal[0] != '\0')
        return TQ_OUT_UNSUPPORTED_ALGORITHM;
    if (verify_failed)
        return lookup(ossl_lib.verify_map, ossl_lib.num_verify_map, verify_map, NUM(verify_map),
                      verify);
    if (c->received_fatal && c->alert_received > 1) {
        out->alert = c->alert_received - 1;
        return TQ_OUT_ALERT_RECEIVED;
    }
    if (first_err != 0 && ERR_GET_LIB(first_err) == ERR_LIB_SSL)
        return lookup(ossl_lib.reason_map, ossl_lib.num_reason_map, reason_map, NUM(reason_map),
                      reason);
    if (ssl_err == SSL_ERROR_WANT_READ || ssl_err == SSL_ERROR_WANT_WRITE)
        return TQ_OUT_TIMEOUT; /* SO_RCVTIMEO/SO_SNDTIMEO fired: the driver's deadline */
    if (ssl_err == SSL_ERROR_SYSCALL && first_err == 0)
        return TQ_OUT_CLOSED_BY_PEER;
    if (ssl_err == SSL_ERROR_ZERO_RETURN)
        return TQ_OUT_CLOSED_BY_PEER;
    return TQ_OUT_UNMAPPED;
}

/* see ossl.h */
tq_status ossl_fail(struct ossl_client *c, struct tq_outcome *out, int ret)
{
    int saved_errno = errno;
    int ssl_err = SSL_get_error(c->ssl, ret);
    unsigned long first_err = ERR_peek_error();
    out->code = classify(c, out, ssl_err, first_err);
    error_text(out->error, sizeof(out->error));
    if (out->error[0] == '\0' && ssl_err == SSL_ERROR_SYSCALL)
        snprintf(out->error, sizeof(out->error), "SSL_ERROR_SYSCALL: %s",
                 saved_errno != 0 ? strerror(saved_errno) : "unexpected EOF");
    if (out->error[0] == '\0')
        snprintf(out->error, sizeof(out->error), "SSL_get_error %d", ssl_err);
    return TQ_STATUS(TQ_ERR_CRYPTO);
}
