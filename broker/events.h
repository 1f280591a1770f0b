/* events.h: the broker's event log, one JSON object per line (docs/broker-events.md).
 *
 * Every line starts with the same four members, in this order: "ts" (RFC 3339 UTC with
 * milliseconds), "event", "conn" (the connection number, 0 for broker-wide events) and "peer"
 * (the client's "IP:PORT", "" for broker-wide events), so the runner can correlate a line with
 * a client by its local port.
 *
 * Lines are only ever written whole. By default each line is written as it is emitted. Once
 * tq_events_defer attached the log to an event loop, connection lines (conn != 0) are collected
 * and written together at the end of the loop iteration that produced them (one write(2) for
 * all the connections served in that iteration, instead of one per line), while a broker-wide
 * line (conn 0) is written at once, after the lines collected before it.
 *
 * What a line may say is common/event_schema.h: in builds with assertions (the ASan build of
 * `make test`) every line is checked against it before it is written, and a line that breaks it
 * stops the broker with a message naming the event and the member. */
#ifndef TQ_BROKER_EVENTS_H
#define TQ_BROKER_EVENTS_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "status.h"

struct tq_events;

/* tq_events_open opens the log at `path` (appending; NULL or "-" means stdout) into a new
 * `*out`. On failure `*out` is NULL and `diag` names the file. */
TQ_MUST_USE tq_status tq_events_open(struct tq_diag *diag, struct tq_events **out,
                                     const char *path);

/* tq_events_close writes what is collected and closes the log (stdout is not closed). NULL is a
 * no-op. */
void tq_events_close(struct tq_events *ev);

/* tq_events_defer makes `ev` collect connection lines and write them at the end of the current
 * iteration of `base`'s loop (see the top of this file). `base` must outlive `ev`. Fails with
 * TQ_ERR_NOMEM only; `ev` then keeps writing every line at once. */
TQ_MUST_USE tq_status tq_events_defer(struct tq_events *ev, struct event_base *base);

/* tq_events_emit writes one line: the four common members, then the members of `fields` in
 * their insertion order. It takes ownership of `fields`, which may be NULL. A write error is
 * remembered and reported by tq_events_failed; the broker keeps serving. */
void tq_events_emit(struct tq_events *ev, const char *event, unsigned long conn, const char *peer,
                    json_t *fields);

/* tq_events_check_schema turns the schema check of builds with assertions (see the top of this
 * file) on (the default) or off, for a log that writes other lines than the broker's: the tests
 * of the line writer itself. */
void tq_events_check_schema(struct tq_events *ev, bool on);

/* tq_events_flush writes every collected line now. */
void tq_events_flush(struct tq_events *ev);

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
