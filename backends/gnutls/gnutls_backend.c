/* gnutls_backend.c: the GnuTLS 3.7 ops table (backends/driver/backend_ops.h) and its main. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bytes.h"
#include "gnutls_internal.h"

#define MAX_RETRIES 1000 /* GNUTLS_E_INTERRUPTED and warning alerts, per call */

static tq_status gtls_global_init(struct tq_diag *diag)
{
    int ret = gnutls_global_init();
    if (ret < 0)
        return tq_diag_fail(diag, TQ_ERR_CRYPTO, NULL, 0, "gnutls_global_init: %s",
                            gnutls_strerror(ret));
    return TQ_SUCCESS;
}

static const char *gtls_library_version(void)
{
    static char text[64];
    snprintf(text, sizeof(text), "GnuTLS %s", gnutls_check_version(NULL));
    return text;
}

static void record_received_alert(struct gtls_client *c, int ret)
{
    if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED || ret == GNUTLS_E_WARNING_ALERT_RECEIVED)
        c->alert_received = (int)gnutls_alert_get(c->session) + 1;
}

/* send_alert sends the alert GnuTLS chooses for a failed handshake (gnutls_handshake leaves
 * that to the caller) and records it. */
static void send_alert(struct gtls_client *c, int err)
{
    int level = 0;
    int desc = gnutls_error_to_alert(err, &level);
    if (desc < 0 || err == GNUTLS_E_FATAL_ALERT_RECEIVED || err == GNUTLS_E_AGAIN ||
        err == GNUTLS_E_PREMATURE_TERMINATION || err == GNUTLS_E_PUSH_ERROR ||
        err == GNUTLS_E_PULL_ERROR)
        return;
    if (gnutls_alert_send_appropriate(c->session, err) == 0)
        c->alert_sent = desc + 1;
}

/* The transport is the driver's blocking socket with SO_RCVTIMEO/SO_SNDTIMEO, through our own
 * pull/push so that a real timeout can be told from the GNUTLS_E_AGAIN that gnutls_record_recv
 * also returns after it processed a TLS 1.3 post-handshake message (NewSessionTicket). */
static ssize_t pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
    struct gtls_client *c = ptr;
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n < 0) {
        c->timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
        gnutls_transport_set_errno(c->session, errno);
    }
    return n;
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
    struct gtls_client *c = ptr;
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n < 0) {
        c->timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
        gnutls_transport_set_errno(c->session, errno);
    }
    return n;
}

/* pull_timeout answers "is data ready?" without waiting; longer waits are left to recv and its
 * SO_RCVTIMEO (the handshake timeout of GnuTLS is off, see gtls_handshake). */
static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
    struct gtls_client *c = ptr;
    if (ms != 0)
        return 1;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    return poll(&p, 1, 0);
}

static bool retry(struct gtls_client *c, int ret)
{
    return ret == GNUTLS_E_INTERRUPTED || ret == GNUTLS_E_WARNING_ALERT_RECEIVED ||
           (ret == GNUTLS_E_AGAIN && !c->timed_out);
}

static tq_status gtls_handshake(void *conn, struct tq_outcome *out, int fd)
{
    struct gtls_client *c = conn;
    c->fd = fd;
    gnutls_transport_set_ptr(c->session, c);
    gnutls_transport_set_pull_function(c->session, pull);
    gnutls_transport_set_push_function(c->session, push);
    gnutls_transport_set_pull_timeout_function(c->session, pull_timeout);
    gnutls_handshake_set_timeout(c->session, 0); /* the driver owns the deadline */
    int ret = GNUTLS_E_INTERRUPTED;
    for (int i = 0; i < MAX_RETRIES && ret < 0; i++) {
        c->timed_out = false;
        ret = gnutls_handshake(c->session);
        record_received_alert(c, ret);
        if (ret < 0 && !retry(c, ret))
            break;
    }
    if (ret < 0) {
        send_alert(c, ret);
        return gtls_fail(c, out, ret);
    }
    c->handshake_done = true;
    return TQ_SUCCESS;
}

