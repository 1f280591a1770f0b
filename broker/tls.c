/* The TLS server context and the per-handshake callbacks. */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bytes.h"
#include "hello.h"
#include "outcome_vocab.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A refusal from the verify callback reaches the wire through OpenSSL's X509-error-to-alert
 * table (ssl_x509err2alert in ssl/statem/statem_lib.c). Each alert is reached by one X509
 * error: X509_V_ERR_SUBJECT_ISSUER_MISMATCH is absent from that table, which maps anything
 * absent to certificate_unknown. */
static const struct {
    const char *name;
    int code;
    int x509_error;
} refusal_alerts[] = {
    {"certificate_unknown", 46, X509_V_ERR_SUBJECT_ISSUER_MISMATCH},
    {"bad_certificate", 42, X509_V_ERR_CERT_REJECTED},
    {"certificate_revoked", 44, X509_V_ERR_CERT_REVOKED},
    {"handshake_failure", 40, X509_V_ERR_APPLICATION_VERIFICATION},
};

/* Server leaves per endpoint type, by artifact name (docs/pki.md). The first is required; the
 * second is loaded when the PKI has it (docs/aws-iot/server-chains.md#chain-selection: "The
 * chain that is presented depends on ... the cipher suite"). The legacy endpoint has one RSA
 * chain for every suite (docs/aws-iot/server-chains.md#legacy-verisign-chain) and no chain
 * variants. */
static const struct {
    const char *endpoint;
    const char *leaves[2];
    bool has_variants;
} endpoint_chains[] = {
    {.endpoint = "ats", .leaves = {"ats-server-rsa", "ats-server-ecdsa"}, .has_variants = true},
    {.endpoint = "legacy", .leaves = {"legacy-server-rsa", NULL}, .has_variants = false},
};

/* The artifact-name suffix of each chain variant (docs/pki.md: ats-server-rsa-cross, ...). */
static const struct {
    const char *name;
    const char *suffix;
} chain_variants[] = {
    [TQ_CHAIN_SHORT] = {"short", ""},
    [TQ_CHAIN_CROSS] = {"cross", "-cross"},
    [TQ_CHAIN_CROSS_G2] = {"cross-g2", "-cross-g2"},
};

/* see tls.h */
const char *tq_tls_alert_name(int code)
{
    const char *word = tq_alert_word(code); /* the one vocabulary (common/outcome_vocab.h) */
    return word != NULL ? word : "unknown";
}

/* see tls.h */
int tq_tls_refusal_alert_code(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(refusal_alerts); i++)
        if (strcmp(refusal_alerts[i].name, name) == 0)
            return refusal_alerts[i].code;
    return -1;
}

static int refusal_x509_error(int alert)
{
    for (size_t i = 0; i < ARRAY_LEN(refusal_alerts); i++)
        if (refusal_alerts[i].code == alert)
            return refusal_alerts[i].x509_error;
    return refusal_alerts[0].x509_error;
}

/* see tls.h */
bool tq_tls_endpoint_known(const char *endpoint)
{
    for (size_t i = 0; i < ARRAY_LEN(endpoint_chains); i++)
        if (strcmp(endpoint_chains[i].endpoint, endpoint) == 0)
            return true;
    return false;
}

/* see tls.h */
const char *tq_tls_chain_variant_name(enum tq_chain_variant chain)
{
    return chain_variants[chain].name;
}

/* see tls.h */
void tq_tls_cert_id(X509 *cert, char out[65])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    out[0] = '\0';
    if (cert != NULL && X509_digest(cert, EVP_sha256(), md, &md_len) == 1 && md_len == 32)
        tq_hex(out, md, md_len);
}

/* see tls.h */
X509 *tq_tls_pem_x509(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    return x;
}

