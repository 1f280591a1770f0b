/* wolfssl_backend.c: the wolfSSL 5.5.4 ops table (backends/driver/backend_ops.h) and its main. */
#include "wolfssl_internal.h"
#include <stdio.h>
#include <string.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "bytes.h"

#define MAX_RETRIES 1000 /* WANT_READ / WANT_WRITE that are not timeouts, per call */

static tq_status wolf_global_init(struct tq_diag *diag)
{
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        return tq_diag_fail(diag, TQ_ERR_CRYPTO, NULL, 0, "wolfSSL_Init failed");
    return TQ_SUCCESS;
}

static const char *wolf_library_version(void)
{
    static char text[64];
    snprintf(text, sizeof(text), "wolfSSL %s", wolfSSL_lib_version());
    return text;
}

static tq_status wolf_handshake(void *conn, struct tq_outcome *out, int fd)
{
    struct wolf_client *c = conn;
    if (wolfSSL_set_fd(c->ssl, fd) != WOLFSSL_SUCCESS)
        return wolf_fail(c, out, WOLFSSL_FATAL_ERROR);
    int ret = wolfSSL_connect(c->ssl);
    if (ret != WOLFSSL_SUCCESS)
        return wolf_fail(c, out, ret);
    c->handshake_done = true;
    return TQ_SUCCESS;
}

static tq_status wolf_read(void *conn, struct tq_outcome *out, uint8_t *buf, size_t buf_len,
                           size_t *out_len)
{
    struct wolf_client *c = conn;
    *out_len = 0;
    int ret = wolfSSL_read(c->ssl, buf, buf_len > 0x7fffffff ? 0x7fffffff : (int)buf_len);
    if (ret > 0) {
        *out_len = (size_t)ret;
        return TQ_SUCCESS;
    }
    int err = wolfSSL_get_error(c->ssl, ret);
    if (err == WOLFSSL_ERROR_ZERO_RETURN || err == SOCKET_PEER_CLOSED_E || ret == 0)
        return TQ_SUCCESS; /* close_notify or TCP FIN: the peer closed */
    return wolf_fail(c, out, ret);
}

static tq_status wolf_write(void *conn, struct tq_outcome *out, const uint8_t *buf, size_t len)
{
    struct wolf_client *c = conn;
    size_t done = 0;
    for (int i = 0; i < MAX_RETRIES && done < len; i++) {
        size_t left = len - done;
        int ret = wolfSSL_write(c->ssl, buf + done, left > 16384 ? 16384 : (int)left);
        if (ret <= 0)
            return wolf_fail(c, out, ret);
        done += (size_t)ret;
    }
    return done == len ? TQ_SUCCESS : wolf_fail(c, out, WOLFSSL_FATAL_ERROR);
}

static void describe_cert(struct tq_peer_cert *out, const unsigned char *der, int len)
{
    unsigned char md[WC_SHA256_DIGEST_SIZE];
    if (wc_Sha256Hash(der, (word32)len, md) == 0)
        tq_hex(out->sha256, md, sizeof(md));
    WOLFSSL_X509 *x = wolfSSL_X509_d2i(NULL, der, len);
    if (x == NULL)
        return;
    wolf_name_rfc4514(out->subject, sizeof(out->subject), wolfSSL_X509_get_subject_name(x));
    wolf_name_rfc4514(out->issuer, sizeof(out->issuer), wolfSSL_X509_get_issuer_name(x));
    wolfSSL_X509_free(x);
}

static void describe_verify(struct wolf_client *c, struct tq_session_info *info)
{
    if (!c->verify_ran)
        return;
    info->has_verify = true;
    int err = c->verify_error;
    info->verify_ok = err == 0 && c->verdict == TQ_OUT_NOT_RUN;
    snprintf(info->verify_code, sizeof(info->verify_code), "%d", err);
    if (c->verdict != TQ_OUT_NOT_RUN)
        snprintf(info->verify_text, sizeof(info->verify_text), "%s", c->verdict_text);
    else if (err != 0)
        wolf_error_text(info->verify_text, sizeof(info->verify_text), err);
    else
        snprintf(info->verify_text, sizeof(info->verify_text), "ok");
}

