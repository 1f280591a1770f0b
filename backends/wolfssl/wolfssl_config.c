/* wolfssl_config.c: a `struct tq_client_config` turned into a WOLFSSL_CTX (its [context]
 * members) and a WOLFSSL per connection (the [connection] members).
 * wolfSSL silently drops unknown names from a cipher list that holds one known name, so every
 * requested suite is checked against wolfSSL's own IANA list first. */
#include <stdio.h>
#include <string.h>

#include "wolfssl_internal.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_RSA_BITS 2048 /* the smallest RSA key accepted: the server's (leaf, CAs) or ours */

/* IANA group name -> TLS NamedGroup id, which wolfSSL takes as is. */
static const struct {
    const char *iana;
    word16 id;
} group_ids[] = {
    {"secp256r1", WOLFSSL_ECC_SECP256R1},
    {"secp384r1", WOLFSSL_ECC_SECP384R1},
    {"secp521r1", WOLFSSL_ECC_SECP521R1},
    {"secp224r1", WOLFSSL_ECC_SECP224R1},
    {"secp192r1", WOLFSSL_ECC_SECP192R1},
    {"secp256k1", WOLFSSL_ECC_SECP256K1},
    {"brainpoolP256r1", WOLFSSL_ECC_BRAINPOOLP256R1},
    {"brainpoolP384r1", WOLFSSL_ECC_BRAINPOOLP384R1},
    {"brainpoolP512r1", WOLFSSL_ECC_BRAINPOOLP512R1},
    {"x25519", WOLFSSL_ECC_X25519},
    {"x448", WOLFSSL_ECC_X448},
    {"ffdhe2048", WOLFSSL_FFDHE_2048},
    {"ffdhe3072", WOLFSSL_FFDHE_3072},
    {"ffdhe4096", WOLFSSL_FFDHE_4096},
    {"ffdhe6144", WOLFSSL_FFDHE_6144},
    {"ffdhe8192", WOLFSSL_FFDHE_8192},
};

/* usable_suite is false for names a case cannot use (PSK and anonymous suites) and for names
 * that are not IANA's (wolfSSL's pre-RFC "CHACHA20_OLD" suites, "WDM_WITH_NULL_SHA256"). */
static bool usable_suite(const char *name)
{
    return strncmp(name, "TLS_", 4) == 0 && strstr(name, "PSK") == NULL &&
           strstr(name, "_anon_") == NULL && strstr(name, "_OLD_") == NULL;
}

/* for_each_suite calls `fn` on every usable IANA suite name wolfSSL offers; it stops early
 * when `fn` returns true, and returns that. */
static bool for_each_suite(bool (*fn)(const char *name, void *arg), void *arg)
{
    static char list[16384];
    if (wolfSSL_get_ciphers_iana(list, (int)sizeof(list)) != WOLFSSL_SUCCESS)
        return false;
    char *name = list;
    for (int i = 0; i < 1000 && name != NULL; i++) {
        char *colon = strchr(name, ':');
        if (colon != NULL)
            *colon = '\0';
        if (usable_suite(name) && fn(name, arg))
            return true;
        name = colon != NULL ? colon + 1 : NULL;
    }
    return false;
}

static bool add_to_sink(const char *name, void *sink)
{
    tq_name_sink_add(sink, name);
    return false;
}

static bool same_name(const char *name, void *wanted)
{
    return strcmp(name, wanted) == 0;
}

static int group_id(const char *iana)
{
    for (size_t i = 0; i < NUM(group_ids); i++) {
        if (strcmp(group_ids[i].iana, iana) == 0)
            return group_ids[i].id;
    }
    return -1;
}

