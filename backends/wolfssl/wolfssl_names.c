/* wolfssl_names.c: X.509 names as RFC 4514 strings (the RFC 2253 form of
 * docs/backend-protocol.md). wolfSSL 5.5.4's wolfSSL_X509_NAME_print_ex with XN_FLAG_RFC2253
 * separates the RDNs with ", ", which neither RFC writes and no other backend does, so the
 * string is built here from the name's entries. */
#include <stdio.h>
#include <string.h>

#include "wolfssl_internal.h"

/* struct out_text is a bounded output: `full` once something did not fit. */
struct out_text {
    char *buf;
    size_t cap;
    size_t used;
    bool full;
};

static void put(struct out_text *o, const char *s, size_t len)
{
    if (o->full || len >= o->cap - o->used) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->used, s, len);
    o->used += len;
    o->buf[o->used] = '\0';
}

/* put_value writes an attribute value with RFC 4514 section 2.4 escaping: the specials
 * `"+,;<>\`, a leading space or '#', a trailing space, and control characters and NUL (as a
 * \XX hex pair, which OpenSSL writes too). Bytes above 0x7F go out as they are (UTF-8). */
static void put_value(struct out_text *o, const unsigned char *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = v[i];
        bool edge = (i == 0 && (ch == ' ' || ch == '#')) || (i + 1 == len && ch == ' ');
        char esc[4];
        if (ch < 0x20 || ch == 0x7F) {
            snprintf(esc, sizeof(esc), "\\%02X", ch);
            put(o, esc, 3);
        } else if (edge || strchr(",+\"\\<>;", ch) != NULL) {
            esc[0] = '\\';
            esc[1] = (char)ch;
            put(o, esc, 2);
        } else {
            put(o, (const char *)&ch, 1);
        }
    }
}

/* put_type writes the attribute's short name (CN, O, OU, C, ...), or its dotted OID when
 * wolfSSL knows no name for it. */
static void put_type(struct out_text *o, WOLFSSL_X509_NAME_ENTRY *e)
{
    WOLFSSL_ASN1_OBJECT *obj = wolfSSL_X509_NAME_ENTRY_get_object(e);
    const char *sn = obj != NULL ? wolfSSL_OBJ_nid2sn(wolfSSL_OBJ_obj2nid(obj)) : NULL;
    char oid[80] = "";
    if (sn == NULL && obj != NULL && wolfSSL_OBJ_obj2txt(oid, (int)sizeof(oid), obj, 1) > 0)
        sn = oid;
    put(o, sn != NULL ? sn : "?", strlen(sn != NULL ? sn : "?"));
    put(o, "=", 1);
}

/* see wolfssl_internal.h */
void wolf_name_rfc4514(char *buf, size_t buf_len, WOLFSSL_X509_NAME *name)
{
    struct out_text o = {.buf = buf, .cap = buf_len};
    if (buf_len == 0)
        return;
    buf[0] = '\0';
    int num = name != NULL ? wolfSSL_X509_NAME_entry_count(name) : 0;
    /* RFC 4514 section 2.1: the last RDN of the DER sequence comes first. wolfSSL keeps one
     * entry per attribute; every RDN of the certificates here has one attribute. */
    for (int i = num - 1; i >= 0; i--) {
        WOLFSSL_X509_NAME_ENTRY *e = wolfSSL_X509_NAME_get_entry(name, i);
        WOLFSSL_ASN1_STRING *value = e != NULL ? wolfSSL_X509_NAME_ENTRY_get_data(e) : NULL;
        if (value == NULL)
            continue;
        if (o.used > 0)
            put(&o, ",", 1);
        put_type(&o, e);
        int len = wolfSSL_ASN1_STRING_length(value);
        put_value(&o, wolfSSL_ASN1_STRING_data(value), len > 0 ? (size_t)len : 0);
    }
}
