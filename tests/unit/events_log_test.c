/* Tests for harness/events_log.c: incremental reading, the port index, partial lines, the bound,
 * garbage, file replacement, find with a cursor, and many readers while the broker appends. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_match.h"
#include "events_log.h"

/* A folder of its own per test, and the events file's path in it. */
struct fixture {
    char dir[64];
    char path[128];
};

static void fixture_init(struct fixture *f)
{
    snprintf(f->dir, sizeof(f->dir), "/tmp/tq-events-log-test.XXXXXX");
    cr_assert_not_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/events.jsonl", f->dir);
}

static void fixture_cleanup(struct fixture *f)
{
    unlink(f->path);
    rmdir(f->dir);
}

/* append_bytes writes `len` bytes at the end of the file, as the broker does ("ae"). */
static void append_bytes(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "open %s", path);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void append(const char *path, const char *text)
{
    append_bytes(path, text, strlen(text));
}

/* TS: the first member of every line the broker writes. */
#define TS "{\"ts\":\"2026-11-23T21:40:04.527Z\","

/* event_line writes one broker line (with its '\n') the way docs/broker-events.md shows. */
static void event_line(char *out, size_t out_len, const char *event, long conn, long port,
                       const char *more)
{
    snprintf(out, out_len,
             "{\"ts\":\"2026-11-23T21:40:04.527Z\",\"event\":\"%s\",\"conn\":%ld,"
             "\"peer\":\"127.0.0.1:%ld\"%s}\n",
             event, conn, port, more ? more : "");
}

static struct tq_events_log *open_log(const char *path, size_t max_bytes)
{
    struct tq_diag diag = {0};
    struct tq_events_log *log = NULL;
    cr_assert(tq_ok(tq_events_log_open(&diag, &log, path, max_bytes)), "%s", diag.msg);
    return log;
}

/* lines_of returns the log's lines of `ports` as a NUL-terminated string the caller frees. */
static char *lines_of(struct tq_events_log *log, const long *ports, size_t num_ports)
{
    struct tq_diag diag = {0};
    struct tq_buf out;
    tq_buf_init(&out, 64 << 20);
    cr_assert(tq_ok(tq_events_log_lines(&diag, log, &out, ports, num_ports, 0)), "%s", diag.msg);
    cr_assert(tq_ok(tq_buf_u8(&out, '\0')));
    return (char *)out.data; /* the buffer's memory is the caller's now */
}

static void expect_port_lines(struct tq_events_log *log, long port, const char *want)
{
    char *got = lines_of(log, &port, 1);
    cr_expect_str_eq(got, want, "port %ld", port);
    free(got);
}

Test(events_log, missing_file_has_no_lines_until_the_broker_creates_it)
{
    struct fixture f;
    fixture_init(&f);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    expect_port_lines(log, 5000, "");
    size_t next = 0;
    struct tq_events_log_line hit;
    struct tq_diag diag = {0};
    cr_expect_eq(tq_events_log_find(&diag, log, &hit, &next, "connection_opened", 0).code,
                 TQ_ERR_NOT_FOUND);
    cr_expect_eq(next, 0);

    char line[512];
    event_line(line, sizeof(line), "connection_opened", 1, 5000, NULL);
    append(f.path, line);
    expect_port_lines(log, 5000, line);
    struct tq_events_log_stats stats;
    tq_events_log_stats(log, &stats);
    cr_expect_eq(stats.num_lines, 1);
    cr_expect_eq(stats.bytes_read, strlen(line));
    cr_expect_not(stats.truncated);
    tq_events_log_close(log);
    tq_events_log_close(NULL);
    fixture_cleanup(&f);
}