/* see tls.h */
X509 *tq_tls_entry_x509(const struct tq_registry_entry *entry)
{
    if (entry->pem != NULL)
        return tq_tls_pem_x509(entry->pem);
    FILE *f = fopen(entry->cert, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    ERR_clear_error();
    return x;
}

static void describe_leaf(struct tq_tls_peer *peer, X509 *leaf)
{
    tq_tls_cert_id(leaf, peer->cert_id);
    peer->subject[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || leaf == NULL) {
        BIO_free(bio);
        return;
    }
    X509_NAME_print_ex(bio, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253);
    int n = BIO_read(bio, peer->subject, (int)sizeof(peer->subject) - 1);
    peer->subject[n > 0 ? n : 0] = '\0';
    BIO_free(bio);
}

static const char *chain_refusal(int x509_error)
{
    switch (x509_error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return "unknown_ca";
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "not_yet_valid";
    case X509_V_ERR_CERT_REVOKED:
        return "crl_revoked";
    default:
        return "invalid";
    }
}

static bool is_validity_error(int x509_error)
{
    return x509_error == X509_V_ERR_CERT_HAS_EXPIRED || x509_error == X509_V_ERR_CERT_NOT_YET_VALID;
}

/* chain_error decides about one chain error; it returns what the verify callback returns. */
static int chain_error(X509_STORE_CTX *store, struct tq_tls_peer *peer,
                       const struct tq_tls_settings *settings)
{
    int err = X509_STORE_CTX_get_error(store);
    /* --validity ignore: docs/aws-iot/client-certificates.md#validity-at-connect, AWS may
     * accept it (undocumented). */
    if (is_validity_error(err) && settings->validity == TQ_VALIDITY_IGNORE) {
        peer->validity_ignored = chain_refusal(err);
        return 1;
    }
    /* --crl on: a CA that publishes no CRL has nothing to check (soft fail). */
    if (err == X509_V_ERR_UNABLE_TO_GET_CRL)
        return 1;
    if (peer->refusal == NULL) {
        peer->verify_error = err;
        peer->refusal = chain_refusal(err);
    }
    if (!is_validity_error(err))
        return 0;
    /* A validity refusal follows --refusal, like a registry one. In the handshake its alert is
     * certificate_expired for both cases: RFC 8446 section 6.2, "certificate_expired: A
     * certificate has expired or is not currently valid" (OpenSSL alone would send
     * bad_certificate for a certificate not yet valid). */
    if (!settings->refuse_in_handshake)
        return 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_HAS_EXPIRED);
    return 0;
}

/* check_jitr marks an unregistered leaf for just-in-time registration when its issuer is a
 * registered ACTIVE CA with auto-registration on (docs/aws-iot/client-certificates.md#ca-status:
 * an INACTIVE CA's client certificates are not auto-registered). */
static void check_jitr(X509_STORE_CTX *store, struct tq_tls_peer *peer,
                       const struct tq_registry *registry)
{
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(store);
    if (chain == NULL || sk_X509_num(chain) < 2 || peer->jitr_leaf != NULL)
        return;
    char ca_id[65];
    tq_tls_cert_id(sk_X509_value(chain, 1), ca_id);
    const struct tq_registry_entry *ca = tq_registry_find_ca(registry, ca_id);
    if (ca == NULL || !ca->auto_registration || strcmp(ca->status, "ACTIVE") != 0)
        return;
    X509 *leaf = sk_X509_value(chain, 0);
    if (X509_up_ref(leaf) != 1)
        return;
    peer->jitr_leaf = leaf;
    memcpy(peer->jitr_ca, ca_id, sizeof(peer->jitr_ca));
    peer->refusal = "pending_activation";
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct tq_tls_peer *peer = SSL_get_app_data(ssl);
    const struct tq_tls_settings *settings = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    /* The callback runs once per certificate of the chain and per error, always for the same
     * leaf: its digest and subject are computed once. */
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (leaf != peer->described) {
        describe_leaf(peer, leaf);
        peer->described = leaf;
    }
    if (!preverify_ok)
        return chain_error(store, peer, settings);
    if (X509_STORE_CTX_get_error_depth(store) != 0 || peer->refusal != NULL)
        return 1;
    const struct tq_registry_entry *entry = tq_registry_find(settings->registry, peer->cert_id);
    peer->refusal = tq_registry_refusal(entry);
    if (entry == NULL)
        check_jitr(store, peer, settings->registry);
    /* API Certificate.certificateMode SNI_ONLY: devices "must send the SNI extension"
     * (docs/aws-iot/client-certificates.md#sni-only-registration). */
    if (peer->refusal == NULL && entry->mode != NULL && strcmp(entry->mode, "SNI_ONLY") == 0 &&
        SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) == NULL)
        peer->refusal = "sni_required";
    if (peer->refusal == NULL || !settings->refuse_in_handshake)
        return 1;
    X509_STORE_CTX_set_error(store, refusal_x509_error(settings->refusal_alert));
    return 0;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    struct tq_tls_peer *peer = SSL_get_app_data(ssl);
    if (peer == NULL)
        return;
    if (where & SSL_CB_HANDSHAKE_START) /* a renegotiation may bring another leaf */
        peer->described = NULL;
    if ((where & SSL_CB_ALERT) == 0)
        return;
    int *slot = (where & SSL_CB_READ) ? &peer->alert_received : &peer->alert_sent;
    if (*slot <= 0) /* keep a fatal alert rather than the close_notify after it */
        *slot = ret & 0xff;
}