/* see wolfssl_internal.h */
void wolf_list_names(enum tq_name_kind kind, struct tq_name_sink *sink)
{
    if (kind == TQ_NAMES_SUITES) {
        (void)for_each_suite(add_to_sink, sink);
    } else if (kind == TQ_NAMES_GROUPS) {
        WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
        WOLFSSL *ssl = ctx != NULL ? wolfSSL_new(ctx) : NULL;
        for (size_t i = 0; ssl != NULL && i < NUM(group_ids); i++) {
            if (wolfSSL_UseSupportedCurve(ssl, group_ids[i].id) == WOLFSSL_SUCCESS)
                tq_name_sink_add(sink, group_ids[i].iana);
        }
        wolfSSL_free(ssl);
        wolfSSL_CTX_free(ctx);
    }
    /* TQ_NAMES_SIGALGS: wolfSSL_set1_sigalgs_list takes "RSA-PSS+SHA256" for both RSA-PSS
     * schemes, so one IANA scheme cannot be offered alone; the feature is not declared. */
}

static tq_status set_suites(WOLFSSL_CTX *ctx, struct tq_outcome *out,
                            const struct tq_str_list *suites)
{
    char list[8192] = "";
    size_t used = 0;
    for (size_t i = 0; i < suites->num; i++) {
        if (!for_each_suite(same_name, suites->items[i]))
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "suites %s", suites->items[i]);
        int n =
            snprintf(list + used, sizeof(list) - used, "%s%s", used ? ":" : "", suites->items[i]);
        if (n < 0 || (size_t)n >= sizeof(list) - used)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "too many suites");
        used += (size_t)n;
    }
    if (wolfSSL_CTX_set_cipher_list(ctx, list) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, 0, "suites");
    return TQ_SUCCESS;
}

static tq_status set_groups(struct wolf_client *c, struct tq_outcome *out,
                            const struct tq_str_list *groups)
{
    int ids[64];
    if (groups->num > NUM(ids))
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "more than 64 groups");
    for (size_t i = 0; i < groups->num; i++) {
        ids[i] = group_id(groups->items[i]);
        /* UseSupportedCurve writes supported_groups (TLS 1.2 and 1.3); set_groups below
         * orders the TLS 1.3 key shares. */
        if (ids[i] < 0 || wolfSSL_UseSupportedCurve(c->ssl, (word16)ids[i]) != WOLFSSL_SUCCESS)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "groups %s", groups->items[i]);
    }
    if (groups->num > 0 && wolfSSL_set_groups(c->ssl, ids, (int)groups->num) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, 0, "groups");
    return TQ_SUCCESS;
}

static tq_status set_versions(WOLFSSL_CTX *ctx, struct tq_outcome *out,
                              const struct tq_client_config *cfg)
{
    static const int protos[] = {
        [TQ_TLS_ANY] = 0,
        [TQ_TLS_1_0] = TLS1_VERSION,
        [TQ_TLS_1_1] = TLS1_1_VERSION,
        [TQ_TLS_1_2] = TLS1_2_VERSION,
        [TQ_TLS_1_3] = TLS1_3_VERSION,
    };
    if (cfg->min_version != TQ_TLS_ANY &&
        wolfSSL_CTX_set_min_proto_version(ctx, protos[cfg->min_version]) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, 0, "versions");
    if (cfg->max_version != TQ_TLS_ANY &&
        wolfSSL_CTX_set_max_proto_version(ctx, protos[cfg->max_version]) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, 0, "versions");
    return TQ_SUCCESS;
}

/* validity_at is <0, 0, >0 as `when` is before, within, after the validity of `x`. */
static int validity_at(WOLFSSL_X509 *x, int64_t when)
{
    time_t t = (time_t)when;
    if (wolfSSL_X509_cmp_time(wolfSSL_X509_get_notBefore(x), &t) > 0)
        return -1; /* not yet valid */
    if (wolfSSL_X509_cmp_time(wolfSSL_X509_get_notAfter(x), &t) < 0)
        return 1; /* expired */
    return 0;
}

static int reject(struct wolf_client *c, enum tq_outcome_code code, const char *text)
{
    c->verdict = code;
    snprintf(c->verdict_text, sizeof(c->verdict_text), "%s", text);
    return c->verify_peer ? 0 : 1;
}