static tq_status gtls_read(void *conn, struct tq_outcome *out, uint8_t *buf, size_t buf_len,
                           size_t *out_len)
{
    struct gtls_client *c = conn;
    *out_len = 0;
    ssize_t ret = GNUTLS_E_INTERRUPTED;
    for (int i = 0; i < MAX_RETRIES && ret < 0; i++) {
        c->timed_out = false;
        ret = gnutls_record_recv(c->session, buf, buf_len);
        record_received_alert(c, (int)ret);
        if (ret < 0 && !retry(c, (int)ret))
            break;
    }
    if (ret >= 0) {
        *out_len = (size_t)ret; /* 0: close_notify */
        return TQ_SUCCESS;
    }
    if (ret == GNUTLS_E_PREMATURE_TERMINATION)
        return TQ_SUCCESS; /* TCP FIN without close_notify: the peer closed */
    return gtls_fail(c, out, (int)ret);
}

static tq_status gtls_write(void *conn, struct tq_outcome *out, const uint8_t *buf, size_t len)
{
    struct gtls_client *c = conn;
    size_t done = 0;
    for (int i = 0; i < MAX_RETRIES && done < len; i++) {
        c->timed_out = false;
        ssize_t ret = gnutls_record_send(c->session, buf + done, len - done);
        if (retry(c, (int)ret))
            continue;
        if (ret < 0)
            return gtls_fail(c, out, (int)ret);
        done += (size_t)ret;
    }
    return done == len ? TQ_SUCCESS : gtls_fail(c, out, GNUTLS_E_PUSH_ERROR);
}

static void copy_dn(char *buf, size_t buf_len, gnutls_x509_crt_t crt, bool issuer)
{
    gnutls_datum_t dn = {0};
    /* flags 0: RFC 4514 (which obsoletes RFC 2253) string, most significant RDN last. */
    int ret =
        issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) : gnutls_x509_crt_get_dn3(crt, &dn, 0);
    snprintf(buf, buf_len, "%s", ret >= 0 && dn.data ? (const char *)dn.data : "");
    gnutls_free(dn.data);
}

static void describe_cert(struct tq_peer_cert *out, const gnutls_datum_t *der)
{
    unsigned char md[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size, md) == 0)
        tq_hex(out->sha256, md, sizeof(md));
    gnutls_x509_crt_t crt = NULL;
    if (gnutls_x509_crt_init(&crt) < 0)
        return;
    if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0) {
        copy_dn(out->subject, sizeof(out->subject), crt, false);
        copy_dn(out->issuer, sizeof(out->issuer), crt, true);
    }
    gnutls_x509_crt_deinit(crt);
}

static const char *version_name(gnutls_protocol_t v)
{
    static const struct {
        gnutls_protocol_t v;
        const char *name;
    } names[] = {
        {GNUTLS_TLS1_0, "TLSv1"},
        {GNUTLS_TLS1_1, "TLSv1.1"},
        {GNUTLS_TLS1_2, "TLSv1.2"},
        {GNUTLS_TLS1_3, "TLSv1.3"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].v == v)
            return names[i].name;
    }
    return "";
}

static void describe_verify(struct gtls_client *c, struct tq_session_info *info)
{
    if (!c->verify_ran)
        return;
    info->has_verify = true;
    info->verify_ok = c->verify_status == 0 && c->verify_error == 0;
    snprintf(info->verify_code, sizeof(info->verify_code), "0x%x", c->verify_status);
    if (c->verify_error < 0)
        snprintf(info->verify_text, sizeof(info->verify_text), "%s",
                 gnutls_strerror(c->verify_error));
    else
        gtls_status_text(info->verify_text, sizeof(info->verify_text), c->verify_status);
}

