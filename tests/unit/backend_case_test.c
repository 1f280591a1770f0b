/* backend_case_test.c: tests backends/driver/case.c (case-line reading and parsing). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "backend_case.h"

static tq_status parse(struct tq_diag *diag, struct tq_client_config *cfg, const char *line)
{
    return tq_case_parse(diag, cfg, line, strlen(line));
}

Test(backend_case, minimal_case_gets_defaults)
{
    struct tq_diag diag = {0};
    struct tq_client_config cfg;
    cr_assert(tq_ok(parse(&diag, &cfg, "{\"id\":\"a\",\"host\":\"127.0.0.1\",\"port\":8883}")),
              "%s", diag.msg);
    cr_expect_str_eq(cfg.id, "a");
    cr_expect_eq(cfg.port, 8883);
    cr_expect(cfg.send_sni && cfg.verify_peer);
    cr_expect_eq(cfg.timeout_ms, 10000u);
    cr_expect(!cfg.suites.present && !cfg.mqtt.present && cfg.server_name == NULL);
    cr_expect_eq(cfg.min_version, TQ_TLS_ANY);
    tq_case_cleanup(&cfg);
}

Test(backend_case, full_case_is_read)
{
    const char *line =
        "{\"id\":\"x\",\"host\":\"h\",\"port\":1,\"server_name\":\"n\",\"send_sni\":false,"
        "\"verify_peer\":false,\"trust\":[\"r.pem\"],\"cert\":\"c\",\"key\":\"k\",\"chain\":\"ch\","
        "\"crl\":[\"a.crl\",\"b.crl\"],\"versions\":{\"min\":\"1.2\",\"max\":\"1.3\"},"
        "\"suites\":[],\"groups\":[\"x25519\"],\"sigalgs\":[\"ed25519\"],\"alpn\":[\"mqtt\"],"
        "\"max_fragment_length\":1024,\"verify_time\":1700000000,\"timeout_ms\":500,"
        "\"mqtt\":{\"client_id\":\"d\",\"keep_alive\":30,\"subscribe\":[{\"topic\":\"a/#\","
        "\"qos\":1}],\"publish\":[{\"topic\":\"a/b\",\"qos\":0,\"payload\":\"p\"}],"
        "\"expect_messages\":2}}";
    struct tq_diag diag = {0};
    struct tq_client_config cfg;
    cr_assert(tq_ok(parse(&diag, &cfg, line)), "%s", diag.msg);
    cr_expect(!cfg.send_sni && !cfg.verify_peer);
    cr_expect_eq(cfg.crl.num, 2u);
    cr_expect(cfg.suites.present && cfg.suites.num == 0, "an empty list is present");
    cr_expect_eq(cfg.min_version, TQ_TLS_1_2);
    cr_expect_eq(cfg.max_version, TQ_TLS_1_3);
    cr_expect_eq(cfg.max_fragment_length, 1024u);
    cr_expect(cfg.has_verify_time && cfg.verify_time == 1700000000);
    cr_expect(cfg.mqtt.present && cfg.mqtt.keep_alive == 30 && cfg.mqtt.expect_messages == 2);
    cr_expect_str_eq(cfg.mqtt.subscribe[0].topic, "a/#");
    cr_expect_eq(cfg.mqtt.publish[0].qos, 0);
    tq_case_cleanup(&cfg);
}

/* Lines that break the schema, each with a word its message must contain. */
static const struct {
    const char *name;
    const char *line;
    const char *msg_has;
} bad_cases[] = {
    {.name = "not json", .line = "{\"id\":", .msg_has = "not JSON"},
    {.name = "not an object", .line = "[1]", .msg_has = "an object"},
    {.name = "missing port", .line = "{\"id\":\"a\",\"host\":\"h\"}", .msg_has = "port"},
    {.name = "unknown member",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,\"prot\":2}",
     .msg_has = "unknown"},
    {.name = "port out of range",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":70000}",
     .msg_has = "1..65535"},
    {.name = "port as string",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":\"1\"}",
     .msg_has = "want an integer"},
    {.name = "duplicate member",
     .line = "{\"id\":\"a\",\"id\":\"b\",\"host\":\"h\",\"port\":1}",
     .msg_has = "not JSON"},
    {.name = "bad version",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,"
             "\"versions\":{\"min\":\"1.4\"}}",
     .msg_has = "versions.min"},
    {.name = "min above max",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,"
             "\"versions\":{\"min\":\"1.3\",\"max\":\"1.2\"}}",
     .msg_has = "above"},
    {.name = "bad mfl",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,"
             "\"max_fragment_length\":1000}",
     .msg_has = "512"},
    {.name = "NUL in string",
     .line = "{\"id\":\"a\\u0000b\",\"host\":\"h\",\"port\":1}",
     .msg_has = "NUL"},
    {.name = "empty alpn",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,\"alpn\":[\"\"]}",
     .msg_has = "alpn[0]"},
    {.name = "qos 2",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,\"mqtt\":{\"publish\":"
             "[{\"topic\":\"t\",\"qos\":2}]}}",
     .msg_has = "qos"},
    {.name = "bad filter",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,\"mqtt\":"
             "{\"subscribe\":[{\"topic\":\"a/#/b\"}]}}",
     .msg_has = "topic filter"},
    {.name = "wildcard publish",
     .line = "{\"id\":\"a\",\"host\":\"h\",\"port\":1,\"mqtt\":"
             "{\"publish\":[{\"topic\":\"a/+\"}]}}",
     .msg_has = "wildcards"},
};

