/* Tests for common/event_schema.c: the writer's check, the one reader, the getters, and the
 * schema against docs/broker-events.md (every event has its row there, every member is named in
 * it, and the example lines read). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_schema.h"
#include "fs.h"

#define DOC TQ_SOURCE_DIR "/docs/broker-events.md"

static tq_status check(struct tq_diag *diag, const char *event, unsigned long conn,
                       const char *peer, const char *fields_json)
{
    json_t *fields = fields_json ? json_loads(fields_json, 0, NULL) : NULL;
    cr_assert(fields_json == NULL || fields != NULL, "test JSON: %s", fields_json);
    tq_status st = tq_event_check(diag, event, conn, peer, fields);
    json_decref(fields);
    return st;
}

Test(event_schema, names_round_trip)
{
    for (int id = 0; id < TQ_EVENT_COUNT; id++) {
        const char *name = tq_event_name((enum tq_event_id)id);
        cr_assert_not_null(name);
        cr_expect_eq(tq_event_lookup(name, strlen(name)), id, "%s", name);
    }
    cr_expect_eq(tq_event_lookup("broker_start", 12), TQ_EVENT_COUNT);
    cr_expect_null(tq_event_name(TQ_EVENT_COUNT));
}

#define CLOSED_OK                                                                                  \
    "{\"reason\":\"peer_closed\",\"detail\":null,\"bytes_in\":1,\"bytes_out\":2,"                  \
    "\"duration_ms\":3,\"alert_sent\":null,\"alert_received\":\"close_notify\"}"

static const struct {
    const char *what;
    const char *event;
    unsigned long conn;
    const char *peer;
    const char *fields;
    const char *error; /* NULL: conforms; else in the message */
} written[] = {
    {"a whole line", "connection_closed", 1, "127.0.0.1:5000", CLOSED_OK, NULL},
    {"no members at all", "broker_stopped", 0, "", NULL, NULL},
    {"the malformed hello", "client_hello", 2, "[::1]:5000", "{\"malformed\":\"truncated\"}", NULL},
    {"an event not in the document", "connection_reset", 1, "127.0.0.1:5000", "{}",
     "event 'connection_reset' is not in docs/broker-events.md"},
    {"a member left out", "connection_closed", 1, "127.0.0.1:5000", "{\"reason\":\"peer_closed\"}",
     "connection_closed: member 'detail' must be a string or null, "
     "got nothing"},
    {"a member of another type", "mqtt_connack", 1, "127.0.0.1:5000",
     "{\"rc\":\"0\",\"session_present\":false}",
     "mqtt_connack: member 'rc' must be an integer, got a string"},
    {"null where it may not be", "signal_received", 0, "", "{\"signal\":null}",
     "member 'signal' must be a string, got null"},
    {"a member the document does not name", "signal_received", 0, "",
     "{\"signal\":\"SIGHUP\",\"extra\":1}", "member 'extra' is not in docs/broker-events.md"},
    {"a connection event without a connection", "connection_opened", 0, "",
     "{\"listener\":\"127.0.0.1:8883\"}", "must have conn >= 1 and a peer IP:PORT"},
    {"a broker-wide event on a connection", "broker_stopped", 4, "127.0.0.1:5000", NULL,
     "a broker-wide event must have conn 0"},
    {"half of each hello", "client_hello", 2, "[::1]:5000", "{\"malformed\":\"x\",\"ja3\":\"1,2\"}",
     "client_hello: member"},
    {"a JITR's write failure", "registry_write_failed", 5, "127.0.0.1:5000",
     "{\"operation\":\"JustInTimeRegistration\",\"detail\":\"disk full\"}", NULL},
};

Test(event_schema, the_writers_check)
{
    for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
        struct tq_diag diag = {0};
        tq_status st =
            check(&diag, written[i].event, written[i].conn, written[i].peer, written[i].fields);
        if (written[i].error == NULL) {
            cr_expect(tq_ok(st), "%s: %s", written[i].what, diag.msg);
            continue;
        }
        cr_expect_eq(st.code, TQ_ERR_PROTOCOL, "%s", written[i].what);
        cr_expect(strstr(diag.msg, written[i].error) != NULL, "%s: want '%s' in '%s'",
                  written[i].what, written[i].error, diag.msg);
    }
}

#define HEAD(event, conn, peer)                                                                    \
    "{\"ts\":\"2026-11-23T21:40:04.527Z\",\"event\":\"" event "\",\"conn\":" #conn                 \
    ",\"peer\":\"" peer "\""

static const struct {
    const char *what;
    const char *line;
    tq_status_code code; /* TQ_OK: read */
} read_lines[] = {
    {"a whole line",
     HEAD("mqtt_connack", 1, "127.0.0.1:5000") ",\"rc\":0,\"session_present\":"
                                               "false}",
     TQ_OK},
    {"members left out read as null", HEAD("connection_closed", 1, "127.0.0.1:5000") "}", TQ_OK},
    {"not JSON", "{\"ts\":", TQ_ERR_PARSE},
    {"a list", "[1,2]", TQ_ERR_PARSE},
    {"no ts", "{\"event\":\"broker_stopped\",\"conn\":0,\"peer\":\"\"}", TQ_ERR_PROTOCOL},
    {"conn not a number", HEAD("broker_stopped", "0", "") "}", TQ_ERR_PROTOCOL},
    {"negative conn", HEAD("broker_stopped", -1, "") "}", TQ_ERR_PROTOCOL},
    {"an unknown event", HEAD("broker_paused", 0, "") "}", TQ_ERR_PROTOCOL},
    {"a member of another type", HEAD("mqtt_connack", 1, "127.0.0.1:5000") ",\"rc\":\"0\"}",
     TQ_ERR_PROTOCOL},
    {"a member not in the schema", HEAD("mqtt_connack", 1, "127.0.0.1:5000") ",\"rcx\":0}",
     TQ_ERR_PROTOCOL},
    {"a duplicate member", HEAD("mqtt_connack", 1, "127.0.0.1:5000") ",\"rc\":0,\"rc\":1}",
     TQ_ERR_PARSE},
    {"a connection event without a port", HEAD("mqtt_connack", 1, "127.0.0.1") "}",
     TQ_ERR_PROTOCOL},
};

