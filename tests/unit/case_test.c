/* Tests for harness/scenario/case.c: a scenario and a PKI manifest become the case line a
 * backend reads (docs/backend-protocol.md): artifact names become the manifest's paths, the
 * endpoint becomes its host name, the default trust store is the endpoint's roots, MQTT client
 * IDs are derived per backend; an artifact the PKI lacks is an error at the scenario's line. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "tq_test.h"

static char dir[TQ_TEST_DIR_LEN];
static struct tq_manifest *pki;

static void setup(void)
{
    tq_test_dir_make(dir, "case-test");
    pki = tq_test_manifest(dir, TQ_TEST_ROOTS " device-rsa-2048 device-shared device-ca+crl "
                                              "device-unregistered ats-server-rsa");
}

static void teardown(void)
{
    tq_manifest_free(pki);
    tq_test_dir_remove(dir);
}

TestSuite(case_line, .init = setup, .fini = teardown);

static const struct tq_case_context ctx = {
    .host = "127.0.0.1", .port = 8883, .timeout_ms = 9000, .backend = "openssl"};

/* path_of is the path the manifest gives artifact `name`'s file with `suffix`. */
static const char *path_of(const char *name, const char *suffix)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s%s", tq_manifest_dir(pki), name, suffix);
    return path;
}

/* resolved returns the context of scenario `s` with its artifacts resolved (the test fails when
 * a name is missing). */
static struct tq_case_context resolved(const struct tq_scenario *s)
{
    static struct tq_case_pki art;
    struct tq_diag diag = {0};
    TQ_TEST_OK(tq_case_resolve(&diag, &art, s, pki), &diag);
    struct tq_case_context c = ctx;
    c.pki = pki;
    c.art = &art;
    return c;
}

/* build returns the case line of `yaml`, parsed (the test fails when it is not one JSON line). */
static json_t *build(const char *yaml)
{
    struct tq_scenario *s = tq_test_scenario(yaml);
    struct tq_case_context c = resolved(s);
    struct tq_diag diag = {0};
    char *line = NULL;
    TQ_TEST_OK(tq_case_build(&diag, &line, s, &c), &diag);
    size_t len = strlen(line);
    cr_assert(len > 1 && line[len - 1] == '\n' && memchr(line, '\n', len - 1) == NULL,
              "want one line ending in a newline: %s", line);
    json_error_t err;
    json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(obj, "%s: %s", err.text, line);
    free(line);
    tq_scenario_free(s);
    return obj;
}

/* build_error wants `yaml`'s artifacts refused by tq_case_resolve (the one place names are
 * looked up), and returns the diagnostic. */
static struct tq_diag build_error(const char *yaml)
{
    struct tq_scenario *s = tq_test_scenario(yaml);
    struct tq_case_pki art;
    struct tq_diag diag = {0};
    tq_status st = tq_case_resolve(&diag, &art, s, pki);
    cr_expect_not(tq_ok(st), "want an error for %s", yaml);
    tq_scenario_free(s);
    return diag;
}

static const char *str(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    cr_assert_not_null(v, "no string '%s' in the case line", key);
    return v;
}

static const char *item(json_t *obj, const char *key, size_t i)
{
    json_t *arr = json_object_get(obj, key);
    cr_assert(json_is_array(arr) && i < json_array_size(arr), "no %s[%zu]", key, i);
    return json_string_value(json_array_get(arr, i));
}

#define HEAD "name: the case\nspec: RFC 5280 section 6\nexpect: {outcome: ok}\n"

Test(case_line, artifact_names_become_manifest_paths)
{
    json_t *c = build(HEAD "client: {certificate: device-rsa-2048}\n");
    cr_expect_str_eq(str(c, "id"), "the case");
    cr_expect_str_eq(str(c, "host"), "127.0.0.1");
    cr_expect_eq(json_integer_value(json_object_get(c, "port")), 8883);
    cr_expect_eq(json_integer_value(json_object_get(c, "timeout_ms")), 9000);
    cr_expect_str_eq(str(c, "cert"), path_of("device-rsa-2048", ".pem"));
    cr_expect_str_eq(str(c, "key"), path_of("device-rsa-2048", ".key"));
    cr_expect(json_is_true(json_object_get(c, "send_sni")), "SNI is sent by default");
    cr_expect_null(json_object_get(c, "mqtt"), "no mqtt section, no MQTT exchange");
    json_decref(c);
}