/* msg_cb keeps a summary of the first ClientHello, read from the raw handshake message so that
 * every extension is seen in wire order. */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
                   SSL *ssl, void *arg)
{
    (void)version, (void)arg;
    const uint8_t *msg = buf;
    struct tq_tls_peer *peer = SSL_get_app_data(ssl);
    if (write_p || content_type != SSL3_RT_HANDSHAKE || len == 0 ||
        msg[0] != SSL3_MT_CLIENT_HELLO || peer == NULL || peer->hello != NULL)
        return;
    struct tq_diag diag = {0};
    if (!tq_ok(tq_hello_summarize(&diag, &peer->hello, ssl, msg, len)))
        peer->hello = json_pack("{s:s}", "malformed", diag.msg);
}

/* docs/aws-iot/endpoints.md#alpn-443: "x-amzn-mqtt-ca" selects MQTT with X.509 client
 * certificates. The other protocols of that table
 * (docs/aws-iot/endpoints.md#ports-and-protocols) are not served here, so they are not
 * acknowledged on an mqtt listener. On an alpn (443-style) listener a client offering none of
 * ours is refused: RFC 7301 section 3.2, "In the event that the server supports no protocols
 * that the client advertises, then the server SHALL respond with a fatal
 * 'no_application_protocol' alert" (OpenSSL sends it for SSL_TLSEXT_ERR_ALERT_FATAL). */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                   const unsigned char *in, unsigned in_len, void *arg)
{
    const struct tq_tls_settings *settings = arg;
    static const unsigned char mqtt_ca[] = "\x0ex-amzn-mqtt-ca";
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, out_len, mqtt_ca, sizeof(mqtt_ca) - 1, in, in_len) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    if (settings->listener != TQ_LISTENER_ALPN)
        return SSL_TLSEXT_ERR_NOACK;
    struct tq_tls_peer *peer = SSL_get_app_data(ssl);
    peer->alpn_refusal = "mismatch";
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The ALPN callback only runs when the client sent ALPN. On an alpn listener, a ClientHello
 * without it is a client that wants HTTPS or WebSockets with SigV4 or custom authentication on
 * 443 (docs/aws-iot/endpoints.md#alpn-443), none of which this mock serves: it is refused with
 * the same no_application_protocol alert (a documented choice; AWS's own answer is not
 * documented). */
static int client_hello_cb(SSL *ssl, int *alert, void *arg)
{
    const struct tq_tls_settings *settings = arg;
    const unsigned char *ext = NULL;
    size_t ext_len = 0;
    if (settings->listener != TQ_LISTENER_ALPN ||
        SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
                                  &ext_len) == 1)
        return SSL_CLIENT_HELLO_SUCCESS;
    struct tq_tls_peer *peer = SSL_get_app_data(ssl);
    peer->alpn_refusal = "missing";
    *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
    return SSL_CLIENT_HELLO_ERROR;
}

