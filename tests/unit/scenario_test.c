/* Tests for harness/scenario.c: good files parse completely; every bad file fails with the
 * file, the line and what was expected. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker_options.h"
#include "policy.h"
#include "scenario.h"

static struct tq_scenario *parse_ok(const char *text)
{
    struct tq_diag diag = {0};
    struct tq_scenario *s = NULL;
    tq_status st = tq_scenario_parse(&diag, &s, "good.yaml", text, strlen(text));
    cr_assert(tq_ok(st), "want success, got %s: %s (line %u)", tq_status_name(st.code), diag.msg,
              diag.line);
    return s;
}

Test(scenario, parses_every_section)
{
    struct tq_scenario *s = parse_ok("name: a device connects\n"
                                     "spec: docs/aws-iot/client-certificates.md#status-values\n"
                                     "tags: [smoke, x]\n"
                                     "broker: {endpoint: legacy}\n"
                                     "client:\n"
                                     "  certificate: device-rsa-2048\n"
                                     "  trust: ats-root-ca-1\n"
                                     "  send_sni: false\n"
                                     "  versions: {min: \"1.2\", max: \"1.3\"}\n"
                                     "  suites: [TLS_AES_128_GCM_SHA256]\n"
                                     "  mqtt:\n"
                                     "    client_id: dev1\n"
                                     "    publish: [{topic: a/b, qos: 1, payload: hi}]\n"
                                     "expect: {outcome: [ok, closed_by_peer], connack: 0}\n");
    cr_expect_str_eq(s->name, "a device connects");
    cr_expect_eq(s->tags.num, 2);
    cr_expect_str_eq(s->broker.endpoint, "legacy");
    cr_expect_str_eq(s->client.trust.items[0], "ats-root-ca-1", "a lone scalar is a list of one");
    cr_expect_not(s->client.send_sni);
    cr_expect_str_eq(s->client.versions.max, "1.3");
    cr_expect(s->client.mqtt.enabled);
    cr_expect_eq(s->client.mqtt.num_publish, 1);
    cr_expect_eq(s->client.mqtt.publish[0].qos, 1);
    cr_expect_str_eq(s->client.mqtt.publish[0].payload, "hi");
    cr_expect_eq(s->expect.outcome.num, 2);
    cr_expect_eq(s->expect.connack, 0);
    cr_expect_eq(s->name_line, 1);
    tq_scenario_free(s);
}

Test(scenario, defaults_when_absent)
{
    struct tq_scenario *s = parse_ok("name: n\nspec: s\nexpect: {outcome: ok}\n");
    cr_expect(s->client.send_sni);
    cr_expect_eq(s->expect.connack, -1);
    cr_expect_not(s->client.mqtt.enabled);
    cr_expect_null(s->client.certificate);
    tq_scenario_free(s);
}

struct bad_case {
    const char *what;
    const char *text;
    unsigned line;
    const char *msg_part;
};

static const struct bad_case bad_cases[] = {
    {"missing expect", "name: n\nspec: s\n", 1, "missing required key 'expect'"},
    {"missing name", "spec: s\nexpect: {outcome: ok}\n", 1, "missing required key 'name'"},
    {"unknown key", "name: n\nspec: s\nexpect: {outcome: ok}\nclinet: {}\n", 4,
     "unknown key 'clinet' in top level; valid keys: name, spec"},
    {"unknown nested key", "name: n\nspec: s\nexpect: {outcome: ok}\nclient:\n  certficate: x\n", 5,
     "unknown key 'certficate' in client"},
    {"unknown outcome", "name: n\nspec: s\nexpect:\n  outcome: [ok, expired]\n", 4,
     "'outcome' must be an outcome of docs/backend-protocol.md"},
    {"bad version",
     "name: n\nspec: s\nexpect: {outcome: ok}\nclient:\n  versions: {min: \"1.5\"}\n", 5,
     "'min' must be a TLS version: 1.0, 1.1, 1.2 or 1.3, got '1.5'"},
    {"wrong type", "name: [a]\nspec: s\nexpect: {outcome: ok}\n", 1,
     "'name' must be a string, got a list"},
    {"qos 2",
     "name: n\nspec: s\nexpect: {outcome: ok}\nclient:\n  mqtt:\n"
     "    publish: [{topic: t, qos: 2}]\n",
     6, "'qos' must be 0 or 1"},
    {"duplicate key", "name: n\nname: m\nspec: s\nexpect: {outcome: ok}\n", 2,
     "key 'name' appears twice"},
    {"invalid yaml", "name: n\nspec: [unclosed\nexpect: {outcome: ok}\n", 3, "invalid YAML"},
    {"not a mapping", "- a\n- b\n", 1, "the top level must be a mapping, got a list"},
    {"name too long",
     "name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
     "spec: s\nexpect: {outcome: ok}\n",
     1, "'name' must be 1 to 66 characters, got 67"},
    {"bad integer", "name: n\nspec: s\nexpect: {outcome: ok, connack: zero}\n", 3,
     "'connack' must be a CONNACK return code from 0 to 5, got 'zero'"},
    {"empty file", "", 1, "empty file"},
    {"broker value the broker refuses",
     "name: n\nspec: s\nbroker:\n  sni: requird\n"
     "expect: {outcome: ok}\n",
     4, "'sni' must be optional, required or endpoint, got 'requird'"},
    {"broker policy the broker lacks",
     "name: n\nspec: s\nbroker: {policy: TLS99}\n"
     "expect: {outcome: ok}\n",
     3, "'policy' must be a security policy id or IoTSecurityPolicy_ name"},
    {"broker event not in the schema",
     "name: n\nspec: s\nexpect:\n  outcome: ok\n"
     "  broker_events: [\"client_cert_rejected reason=x\"]\n",
     5, "'broker_events' must be an event of docs/broker-events.md"},
    {"broker event member it lacks",
     "name: n\nspec: s\nexpect:\n  outcome: ok\n"
     "  broker_events: [\"mqtt_connack code=0\"]\n",
     5, "got 'mqtt_connack code=0'"},
    {"broker event value of another type",
     "name: n\nspec: s\nexpect:\n  outcome: ok\n"
     "  broker_events: [\"mqtt_connack rc=zero\"]\n",
     5, "got 'mqtt_connack rc=zero'"},
    {"outcome expects nothing", "name: n\nspec: s\nexpect:\n  outcome: []\n", 4,
     "'outcome' must name at least one outcome: an empty list expects nothing"},
    {"name with a line break", "name: \"two\\nlines\"\nspec: s\nexpect: {outcome: ok}\n", 1,
     "'name' must be a name without control characters"},
    {"name a baseline cannot hold", "name: \"a #b\"\nspec: s\nexpect: {outcome: ok}\n", 1,
     "'name' must be a name without ' #'"},
#define LC "name: n\nspec: s\nsteps:\n"
    {"step of two kinds", LC "  - connect: a\n    api: UpdateCertificate\n", 4,
     "exactly one of connect, api, wait, restart; got 2"},
    {"step of no kind", LC "  - certificate: x\n", 4, "exactly one of connect, api, wait"},
    {"unknown operation", LC "  - api: UpdateThing\n", 4,
     "'api' must be an operation of docs/broker-api.md"},
    {"api without its certificate", LC "  - api: UpdateCertificate\n    status: INACTIVE\n", 4,
     "api UpdateCertificate needs 'certificate'"},
    {"api without a status", LC "  - api: UpdateCertificate\n    certificate: d\n", 4,
     "needs 'status'"},
    {"unknown status", LC "  - api: UpdateCertificate\n    certificate: d\n    status: OFF\n", 6,
     "'status' must be a certificate status"},
    {"register without its CA", LC "  - api: RegisterCertificate\n    certificate: d\n", 4,
     "needs 'ca'"},
    {"held connection never waited for", LC "  - connect: a\n    hold: true\n", 4,
     "held connection 'a' needs a later 'wait: a' step"},
    {"wait for nothing", LC "  - wait: a\n    expect: {outcome: ok}\n", 4,
     "'wait: a' names no earlier held connection"},
    {"connect without expect", LC "  - connect: a\n", 4, "this connect step needs 'expect'"},
    {"step expects nothing", LC "  - connect: a\n    expect:\n      outcome: []\n", 6,
     "'outcome' must name at least one outcome"},
    {"wait expects nothing",
     LC "  - connect: a\n    hold: true\n  - wait: a\n    expect: {outcome: []}\n", 7,
     "'outcome' must name at least one outcome"},
    {"no steps", LC "  []\n", 4, "'steps' must hold at least one step"},
    {"no steps, flow style", "name: n\nspec: s\nsteps: []\nexpect: {outcome: ok}\n", 3,
     "'steps' must hold at least one step"},
    {"held connect with expect",
     LC "  - connect: a\n    hold: true\n    expect: {outcome: ok}\n  - wait: a\n"
        "    expect: {outcome: ok}\n",
     4, "this held connect step takes no 'expect'"},
    {"api with expect",
     LC "  - api: DeleteCertificate\n    certificate: d\n"
        "    expect: {outcome: ok}\n",
     4, "this api step takes no 'expect'"},
    {"member of another kind", LC "  - restart: kill\n    status: ACTIVE\n", 4,
     "belong to an api step, not to restart"},
    {"bad restart", LC "  - restart: reboot\n", 4, "'restart' must be kill (SIGKILL) or stop"},
    {"steps and expect", "name: n\nspec: s\nexpect: {outcome: ok}\nsteps:\n  - restart: kill\n", 1,
     "remove the top-level 'expect'"},
    {"steps and a companion", LC "  - restart: kill\ncompanion: {}\n", 1,
     "takes no companion and no expand"},
    {"too many steps",
     LC "  - restart: kill\n  - restart: kill\n  - restart: kill\n  - restart: kill\n"
        "  - restart: kill\n  - restart: kill\n  - restart: kill\n  - restart: kill\n"
        "  - restart: kill\n  - restart: kill\n  - restart: kill\n  - restart: kill\n"
        "  - restart: kill\n  - restart: kill\n  - restart: kill\n  - restart: kill\n"
        "  - restart: kill\n",
     20, "'steps' has more than 16 steps"},
#undef LC
};

Test(scenario, lifecycle_steps_parse_in_order)
{
    struct tq_scenario *s = parse_ok("name: n\nspec: s\nclient: {mqtt: {}}\nsteps:\n"
                                     "  - connect: old\n    certificate: a\n    hold: true\n"
                                     "  - api: UpdateCertificate\n    certificate: a\n"
                                     "    status: INACTIVE\n"
                                     "  - wait: old\n    expect: {outcome: closed_by_peer}\n"
                                     "  - restart: kill\n"
                                     "  - api: DescribeCertificate\n    certificate: a\n"
                                     "    http_status: 404\n");
    cr_assert_eq(s->num_steps, 5);
    cr_expect_str_eq(s->steps[0].connect, "old");
    cr_expect(s->steps[0].hold);
    cr_expect_eq(s->steps[0].line, 5);
    cr_expect_str_eq(s->steps[1].status, "INACTIVE");
    cr_expect_str_eq(s->steps[2].expect.outcome.items[0], "closed_by_peer");
    cr_expect_eq(s->steps[2].expect.connack, -1, "a step's expect has the same defaults");
    cr_expect_str_eq(s->steps[3].restart, "kill");
    cr_expect_eq(s->steps[4].http_status, 404);
    cr_expect_not(s->has_expect);
    tq_scenario_free(s);
}

Test(scenario, bad_files_name_file_and_line)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct tq_diag diag = {0};
        struct tq_scenario *s = NULL;
        tq_status st = tq_scenario_parse(&diag, &s, "bad.yaml", c->text, strlen(c->text));
        cr_expect_not(tq_ok(st), "%s: want a failure", c->what);
        cr_expect_null(s, "%s: no scenario on failure", c->what);
        cr_expect_str_eq(diag.path, "bad.yaml", "%s", c->what);
        cr_expect_eq(diag.line, c->line, "%s: want line %u, got %u (%s)", c->what, c->line,
                     diag.line, diag.msg);
        cr_expect(strstr(diag.msg, c->msg_part) != NULL, "%s: want message with '%s', got '%s'",
                  c->what, c->msg_part, diag.msg);
        tq_scenario_free(s);
    }
}

Test(scenario, every_shipped_scenario_parses)
{
    static const char *const files[] = {
        "/scenarios/smoke/registered-device-connects.yaml",
        "/scenarios/lifecycle/rotation.yaml",
        "/scenarios/versions/tls11-refused.yaml",
        "/scenarios/client-certificate/unknown-ca-refused.yaml",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s%s", TQ_SOURCE_DIR, files[i]);
        struct tq_diag diag = {0};
        struct tq_scenario *s = NULL;
        cr_expect(tq_ok(tq_scenario_load(&diag, &s, path)), "%s: %s", path, diag.msg);
        tq_scenario_free(s);
    }
}

Test(scenario, missing_file_is_an_io_error)
{
    struct tq_diag diag = {0};
    struct tq_scenario *s = NULL;
    tq_status st = tq_scenario_load(&diag, &s, "/nonexistent/x.yaml");
    cr_expect_eq(st.code, TQ_ERR_IO);
    cr_expect_str_eq(diag.path, "/nonexistent/x.yaml");
}

/* Every broker setting a scenario may choose maps to the option of the broker's own table that
 * has its key, with the value as written (the table: broker/broker_options.h). */
