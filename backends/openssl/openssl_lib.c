/* openssl_lib.c: what the OpenSSL 3 backend does its own way (backends/openssl-family/ossl.h):
 * every TLS 1.3 suite can be chosen, the security level is lowered only for a case that needs
 * it, max_fragment_length exists; and OpenSSL's error tables. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <string.h>

#include "ossl.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* Every TLS 1.3 suite OpenSSL 3 implements (the default list has only three). */
#define ALL_TLS13_SUITES                                                                           \
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:"                  \
    "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"

/* enable_all_suites (ossl_lib.enable_all_suites): both cipher lists, at security level 0. */
static bool enable_all_suites(SSL_CTX *ctx)
{
    SSL_CTX_set_security_level(ctx, 0);
    return SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL") == 1 &&
           SSL_CTX_set_ciphersuites(ctx, ALL_TLS13_SUITES) == 1;
}

/* usable is false for the PSK and SRP suites: they need credentials a case cannot give. */
static bool usable(const SSL_CIPHER *c)
{
    int kx = SSL_CIPHER_get_kx_nid(c);
    int auth = SSL_CIPHER_get_auth_nid(c);
    return kx != NID_kx_psk && kx != NID_kx_ecdhe_psk && kx != NID_kx_dhe_psk &&
           kx != NID_kx_rsa_psk && kx != NID_kx_srp && auth != NID_auth_psk && auth != NID_auth_srp;
}

/* weak_suite is true for suites OpenSSL's default security level would drop silently. */
static bool weak_suite(const SSL_CIPHER *c)
{
    return SSL_CIPHER_get_bits(c, NULL) < 112 || SSL_CIPHER_get_auth_nid(c) == NID_auth_null;
}

/* set_suites applies exactly the requested suites, split into the TLS 1.2 cipher list and the
 * TLS 1.3 ciphersuites; it sets `*out_weak` when one of them needs security level 0. */
static tq_status set_suites(SSL_CTX *ctx, struct tq_outcome *out, bool *out_weak,
                            const struct tq_str_list *suites)
{
    SSL_CTX *full = ossl_new_full_ctx();
    if (full == NULL)
        return ossl_config_fail(out, TQ_OUT_UNMAPPED, "cannot list OpenSSL's suites");
    char tls12[8192] = "", tls13[1024] = "";
    tq_status st = TQ_SUCCESS;
    for (size_t i = 0; i < suites->num && tq_ok(st); i++) {
        const SSL_CIPHER *cipher = ossl_find_suite(full, suites->items[i]);
        bool is13 = cipher != NULL && strcmp(SSL_CIPHER_get_version(cipher), "TLSv1.3") == 0;
        if (cipher == NULL)
            st = tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "suites %s", suites->items[i]);
        else if (!(is13 ? ossl_append_name(tls13, sizeof(tls13), suites->items[i])
                        : ossl_append_name(tls12, sizeof(tls12), SSL_CIPHER_get_name(cipher))))
            st = tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "too many suites");
        else if (weak_suite(cipher))
            *out_weak = true;
    }
    SSL_CTX_free(full);
    TQ_GUARD(st);
    /* With no TLS 1.2 name the call "fails" with no cipher match but installs the empty list. */
    if (SSL_CTX_set_cipher_list(ctx, tls12) != 1 && tls12[0] != '\0')
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "suites");
    if (SSL_CTX_set_ciphersuites(ctx, tls13) != 1)
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "suites");
    ERR_clear_error();
    return TQ_SUCCESS;
}

static bool wants_legacy(const struct tq_client_config *cfg)
{
    bool old = (cfg->min_version != TQ_TLS_ANY && cfg->min_version < TQ_TLS_1_2) ||
               (cfg->max_version != TQ_TLS_ANY && cfg->max_version < TQ_TLS_1_2);
    for (size_t i = 0; i < cfg->sigalgs.num; i++)
        old = old || strstr(cfg->sigalgs.items[i], "sha1") != NULL;
    return old;
}

/* set_policy (ossl_lib.set_policy): the versions, the suites, then the security level, which
 * stays at the build's default (2: no RSA key under 2048 bits, no SHA-1 signature) unless the
 * case needs level 0: TLS < 1.2, SHA-1 signatures, NULL or anonymous suites. */
