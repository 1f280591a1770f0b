/* x509.c: issues one certificate from its profile row. */
#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "certs_internal.h"

enum { MAX_RDNS = 8, MAX_NAME_TEXT = 512, SERIAL_BYTES = 16 };

static void free_x509(X509 **cert)
{
    X509_free(*cert);
}

static void free_name(X509_NAME **name)
{
    X509_NAME_free(*name);
}

/* split_rdns cuts `buf` at unescaped commas, removing the escapes, and returns the number of
 * parts (0 if more than `max`). */
static size_t split_rdns(char *buf, char **parts, size_t max)
{
    size_t n = 0;
    char *w = buf;
    parts[n++] = w;
    for (const char *r = buf; *r; r++) {
        if (*r == '\\' && r[1] != '\0') {
            *w++ = *++r;
        } else if (*r == ',') {
            *w++ = '\0';
            if (n == max)
                return 0;
            parts[n++] = w;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return n;
}

/* see certs_internal.h */
tq_status tq__name_from_rfc2253(struct tq_diag *diag, X509_NAME **out, const char *text)
{
    *out = NULL;
    char buf[MAX_NAME_TEXT];
    char *parts[MAX_RDNS];
    size_t n = 0;
    if (strlen(text) < sizeof(buf)) {
        memcpy(buf, text, strlen(text) + 1);
        n = split_rdns(buf, parts, MAX_RDNS);
    }
    X509_NAME *name TQ_DEFER(free_name) = n ? X509_NAME_new() : NULL;
    if (name == NULL)
        return tq_diag_fail(diag, TQ_ERR_INTERNAL, NULL, 0, "bad name '%s'", text);
    /* RFC 2253 writes the most specific part first; the DER sequence starts with the least. */
    for (size_t k = n; k-- > 0;) {
        char *eq = strchr(parts[k], '=');
        if (eq == NULL)
            return tq_diag_fail(diag, TQ_ERR_INTERNAL, NULL, 0, "bad name '%s'", text);
        *eq = '\0';
        if (!X509_NAME_add_entry_by_txt(name, parts[k], MBSTRING_UTF8,
                                        (const unsigned char *)eq + 1, -1, -1, 0)) {
            char what[MAX_NAME_TEXT + 32];
            snprintf(what, sizeof(what), "build the name '%s'", text);
            return tq__crypto_fail(diag, NULL, what);
        }
    }
    *out = name;
    name = NULL;
    return TQ_SUCCESS;
}

static tq_status set_serial(struct tq_diag *diag, X509 *cert)
{
    unsigned char bytes[SERIAL_BYTES];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        return tq__crypto_fail(diag, NULL, "draw a serial number");
    bytes[0] = (bytes[0] & 0x7f) | 0x40; /* positive, and always SERIAL_BYTES long */
    BIGNUM *bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
    bool ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok ? TQ_SUCCESS : tq__crypto_fail(diag, NULL, "set a serial number");
}

static tq_status add_ext(struct tq_diag *diag, X509 *cert, X509V3_CTX *ctx, int nid,
                         const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    bool ok = ext != NULL && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok)
        return tq__crypto_fail(diag, NULL, "add an extension");
    return TQ_SUCCESS;
}

static const char *key_usage(unsigned ext, EVP_PKEY *key)
{
    if (ext & TQ_EXT_CA)
        return "critical,digitalSignature,keyCertSign,cRLSign";
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
        return "critical,digitalSignature,keyEncipherment";
    return "critical,digitalSignature";
}

static const char *basic_constraints(unsigned ext)
{
    if (!(ext & TQ_EXT_CA))
        return "critical,CA:FALSE";
    return (ext & TQ_EXT_PATHLEN0) ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE";
}

static tq_status add_extensions(struct tq_diag *diag, const struct tq__profile *p, X509 *cert,
                                X509 *issuer_cert)
{
    static const char *const ekus[] = {NULL, "serverAuth", "clientAuth", "serverAuth,clientAuth"};
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert, cert, NULL, NULL, 0);
    TQ_GUARD(add_ext(diag, cert, &ctx, NID_basic_constraints, basic_constraints(p->ext)));
    TQ_GUARD(add_ext(diag, cert, &ctx, NID_key_usage, key_usage(p->ext, X509_get0_pubkey(cert))));
    const char *eku = ekus[(p->ext & (TQ_EXT_SERVER | TQ_EXT_CLIENT)) / TQ_EXT_SERVER];
    if (eku != NULL)
        TQ_GUARD(add_ext(diag, cert, &ctx, NID_ext_key_usage, eku));
    TQ_GUARD(add_ext(diag, cert, &ctx, NID_subject_key_identifier, "hash"));
    /* Key identifier only (no issuer name and serial), so a certificate chains to either
     * version of a cross-signed root. */
    if (issuer_cert != NULL)
        TQ_GUARD(add_ext(diag, cert, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (p->san != NULL)
        TQ_GUARD(add_ext(diag, cert, &ctx, NID_subject_alt_name, p->san));
    return TQ_SUCCESS;
}

/* flip_issuer_byte toggles the case of the last letter of the issuer name in the DER: the name
 * still matches its CA (names compare case-insensitively) but the signature no longer does. */
static tq_status flip_issuer_byte(struct tq_diag *diag, X509 **cert)
{
    unsigned char *der = NULL;
    unsigned char *name = NULL;
    int der_len = i2d_X509(*cert, &der);
    int name_len = i2d_X509_NAME(X509_get_issuer_name(*cert), &name);
    unsigned char *at =
        (der_len > 0 && name_len > 0) ? memmem(der, (size_t)der_len, name, (size_t)name_len) : NULL;
    X509 *bad = NULL;
    if (at != NULL && isalpha(at[name_len - 1])) {
        at[name_len - 1] ^= 0x20;
        const unsigned char *p = der;
        bad = d2i_X509(NULL, &p, der_len);
    }
    OPENSSL_free(der);
    OPENSSL_free(name);
    if (bad == NULL)
        return tq__crypto_fail(diag, NULL, "flip a byte of the issuer name");
    X509_free(*cert);
    *cert = bad;
    return TQ_SUCCESS;
}

static tq_status set_names_and_dates(struct tq_diag *diag, struct tq__run *run, size_t i,
                                     X509 *cert, X509 *issuer_cert)
{
    const struct tq__profile *p = &run->rows[i];
    X509_NAME *subject TQ_DEFER(free_name) = NULL;
    TQ_GUARD(tq__name_from_rfc2253(diag, &subject, p->subject));
    X509_NAME *issuer_name = issuer_cert ? X509_get_subject_name(issuer_cert) : subject;
    bool ok = X509_set_version(cert, X509_VERSION_3) && X509_set_subject_name(cert, subject) &&
              X509_set_issuer_name(cert, issuer_name) &&
              ASN1_TIME_adj(X509_getm_notBefore(cert), run->now, p->not_before_days, 0) &&
              ASN1_TIME_adj(X509_getm_notAfter(cert), run->now, p->not_after_days, 0) &&
              X509_set_pubkey(cert, run->items[tq__pubkey_row(i)].key);
    return ok ? TQ_SUCCESS : tq__crypto_fail(diag, NULL, "fill a certificate");
}

static tq_status sign(struct tq_diag *diag, X509 *cert, EVP_PKEY *key, enum tq__digest digest)
{
    EVP_MD_CTX *mctx = NULL;
    TQ_GUARD(tq__sign_ctx_new(diag, &mctx, key, digest));
    int len = X509_sign_ctx(cert, mctx);
    EVP_MD_CTX_free(mctx);
    return len > 0 ? TQ_SUCCESS : tq__crypto_fail(diag, NULL, "sign a certificate");
}

/* see certs_internal.h */
tq_status tq__cert_issue(struct tq_diag *diag, X509 **out, struct tq__run *run, size_t i)
{
    const struct tq__profile *p = &run->rows[i];
    size_t issuer = tq__profile_find(p->issuer);
    X509 *issuer_cert = issuer == i ? NULL : run->items[tq__cert_row(issuer)].cert;
    X509 *cert TQ_DEFER(free_x509) = X509_new();
    *out = NULL;
    TQ_ENSURE(cert != NULL, TQ_ERR_NOMEM);
    TQ_GUARD(set_serial(diag, cert));
    TQ_GUARD(set_names_and_dates(diag, run, i, cert, issuer_cert));
    TQ_GUARD(add_extensions(diag, p, cert, issuer_cert));
    TQ_GUARD(sign(diag, cert, run->items[tq__key_row(issuer)].key, p->digest));
    if (p->flaw == TQ_FLAW_MALFORMED)
        TQ_GUARD(flip_issuer_byte(diag, &cert));
    *out = cert;
    cert = NULL;
    return TQ_SUCCESS;
}

/* see certs_internal.h */
tq_status tq__cert_sha256(struct tq_diag *diag, char out[65], X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    unsigned char md[32];
    unsigned md_len = 0;
    bool ok = len > 0 && EVP_Digest(der, (size_t)len, md, &md_len, EVP_sha256(), NULL);
    OPENSSL_free(der);
    if (!ok || md_len != sizeof(md))
        return tq__crypto_fail(diag, NULL, "hash a certificate");
    tq_hex(out, md, sizeof(md));
    return TQ_SUCCESS;
}