/* weak_signature names the digest of `x`'s signature when it is SHA-1 or weaker and `x` is not
 * self-issued, else NULL. A careful device takes no such signature below the trust anchor (CA/B
 * Forum Baseline Requirements 7.1.3.2; docs/aws-iot/tls.md#client-requirements: "SHA-256 RSA
 * certificate signature validation"); the anchor's own self-signature proves nothing and is not
 * judged (the real Starfield Class 2 and VeriSign G5 roots are self-signed with SHA-1). wolfSSL
 * 5.5.4 has no setting for this: it verifies SHA-1 signatures whenever they are compiled in. */
static const char *weak_signature(WOLFSSL_X509 *x)
{
    const char *digest = NULL;
    switch (wolfSSL_X509_get_signature_type(x)) {
    case CTC_SHAwRSA:
    case CTC_SHAwECDSA:
    case CTC_SHAwDSA:
        digest = "certificate signed with SHA-1";
        break;
    case CTC_MD5wRSA:
    case CTC_MD2wRSA:
        digest = "certificate signed with MD5 or MD2";
        break;
    default:
        return NULL;
    }
    bool self_issued = wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x),
                                             wolfSSL_X509_get_issuer_name(x)) == 0;
    return self_issued ? NULL : digest;
}

/* verify_cb sees every certificate (WOLFSSL_ALWAYS_VERIFY_CB is set in Debian's build). It
 * judges validity dates as of verify_time itself (wolfSSL compares with the real clock), an
 * IP-literal server_name against the leaf's iPAddress names, and weak signatures
 * (weak_signature). */
static int verify_cb(int preverify_ok, WOLFSSL_X509_STORE_CTX *store)
{
    struct wolf_client *c = store->userCtx;
    c->verify_ran = true;
    int err = store->error;
    bool date_err = err == ASN_AFTER_DATE_E || err == ASN_BEFORE_DATE_E;
    if (c->has_verify_time && store->current_cert != NULL) {
        int when = validity_at(store->current_cert, c->verify_time);
        if (when > 0)
            return reject(c, TQ_OUT_CERT_EXPIRED, "certificate expired at verify_time");
        if (when < 0)
            return reject(c, TQ_OUT_CERT_NOT_YET_VALID, "certificate not yet valid at verify_time");
        if (date_err) {
            preverify_ok = 1; /* valid as of verify_time: only the real clock objected */
            err = 0;
        }
    }
    if (!preverify_ok && c->verify_error == 0)
        c->verify_error = err;
    const char *weak = store->current_cert != NULL ? weak_signature(store->current_cert) : NULL;
    if (preverify_ok && weak != NULL)
        return reject(c, TQ_OUT_UNSUPPORTED_ALGORITHM, weak);
    if (preverify_ok && c->check_ip != NULL && store->error_depth == 0 &&
        wolfSSL_X509_check_ip_asc(store->current_cert, c->check_ip, 0) != 1)
        return reject(c, TQ_OUT_HOSTNAME_MISMATCH, "IP address mismatch");
    return c->verify_peer ? preverify_ok : 1;
}

static tq_status load_trust(WOLFSSL_CTX *ctx, struct tq_outcome *out,
                            const struct tq_client_config *cfg)
{
    for (size_t i = 0; i < cfg->trust.num; i++) {
        int ret = wolfSSL_CTX_load_verify_locations(ctx, cfg->trust.items[i], NULL);
        if (ret != WOLFSSL_SUCCESS)
            return wolf_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->trust.items[i]);
    }
    return TQ_SUCCESS;
}

