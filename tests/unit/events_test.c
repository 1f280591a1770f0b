/* Tests for broker/events.c: one JSON object per line, common members first. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <event2/event.h>
#include <jansson.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event_schema.h"
#include "events.h"

Test(events, timestamp_is_rfc3339_utc_with_milliseconds)
{
    char ts[32];
    tq_events_timestamp(ts, sizeof(ts));
    regex_t re;
    cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
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

static char *read_text(const char *path)
{
    static char text[8192];
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void temp_path(char *path)
{
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
}

/* Deferred: connection lines wait for the end of the loop iteration, a broker-wide line goes
 * at once and takes the waiting lines with it, in order. */
Test(events, deferred_lines_are_written_at_the_end_of_the_loop_iteration)
{
    char path[] = "/tmp/tq-events-test.XXXXXX";
    temp_path(path);
    struct event_base *base = event_base_new();
    cr_assert_not_null(base);
    struct tq_events *ev = NULL;
    cr_assert(tq_ok(tq_events_open(NULL, &ev, path)));
    cr_assert(tq_ok(tq_events_defer(ev, base)));

    tq_events_check_schema(ev, false); /* lines cut down to what the ordering needs */
    tq_events_emit(ev, "connection_opened", 1, "127.0.0.1:5001", NULL);
    tq_events_emit(ev, "connection_opened", 2, "127.0.0.1:5002", NULL);
    cr_expect_str_eq(read_text(path), "", "nothing written before the loop runs");
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    const char *text = read_text(path);
    const char *first = strstr(text, "\"conn\":1,"), *second = strstr(text, "\"conn\":2,");
    cr_expect(first != NULL && second != NULL && first < second, "both, in order: %s", text);

    tq_events_emit(ev, "connection_closed", 1, "127.0.0.1:5001", NULL);
    tq_events_emit(ev, "signal_received", 0, "", json_pack("{s:s}", "signal", "SIGTERM"));
    text = read_text(path);
    const char *closed = strstr(text, "connection_closed"), *sig = strstr(text, "signal_received");
    cr_expect(closed != NULL && sig != NULL && closed < sig,
              "a broker-wide line writes the waiting ones first: %s", text);
    tq_events_emit(ev, "connection_closed", 2, "127.0.0.1:5002", NULL);
    tq_events_close(ev); /* writes what is left */
    text = read_text(path);
    cr_expect(strstr(text, "\"event\":\"connection_closed\",\"conn\":2,") != NULL, "%s", text);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, 5, "five whole lines: %s", text);
    event_base_free(base);
    unlink(path);
}

/* The common members are escaped like any JSON string, and the fields keep their order. */
Test(events, common_members_are_escaped_and_fields_keep_their_order)
{
    char path[] = "/tmp/tq-events-test.XXXXXX";
    temp_path(path);
    struct tq_events *ev = NULL;
    cr_assert(tq_ok(tq_events_open(NULL, &ev, path)));
    tq_events_check_schema(ev, false); /* the line writer on names no broker line has */
    tq_events_emit(ev, "odd\"name", 3, "a\\b\n",
                   json_pack("{s:i, s:s, s:[i]}", "z", 1, "a", "x", "m", 2));
    tq_events_emit(ev, "empty_fields", 4, "", json_object());
    tq_events_close(ev);
    char *text = read_text(path);
    char *second = strchr(text, '\n');
    cr_assert_not_null(second);
    *second++ = '\0';
    json_error_t err;
    json_t *obj = json_loads(text, 0, &err);
    cr_assert_not_null(obj, "valid JSON: %s (%s)", text, err.text);
    cr_expect_str_eq(json_string_value(json_object_get(obj, "event")), "odd\"name");
    cr_expect_str_eq(json_string_value(json_object_get(obj, "peer")), "a\\b\n");
    cr_expect(strstr(text, "\"z\":1,\"a\":\"x\",\"m\":[2]}") != NULL, "field order: %s", text);
    json_decref(obj);
    obj = json_loads(second, 0, &err);
    cr_assert_not_null(obj, "valid JSON: %s (%s)", second, err.text);
    cr_expect_eq(json_object_size(obj), 4, "only the common members: %s", second);
    json_decref(obj);
    unlink(path);
}

