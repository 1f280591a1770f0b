/* mbedtls_config.c: a `struct tq_client_config` turned into an mbedtls_ssl_config (its
 * [context] members) and an mbedtls_ssl_context per connection (the [connection] members), and
 * the capability lists. */
#include <arpa/inet.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <stdio.h>
#include <string.h>

#include "mbedtls_internal.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* Key exchanges a case can use: PSK and EC J-PAKE need credentials a case cannot give. */
static bool usable(const mbedtls_ssl_ciphersuite_t *info)
{
    static const mbedtls_key_exchange_type_t kx[] = {
        MBEDTLS_KEY_EXCHANGE_RSA,       MBEDTLS_KEY_EXCHANGE_DHE_RSA,
        MBEDTLS_KEY_EXCHANGE_ECDHE_RSA, MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA,
        MBEDTLS_KEY_EXCHANGE_ECDH_RSA,  MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA,
    };
    for (size_t i = 0; info != NULL && i < NUM(kx); i++) {
        if (info->key_exchange == kx[i])
            return true;
    }
    return false;
}

static void iana_of(char *buf, size_t buf_len, const char *mbedtls_name)
{
    snprintf(buf, buf_len, "%s", mbedtls_name);
    for (char *p = buf; *p; p++)
        *p = *p == '-' ? '_' : *p;
}

/* see mbedtls_internal.h */
int mtls_suite_id(const char *iana)
{
    const int *ids = mbedtls_ssl_list_ciphersuites();
    for (size_t i = 0; ids[i] != 0 && i < 4096; i++) {
        const mbedtls_ssl_ciphersuite_t *info = mbedtls_ssl_ciphersuite_from_id(ids[i]);
        char name[128];
        iana_of(name, sizeof(name), mbedtls_ssl_get_ciphersuite_name(ids[i]));
        if (strcmp(name, iana) == 0 && usable(info))
            return ids[i];
    }
    return 0;
}

/* see mbedtls_internal.h */
void mtls_list_names(enum tq_name_kind kind, struct tq_name_sink *sink)
{
    if (kind == TQ_NAMES_SUITES) {
        const int *ids = mbedtls_ssl_list_ciphersuites();
        for (size_t i = 0; ids[i] != 0 && i < 4096; i++) {
            char name[128];
            iana_of(name, sizeof(name), mbedtls_ssl_get_ciphersuite_name(ids[i]));
            if (usable(mbedtls_ssl_ciphersuite_from_id(ids[i])))
                tq_name_sink_add(sink, name);
        }
    } else if (kind == TQ_NAMES_GROUPS) {
        const mbedtls_ecp_curve_info *curve = mbedtls_ecp_curve_list();
        for (size_t i = 0; curve[i].grp_id != MBEDTLS_ECP_DP_NONE && i < 64; i++)
            tq_name_sink_add(sink, curve[i].name); /* RFC 8422 / RFC 7027 spellings */
    }
    /* TQ_NAMES_SIGALGS: Mbed TLS 2.28 restricts only hashes (mbedtls_ssl_conf_sig_hashes),
     * never one signature scheme, so the backend does not declare the sigalgs feature. */
}

static tq_status set_suites(struct mtls_config *k, struct tq_outcome *out,
                            const struct tq_str_list *suites)
{
    if (suites->num > MTLS_MAX_SUITES)
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "more than %d suites", MTLS_MAX_SUITES);
    for (size_t i = 0; i < suites->num; i++) {
        k->suites[i] = mtls_suite_id(suites->items[i]);
        if (k->suites[i] == 0)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "suites %s", suites->items[i]);
    }
    k->suites[suites->num] = 0;
    mbedtls_ssl_conf_ciphersuites(&k->conf, k->suites);
    return TQ_SUCCESS;
}

static tq_status set_groups(struct mtls_config *k, struct tq_outcome *out,
                            const struct tq_str_list *groups)
{
    if (groups->num > MTLS_MAX_GROUPS)
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "more than %d groups", MTLS_MAX_GROUPS);
    for (size_t i = 0; i < groups->num; i++) {
        const mbedtls_ecp_curve_info *info = mbedtls_ecp_curve_info_from_name(groups->items[i]);
        if (info == NULL)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "groups %s", groups->items[i]);
        k->groups[i] = info->grp_id;
    }
    k->groups[groups->num] = MBEDTLS_ECP_DP_NONE;
    mbedtls_ssl_conf_curves(&k->conf, k->groups);
    return TQ_SUCCESS;
}