static tq_status set_trust(WOLFSSL_CTX *ctx, struct tq_outcome *out,
                           const struct tq_client_config *cfg)
{
    TQ_GUARD(load_trust(ctx, out, cfg));
    if (cfg->crl.present) {
        int ret = wolfSSL_CTX_EnableCRL(ctx, WOLFSSL_CRL_CHECKALL);
        if (ret != WOLFSSL_SUCCESS)
            return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "crl");
    }
    for (size_t i = 0; i < cfg->crl.num; i++) {
        int ret = wolfSSL_CTX_LoadCRLFile(ctx, cfg->crl.items[i], WOLFSSL_FILETYPE_PEM);
        /* wolfSSL checks a CRL's signature as it loads it, against the trust store alone: the
         * CRL of an intermediate CA (sent by the server, not trusted) cannot be loaded. */
        if (ret == ASN_CRL_NO_SIGNER_E)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED,
                                   "wolfSSL loads a CRL only when its issuer is a trusted root; "
                                   "%s is signed by an intermediate",
                                   cfg->crl.items[i]);
        if (ret != WOLFSSL_SUCCESS)
            return wolf_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->crl.items[i]);
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_cb);
    return TQ_SUCCESS;
}

static tq_status set_client_cert(WOLFSSL_CTX *ctx, struct tq_outcome *out,
                                 const struct tq_client_config *cfg)
{
    if (cfg->cert == NULL)
        return TQ_SUCCESS;
    int ret = wolfSSL_CTX_use_certificate_chain_file(ctx, cfg->cert);
    if (ret != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->cert);
    ret = wolfSSL_CTX_use_PrivateKey_file(ctx, cfg->key, WOLFSSL_FILETYPE_PEM);
    if (ret != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->key);
    if ((ret = wolfSSL_CTX_check_private_key(ctx)) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, "key does not match cert");
    if (cfg->chain == NULL)
        return TQ_SUCCESS;
    WOLFSSL_BIO *bio = wolfSSL_BIO_new_file(cfg->chain, "r");
    if (bio == NULL)
        return wolf_config_fail(out, TQ_OUT_CONFIG_ERROR, 0, cfg->chain);
    tq_status st = TQ_SUCCESS;
    for (int i = 0; i < 100 && tq_ok(st); i++) {
        WOLFSSL_X509 *x = wolfSSL_PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL)
            break;
        if (wolfSSL_CTX_add1_chain_cert(ctx, x) != WOLFSSL_SUCCESS)
            st = wolf_config_fail(out, TQ_OUT_CONFIG_ERROR, 0, cfg->chain);
        wolfSSL_X509_free(x);
    }
    wolfSSL_BIO_free(bio);
    return st;
}

static tq_status set_alpn(struct wolf_client *c, struct tq_outcome *out,
                          const struct tq_str_list *alpn)
{
    char list[8192] = ""; /* wolfSSL takes the names comma-separated */
    size_t used = 0;
    for (size_t i = 0; i < alpn->num; i++) {
        if (strchr(alpn->items[i], ',') != NULL)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "alpn name with a comma");
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? "," : "", alpn->items[i]);
        if (n < 0 || (size_t)n >= sizeof(list) - used)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "alpn list too long");
        used += (size_t)n;
    }
    int ret = wolfSSL_UseALPN(c->ssl, list, (unsigned)used, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
    if (ret != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "alpn");
    return TQ_SUCCESS;
}

static tq_status set_extensions(struct wolf_client *c, struct tq_outcome *out,
                                const struct tq_client_config *cfg)
{
    if (cfg->alpn.present)
        TQ_GUARD(set_alpn(c, out, &cfg->alpn));
    if (cfg->max_fragment_length != 0) {
        unsigned char mfl = cfg->max_fragment_length == 512    ? WOLFSSL_MFL_2_9
                            : cfg->max_fragment_length == 1024 ? WOLFSSL_MFL_2_10
                            : cfg->max_fragment_length == 2048 ? WOLFSSL_MFL_2_11
                                                               : WOLFSSL_MFL_2_12;
        int ret = wolfSSL_UseMaxFragment(c->ssl, mfl);
        if (ret != WOLFSSL_SUCCESS)
            return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "max_fragment_length");
    }
    if (cfg->groups.present)
        TQ_GUARD(set_groups(c, out, &cfg->groups));
    return TQ_SUCCESS;
}