static tq_status set_policy(SSL_CTX *ctx, struct tq_outcome *out,
                            const struct tq_client_config *cfg)
{
    TQ_GUARD(ossl_set_versions(ctx, out, cfg->min_version, cfg->max_version));
    bool weak = false;
    if (cfg->suites.present)
        TQ_GUARD(set_suites(ctx, out, &weak, &cfg->suites));
    if (weak || wants_legacy(cfg))
        SSL_CTX_set_security_level(ctx, 0);
    return TQ_SUCCESS;
}

static tq_status set_max_fragment_length(SSL_CTX *ctx, struct tq_outcome *out, unsigned len)
{
    uint8_t mode = len == 512    ? TLSEXT_max_fragment_length_512
                   : len == 1024 ? TLSEXT_max_fragment_length_1024
                   : len == 2048 ? TLSEXT_max_fragment_length_2048
                                 : TLSEXT_max_fragment_length_4096;
    if (SSL_CTX_set_tlsext_max_fragment_length(ctx, mode) != 1)
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "max_fragment_length");
    return TQ_SUCCESS;
}

/* OpenSSL's own X509_V_ERR_* codes (openssl/x509_vfy.h) -> outcome; ossl_errors.c maps the ones
 * BoringSSL shares. */
static const struct tq_error_map verify_map[] = {
    {X509_V_ERR_CA_KEY_TOO_SMALL, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {X509_V_ERR_EE_KEY_TOO_SMALL, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {X509_V_ERR_CA_MD_TOO_WEAK, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM, TQ_OUT_UNSUPPORTED_ALGORITHM},
    {X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3, TQ_OUT_CERT_INVALID},
    {X509_V_ERR_EMPTY_SUBJECT_ALT_NAME, TQ_OUT_CERT_INVALID},
};

/* OpenSSL's own SSL reasons (openssl/sslerr.h) -> outcome; ossl_errors.c maps the ones BoringSSL
 * shares. */
static const struct tq_error_map reason_map[] = {
    {SSL_R_NO_PROTOCOLS_AVAILABLE, TQ_OUT_PROTOCOL_VERSION},
    {SSL_R_VERSION_TOO_LOW, TQ_OUT_PROTOCOL_VERSION},
    {SSL_R_VERSION_TOO_HIGH, TQ_OUT_PROTOCOL_VERSION},
    {SSL_R_UNEXPECTED_EOF_WHILE_READING, TQ_OUT_CLOSED_BY_PEER},
    {SSL_R_PACKET_LENGTH_TOO_LONG, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_BAD_PACKET, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_BAD_KEY_SHARE, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_NO_SUITABLE_KEY_SHARE, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_MISSING_SIGALGS_EXTENSION, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_BAD_EXTENSION, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_UNSOLICITED_EXTENSION, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_SSL3_EXT_INVALID_MAX_FRAGMENT_LENGTH, TQ_OUT_HANDSHAKE_FAILURE},
};

/* see ossl.h */
const struct ossl_lib ossl_lib = {
    .name = "openssl",
    .versions = TQ_VERSION_BIT(TQ_TLS_1_0) | TQ_VERSION_BIT(TQ_TLS_1_1) |
                TQ_VERSION_BIT(TQ_TLS_1_2) | TQ_VERSION_BIT(TQ_TLS_1_3),
    .features = TQ_FEAT_SNI | TQ_FEAT_NO_SNI | TQ_FEAT_ALPN | TQ_FEAT_CRL | TQ_FEAT_CLIENT_CERT |
                TQ_FEAT_VERIFY_TIME | TQ_FEAT_MFL | TQ_FEAT_GROUPS | TQ_FEAT_SIGALGS |
                TQ_FEAT_SUITES | TQ_FEAT_NO_VERIFY,
    .client_key_types = TQ_KEY_RSA | TQ_KEY_EC | TQ_KEY_DSA,
    .enable_all_suites = enable_all_suites,
    .usable = usable,
    .fixed_suites = NULL,
    .num_fixed_suites = 0,
    .set_policy = set_policy,
    .verify_cb = NULL,
    .set_max_fragment_length = set_max_fragment_length,
    .eof_reason = SSL_R_UNEXPECTED_EOF_WHILE_READING,
    .verify_map = verify_map,
    .num_verify_map = NUM(verify_map),
    .reason_map = reason_map,
    .num_reason_map = NUM(reason_map),
};
