/* ossl_backend.c: the ops table of the OpenSSL family (backends/driver/backend_ops.h), its main
 * and the connection calls. */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "ossl.h"

static tq_status ossl_global_init(struct tq_diag *diag)
{
    if (OPENSSL_init_ssl(0, NULL) != 1)
        return tq_diag_fail(diag, TQ_ERR_CRYPTO, NULL, 0, "OPENSSL_init_ssl failed");
    return TQ_SUCCESS;
}

static const char *ossl_library_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

static tq_status ossl_handshake(void *conn, struct tq_outcome *out, int fd)
{
    struct ossl_client *c = conn;
    if (SSL_set_fd(c->ssl, fd) != 1)
        return ossl_fail(c, out, 0);
    int ret = SSL_connect(c->ssl);
    if (ret != 1)
        return ossl_fail(c, out, ret);
    c->handshake_done = true;
    return TQ_SUCCESS;
}

/* peer_closed is true when a failed read means an orderly or abrupt end of the stream. */
static bool peer_closed(struct ossl_client *c, int ret)
{
    int err = SSL_get_error(c->ssl, ret);
    if (err == SSL_ERROR_ZERO_RETURN)
        return true;
    unsigned long e = ERR_peek_error();
    if (err == SSL_ERROR_SYSCALL && e == 0)
        return true;
    return ossl_lib.eof_reason != 0 && err == SSL_ERROR_SSL && ERR_GET_LIB(e) == ERR_LIB_SSL &&
           ERR_GET_REASON(e) == ossl_lib.eof_reason && !c->received_fatal;
}

static tq_status ossl_read(void *conn, struct tq_outcome *out, uint8_t *buf, size_t buf_len,
                           size_t *out_len)
{
    struct ossl_client *c = conn;
    *out_len = 0;
    /* SSL_read and SSL_write, not their _ex forms, which BoringSSL lacks. In OpenSSL the two
     * forms differ only in their return value, of which SSL_get_error reads only "> 0". */
    int ret = SSL_read(c->ssl, buf, buf_len > INT_MAX ? INT_MAX : (int)buf_len);
    if (ret > 0) {
        *out_len = (size_t)ret;
        return TQ_SUCCESS;
    }
    if (peer_closed(c, ret)) {
        ERR_clear_error();
        *out_len = 0;
        return TQ_SUCCESS;
    }
    return ossl_fail(c, out, ret);
}

static tq_status ossl_write(void *conn, struct tq_outcome *out, const uint8_t *buf, size_t len)
{
    struct ossl_client *c = conn;
    size_t done = 0;
    for (int i = 0; i < 1000 && done < len; i++) {
        size_t left = len - done;
        int ret = SSL_write(c->ssl, buf + done, left > INT_MAX ? INT_MAX : (int)left);
        if (ret <= 0)
            return ossl_fail(c, out, ret);
        done += (size_t)ret;
    }
    return done == len ? TQ_SUCCESS : ossl_fail(c, out, 0);
}

static void name_rfc2253(char *buf, size_t buf_len, const X509_NAME *name)
{
    buf[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(bio, buf, (int)buf_len - 1);
        buf[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
}

static void describe_cert(struct tq_peer_cert *out, X509 *x)
{
    name_rfc2253(out->subject, sizeof(out->subject), X509_get_subject_name(x));
    name_rfc2253(out->issuer, sizeof(out->issuer), X509_get_issuer_name(x));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(x, EVP_sha256(), md, &md_len) == 1 && md_len == 32)
        tq_hex(out->sha256, md, md_len);
}

static void describe_chain(struct ossl_client *c, struct tq_session_info *info)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl);
    /* The cast: sk_X509_num is an int in OpenSSL and a size_t in BoringSSL. */
    for (size_t i = 0; chain != NULL && i < (size_t)sk_X509_num(chain) && i < TQ_MAX_PEER_CHAIN;
         i++)
        describe_cert(&info->chain[info->num_chain++], sk_X509_value(chain, i));
}

static void ossl_describe(void *conn, struct tq_session_info *info)
{
    struct ossl_client *c = conn;
    if (c->ssl == NULL)
        return;
    info->alert_sent = c->alert_sent - 1;
    info->alert_received = c->alert_received - 1;
    describe_chain(c, info);
    long verify = SSL_get_verify_result(c->ssl);
    info->has_verify = info->num_chain > 0;
    info->verify_ok = verify == X509_V_OK;
    snprintf(info->verify_code, sizeof(info->verify_code), "%ld", verify);
    snprintf(info->verify_text, sizeof(info->verify_text), "%s",
             c->refusal[0] != '\0' ? c->refusal : X509_verify_cert_error_string(verify));
    if (!c->handshake_done)
        return;
    info->resumed = SSL_session_reused(c->ssl) == 1;
    snprintf(info->version, sizeof(info->version), "%s", SSL_get_version(c->ssl));
    const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
    const char *suite = cipher != NULL ? SSL_CIPHER_standard_name(cipher) : NULL;
    snprintf(info->suite, sizeof(info->suite), "%s", suite != NULL ? suite : "");
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
    snprintf(info->alpn, sizeof(info->alpn), "%.*s", (int)alpn_len,
             alpn != NULL ? (const char *)alpn : "");
}

static void ossl_close(void *conn)
{
    struct ossl_client *c = conn;
    if (c->ssl != NULL && SSL_is_init_finished(c->ssl))
        (void)SSL_shutdown(c->ssl);
    ERR_clear_error();
}

static void ossl_cleanup(void *conn)
{
    struct ossl_client *c = conn;
    SSL_free(c->ssl);
    c->ssl = NULL;
    ERR_clear_error();
}

static void ossl_release(void *config)
{
    struct ossl_config *k = config;
    SSL_CTX_free(k->ctx);
    k->ctx = NULL;
    ERR_clear_error();
}

int main(int argc, char **argv)
{
    /* Built here, not as a static table: the data members come from the library's file. */
    const struct tq_tls_client_ops ops = {
        .name = ossl_lib.name,
        .versions = ossl_lib.versions,
        .client_key_types = ossl_lib.client_key_types,
        .features = ossl_lib.features,
        .config_size = sizeof(struct ossl_config),
        .conn_size = sizeof(struct ossl_client),
        .global_init = ossl_global_init,
        .library_version = ossl_library_version,
        .list_names = ossl_list_names,
        .configure = ossl_configure,
        .release = ossl_release,
        .open = ossl_open,
        .handshake = ossl_handshake,
        .read = ossl_read,
        .write = ossl_write,
        .describe = ossl_describe,
        .close = ossl_close,
        .cleanup = ossl_cleanup,
    };
    return tq_backend_main(&ops, argc, argv);
}
