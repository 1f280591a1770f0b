/* renew.c: decides, row by row, whether the certificate on disk is kept or issued again.
 * A certificate is kept only when the previous manifest describes exactly what the profile asks
 * for, the file is the one the manifest recorded, it carries the right key, it still chains to
 * its issuer, and its validity state will not change within TQ_CERTS_RENEW_MARGIN_DAYS. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "certs_internal.h"
#include "fs.h"

enum { MAX_CERT_FILE = 256 * 1024, SECONDS_PER_DAY = 24 * 60 * 60 };

static void free_json(json_t **j)
{
    json_decref(*j);
}

static void free_name(X509_NAME **name)
{
    X509_NAME_free(*name);
}

static json_t *old_entry(const struct tq__run *run, const char *name)
{
    json_t *list = json_object_get(run->old_manifest, "artifacts");
    for (size_t k = 0; k < json_array_size(list); k++) {
        json_t *e = json_array_get(list, k);
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

static bool matches_manifest(struct tq__run *run, size_t i, X509 *cert)
{
    json_t *entry TQ_DEFER(free_json) = NULL;
    json_t *old = old_entry(run, run->rows[i].name);
    return old != NULL && tq_ok(tq__manifest_entry(NULL, &entry, run, i, cert)) &&
           json_equal(entry, old);
}

/* state_at is -1 before the validity period at `t`, 0 inside it, 1 after it. */
static int state_at(X509 *cert, time_t t)
{
    if (X509_cmp_time(X509_get0_notBefore(cert), &t) > 0)
        return -1;
    return X509_cmp_time(X509_get0_notAfter(cert), &t) < 0 ? 1 : 0;
}

static bool validity_holds(const struct tq__run *run, size_t i, X509 *cert)
{
    const struct tq__profile *p = &run->rows[i];
    int want = p->not_before_days > 0 ? -1 : p->not_after_days < 0 ? 1 : 0;
    time_t later = run->now + (time_t)TQ_CERTS_RENEW_MARGIN_DAYS * SECONDS_PER_DAY;
    int days = 0;
    int secs = 0;
    return state_at(cert, run->now) == want && state_at(cert, later) == want &&
           ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)) &&
           days == p->not_after_days - p->not_before_days && secs == 0;
}

static bool shape_holds(struct tq__run *run, size_t i, X509 *cert)
{
    const struct tq__profile *p = &run->rows[i];
    size_t issuer = tq__profile_find(p->issuer);
    enum tq__key_type issuer_type = run->rows[tq__key_row(issuer)].key_type;
    X509_NAME *subject TQ_DEFER(free_name) = NULL;
    return tq_ok(tq__name_from_rfc2253(NULL, &subject, p->subject)) &&
           X509_NAME_cmp(subject, X509_get_subject_name(cert)) == 0 &&
           X509_get_signature_nid(cert) == tq__signature_nid(issuer_type, p->digest) &&
           EVP_PKEY_eq(X509_get0_pubkey(cert), run->items[tq__pubkey_row(i)].key) == 1;
}

static bool chains_to_issuer(struct tq__run *run, size_t i, X509 *cert)
{
    size_t issuer = tq__profile_find(run->rows[i].issuer);
    /* X509_check_issued also wants keyCertSign, which a self-signed leaf lacks. */
    bool named = issuer == i
                     ? X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(cert)) == 0
                     : X509_check_issued(run->items[tq__cert_row(issuer)].cert, cert) == X509_V_OK;
    if (!named)
        return false;
    /* A malformed certificate is meant not to verify; its flipped byte is not re-checked. */
    return run->rows[i].flaw == TQ_FLAW_MALFORMED ||
           X509_verify(cert, run->items[tq__key_row(issuer)].key) == 1;
}

/* see certs_internal.h */
bool tq__cert_is_current(struct tq__run *run, size_t i, X509 *cert)
{
    bool current = !run->force && matches_manifest(run, i, cert) && validity_holds(run, i, cert) &&
                   shape_holds(run, i, cert) && chains_to_issuer(run, i, cert);
    ERR_clear_error();
    return current;
}

static X509 *load_cert(const char *path)
{
    char *pem TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    if (!tq_ok(tq_fs_read_all(NULL, &pem, &len, path, MAX_CERT_FILE)))
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    return cert;
}

static tq_status settle_row(struct tq_diag *diag, struct tq__run *run, size_t i)
{
    struct tq__item *item = &run->items[i];
    char path[PATH_MAX];
    TQ_GUARD(tq__path(diag, path, run, run->rows[i].name, ".pem"));
    item->cert = load_cert(path);
    if (item->cert != NULL && tq__cert_is_current(run, i, item->cert)) {
        run->counts.certs_kept++;
        return TQ_SUCCESS;
    }
    X509_free(item->cert);
    item->cert = NULL;
    TQ_GUARD(tq__cert_issue(diag, &item->cert, run, i));
    item->cert_issued = true;
    run->counts.certs_issued++;
    char *pem TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq__pem_cert(diag, &pem, &len, item->cert));
    return tq__write_new(diag, run, path, pem, len, 0644);
}

/* see certs_internal.h */
tq_status tq__certs_settle(struct tq_diag *diag, struct tq__run *run)
{
    for (size_t i = 0; i < run->num_rows; i++)
        if (run->rows[i].alias_of == NULL)
            TQ_GUARD(settle_row(diag, run, i));
    for (size_t i = 0; i < run->num_rows; i++) {
        X509 *cert = run->items[tq__cert_row(i)].cert;
        TQ_GUARD(tq__cert_sha256(diag, run->items[i].sha256, cert));
        TQ_GUARD(tq__manifest_entry(diag, &run->items[i].entry, run, i, cert));
    }
    return TQ_SUCCESS;
}
