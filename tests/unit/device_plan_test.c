/* Tests for harness/device_plan.c: the shipped plan and good files parse completely, settings
 * merge case over plan defaults, verdict rules default to Device Advisor's; every bad file fails
 * with the file, the line and what was expected. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "device_plan.h"

static struct tq_device_plan *parse_ok(const char *text)
{
    struct tq_diag diag = {0};
    struct tq_device_plan *p = NULL;
    tq_status st = tq_device_plan_parse(&diag, &p, "good.plan.yaml", text, strlen(text));
    cr_assert(tq_ok(st), "want success, got %s: %s (line %u)", tq_status_name(st.code), diag.msg,
              diag.line);
    return p;
}

Test(device_plan, shipped_default_plan_parses)
{
    struct tq_diag diag = {0};
    struct tq_device_plan *p = NULL;
    tq_status st = tq_device_plan_load(&diag, &p, TQ_SOURCE_DIR "/plans/default.plan.yaml");
    cr_assert(tq_ok(st), "%s:%u: %s", diag.path, diag.line, diag.msg);
    cr_expect_eq(p->num_cases, 8);
    size_t kinds[3] = {0};
    for (size_t i = 0; i < p->num_cases; i++)
        kinds[p->cases[i].must]++;
    cr_expect_eq(kinds[TQ_DEVICE_MUST_CONNECT], 2, "good chain and large certificate");
    cr_expect_eq(kinds[TQ_DEVICE_MUST_ABORT], 5, "five bad chains");
    cr_expect_eq(kinds[TQ_DEVICE_MUST_RECEIVE_MAX], 1, "one max-size PUBLISH");
    cr_expect_str_eq(tq_device_plan_setting(p, &p->cases[1], "server_cert"), "server-expired");
    cr_expect_str_eq(tq_device_plan_setting(p, &p->cases[1], "policy"), "TLS13_1_2_2022_10");
    tq_device_plan_free(p);
}

static const char good[] = "name: lab plan\n"
                           "spec: docs/aws-iot/device-advisor.md#dqp-test-list\n"
                           "defaults: {policy: TLS12_1_2_2022_10, listener: alpn}\n"
                           "cases:\n"
                           "  - name: good\n"
                           "    description: the good chain\n"
                           "    device_must: connect_and_connect\n"
                           "  - name: expired\n"
                           "    description: expired\n"
                           "    device_must: abort_before_connect\n"
                           "    broker: {server_cert: server-expired, listener: mqtt}\n"
                           "    verdict: {close: pass, handshake: warn}\n"
                           "  - name: big\n"
                           "    description: max publish\n"
                           "    device_must: receive_max_publish\n"
                           "    publish: {payload_size: 100000, ack_topic: lab/ack}\n";

Test(device_plan, parses_every_section)
{
    struct tq_device_plan *p = parse_ok(good);
    cr_expect_str_eq(p->name, "lab plan");
    cr_expect_eq(p->num_cases, 3);
    cr_expect_eq(p->cases[0].line, 5);
    cr_expect_eq(p->cases[2].must, TQ_DEVICE_MUST_RECEIVE_MAX);
    cr_expect_eq(p->cases[2].publish.payload_size, 100000);
    cr_expect_str_eq(p->cases[2].publish.ack_topic, "lab/ack");
    tq_device_plan_free(p);
}

Test(device_plan, verdict_rules_default_to_device_advisor)
{
    struct tq_device_plan *p = parse_ok(good);
    const struct tq_device_case *expired = &p->cases[1];
    cr_expect_eq(expired->on[TQ_DEVICE_OBS_ALERT], TQ_VERDICT_PASS, "default: alert passes");
    cr_expect_eq(expired->on[TQ_DEVICE_OBS_CLOSE], TQ_VERDICT_PASS, "overridden");
    cr_expect_eq(expired->on[TQ_DEVICE_OBS_HANDSHAKE], TQ_VERDICT_WARN, "overridden");
    cr_expect_eq(expired->on[TQ_DEVICE_OBS_CONNECT], TQ_VERDICT_FAIL, "default: CONNECT fails");
    const struct tq_device_case *good_case = &p->cases[0];
    cr_expect_eq(good_case->on[TQ_DEVICE_OBS_CLOSE], TQ_VERDICT_WARN, "default: close warns");
    tq_device_plan_free(p);
}

Test(device_plan, case_settings_win_over_defaults)
{
    struct tq_device_plan *p = parse_ok(good);
    const char *argv[16];
    size_t n = tq_device_plan_broker_args(p, &p->cases[1], argv, 16);
    cr_assert_eq(n, 6, "server_cert, policy, listener");
    cr_expect_str_eq(argv[0], "--server-cert");
    cr_expect_str_eq(argv[1], "server-expired");
    cr_expect_str_eq(argv[2], "--policy");
    cr_expect_str_eq(argv[3], "TLS12_1_2_2022_10");
    cr_expect_str_eq(argv[4], "--listener");
    cr_expect_str_eq(argv[5], "mqtt", "the case's listener wins");
    cr_expect_str_eq(tq_device_plan_setting(p, &p->cases[0], "listener"), "alpn");
    cr_expect_null(tq_device_plan_setting(p, &p->cases[0], "server_cert"));
    cr_expect_null(tq_device_plan_setting(p, &p->cases[0], "no_such_key"));
    tq_device_plan_free(p);
}

struct bad_plan {
    const char *what;
    const char *text;
    unsigned line;
    const char *msg; /* a substring of the message */
};

