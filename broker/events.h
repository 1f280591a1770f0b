/* events.h: the broker's event log, one JSON object per line (docs/broker-events.md).
 *
 * Every line starts with the same four members, in this order: "ts" (RFC 3339 UTC with
 * milliseconds), "event", "conn" (the connection number, 0 for broker-wide events) and "peer"
 * (the client's "IP:PORT", "" for broker-wide events), so the runner can correlate a line with
 * a client by its local port. The log is flushed after every line. */
#ifndef TQ_BROKER_EVENTS_H
#define TQ_BROKER_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "status.h"

struct tq_events;

/* tq_events_open opens the log at `path` (appending; NULL or "-" means stdout) into a new
 * `*out`. On failure `*out` is NULL and `diag` names the file. */
TQ_MUST_USE tq_status tq_events_open(struct tq_diag *diag, struct tq_events **out,
                                     const char *path);

/* tq_events_close flushes and closes the log (stdout is flushed, not closed). NULL is a no-op. */
void tq_events_close(struct tq_events *ev);

/* tq_events_emit writes one line: the four common members, then the members of `fields` in
 * their insertion order. It takes ownership of `fields`, which may be NULL. A write error is
 * remembered and reported by tq_events_failed; the broker keeps serving. */
void tq_events_emit(struct tq_events *ev, const char *event, unsigned long conn, const char *peer,
                    json_t *fields);

/* tq_events_failed is true once any line could not be written completely. */
bool tq_events_failed(const struct tq_events *ev);

/* tq_events_text returns a new JSON string for `len` untrusted bytes (an SNI, an ALPN name):
 * printable ASCII is kept, every other byte and the backslash are written as \xNN, so the
 * event is always valid JSON and shows exactly what the peer sent. NULL only without memory. */
json_t *tq_events_text(const void *data, size_t len);

/* tq_events_timestamp writes the current time as "2026-11-23T21:00:00.123Z" into `out`
 * (at least 32 bytes). */
void tq_events_timestamp(char *out, size_t out_len);

#endif
