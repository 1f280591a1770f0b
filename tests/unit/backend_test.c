/* Tests for harness/backend/backend.c: what a backend declares (`--capabilities`,
 * docs/backend-protocol.md) and what makes a case SKIP for it: a TLS version range it has none
 * of, a client key type, a suite, a feature (ALPN, no SNI, CRL, client certificate, MQTT); each
 * SKIP with the reason that names what is missing. The capabilities come from a real process, a
 * two-line shell script standing in for a backend (tq_backend_probe runs `PATH --capabilities`);
 * no TLS library is involved. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "tq_test.h"

static char dir[TQ_TEST_DIR_LEN];

static void setup(void)
{
    tq_test_dir_make(dir, "backend-test");
}

static void teardown(void)
{
    tq_test_dir_remove(dir);
}

TestSuite(backend, .init = setup, .fini = teardown);

/* fake_backend writes an executable `file` that prints `caps` for --capabilities (and exits
 * `rc`), and returns its path in `path`. */
static void fake_backend(char *path, size_t path_len, const char *file, const char *caps, int rc)
{
    char script[4096];
    snprintf(script, sizeof(script),
             "#!/bin/sh\n[ \"$1\" = --capabilities ] || exit 2\necho 'on stderr' >&2\n"
             "cat <<'CAPS'\n%s\nCAPS\nexit %d\n",
             caps, rc);
    tq_test_write_file(path, path_len, dir, file, script);
    cr_assert_eq(chmod(path, 0755), 0);
}

#define CAPS(extra)                                                                                \
    "{\"protocol\":1,\"name\":\"fake\",\"library\":\"FakeTLS 1.0\",\"versions\":[\"1.2\","         \
    "\"1.3\"],\"suites\":[\"TLS_AES_128_GCM_SHA256\",\"TLS_ECDHE_RSA_WITH_AES_128_GCM_"            \
    "SHA256\"]" extra "}"
#define ALL_FEATURES ",\"features\":[\"alpn\",\"no_sni\",\"crl\",\"client_cert\",\"mqtt\"]"

static struct tq_backend *probe(const char *caps, const char *name)
{
    char path[256];
    fake_backend(path, sizeof(path), "tlsqual-backend-fake", caps, 0);
    struct tq_diag diag = {0};
    struct tq_backend *b = NULL;
    TQ_TEST_OK(tq_backend_probe(&diag, &b, path, name), &diag);
    return b;
}

/* missing returns why `b` cannot run `yaml` with a client key of `key_type`, or NULL. The
 * reason lives in a static buffer. */
static const char *missing(const struct tq_backend *b, const char *yaml, const char *key_type)
{
    static char reason[256];
    struct tq_scenario *s = tq_test_scenario(yaml);
    const char *why = tq_backend_missing(b, s, key_type, reason, sizeof(reason));
    cr_assert(why == NULL || why == reason, "the reason is written into the caller's buffer");
    tq_scenario_free(s);
    return why;
}

#define HEAD "name: n\nspec: s\nexpect: {outcome: ok}\n"

Test(backend, probe_reads_the_declared_capabilities)
{
    struct tq_backend *b = probe(CAPS(ALL_FEATURES), NULL);
    cr_expect_str_eq(tq_backend_name(b), "fake", "the declared name");
    cr_expect_str_eq(tq_backend_library(b), "FakeTLS 1.0");
    cr_expect(strstr(tq_backend_path(b), "/tlsqual-backend-fake") != NULL);
    tq_backend_free(b);
    b = probe(CAPS(ALL_FEATURES), "renamed");
    cr_expect_str_eq(tq_backend_name(b), "renamed", "a name given wins");
    tq_backend_free(b);
    b = probe("{\"protocol\":1,\"name\":\"x\",\"versions\":[],\"suites\":[],\"features\":[]}",
              NULL);
    cr_expect_str_eq(tq_backend_library(b), "unknown", "no library declared");
    tq_backend_free(b);
}

