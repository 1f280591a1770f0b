/* The event log: one compact JSON object per line, written whole. */
#include "events.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event_schema.h"

enum {
    LINE_RESERVE = 512,   /* room for the common members of one line */
    WRITE_AT = 64 * 1024, /* collected bytes written at once, loop iteration or not */
};

struct tq_events {
    int fd;
    bool owned; /* we opened it, so we close it */
    bool failed;
    bool unchecked; /* tq_events_check_schema(ev, false) was called */
    char *buf;      /* collected whole lines, not yet written */
    size_t len, cap;
    struct event *flush; /* NULL: every line is written at once */
    bool flush_pending;  /* `flush` is active for this loop iteration */
    time_t ts_sec;       /* the second that ts_prefix shows */
    char ts_prefix[24];  /* "2026-11-23T21:00:00" */
};

/* see events.h */
tq_status tq_events_open(struct tq_diag *diag, struct tq_events **out, const char *path)
{
    *out = NULL;
    struct tq_events *ev = calloc(1, sizeof(*ev));
    TQ_ENSURE(ev != NULL, TQ_ERR_NOMEM);
    ev->ts_sec = -1;
    if (path == NULL || strcmp(path, "-") == 0) {
        fflush(stdout); /* whatever stdio holds goes first */
        ev->fd = STDOUT_FILENO;
    } else {
        ev->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        ev->owned = true;
    }
    if (ev->fd < 0) {
        int err = errno;
        free(ev);
        return tq_diag_fail(diag, TQ_ERR_IO, path, 0, "cannot open the events file: %s",
                            strerror(err));
    }
    *out = ev;
    return TQ_SUCCESS;
}

/* see events.h */
void tq_events_flush(struct tq_events *ev)
{
    size_t done = 0;
    while (done < ev->len) {
        ssize_t n = write(ev->fd, ev->buf + done, ev->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ev->failed = true;
            break;
        }
        done += (size_t)n;
    }
    ev->len = 0;
}

/* see events.h */
void tq_events_close(struct tq_events *ev)
{
    if (ev == NULL)
        return;
    tq_events_flush(ev);
    if (ev->flush != NULL)
        event_free(ev->flush);
    if (ev->owned)
        close(ev->fd);
    free(ev->buf);
    free(ev);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct tq_events *ev = arg;
    ev->flush_pending = false;
    tq_events_flush(ev);
}

/* see events.h */
tq_status tq_events_defer(struct tq_events *ev, struct event_base *base)
{
    /* An event made active runs after the callbacks already active in this iteration of the
     * loop, that is, once every connection that was ready has been served. */
    ev->flush = event_new(base, -1, 0, on_flush, ev);
    TQ_ENSURE(ev->flush != NULL, TQ_ERR_NOMEM);
    return TQ_SUCCESS;
}

/* see events.h */
json_t *tq_events_text(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *text = malloc(4 * len + 1);
    if (text == NULL)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            text[n++] = (char)p[i];
        else
            n += (size_t)snprintf(text + n, 5, "\\x%02x", p[i]);
    }
    text[n] = '\0';
    json_t *out = json_stringn(text, n);
    free(text);
    return out;
}

/* see events.h */
void tq_events_timestamp(char *out, size_t out_len)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    char secs[24];
    strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, out_len, "%s.%03ldZ", secs, now.tv_nsec / 1000000);
}

/* reserve makes room for `more` bytes after ev->len. */
static bool reserve(struct tq_events *ev, size_t more)
{
    if (ev->cap - ev->len >= more)
        return true;
    size_t cap = ev->cap ? ev->cap : 4096;
    while (cap - ev->len < more)
        cap *= 2;
    char *buf = realloc(ev->buf, cap);
    if (buf == NULL)
        return false;
    ev->buf = buf;
    ev->cap = cap;
    return true;
}

static void put(struct tq_events *ev, const char *s, size_t n)
{
    memcpy(ev->buf + ev->len, s, n);
    ev->len += n;
}

/* put_escaped appends `n` bytes of `s` as the inside of a JSON string, escaped as jansson's
 * compact dump escapes them ('"', '\\' and control characters; UTF-8 stays as it is), so the
 * lines are byte for byte what json_dumps wrote. Needs 6 bytes per byte of `s`. */
static void put_escaped(struct tq_events *ev, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char *o = ev->buf + ev->len;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o = (char)c;
            ev->len++;
            continue;
        }
        o[0] = '\\';
        switch (c) {
        case '"':
        case '\\':
            o[1] = (char)c;
            ev->len += 2;
            continue;
        case '\b':
            o[1] = 'b';
            ev->len += 2;
            continue;
        case '\f':
            o[1] = 'f';
            ev->len += 2;
            continue;
        case '\n':
            o[1] = 'n';
            ev->len += 2;
            continue;
        case '\r':
            o[1] = 'r';
            ev->len += 2;
            continue;
        case '\t':
            o[1] = 't';
            ev->len += 2;
            continue;
        default:
            memcpy(o + 1, "u00", 3);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            ev->len += 6;
        }
    }
}

static bool put_string(struct tq_events *ev, const char *s, size_t n)
{
    if (!reserve(ev, 6 * n + 2))
        return false;
    put(ev, "\"", 1);
    put_escaped(ev, s, n);
    put(ev, "\"", 1);
    return true;
}

static bool put_text(struct tq_events *ev, const char *text)
{
    size_t n = strlen(text);
    if (!reserve(ev, n))
        return false;
    put(ev, text, n);
    return true;
}