static tq_status set_peer_name(struct wolf_client *c, struct tq_outcome *out,
                               const struct tq_client_config *cfg)
{
    const char *name = cfg->server_name;
    if (name == NULL)
        return TQ_SUCCESS;
    if (tq_is_ip_literal(name)) { /* RFC 6066 section 3: never sent as SNI */
        c->check_ip = name;
        return TQ_SUCCESS;
    }
    if (cfg->send_sni && wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, name,
                                        (word16)strlen(name)) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, 0, "server_name as SNI");
    if (wolfSSL_check_domain_name(c->ssl, name) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNSUPPORTED, 0, "server_name verification");
    return TQ_SUCCESS;
}

/* see wolfssl_internal.h */
tq_status wolf_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg)
{
    struct wolf_config *k = config;
    k->ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
    if (k->ctx == NULL)
        return wolf_config_fail(out, TQ_OUT_UNMAPPED, 0, "wolfSSL_CTX_new");
    /* The context serves many cases: no session goes into wolfSSL's session cache (none is
     * ever given back with wolfSSL_set_session either), so every case is a full handshake. */
    (void)wolfSSL_CTX_set_session_cache_mode(k->ctx, WOLFSSL_SESS_CACHE_OFF);
    TQ_GUARD(set_versions(k->ctx, out, cfg));
    if (cfg->suites.present)
        TQ_GUARD(set_suites(k->ctx, out, &cfg->suites));
    TQ_GUARD(set_trust(k->ctx, out, cfg));
    /* NIST SP 800-131A and the CA/B Forum (BR 6.1.5): no RSA key under 2048 bits; the real ATS
     * leaves are RSA 2048 (docs/aws-iot/server-chains.md#example-leaf). wolfSSL applies the
     * floor to the server's keys (leaf and CAs) and to our own: set before the client
     * certificate is loaded, a 1024-bit device key is refused there (config_error), as OpenSSL
     * at security level 2 refuses it. */
    if (wolfSSL_CTX_SetMinRsaKey_Sz(k->ctx, MIN_RSA_BITS) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNMAPPED, 0, "wolfSSL_CTX_SetMinRsaKey_Sz");
    return set_client_cert(k->ctx, out, cfg);
}

/* forget_chain_cas empties the CA table and loads the trust files again. wolfSSL adds every
 * intermediate of a peer chain that verifies to the context's CA table (WOLFSSL_CHAIN_CA, in
 * ProcessPeerCerts): after one ATS handshake the table holds the two roots *and* the Mock Amazon
 * intermediate. 5.5.4 still refused a leaf-only chain after that in our test
 * (client-checks/incomplete-chain), but a case must not run against a trust store that an
 * earlier case's server extended. CRLs are kept: wolfSSL checked their signatures when they
 * were loaded. */
static tq_status forget_chain_cas(struct wolf_config *k, struct tq_outcome *out,
                                  const struct tq_client_config *cfg)
{
    if (wolfSSL_CTX_UnloadCAs(k->ctx) != WOLFSSL_SUCCESS)
        return wolf_config_fail(out, TQ_OUT_UNMAPPED, 0, "wolfSSL_CTX_UnloadCAs");
    return load_trust(k->ctx, out, cfg);
}

/* see wolfssl_internal.h */
tq_status wolf_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg)
{
    struct wolf_client *c = conn;
    struct wolf_config *k = config;
    c->verify_peer = cfg->verify_peer;
    c->has_verify_time = cfg->has_verify_time;
    c->verify_time = cfg->verify_time;
    c->verdict = TQ_OUT_NOT_RUN;
    if (k->num_opened++ > 0)
        TQ_GUARD(forget_chain_cas(k, out, cfg));
    c->ssl = wolfSSL_new(k->ctx);
    if (c->ssl == NULL)
        return wolf_config_fail(out, TQ_OUT_UNMAPPED, 0, "wolfSSL_new");
    wolfSSL_SetCertCbCtx(c->ssl, c);
    TQ_GUARD(set_extensions(c, out, cfg));
    return set_peer_name(c, out, cfg);
}