static void describe_negotiated(struct wolf_client *c, struct tq_session_info *info)
{
    const char *version = wolfSSL_get_version(c->ssl);
    snprintf(info->version, sizeof(info->version), "%s", version != NULL ? version : "");
    int suite = wolfSSL_get_current_cipher_suite(c->ssl);
    const char *iana =
        wolfSSL_get_cipher_name_iana_from_suite((unsigned char)(suite >> 8), (unsigned char)suite);
    snprintf(info->suite, sizeof(info->suite), "%s", iana != NULL ? iana : "");
    char *alpn = NULL;
    word16 alpn_len = 0;
    if (wolfSSL_ALPN_GetProtocol(c->ssl, &alpn, &alpn_len) == WOLFSSL_SUCCESS && alpn != NULL)
        snprintf(info->alpn, sizeof(info->alpn), "%.*s", (int)alpn_len, alpn);
}

static void wolf_describe(void *conn, struct tq_session_info *info)
{
    struct wolf_client *c = conn;
    if (c->ssl == NULL)
        return;
    WOLFSSL_ALERT_HISTORY h = {.last_rx = {.code = -1}, .last_tx = {.code = -1}};
    if (wolfSSL_get_alert_history(c->ssl, &h) == WOLFSSL_SUCCESS) {
        info->alert_sent = h.last_tx.code > 0 || h.last_tx.level > 0 ? h.last_tx.code : -1;
        info->alert_received = h.last_rx.code > 0 || h.last_rx.level > 0 ? h.last_rx.code : -1;
    }
    WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(c->ssl);
    int num = chain != NULL ? wolfSSL_get_chain_count(chain) : 0;
    for (int i = 0; i < num && i < TQ_MAX_PEER_CHAIN; i++)
        describe_cert(&info->chain[info->num_chain++], wolfSSL_get_chain_cert(chain, i),
                      wolfSSL_get_chain_length(chain, i));
    describe_verify(c, info);
    if (c->handshake_done) {
        info->resumed = wolfSSL_session_reused(c->ssl) == 1;
        describe_negotiated(c, info);
    }
}

static void wolf_close(void *conn)
{
    struct wolf_client *c = conn;
    if (c->ssl != NULL && c->handshake_done)
        (void)wolfSSL_shutdown(c->ssl); /* sends close_notify; does not wait */
}

static void wolf_cleanup(void *conn)
{
    struct wolf_client *c = conn;
    wolfSSL_free(c->ssl);
    c->ssl = NULL;
}

static void wolf_release(void *config)
{
    struct wolf_config *k = config;
    wolfSSL_CTX_free(k->ctx);
    k->ctx = NULL;
}

/* No TLS 1.0 (WOLFSSL_ALLOW_TLSV10 is off in Debian's build); no sigalgs (see
 * wolf_list_names). */
static const struct tq_tls_client_ops tq_wolfssl_ops = {
    .name = "wolfssl",
    .versions =
        TQ_VERSION_BIT(TQ_TLS_1_1) | TQ_VERSION_BIT(TQ_TLS_1_2) | TQ_VERSION_BIT(TQ_TLS_1_3),
    .client_key_types = TQ_KEY_RSA | TQ_KEY_EC,
    .features = TQ_FEAT_SNI | TQ_FEAT_NO_SNI | TQ_FEAT_ALPN | TQ_FEAT_CRL | TQ_FEAT_CLIENT_CERT |
                TQ_FEAT_VERIFY_TIME | TQ_FEAT_MFL | TQ_FEAT_GROUPS | TQ_FEAT_SUITES |
                TQ_FEAT_NO_VERIFY,
    .config_size = sizeof(struct wolf_config),
    .conn_size = sizeof(struct wolf_client),
    .global_init = wolf_global_init,
    .library_version = wolf_library_version,
    .list_names = wolf_list_names,
    .configure = wolf_configure,
    .release = wolf_release,
    .open = wolf_open,
    .handshake = wolf_handshake,
    .read = wolf_read,
    .write = wolf_write,
    .describe = wolf_describe,
    .close = wolf_close,
    .cleanup = wolf_cleanup,
};

int main(int argc, char **argv)
{
    return tq_backend_main(&tq_wolfssl_ops, argc, argv);
}
