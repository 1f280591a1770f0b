/* boringssl_lib.c: what the BoringSSL backend does its own way (backends/openssl-family/ossl.h):
 * a strict cipher list, TLS 1.3 suites that cannot be chosen (all three are always offered),
 * no security levels (verify_cb refuses weak keys and SHA-1 signatures instead), no
 * max_fragment_length; and BoringSSL's error tables. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "ossl.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_KEY_BITS 2048 /* the smallest RSA or DSA key accepted in the server's chain */

/* BoringSSL's TLS 1.3 suites: fixed, always offered together. */
static const char *const tls13_suites[] = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
};

/* enable_all_suites (ossl_lib.enable_all_suites): every TLS <= 1.2 suite; the TLS 1.3 ones are
 * not in a cipher list. */
static bool enable_all_suites(SSL_CTX *ctx)
{
    return SSL_CTX_set_strict_cipher_list(ctx, "ALL") == 1;
}

/* usable is false for the PSK suites: they need credentials a case cannot give. */
static bool usable(const SSL_CIPHER *c)
{
    int kx = SSL_CIPHER_get_kx_nid(c);
    int auth = SSL_CIPHER_get_auth_nid(c);
    return kx != NID_kx_psk && auth != NID_auth_psk;
}

static bool is_tls13_suite(const char *iana)
{
    for (size_t i = 0; i < NUM(tls13_suites); i++) {
        if (strcmp(tls13_suites[i], iana) == 0)
            return true;
    }
    return false;
}

/* set_suites applies exactly the requested suites. TLS 1.3 suites cannot be chosen in
 * BoringSSL: a list with none of them caps the version at TLS 1.2, a list with all three is
 * honoured, and a list with some of them is `unsupported`. */
static tq_status set_suites(SSL_CTX *ctx, struct tq_outcome *out, bool *out_no13, bool *out_only13,
                            const struct tq_str_list *suites)
{
    SSL_CTX *full = ossl_new_full_ctx();
    if (full == NULL)
        return ossl_config_fail(out, TQ_OUT_UNMAPPED, "cannot list BoringSSL's suites");
    char tls12[8192] = "";
    size_t num13 = 0;
    tq_status st = TQ_SUCCESS;
    for (size_t i = 0; i < suites->num && tq_ok(st); i++) {
        if (is_tls13_suite(suites->items[i])) {
            num13++;
            continue;
        }
        const SSL_CIPHER *cipher = ossl_find_suite(full, suites->items[i]);
        if (cipher == NULL)
            st = tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "suites %s", suites->items[i]);
        else if (!ossl_append_name(tls12, sizeof(tls12), SSL_CIPHER_get_name(cipher)))
            st = tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "too many suites");
    }
    SSL_CTX_free(full);
    TQ_GUARD(st);
    if (num13 != 0 && num13 != NUM(tls13_suites))
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED,
                               "suites: BoringSSL offers all three TLS 1.3 suites or none");
    *out_no13 = num13 == 0;
    *out_only13 = tls12[0] == '\0';
    if (tls12[0] != '\0' && SSL_CTX_set_strict_cipher_list(ctx, tls12) != 1)
        return ossl_config_fail(out, TQ_OUT_UNSUPPORTED, "suites");
    ERR_clear_error();
    return TQ_SUCCESS;
}

/* set_policy (ossl_lib.set_policy): the suites first, because they narrow the versions (a list
 * without TLS 1.3 suites means no TLS 1.3, one with only those means only TLS 1.3), then the
 * versions. */
static tq_status set_policy(SSL_CTX *ctx, struct tq_outcome *out,
                            const struct tq_client_config *cfg)
{
    enum tq_tls_version min = cfg->min_version, max = cfg->max_version;
    bool no13 = false, only13 = false;
    if (cfg->suites.present)
        TQ_GUARD(set_suites(ctx, out, &no13, &only13, &cfg->suites));
    if (no13 && (max == TQ_TLS_ANY || max == TQ_TLS_1_3))
        max = TQ_TLS_1_2;
    if (only13 && cfg->suites.num > 0)
        min = TQ_TLS_1_3;
    if (min != TQ_TLS_ANY && max != TQ_TLS_ANY && min > max)
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "suites and versions leave no version");
    return ossl_set_versions(ctx, out, min, max);
}

/* weak_key is true when `x` has an RSA or DSA key under MIN_KEY_BITS, and says so in `why`.
 * NIST SP 800-131A and the CA/B Forum (BR 6.1.5) set 2048 bits; the real ATS leaves are RSA
 * 2048 (docs/aws-iot/server-chains.md#example-leaf). BoringSSL itself takes a 1024-bit RSA
 * leaf. */