#define CASE_HEAD "name: p\ncases:\n  - name: a\n    description: d\n"

static const struct bad_plan bad_plans[] = {
    {.what = "empty file", .text = "", .line = 1, .msg = "empty file"},
    {.what = "invalid YAML", .text = "name: [\n", .line = 2, .msg = "invalid YAML"},
    {.what = "top level a list", .text = "- a\n", .line = 1, .msg = "must be a mapping"},
    {.what = "no cases", .text = "name: p\n", .line = 1, .msg = "missing required key 'cases'"},
    {.what = "empty cases",
     .text = "name: p\ncases: []\n",
     .line = 2,
     .msg = "'cases' must hold at least one case"},
    {.what = "name with a line break",
     .text = "name: p\ncases:\n  - name: \"a\\nb\"\n"
             "    description: d\n    device_must: connect_and_connect\n",
     .line = 3,
     .msg = "'name' must be a name without control characters"},
    {.what = "unknown top key",
     .text = "name: p\nplan: x\n",
     .line = 2,
     .msg = "unknown key 'plan' in top level; valid keys: name, spec"},
    {.what = "unknown device_must",
     .text = CASE_HEAD "    device_must: fly\n",
     .line = 5,
     .msg = "'device_must' must be connect_and_connect, abort_before_connect or "
            "receive_max_publish, got 'fly'"},
    {.what = "missing device_must",
     .text = CASE_HEAD,
     .line = 3,
     .msg = "missing required key 'device_must' in case"},
    {.what = "unknown broker key",
     .text = CASE_HEAD "    device_must: connect_and_connect\n"
                       "    broker: {cert: x}\n",
     .line = 6,
     .msg = "unknown key 'cert' in broker"},
    {.what = "bad policy",
     .text = CASE_HEAD "    device_must: connect_and_connect\n"
                       "    broker: {policy: TLS99}\n",
     .line = 6,
     .msg = "'policy' must be a security policy id"},
    {.what = "bad listener",
     .text = "name: p\ndefaults: {listener: quic}\ncases: []\n",
     .line = 2,
     .msg = "'listener' must be mqtt or alpn, got 'quic'"},
    {.what = "bad verdict word",
     .text = CASE_HEAD "    device_must: abort_before_connect\n"
                       "    verdict: {close: maybe}\n",
     .line = 6,
     .msg = "'close' must be pass, warn or fail, got 'maybe'"},
    {.what = "verdict on a connect case",
     .text = CASE_HEAD "    device_must: connect_and_connect\n    verdict: {close: pass}\n",
     .line = 3,
     .msg = "'verdict' applies to abort_before_connect cases only"},
    {.what = "publish on an abort case",
     .text = CASE_HEAD "    device_must: abort_before_connect\n    publish: {payload_size: 10}\n",
     .line = 3,
     .msg = "'publish' applies to receive_max_publish cases only"},
    {.what = "payload too large",
     .text =
         CASE_HEAD "    device_must: receive_max_publish\n    publish: {payload_size: 200000}\n",
     .line = 3,
     .msg = "'payload_size' must be 1 to 131072 bytes"},
    {.what = "wildcard ack topic",
     .text = CASE_HEAD "    device_must: receive_max_publish\n    publish: {ack_topic: a/#}\n",
     .line = 6,
     .msg = "a topic name without wildcards"},
    {.what = "payload not a number",
     .text = CASE_HEAD "    device_must: receive_max_publish\n    publish: {payload_size: big}\n",
     .line = 6,
     .msg = "'payload_size' must be an integer, got 'big'"},
    {.what = "duplicate name",
     .text = CASE_HEAD "    device_must: connect_and_connect\n"
                       "  - name: a\n    description: d\n"
                       "    device_must: connect_and_connect\n",
     .line = 6,
     .msg = "case name 'a' is already used by the case at line 3"},
    {.what = "name too long",
     .text = "name: p\ncases:\n  - name: "
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
             "    description: d\n    device_must: connect_and_connect\n",
     .line = 3,
     .msg = "1 to 66 characters, got 67"},
    {.what = "key twice",
     .text = CASE_HEAD "    device_must: connect_and_connect\n"
                       "    description: again\n",
     .line = 6,
     .msg = "key 'description' appears twice in case"},
    {.what = "case not a mapping",
     .text = "name: p\ncases: [x]\n",
     .line = 2,
     .msg = "'cases' must be a list of mappings, got a scalar"},
};

