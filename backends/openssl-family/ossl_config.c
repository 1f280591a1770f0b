/* ossl_config.c: a `struct tq_client_config` turned into an SSL_CTX (its [context] members)
 * and an SSL per connection (the [connection] members), for both libraries of the family; the
 * versions and suites are the library's own (ossl_lib.set_policy).
 * Every requested name is checked on its own before the list is applied, because OpenSSL
 * silently drops unknown names from a list that holds at least one known name. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>

#include "ossl.h"

/* IANA group and signature-algorithm names, with OpenSSL's spelling where it differs. */
struct name_alias {
    const char *iana;
    const char *openssl;
};

static const struct name_alias group_names[] = {
    {"secp256r1", "P-256"},
    {"secp384r1", "P-384"},
    {"secp521r1", "P-521"},
    {"x25519", "X25519"},
    {"x448", "X448"},
    {"ffdhe2048", "ffdhe2048"},
    {"ffdhe3072", "ffdhe3072"},
    {"ffdhe4096", "ffdhe4096"},
    {"ffdhe6144", "ffdhe6144"},
    {"ffdhe8192", "ffdhe8192"},
    {"brainpoolP256r1", "brainpoolP256r1"},
    {"brainpoolP384r1", "brainpoolP384r1"},
    {"brainpoolP512r1", "brainpoolP512r1"},
};

static const struct name_alias sigalg_names[] = {
    {"rsa_pkcs1_sha1", "RSA+SHA1"},
    {"ecdsa_sha1", "ECDSA+SHA1"},
    {"rsa_pkcs1_sha256", "rsa_pkcs1_sha256"},
    {"rsa_pkcs1_sha384", "rsa_pkcs1_sha384"},
    {"rsa_pkcs1_sha512", "rsa_pkcs1_sha512"},
    {"ecdsa_secp256r1_sha256", "ecdsa_secp256r1_sha256"},
    {"ecdsa_secp384r1_sha384", "ecdsa_secp384r1_sha384"},
    {"ecdsa_secp521r1_sha512", "ecdsa_secp521r1_sha512"},
    {"rsa_pss_rsae_sha256", "rsa_pss_rsae_sha256"},
    {"rsa_pss_rsae_sha384", "rsa_pss_rsae_sha384"},
    {"rsa_pss_rsae_sha512", "rsa_pss_rsae_sha512"},
    {"rsa_pss_pss_sha256", "rsa_pss_pss_sha256"},
    {"rsa_pss_pss_sha384", "rsa_pss_pss_sha384"},
    {"rsa_pss_pss_sha512", "rsa_pss_pss_sha512"},
    {"ed25519", "ed25519"},
    {"ed448", "ed448"},
};

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

static const char *alias_of(const struct name_alias *table, size_t n, const char *iana)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].iana, iana) == 0)
            return table[i].openssl;
    }
    return NULL;
}

/* SSL_CTX_set1_curves_list: BoringSSL's name; OpenSSL 3 keeps it for SSL_CTX_set1_groups_list. */
static int set_groups(SSL_CTX *ctx, const char *list)
{
    return (int)SSL_CTX_set1_curves_list(ctx, list);
}
static int set_sigalgs(SSL_CTX *ctx, const char *list)
{
    return (int)SSL_CTX_set1_sigalgs_list(ctx, list);
}

/* see ossl.h */
SSL_CTX *ossl_new_full_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx != NULL && !ossl_lib.enable_all_suites(ctx)) {
        SSL_CTX_free(ctx);
        ctx = NULL;
    }
    ERR_clear_error();
    return ctx;
}

/* see ossl.h */
const SSL_CIPHER *ossl_find_suite(SSL_CTX *full, const char *iana)
{
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(full);
    /* The cast: sk_SSL_CIPHER_num is an int in OpenSSL and a size_t in BoringSSL. */
    for (size_t i = 0; sk != NULL && i < (size_t)sk_SSL_CIPHER_num(sk); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        const char *std = SSL_CIPHER_standard_name(c);
        if (std != NULL && strcmp(std, iana) == 0 && ossl_lib.usable(c))
            return c;
    }
    return NULL;
}

static void list_table(const struct name_alias *table, size_t n,
                       int (*apply)(SSL_CTX *, const char *), struct tq_name_sink *sink)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    for (size_t i = 0; ctx != NULL && i < n; i++) {
        if (apply(ctx, table[i].openssl) == 1)
            tq_name_sink_add(sink, table[i].iana);
    }
    ERR_clear_error();
    SSL_CTX_free(ctx);
}

static void list_suites(struct tq_name_sink *sink)
{
    for (size_t i = 0; i < ossl_lib.num_fixed_suites; i++)
        tq_name_sink_add(sink, ossl_lib.fixed_suites[i]);
    SSL_CTX *full = ossl_new_full_ctx();
    if (full == NULL)
        return;
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(full);
    for (size_t i = 0; sk != NULL && i < (size_t)sk_SSL_CIPHER_num(sk); i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        if (ossl_lib.usable(c) && SSL_CIPHER_standard_name(c) != NULL)
            tq_name_sink_add(sink, SSL_CIPHER_standard_name(c));
    }
    SSL_CTX_free(full);
}

