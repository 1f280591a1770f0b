/* algorithms.c: key types and signature digests, as tables. */
#include <openssl/core_names.h>
#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <string.h>

#include "certs_internal.h"

struct key_kind {
    const char *name;      /* manifest "key_type" */
    const char *algorithm; /* OpenSSL key algorithm name */
    int base_id;           /* EVP_PKEY_RSA, ... */
    int bits;
    const char *group; /* EC curve, or NULL */
    unsigned cost;     /* relative keygen time: the slowest start first */
};

static const struct key_kind key_kinds[] = {
    [TQ_KEY_RSA_1024] =
        {.name = "RSA-1024", .algorithm = "RSA", .base_id = EVP_PKEY_RSA, .bits = 1024, .cost = 2},
    [TQ_KEY_RSA_2048] =
        {.name = "RSA-2048", .algorithm = "RSA", .base_id = EVP_PKEY_RSA, .bits = 2048, .cost = 10},
    [TQ_KEY_RSA_4096] =
        {.name = "RSA-4096", .algorithm = "RSA", .base_id = EVP_PKEY_RSA, .bits = 4096, .cost = 60},
    [TQ_KEY_EC_P256] = {.name = "EC-P256",
                        .algorithm = "EC",
                        .base_id = EVP_PKEY_EC,
                        .bits = 256,
                        .group = "P-256",
                        .cost = 1},
    [TQ_KEY_EC_P384] = {.name = "EC-P384",
                        .algorithm = "EC",
                        .base_id = EVP_PKEY_EC,
                        .bits = 384,
                        .group = "P-384",
                        .cost = 1},
    [TQ_KEY_EC_P521] = {.name = "EC-P521",
                        .algorithm = "EC",
                        .base_id = EVP_PKEY_EC,
                        .bits = 521,
                        .group = "P-521",
                        .cost = 1},
    [TQ_KEY_DSA_2048] =
        {.name = "DSA-2048", .algorithm = "DSA", .base_id = EVP_PKEY_DSA, .bits = 2048, .cost = 5},
};

struct digest_kind {
    const char *md; /* OpenSSL digest name */
    int md_nid;
    bool pss;
};

static const struct digest_kind digest_kinds[] = {
    [TQ_SIG_SHA256] = {.md = "SHA256", .md_nid = NID_sha256},
    [TQ_SIG_SHA1] = {.md = "SHA1", .md_nid = NID_sha1},
    [TQ_SIG_SHA384] = {.md = "SHA384", .md_nid = NID_sha384},
    [TQ_SIG_SHA512] = {.md = "SHA512", .md_nid = NID_sha512},
    [TQ_SIG_PSS_SHA256] = {.md = "SHA256", .md_nid = NID_sha256, .pss = true},
};

/* see certs_internal.h */
tq_status tq__crypto_fail(struct tq_diag *diag, const char *path, const char *what)
{
    char err[256] = "no detail";
    unsigned long code = ERR_peek_last_error();
    if (code != 0)
        ERR_error_string_n(code, err, sizeof(err));
    ERR_clear_error();
    return tq_diag_fail(diag, TQ_ERR_CRYPTO, path, 0, "cannot %s: %s", what, err);
}

/* see certs_internal.h */
const char *tq__key_type_name(enum tq__key_type type)
{
    return key_kinds[type].name;
}

/* see certs_internal.h */
unsigned tq__key_cost(enum tq__key_type type)
{
    return key_kinds[type].cost;
}

/* see certs_internal.h */
bool tq__key_has_type(EVP_PKEY *key, enum tq__key_type type)
{
    const struct key_kind *k = &key_kinds[type];
    if (EVP_PKEY_get_base_id(key) != k->base_id || EVP_PKEY_get_bits(key) != k->bits)
        return false;
    if (k->group == NULL)
        return true;
    char group[64];
    size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                        &len))
        return false;
    /* OpenSSL names the NIST curves by their SECG names; map the table's NIST names. */
    const char *want = strcmp(k->group, "P-256") == 0   ? "prime256v1"
                       : strcmp(k->group, "P-384") == 0 ? "secp384r1"
                                                        : "secp521r1";
    return strcmp(group, want) == 0 || strcmp(group, k->group) == 0;
}

static tq_status dsa_generate(struct tq_diag *diag, EVP_PKEY **out, int bits)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
    EVP_PKEY *params = NULL;
    bool ok = pctx != NULL && EVP_PKEY_paramgen_init(pctx) > 0 &&
              EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, bits) > 0 &&
              EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pctx, 256) > 0 &&
              EVP_PKEY_paramgen(pctx, &params) > 0;
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_CTX *kctx = ok ? EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL) : NULL;
    ok = kctx != NULL && EVP_PKEY_keygen_init(kctx) > 0 && EVP_PKEY_keygen(kctx, out) > 0;
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_free(params);
    return ok ? TQ_SUCCESS : tq__crypto_fail(diag, NULL, "generate a DSA key");
}

/* see certs_internal.h */
tq_status tq__key_generate(struct tq_diag *diag, EVP_PKEY **out, enum tq__key_type type)
{
    const struct key_kind *k = &key_kinds[type];
    *out = NULL;
    if (k->base_id == EVP_PKEY_DSA)
        return dsa_generate(diag, out, k->bits);
    if (k->base_id == EVP_PKEY_RSA)
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)k->bits);
    else
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", k->group);
    if (*out == NULL)
        return tq__crypto_fail(diag, NULL, "generate a key");
    return TQ_SUCCESS;
}

/* see certs_internal.h */
int tq__signature_nid(enum tq__key_type issuer_type, enum tq__digest digest)
{
    if (digest_kinds[digest].pss)
        return NID_rsassaPss;
    int sig_nid = NID_undef;
    if (!OBJ_find_sigid_by_algs(&sig_nid, digest_kinds[digest].md_nid,
                                key_kinds[issuer_type].base_id))
        return NID_undef;
    return sig_nid;
}

/* see certs_internal.h */
tq_status tq__sign_ctx_new(struct tq_diag *diag, EVP_MD_CTX **out, EVP_PKEY *key,
                           enum tq__digest digest)
{
    const struct digest_kind *d = &digest_kinds[digest];
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = mctx != NULL && EVP_DigestSignInit_ex(mctx, &pctx, d->md, NULL, NULL, key, NULL) > 0;
    if (ok && d->pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, d->md, NULL) > 0;
    if (!ok) {
        EVP_MD_CTX_free(mctx);
        *out = NULL;
        return tq__crypto_fail(diag, NULL, "prepare a signature");
    }
    *out = mctx;
    return TQ_SUCCESS;
}