/* Which alert a bad SNI gets is not documented (docs/aws-iot/endpoints.md#sni-host-name). A
 * missing one gets missing_extension (RFC 8446 section 9.2), a wrong one unrecognized_name
 * (RFC 6066 section 3). */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
    (void)arg;
    const struct tq_tls_settings *settings = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    struct tq_tls_peer *peer = SSL_get_app_data(ssl);
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (settings->sni_mode == TQ_SNI_OPTIONAL)
        return SSL_TLSEXT_ERR_OK;
    if (sni == NULL) {
        peer->sni_refusal = "missing";
        *alert = SSL_AD_MISSING_EXTENSION;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    if (settings->sni_mode == TQ_SNI_ENDPOINT &&
        (settings->endpoint_host == NULL || strcasecmp(sni, settings->endpoint_host) != 0)) {
        peer->sni_refusal = "mismatch";
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

static tq_status openssl_fail(struct tq_diag *diag, const char *path, const char *what)
{
    char err[256] = "no detail";
    unsigned long e = ERR_peek_last_error();
    if (e != 0)
        ERR_error_string_n(e, err, sizeof(err));
    ERR_clear_error();
    return tq_diag_fail(diag, TQ_ERR_CRYPTO, path, 0, "%s: %s", what, err);
}

static tq_status load_chain(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_artifact *a)
{
    const char *chain = a->chain ? a->chain : a->cert;
    if (a->key == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, a->cert, 0, "artifact %s has no key", a->name);
    if (SSL_CTX_use_certificate_chain_file(ctx, chain) != 1)
        return openssl_fail(diag, chain, "cannot load the server chain");
    if (SSL_CTX_use_PrivateKey_file(ctx, a->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
        return openssl_fail(diag, a->key, "cannot load the server key");
    return TQ_SUCCESS;
}

/* serve loads artifact `name`'s chain and key and records it in settings->served. A missing
 * optional artifact is skipped. */
static tq_status serve(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_manifest *m,
                       struct tq_tls_settings *settings, const char *name, bool required)
{
    const struct tq_artifact *a = tq_manifest_find(m, name);
    if (a == NULL && !required)
        return TQ_SUCCESS;
    if (a == NULL && settings->server_cert != NULL)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, tq_manifest_dir(m), 0,
                            "--server-cert %s: manifest.json has no such artifact", name);
    if (a == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, tq_manifest_dir(m), 0,
                            "manifest.json has no artifact %s (the %s server chain)", name,
                            settings->endpoint);
    TQ_GUARD(load_chain(diag, ctx, a));
    settings->served[settings->served[0] != NULL] = a->name;
    return TQ_SUCCESS;
}

/* struct ec_chain is the ECDSA chain held apart, for TLS 1.3 connections (see choose_chain_cb). */
struct ec_chain {
    X509 *leaf;
    STACK_OF(X509) * extra;
    EVP_PKEY *key;
};

static void ec_chain_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                          void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    struct ec_chain *ec = ptr;
    if (ec == NULL)
        return;
    X509_free(ec->leaf);
    sk_X509_pop_free(ec->extra, X509_free);
    EVP_PKEY_free(ec->key);
    free(ec);
}

/* The SSL_CTX ex-data slot that owns the struct ec_chain (freed with the SSL_CTX). */
static int ec_chain_slot = -1;
static pthread_once_t ec_chain_slot_once = PTHREAD_ONCE_INIT;

static void ec_chain_slot_init(void)
{
    ec_chain_slot = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ec_chain_free);
}

static bool client_offers_ecdsa(SSL *ssl)
{
    int num = SSL_get_sigalgs(ssl, -1, NULL, NULL, NULL, NULL, NULL);
    for (int i = 0; i < num; i++) {
        int sign = NID_undef;
        SSL_get_sigalgs(ssl, i, &sign, NULL, NULL, NULL, NULL);
        if (sign == EVP_PKEY_EC)
            return true;
    }
    return false;
}

/* choose_chain_cb applies the chain rule of docs/aws-iot/server-chains.md#chain-selection to
 * TLS 1.3 (an ECDHE-ECDSA suite, or TLS 1.3 with ECDSA in signature_algorithms, gets a P-256
 * leaf chaining to Root CA 3). In TLS 1.2 the suite decides and OpenSSL picks the matching
 * chain itself; in TLS 1.3 OpenSSL would follow the client's signature-algorithm order, so a
 * client listing RSA-PSS first would get the RSA chain although it offers ECDSA. */
static int choose_chain_cb(SSL *ssl, void *arg)
{
    const struct ec_chain *ec = arg;
    if (SSL_version(ssl) != TLS1_3_VERSION || !client_offers_ecdsa(ssl))
        return 1;
    SSL_certs_clear(ssl);
    return SSL_use_cert_and_key(ssl, ec->leaf, ec->key, ec->extra, 1) == 1 ? 1 : 0;
}

/* hold_ec_chain reads artifact `a`'s chain and key into a struct ec_chain owned by `ctx` and
 * installs choose_chain_cb. */
static tq_status hold_ec_chain(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_artifact *a)
{
    const char *path = a->chain ? a->chain : a->cert;
    struct ec_chain *ec = calloc(1, sizeof(*ec));
    TQ_ENSURE(ec != NULL, TQ_ERR_NOMEM);
    pthread_once(&ec_chain_slot_once, ec_chain_slot_init);
    if (ec_chain_slot < 0 || !SSL_CTX_set_ex_data(ctx, ec_chain_slot, ec)) {
        free(ec);
        return openssl_fail(diag, path, "cannot keep the ECDSA chain");
    }
    FILE *f = fopen(path, "r");
    ec->extra = sk_X509_new_null();
    ec->leaf = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    for (X509 *x; f && ec->extra && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL;)
        sk_X509_push(ec->extra, x);
    if (f)
        fclose(f);
    ERR_clear_error(); /* the loop ends on the PEM reader's "no start line" */
    f = fopen(a->key, "r");
    ec->key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (ec->leaf == NULL || ec->extra == NULL || ec->key == NULL)
        return openssl_fail(diag, path, "cannot read the ECDSA chain and key");
    SSL_CTX_set_cert_cb(ctx, choose_chain_cb, ec);
    return TQ_SUCCESS;
}

static tq_status load_chains(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_manifest *m,
                             struct tq_tls_settings *settings)
{
    settings->served[0] = settings->served[1] = NULL;
    /* --server-cert serves deliberately bad chains (SHA-1 intermediate, weak keys) so that
     * clients can be seen rejecting them: OpenSSL must not refuse to load them first. */
    if (settings->server_cert != NULL)
        SSL_CTX_set_security_level(ctx, 0);
    if (settings->server_cert != NULL)
        return serve(diag, ctx, m, settings, settings->server_cert, true);
    for (size_t i = 0; i < ARRAY_LEN(endpoint_chains); i++) {
        if (strcmp(endpoint_chains[i].endpoint, settings->endpoint) != 0)
            continue;
        if (settings->chain != TQ_CHAIN_SHORT && !endpoint_chains[i].has_variants)
            return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                                "--chain %s: the %s endpoint has "
                                "one chain only (want --chain short)",
                                chain_variants[settings->chain].name, settings->endpoint);
        for (size_t k = 0; k < ARRAY_LEN(endpoint_chains[i].leaves); k++) {
            char name[128];
            if (endpoint_chains[i].leaves[k] == NULL)
                continue;
            snprintf(name, sizeof(name), "%s%s", endpoint_chains[i].leaves[k],
                     chain_variants[settings->chain].suffix);
            TQ_GUARD(serve(diag, ctx, m, settings, name, k == 0));
        }
        const struct tq_artifact *ec =
            settings->served[1] ? tq_manifest_find(m, settings->served[1]) : NULL;
        return ec ? hold_ec_chain(diag, ctx, ec) : TQ_SUCCESS;
    }
    return tq_diag_fail(diag, TQ_ERR_UNSUPPORTED, NULL, 0, "unknown endpoint type %s",
                        settings->endpoint);
}

