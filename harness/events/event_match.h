/* event_match.h: matches the broker's JSON event lines (docs/broker-events.md) against the
 * patterns scenarios write in `expect.broker_events`: an event name, then field=value words,
 * e.g. "client_certificate_rejected reason=inactive". A field matches when the event's member
 * of that name, rendered as text (strings as is, numbers in decimal, true/false, null), equals
 * the value; a member the line leaves out is null.
 *
 * Patterns and lines both answer to common/event_schema.h: a pattern is valid only when its
 * event is in the schema and each field is a member of that event (the common four included)
 * whose type the value can have (an integer member wants digits, a boolean true or false, null
 * only where the member may be null; lists and objects cannot be matched). Lines are read with
 * tq_event_parse: a line that breaks the schema matches nothing. */
#ifndef TQ_EVENT_MATCH_H
#define TQ_EVENT_MATCH_H

#include <stdbool.h>
#include <stddef.h>

/* The most field=value words in one pattern, and the longest pattern. */
#define TQ_EVENT_PATTERN_FIELDS 8
#define TQ_EVENT_PATTERN_MAX 256

/* tq_event_pattern_valid is true when `pattern` has the form above and fits the schema. */
bool tq_event_pattern_valid(const char *pattern);

/* tq_event_matches is true when the event on `line` (up to its '\n' or NUL) matches `pattern`. */
bool tq_event_matches(const char *pattern, const char *line);

/* tq_events_find returns the first of the `len` bytes of newline-separated events at `events`
 * whose line matches `pattern`, as a pointer into `events`, or NULL. */
const char *tq_events_find(const char *pattern, const char *events, size_t len);

#endif