Test(event_schema, the_one_reader)
{
    for (size_t i = 0; i < sizeof(read_lines) / sizeof(read_lines[0]); i++) {
        struct tq_diag diag = {0};
        struct tq_event ev;
        tq_status st = tq_event_parse(&diag, &ev, read_lines[i].line, strlen(read_lines[i].line));
        cr_expect_eq(st.code, read_lines[i].code, "%s: want %s, got %s (%s)", read_lines[i].what,
                     tq_status_name(read_lines[i].code), tq_status_name(st.code), diag.msg);
        if (tq_ok(st))
            cr_expect_not_null(ev.obj, "%s", read_lines[i].what);
        else
            cr_expect_null(ev.obj, "%s: emptied", read_lines[i].what);
        tq_event_cleanup(&ev);
    }
}

Test(event_schema, getters_and_ports)
{
    static const char line[] = HEAD("broker_started", 0, "") ",\"api\":\"127.0.0.1:4567\","
                                                             "\"pid\":99,\"endpoint_host\":null}";
    struct tq_diag diag = {0};
    struct tq_event ev;
    cr_assert(tq_ok(tq_event_parse(&diag, &ev, line, strlen(line))), "%s", diag.msg);
    cr_expect_eq(ev.id, TQ_EVENT_BROKER_STARTED);
    cr_expect_eq(ev.port, 0);
    cr_expect_eq(tq_event_integer(&ev, "pid", -1), 99);
    cr_expect_eq(tq_event_port(tq_event_string(&ev, "api")), 4567);
    cr_expect_null(tq_event_string(&ev, "endpoint_host"), "null");
    cr_expect_null(tq_event_string(&ev, "registry"), "absent reads as null");
    cr_expect_eq(tq_event_integer(&ev, "nofile", -7), -7);
    cr_expect_null(tq_event_json(&ev, "server_chains"));
    tq_event_cleanup(&ev);
    tq_event_cleanup(&ev); /* an empty event: a no-op */

    static const struct {
        const char *address;
        long port;
    } ports[] = {{"127.0.0.1:5000", 5000},
                 {"[::1]:65535", 65535},
                 {"127.0.0.1:65536", 0},
                 {"127.0.0.1:05000", 0},
                 {"127.0.0.1:", 0},
                 {"127.0.0.1", 0},
                 {"1.2.3.4:50x", 0},
                 {"", 0},
                 {NULL, 0}};
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
        cr_expect_eq(tq_event_port(ports[i].address), ports[i].port, "'%s'",
                     ports[i].address ? ports[i].address : "(null)");
}

/* doc_row returns the table row of docs/broker-events.md for event `name` (a copy the caller
 * frees), or NULL: a row whose first cell names the event in backticks. */
static char *doc_row(const char *doc, const char *name)
{
    char want[96];
    snprintf(want, sizeof(want), "`%s`", name);
    for (const char *line = doc; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *cell_end = len > 2 && line[0] == '|' ? memchr(line + 1, '|', len - 1) : NULL;
        if (cell_end != NULL) {
            char first[256];
            snprintf(first, sizeof(first), "%.*s", (int)(cell_end - line), line);
            if (strstr(first, want) != NULL)
                return strndup(line, len);
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

Test(event_schema, every_event_and_member_is_in_the_document)
{
    char *doc = NULL;
    size_t len = 0;
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_fs_read_all(&diag, &doc, &len, DOC, 1 << 20)), "%s", diag.msg);
    for (int id = 0; id < TQ_EVENT_COUNT; id++) {
        const char *name = tq_event_name((enum tq_event_id)id);
        char *row = doc_row(doc, name);
        cr_expect_not_null(row, "%s has no row in docs/broker-events.md", name);
        if (row == NULL)
            continue;
        /* every member the schema gives the event is named in backticks in its row */
        const char *member;
        for (size_t m = 0; (member = tq_event_member_at((enum tq_event_id)id, m)) != NULL; m++) {
            char want[64];
            snprintf(want, sizeof(want), "`%s`", member);
            cr_expect(strstr(row, want) != NULL, "%s: member %s is not named in its row", name,
                      member);
        }
        free(row);
    }
    free(doc);
}

Test(event_schema, the_documents_example_lines_read)
{
    char *doc = NULL;
    size_t len = 0;
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_fs_read_all(&diag, &doc, &len, DOC, 1 << 20)), "%s", diag.msg);
    const char *block = strstr(doc, "```json\n");
    cr_assert_not_null(block, "the example block");
    size_t num = 0;
    for (const char *line = block + 8; strncmp(line, "```", 3) != 0 && num < 100; num++) {
        const char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        struct tq_event ev;
        cr_expect(tq_ok(tq_event_parse(&diag, &ev, line, (size_t)(end - line))), "%.*s: %s",
                  (int)(end - line), line, diag.msg);
        tq_event_cleanup(&ev);
        line = end + 1;
    }
    cr_expect_geq(num, 5);
    free(doc);
}