/* trust adds registry entry `e`'s certificate to ctx's trust store. */
static tq_status trust(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_registry_entry *e,
                       const char *what)
{
    X509 *x = tq_tls_entry_x509(e);
    int ok = x != NULL && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x) == 1;
    X509_free(x);
    return ok ? TQ_SUCCESS : openssl_fail(diag, e->pem ? NULL : e->cert, what);
}

/* The device CAs go into the trust store only: AWS IoT cannot list every customer's CAs, so
 * the CertificateRequest carries no certificate_authorities (inference, not documented). */
static tq_status load_device_cas(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_registry *r)
{
    if (tq_registry_num_cas(r) == 0)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "registry.json lists no device CA");
    for (size_t i = 0; i < tq_registry_num_cas(r); i++)
        TQ_GUARD(trust(diag, ctx, tq_registry_ca(r, i), "cannot load device CA"));
    return TQ_SUCCESS;
}

/* A certificate registered without a CA (mode SNI_ONLY) is trusted as itself: it joins the
 * store, and X509_V_FLAG_PARTIAL_CHAIN lets a stored leaf end a chain. Only registry CAs and
 * such certificates are in the store, so nothing else becomes trusted. */
static tq_status load_sni_only(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_registry *r)
{
    for (size_t i = 0; i < tq_registry_num_certificates(r); i++) {
        const struct tq_registry_entry *e = tq_registry_certificate(r, i);
        if (e->mode == NULL || strcmp(e->mode, "SNI_ONLY") != 0)
            continue;
        TQ_GUARD(trust(diag, ctx, e, "cannot load SNI_ONLY certificate"));
    }
    X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx), X509_V_FLAG_PARTIAL_CHAIN);
    return TQ_SUCCESS;
}

