/* Tests for broker/policy.c: the security-policy table against its snapshots and OpenSSL.
 *
 * A changed policy fails policy.snapshots_match until its golden file is updated: run this test
 * with TQ_UPDATE_GOLDEN=1 to rewrite tests/golden/policy/, then review the diff. */
#include <criterion/criterion.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "policy.h"

#define GOLDEN_DIR TQ_SOURCE_DIR "/tests/golden/policy"

static void golden_path(char *out, size_t out_len, const struct tq_policy *p)
{
    snprintf(out, out_len, GOLDEN_DIR "/%s.txt", p->id);
}

Test(policy, snapshots_match)
{
    bool update = getenv("TQ_UPDATE_GOLDEN") != NULL;
    for (size_t i = 0; i < tq_policy_count(); i++) {
        const struct tq_policy *p = tq_policy_at(i);
        struct tq_buf got;
        tq_buf_init(&got, 1 << 16);
        cr_assert(tq_ok(tq_policy_snapshot(&got, p)), "%s", p->id);
        char path[512];
        golden_path(path, sizeof(path), p);
        if (update)
            cr_assert(tq_ok(tq_fs_write_atomic(NULL, path, got.data, got.len, 0644)), "%s", path);
        char *want = NULL;
        size_t want_len = 0;
        cr_assert(tq_ok(tq_fs_read_all(NULL, &want, &want_len, path, 1 << 16)),
                  "%s: missing golden file (run with TQ_UPDATE_GOLDEN=1 and review)", path);
        cr_expect(want_len == got.len && memcmp(want, got.data, got.len) == 0,
                  "%s: snapshot differs from %s (TQ_UPDATE_GOLDEN=1 rewrites it)", p->id, path);
        free(want);
        tq_buf_cleanup(&got);
    }
}

Test(policy, table_shape)
{
    cr_assert_eq(tq_policy_count(), 8,
                 "the eight columns of docs/aws-iot/tls.md#security-policies");
    static const size_t want_suites[] = {3, 21, 18, 18, 17, 19, 19, 16};
    for (size_t i = 0; i < tq_policy_count(); i++) {
        const struct tq_policy *p = tq_policy_at(i);
        cr_expect_eq(tq_policy_num_suites(p), want_suites[i], "%s", p->id);
        cr_expect_leq(p->min_version, p->max_version, "%s", p->id);
        for (size_t k = 0; k < i; k++)
            cr_expect_str_neq(p->id, tq_policy_at(k)->id, "ids are unique");
    }
    cr_expect_str_eq(tq_policy_find(TQ_POLICY_DEFAULT_ID)->aws_name,
                     "IoTSecurityPolicy_TLS13_1_2_2022_10");
    cr_expect_str_eq(tq_policy_find("IoTSecurityPolicy_TLS12_1_0_2016_01")->id,
                     "TLS12_1_0_2016_01-8883", "the MQTT-port variant");
    cr_expect_null(tq_policy_find("IoTSecurityPolicy_Custom"));
}

/* Every suite's OpenSSL name must select exactly the cipher with its IANA name and code. */
Test(policy, names_and_codes_agree_with_openssl)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    cr_assert_not_null(ctx);
    SSL_CTX_set_security_level(ctx, 0);
    const struct tq_policy *b = tq_policy_find(TQ_POLICY_DEFAULT_ID);
    const struct tq_policy *e = tq_policy_find("TLS12_1_0_2015_01-8883");
    const struct tq_policy *both[] = {b, e};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < tq_policy_num_suites(both[k]); i++) {
            const struct tq_policy_suite *s = tq_policy_suite(both[k], i);
            int ok = s->tls13 ? SSL_CTX_set_ciphersuites(ctx, s->openssl)
                              : (SSL_CTX_set_ciphersuites(ctx, "") &&
                                 SSL_CTX_set_cipher_list(ctx, s->openssl));
            cr_assert_eq(ok, 1, "OpenSSL rejects %s", s->openssl);
            STACK_OF(SSL_CIPHER) *list = SSL_CTX_get_ciphers(ctx);
            bool found = false;
            for (int c = 0; c < sk_SSL_CIPHER_num(list); c++) {
                const SSL_CIPHER *ci = sk_SSL_CIPHER_value(list, c);
                if (strcmp(SSL_CIPHER_get_name(ci), s->openssl) != 0)
                    continue;
                found = true;
                cr_expect_str_eq(SSL_CIPHER_standard_name(ci), s->iana, "%s", s->openssl);
                cr_expect_eq(SSL_CIPHER_get_protocol_id(ci), s->code, "%s", s->openssl);
            }
            cr_expect(found, "%s not selected", s->openssl);
        }
    }
    SSL_CTX_free(ctx);
}

Test(policy, cipher_lists_split_by_version)
{
    char tls12[1024], tls13[256];
    const struct tq_policy *a = tq_policy_find("TLS13_1_3_2022_10");
    cr_assert(tq_ok(tq_policy_cipher_list(tls12, sizeof(tls12), a, false)));
    cr_assert(tq_ok(tq_policy_cipher_list(tls13, sizeof(tls13), a, true)));
    cr_expect_str_eq(tls12, "");
    cr_expect_str_eq(tls13,
                     "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
    const struct tq_policy *d2 = tq_policy_find("TLS12_1_0_2016_01-8883");
    cr_assert(tq_ok(tq_policy_cipher_list(tls12, sizeof(tls12), d2, false)));
    cr_expect_null(strstr(tls12, ":AES128-SHA256:"), "2016_01 on 8883 lacks AES128-SHA256");
    cr_expect_not_null(strstr(tls12, ":AES128-SHA:"));
    char tiny[8];
    cr_expect_eq(tq_policy_cipher_list(tiny, sizeof(tiny), d2, false).code, TQ_ERR_LIMIT);
}