static bool weak_key(X509 *x, char *why, size_t why_len)
{
    EVP_PKEY *key = X509_get_pubkey(x);
    int id = key != NULL ? EVP_PKEY_id(key) : EVP_PKEY_NONE;
    int bits = key != NULL ? EVP_PKEY_bits(key) : 0;
    EVP_PKEY_free(key);
    if ((id != EVP_PKEY_RSA && id != EVP_PKEY_DSA) || bits >= MIN_KEY_BITS)
        return false;
    snprintf(why, why_len, "%s key of %d bits, under %d", id == EVP_PKEY_RSA ? "RSA" : "DSA", bits,
             MIN_KEY_BITS);
    return true;
}

/* weak_digest is true when `x` is signed with SHA-1 or weaker, and says so in `why`. The
 * CA/B Forum (BR 7.1.3.2) forbids SHA-1 certificate signatures;
 * docs/aws-iot/tls.md#client-requirements asks for "SHA-256 RSA certificate signature
 * validation". The self-signature of the trust anchor (`anchor`) proves nothing and is not
 * judged: the real Starfield Class 2 and VeriSign G5 roots are self-signed with SHA-1. */
static bool weak_digest(X509 *x, bool anchor, char *why, size_t why_len)
{
    int digest = NID_undef;
    if (anchor || OBJ_find_sigid_algs(X509_get_signature_nid(x), &digest, NULL) != 1)
        return false; /* an algorithm BoringSSL does not know, it refuses itself */
    if (digest != NID_sha1 && digest != NID_md5 && digest != NID_md4)
        return false;
    snprintf(why, why_len, "certificate signed with %s", OBJ_nid2sn(digest));
    return true;
}

/* verify_cb adds what a careful device checks and BoringSSL cannot be told to (it has no
 * security levels, unlike OpenSSL): key sizes and signature digests, on every certificate of
 * the chain it built. A refusal is X509_V_ERR_APPLICATION_VERIFICATION, with the reason kept
 * in the connection's `refusal` (classify and describe report it). */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct ossl_client *c = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
    X509 *x = X509_STORE_CTX_get_current_cert(store);
    if (!ok || c == NULL || x == NULL)
        return ok;
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(store);
    int depth = X509_STORE_CTX_get_error_depth(store);
    bool top = chain != NULL && depth >= 0 && (size_t)depth + 1 == sk_X509_num(chain);
    bool anchor = top && (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
    char why[96];
    if (!weak_key(x, why, sizeof(why)) && !weak_digest(x, anchor, why, sizeof(why)))
        return 1;
    snprintf(c->refusal, sizeof(c->refusal), "%s (depth %d)", why, depth);
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

/* BoringSSL's own SSL reasons (openssl/ssl.h) -> outcome; ossl_errors.c maps the ones OpenSSL
 * shares. Its X509_V_ERR_* codes are all OpenSSL's: it has no table of its own for them. */
static const struct tq_error_map reason_map[] = {
    {SSL_R_UNSUPPORTED_PROTOCOL_FOR_CUSTOM_KEY, TQ_OUT_PROTOCOL_VERSION},
    {SSL_R_NO_SUPPORTED_VERSIONS_ENABLED, TQ_OUT_PROTOCOL_VERSION},
    {SSL_R_NO_COMMON_SIGNATURE_ALGORITHMS, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_UNEXPECTED_EXTENSION, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_MISSING_EXTENSION, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_ERROR_PARSING_EXTENSION, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_DECODE_ERROR, TQ_OUT_HANDSHAKE_FAILURE},
    {SSL_R_UNSUPPORTED_ELLIPTIC_CURVE, TQ_OUT_HANDSHAKE_FAILURE},
};

/* see ossl.h */
const struct ossl_lib ossl_lib = {
    .name = "boringssl",
    .versions = TQ_VERSION_BIT(TQ_TLS_1_0) | TQ_VERSION_BIT(TQ_TLS_1_1) |
                TQ_VERSION_BIT(TQ_TLS_1_2) | TQ_VERSION_BIT(TQ_TLS_1_3),
    .features = TQ_FEAT_SNI | TQ_FEAT_NO_SNI | TQ_FEAT_ALPN | TQ_FEAT_CRL | TQ_FEAT_CLIENT_CERT |
                TQ_FEAT_VERIFY_TIME | TQ_FEAT_GROUPS | TQ_FEAT_SIGALGS | TQ_FEAT_SUITES |
                TQ_FEAT_NO_VERIFY,
    .client_key_types = TQ_KEY_RSA | TQ_KEY_EC,
    .enable_all_suites = enable_all_suites,
    .usable = usable,
    .fixed_suites = tls13_suites,
    .num_fixed_suites = NUM(tls13_suites),
    .set_policy = set_policy,
    .verify_cb = verify_cb,
    .set_max_fragment_length = NULL,
    .eof_reason = 0,
    .verify_map = NULL,
    .num_verify_map = 0,
    .reason_map = reason_map,
    .num_reason_map = NUM(reason_map),
};
