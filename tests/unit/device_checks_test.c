/* Tests for harness/device/device_checks.c: the passive ClientHello checks of `tlsqual device`
 * (docs/device-mode.md#passive-checks). Each check both ways: a hello it passes, and hellos it
 * fails or warns about, with the reason; then how the hellos of several connections fold into
 * one case per check, and what happens with none. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "device_checks.h"
#include "tq_test.h"

#define ENDPOINT "d1-ats.iot.test"
#define MD5_A "0123456789abcdef0123456789abcdef"
#define MD5_B "fedcba9876543210fedcba9876543210"

/* A hello every check passes under the default policy (TLS13_1_2_2022_10). */
static const char good_members[] =
    "{\"legacy_version\":\"TLSv1.2\",\"versions\":[\"TLSv1.3\",\"TLSv1.2\"],"
    "\"suites\":[\"GREASE\",\"TLS_AES_128_GCM_SHA256\",\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
    "\"TLS_EMPTY_RENEGOTIATION_INFO_SCSV\"],\"groups\":[\"x25519\",\"secp256r1\"],"
    "\"point_formats\":[\"uncompressed\"],\"sigalgs\":[\"ecdsa_secp256r1_sha256\","
    "\"rsa_pss_rsae_sha256\"],\"sni\":\"" ENDPOINT "\",\"alpn\":[\"x-amzn-mqtt-ca\"],"
    "\"extensions\":[0,10,11,13,16,43,51],\"ja3\":\"771,4865-49199,0-10-11-13-16-43-51,29-23,0\","
    "\"ja3_md5\":\"" MD5_A "\"}";

/* hello_line returns a client_hello event line: the good hello with member `key` set to the JSON
 * text `value` (NULL `key`: unchanged). The caller frees it. */
static char *hello_line(const char *key, const char *value)
{
    json_t *m = json_loads(good_members, 0, NULL);
    cr_assert_not_null(m);
    if (key != NULL) {
        json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
        cr_assert_not_null(v, "bad JSON in the test: %s", value);
        json_object_set_new(m, key, v);
    }
    json_t *line = json_pack("{s:s, s:s, s:i, s:s}", "ts", "2026-01-01T00:00:00.000Z", "event",
                             "client_hello", "conn", 1, "peer", "127.0.0.1:40000");
    json_object_update(line, m);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    json_decref(m);
    return text;
}

struct run {
    struct tq_report *report;
    size_t num;
};

/* run_checks runs every check over `num` hellos under `policy` and returns the report. */
static struct run run_checks(const struct tq_device_hello *hellos, size_t num, const char *policy,
                             const char *expect_ja3)
{
    struct run r = {.report = tq_test_report(NULL, 0)};
    struct tq_device_check_input in = {.hellos = hellos,
                                       .num_hellos = num,
                                       .policy = policy,
                                       .endpoint_host = ENDPOINT,
                                       .expect_ja3 = expect_ja3};
    struct tq_diag diag = {0};
    TQ_TEST_OK(tq_device_checks_run(&diag, &r.num, r.report, &in, 100), &diag);
    return r;
}

/* record returns the case of check `name` in `r`. */
static const struct tq_case_record *record(const struct run *r, const char *name)
{
    for (size_t i = 0; i < tq_report_count(r->report); i++)
        if (strcmp(tq_report_at(r->report, i)->name, name) == 0)
            return tq_report_at(r->report, i);
    cr_assert_fail("no case '%s' in the report", name);
    return NULL;
}

struct want {
    const char *check;   /* the case name */
    const char *key;     /* the member changed from the good hello; NULL: none */
    const char *value;   /* its JSON text */
    const char *policy;  /* NULL: the default policy */
    bool plain_listener; /* sent to the 8883-style listener */
    const char *expect_ja3;
    enum tq_verdict verdict;
    const char *message_has; /* NULL: an empty message (a pass says nothing) */
};

#define VERSIONS "clienthello offers TLS 1.2 or 1.3 only"
#define SUITES "clienthello cipher suites against the policy"
#define SNI "clienthello SNI is the endpoint name"
#define ALPN "clienthello ALPN on the 443-style listener"
#define SIGALGS "clienthello signature algorithms"
#define GROUPS "clienthello key exchange groups"
#define MFL "clienthello max_fragment_length"
#define JA3 "clienthello JA3 fingerprint"