/* A backend that does not answer as documented is refused at the start, with a message naming
 * it and what was wrong, never probed into a backend that skips or fails every case. */
static const struct {
    const char *what, *caps;
    int rc;
    const char *msg_has;
} bad_probes[] = {
    {"exit 1", CAPS(ALL_FEATURES), 1, "--capabilities ended with"},
    {"not JSON", "capabilities: yes", 0, "--capabilities printed invalid JSON"},
    {"protocol 2", "{\"protocol\":2,\"name\":\"x\",\"versions\":[],\"suites\":[],\"features\":[]}",
     0, "want a JSON object with \"protocol\": 1"},
    {"no name", "{\"protocol\":1,\"versions\":[],\"suites\":[],\"features\":[]}", 0,
     "want \"name\""},
    {"no features", CAPS(""), 0, "want an array \"features\""},
    {"suites not a list",
     "{\"protocol\":1,\"name\":\"x\",\"versions\":[],\"suites\":\"all\","
     "\"features\":[]}",
     0, "want an array \"suites\""},
};

Test(backend, a_backend_that_answers_wrongly_is_refused)
{
    for (size_t i = 0; i < sizeof(bad_probes) / sizeof(bad_probes[0]); i++) {
        char path[256];
        fake_backend(path, sizeof(path), "tlsqual-backend-bad", bad_probes[i].caps,
                     bad_probes[i].rc);
        struct tq_diag diag = {0};
        struct tq_backend *b = NULL;
        cr_expect_not(tq_ok(tq_backend_probe(&diag, &b, path, NULL)), "%s", bad_probes[i].what);
        cr_expect_null(b, "%s", bad_probes[i].what);
        cr_expect_str_eq(diag.path, path, "%s: the message names the backend", bad_probes[i].what);
        cr_expect(strstr(diag.msg, bad_probes[i].msg_has) != NULL, "%s: %s", bad_probes[i].what,
                  diag.msg);
        tq_backend_free(b);
    }
    char path[256];
    snprintf(path, sizeof(path), "%s/tlsqual-backend-none", dir);
    struct tq_diag diag = {0};
    struct tq_backend *b = NULL;
    cr_expect_not(tq_ok(tq_backend_probe(&diag, &b, path, NULL)));
    cr_expect(strstr(diag.msg, "not an executable") != NULL, "%s", diag.msg);
}

/* A version range needs one version the backend has (docs/backend-protocol.md). */
Test(backend, a_version_range_with_none_of_the_backends_versions_skips)
{
    struct tq_backend *b = probe(CAPS(ALL_FEATURES), NULL);
    cr_expect_null(missing(b, HEAD, NULL), "no versions asked: any will do");
    cr_expect_null(missing(b, HEAD "client: {versions: {min: '1.1', max: '1.2'}}\n", NULL));
    cr_expect_null(missing(b, HEAD "client: {versions: {min: '1.3'}}\n", NULL));
    cr_expect_str_eq(missing(b, HEAD "client: {versions: {min: '1.0', max: '1.1'}}\n", NULL),
                     "backend lacks TLS 1.0 to 1.1");
    cr_expect_str_eq(missing(b, HEAD "client: {versions: {min: '1.1', max: '1.1'}}\n", NULL),
                     "backend lacks TLS 1.1");
    cr_expect_str_eq(missing(b, HEAD "client: {versions: {max: '1.1'}}\n", NULL),
                     "backend lacks TLS 1.0 to 1.1");
    tq_backend_free(b);
}

/* The client key type is checked against "key_types" only when the backend declares them. */
Test(backend, a_client_key_type_the_backend_lacks_skips)
{
    struct tq_backend *b = probe(CAPS(ALL_FEATURES ",\"key_types\":[\"rsa\",\"ec\"]"), NULL);
    cr_expect_null(missing(b, HEAD, "RSA-2048"));
    cr_expect_null(missing(b, HEAD, "EC-P384"));
    cr_expect_null(missing(b, HEAD, NULL), "no client certificate, no key type");
    cr_expect_str_eq(missing(b, HEAD, "DSA-2048"), "backend lacks client key type dsa");
    tq_backend_free(b);
    b = probe(CAPS(ALL_FEATURES), NULL);
    cr_expect_null(missing(b, HEAD, "DSA-2048"), "key types not declared: not checked");
    tq_backend_free(b);
}