static void set_versions(struct mtls_config *k, const struct tq_client_config *cfg)
{
    static const int minor[] = {
        [TQ_TLS_1_0] = MBEDTLS_SSL_MINOR_VERSION_1,
        [TQ_TLS_1_1] = MBEDTLS_SSL_MINOR_VERSION_2,
        [TQ_TLS_1_2] = MBEDTLS_SSL_MINOR_VERSION_3,
    };
    /* The driver has already refused TLS 1.3 (not in ops.versions). */
    if (cfg->min_version != TQ_TLS_ANY)
        mbedtls_ssl_conf_min_version(&k->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                     minor[cfg->min_version]);
    if (cfg->max_version != TQ_TLS_ANY)
        mbedtls_ssl_conf_max_version(&k->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                     minor[cfg->max_version]);
}

static tq_status set_trust(struct mtls_config *k, struct tq_outcome *out,
                           const struct tq_client_config *cfg)
{
    for (size_t i = 0; i < cfg->trust.num; i++) {
        int ret = mbedtls_x509_crt_parse_file(&k->ca, cfg->trust.items[i]);
        if (ret != 0) /* > 0: that many certificates in the file failed to parse */
            return mtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret < 0 ? ret : 0,
                                    cfg->trust.items[i]);
    }
    for (size_t i = 0; i < cfg->crl.num; i++) {
        int ret = mbedtls_x509_crl_parse_file(&k->crl, cfg->crl.items[i]);
        if (ret != 0)
            return mtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->crl.items[i]);
    }
    /* An empty `ca` (no trust) still verifies, and finds no trusted root. */
    mbedtls_ssl_conf_ca_chain(&k->conf, &k->ca, cfg->crl.present ? &k->crl : NULL);
    /* verify_peer false: verify, report the verdict, but do not fail the handshake. */
    mbedtls_ssl_conf_authmode(&k->conf, cfg->verify_peer ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                         : MBEDTLS_SSL_VERIFY_OPTIONAL);
    return TQ_SUCCESS;
}

static tq_status set_client_cert(struct mtls_config *k, struct tq_outcome *out,
                                 const struct tq_client_config *cfg)
{
    if (cfg->cert == NULL)
        return TQ_SUCCESS;
    int ret = mbedtls_x509_crt_parse_file(&k->own, cfg->cert);
    /* A certificate that parses but uses an algorithm Mbed TLS lacks (DSA) is unsupported. */
    if (ret < 0 && ((-ret) & 0xff80) == -MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG)
        return mtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, cfg->cert);
    if (ret != 0)
        return mtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret < 0 ? ret : 0, cfg->cert);
    if (cfg->chain != NULL && (ret = mbedtls_x509_crt_parse_file(&k->own, cfg->chain)) != 0)
        return mtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret < 0 ? ret : 0, cfg->chain);
    if ((ret = mbedtls_pk_parse_keyfile(&k->key, cfg->key, NULL)) != 0)
        return mtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->key);
    if ((ret = mbedtls_pk_check_pair(&k->own.pk, &k->key)) != 0)
        return mtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, "key does not match cert");
    if ((ret = mbedtls_ssl_conf_own_cert(&k->conf, &k->own, &k->key)) != 0)
        return mtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->cert);
    return TQ_SUCCESS;
}