static bool put_real(struct tq_events *ev, json_t *v)
{
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t need = json_dumpb(v, ev->buf + ev->len, ev->cap - ev->len, flags);
    if (need > ev->cap - ev->len && reserve(ev, need))
        need = json_dumpb(v, ev->buf + ev->len, ev->cap - ev->len, flags);
    if (need == 0 || need > ev->cap - ev->len)
        return false;
    ev->len += need;
    return true;
}

static bool put_member(struct tq_events *ev, const char *sep, const char *key, json_t *value,
                       int depth);

/* put_value appends `v` as compact JSON, members in insertion order. This is json_dumpb's
 * output written straight into the line: the broker writes a few lines per connection, and
 * jansson's generic dump (a callback per piece) was most of their cost. */
static bool put_value(struct tq_events *ev, json_t *v, int depth)
{
    if (depth > 32 || !reserve(ev, 32))
        return false;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *member;
        bool first = true;
        put(ev, "{", 1);
        json_object_foreach(v, key, member)
        {
            if (!put_member(ev, first ? "" : ",", key, member, depth + 1))
                return false;
            first = false;
        }
        return put_text(ev, "}");
    }
    case JSON_ARRAY:
        put(ev, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++)
            if ((i > 0 && !put_text(ev, ",")) || !put_value(ev, json_array_get(v, i), depth + 1))
                return false;
        return put_text(ev, "]");
    case JSON_STRING:
        return put_string(ev, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        ev->len +=
            (size_t)snprintf(ev->buf + ev->len, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return true;
    case JSON_TRUE:
        put(ev, "true", 4);
        return true;
    case JSON_FALSE:
        put(ev, "false", 5);
        return true;
    case JSON_NULL:
        put(ev, "null", 4);
        return true;
    case JSON_REAL: /* rare: written in jansson's own format */
        return put_real(ev, v);
    }
    return false;
}

/* put_member appends `sep`, then "key":value. */
static bool put_member(struct tq_events *ev, const char *sep, const char *key, json_t *value,
                       int depth)
{
    return put_text(ev, sep) && put_string(ev, key, strlen(key)) && put_text(ev, ":") &&
           put_value(ev, value, depth);
}

/* put_timestamp appends tq_events_timestamp's text; the date and time are formatted once per
 * second. */
static void put_timestamp(struct tq_events *ev)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != ev->ts_sec) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        strftime(ev->ts_prefix, sizeof(ev->ts_prefix), "%Y-%m-%dT%H:%M:%S", &tm);
        ev->ts_sec = now.tv_sec;
    }
    ev->len +=
        (size_t)snprintf(ev->buf + ev->len, 32, "%s.%03ldZ", ev->ts_prefix, now.tv_nsec / 1000000);
}

/* put_fields appends ",member,...}" from `fields`, or "}" when it has none. */
static bool put_fields(struct tq_events *ev, json_t *fields)
{
    if (json_is_object(fields)) {
        const char *key;
        json_t *member;
        json_object_foreach(fields, key,
                            member) if (!put_member(ev, ",", key, member, 0)) return false;
    }
    return put_text(ev, "}");
}

static bool put_line(struct tq_events *ev, const char *event, unsigned long conn, const char *peer,
                     json_t *fields)
{
    if (!reserve(ev, LINE_RESERVE + 6 * (strlen(event) + strlen(peer))))
        return false;
    put(ev, "{\"ts\":\"", 7);
    put_timestamp(ev);
    put(ev, "\",\"event\":\"", 11);
    put_escaped(ev, event, strlen(event));
    ev->len += (size_t)snprintf(ev->buf + ev->len, 40, "\",\"conn\":%lu,\"peer\":\"", conn);
    put_escaped(ev, peer, strlen(peer));
    put(ev, "\"", 1);
    return put_fields(ev, fields) && put_text(ev, "\n");
}

/* check_line: a line that breaks docs/broker-events.md is a bug of the broker. With assertions
 * (the ASan build of `make test`) it stops the broker at once, naming the event and the member;
 * without them nothing is checked (a few lines per connection, and the line writer is what the
 * broker's throughput is made of), and the harness's reader refuses such a line. */
#ifndef NDEBUG
static void check_line(const struct tq_events *ev, const char *event, unsigned long conn,
                       const char *peer, json_t *fields)
{
    struct tq_diag diag = {0};
    if (ev->unchecked || tq_ok(tq_event_check(&diag, event, conn, peer, fields)))
        return;
    fprintf(stderr, "tlsqual broker: BUG: an event line breaks docs/broker-events.md: %s\n",
            diag.msg);
    assert(!"an event line breaks docs/broker-events.md (common/event_schema.c)");
}
#else
static void check_line(const struct tq_events *ev, const char *event, unsigned long conn,
                       const char *peer, json_t *fields)
{
    (void)ev, (void)event, (void)conn, (void)peer, (void)fields;
}
#endif

/* see events.h */
void tq_events_check_schema(struct tq_events *ev, bool on)
{
    ev->unchecked = !on;
}

/* see events.h */
void tq_events_emit(struct tq_events *ev, const char *event, unsigned long conn, const char *peer,
                    json_t *fields)
{
    check_line(ev, event, conn, peer ? peer : "", fields);
    size_t mark = ev->len;
    if (!put_line(ev, event, conn, peer ? peer : "", fields)) {
        ev->len = mark;
        ev->failed = true;
    }
    json_decref(fields);
    if (ev->flush == NULL || conn == 0 || ev->len >= WRITE_AT) {
        tq_events_flush(ev);
    } else if (!ev->flush_pending && ev->len > 0) {
        ev->flush_pending = true;
        event_active(ev->flush, EV_TIMEOUT, 0);
    }
}

/* see events.h */
bool tq_events_failed(const struct tq_events *ev)
{
    return ev->failed;
}
