/* ClientHello summary and JA3 (RFC 8446 section 4.1.2; JA3 by Salesforce). */
#include "hello.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "events.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
    EXT_SERVER_NAME = 0,
    EXT_GROUPS = 10,
    EXT_POINT_FORMATS = 11,
    EXT_SIGALGS = 13,
    EXT_ALPN = 16,
    EXT_SUPPORTED_VERSIONS = 43,
};

struct code_name {
    uint16_t code;
    const char *name;
};

static const struct code_name version_names[] = {
    {0x0300, "SSLv3"},   {0x0301, "TLSv1"},   {0x0302, "TLSv1.1"},
    {0x0303, "TLSv1.2"}, {0x0304, "TLSv1.3"},
};

/* RFC 8446 section 4.2.7 and RFC 7919. */
static const struct code_name group_names[] = {
    {23, "secp256r1"},  {24, "secp384r1"},  {25, "secp521r1"},  {29, "x25519"},
    {30, "x448"},       {256, "ffdhe2048"}, {257, "ffdhe3072"}, {258, "ffdhe4096"},
    {259, "ffdhe6144"}, {260, "ffdhe8192"},
};

/* RFC 8446 section 4.2.3, plus the legacy TLS 1.2 pairs devices still send. */
static const struct code_name sigalg_names[] = {
    {0x0401, "rsa_pkcs1_sha256"},
    {0x0501, "rsa_pkcs1_sha384"},
    {0x0601, "rsa_pkcs1_sha512"},
    {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0503, "ecdsa_secp384r1_sha384"},
    {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0804, "rsa_pss_rsae_sha256"},
    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},
    {0x0808, "ed448"},
    {0x0809, "rsa_pss_pss_sha256"},
    {0x080a, "rsa_pss_pss_sha384"},
    {0x080b, "rsa_pss_pss_sha512"},
    {0x0201, "rsa_pkcs1_sha1"},
    {0x0203, "ecdsa_sha1"},
    {0x0301, "rsa_pkcs1_sha224"},
    {0x0303, "ecdsa_sha224"},
    {0x0402, "dsa_sha256"},
    {0x0202, "dsa_sha1"},
    {0x0302, "dsa_sha224"},
    {0x0502, "dsa_sha384"},
    {0x0602, "dsa_sha512"},
};

/* RFC 8701: GREASE values are 0x?A?A with both bytes equal. */
static bool is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static json_t *name_of(const struct code_name *table, size_t n, uint16_t code)
{
    if (is_grease(code))
        return json_string("GREASE");
    for (size_t i = 0; i < n; i++)
        if (table[i].code == code)
            return json_string(table[i].name);
    char hex[8];
    snprintf(hex, sizeof(hex), "0x%04x", code);
    return json_string(hex);
}

static json_t *suite_name(SSL *ssl, uint16_t code)
{
    const uint8_t bytes[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    const SSL_CIPHER *c = (ssl != NULL && !is_grease(code)) ? SSL_CIPHER_find(ssl, bytes) : NULL;
    return c ? json_string(SSL_CIPHER_standard_name(c)) : name_of(NULL, 0, code);
}

/* struct ja3 accumulates the five JA3 fields as dash-separated decimal lists. */
struct ja3 {
    char fields[5][2048];
    size_t len[5];
};

static void ja3_add(struct ja3 *j, int field, uint16_t v)
{
    if (is_grease(v))
        return;
    char *f = j->fields[field];
    size_t used = j->len[field], room = sizeof(j->fields[field]) - used;
    int n = snprintf(f + used, room, "%s%u", used ? "-" : "", v);
    if (n > 0) /* a full field stays full, as snprintf truncated it */
        j->len[field] = (size_t)n < room ? used + (size_t)n : sizeof(j->fields[field]) - 1;
}

struct summary {
    json_t *obj;
    SSL *ssl;
    struct ja3 ja3;
    bool has_versions;
};

static tq_status u16_list(struct tq_cursor *c, size_t prefix_len, struct tq_cursor *out)
{
    const uint8_t *p;
    size_t len = 0;
    if (prefix_len == 1) {
        uint8_t n;
        TQ_GUARD(tq_cursor_u8(c, &n));
        len = n;
        TQ_GUARD(tq_cursor_bytes(c, &p, len));
    } else {
        TQ_GUARD(tq_cursor_u16_prefixed(c, &p, &len));
    }
    tq_cursor_init(out, p, len);
    return TQ_SUCCESS;
}

/* code_list reads a length-prefixed list of 16-bit codes into JSON array `key`, naming each
 * with `table`, and adds each to JA3 field `ja3_field` (-1: none). */
static tq_status code_list(struct summary *s, struct tq_cursor body, size_t prefix_len,
                           const char *key, const struct code_name *table, size_t n, int ja3_field)
{
    struct tq_cursor list;
    TQ_GUARD(u16_list(&body, prefix_len, &list));
    json_t *arr = json_array();
    json_object_set_new(s->obj, key, arr);
    while (list.len > 0) {
        uint16_t v;
        TQ_GUARD(tq_cursor_u16(&list, &v));
        json_array_append_new(arr, name_of(table, n, v));
        if (ja3_field >= 0)
            ja3_add(&s->ja3, ja3_field, v);
    }
    return TQ_SUCCESS;
}

static tq_status point_formats(struct summary *s, struct tq_cursor body)
{
    uint8_t n;
    const uint8_t *p;
    TQ_GUARD(tq_cursor_u8(&body, &n));
    TQ_GUARD(tq_cursor_bytes(&body, &p, n));
    json_t *arr = json_array();
    json_object_set_new(s->obj, "point_formats", arr);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_integer(p[i]));
        ja3_add(&s->ja3, 4, p[i]);
    }
    return TQ_SUCCESS;
}

