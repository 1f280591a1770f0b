/* event_match.h: matches the broker's JSON event lines (docs/broker-events.md) against the
 * patterns scenarios write in `expect.broker_events`: an event name, then field=value words,
 * e.g. "client_certificate_rejected reason=inactive". A field matches when the event's member
 * of that name, rendered as text (strings as is, numbers in decimal, true/false, null), equals
 * the value. */
#ifndef TQ_EVENT_MATCH_H
#define TQ_EVENT_MATCH_H

#include <stdbool.h>
#include <stddef.h>

/* The most field=value words in one pattern, and the longest pattern. */
#define TQ_EVENT_PATTERN_FIELDS 8
#define TQ_EVENT_PATTERN_MAX 256

/* tq_event_pattern_valid is true when `pattern` has the form above. */
bool tq_event_pattern_valid(const char *pattern);

/* tq_event_matches is true when the JSON object on `line` (one event) matches `pattern`. */
bool tq_event_matches(const char *pattern, const char *line);

/* tq_events_find returns the first of the `len` bytes of newline-separated events at `events`
 * whose line matches `pattern`, as a pointer into `events`, or NULL. */
const char *tq_events_find(const char *pattern, const char *events, size_t len);

#endif
