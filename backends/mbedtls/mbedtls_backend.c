/* mbedtls_backend.c: the Mbed TLS 2.28 ops table (backends/driver/backend_ops.h) and its main. */
#include <errno.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bytes.h"
#include "mbedtls_internal.h"

#define MAX_RETRIES 1000 /* WANT_READ / WANT_WRITE (EINTR), per call */

static tq_status mtls_global_init(struct tq_diag *diag)
{
    (void)diag; /* Mbed TLS 2.28 needs no global set-up without PSA */
    return TQ_SUCCESS;
}

static const char *mtls_library_version(void)
{
    static char text[64];
    char version[18];
    mbedtls_version_get_string_full(version);
    snprintf(text, sizeof(text), "%s", version);
    return text;
}

/* note_sent_alert records an alert this client writes while records are still plaintext (a
 * 2-byte alert record: level, description); encrypted alerts cannot be read here. */
static void note_sent_alert(struct mtls_client *c, const unsigned char *buf, size_t len)
{
    if (len >= 7 && buf[0] == MBEDTLS_SSL_MSG_ALERT && buf[3] == 0 && buf[4] == 2 &&
        (c->alert_sent == 0 || buf[5] == MBEDTLS_SSL_ALERT_LEVEL_FATAL))
        c->alert_sent = buf[6] + 1;
}

static int io_error(void)
{
    if (errno == EINTR)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return MBEDTLS_ERR_SSL_TIMEOUT; /* SO_RCVTIMEO/SO_SNDTIMEO: the driver's deadline */
    if (errno == EPIPE || errno == ECONNRESET)
        return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

static int bio_send(void *conn, const unsigned char *buf, size_t len)
{
    struct mtls_client *c = conn;
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n < 0)
        return io_error() == MBEDTLS_ERR_NET_RECV_FAILED ? MBEDTLS_ERR_NET_SEND_FAILED : io_error();
    note_sent_alert(c, buf, (size_t)n);
    return (int)n;
}

static int bio_recv(void *conn, unsigned char *buf, size_t len)
{
    struct mtls_client *c = conn;
    ssize_t n = recv(c->fd, buf, len, 0);
    return n < 0 ? io_error() : (int)n;
}

static bool retry(int ret)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* note_received_alert records the fatal alert behind MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE
 * (the record is still in in_msg: level, description). */
static void note_received_alert(struct mtls_client *c, int ret)
{
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && c->ssl.in_msg != NULL)
        c->alert_received = c->ssl.in_msg[1] + 1;
}

static tq_status mtls_handshake(void *conn, struct tq_outcome *out, int fd)
{
    struct mtls_client *c = conn;
    c->fd = fd;
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    int ret = MBEDTLS_ERR_SSL_WANT_READ;
    for (int i = 0; i < MAX_RETRIES && retry(ret); i++)
        ret = mbedtls_ssl_handshake(&c->ssl);
    note_received_alert(c, ret);
    if (ret != 0)
        return mtls_fail(c, out, ret);
    c->handshake_done = true;
    return TQ_SUCCESS;
}

static tq_status mtls_read(void *conn, struct tq_outcome *out, uint8_t *buf, size_t buf_len,
                           size_t *out_len)
{
    struct mtls_client *c = conn;
    *out_len = 0;
    int ret = MBEDTLS_ERR_SSL_WANT_READ;
    for (int i = 0; i < MAX_RETRIES && retry(ret); i++)
        ret = mbedtls_ssl_read(&c->ssl, buf, buf_len);
    note_received_alert(c, ret);
    if (ret >= 0) {
        *out_len = (size_t)ret;
        return TQ_SUCCESS;
    }
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_SSL_CONN_EOF ||
        ret == MBEDTLS_ERR_NET_CONN_RESET)
        return TQ_SUCCESS; /* the peer closed */
    return mtls_fail(c, out, ret);
}

static tq_status mtls_write(void *conn, struct tq_outcome *out, const uint8_t *buf, size_t len)
{
    struct mtls_client *c = conn;
    size_t done = 0;
    for (int i = 0; i < MAX_RETRIES && done < len; i++) {
        int ret = mbedtls_ssl_write(&c->ssl, buf + done, len - done);
        if (retry(ret))
            continue;
        if (ret < 0)
            return mtls_fail(c, out, ret);
        done += (size_t)ret;
    }
    return done == len ? TQ_SUCCESS : mtls_fail(c, out, MBEDTLS_ERR_NET_SEND_FAILED);
}

static void describe_cert(struct tq_peer_cert *out, const mbedtls_x509_crt *crt)
{
    mtls_dn_rfc2253(out->subject, sizeof(out->subject), &crt->subject);
    mtls_dn_rfc2253(out->issuer, sizeof(out->issuer), &crt->issuer);
    unsigned char md[32];
    if (mbedtls_sha256_ret(crt->raw.p, crt->raw.len, md, 0) == 0)
        tq_hex(out->sha256, md, sizeof(md));
}