static tq_status server_name(struct summary *s, struct tq_cursor body)
{
    struct tq_cursor list;
    TQ_GUARD(u16_list(&body, 2, &list));
    while (list.len > 0) {
        uint8_t type;
        const uint8_t *name;
        size_t name_len;
        TQ_GUARD(tq_cursor_u8(&list, &type));
        TQ_GUARD(tq_cursor_u16_prefixed(&list, &name, &name_len));
        if (type == 0) /* host_name */
            json_object_set_new(s->obj, "sni", tq_events_text(name, name_len));
    }
    return TQ_SUCCESS;
}

static tq_status alpn(struct summary *s, struct tq_cursor body)
{
    struct tq_cursor list;
    TQ_GUARD(u16_list(&body, 2, &list));
    json_t *arr = json_array();
    json_object_set_new(s->obj, "alpn", arr);
    while (list.len > 0) {
        uint8_t n;
        const uint8_t *p;
        TQ_GUARD(tq_cursor_u8(&list, &n));
        TQ_GUARD(tq_cursor_bytes(&list, &p, n));
        json_array_append_new(arr, tq_events_text(p, n));
    }
    return TQ_SUCCESS;
}

static tq_status extension(struct summary *s, uint16_t type, struct tq_cursor body)
{
    switch (type) {
    case EXT_SERVER_NAME:
        return server_name(s, body);
    case EXT_GROUPS:
        return code_list(s, body, 2, "groups", group_names, ARRAY_LEN(group_names), 3);
    case EXT_POINT_FORMATS:
        return point_formats(s, body);
    case EXT_SIGALGS:
        return code_list(s, body, 2, "sigalgs", sigalg_names, ARRAY_LEN(sigalg_names), -1);
    case EXT_ALPN:
        return alpn(s, body);
    case EXT_SUPPORTED_VERSIONS:
        s->has_versions = true;
        return code_list(s, body, 1, "versions", version_names, ARRAY_LEN(version_names), -1);
    default:
        return TQ_SUCCESS;
    }
}

static tq_status extensions(struct summary *s, struct tq_cursor *c)
{
    struct tq_cursor exts;
    if (c->len == 0) /* no extensions block at all (SSLv3-style hello) */
        return TQ_SUCCESS;
    TQ_GUARD(u16_list(c, 2, &exts));
    json_t *order = json_object_get(s->obj, "extensions");
    while (exts.len > 0) {
        uint16_t type;
        const uint8_t *p;
        size_t len;
        TQ_GUARD(tq_cursor_u16(&exts, &type));
        TQ_GUARD(tq_cursor_u16_prefixed(&exts, &p, &len));
        json_array_append_new(order, json_integer(type));
        ja3_add(&s->ja3, 2, type);
        struct tq_cursor body;
        tq_cursor_init(&body, p, len);
        TQ_GUARD(extension(s, type, body));
    }
    return TQ_SUCCESS;
}

