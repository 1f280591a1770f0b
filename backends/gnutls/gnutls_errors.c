/* gnutls_errors.c: GnuTLS's error codes and certificate status bits, mapped to the canonical
 * outcomes with tables. An error with no entry is `unmapped`, never guessed. */
#include <stdio.h>
#include <string.h>

#include "error_table.h"
#include "gnutls_internal.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* gnutls_certificate_status_t bits -> outcome. A status can carry several bits (always with
 * GNUTLS_CERT_INVALID); the first row that matches wins. */
static const struct tq_error_map status_map[] = {
    {GNUTLS_CERT_SIGNER_NOT_FOUND, TQ_OUT_CERT_UNTRUSTED},
    {GNUTLS_CERT_REVOKED, TQ_OUT_CERT_REVOKED},
    {GNUTLS_CERT_EXPIRED, TQ_OUT_CERT_EXPIRED},
    {GNUTLS_CERT_NOT_ACTIVATED, TQ_OUT_CERT_NOT_YET_VALID},
    {GNUTLS_CERT_UNEXPECTED_OWNER, TQ_OUT_HOSTNAME_MISMATCH},
    {GNUTLS_CERT_SIGNATURE_FAILURE, TQ_OUT_BAD_SIGNATURE},
    {GNUTLS_CERT_INSECURE_ALGORITHM, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {GNUTLS_CERT_SIGNER_NOT_CA, TQ_OUT_CERT_INVALID},
    {GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, TQ_OUT_CERT_INVALID},
    {GNUTLS_CERT_PURPOSE_MISMATCH, TQ_OUT_CERT_INVALID},
    {GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, TQ_OUT_CERT_INVALID},
    {GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, TQ_OUT_CERT_INVALID},
    {GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE, TQ_OUT_CERT_INVALID},
    {GNUTLS_CERT_MISSING_OCSP_STATUS, TQ_OUT_CERT_INVALID},
    {GNUTLS_CERT_INVALID_OCSP_STATUS, TQ_OUT_CERT_INVALID},
};

/* GNUTLS_E_* (gnutls/gnutls.h) -> outcome. Verification failures and fatal alerts received are
 * not here: gtls_fail handles them first. */
static const struct tq_error_map error_map[] = {
    {GNUTLS_E_UNSUPPORTED_VERSION_PACKET, TQ_OUT_PROTOCOL_VERSION},
    {GNUTLS_E_UNKNOWN_CIPHER_SUITE, TQ_OUT_NO_SHARED_CIPHER},
    {GNUTLS_E_NO_CIPHER_SUITES, TQ_OUT_NO_SHARED_CIPHER},
    {GNUTLS_E_INSUFFICIENT_CREDENTIALS, TQ_OUT_NO_SHARED_CIPHER},
    {GNUTLS_E_NO_COMMON_KEY_SHARE, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_PREMATURE_TERMINATION, TQ_OUT_CLOSED_BY_PEER},
    {GNUTLS_E_PULL_ERROR, TQ_OUT_CLOSED_BY_PEER},
    {GNUTLS_E_PUSH_ERROR, TQ_OUT_CLOSED_BY_PEER},
    {GNUTLS_E_AGAIN, TQ_OUT_TIMEOUT}, /* SO_RCVTIMEO/SO_SNDTIMEO fired: the driver's deadline */
    {GNUTLS_E_UNEXPECTED_PACKET, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_UNEXPECTED_PACKET_LENGTH, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_UNEXPECTED_EXTENSIONS_LENGTH, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_DECRYPTION_FAILED, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_RECORD_OVERFLOW, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_PK_SIG_VERIFY_FAILED, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_ILLEGAL_PARAMETER, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_RECEIVED_ILLEGAL_EXTENSION, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_RECEIVED_DISALLOWED_NAME, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_ECC_UNSUPPORTED_CURVE, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_UNKNOWN_PK_ALGORITHM, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_NO_APPLICATION_PROTOCOL, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_SAFE_RENEGOTIATION_FAILED, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_INAPPROPRIATE_FALLBACK, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_DH_PRIME_UNACCEPTABLE, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_INSUFFICIENT_SECURITY, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_NO_CERTIFICATE_FOUND, TQ_OUT_HANDSHAKE_FAILURE},
    {GNUTLS_E_CERTIFICATE_KEY_MISMATCH, TQ_OUT_CONFIG_ERROR},
};

/* see gnutls_internal.h */
enum tq_outcome_code gtls_status_outcome(unsigned status)
{
    return tq_error_map_lookup_bits(status_map, NUM(status_map), status);
}

/* see gnutls_internal.h */
void gtls_status_text(char *buf, size_t buf_len, unsigned status)
{
    gnutls_datum_t text = {0};
    buf[0] = '\0';
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) < 0)
        return;
    snprintf(buf, buf_len, "%s", (const char *)text.data);
    gnutls_free(text.data);
}

/* see gnutls_internal.h */
tq_status gtls_config_fail(struct tq_outcome *out, enum tq_outcome_code code, int err,
                           const char *what)
{
    tq_outcome_set_error(out, gnutls_strerror(err));
    return tq_outcome_fail(out, code, "%s", what);
}

/* see gnutls_internal.h */
tq_status gtls_fail(struct gtls_client *c, struct tq_outcome *out, int err)
{
    bool verify =
        err == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR || err == GNUTLS_E_CERTIFICATE_ERROR;
    if (verify && c->verify_ran && c->verify_error < 0)
        err = c->verify_error; /* verification itself could not run: say why */
    if (verify && c->verify_ran && c->verify_status != 0) {
        out->code = gtls_status_outcome(c->verify_status);
        char status[512];
        gtls_status_text(status, sizeof(status), c->verify_status);
        snprintf(out->error, sizeof(out->error), "%s %s", gnutls_strerror(err), status);
        return TQ_STATUS(TQ_ERR_CRYPTO);
    }
    if (err == GNUTLS_E_FATAL_ALERT_RECEIVED) {
        out->code = TQ_OUT_ALERT_RECEIVED;
        out->alert = (int)gnutls_alert_get(c->session);
        snprintf(out->error, sizeof(out->error), "%s: %s", gnutls_strerror(err),
                 gnutls_alert_get_name((gnutls_alert_description_t)out->alert));
        return TQ_STATUS(TQ_ERR_CRYPTO);
    }
    out->code = tq_error_map_lookup(error_map, NUM(error_map), err);
    snprintf(out->error, sizeof(out->error), "%s (%s)", gnutls_strerror(err),
             gnutls_strerror_name(err) ? gnutls_strerror_name(err) : "?");
    return TQ_STATUS(TQ_ERR_CRYPTO);
}
