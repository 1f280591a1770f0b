/* wolfssl_errors.c: wolfSSL's and wolfCrypt's error codes, mapped to the canonical outcomes
 * with a table. An error with no entry is `unmapped`, never guessed. */
#include <stdio.h>
#include <string.h>

#include "wolfssl_internal.h"
#include "error_table.h"
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* wolfSSL (error-ssl.h) and wolfCrypt (error-crypt.h) codes -> outcome. A fatal alert
 * received (FATAL_ERROR) and the verify callback's own verdicts are handled first. */
static const struct tq_error_map error_map[] = {
    {ASN_AFTER_DATE_E, TQ_OUT_CERT_EXPIRED},
    {ASN_BEFORE_DATE_E, TQ_OUT_CERT_NOT_YET_VALID},
    {ASN_NO_SIGNER_E, TQ_OUT_CERT_UNTRUSTED},
    {ASN_SELF_SIGNED_E, TQ_OUT_CERT_UNTRUSTED},
    {CRL_CERT_REVOKED, TQ_OUT_CERT_REVOKED},
    {OCSP_CERT_REVOKED, TQ_OUT_CERT_REVOKED},
    {DOMAIN_NAME_MISMATCH, TQ_OUT_HOSTNAME_MISMATCH},
    {IPADDR_MISMATCH, TQ_OUT_HOSTNAME_MISMATCH},
    {ASN_SIG_CONFIRM_E, TQ_OUT_BAD_SIGNATURE},
    {ASN_SIG_OID_E, TQ_OUT_BAD_SIGNATURE},
    {ASN_SIG_HASH_E, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {ASN_SIG_KEY_E, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {RSA_KEY_SIZE_E, TQ_OUT_UNSUPPORTED_ALGORITHM}, /* under wolfSSL_SetMinRsaKey_Sz */
    {ECC_KEY_SIZE_E, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {ASN_CRIT_EXT_E, TQ_OUT_CERT_INVALID},
    {ASN_PATHLEN_SIZE_E, TQ_OUT_CERT_INVALID},
    {ASN_PATHLEN_INV_E, TQ_OUT_CERT_INVALID},
    {CRL_MISSING, TQ_OUT_CERT_INVALID},
    {EXTKEYUSE_AUTH_E, TQ_OUT_CERT_INVALID},
    {CRL_CERT_DATE_ERR, TQ_OUT_CERT_INVALID},
    {VERSION_ERROR, TQ_OUT_PROTOCOL_VERSION},
    {UNSUPPORTED_PROTO_VERSION, TQ_OUT_PROTOCOL_VERSION},
    {MATCH_SUITE_ERROR, TQ_OUT_NO_SHARED_CIPHER},
    {UNSUPPORTED_SUITE, TQ_OUT_NO_SHARED_CIPHER},
    {SOCKET_PEER_CLOSED_E, TQ_OUT_CLOSED_BY_PEER},
    {SOCKET_ERROR_E, TQ_OUT_CLOSED_BY_PEER},
    {ZERO_RETURN, TQ_OUT_CLOSED_BY_PEER},
    {WOLFSSL_ERROR_WANT_READ, TQ_OUT_TIMEOUT}, /* SO_RCVTIMEO: the driver's deadline */
    {WOLFSSL_ERROR_WANT_WRITE, TQ_OUT_TIMEOUT},
    {VERIFY_MAC_ERROR, TQ_OUT_HANDSHAKE_FAILURE},
    {DECRYPT_ERROR, TQ_OUT_HANDSHAKE_FAILURE},
    {BUILD_MSG_ERROR, TQ_OUT_HANDSHAKE_FAILURE},
    {LENGTH_ERROR, TQ_OUT_HANDSHAKE_FAILURE},
    {OUT_OF_ORDER_E, TQ_OUT_HANDSHAKE_FAILURE},
    {SANITY_MSG_E, TQ_OUT_HANDSHAKE_FAILURE},
    {NO_CHANGE_CIPHER_E, TQ_OUT_HANDSHAKE_FAILURE},
    {BAD_KEY_SHARE_DATA, TQ_OUT_HANDSHAKE_FAILURE},
    {EXT_MISSING, TQ_OUT_HANDSHAKE_FAILURE},
    {INVALID_PARAMETER, TQ_OUT_HANDSHAKE_FAILURE},
    {UNKNOWN_ALPN_PROTOCOL_NAME_E, TQ_OUT_HANDSHAKE_FAILURE},
    {NO_PEER_CERT, TQ_OUT_HANDSHAKE_FAILURE},
    {SIG_VERIFY_E, TQ_OUT_HANDSHAKE_FAILURE},
};

/* see wolfssl_internal.h */
enum tq_outcome_code wolf_error_outcome(int err)
{
    return tq_error_map_lookup(error_map, NUM(error_map), err);
}

/* see wolfssl_internal.h */
void wolf_error_text(char *buf, size_t buf_len, int err)
{
    char text[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)err, text, sizeof(text));
    snprintf(buf, buf_len, "%s (%d)", text, err);
}

/* see wolfssl_internal.h */
tq_status wolf_config_fail(struct tq_outcome *out, enum tq_outcome_code code, int err,
                           const char *what)
{
    if (err != 0 && err != WOLFSSL_FAILURE)
        wolf_error_text(out->error, sizeof(out->error), err);
    return tq_outcome_fail(out, code, "%s", what);
}

/* see wolfssl_internal.h */
tq_status wolf_fail(struct wolf_client *c, struct tq_outcome *out, int ret)
{
    int err = c->ssl != NULL ? wolfSSL_get_error(c->ssl, ret) : ret;
    wolf_error_text(out->error, sizeof(out->error), err);
    WOLFSSL_ALERT_HISTORY history = {.last_rx = {.code = -1}};
    if (c->ssl != NULL)
        (void)wolfSSL_get_alert_history(c->ssl, &history);
    if (c->verdict != TQ_OUT_NOT_RUN) {
        out->code = c->verdict;
        size_t used = strlen(out->error);
        snprintf(out->error + used, sizeof(out->error) - used, ": %s", c->verdict_text);
    } else if (err == FATAL_ERROR && history.last_rx.code >= 0) {
        out->code = TQ_OUT_ALERT_RECEIVED;
        out->alert = history.last_rx.code;
    } else {
        out->code = wolf_error_outcome(err);
    }
    return TQ_STATUS(TQ_ERR_CRYPTO);
}