Test(device_plan, bad_plans_name_file_line_and_want)
{
    for (size_t i = 0; i < sizeof(bad_plans) / sizeof(bad_plans[0]); i++) {
        const struct bad_plan *b = &bad_plans[i];
        struct tq_diag diag = {0};
        struct tq_device_plan *p = NULL;
        tq_status st = tq_device_plan_parse(&diag, &p, "bad.plan.yaml", b->text, strlen(b->text));
        cr_expect_eq(st.code, TQ_ERR_PARSE, "%s: want TQ_ERR_PARSE, got %s", b->what,
                     tq_status_name(st.code));
        cr_expect_null(p, "%s: no plan on failure", b->what);
        cr_expect_str_eq(diag.path, "bad.plan.yaml", "%s", b->what);
        cr_expect_eq(diag.line, b->line, "%s: want line %u, got %u (%s)", b->what, b->line,
                     diag.line, diag.msg);
        cr_expect(strstr(diag.msg, b->msg) != NULL, "%s: want '%s' in '%s'", b->what, b->msg,
                  diag.msg);
        tq_device_plan_free(p);
    }
}

Test(device_plan, missing_file_is_io_error)
{
    struct tq_diag diag = {0};
    struct tq_device_plan *p = NULL;
    tq_status st = tq_device_plan_load(&diag, &p, "/nonexistent/plan.yaml");
    cr_expect_neq(st.code, TQ_OK);
    cr_expect_null(p);
}

Test(device_plan, names)
{
    cr_expect_str_eq(tq_device_must_name(TQ_DEVICE_MUST_ABORT), "abort_before_connect");
    cr_expect_str_eq(tq_device_observation_name(TQ_DEVICE_OBS_CLOSE), "close");
}