/* load_device_crls adds the CRL of every registry CA whose artifact has one (docs/pki.md:
 * device-ca.crl.pem lists device-revoked) and checks the leaf against it. AWS IoT itself does not
 * (docs/aws-iot/client-certificates.md#revocation): this is --crl on only. */
static tq_status load_device_crls(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_manifest *m,
                                  const struct tq_registry *r)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    size_t num_crls = 0;
    for (size_t i = 0; i < tq_registry_num_cas(r); i++) {
        const struct tq_artifact *a = tq_manifest_find(m, tq_registry_ca(r, i)->name);
        if (a == NULL || a->crl == NULL)
            continue;
        if (X509_STORE_load_file(store, a->crl) != 1)
            return openssl_fail(diag, a->crl, "cannot load the device CA's CRL");
        num_crls++;
    }
    if (num_crls == 0)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, tq_manifest_dir(m), 0,
                            "--crl on: no registered device CA has a CRL in manifest.json");
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    return TQ_SUCCESS;
}

static tq_status apply_policy(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_policy *p)
{
    char tls12[1024], tls13[256];
    TQ_GUARD(tq_policy_cipher_list(tls12, sizeof(tls12), p, false));
    TQ_GUARD(tq_policy_cipher_list(tls13, sizeof(tls13), p, true));
    if (SSL_CTX_set_min_proto_version(ctx, p->min_version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, p->max_version) != 1 ||
        (tls12[0] != '\0' && SSL_CTX_set_cipher_list(ctx, tls12) != 1) ||
        SSL_CTX_set_ciphersuites(ctx, tls13) != 1)
        return openssl_fail(diag, NULL, "cannot apply the security policy");
    SSL_CTX_set_dh_auto(ctx, 1); /* DHE-RSA-AES256-SHA of the 2015_01 policy */
    return TQ_SUCCESS;
}

static tq_status configure(struct tq_diag *diag, SSL_CTX *ctx, const struct tq_manifest *m,
                           struct tq_tls_settings *settings)
{
    TQ_GUARD(apply_policy(diag, ctx, settings->policy));
    /* docs/aws-iot/tls.md#session-tickets: "AWS IoT Core doesn't support the SessionTicket TLS
     * extension". */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    /* A device that drops TCP without close_notify is a plain close (event reason peer_closed),
     * not a protocol error: OpenSSL 3 would otherwise fail it and "send" decode_error. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    SSL_CTX_set_info_callback(ctx, info_cb);
    SSL_CTX_set_msg_callback(ctx, msg_cb);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, settings);
    SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, settings);
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    SSL_CTX_set_app_data(ctx, settings);
    TQ_GUARD(load_chains(diag, ctx, m, settings));
    TQ_GUARD(load_device_cas(diag, ctx, settings->registry));
    if (settings->crl == TQ_CRL_ON)
        TQ_GUARD(load_device_crls(diag, ctx, m, settings->registry));
    return load_sni_only(diag, ctx, settings->registry);
}

/* see tls.h */
tq_status tq_tls_server_new(struct tq_diag *diag, SSL_CTX **out, const struct tq_manifest *m,
                            struct tq_tls_settings *settings)
{
    *out = NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return openssl_fail(diag, NULL, "cannot create the SSL_CTX");
    tq_status st = configure(diag, ctx, m, settings);
    if (!tq_ok(st)) {
        SSL_CTX_free(ctx);
        return st;
    }
    *out = ctx;
    return TQ_SUCCESS;
}

/* see tls.h */
void tq_tls_peer_attach(SSL *ssl, struct tq_tls_peer *peer)
{
    *peer = (struct tq_tls_peer){.alert_sent = -1, .alert_received = -1};
    SSL_set_app_data(ssl, peer);
}