/* peer_chain returns the server's chain: the session's after a completed handshake, else the
 * one being negotiated (a failed verification keeps it there). */
static const mbedtls_x509_crt *peer_chain(const struct mtls_client *c)
{
    const mbedtls_ssl_session *s = c->handshake_done ? c->ssl.session : c->ssl.session_negotiate;
    return s != NULL ? s->peer_cert : NULL;
}

static void describe_verify(struct mtls_client *c, struct tq_session_info *info)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
    if (info->num_chain == 0 || flags == (uint32_t)-1)
        return;
    info->has_verify = true;
    info->verify_ok = flags == 0;
    snprintf(info->verify_code, sizeof(info->verify_code), "0x%x", (unsigned)flags);
    if (flags == 0)
        snprintf(info->verify_text, sizeof(info->verify_text), "ok");
    else
        mtls_flags_text(info->verify_text, sizeof(info->verify_text), flags);
}

static void describe_negotiated(struct mtls_client *c, struct tq_session_info *info)
{
    const char *version = mbedtls_ssl_get_version(&c->ssl);
    /* "TLSv1.0" -> "TLSv1", the spelling every other backend reports. */
    snprintf(info->version, sizeof(info->version), "%s",
             strcmp(version, "TLSv1.0") == 0 ? "TLSv1" : version);
    snprintf(info->suite, sizeof(info->suite), "%s", mbedtls_ssl_get_ciphersuite(&c->ssl));
    for (char *p = info->suite; *p; p++)
        *p = *p == '-' ? '_' : *p;
    const char *alpn = mbedtls_ssl_get_alpn_protocol(&c->ssl);
    snprintf(info->alpn, sizeof(info->alpn), "%s", alpn != NULL ? alpn : "");
}

static void mtls_describe(void *conn, struct tq_session_info *info)
{
    struct mtls_client *c = conn;
    if (!c->initialized)
        return;
    info->alert_sent = c->alert_sent - 1;
    info->alert_received = c->alert_received - 1;
    const mbedtls_x509_crt *crt = peer_chain(c);
    for (; crt != NULL && crt->raw.p != NULL && info->num_chain < TQ_MAX_PEER_CHAIN;
         crt = crt->next)
        describe_cert(&info->chain[info->num_chain++], crt);
    describe_verify(c, info);
    /* info->resumed stays false: Mbed TLS 2.28 cannot tell after the handshake, and a fresh SSL
     * context that was never given mbedtls_ssl_set_session cannot resume (mtls_open). */
    if (c->handshake_done)
        describe_negotiated(c, info);
}

static void mtls_close(void *conn)
{
    struct mtls_client *c = conn;
    if (c->handshake_done)
        (void)mbedtls_ssl_close_notify(&c->ssl);
}

static void mtls_cleanup(void *conn)
{
    struct mtls_client *c = conn;
    if (c->initialized)
        mbedtls_ssl_free(&c->ssl);
    c->initialized = false;
}

static void mtls_release(void *config)
{
    struct mtls_config *k = config;
    if (!k->initialized)
        return;
    mbedtls_ssl_config_free(&k->conf);
    mbedtls_x509_crt_free(&k->ca);
    mbedtls_x509_crl_free(&k->crl);
    mbedtls_x509_crt_free(&k->own);
    mbedtls_pk_free(&k->key);
    mbedtls_ctr_drbg_free(&k->drbg);
    mbedtls_entropy_free(&k->entropy);
    k->initialized = false;
}

/* No TLS 1.3 (MBEDTLS_SSL_PROTO_TLS1_3_EXPERIMENTAL is off in Debian's build); no sigalgs (only
 * hashes can be restricted); no no_sni (one call sets SNI and the name to verify). */
static const struct tq_tls_client_ops tq_mbedtls_ops = {
    .name = "mbedtls",
    .versions =
        TQ_VERSION_BIT(TQ_TLS_1_0) | TQ_VERSION_BIT(TQ_TLS_1_1) | TQ_VERSION_BIT(TQ_TLS_1_2),
    .client_key_types = TQ_KEY_RSA | TQ_KEY_EC,
    .features = TQ_FEAT_SNI | TQ_FEAT_ALPN | TQ_FEAT_CRL | TQ_FEAT_CLIENT_CERT |
                TQ_FEAT_VERIFY_TIME | TQ_FEAT_MFL | TQ_FEAT_GROUPS | TQ_FEAT_SUITES |
                TQ_FEAT_NO_VERIFY,
    .config_size = sizeof(struct mtls_config),
    .conn_size = sizeof(struct mtls_client),
    .global_init = mtls_global_init,
    .library_version = mtls_library_version,
    .list_names = mtls_list_names,
    .configure = mtls_configure,
    .release = mtls_release,
    .open = mtls_open,
    .handshake = mtls_handshake,
    .read = mtls_read,
    .write = mtls_write,
    .describe = mtls_describe,
    .close = mtls_close,
    .cleanup = mtls_cleanup,
};

int main(int argc, char **argv)
{
    return tq_backend_main(&tq_mbedtls_ops, argc, argv);
}
