/* crl.c: NAME.crl.pem for every CA row with TQ_EXT_CRL, listing the rows it issued with
 * `revoked` set. A CRL is kept while it verifies, lists exactly those serials and stays valid
 * beyond the renewal margin. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "certs_internal.h"
#include "fs.h"

enum { CRL_DAYS = 365, MAX_CRL_FILE = 256 * 1024, SECONDS_PER_DAY = 24 * 60 * 60 };

static void free_crl(X509_CRL **crl)
{
    X509_CRL_free(*crl);
}

static bool revoked_by(const struct tq__run *run, size_t r, size_t ca)
{
    return run->rows[r].revoked && run->rows[r].alias_of == NULL &&
           tq__profile_find(run->rows[r].issuer) == ca;
}

static bool lists_exactly(const struct tq__run *run, size_t ca, X509_CRL *crl)
{
    int want = 0;
    for (size_t r = 0; r < run->num_rows; r++) {
        if (!revoked_by(run, r, ca))
            continue;
        X509_REVOKED *entry = NULL;
        const ASN1_INTEGER *serial = X509_get0_serialNumber(run->items[r].cert);
        if (X509_CRL_get0_by_serial(crl, &entry, serial) != 1)
            return false;
        want++;
    }
    return sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) == want;
}

static bool crl_is_current(const struct tq__run *run, size_t ca, X509_CRL *crl)
{
    time_t now = run->now;
    time_t later = now + (time_t)TQ_CERTS_RENEW_MARGIN_DAYS * SECONDS_PER_DAY;
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    bool current =
        !run->force && X509_CRL_verify(crl, run->items[tq__key_row(ca)].key) == 1 &&
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(run->items[ca].cert)) == 0 &&
        X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &now) < 0 && next != NULL &&
        X509_cmp_time(next, &later) > 0 && lists_exactly(run, ca, crl);
    ERR_clear_error();
    return current;
}

static X509_CRL *load_crl(const char *path)
{
    char *pem TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    if (!tq_ok(tq_fs_read_all(NULL, &pem, &len, path, MAX_CRL_FILE)))
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_CRL *crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    return crl;
}

static tq_status add_revoked(struct tq_diag *diag, X509_CRL *crl, X509 *cert, ASN1_TIME *when)
{
    X509_REVOKED *rev = X509_REVOKED_new();
    bool ok = rev != NULL && X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(cert)) &&
              X509_REVOKED_set_revocationDate(rev, when) && X509_CRL_add0_revoked(crl, rev);
    if (!ok) {
        X509_REVOKED_free(rev);
        return tq__crypto_fail(diag, NULL, "add a CRL entry");
    }
    return TQ_SUCCESS;
}

static tq_status add_crl_extensions(struct tq_diag *diag, X509_CRL *crl, X509 *ca_cert, time_t now)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, ca_cert, NULL, NULL, crl, 0);
    X509_EXTENSION *aki =
        X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    bool ok = aki != NULL && X509_CRL_add_ext(crl, aki, -1);
    X509_EXTENSION_free(aki);
    /* The CRL number only grows: the time of issue in seconds. */
    ASN1_INTEGER *number = ASN1_INTEGER_new();
    ok = ok && number != NULL && ASN1_INTEGER_set_int64(number, (int64_t)now) &&
         X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) == 1;
    ASN1_INTEGER_free(number);
    return ok ? TQ_SUCCESS : tq__crypto_fail(diag, NULL, "add a CRL extension");
}

static tq_status fill_crl(struct tq_diag *diag, X509_CRL *crl, const struct tq__run *run, size_t ca,
                          ASN1_TIME *last, const ASN1_TIME *next)
{
    X509 *ca_cert = run->items[ca].cert;
    if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert)) ||
        !X509_CRL_set1_lastUpdate(crl, last) || !X509_CRL_set1_nextUpdate(crl, next))
        return tq__crypto_fail(diag, NULL, "fill a CRL");
    for (size_t r = 0; r < run->num_rows; r++)
        if (revoked_by(run, r, ca))
            TQ_GUARD(add_revoked(diag, crl, run->items[r].cert, last));
    X509_CRL_sort(crl);
    TQ_GUARD(add_crl_extensions(diag, crl, ca_cert, run->now));
    EVP_MD_CTX *mctx = NULL;
    TQ_GUARD(tq__sign_ctx_new(diag, &mctx, run->items[tq__key_row(ca)].key, run->rows[ca].digest));
    int len = X509_CRL_sign_ctx(crl, mctx);
    EVP_MD_CTX_free(mctx);
    return len > 0 ? TQ_SUCCESS : tq__crypto_fail(diag, NULL, "sign a CRL");
}

static tq_status issue_crl(struct tq_diag *diag, struct tq__run *run, size_t ca, const char *path)
{
    X509_CRL *crl TQ_DEFER(free_crl) = X509_CRL_new();
    ASN1_TIME *last = ASN1_TIME_adj(NULL, run->now, -1, 0);
    ASN1_TIME *next = ASN1_TIME_adj(NULL, run->now, CRL_DAYS, 0);
    tq_status st = TQ_STATUS(TQ_ERR_NOMEM);
    if (crl != NULL && last != NULL && next != NULL)
        st = fill_crl(diag, crl, run, ca, last, next);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    TQ_GUARD(st);
    char *pem TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq__pem_crl(diag, &pem, &len, crl));
    return tq__write_new(diag, run, path, pem, len, 0644);
}

/* see certs_internal.h */
tq_status tq__crls_update(struct tq_diag *diag, struct tq__run *run)
{
    for (size_t ca = 0; ca < run->num_rows; ca++) {
        if (!(run->rows[ca].ext & TQ_EXT_CRL))
            continue;
        char path[PATH_MAX];
        TQ_GUARD(tq__path(diag, path, run, run->rows[ca].name, ".crl.pem"));
        X509_CRL *crl TQ_DEFER(free_crl) = load_crl(path);
        if (crl == NULL || !crl_is_current(run, ca, crl))
            TQ_GUARD(issue_crl(diag, run, ca, path));
    }
    return TQ_SUCCESS;
}