Test(events_log, appends_between_queries_are_read_once)
{
    struct fixture f;
    fixture_init(&f);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    char a[512], b[512], other[512], want[2048];
    event_line(a, sizeof(a), "connection_opened", 1, 5000, ",\"listener\":\"127.0.0.1:8883\"");
    event_line(other, sizeof(other), "connection_opened", 2, 5001, NULL);
    event_line(b, sizeof(b), "connection_closed", 1, 5000, ",\"reason\":\"peer_closed\"");
    append(f.path, a);
    append(f.path, other);
    expect_port_lines(log, 5000, a);
    append(f.path, b);
    snprintf(want, sizeof(want), "%s%s", a, b);
    expect_port_lines(log, 5000, want);
    expect_port_lines(log, 5000, want); /* nothing new: the same answer */
    expect_port_lines(log, 5001, other);

    struct tq_events_log_stats stats;
    tq_events_log_stats(log, &stats);
    cr_expect_eq(stats.num_lines, 3);
    cr_expect_eq(stats.bytes_read, strlen(a) + strlen(b) + strlen(other), "each byte read once");
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, partial_last_line_waits_for_its_newline)
{
    struct fixture f;
    fixture_init(&f);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    char line[512], half[512];
    event_line(line, sizeof(line), "mqtt_connect", 1, 5000, ",\"client_id\":\"abc\"");
    size_t cut = strlen(line) / 2;
    snprintf(half, sizeof(half), "%.*s", (int)cut, line);
    append(f.path, half);
    expect_port_lines(log, 5000, "");
    size_t next = 0;
    struct tq_events_log_line hit;
    struct tq_diag diag = {0};
    cr_expect_eq(tq_events_log_find(&diag, log, &hit, &next, "mqtt_connect", 0).code,
                 TQ_ERR_NOT_FOUND);
    struct tq_events_log_stats stats;
    tq_events_log_stats(log, &stats);
    cr_expect_eq(stats.num_lines, 0, "half a line is not a line");
    cr_expect_eq(stats.num_skipped, 0, "nor garbage");

    char want[512];
    snprintf(want, sizeof(want), "%s", line);
    line[strlen(line) - 1] = '\0';
    append(f.path, line + cut); /* the rest, without its newline yet */
    expect_port_lines(log, 5000, "");
    append(f.path, "\n");
    expect_port_lines(log, 5000, want);
    cr_expect(tq_ok(tq_events_log_find(&diag, log, &hit, &next, "mqtt_connect client_id=abc", 0)),
              "%s", diag.msg);
    cr_expect_eq(hit.index, 0);
    cr_expect_eq(hit.conn, 1);
    cr_expect_eq(hit.port, 5000);
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

/* NUM_PORTS connections whose lines the broker wrote round-robin, LINES_PER_PORT each. */
enum { NUM_PORTS = 1000, LINES_PER_PORT = 5, FIRST_PORT = 20000 };

Test(events_log, many_ports_each_get_exactly_their_lines)
{
    struct fixture f;
    fixture_init(&f);
    static const char *const events[LINES_PER_PORT] = {"connection_opened", "tls_established",
                                                       "mqtt_connect", "mqtt_connack",
                                                       "connection_closed"};
    FILE *file = fopen(f.path, "w");
    cr_assert_not_null(file);
    for (int k = 0; k < LINES_PER_PORT; k++)
        for (long i = 0; i < NUM_PORTS; i++) {
            char line[512];
            event_line(line, sizeof(line), events[k], i + 1, FIRST_PORT + i, NULL);
            fputs(line, file);
        }
    fclose(file);
    struct tq_events_log *log = open_log(f.path, 64 << 20);
    for (long i = 0; i < NUM_PORTS; i++) {
        char want[LINES_PER_PORT * 512] = "";
        size_t used = 0;
        for (int k = 0; k < LINES_PER_PORT; k++) {
            char line[512];
            event_line(line, sizeof(line), events[k], i + 1, FIRST_PORT + i, NULL);
            used += (size_t)snprintf(want + used, sizeof(want) - used, "%s", line);
        }
        expect_port_lines(log, FIRST_PORT + i, want);
    }
    expect_port_lines(log, FIRST_PORT + NUM_PORTS, "");
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, two_ports_come_interleaved_in_file_order)
{
    struct fixture f;
    fixture_init(&f);
    static const struct {
        const char *event;
        long conn, port;
    } lines[] = {
        {"connection_opened", 1, 5000}, {"connection_opened", 2, 6000},
        {"connection_opened", 3, 7000}, {"mqtt_subscribe", 2, 6000},
        {"mqtt_connect", 1, 5000},      {"mqtt_publish", 1, 5000},
        {"connection_closed", 3, 7000}, {"mqtt_publish", 2, 6000},
    };
    char want[4096] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        char line[512];
        event_line(line, sizeof(line), lines[i].event, lines[i].conn, lines[i].port, NULL);
        append(f.path, line);
        if (lines[i].port != 7000)
            used += (size_t)snprintf(want + used, sizeof(want) - used, "%s", line);
    }
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    long both[] = {6000, 5000};
    char *got = lines_of(log, both, 2);
    cr_expect_str_eq(got, want);
    free(got);
    long repeated[] = {5000, 6000, 5000, 0, -1, 70000, 6000};
    got = lines_of(log, repeated, sizeof(repeated) / sizeof(repeated[0]));
    cr_expect_str_eq(got, want, "a port listed twice gives its lines once; bad ports none");
    free(got);
    long too_many[TQ_EVENTS_LOG_MAX_PORTS + 1] = {5000};
    struct tq_buf out;
    tq_buf_init(&out, 1 << 20);
    struct tq_diag diag = {0};
    cr_expect_eq(
        tq_events_log_lines(&diag, log, &out, too_many, TQ_EVENTS_LOG_MAX_PORTS + 1, 0).code,
        TQ_ERR_USAGE);
    tq_buf_cleanup(&out);
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, bound_keeps_what_was_read_and_says_truncated)
{
    struct fixture f;
    fixture_init(&f);
    char a[512], b[512], c[512];
    event_line(a, sizeof(a), "connection_opened", 1, 5000, NULL);
    event_line(b, sizeof(b), "mqtt_connect", 1, 5000, NULL);
    event_line(c, sizeof(c), "connection_closed", 1, 5000, NULL);
    append(f.path, a);
    append(f.path, b);
    size_t bound = strlen(a) + strlen(b) + 10; /* ten bytes into the third line */
    struct tq_events_log *log = open_log(f.path, bound);
    char want[1024];
    snprintf(want, sizeof(want), "%s%s", a, b);
    expect_port_lines(log, 5000, want);
    struct tq_events_log_stats stats;
    tq_events_log_stats(log, &stats);
    cr_expect_not(stats.truncated, "the file fits so far");

    append(f.path, c);
    expect_port_lines(log, 5000, want);
    tq_events_log_stats(log, &stats);
    cr_expect(stats.truncated);
    cr_expect_eq(stats.bytes_read, bound);
    cr_expect_eq(stats.num_lines, 2, "the line cut by the bound is never parsed");
    append(f.path, a);
    expect_port_lines(log, 5000, want);
    tq_events_log_stats(log, &stats);
    cr_expect(stats.truncated, "sticky");
    cr_expect_eq(stats.bytes_read, bound, "nothing more is read");
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, exact_fit_is_not_truncated)
{
    struct fixture f;
    fixture_init(&f);
    char a[512];
    event_line(a, sizeof(a), "connection_opened", 1, 5000, NULL);
    append(f.path, a);
    struct tq_events_log *log = open_log(f.path, strlen(a));
    expect_port_lines(log, 5000, a);
    struct tq_events_log_stats stats;
    tq_events_log_stats(log, &stats);
    cr_expect_not(stats.truncated);
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, garbage_lines_are_counted_and_match_nothing)
{
    struct fixture f;
    fixture_init(&f);
    static const char *const garbage[] = {
        "not json at all\n",
        "\n",
        "[\"peer\",\"127.0.0.1:5000\"]\n",
        "{\"event\":\"mqtt_connect\",\"conn\":1,\"peer\":\"127.0.0.1:5000\"\n", /* no '}' */
        "{\"event\":\"mqtt_connect\",\"peer\":\"127.0.0.1:5000\"} trailing\n",
        "{\"event\":\"mqtt_connect\",\"peer\":\"127.0.0.1:5000\",\"x\":\"\\ud800\"}\n",
        "\xff\xfe{}\n",
        /* JSON, but off the schema (common/event_schema.h): an event it does not have, a member
         * of another type, a connection event without a connection */
        TS "\"event\":\"mqtt_connekt\",\"conn\":1,\"peer\":\"127.0.0.1:5000\"}\n",
        TS "\"event\":\"mqtt_connect\",\"conn\":1,\"peer\":\"127.0.0.1:5000\",\"client_id\":7}\n",
        TS "\"event\":\"mqtt_connect\",\"conn\":0,\"peer\":\"127.0.0.1:5000\"}\n",
    };
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        append(f.path, garbage[i]);
    static const char with_nul[] = "{\"event\":\"a\0b\",\"peer\":\"127.0.0.1:5000\"}\n";
    append_bytes(f.path, with_nul, sizeof(with_nul) - 1);
    char good[512];
    event_line(good, sizeof(good), "mqtt_connect", 1, 5000, NULL);
    append(f.path, good);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    expect_port_lines(log, 5000, good);
    struct tq_events_log_stats stats;
    tq_events_log_stats(log, &stats);
    size_t num_garbage = sizeof(garbage) / sizeof(garbage[0]) + 1;
    cr_expect_eq(stats.num_lines, num_garbage + 1);
    cr_expect_eq(stats.num_skipped, num_garbage);
    size_t next = 0;
    struct tq_events_log_line hit;
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_events_log_find(&diag, log, &hit, &next, "mqtt_connect", 0)), "%s",
              diag.msg);
    cr_expect_eq(hit.index, stats.num_lines - 1, "the good line, the garbage before it skipped");
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, peer_port_is_read_from_the_json_value_not_the_text)
{
    struct fixture f;
    fixture_init(&f);
    static const struct {
        const char *line;
        long port; /* the port that must get it; 0: none */
    } cases[] = {
        {TS "\"event\":\"connection_opened\",\"conn\":1,\"peer\":\"[::1]:5000\"}\n", 5000},
        {TS "\"event\":\"mqtt_connack\",\"conn\":2,\"peer\":\"127.0.0.1:5001\"}\n", 5001},
        {TS "\"event\":\"broker_stopped\",\"conn\":0,\"peer\":\"\"}\n", 0},
        {TS "\"event\":\"mqtt_connack\",\"conn\":3,\"peer\":null}\n", 0},
        {TS "\"event\":\"mqtt_connack\",\"conn\":4,\"peer\":\"127.0.0.1:05000\"}\n", 0},
        {TS "\"event\":\"mqtt_connack\",\"conn\":5,\"peer\":\"127.0.0.1:70000\"}\n", 0},
        {TS "\"event\":\"mqtt_connack\",\"conn\":6,\"peer\":\"127.0.0.1:50x\"}\n", 0},
        /* A string before `peer` that looks like a peer member, escaped quotes included. */
        {TS "\"event\":\"tls_established\",\"conn\":7,"
            "\"sni\":\"\\\",\\\"peer\\\":\\\"1.2.3.4:5002\",\"peer\":\"127.0.0.1:5003\"}\n",
         5003},
        /* An escaped colon is still a colon once decoded. */
        {TS "\"event\":\"mqtt_connack\",\"conn\":8,\"peer\":\"127.0.0.1\\u003a5004\"}\n", 5004},
        /* Members in another order than the broker's. */
        {"{\"peer\":\"10.0.0.1:5005\",\"conn\":9,\"event\":\"mqtt_connack\","
         "\"ts\":\"2026-11-23T21:40:04.527Z\"}\n",
         5005},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        append(f.path, cases[i].line);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cases[i].port)
            expect_port_lines(log, cases[i].port, cases[i].line);
    expect_port_lines(log, 5002, "");
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, find_gives_conn_and_port_and_polls_with_its_cursor)
{
    struct fixture f;
    fixture_init(&f);
    char line[512];
    event_line(line, sizeof(line), "mqtt_connect", 6, 5000, ",\"client_id\":\"other\"");
    append(f.path, line);
    event_line(line, sizeof(line), "mqtt_subscribe", 6, 5000, NULL);
    append(f.path, line);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    struct tq_diag diag = {0};
    struct tq_events_log_line connect = {0}, subscribe = {0};
    size_t next = 0;
    cr_expect_eq(
        tq_events_log_find(&diag, log, &connect, &next, "mqtt_connect client_id=abc", 0).code,
        TQ_ERR_NOT_FOUND);
    cr_expect_eq(next, 2, "the next poll starts after the lines already looked at");
    cr_expect(strstr(diag.msg, "mqtt_connect client_id=abc"), "%s", diag.msg);

    event_line(line, sizeof(line), "mqtt_connect", 7, 5100, ",\"client_id\":\"abc\"");
    append(f.path, line);
    cr_assert(
        tq_ok(tq_events_log_find(&diag, log, &connect, &next, "mqtt_connect client_id=abc", 0)),
        "%s", diag.msg);
    cr_expect_eq(connect.index, 2);
    cr_expect_eq(connect.conn, 7);
    cr_expect_eq(connect.port, 5100);
    cr_expect_eq(next, 3);

    char subscribed[64];
    snprintf(subscribed, sizeof(subscribed), "mqtt_subscribe conn=%ld", connect.conn);
    cr_expect_eq(tq_events_log_find(&diag, log, &subscribe, &next, subscribed, connect.port).code,
                 TQ_ERR_NOT_FOUND);
    event_line(line, sizeof(line), "mqtt_subscribe", 7, 5100, NULL);
    append(f.path, line);
    cr_assert(tq_ok(tq_events_log_find(&diag, log, &subscribe, &next, subscribed, connect.port)),
              "%s", diag.msg);
    cr_expect_eq(subscribe.index, 3);

    size_t from_start = 0;
    cr_expect(tq_ok(tq_events_log_find(&diag, log, &subscribe, &from_start, "mqtt_subscribe", 0)));
    cr_expect_eq(subscribe.index, 1, "the first match");
    cr_expect(tq_ok(tq_events_log_find(&diag, log, &subscribe, &from_start, "mqtt_subscribe", 0)));
    cr_expect_eq(subscribe.index, 3, "then the next");

    cr_expect_eq(tq_events_log_find(&diag, log, &subscribe, &next, "conn=1", 0).code, TQ_ERR_USAGE);
    cr_expect_eq(tq_events_log_find(&diag, log, &subscribe, &next, "x", 65536).code, TQ_ERR_USAGE);
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, restarted_broker_restarts_conn_numbers_and_port_tells_them_apart)
{
    struct fixture f;
    fixture_init(&f);
    char a1[512], a2[512], b1[512], b2[512], stop[256], start[256];
    snprintf(stop, sizeof(stop), TS "\"event\":\"broker_stopped\",\"conn\":0,\"peer\":\"\"}\n");
    snprintf(start, sizeof(start), TS "\"event\":\"broker_started\",\"conn\":0,\"peer\":\"\"}\n");
    event_line(a1, sizeof(a1), "mqtt_connect", 1, 5000, ",\"client_id\":\"x\"");
    event_line(a2, sizeof(a2), "mqtt_subscribe", 1, 5000, NULL);
    event_line(b1, sizeof(b1), "mqtt_connect", 1, 6000, ",\"client_id\":\"x\"");
    event_line(b2, sizeof(b2), "mqtt_subscribe", 1, 6000, NULL);
    append(f.path, start);
    append(f.path, a1);
    append(f.path, stop);
    append(f.path, start); /* the same file, appended: conn 1 again */
    append(f.path, b1);
    append(f.path, b2);
    append(f.path, a2); /* port 5000 again, in the second lifetime (rare, but possible) */
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    char want[1024];
    snprintf(want, sizeof(want), "%s%s", a1, a2);
    expect_port_lines(log, 5000, want);
    snprintf(want, sizeof(want), "%s%s", b1, b2);
    expect_port_lines(log, 6000, want);

    struct tq_diag diag = {0};
    struct tq_events_log_line hit;
    size_t next = 0;
    cr_assert(tq_ok(tq_events_log_find(&diag, log, &hit, &next, "mqtt_subscribe conn=1", 6000)),
              "%s", diag.msg);
    cr_expect_eq(hit.index, 5, "port and conn together name the connection");
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, replaced_or_truncated_file_is_read_again_from_its_start)
{
    struct fixture f;
    fixture_init(&f);
    char a[512], b[512], c[512];
    event_line(a, sizeof(a), "connection_opened", 1, 5000, ",\"listener\":\"127.0.0.1:8883\"");
    event_line(b, sizeof(b), "connection_opened", 1, 5000, NULL);
    event_line(c, sizeof(c), "mqtt_connack", 1, 5000, NULL); /* shorter than b: a shrink to see */
    append(f.path, a);
    append(f.path, "{\"partial");
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    expect_port_lines(log, 5000, a);

    /* Replaced: a new file (rename over the old one gives it another inode). */
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s/new.jsonl", f.dir);
    append(tmp, b);
    cr_assert_eq(rename(tmp, f.path), 0);
    char want[2048];
    snprintf(want, sizeof(want), "%s%s", a, b);
    expect_port_lines(log, 5000, want);

    /* Truncated in place, then shorter than what was read. */
    cr_assert_eq(truncate(f.path, 0), 0);
    append(f.path, c);
    snprintf(want, sizeof(want), "%s%s%s", a, b, c);
    expect_port_lines(log, 5000, want);
    struct tq_events_log_stats stats;
    tq_events_log_stats(log, &stats);
    cr_expect_eq(stats.num_lines, 3, "the old file's partial line never became one");
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, full_output_keeps_whole_lines)
{
    struct fixture f;
    fixture_init(&f);
    char a[512], b[512];
    event_line(a, sizeof(a), "connection_opened", 1, 5000, NULL);
    event_line(b, sizeof(b), "connection_closed", 1, 5000, NULL);
    append(f.path, a);
    append(f.path, b);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    struct tq_buf out;
    tq_buf_init(&out, strlen(a) + strlen(b) - 1);
    struct tq_diag diag = {0};
    long port = 5000;
    cr_expect_eq(tq_events_log_lines(&diag, log, &out, &port, 1, 0).code, TQ_ERR_LIMIT);
    cr_expect_eq(diag.line, 2, "the line that did not fit: %s", diag.msg);
    cr_expect_eq(out.len, strlen(a));
    cr_expect_eq(memcmp(out.data, a, out.len), 0);
    tq_buf_cleanup(&out);
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

Test(events_log, bad_arguments_and_unreadable_files_are_errors)
{
    struct fixture f;
    fixture_init(&f);
    struct tq_diag diag = {0};
    struct tq_events_log *log = (struct tq_events_log *)&diag; /* must be reset to NULL */
    cr_expect_eq(tq_events_log_open(&diag, &log, f.path, 0).code, TQ_ERR_USAGE);
    cr_expect_null(log);
    cr_expect_eq(tq_events_log_open(&diag, &log, "", 10).code, TQ_ERR_USAGE);
    log = open_log(f.dir, 1 << 20); /* a folder, not a file */
    struct tq_buf out;
    tq_buf_init(&out, 1 << 10);
    long port = 5000;
    cr_expect_eq(tq_events_log_lines(&diag, log, &out, &port, 1, 0).code, TQ_ERR_IO);
    cr_expect(strstr(diag.msg, "regular file"), "%s", diag.msg);
    tq_buf_cleanup(&out);
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

/* find must agree with tq_events_find over the whole file, line for line. */
Test(events_log, find_agrees_with_event_match_on_every_line)
{
    struct fixture f;
    fixture_init(&f);
    static const char *const lines[] = {
        TS
        "\"event\":\"mqtt_connect\",\"conn\":1,\"peer\":\"127.0.0.1:5000\",\"client_id\":\"a\"}\n",
        TS "\"event\":5,\"conn\":2,\"peer\":\"127.0.0.1:5001\"}\n",
        "garbage\n",
        TS "\"event\":\"mqtt_connect\",\"conn\":3,\"peer\":\"127.0.0.1:5002\",\"client_id\":\"b\","
           "\"clean_session\":true}\n",
        TS "\"event\":\"tls_established\",\"conn\":4,\"peer\":\"127.0.0.1:5004\",\"sni\":null}\n",
        TS "\"event\":\"mqtt_connect\",\"conn\":5,\"peer\":\"\",\"client_id\":\"c\"}\n",
        "{\"conn\":5,\"peer\":\"127.0.0.1:5003\"}\n",
    };
    static const char *const patterns[] = {
        "mqtt_connect",
        "mqtt_connect client_id=b",
        "mqtt_connect clean_session=true",
        "tls_established sni=null",
        "tls_established sni=x",
        "mqtt_connect client_id=c",
        "mqtt_connect conn=3",
        "mqtt_subscribe",
    };
    char text[4096] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        append(f.path, lines[i]);
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s", lines[i]);
    }
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
        size_t next = 0;
        struct tq_events_log_line hit;
        struct tq_diag diag = {0};
        for (const char *at = text;
             (at = tq_events_find(patterns[p], at, used - (size_t)(at - text))) != NULL;) {
            size_t want_index = 0;
            for (const char *c = text; c < at; c++)
                want_index += *c == '\n';
            cr_assert(tq_ok(tq_events_log_find(&diag, log, &hit, &next, patterns[p], 0)),
                      "'%s': want line %zu, got none", patterns[p], want_index + 1);
            cr_expect_eq(hit.index, want_index, "'%s'", patterns[p]);
            at = strchr(at, '\n') + 1;
        }
        cr_expect_eq(tq_events_log_find(&diag, log, &hit, &next, patterns[p], 0).code,
                     TQ_ERR_NOT_FOUND, "'%s': no more", patterns[p]);
    }
    tq_events_log_close(log);
    fixture_cleanup(&f);
}