Test(scenario, every_broker_key_becomes_its_option)
{
    for (size_t i = 0; i < tq_broker_option_count(); i++) {
        const struct tq_broker_option *o = tq_broker_option_at(i);
        if (o->key == NULL)
            continue;
        const char *value = o->choices                           ? o->choices[0].name
                            : strcmp(o->key, "policy") == 0      ? TQ_POLICY_DEFAULT_ID
                            : strcmp(o->key, "server_cert") == 0 ? "server-expired"
                                                                 : NULL;
        cr_assert_not_null(value, "no sample value for key %s", o->key);
        char text[256];
        snprintf(text, sizeof(text), "name: n\nspec: s\nbroker: {%s: %s}\nexpect: {outcome: ok}\n",
                 o->key, value);
        struct tq_scenario *s = parse_ok(text);
        const char *argv[4] = {NULL};
        cr_expect_eq(tq_scenario_broker_args(&s->broker, argv, 4), 2, "%s", o->key);
        cr_expect_str_eq(argv[0], o->flag);
        cr_expect_str_eq(argv[1], value);
        tq_scenario_free(s);
    }
}

Test(scenario, remembers_the_line_of_each_value)
{
    struct tq_scenario *s = parse_ok("name: n\nspec: s\nclient:\n  trust: [a, b]\n"
                                     "  certificate: device-x\nexpect: {outcome: ok}\n");
    cr_expect_eq(tq_scenario_line_of(s, s->client.certificate), 5);
    cr_expect_eq(tq_scenario_line_of(s, s->client.trust.items[1]), 4);
    cr_expect_eq(tq_scenario_line_of(s, "not held"), 0);
    tq_scenario_free(s);
}