Test(backend, a_suite_the_backend_lacks_skips)
{
    struct tq_backend *b = probe(CAPS(ALL_FEATURES), NULL);
    cr_expect_null(missing(b, HEAD "client: {suites: [TLS_AES_128_GCM_SHA256]}\n", NULL));
    cr_expect_str_eq(missing(b,
                             HEAD "client: {suites: [TLS_AES_128_GCM_SHA256, "
                                  "TLS_CHACHA20_POLY1305_SHA256]}\n",
                             NULL),
                     "backend lacks suite TLS_CHACHA20_POLY1305_SHA256");
    tq_backend_free(b);
}

/* Each feature a scenario can need, and what in the scenario needs it. */
static const struct {
    const char *feature, *client;
} features[] = {
    {"alpn", "{alpn: [x-amzn-mqtt-ca]}"},
    {"no_sni", "{send_sni: false}"},
    {"crl", "{crl: [device-ca]}"},
    {"client_cert", "{certificate: device-rsa-2048}"},
    {"mqtt", "{mqtt: {}}"},
};

Test(backend, a_feature_the_backend_lacks_skips)
{
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        /* The backend declares every feature but this one. */
        char list[256] = ",\"features\":[";
        for (size_t k = 0; k < sizeof(features) / sizeof(features[0]); k++)
            if (k != i)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
                         list[strlen(list) - 1] == '[' ? "" : ",", features[k].feature);
        char caps[1024], yaml[256], want[64];
        snprintf(caps, sizeof(caps), CAPS("%s]"), list);
        snprintf(yaml, sizeof(yaml), HEAD "client: %s\n", features[i].client);
        snprintf(want, sizeof(want), "backend lacks feature %s", features[i].feature);
        struct tq_backend *b = probe(caps, NULL);
        const char *why = missing(b, yaml, NULL);
        cr_expect(why != NULL && strcmp(why, want) == 0, "%s: want '%s', got '%s'",
                  features[i].client, want, why ? why : "(runs)");
        cr_expect_null(missing(b, HEAD, NULL), "a scenario that needs none of it runs");
        tq_backend_free(b);
        b = probe(CAPS(ALL_FEATURES), NULL);
        cr_expect_null(missing(b, yaml, NULL), "%s: runs with every feature", features[i].client);
        tq_backend_free(b);
    }
}

Test(backend, discover_lists_the_executable_backends_sorted)
{
    char path[256];
    fake_backend(path, sizeof(path), "tlsqual-backend-zeta", CAPS(ALL_FEATURES), 0);
    fake_backend(path, sizeof(path), "tlsqual-backend-alpha", CAPS(ALL_FEATURES), 0);
    tq_test_write_file(NULL, 0, dir, "tlsqual-backend-not-executable", "#!/bin/sh\n");
    fake_backend(path, sizeof(path), "other-program", CAPS(ALL_FEATURES), 0);
    char *paths[8];
    size_t num = 0;
    struct tq_diag diag = {0};
    TQ_TEST_OK(tq_backend_discover(&diag, paths, 8, &num, dir), &diag);
    cr_assert_eq(num, 2);
    cr_expect(strstr(paths[0], "/tlsqual-backend-alpha") != NULL, "%s", paths[0]);
    cr_expect(strstr(paths[1], "/tlsqual-backend-zeta") != NULL, "%s", paths[1]);
    for (size_t i = 0; i < num; i++)
        free(paths[i]);
    cr_expect_not(tq_ok(tq_backend_discover(&diag, paths, 1, &num, dir)), "more than room");
    for (size_t i = 0; i < num; i++)
        free(paths[i]);
}