/* see ossl.h */
void ossl_list_names(enum tq_name_kind kind, struct tq_name_sink *sink)
{
    switch (kind) {
    case TQ_NAMES_SUITES:
        list_suites(sink);
        return;
    case TQ_NAMES_GROUPS:
        list_table(group_names, NUM(group_names), set_groups, sink);
        return;
    case TQ_NAMES_SIGALGS:
        list_table(sigalg_names, NUM(sigalg_names), set_sigalgs, sink);
        return;
    }
}

/* see ossl.h */
bool ossl_append_name(char *buf, size_t buf_len, const char *name)
{
    size_t used = strlen(buf);
    int n = snprintf(buf + used, buf_len - used, "%s%s", used ? ":" : "", name);
    return n >= 0 && (size_t)n < buf_len - used;
}

/* set_named applies a group or sigalg list after checking each name alone. */
static tq_status set_named(SSL_CTX *ctx, struct tq_outcome *out, const struct tq_str_list *names,
                           const struct name_alias *table, size_t n,
                           int (*apply)(SSL_CTX *, const char *), const char *what)
{
    char list[4096] = "";
    for (size_t i = 0; i < names->num; i++) {
        const char *name = alias_of(table, n, names->items[i]);
        if (name == NULL || apply(ctx, name) != 1) {
            char reason[128];
            snprintf(reason, sizeof(reason), "%s %s", what, names->items[i]);
            return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, reason);
        }
        if (!ossl_append_name(list, sizeof(list), name))
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "too many %s", what);
    }
    if (names->num == 0 || apply(ctx, list) != 1)
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, what);
    return TQ_SUCCESS;
}

static int proto_of(enum tq_tls_version v)
{
    static const int protos[] = {
        [TQ_TLS_ANY] = 0,
        [TQ_TLS_1_0] = TLS1_VERSION,
        [TQ_TLS_1_1] = TLS1_1_VERSION,
        [TQ_TLS_1_2] = TLS1_2_VERSION,
        [TQ_TLS_1_3] = TLS1_3_VERSION,
    };
    return protos[v];
}

/* see ossl.h */
tq_status ossl_set_versions(SSL_CTX *ctx, struct tq_outcome *out, enum tq_tls_version min,
                            enum tq_tls_version max)
{
    /* The cast: BoringSSL takes a uint16_t, OpenSSL's macro a long. */
    if (SSL_CTX_set_min_proto_version(ctx, (uint16_t)proto_of(min)) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, (uint16_t)proto_of(max)) != 1)
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "versions");
    return TQ_SUCCESS;
}

static tq_status set_protocol(SSL_CTX *ctx, struct tq_outcome *out,
                              const struct tq_client_config *cfg)
{
    TQ_GUARD(ossl_lib.set_policy(ctx, out, cfg));
    if (cfg->groups.present)
        TQ_GUARD(
            set_named(ctx, out, &cfg->groups, group_names, NUM(group_names), set_groups, "groups"));
    if (cfg->sigalgs.present)
        TQ_GUARD(set_named(ctx, out, &cfg->sigalgs, sigalg_names, NUM(sigalg_names), set_sigalgs,
                           "sigalgs"));
    return TQ_SUCCESS;
}

static void bio_free_ptr(BIO **b)
{
    BIO_free(*b);
}

/* add_crls adds every CRL in the PEM file `path` to the store. */
static tq_status add_crls(struct tq_outcome *out, X509_STORE *store, const char *path)
{
    BIO *bio TQ_DEFER(bio_free_ptr) = BIO_new_file(path, "r");
    if (bio == NULL)
        return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, path);
    int added = 0;
    for (int i = 0; i < 1000; i++) {
        X509_CRL *crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
        if (crl == NULL)
            break;
        int ok = X509_STORE_add_crl(store, crl);
        X509_CRL_free(crl);
        if (ok != 1)
            return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, path);
        added++;
    }
    ERR_clear_error(); /* the loop ends on PEM_R_NO_START_LINE */
    if (added == 0)
        return tq_outcome_fail(out, TQ_OUT_CONFIG_ERROR, "no CRL in %s", path);
    return TQ_SUCCESS;
}

static tq_status set_trust(SSL_CTX *ctx, struct tq_outcome *out, const struct tq_client_config *cfg)
{
    for (size_t i = 0; i < cfg->trust.num; i++) {
        if (SSL_CTX_load_verify_locations(ctx, cfg->trust.items[i], NULL) != 1)
            return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, cfg->trust.items[i]);
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    for (size_t i = 0; i < cfg->crl.num; i++)
        TQ_GUARD(add_crls(out, store, cfg->crl.items[i]));
    if (cfg->crl.present)
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    SSL_CTX_set_verify(ctx, cfg->verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       ossl_lib.verify_cb);
    return TQ_SUCCESS;
}

