/* Tests for broker/hello.c: the ClientHello summary, JA3, and malformed hellos. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <string.h>

#include "bytes.h"
#include "hello.h"

/* A TLS 1.3 ClientHello built by hand: a GREASE suite, two real suites, and the extensions
 * GREASE, server_name, supported_groups, ec_point_formats, signature_algorithms, ALPN,
 * supported_versions, in that order. */
static const uint8_t hello_13[] = {
    0x01, 0x00, 0x00, 0x7d, /* ClientHello, 125 bytes */
    0x03, 0x03,             /* legacy_version TLS 1.2 */
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0, /* random */
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0x00,             /* session id */
    0x00, 0x06, 0x1a, 0x1a, 0x13, 0x01, 0xc0, 0x2f, /* suites: GREASE, AES128-GCM, ECDHE-RSA */
    0x01, 0x00,                                     /* compression: null */
    0x00, 0x4e,                                     /* extensions, 78 bytes */
    0x2a, 0x2a, 0x00, 0x00,                         /* GREASE extension, empty */
    0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09, 'm',  'q',
    't',  't',  '.',  't',  'e',  's',  't',                    /* server_name "mqtt.test" */
    0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, /* groups x25519 secp256r1 */
    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,                         /* point formats: uncompressed */
    0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04, /* sigalgs */
    0x00, 0x10, 0x00, 0x11, 0x00, 0x0f, 0x0e, 'x',  '-',  'a',  'm',
    'z',  'n',  '-',  'm',  'q',  't',  't',  '-',  'c',  'a', /* ALPN x-amzn-mqtt-ca */
    0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03,      /* versions 1.3 1.2 */
};

static const char *str_at(json_t *obj, const char *key, size_t i)
{
    return json_string_value(json_array_get(json_object_get(obj, key), i));
}

Test(hello, summary_of_a_tls13_hello)
{
    cr_assert_eq(sizeof(hello_13), 4 + 0x7d, "test vector length");
    json_t *h = NULL;
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_hello_summarize(&diag, &h, NULL, hello_13, sizeof(hello_13))), "%s",
              diag.msg);
    cr_expect_str_eq(json_string_value(json_object_get(h, "legacy_version")), "TLSv1.2");
    cr_expect_str_eq(str_at(h, "versions", 0), "TLSv1.3");
    cr_expect_str_eq(str_at(h, "versions", 1), "TLSv1.2");
    cr_expect_str_eq(str_at(h, "suites", 0), "GREASE");
    cr_expect_str_eq(str_at(h, "suites", 1), "0x1301", "no SSL: codes in hex");
    cr_expect_str_eq(str_at(h, "groups", 0), "x25519");
    cr_expect_str_eq(str_at(h, "sigalgs", 1), "rsa_pss_rsae_sha256");
    cr_expect_str_eq(json_string_value(json_object_get(h, "sni")), "mqtt.test");
    cr_expect_str_eq(str_at(h, "alpn", 0), "x-amzn-mqtt-ca");
    cr_expect_eq(json_array_size(json_object_get(h, "extensions")), 7);
    cr_expect_eq(json_integer_value(json_array_get(json_object_get(h, "extensions"), 0)), 0x2a2a,
                 "GREASE is listed in wire order");
    const char *ja3 = "771,4865-49199,0-10-11-13-16-43,29-23,0";
    cr_expect_str_eq(json_string_value(json_object_get(h, "ja3")), ja3);
    uint8_t md[16];
    unsigned md_len = 0;
    cr_assert(EVP_Digest(ja3, strlen(ja3), md, &md_len, EVP_md5(), NULL));
    char hex[33];
    tq_hex(hex, md, 16);
    cr_expect_str_eq(json_string_value(json_object_get(h, "ja3_md5")), hex);
    json_decref(h);
}

Test(hello, suite_names_come_from_openssl)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL *ssl = SSL_new(ctx);
    json_t *h = NULL;
    cr_assert(tq_ok(tq_hello_summarize(NULL, &h, ssl, hello_13, sizeof(hello_13))));
    cr_expect_str_eq(str_at(h, "suites", 1), "TLS_AES_128_GCM_SHA256");
    cr_expect_str_eq(str_at(h, "suites", 2), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    json_decref(h);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

Test(hello, malformed_hellos_fail_cleanly)
{
    uint8_t buf[sizeof(hello_13) + 1];
    json_t *h = (json_t *)NULL;
    for (size_t cut = 0; cut < sizeof(hello_13); cut++) { /* every truncation */
        memcpy(buf, hello_13, cut);
        cr_expect_not(tq_ok(tq_hello_summarize(NULL, &h, NULL, buf, cut)), "cut at %zu", cut);
        cr_expect_null(h);
    }
    memcpy(buf, hello_13, sizeof(hello_13));
    buf[0] = 2; /* ServerHello */
    cr_expect_eq(tq_hello_summarize(NULL, &h, NULL, buf, sizeof(hello_13)).code, TQ_ERR_PARSE);
    memcpy(buf, hello_13, sizeof(hello_13));
    buf[3] += 1; /* body one byte longer: trailing byte inside the extensions' parent */
    buf[sizeof(hello_13)] = 0;
    cr_expect_eq(tq_hello_summarize(NULL, &h, NULL, buf, sizeof(buf)).code, TQ_ERR_PARSE);
    memcpy(buf, hello_13, sizeof(hello_13));
    buf[40] = 0x07; /* odd suite-list length */
    cr_expect_not(tq_ok(tq_hello_summarize(NULL, &h, NULL, buf, sizeof(hello_13))));
}