/* docs/aws-iot/server-chains.md#trust-store-guidance: a device installs every Amazon root; a
 * scenario that names no trust store gets the four ATS roots, or the legacy root for the legacy
 * endpoint. */
Test(case_line, default_trust_and_server_name_follow_the_endpoint)
{
    json_t *c = build(HEAD "client: {certificate: device-rsa-2048}\n");
    cr_expect_str_eq(str(c, "server_name"), TQ_TEST_ATS_HOST);
    cr_assert_eq(json_array_size(json_object_get(c, "trust")), 4);
    for (size_t i = 0; i < 4; i++) {
        char root[32];
        snprintf(root, sizeof(root), "ats-root-ca-%zu", i + 1);
        cr_expect_str_eq(item(c, "trust", i), path_of(root, ".pem"));
    }
    json_decref(c);

    c = build(HEAD "broker: {endpoint: legacy}\n");
    cr_expect_str_eq(str(c, "server_name"), TQ_TEST_LEGACY_HOST);
    cr_assert_eq(json_array_size(json_object_get(c, "trust")), 1);
    cr_expect_str_eq(item(c, "trust", 0), path_of("legacy-root-ca-g5", ".pem"));
    cr_expect_null(json_object_get(c, "cert"), "no client certificate named, none sent");
    json_decref(c);
}

Test(case_line, a_named_trust_store_and_literal_server_name_are_kept)
{
    json_t *c = build(HEAD "client:\n  trust: [ats-root-ca-3]\n  server_name: other.example.test\n"
                           "  send_sni: false\n  versions: {min: '1.2', max: '1.3'}\n"
                           "  suites: [TLS_AES_128_GCM_SHA256]\n  alpn: [x-amzn-mqtt-ca]\n");
    cr_assert_eq(json_array_size(json_object_get(c, "trust")), 1, "only the named root");
    cr_expect_str_eq(item(c, "trust", 0), path_of("ats-root-ca-3", ".pem"));
    cr_expect_str_eq(str(c, "server_name"), "other.example.test");
    cr_expect(json_is_false(json_object_get(c, "send_sni")));
    json_t *v = json_object_get(c, "versions");
    cr_expect_str_eq(str(v, "min"), "1.2");
    cr_expect_str_eq(str(v, "max"), "1.3");
    cr_expect_str_eq(item(c, "suites", 0), "TLS_AES_128_GCM_SHA256");
    cr_expect_str_eq(item(c, "alpn", 0), "x-amzn-mqtt-ca");
    json_decref(c);
}

Test(case_line, server_name_endpoint_is_the_endpoint_host)
{
    json_t *c = build(HEAD "client: {server_name: endpoint}\n");
    cr_expect_str_eq(str(c, "server_name"), TQ_TEST_ATS_HOST);
    json_decref(c);
}

Test(case_line, crl_names_become_crl_paths)
{
    json_t *c = build(HEAD "client: {certificate: device-rsa-2048, crl: [device-ca]}\n");
    cr_expect_str_eq(item(c, "crl", 0), path_of("device-ca", ".crl.pem"));
    json_decref(c);

    struct tq_diag d = build_error(HEAD "client: {crl: [device-rsa-2048]}\n");
    cr_expect(strstr(d.msg, "'device-rsa-2048' signs no CRL") != NULL, "%s", d.msg);
    cr_expect_eq(d.line, 4, "the line of the crl entry, got %u", d.line);
}

/* Every place a scenario names an artifact: one the PKI lacks is an error that names the
 * scenario file, the line of the name, the name and the PKI. */