/* add_chain sends every certificate of the PEM file `path` after the leaf. */
static tq_status add_chain(SSL_CTX *ctx, struct tq_outcome *out, const char *path)
{
    BIO *bio TQ_DEFER(bio_free_ptr) = BIO_new_file(path, "r");
    if (bio == NULL)
        return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, path);
    for (int i = 0; i < 100; i++) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL)
            break;
        int ok = (int)SSL_CTX_add0_chain_cert(ctx, x);
        if (ok != 1) {
            X509_free(x);
            return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, path);
        }
    }
    ERR_clear_error();
    return TQ_SUCCESS;
}

static tq_status set_client_cert(SSL_CTX *ctx, struct tq_outcome *out,
                                 const struct tq_client_config *cfg)
{
    if (cfg->cert == NULL)
        return TQ_SUCCESS;
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1)
        return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, cfg->cert);
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1)
        return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, cfg->key);
    if (SSL_CTX_check_private_key(ctx) != 1)
        return ossl_config_fail(out, TQ_OUT_CONFIG_ERROR, "key does not match cert");
    if (cfg->chain != NULL)
        TQ_GUARD(add_chain(ctx, out, cfg->chain));
    return TQ_SUCCESS;
}

static tq_status set_extensions(SSL_CTX *ctx, struct tq_outcome *out,
                                const struct tq_client_config *cfg)
{
    if (cfg->alpn.present) {
        unsigned char wire[256 * 257];
        size_t len = 0;
        for (size_t i = 0; i < cfg->alpn.num; i++) {
            size_t n = strlen(cfg->alpn.items[i]);
            wire[len++] = (unsigned char)n;
            memcpy(wire + len, cfg->alpn.items[i], n);
            len += n;
        }
        if (SSL_CTX_set_alpn_protos(ctx, wire, (unsigned)len) != 0)
            return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "alpn");
    }
    if (cfg->max_fragment_length != 0 && ossl_lib.set_max_fragment_length == NULL)
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "max_fragment_length");
    if (cfg->max_fragment_length != 0)
        TQ_GUARD(ossl_lib.set_max_fragment_length(ctx, out, cfg->max_fragment_length));
    return TQ_SUCCESS;
}

/* info_callback records the alerts sent and received; the first fatal one is kept. */
static void info_callback(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_ALERT))
        return;
    struct ossl_client *c = SSL_get_app_data(ssl);
    bool fatal = ((ret >> 8) & 0xff) == SSL3_AL_FATAL;
    int desc = ret & 0xff;
    if ((where & SSL_CB_READ) && !c->received_fatal) {
        c->alert_received = desc + 1;
        c->received_fatal = fatal;
    } else if ((where & SSL_CB_WRITE) && !c->sent_fatal) {
        c->alert_sent = desc + 1;
        c->sent_fatal = fatal;
    }
}

static tq_status set_peer_name(struct ossl_client *c, struct tq_outcome *out,
                               const struct tq_client_config *cfg)
{
    X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
    if (cfg->has_verify_time)
        X509_VERIFY_PARAM_set_time(param, (time_t)cfg->verify_time);
    const char *name = cfg->server_name;
    if (name == NULL)
        return TQ_SUCCESS;
    bool ip = tq_is_ip_literal(name);
    /* RFC 6066 section 3: "Literal IPv4 and IPv6 addresses are not permitted in HostName". */
    if (cfg->send_sni && !ip && SSL_set_tlsext_host_name(c->ssl, name) != 1)
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "server_name as SNI");
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name)
                : X509_VERIFY_PARAM_set1_host(param, name, strlen(name));
    if (ok != 1)
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "server_name verification");
    return TQ_SUCCESS;
}

/* see ossl.h */
tq_status ossl_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg)
{
    struct ossl_config *k = config;
    ERR_clear_error();
    k->ctx = SSL_CTX_new(TLS_client_method());
    if (k->ctx == NULL)
        return ossl_config_fail(out, TQ_OUT_UNMAPPED, "SSL_CTX_new");
    /* The context serves many cases: it keeps no client session (no SSL_set_session is ever
     * called either), so every case is a full handshake. Tickets stay offered as before: the
     * ClientHello does not change. */
    SSL_CTX_set_session_cache_mode(k->ctx, SSL_SESS_CACHE_OFF);
    TQ_GUARD(set_protocol(k->ctx, out, cfg));
    TQ_GUARD(set_trust(k->ctx, out, cfg));
    TQ_GUARD(set_client_cert(k->ctx, out, cfg));
    TQ_GUARD(set_extensions(k->ctx, out, cfg));
    SSL_CTX_set_info_callback(k->ctx, info_callback);
    return TQ_SUCCESS;
}

/* see ossl.h */
tq_status ossl_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg)
{
    struct ossl_client *c = conn;
    const struct ossl_config *k = config;
    ERR_clear_error();
    c->ssl = SSL_new(k->ctx);
    if (c->ssl == NULL)
        return ossl_config_fail(out, TQ_OUT_UNMAPPED, "SSL_new");
    SSL_set_app_data(c->ssl, c);
    return set_peer_name(c, out, cfg);
}
