/* The event log: one compact JSON object per line. */
#include "events.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tq_events {
    FILE *out;
    bool owned;     /* we opened it, so we close it */
    bool failed;
};

/* see events.h */
tq_status tq_events_open(struct tq_diag *diag, struct tq_events **out, const char *path)
{
    *out = NULL;
    struct tq_events *ev = calloc(1, sizeof(*ev));
    TQ_ENSURE(ev != NULL, TQ_ERR_NOMEM);
    if (path == NULL || strcmp(path, "-") == 0) {
        ev->out = stdout;
    } else {
        ev->out = fopen(path, "ae");
        ev->owned = true;
    }
    if (ev->out == NULL) {
        int err = errno;
        free(ev);
        return tq_diag_fail(diag, TQ_ERR_IO, path, 0, "cannot open the events file: %s",
                            strerror(err));
    }
    *out = ev;
    return TQ_SUCCESS;
}

/* see events.h */
void tq_events_close(struct tq_events *ev)
{
    if (ev == NULL)
        return;
    if (ev->owned)
        fclose(ev->out);
    else
        fflush(ev->out);
    free(ev);
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

static json_t *event_object(const char *event, unsigned long conn, const char *peer,
                            json_t *fields)
{
    char ts[32];
    tq_events_timestamp(ts, sizeof(ts));
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    json_object_set_new(obj, "ts", json_string(ts));
    json_object_set_new(obj, "event", json_string(event));
    json_object_set_new(obj, "conn", json_integer((json_int_t)conn));
    json_object_set_new(obj, "peer", json_string(peer ? peer : ""));
    if (fields != NULL)
        json_object_update(obj, fields);
    return obj;
}

/* see events.h */
void tq_events_emit(struct tq_events *ev, const char *event, unsigned long conn, const char *peer,
                    json_t *fields)
{
    json_t *obj = event_object(event, conn, peer, fields);
    json_decref(fields);
    char *line = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(obj);
    if (line == NULL || fprintf(ev->out, "%s\n", line) < 0 || fflush(ev->out) != 0)
        ev->failed = true;
    free(line);
}

/* see events.h */
bool tq_events_failed(const struct tq_events *ev)
{
    return ev->failed;
}