static tq_status set_extensions(struct mtls_config *k, struct tq_outcome *out,
                                const struct tq_client_config *cfg)
{
    if (cfg->alpn.present) {
        if (cfg->alpn.num > MTLS_MAX_ALPN)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "alpn: more than %d names",
                                   MTLS_MAX_ALPN);
        /* Copied: the context outlives the case (names are 1..255 bytes, backend_case.c). */
        for (size_t i = 0; i < cfg->alpn.num; i++) {
            snprintf(k->alpn_names[i], sizeof(k->alpn_names[i]), "%s", cfg->alpn.items[i]);
            k->alpn[i] = k->alpn_names[i];
        }
        k->alpn[cfg->alpn.num] = NULL;
        int ret = mbedtls_ssl_conf_alpn_protocols(&k->conf, k->alpn);
        if (ret != 0)
            return mtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "alpn");
    }
    if (cfg->max_fragment_length != 0) {
        unsigned char code = cfg->max_fragment_length == 512    ? MBEDTLS_SSL_MAX_FRAG_LEN_512
                             : cfg->max_fragment_length == 1024 ? MBEDTLS_SSL_MAX_FRAG_LEN_1024
                             : cfg->max_fragment_length == 2048 ? MBEDTLS_SSL_MAX_FRAG_LEN_2048
                                                                : MBEDTLS_SSL_MAX_FRAG_LEN_4096;
        int ret = mbedtls_ssl_conf_max_frag_len(&k->conf, code);
        if (ret != 0)
            return mtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "max_fragment_length");
    }
    return TQ_SUCCESS;
}

/* set_peer_name: a DNS name is sent as SNI and checked by Mbed TLS (one call does both); an IP
 * literal is never sent (RFC 6066 section 3) and is checked by mtls_verify. */
static tq_status set_peer_name(struct mtls_client *c, struct tq_outcome *out,
                               const struct tq_client_config *cfg)
{
    const char *name = cfg->server_name;
    if (name == NULL)
        return TQ_SUCCESS;
    if (tq_is_ip_literal(name)) {
        c->check_ip = true;
        bool v4 = inet_pton(AF_INET, name, c->ip) == 1;
        c->ip_len = v4 ? 4 : 16;
        if (!v4 && inet_pton(AF_INET6, name, c->ip) != 1)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "server_name %s", name);
        return TQ_SUCCESS;
    }
    int ret = mbedtls_ssl_set_hostname(&c->ssl, name);
    if (ret != 0)
        return mtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "server_name");
    return TQ_SUCCESS;
}

static void init_config(struct mtls_config *k)
{
    mbedtls_entropy_init(&k->entropy);
    mbedtls_ctr_drbg_init(&k->drbg);
    mbedtls_ssl_config_init(&k->conf);
    mbedtls_x509_crt_init(&k->ca);
    mbedtls_x509_crl_init(&k->crl);
    mbedtls_x509_crt_init(&k->own);
    mbedtls_pk_init(&k->key);
    k->initialized = true;
}

/* see mbedtls_internal.h */
tq_status mtls_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg)
{
    struct mtls_config *k = config;
    init_config(k);
    static const unsigned char pers[] = "tlsqual-backend-mbedtls";
    int ret =
        mbedtls_ctr_drbg_seed(&k->drbg, mbedtls_entropy_func, &k->entropy, pers, sizeof(pers) - 1);
    if (ret != 0)
        return mtls_config_fail(out, TQ_OUT_UNMAPPED, ret, "mbedtls_ctr_drbg_seed");
    ret = mbedtls_ssl_config_defaults(&k->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        return mtls_config_fail(out, TQ_OUT_UNMAPPED, ret, "mbedtls_ssl_config_defaults");
    mbedtls_ssl_conf_rng(&k->conf, mbedtls_ctr_drbg_random, &k->drbg);
    set_versions(k, cfg);
    if (cfg->suites.present)
        TQ_GUARD(set_suites(k, out, &cfg->suites));
    if (cfg->groups.present)
        TQ_GUARD(set_groups(k, out, &cfg->groups));
    TQ_GUARD(set_trust(k, out, cfg));
    TQ_GUARD(set_client_cert(k, out, cfg));
    return set_extensions(k, out, cfg);
}

/* see mbedtls_internal.h */
tq_status mtls_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg)
{
    struct mtls_client *c = conn;
    struct mtls_config *k = config;
    mbedtls_ssl_init(&c->ssl);
    c->initialized = true;
    c->has_verify_time = cfg->has_verify_time;
    c->verify_time = cfg->verify_time;
    /* A fresh SSL context per case, and no mbedtls_ssl_set_session: never a resumption. */
    int ret = mbedtls_ssl_setup(&c->ssl, &k->conf);
    if (ret != 0)
        return mtls_config_fail(out, TQ_OUT_UNMAPPED, ret, "mbedtls_ssl_setup");
    mbedtls_ssl_set_verify(&c->ssl, mtls_verify, c);
    return set_peer_name(c, out, cfg);
}