static void describe_negotiated(struct gtls_client *c, struct tq_session_info *info)
{
    snprintf(info->version, sizeof(info->version), "%s",
             version_name(gnutls_protocol_get_version(c->session)));
    gnutls_kx_algorithm_t kx = gnutls_kx_get(c->session);
    const char *name =
        gnutls_cipher_suite_get_name(kx, gnutls_cipher_get(c->session), gnutls_mac_get(c->session));
    gnutls_protocol_t v = gnutls_protocol_get_version(c->session);
    if (v == GNUTLS_TLS1_3 || name == NULL)
        snprintf(info->suite, sizeof(info->suite), "%s", gnutls_ciphersuite_get(c->session));
    else { /* gnutls_cipher_suite_get_name drops the table's "TLS_": put it back */
        char table_name[128];
        snprintf(table_name, sizeof(table_name), "TLS_%s", name);
        gtls_suite_iana(info->suite, sizeof(info->suite), table_name, kx, GNUTLS_TLS1_2);
    }
    gnutls_datum_t alpn = {0};
    if (gnutls_alpn_get_selected_protocol(c->session, &alpn) == 0)
        snprintf(info->alpn, sizeof(info->alpn), "%.*s", (int)alpn.size, (const char *)alpn.data);
}

static void gtls_describe(void *conn, struct tq_session_info *info)
{
    struct gtls_client *c = conn;
    if (c->session == NULL)
        return;
    info->alert_sent = c->alert_sent - 1;
    info->alert_received = c->alert_received - 1;
    unsigned num = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(c->session, &num);
    for (unsigned i = 0; peers != NULL && i < num && i < TQ_MAX_PEER_CHAIN; i++)
        describe_cert(&info->chain[info->num_chain++], &peers[i]);
    describe_verify(c, info);
    if (c->handshake_done) {
        info->resumed = gnutls_session_is_resumed(c->session) != 0;
        describe_negotiated(c, info);
    }
}

static void gtls_close(void *conn)
{
    struct gtls_client *c = conn;
    if (c->session != NULL && c->handshake_done)
        (void)gnutls_bye(c->session, GNUTLS_SHUT_WR); /* SHUT_RDWR waits for the peer */
}

static void gtls_cleanup(void *conn)
{
    struct gtls_client *c = conn;
    if (c->session != NULL)
        gnutls_deinit(c->session);
    free(c->server_name);
    c->session = NULL;
    c->server_name = NULL;
}

static void gtls_release(void *config)
{
    struct gtls_config *k = config;
    if (k->priority != NULL)
        gnutls_priority_deinit(k->priority);
    if (k->cred != NULL)
        gnutls_certificate_free_credentials(k->cred);
    k->priority = NULL;
    k->cred = NULL;
}

static const struct tq_tls_client_ops tq_gnutls_ops = {
    .name = "gnutls",
    .versions = TQ_VERSION_BIT(TQ_TLS_1_0) | TQ_VERSION_BIT(TQ_TLS_1_1) |
                TQ_VERSION_BIT(TQ_TLS_1_2) | TQ_VERSION_BIT(TQ_TLS_1_3),
    .client_key_types = TQ_KEY_RSA | TQ_KEY_EC,
    .features = TQ_FEAT_SNI | TQ_FEAT_NO_SNI | TQ_FEAT_ALPN | TQ_FEAT_CRL | TQ_FEAT_CLIENT_CERT |
                TQ_FEAT_VERIFY_TIME | TQ_FEAT_MFL | TQ_FEAT_GROUPS | TQ_FEAT_SIGALGS |
                TQ_FEAT_SUITES | TQ_FEAT_NO_VERIFY,
    .config_size = sizeof(struct gtls_config),
    .conn_size = sizeof(struct gtls_client),
    .global_init = gtls_global_init,
    .library_version = gtls_library_version,
    .list_names = gtls_list_names,
    .configure = gtls_configure,
    .release = gtls_release,
    .open = gtls_open,
    .handshake = gtls_handshake,
    .read = gtls_read,
    .write = gtls_write,
    .describe = gtls_describe,
    .close = gtls_close,
    .cleanup = gtls_cleanup,
};

int main(int argc, char **argv)
{
    return tq_backend_main(&tq_gnutls_ops, argc, argv);
}
