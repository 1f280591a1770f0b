/* mbedtls_verify.c: what Mbed TLS 2.28 verification lacks, done in its verify callback, and
 * RFC 2253 names.
 *
 * Mbed TLS reads "now" from time() with no way to pass another time, but it calls the verify
 * callback once per certificate of the chain (trust anchor included) with that certificate's
 * flags, and the callback's flags are the verdict. So for a case with verify_time the callback
 * clears the two validity-period flags and sets them again from the certificate's own dates
 * as of verify_time. (CRL thisUpdate/nextUpdate are still judged at the real time.) */
#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mbedtls_internal.h"

/* compare_time is <0, 0, >0 as `t` is before, equal to, after `x`. */
static int compare_time(const struct tm *t, const mbedtls_x509_time *x)
{
    const int a[] = {t->tm_year + 1900, t->tm_mon + 1, t->tm_mday,
                     t->tm_hour,        t->tm_min,     t->tm_sec};
    const int b[] = {x->year, x->mon, x->day, x->hour, x->min, x->sec};
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

static void retime(const mbedtls_x509_crt *crt, uint32_t *flags, int64_t when)
{
    time_t t = (time_t)when;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return;
    *flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
    if (compare_time(&tm, &crt->valid_to) > 0)
        *flags |= MBEDTLS_X509_BADCERT_EXPIRED;
    if (compare_time(&tm, &crt->valid_from) < 0)
        *flags |= MBEDTLS_X509_BADCERT_FUTURE;
}

/* san_has_ip is true when the certificate lists `ip` as an iPAddress subjectAltName. */
static bool san_has_ip(const mbedtls_x509_crt *crt, const unsigned char *ip, size_t ip_len)
{
    const mbedtls_x509_sequence *san = &crt->subject_alt_names;
    for (int i = 0; san != NULL && i < 1000; i++, san = san->next) {
        if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && san->buf.len == ip_len &&
            memcmp(san->buf.p, ip, ip_len) == 0)
            return true;
    }
    return false;
}

/* see mbedtls_internal.h */
int mtls_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct mtls_client *c = ctx;
    if (c->has_verify_time)
        retime(crt, flags, c->verify_time);
    if (depth == 0 && c->check_ip && !san_has_ip(crt, c->ip, c->ip_len))
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

/* append_value appends an attribute value with RFC 2253 section 2.4 escaping. */
static void append_value(char *buf, size_t buf_len, size_t *used, const mbedtls_asn1_buf *val)
{
    for (size_t i = 0; i < val->len && *used + 3 < buf_len; i++) {
        unsigned char ch = val->p[i];
        bool edge = (i == 0 && (ch == ' ' || ch == '#')) || (i + 1 == val->len && ch == ' ');
        if (edge || strchr(",+\"\\<>;", ch) != NULL)
            buf[(*used)++] = '\\';
        buf[(*used)++] = (char)ch;
    }
    buf[*used] = '\0';
}

static void append_attr(char *buf, size_t buf_len, size_t *used, const mbedtls_x509_name *n,
                        const char *sep)
{
    const char *short_name = NULL;
    char oid[64];
    if (mbedtls_oid_get_attr_short_name(&n->oid, &short_name) != 0) {
        if (mbedtls_oid_get_numeric_string(oid, sizeof(oid), &n->oid) < 0)
            snprintf(oid, sizeof(oid), "?");
        short_name = oid;
    }
    int k = snprintf(buf + *used, buf_len - *used, "%s%s=", sep, short_name);
    if (k < 0 || (size_t)k >= buf_len - *used)
        return;
    *used += (size_t)k;
    append_value(buf, buf_len, used, &n->val);
}

/* see mbedtls_internal.h */
void mtls_dn_rfc2253(char *buf, size_t buf_len, const mbedtls_x509_name *name)
{
    /* Mbed TLS keeps the RDNs in DER order, attributes of one RDN linked by next_merged;
     * RFC 2253 writes the last RDN first. */
    const mbedtls_x509_name *rdn_start[64];
    size_t num = 0;
    bool new_rdn = true;
    for (const mbedtls_x509_name *n = name; n != NULL && n->oid.p != NULL && num < 64;
         n = n->next) {
        if (new_rdn)
            rdn_start[num++] = n;
        new_rdn = !n->next_merged;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t r = num; r-- > 0;) {
        const mbedtls_x509_name *n = rdn_start[r];
        append_attr(buf, buf_len, &used, n, r + 1 == num ? "" : ",");
        for (int i = 0; n->next_merged && n->next != NULL && i < 64; i++) {
            n = n->next;
            append_attr(buf, buf_len, &used, n, "+");
        }
    }
}