/* Many readers while the broker appends: the writer writes each connection's lines in pieces
 * cut at arbitrary bytes (so readers meet partial lines), and publishes how many connections
 * are complete; readers check that a complete connection's lines are exactly right and an
 * incomplete one's a prefix of them, and keep reading until the writer is done. */
enum { STRESS_CONNS = 400, STRESS_READERS = 6, STRESS_PORT = 30000 };

struct stress {
    const char *path;
    struct tq_events_log *log;
    int num_complete; /* connections whose every line is in the file (atomic) */
    int failures;     /* atomic */
    int writer_done;  /* atomic */
};

/* stress_lines writes the lines of connection `conn` (from 0; its conn member counts from 1,
 * as the broker's do). */
static void stress_lines(char *out, size_t out_len, int conn)
{
    char a[512], b[512], c[512];
    event_line(a, sizeof(a), "connection_opened", conn + 1, STRESS_PORT + conn, NULL);
    event_line(b, sizeof(b), "mqtt_connect", conn + 1, STRESS_PORT + conn,
               ",\"client_id\":\"quote\\\"d \\\\ \\u00e9\"");
    event_line(c, sizeof(c), "connection_closed", conn + 1, STRESS_PORT + conn,
               ",\"reason\":\"peer_closed\"");
    snprintf(out, out_len, "%s%s%s", a, b, c);
}

