/* hello_fuzz: tq_hello_summarize (broker/hello.h) over arbitrary bytes.
 *
 * The input is a handshake message as OpenSSL's message callback hands it to the broker: type 1,
 * a 24-bit length, the ClientHello body. Each input is summarized twice, without an SSL (suites
 * as "0xNNNN") and with one (suites named by OpenSSL); both must agree on success, and a summary
 * must hold every member the header lists, with a 32-digit ja3_md5. On failure `*out` is NULL. */
#include <openssl/ssl.h>
#include <string.h>

#include "fuzz_check.h"
#include "hello.h"

static SSL *ssl;

/* see fuzz_check.h */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    ssl = ctx ? SSL_new(ctx) : NULL;
    TQ_FUZZ_CHECK(ssl != NULL); /* both stay alive for the whole run */
    return 0;
}

static void check_summary(json_t *h)
{
    static const char *const arrays[] = {"versions", "suites", "groups",    "point_formats",
                                         "sigalgs",  "alpn",   "extensions"};
    TQ_FUZZ_CHECK(json_is_object(h));
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
        TQ_FUZZ_CHECK(json_is_array(json_object_get(h, arrays[i])));
    TQ_FUZZ_CHECK(json_is_string(json_object_get(h, "legacy_version")));
    json_t *sni = json_object_get(h, "sni");
    TQ_FUZZ_CHECK(json_is_null(sni) || json_is_string(sni));
    TQ_FUZZ_CHECK(json_is_string(json_object_get(h, "ja3")));
    const char *md5 = json_string_value(json_object_get(h, "ja3_md5"));
    TQ_FUZZ_CHECK(md5 != NULL && strlen(md5) == 32 && strspn(md5, "0123456789abcdef") == 32);
    char *text = json_dumps(h, JSON_COMPACT); /* what the event log writes */
    TQ_FUZZ_CHECK(text != NULL);
    free(text);
}

static tq_status summarize(SSL *with, const uint8_t *data, size_t size)
{
    struct tq_diag diag = {.code = TQ_OK};
    json_t *h = json_object(); /* must be overwritten either way */
    json_t *before = h;
    tq_status st = tq_hello_summarize(&diag, &h, with, data, size);
    json_decref(before);
    if (tq_ok(st)) {
        check_summary(h);
    } else {
        TQ_FUZZ_CHECK(h == NULL &&
                      (st.code == TQ_ERR_NOMEM || (diag.code == st.code && diag.msg[0] != '\0')));
    }
    json_decref(h);
    return st;
}

/* see fuzz_check.h */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tq_status without_ssl = summarize(NULL, data, size);
    tq_status with_ssl = summarize(ssl, data, size);
    TQ_FUZZ_CHECK(without_ssl.code == with_ssl.code);
    return 0;
}
