/* Tests for broker/events.c: one JSON object per line, common members first. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events.h"

Test(events, timestamp_is_rfc3339_utc_with_milliseconds)
{
    char ts[32];
    tq_events_timestamp(ts, sizeof(ts));
    regex_t re;
    cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                         REG_EXTENDED | REG_NOSUB), 0);
    cr_expect_eq(regexec(&re, ts, 0, NULL, 0), 0, "timestamp '%s'", ts);
    regfree(&re);
}

Test(events, lines_carry_common_members_then_fields)
{
    char path[] = "/tmp/tq-events-test.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct tq_events *ev = NULL;
    cr_assert(tq_ok(tq_events_open(NULL, &ev, path)));
    tq_events_emit(ev, "connection_opened", 7, "127.0.0.1:5000",
                   json_pack("{s:s}", "listener", "127.0.0.1:8883"));
    tq_events_emit(ev, "broker_stopped", 0, NULL, NULL);
    cr_expect_not(tq_events_failed(ev));
    tq_events_close(ev);

    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[1024];
    cr_assert_not_null(fgets(line, sizeof(line), f));
    cr_expect(strstr(line, "{\"ts\":\"") == line, "ts first: %s", line);
    cr_expect(strstr(line, "\"event\":\"connection_opened\",\"conn\":7,"
                           "\"peer\":\"127.0.0.1:5000\",\"listener\":\"127.0.0.1:8883\"}\n"),
              "member order: %s", line);
    cr_assert_not_null(fgets(line, sizeof(line), f));
    json_t *obj = json_loads(line, 0, NULL);
    cr_assert_not_null(obj, "second line is JSON: %s", line);
    cr_expect_str_eq(json_string_value(json_object_get(obj, "peer")), "");
    cr_expect_eq(json_integer_value(json_object_get(obj, "conn")), 0);
    json_decref(obj);
    cr_expect_null(fgets(line, sizeof(line), f), "exactly two lines");
    fclose(f);
    unlink(path);
}

Test(events, unopenable_file_names_the_path)
{
    struct tq_diag diag = {0};
    struct tq_events *ev = NULL;
    tq_status st = tq_events_open(&diag, &ev, "/nonexistent-dir/events.jsonl");
    cr_expect_eq(st.code, TQ_ERR_IO);
    cr_expect_null(ev);
    cr_expect_str_eq(diag.path, "/nonexistent-dir/events.jsonl");
}

Test(events, untrusted_text_is_escaped)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } cases[] = {
        {"mqtt.test", 9, "mqtt.test"},
        {"a\\b", 3, "a\\x5cb"},
        {"\xff\x00z", 3, "\\xff\\x00z"},
        {"", 0, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *s = tq_events_text(cases[i].in, cases[i].len);
        cr_assert_not_null(s, "case %zu", i);
        cr_expect_str_eq(json_string_value(s), cases[i].want, "case %zu", i);
        json_decref(s);
    }
}