static tq_status suites(struct summary *s, struct tq_cursor *c)
{
    struct tq_cursor list;
    TQ_GUARD(u16_list(c, 2, &list));
    json_t *arr = json_object_get(s->obj, "suites");
    while (list.len > 0) {
        uint16_t v;
        TQ_GUARD(tq_cursor_u16(&list, &v));
        json_array_append_new(arr, suite_name(s->ssl, v));
        ja3_add(&s->ja3, 1, v);
    }
    return TQ_SUCCESS;
}

static tq_status body(struct summary *s, struct tq_cursor *c)
{
    uint16_t legacy;
    const uint8_t *skip;
    uint8_t n;
    TQ_GUARD(tq_cursor_u16(c, &legacy));
    json_object_set_new(s->obj, "legacy_version",
                        name_of(version_names, ARRAY_LEN(version_names), legacy));
    int n0 = snprintf(s->ja3.fields[0], sizeof(s->ja3.fields[0]), "%u", legacy);
    s->ja3.len[0] = n0 > 0 ? (size_t)n0 : 0;
    TQ_GUARD(tq_cursor_bytes(c, &skip, 32)); /* random */
    TQ_GUARD(tq_cursor_u8(c, &n));
    TQ_GUARD(tq_cursor_bytes(c, &skip, n)); /* session id */
    TQ_GUARD(suites(s, c));
    TQ_GUARD(tq_cursor_u8(c, &n));
    TQ_GUARD(tq_cursor_bytes(c, &skip, n)); /* compression */
    TQ_GUARD(extensions(s, c));
    if (!s->has_versions) /* before TLS 1.3 the legacy version is the only offer */
        json_object_set_new(s->obj, "versions",
                            json_pack("[O]", json_object_get(s->obj, "legacy_version")));
    return c->len == 0 ? TQ_SUCCESS : TQ_STATUS(TQ_ERR_PARSE);
}

static void add_ja3(struct summary *s)
{
    char text[sizeof(s->ja3.fields) + 8];
    snprintf(text, sizeof(text), "%s,%s,%s,%s,%s", s->ja3.fields[0], s->ja3.fields[1],
             s->ja3.fields[2], s->ja3.fields[3], s->ja3.fields[4]);
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (EVP_Digest(text, strlen(text), md, &md_len, EVP_md5(), NULL) == 1)
        tq_hex(hex, md, md_len);
    json_object_set_new(s->obj, "ja3", json_string(text));
    json_object_set_new(s->obj, "ja3_md5", json_string(hex));
}

static json_t *empty_summary(void)
{
    return json_pack("{s:n, s:[], s:[], s:[], s:[], s:[], s:n, s:[], s:[]}", "legacy_version",
                     "versions", "suites", "groups", "point_formats", "sigalgs", "sni", "alpn",
                     "extensions");
}

/* see hello.h */
tq_status tq_hello_summarize(struct tq_diag *diag, json_t **out, SSL *ssl, const uint8_t *msg,
                             size_t len)
{
    *out = NULL;
    if (len > TQ_HELLO_MAX_LEN)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "ClientHello of %zu bytes", len);
    struct tq_cursor c, hello;
    tq_cursor_init(&c, msg, len);
    uint8_t type = 0;
    const uint8_t *p;
    if (!tq_ok(tq_cursor_u8(&c, &type)) || type != 1 || c.len < 3)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "not a ClientHello message");
    size_t body_len = ((size_t)c.p[0] << 16) | ((size_t)c.p[1] << 8) | c.p[2];
    if (!tq_ok(tq_cursor_bytes(&c, &p, 3)) || !tq_ok(tq_cursor_bytes(&c, &p, body_len)))
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "truncated ClientHello");
    tq_cursor_init(&hello, p, body_len);
    struct summary *s = malloc(sizeof(*s)); /* 10 KB: only the field starts are cleared */
    TQ_ENSURE(s != NULL, TQ_ERR_NOMEM);
    s->has_versions = false;
    for (size_t i = 0; i < ARRAY_LEN(s->ja3.fields); i++) {
        s->ja3.fields[i][0] = '\0';
        s->ja3.len[i] = 0;
    }
    s->obj = empty_summary();
    s->ssl = ssl;
    tq_status st = s->obj ? body(s, &hello) : TQ_STATUS(TQ_ERR_NOMEM);
    if (tq_ok(st)) {
        add_ja3(s);
        *out = s->obj;
    } else {
        json_decref(s->obj);
        st = tq_diag_fail(diag, st.code, NULL, 0, "malformed ClientHello (%s)",
                          tq_status_name(st.code));
    }
    free(s);
    return st;
}