static const struct {
    const char *what;
    const char *yaml;
    const char *name;
    unsigned line;
} unknown[] = {
    {"client certificate", HEAD "client: {certificate: device-nope}\n", "device-nope", 4},
    {"trust root", HEAD "client:\n  trust: [ats-root-ca-1, root-nope]\n", "root-nope", 5},
    {"server certificate",
     "name: n\nspec: s\nexpect:\n  outcome: ok\n"
     "  server_certificate: leaf-nope\n",
     "leaf-nope", 5},
    {"chain_includes", "name: n\nspec: s\nexpect:\n  outcome: ok\n  chain_includes: [ca-nope]\n",
     "ca-nope", 5},
    {"chain_excludes", "name: n\nspec: s\nexpect:\n  outcome: ok\n  chain_excludes: [ca-nope]\n",
     "ca-nope", 5},
    {"companion certificate", HEAD "companion: {certificate: comp-nope}\nclient: {mqtt: {}}\n",
     "comp-nope", 4},
    {"broker server_cert", HEAD "broker: {server_cert: server-nope}\n", "server-nope", 4},
    {"crl", HEAD "client: {crl: [crl-nope]}\n", "crl-nope", 4},
    {"step certificate",
     "name: n\nspec: s\nsteps:\n  - connect: a\n    certificate: step-nope\n"
     "    expect: {outcome: ok}\n",
     "step-nope", 5},
    {"step ca",
     "name: n\nspec: s\nsteps:\n  - api: UpdateCACertificate\n    ca: ca-nope\n"
     "    status: ACTIVE\n",
     "ca-nope", 5},
};

Test(case_line, an_unknown_artifact_is_an_error_at_its_line)
{
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        struct tq_diag d = build_error(unknown[i].yaml);
        char want[128];
        snprintf(want, sizeof(want), "names certificate '%s'", unknown[i].name);
        cr_expect_eq(d.code, TQ_ERR_NOT_FOUND, "%s", unknown[i].what);
        cr_expect_str_eq(d.path, "test.yaml", "%s", unknown[i].what);
        cr_expect_eq(d.line, unknown[i].line, "%s: line %u", unknown[i].what, d.line);
        cr_expect(strstr(d.msg, want) != NULL, "%s: %s", unknown[i].what, d.msg);
        cr_expect(strstr(d.msg, tq_manifest_dir(pki)) != NULL, "%s: names the PKI: %s",
                  unknown[i].what, d.msg);
    }
}

/* Lint checks names without a PKI, against any set of known names. */
static bool only_device(const void *ctx_, const char *name)
{
    (void)ctx_;
    return strcmp(name, "device-rsa-2048") == 0;
}

Test(case_line, check_names_asks_the_given_source)
{
    struct tq_scenario *s =
        tq_test_scenario(HEAD "client: {certificate: device-rsa-2048, trust: [device-rsa-2048]}\n");
    struct tq_diag diag = {0};
    cr_expect(tq_ok(tq_case_check_names(&diag, s, only_device, NULL, "the test")), "%s", diag.msg);
    tq_scenario_free(s);
    s = tq_test_scenario(HEAD "client: {certificate: device-rsa-2048}\n");
    cr_expect_not(tq_ok(tq_case_check_names(&diag, s, only_device, NULL, "the test")),
                  "the default trust store is checked too");
    cr_expect(strstr(diag.msg, "'ats-root-ca-1', which the test lacks") != NULL, "%s", diag.msg);
    tq_scenario_free(s);
}

Test(case_line, mqtt_client_id_is_derived_per_backend)
{
    json_t *c = build("name: TLS 1.2 (RSA) -- Works!\nspec: s\nexpect: {outcome: ok}\n"
                      "client:\n  mqtt:\n    keep_alive: 30\n    expect_messages: 1\n"
                      "    subscribe: [{topic: t/#, qos: 1}]\n"
                      "    publish: [{topic: t/a, qos: 0, payload: hi}, {topic: t/b}]\n");
    json_t *m = json_object_get(c, "mqtt");
    cr_assert_not_null(m);
    cr_expect_str_eq(str(m, "client_id"), "tq-openssl-tls-1-2-rsa-works-");
    cr_expect_eq(json_integer_value(json_object_get(m, "keep_alive")), 30);
    cr_expect_eq(json_integer_value(json_object_get(m, "expect_messages")), 1);
    json_t *sub = json_array_get(json_object_get(m, "subscribe"), 0);
    cr_expect_str_eq(str(sub, "topic"), "t/#");
    cr_expect_eq(json_integer_value(json_object_get(sub, "qos")), 1);
    cr_expect_null(json_object_get(sub, "payload"), "a SUBSCRIBE has no payload");
    json_t *pub = json_object_get(m, "publish");
    cr_assert_eq(json_array_size(pub), 2);
    cr_expect_str_eq(str(json_array_get(pub, 0), "payload"), "hi");
    cr_expect_str_eq(str(json_array_get(pub, 1), "payload"), "", "no payload: empty");
    json_decref(c);

    c = build(HEAD "client: {mqtt: {client_id: 'dev-{backend}-1'}}\n");
    cr_expect_str_eq(str(json_object_get(c, "mqtt"), "client_id"), "dev-openssl-1");
    json_decref(c);
}