/* The fields are written byte for byte as jansson's compact dump writes them. */
Test(events, fields_are_written_as_json_dumps_writes_them)
{
    char path[] = "/tmp/tq-events-test.XXXXXX";
    temp_path(path);
    json_t *fields = json_pack(
        "{s:s, s:s, s:s, s:i, s:I, s:f, s:f, s:f, s:b, s:b, s:n, s:[], s:{}, s:[i, s, [n], {s:s}],"
        " s:{s:{s:[b]}}}",
        "plain", "x-amzn-mqtt-ca", "escapes", "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f", "utf8",
        "caf\xc3\xa9 \xe2\x82\xac", "int", -42, "big", (json_int_t)9007199254740993LL, "real", 1.5,
        "tiny", 1e-300, "tenth", 0.1, "yes", 1, "no", 0, "none", "empty_list", "empty_object",
        "mixed", 7, "s", "k", "v", "deep", "a", "b", 1);
    cr_assert_not_null(fields);
    json_object_set_new(fields, "nul", json_stringn("a\0b", 3));
    char *want_fields = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_assert_not_null(want_fields);
    struct tq_events *ev = NULL;
    cr_assert(tq_ok(tq_events_open(NULL, &ev, path)));
    tq_events_check_schema(ev, false); /* every JSON type, which no broker line has */
    tq_events_emit(ev, "mixed", 9, "[::1]:5000", fields);
    tq_events_close(ev);
    char *text = read_text(path);
    const char *body = strstr(text, "\"peer\":\"[::1]:5000\",");
    cr_assert_not_null(body, "%s", text);
    body += strlen("\"peer\":\"[::1]:5000\",");
    char want[2048];
    snprintf(want, sizeof(want), "%s\n", want_fields + 1); /* without its '{' */
    cr_expect_str_eq(body, want);
    free(want_fields);
    unlink(path);
}

/* What the writer writes, the one reader reads: a whole line of every member type, escaped
 * peer bytes included, comes back with its members and their types. */
Test(events, the_reader_reads_what_the_writer_writes)
{
    char path[] = "/tmp/tq-events-test.XXXXXX";
    temp_path(path);
    struct tq_events *ev = NULL;
    cr_assert(tq_ok(tq_events_open(NULL, &ev, path)));
    tq_events_emit(ev, "connection_closed", 3, "[::1]:5003",
                   json_pack("{s:s, s:s, s:I, s:I, s:I, s:n, s:s}", "reason", "handshake_failed",
                             "detail", "quote \" and\nline", "bytes_in", (json_int_t)12,
                             "bytes_out", (json_int_t)34, "duration_ms", (json_int_t)5,
                             "alert_sent", "alert_received", "alert_200"));
    tq_events_emit(ev, "mqtt_subscribe", 3, "[::1]:5003",
                   json_pack("{s:i, s:[{s:s, s:i, s:n}], s:b}", "packet_id", 7, "filters", "filter",
                             "a/#", "requested_qos", 2, "granted", "suback", 0));
    tq_events_close(ev);
    char *text = read_text(path);
    char *second = strchr(text, '\n');
    cr_assert_not_null(second);
    struct tq_diag diag = {0};
    struct tq_event got;
    cr_assert(tq_ok(tq_event_parse(&diag, &got, text, (size_t)(second - text))), "%s: %s", diag.msg,
              text);
    cr_expect_eq(got.id, TQ_EVENT_CONNECTION_CLOSED);
    cr_expect_eq(got.conn, 3);
    cr_expect_eq(got.port, 5003);
    cr_expect_str_eq(tq_event_string(&got, "detail"), "quote \" and\nline");
    cr_expect_eq(tq_event_integer(&got, "bytes_out", -1), 34);
    cr_expect_null(tq_event_string(&got, "alert_sent"));
    cr_expect_str_eq(tq_event_string(&got, "alert_received"), "alert_200");
    tq_event_cleanup(&got);
    second++;
    cr_assert(tq_ok(tq_event_parse(&diag, &got, second, strcspn(second, "\n"))), "%s: %s", diag.msg,
              second);
    cr_expect_eq(got.id, TQ_EVENT_MQTT_SUBSCRIBE);
    cr_expect_eq(json_array_size(tq_event_json(&got, "filters")), 1);
    cr_expect_not(tq_event_bool(&got, "suback"));
    tq_event_cleanup(&got);
    unlink(path);
}

#ifndef NDEBUG
/* A line that breaks docs/broker-events.md is a bug of the broker: with assertions it stops
 * the broker before the line is written (event_schema.h). */
Test(events, a_line_off_the_schema_stops_the_broker, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    struct tq_events *ev = NULL;
    cr_assert(tq_ok(tq_events_open(NULL, &ev, "/dev/null")));
    tq_events_emit(ev, "connection_closed", 1, "127.0.0.1:5001",
                   json_pack("{s:s, s:i}", "reason", "peer_closed", "alert_sent", 40));
    tq_events_close(ev);
}
#endif