Test(backend_case, bad_lines_are_rejected_with_a_reason)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct tq_diag diag = {0};
        struct tq_client_config cfg;
        tq_status st = parse(&diag, &cfg, bad_cases[i].line);
        cr_expect(!tq_ok(st), "case %s: accepted", bad_cases[i].name);
        cr_expect(strstr(diag.msg, bad_cases[i].msg_has) != NULL,
                  "case %s: message \"%s\" "
                  "lacks \"%s\"",
                  bad_cases[i].name, diag.msg, bad_cases[i].msg_has);
        cr_expect(cfg.id == NULL, "case %s: nothing kept", bad_cases[i].name);
    }
}

Test(backend_case, line_reader_is_bounded)
{
    char input[] = "short\r\n\nsecond-without-newline";
    FILE *in = fmemopen(input, strlen(input), "r");
    cr_assert_not_null(in);
    char buf[8];
    size_t len = 0;
    bool eof = false;
    struct tq_diag diag = {0};
    cr_expect(tq_ok(tq_case_read_line(&diag, buf, &len, &eof, sizeof(buf), in)));
    cr_expect(len == 5 && strcmp(buf, "short") == 0 && !eof, "CRLF stripped");
    cr_expect(tq_ok(tq_case_read_line(&diag, buf, &len, &eof, sizeof(buf), in)));
    cr_expect(len == 0 && !eof, "an empty line is not the end");
    tq_status st = tq_case_read_line(&diag, buf, &len, &eof, sizeof(buf), in);
    cr_expect_eq(st.code, TQ_ERR_LIMIT, "a line longer than the buffer fails");
    fclose(in);

    char last[] = "abc";
    in = fmemopen(last, 3, "r");
    cr_expect(tq_ok(tq_case_read_line(&diag, buf, &len, &eof, sizeof(buf), in)));
    cr_expect(len == 3 && !eof, "a last line without newline is a line");
    cr_expect(tq_ok(tq_case_read_line(&diag, buf, &len, &eof, sizeof(buf), in)));
    cr_expect(eof);
    fclose(in);
}

Test(backend_case, line_of_exactly_the_limit_is_accepted_and_one_more_is_not)
{
    static char line[TQ_CASE_MAX_LINE + 2];
    memset(line, ' ', sizeof(line));
    const char *json = "{\"id\":\"a\",\"host\":\"h\",\"port\":1}";
    memcpy(line, json, strlen(json));
    struct tq_diag diag = {0};
    struct tq_client_config cfg;
    cr_expect(tq_ok(tq_case_parse(&diag, &cfg, line, TQ_CASE_MAX_LINE)), "%s", diag.msg);
    tq_case_cleanup(&cfg);
    cr_expect_eq(tq_case_parse(&diag, &cfg, line, TQ_CASE_MAX_LINE + 1).code, TQ_ERR_LIMIT);
}