/* A companion (shared certificates, client IDs used twice) subscribes to a topic of its own; the
 * client publishes "release" there last, so the companion stays until the client is done. */
Test(case_line, companion_is_released_by_the_client)
{
    static const char yaml[] = HEAD "companion: {certificate: device-shared}\n"
                                    "client: {certificate: device-rsa-2048, mqtt: {}}\n";
    struct tq_scenario *s = tq_test_scenario(yaml);
    struct tq_case_context c = resolved(s);
    char topic[200], id[128];
    tq_case_companion_topic(topic, sizeof(topic), s, &c);
    cr_expect_str_eq(topic, "tlsqual/companion/tq-openssl-the-case");

    struct tq_diag diag = {0};
    char *line = NULL;
    TQ_TEST_OK(tq_case_build_companion(&diag, &line, id, sizeof(id), s, &c), &diag);
    json_t *comp = json_loads(line, 0, NULL);
    cr_assert_not_null(comp, "%s", line);
    free(line);
    cr_expect_str_eq(id, "tq-openssl-companion-tq-openssl-the-case");
    cr_expect_str_eq(str(comp, "id"), "the case (companion)");
    cr_expect_str_eq(str(comp, "cert"), path_of("device-shared", ".pem"));
    json_t *m = json_object_get(comp, "mqtt");
    cr_expect_str_eq(str(m, "client_id"), id);
    cr_expect_str_eq(str(json_array_get(json_object_get(m, "subscribe"), 0), "topic"), topic);
    cr_expect_eq(json_integer_value(json_object_get(m, "expect_messages")), 1);
    json_decref(comp);

    json_t *client = build(yaml);
    json_t *pub = json_object_get(json_object_get(client, "mqtt"), "publish");
    json_t *last = json_array_get(pub, json_array_size(pub) - 1);
    cr_assert_not_null(last, "the client publishes the release");
    cr_expect_str_eq(str(last, "topic"), topic);
    cr_expect_str_eq(str(last, "payload"), "release");
    json_decref(client);
    tq_scenario_free(s);
}

Test(case_line, a_held_step_subscribes_until_released)
{
    struct tq_scenario *s = tq_test_scenario(
        "name: life\nspec: s\nclient: {mqtt: {}}\nsteps:\n"
        "  - connect: old\n    certificate: device-unregistered\n    hold: true\n"
        "  - wait: old\n    expect: {outcome: closed_by_peer}\n"
        "  - connect: new\n    client_id: 'fixed-{backend}'\n    expect: {outcome: ok}\n");
    struct tq_case_context c = resolved(s);
    struct tq_diag diag = {0};
    char *line = NULL, id[128];
    TQ_TEST_OK(tq_case_build_step(&diag, &line, id, sizeof(id), s, &s->steps[0], &c), &diag);
    json_t *held = json_loads(line, 0, NULL);
    free(line);
    cr_assert_not_null(held);
    cr_expect_str_eq(id, "tq-openssl-life-old");
    cr_expect_str_eq(str(held, "id"), "life [old]");
    cr_expect_str_eq(str(held, "cert"), path_of("device-unregistered", ".pem"));
    json_t *m = json_object_get(held, "mqtt");
    cr_expect_str_eq(str(m, "client_id"), id);
    cr_expect_str_eq(str(json_array_get(json_object_get(m, "subscribe"), 0), "topic"),
                     "tlsqual/hold/tq-openssl-life-old");
    json_decref(held);

    TQ_TEST_OK(tq_case_build_step(&diag, &line, id, sizeof(id), s, &s->steps[2], &c), &diag);
    json_t *plain = json_loads(line, 0, NULL);
    free(line);
    cr_assert_not_null(plain);
    cr_expect_str_eq(id, "fixed-openssl");
    cr_expect_str_eq(str(json_object_get(plain, "mqtt"), "client_id"), "fixed-openssl");
    cr_expect_null(json_object_get(plain, "cert"), "no certificate named: none sent");
    json_decref(plain);
    tq_scenario_free(s);
}