static const struct want cases[] = {
    /* docs/aws-iot/tls.md#versions: TLS 1.2 and 1.3 only. */
    {VERSIONS, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {VERSIONS, "versions", "[\"TLSv1.1\",\"TLSv1\"]", .verdict = TQ_VERDICT_FAIL,
     .message_has = "offers no version policy TLS13_1_2_2022_10 allows (offered: TLSv1.1, TLSv1)"},
    {VERSIONS, "versions", "[\"TLSv1.2\",\"TLSv1.1\"]", .verdict = TQ_VERDICT_WARN,
     .message_has = "also offers versions below TLS 1.2"},
    {VERSIONS, "versions", "[\"TLSv1.2\"]", .policy = "TLS13_1_3_2022_10",
     .verdict = TQ_VERDICT_FAIL, .message_has = "no version policy TLS13_1_3_2022_10 allows"},
    /* docs/aws-iot/device-advisor.md#tls-support-aws-iot-cipher-suites: pass with a recommended
     * suite and nothing outside the policy; signalling values (GREASE, SCSVs) are neither. */
    {SUITES, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {SUITES, "suites", "[\"TLS_DHE_RSA_WITH_AES_256_CBC_SHA\"]", .verdict = TQ_VERDICT_FAIL,
     .message_has = "offers no suite policy TLS13_1_2_2022_10 allows (outside the policy: "
                    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA)"},
    {SUITES, "suites", "[\"TLS_RSA_WITH_AES_128_CBC_SHA\"]", .verdict = TQ_VERDICT_WARN,
     .message_has = "offers no recommended suite (allowed: TLS_RSA_WITH_AES_128_CBC_SHA)"},
    {SUITES, "suites",
     "[\"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\",\"TLS_DHE_RSA_WITH_AES_256_CBC_SHA\"]",
     .verdict = TQ_VERDICT_WARN,
     .message_has = "also offers suites outside policy TLS13_1_2_2022_10: "
                    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {SUITES, "suites", "[\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"]", .policy = "TLS13_1_3_2022_10",
     .verdict = TQ_VERDICT_FAIL, .message_has = "offers no suite policy TLS13_1_3_2022_10 allows"},
    /* docs/aws-iot/endpoints.md#sni and docs/aws-iot/endpoints.md#sni-host-name. */
    {SNI, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {SNI, "sni", "null", .verdict = TQ_VERDICT_WARN, .message_has = "sends no SNI"},
    {SNI, "sni", "\"other.example.test\"", .verdict = TQ_VERDICT_FAIL,
     .message_has = "want SNI '" ENDPOINT "' (the endpoint), got 'other.example.test'"},
    /* docs/aws-iot/endpoints.md#alpn-443, on the 443-style listener only. */
    {ALPN, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {ALPN, "alpn", "[]", .verdict = TQ_VERDICT_FAIL,
     .message_has = "want ALPN x-amzn-mqtt-ca, got none"},
    {ALPN, "alpn", "[\"x-amzn-http-ca\"]", .verdict = TQ_VERDICT_FAIL,
     .message_has = "got x-amzn-http-ca"},
    {ALPN, "alpn", "[]", .plain_listener = true, .verdict = TQ_VERDICT_SKIP,
     .message_has = "no case of the plan used the 443-style listener"},
    /* docs/aws-iot/server-chains.md#chain-selection: a signature algorithm for the RSA or the
     * ECDSA P-256 chain. */
    {SIGALGS, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {SIGALGS, "sigalgs", "[]", .verdict = TQ_VERDICT_WARN,
     .message_has = "no signature_algorithms extension"},
    {SIGALGS, "sigalgs", "[\"rsa_pkcs1_sha1\",\"ecdsa_secp384r1_sha384\"]",
     .verdict = TQ_VERDICT_FAIL, .message_has = "offers no signature algorithm the ATS chains use"},
    {GROUPS, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {GROUPS, "groups", "[\"ffdhe2048\"]", .verdict = TQ_VERDICT_FAIL,
     .message_has = "offers none of x25519, secp256r1, secp384r1, secp521r1; got ffdhe2048"},
    {GROUPS, "groups", "[]", .verdict = TQ_VERDICT_FAIL,
     .message_has = "no supported_groups extension"},
    /* docs/aws-iot/tls.md#max-fragment-length: max_fragment_length (extension 1) is not
     * honoured. */
    {MFL, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {MFL, "extensions", "[0,1,10]", .verdict = TQ_VERDICT_WARN,
     .message_has = "offers max_fragment_length"},
    {JA3, NULL, NULL, .verdict = TQ_VERDICT_PASS},
    {JA3, NULL, NULL, .expect_ja3 = MD5_A, .verdict = TQ_VERDICT_PASS},
    {JA3, NULL, NULL, .expect_ja3 = MD5_B, .verdict = TQ_VERDICT_FAIL,
     .message_has = "want fingerprint " MD5_B " (--expect-ja3), got " MD5_A},
};

Test(device_checks, each_check_passes_a_good_hello_and_names_what_is_wrong_with_a_bad_one)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct want *w = &cases[i];
        char *line = hello_line(w->key, w->value);
        struct tq_device_hello h = {
            .event = line, .case_name = "the case", .alpn_listener = !w->plain_listener};
        struct run r =
            run_checks(&h, 1, w->policy ? w->policy : "TLS13_1_2_2022_10", w->expect_ja3);
        const struct tq_case_record *c = record(&r, w->check);
        cr_expect_eq(c->verdict, w->verdict, "%s with %s=%s: want %s, got %s (%s)", w->check,
                     w->key, w->value, tq_verdict_name(w->verdict), tq_verdict_name(c->verdict),
                     c->message);
        if (w->message_has == NULL)
            cr_expect(c->message == NULL || c->message[0] == '\0', "%s: a pass says nothing: %s",
                      w->check, c->message);
        else
            cr_expect(c->message != NULL && strstr(c->message, w->message_has) != NULL,
                      "%s with %s=%s: want '%s' in '%s'", w->check, w->key, w->value,
                      w->message_has, c->message);
        tq_report_free(r.report);
        free(line);
    }
}

/* Groups: without supported_groups a TLS 1.3 hello is broken (RFC 8446), a TLS 1.2 one only
 * leaves the curve to the server. */
Test(device_checks, missing_groups_fail_tls13_and_warn_tls12)
{
    json_t *m = json_loads(good_members, 0, NULL);
    json_object_set_new(m, "versions", json_pack("[s]", "TLSv1.2"));
    json_object_set_new(m, "groups", json_array());
    json_t *line = json_pack("{s:s, s:s, s:i, s:s}", "ts", "t", "event", "client_hello", "conn", 1,
                             "peer", "127.0.0.1:1");
    json_object_update(line, m);
    char *text = json_dumps(line, JSON_COMPACT);
    struct tq_device_hello h = {.event = text, .case_name = "c"};
    struct run r = run_checks(&h, 1, "TLS13_1_2_2022_10", NULL);
    cr_expect_eq(record(&r, GROUPS)->verdict, TQ_VERDICT_WARN, "%s", record(&r, GROUPS)->message);
    tq_report_free(r.report);
    free(text);
    json_decref(line);
    json_decref(m);
}

Test(device_checks, one_case_per_check_numbered_from_first_seq)
{
    char *line = hello_line(NULL, NULL);
    struct tq_device_hello h = {.event = line, .case_name = "c", .alpn_listener = true};
    struct run r = run_checks(&h, 1, "TLS13_1_2_2022_10", NULL);
    cr_assert_eq(r.num, 8);
    cr_assert_eq(tq_report_count(r.report), 8);
    for (size_t i = 0; i < 8; i++) {
        const struct tq_case_record *c = tq_report_at(r.report, i);
        cr_expect_eq(c->seq, 100 + i);
        cr_expect_str_eq(c->backend, "device");
        cr_expect_str_eq(c->group, "clienthello");
        cr_expect_eq(c->verdict, TQ_VERDICT_PASS, "%s: %s", c->name, c->message);
        cr_expect(c->details != NULL && c->details[0] != '\0', "%s: evidence kept", c->name);
    }
    tq_report_free(r.report);
    free(line);
}

/* Several connections: the worst finding decides and names its case; the evidence lists each
 * distinct hello with the cases that sent it. */
Test(device_checks, the_worst_hello_decides_and_is_named)
{
    char *good = hello_line(NULL, NULL);
    char *bad = hello_line("sni", "\"wrong.example.test\"");
    struct tq_device_hello h[] = {
        {.event = good, .case_name = "first", .alpn_listener = true},
        {.event = bad, .case_name = "second"},
        {.event = good, .case_name = "third"},
    };
    struct run r = run_checks(h, 3, "TLS13_1_2_2022_10", NULL);
    const struct tq_case_record *sni = record(&r, SNI);
    cr_expect_eq(sni->verdict, TQ_VERDICT_FAIL);
    cr_expect(strstr(sni->message, "(case 'second')") != NULL, "%s", sni->message);
    cr_expect(strstr(sni->details, "seen in: 'first', 'third'") != NULL, "%s", sni->details);
    cr_expect(strstr(sni->details, "seen in: 'second'") != NULL, "%s", sni->details);
    /* ALPN is judged on the one hello sent to the 443-style listener. */
    cr_expect_eq(record(&r, ALPN)->verdict, TQ_VERDICT_PASS);
    tq_report_free(r.report);
    free(good);
    free(bad);
}

/* One firmware, one fingerprint: hellos that pass one by one but differ in JA3 warn. */
Test(device_checks, different_fingerprints_warn)
{
    char *a = hello_line(NULL, NULL);
    char *b = hello_line("ja3_md5", "\"" MD5_B "\"");
    struct tq_device_hello h[] = {{.event = a, .case_name = "a"}, {.event = b, .case_name = "b"}};
    struct run r = run_checks(h, 2, "TLS13_1_2_2022_10", NULL);
    const struct tq_case_record *ja3 = record(&r, JA3);
    cr_expect_eq(ja3->verdict, TQ_VERDICT_WARN);
    cr_expect_str_eq(ja3->message, "2 different fingerprints across the connections");
    tq_report_free(r.report);

    struct tq_device_check_input in = {.hellos = h, .num_hellos = 2};
    char md5[64];
    tq_device_checks_ja3(md5, sizeof(md5), &in);
    cr_expect_str_eq(md5, MD5_A, "the first hello's fingerprint");
    free(a);
    free(b);
}

/* No ClientHello to judge (none seen, or only one the broker could not parse): a check is an
 * error that says it did not run, never a pass. */
Test(device_checks, no_hello_is_an_error_for_every_check)
{
    static const char malformed[] = "{\"ts\":\"t\",\"event\":\"client_hello\",\"conn\":1,"
                                    "\"peer\":\"127.0.0.1:1\",\"malformed\":\"truncated\"}";
    struct tq_device_hello h = {.event = malformed, .case_name = "m", .alpn_listener = true};
    for (size_t num = 0; num <= 1; num++) {
        struct run r = run_checks(&h, num, "TLS13_1_2_2022_10", NULL);
        cr_assert_eq(tq_report_count(r.report), 8);
        for (size_t i = 0; i < 8; i++) {
            const struct tq_case_record *c = tq_report_at(r.report, i);
            cr_expect_neq(c->verdict, TQ_VERDICT_PASS, "%zu hello(s): %s passed", num, c->name);
            if (num == 1 && strcmp(c->name, ALPN) == 0)
                continue; /* judged above: it says no case used the 443-style listener */
            cr_expect_eq(c->verdict, TQ_VERDICT_ERROR, "%zu hello(s): %s is %s", num, c->name,
                         tq_verdict_name(c->verdict));
            cr_expect_str_eq(c->message, "did not run: the device sent no ClientHello");
        }
        tq_report_free(r.report);
    }
    struct tq_device_check_input in = {.hellos = &h, .num_hellos = 1};
    char md5[64] = "x";
    tq_device_checks_ja3(md5, sizeof(md5), &in);
    cr_expect_str_eq(md5, "");
}

Test(device_checks, an_unknown_policy_is_refused)
{
    struct tq_report *report = tq_test_report(NULL, 0);
    struct tq_device_check_input in = {.policy = "TLS99_NOPE"};
    struct tq_diag diag = {0};
    size_t num = 9;
    cr_expect_not(tq_ok(tq_device_checks_run(&diag, &num, report, &in, 0)));
    cr_expect(strstr(diag.msg, "unknown security policy 'TLS99_NOPE'") != NULL, "%s", diag.msg);
    cr_expect_eq(num, 0);
    cr_expect_eq(tq_report_count(report), 0);
    tq_report_free(report);
}
