/* events_log.h: the mock broker's events file (docs/broker-events.md), read once, incrementally,
 * and indexed by client port, so that the events of one connection cost what that connection
 * logged, not what the whole run did.
 *
 * Conventions:
 * - Every query first reads what the broker appended since the last one (a "refresh"). Only
 *   complete lines count: a last line without its '\n' yet is kept back and never half parsed.
 * - Every line is read once with the one reader of event lines, tq_event_parse
 *   (common/event_schema.h). Lines it refuses (not JSON, an event or a member the schema does not
 *   have, a member of the wrong type) are counted (num_skipped) and otherwise ignored: they
 *   match nothing.
 * - A line is indexed by the port of its `peer` ("IP:PORT", "[v6]:PORT"; tq_event_port): the
 *   client's local port, which is how a client finds its own connection. Lines whose peer has no
 *   port (`""`, broker-wide events) are kept but reach no port query; `api_request` lines carry
 *   the HTTP client's port and reach it, as any line would.
 * - A broker restarted on the same file appends to it, and its conn numbers start again at 1:
 *   the index keys on the port, which stays unique within a run, and a port query returns that
 *   port's lines of every broker lifetime, in file order. A conn number names a connection only
 *   together with its port: tq_events_log_find reports both.
 * - If the file is replaced (another inode) or truncated (shorter than what was read), reading
 *   starts again at its first byte; the lines already indexed stay. A file truncated and grown
 *   back past the old length between two refreshes is not noticed: the broker only appends.
 * - Bounded: at most `max_bytes` are read from the file over the log's life. Past that, queries
 *   answer from the lines already indexed, still succeed, and tq_events_log_stats reports
 *   `truncated` from then on (sticky, so that every case that may miss events can say why).
 * - Thread-safe: one log may be queried from many threads at once (a mutex inside); only
 *   tq_events_log_close must not race with other calls. Queries copy lines out; nothing returned
 *   points into the log. */
#ifndef TQ_EVENTS_LOG_H
#define TQ_EVENTS_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "bytes.h"
#include "status.h"

/* The most ports one tq_events_log_lines call takes (a case and its companion use 2). */
#define TQ_EVENTS_LOG_MAX_PORTS 8

struct tq_events_log;

/* struct tq_events_log_line locates one event line. */
struct tq_events_log_line {
    size_t index; /* among the complete lines read, from 0: the file line number minus 1 */
    long conn;    /* its `conn` member */
    long port;    /* the port of its `peer`; 0 when it has none */
};

struct tq_events_log_stats {
    size_t num_lines;   /* complete lines read, garbage included */
    size_t num_skipped; /* of those, lines the reader refused (garbage, off the schema) */
    size_t bytes_read;  /* from the file, over the log's life: at most max_bytes */
    bool truncated;     /* the file had more than max_bytes: later lines are not read */
};

/* tq_events_log_open prepares a new log of the events file at `path` in `*out`, reading at
 * most `max_bytes` (> 0) of it in all. The file need not exist yet: until the broker creates
 * it, the log simply has no lines. Nothing is read here. On success the caller owns `*out` and
 * releases it with tq_events_log_close; on failure `*out` is NULL. */
TQ_MUST_USE tq_status tq_events_log_open(struct tq_diag *diag, struct tq_events_log **out,
                                         const char *path, size_t max_bytes);

/* tq_events_log_close releases `log`; NULL is a no-op. */
void tq_events_log_close(struct tq_events_log *log);

/* tq_events_log_lines refreshes the log, then appends to `out` every line (each with its
 * trailing '\n') whose peer port is one of the `num_ports` (at most TQ_EVENTS_LOG_MAX_PORTS)
 * `ports` at index `from` or later (0: from the first line; a mark taken before the client
 * started excludes an earlier connection that had the same port), in file order: the lines of two ports come interleaved as the broker wrote them. A
 * port listed twice gives its lines once; a port outside 1..65535 gives none. The cost is the
 * bytes appended to the file since the last refresh plus the lines returned.
 * Fails with TQ_ERR_IO when the file exists but cannot be read (then nothing is appended), and
 * with TQ_ERR_LIMIT when `out` reaches its max_len: it then holds the first lines that fit,
 * each whole. */
TQ_MUST_USE tq_status tq_events_log_lines(struct tq_diag *diag, struct tq_events_log *log,
                                          struct tq_buf *out, const long *ports, size_t num_ports,
                                          size_t from);

/* tq_events_log_mark refreshes the log and returns the number of lines read: the index from
 * which the lines of a client started now will be (an unreadable file leaves the mark where it
 * was, which is still safe). */
size_t tq_events_log_mark(struct tq_events_log *log);

/* tq_events_log_find refreshes the log, then looks at the lines from index `*io_next` on (0:
 * from the first line) for the first whose event matches `pattern` (event_match.h), among the
 * lines of port `port` only when `port` is not 0. On success `*out` describes that line and
 * `*io_next` is its index plus 1, so calling again finds the next match. When no line matches,
 * it fails with TQ_ERR_NOT_FOUND and sets `*io_next` to the number of lines read: a caller that
 * polls with the same `*io_next` looks at each line once. An invalid pattern or port fails with
 * TQ_ERR_USAGE, an unreadable file with TQ_ERR_IO.
 * Cost: with a port, that port's lines; without, the lines from `*io_next` on, of which only
 * those with the pattern's event name are parsed. To wait for a line of a process about to be
 * started, start from the `num_lines` of tq_events_log_stats taken before starting it: no
 * earlier line can be its.
 * Example, "has the client `abc` connected and subscribed?": find "mqtt_connect client_id=abc"
 * with port 0, then, from the same `next`, "mqtt_subscribe conn=<its conn>" with its port. */
TQ_MUST_USE tq_status tq_events_log_find(struct tq_diag *diag, struct tq_events_log *log,
                                         struct tq_events_log_line *out, size_t *io_next,
                                         const char *pattern, long port);

/* tq_events_log_await fills `out` (emptied first) with the lines of `ports` from `from` on as
 * tq_events_log_lines does, re-reading for up to `wait_ms` while one of the `want` patterns
 * (event_match.h) has no match among them: the broker may log a close just after the client has
 * exited. Returns the first pattern still missing, or NULL when every one matched. */
const char *tq_events_log_await(struct tq_events_log *log, struct tq_buf *out, const long *ports,
                                size_t num_ports, size_t from, const char *const *want,
                                size_t num_want, int wait_ms);

/* tq_events_log_client_subscribed is true when the lines from index `*io_next` on show the MQTT
 * client `client_id` connected (mqtt_connect) and then subscribed on the same connection
 * (mqtt_subscribe with its conn, on its port). `*io_next` (start it at `from`) and `*io_connect`
 * (start it zeroed) carry the search between polls, so each line is looked at once. */
bool tq_events_log_client_subscribed(struct tq_events_log *log, const char *client_id,
                                     size_t *io_next, struct tq_events_log_line *io_connect);

/* tq_events_log_stats writes the log's counters into `*out`, without refreshing it. */
void tq_events_log_stats(struct tq_events_log *log, struct tq_events_log_stats *out);

#endif