static void *stress_writer(void *arg)
{
    struct stress *s = arg;
    int fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    unsigned seed = 7;
    for (int conn = 0; fd >= 0 && conn < STRESS_CONNS; conn++) {
        char text[2048];
        stress_lines(text, sizeof(text), conn);
        for (size_t at = 0, len = strlen(text); at < len;) {
            size_t n = 1 + (size_t)rand_r(&seed) % 200;
            n = n > len - at ? len - at : n;
            if (write(fd, text + at, n) != (ssize_t)n)
                __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
            at += n;
        }
        __atomic_store_n(&s->num_complete, conn + 1, __ATOMIC_RELEASE);
        usleep(100);
    }
    if (fd >= 0)
        close(fd);
    __atomic_store_n(&s->writer_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void *stress_reader(void *arg)
{
    struct stress *s = arg;
    unsigned seed = (unsigned)(uintptr_t)pthread_self();
    for (int round = 0; round < 500 || !__atomic_load_n(&s->writer_done, __ATOMIC_ACQUIRE);
         round++) {
        int complete = __atomic_load_n(&s->num_complete, __ATOMIC_ACQUIRE);
        int conn = (int)((unsigned)rand_r(&seed) % STRESS_CONNS);
        long port = STRESS_PORT + conn;
        char want[2048];
        stress_lines(want, sizeof(want), conn);
        struct tq_buf out;
        tq_buf_init(&out, 1 << 20);
        struct tq_diag diag = {0};
        bool ok = tq_ok(tq_events_log_lines(&diag, s->log, &out, &port, 1, 0));
        bool right = conn < complete ? out.len == strlen(want) : out.len <= strlen(want);
        right = right && (out.len == 0 || memcmp(out.data, want, out.len) == 0);
        if (!ok || !right)
            __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
        tq_buf_cleanup(&out);
        if (round % 16 == 0) {
            size_t next = 0;
            struct tq_events_log_line hit;
            char pattern[64];
            snprintf(pattern, sizeof(pattern), "mqtt_connect conn=%d", conn + 1);
            tq_status st = tq_events_log_find(&diag, s->log, &hit, &next, pattern, port);
            if (conn < complete && (!tq_ok(st) || hit.conn != conn + 1 || hit.port != port))
                __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

Test(events_log, many_readers_while_the_broker_appends)
{
    struct fixture f;
    fixture_init(&f);
    struct stress s = {.path = f.path, .log = open_log(f.path, 64 << 20)};
    pthread_t writer, readers[STRESS_READERS];
    cr_assert_eq(pthread_create(&writer, NULL, stress_writer, &s), 0);
    for (int i = 0; i < STRESS_READERS; i++)
        cr_assert_eq(pthread_create(&readers[i], NULL, stress_reader, &s), 0);
    pthread_join(writer, NULL);
    for (int i = 0; i < STRESS_READERS; i++)
        pthread_join(readers[i], NULL);
    cr_expect_eq(s.failures, 0);
    for (int conn = 0; conn < STRESS_CONNS; conn++) {
        char want[2048];
        stress_lines(want, sizeof(want), conn);
        expect_port_lines(s.log, STRESS_PORT + conn, want);
    }
    struct tq_events_log_stats stats;
    tq_events_log_stats(s.log, &stats);
    cr_expect_eq(stats.num_lines, 3 * STRESS_CONNS);
    cr_expect_eq(stats.num_skipped, 0);
    tq_events_log_close(s.log);
    fixture_cleanup(&f);
}

/* A client port the kernel gives again later in a run: a mark taken before the second client
 * started keeps the first connection's lines out of the second's. */
Test(events_log, a_mark_excludes_an_earlier_connection_on_the_same_port)
{
    struct fixture f;
    fixture_init(&f);
    char a[256], b[256], c[256];
    event_line(a, sizeof(a), "connection_opened", 1, 40000, NULL);
    event_line(b, sizeof(b), "connection_closed", 1, 40000, ",\"reason\":\"client_disconnect\"");
    event_line(c, sizeof(c), "connection_opened", 7, 40000, NULL);
    append(f.path, a);
    append(f.path, b);
    struct tq_events_log *log = open_log(f.path, 1 << 20);
    size_t mark = tq_events_log_mark(log);
    cr_expect_eq(mark, 2, "the mark counts the lines read by its refresh");
    append(f.path, c);
    struct tq_diag diag = {0};
    struct tq_buf out;
    tq_buf_init(&out, 1 << 20);
    long port = 40000;
    cr_assert(tq_ok(tq_events_log_lines(&diag, log, &out, &port, 1, mark)), "%s", diag.msg);
    cr_assert(tq_ok(tq_buf_u8(&out, '\0')));
    cr_expect_str_eq((const char *)out.data, c);
    const char *want[] = {"connection_closed"};
    cr_expect_str_eq(tq_events_log_await(log, &out, &port, 1, mark, want, 1, 50),
                     "connection_closed", "the earlier close is not this connection's");
    cr_expect_null(tq_events_log_await(log, &out, &port, 1, 0, want, 1, 50));
    tq_buf_cleanup(&out);
    tq_events_log_close(log);
    fixture_cleanup(&f);
}
