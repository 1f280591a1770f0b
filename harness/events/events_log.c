#include "events_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_match.h"
#include "event_schema.h"
#include "proc.h"

enum { MAX_PORT = 65535, FIRST_TEXT_CAP = 64 << 10 };

/* struct line is one complete line of the file, parsed once when it was read. Indexes stored
 * as "index + 1" use 0 for "none", so that calloc'ed tables start empty. */
struct line {
    size_t off; /* in log->text; its '\n' is at off + len */
    size_t len;
    size_t next_same_port; /* index + 1 of the port's next line; 0: none (yet) */
    long conn;
    uint32_t event_hash; /* of the `event` string: most lines are skipped without parsing */
    uint16_t port;
    bool valid; /* an event line of the schema (event_schema.h) */
};

struct port_lines {
    size_t head, tail; /* index + 1 of the port's first and last line; 0: none */
};

struct tq_events_log {
    pthread_mutex_t mutex;
    char *path;
    size_t max_bytes;
    bool have_file; /* dev and ino are those of the file read so far */
    dev_t dev;
    ino_t ino;
    off_t file_offset; /* bytes of the current file consumed */
    size_t bytes_read; /* over the log's life */
    bool truncated;
    char *text; /* the complete lines read, then the partial last line */
    size_t text_len, text_cap;
    size_t parsed; /* text[0, parsed) is complete lines */
    struct line *lines;
    size_t num_lines, lines_cap, num_skipped;
    struct port_lines *ports; /* MAX_PORT + 1 entries, by port number */
};

/* FNV-1a: only to tell event names apart cheaply; a collision costs one JSON parse. */
static uint32_t name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* pattern_hash hashes the pattern's first word, the event name, split the way event_match.c
 * splits it (on spaces). */
static uint32_t pattern_hash(const char *pattern)
{
    pattern += strspn(pattern, " ");
    return name_hash(pattern, strcspn(pattern, " "));
}

static bool valid_port(long port)
{
    return port >= 1 && port <= MAX_PORT;
}

/* describe reads the line once, with the one reader (event_schema.h), and keeps what the index
 * and the queries need. */
static void describe(struct line *l, const char *text)
{
    struct tq_event ev;
    struct tq_diag ignored;
    l->valid = tq_ok(tq_event_parse(&ignored, &ev, text + l->off, l->len));
    if (!l->valid)
        return;
    const char *name = tq_event_name(ev.id);
    l->event_hash = name_hash(name, strlen(name));
    l->conn = ev.conn;
    l->port = (uint16_t)ev.port;
    tq_event_cleanup(&ev);
}

static tq_status grow_lines(struct tq_events_log *log)
{
    size_t cap = log->lines_cap ? log->lines_cap : 1024, bytes;
    TQ_ENSURE(!__builtin_mul_overflow(cap, 2 * sizeof(struct line), &bytes), TQ_ERR_NOMEM);
    struct line *lines = realloc(log->lines, bytes);
    TQ_ENSURE(lines, TQ_ERR_NOMEM);
    log->lines = lines;
    log->lines_cap = 2 * cap;
    return TQ_SUCCESS;
}

static tq_status add_line(struct tq_events_log *log, size_t off, size_t len)
{
    if (log->num_lines == log->lines_cap)
        TQ_GUARD(grow_lines(log));
    size_t index = log->num_lines++;
    struct line *l = &log->lines[index];
    *l = (struct line){.off = off, .len = len, .conn = -1};
    describe(l, log->text);
    if (!l->valid) {
        log->num_skipped++;
        return TQ_SUCCESS;
    }
    if (l->port == 0)
        return TQ_SUCCESS;
    struct port_lines *p = &log->ports[l->port];
    if (p->tail)
        log->lines[p->tail - 1].next_same_port = index + 1;
    else
        p->head = index + 1;
    p->tail = index + 1;
    return TQ_SUCCESS;
}

/* index_new indexes the complete lines read since the last call; a partial last line waits. */
static tq_status index_new(struct tq_events_log *log)
{
    while (log->parsed < log->text_len) {
        const char *start = log->text + log->parsed;
        const char *nl = memchr(start, '\n', log->text_len - log->parsed);
        if (nl == NULL)
            return TQ_SUCCESS;
        TQ_GUARD(add_line(log, log->parsed, (size_t)(nl - start)));
        log->parsed += (size_t)(nl - start) + 1;
    }
    return TQ_SUCCESS;
}

/* reserve makes room for `more` bytes of text. Every byte of text was read once, so text_len
 * never passes bytes_read, nor the buffer max_bytes. */
static tq_status reserve(struct tq_events_log *log, size_t more)
{
    size_t need = log->text_len + more;
    if (need <= log->text_cap)
        return TQ_SUCCESS;
    size_t cap = log->text_cap ? log->text_cap : FIRST_TEXT_CAP;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : 2 * cap;
    if (cap > log->max_bytes)
        cap = need > log->max_bytes ? need : log->max_bytes;
    char *text = realloc(log->text, cap);
    TQ_ENSURE(text, TQ_ERR_NOMEM);
    log->text = text;
    log->text_cap = cap;
    return TQ_SUCCESS;
}

/* read_new appends to the text what the file gained since the last read (`size`: its size now),
 * within what is left of max_bytes. */
static tq_status read_new(struct tq_diag *diag, struct tq_events_log *log, int fd, off_t size)
{
    size_t want = (size_t)(size - log->file_offset), room = log->max_bytes - log->bytes_read;
    if (want > room) {
        log->truncated = true;
        want = room;
    }
    if (want == 0)
        return TQ_SUCCESS;
    TQ_GUARD(reserve(log, want));
    while (want > 0) {
        ssize_t n = pread(fd, log->text + log->text_len, want, log->file_offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return tq_diag_fail(diag, TQ_ERR_IO, log->path, 0, "cannot read the events file: %s",
                                strerror(errno));
        if (n == 0)
            break; /* it shrank meanwhile: the next refresh starts it again */
        log->text_len += (size_t)n;
        log->file_offset += n;
        log->bytes_read += (size_t)n;
        want -= (size_t)n;
    }
    return TQ_SUCCESS;
}

/* refresh reads and indexes what the broker appended since the last refresh. */
static tq_status refresh(struct tq_diag *diag, struct tq_events_log *log)
{
    int fd TQ_DEFER(tq_close_fd) = open(log->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return TQ_SUCCESS; /* not created yet (or being replaced): no new lines */
    if (fd < 0)
        return tq_diag_fail(diag, TQ_ERR_IO, log->path, 0, "cannot open the events file: %s",
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0)
        return tq_diag_fail(diag, TQ_ERR_IO, log->path, 0, "cannot stat the events file: %s",
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tq_diag_fail(diag, TQ_ERR_IO, log->path, 0,
                            "want the events file to be a regular file, got another kind");
    if (log->have_file &&
        (st.st_dev != log->dev || st.st_ino != log->ino || st.st_size < log->file_offset)) {
        log->file_offset = 0;        /* another file: read it from its start */
        log->text_len = log->parsed; /* the old file's partial line never ends */
    }
    log->have_file = true;
    log->dev = st.st_dev;
    log->ino = st.st_ino;
    TQ_GUARD(read_new(diag, log, fd, st.st_size));
    return index_new(log);
}

/* see events_log.h */
tq_status tq_events_log_open(struct tq_diag *diag, struct tq_events_log **out, const char *path,
                             size_t max_bytes)
{
    *out = NULL;
    if (path == NULL || path[0] == '\0' || max_bytes == 0)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                            "events log: want a path and max_bytes > 0, got '%s' and %zu",
                            path ? path : "(null)", max_bytes);
    struct tq_events_log *log = calloc(1, sizeof(*log));
    TQ_ENSURE(log, TQ_ERR_NOMEM);
    if (pthread_mutex_init(&log->mutex, NULL) != 0) {
        free(log);
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    log->path = strdup(path);
    log->ports = calloc(MAX_PORT + 1, sizeof(*log->ports)); /* 1 MiB, touched only where used */
    log->max_bytes = max_bytes;
    if (log->path == NULL || log->ports == NULL) {
        tq_events_log_close(log);
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    *out = log;
    return TQ_SUCCESS;
}

/* see events_log.h */
void tq_events_log_close(struct tq_events_log *log)
{
    if (log == NULL)
        return;
    pthread_mutex_destroy(&log->mutex);
    free(log->path);
    free(log->text);
    free(log->lines);
    free(log->ports);
    free(log);
}

/* listed_once is true when ports[i] is a port not listed before it. */
static bool listed_once(const long *ports, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (ports[j] == ports[i])
            return false;
    return valid_port(ports[i]);
}

/* lines_locked merges the ports' chains of lines by index: file order. */
static tq_status lines_locked(struct tq_diag *diag, struct tq_events_log *log, struct tq_buf *out,
                              const long *ports, size_t num_ports, size_t from)
{
    if (num_ports > TQ_EVENTS_LOG_MAX_PORTS)
        return tq_diag_fail(diag, TQ_ERR_USAGE, log->path, 0, "want at most %d ports, got %zu",
                            TQ_EVENTS_LOG_MAX_PORTS, num_ports);
    TQ_GUARD(refresh(diag, log));
    size_t next[TQ_EVENTS_LOG_MAX_PORTS]; /* per port: index + 1 of its next line; 0: done */
    for (size_t i = 0; i < num_ports; i++)
        next[i] = listed_once(ports, i) ? log->ports[ports[i]].head : 0;
    for (;;) {
        size_t pick = num_ports;
        for (size_t i = 0; i < num_ports; i++)
            if (next[i] && (pick == num_ports || next[i] < next[pick]))
                pick = i;
        if (pick == num_ports)
            return TQ_SUCCESS;
        const struct line *l = &log->lines[next[pick] - 1];
        if (next[pick] - 1 < from) { /* an earlier connection that had the same port */
            next[pick] = l->next_same_port;
            continue;
        }
        tq_status st = tq_buf_append(out, log->text + l->off, l->len + 1);
        if (!tq_ok(st))
            return tq_diag_fail(diag, st.code, log->path, (unsigned)next[pick],
                                "the events of port %ld do not fit in %zu bytes", ports[pick],
                                out->max_len);
        next[pick] = l->next_same_port;
    }
}

/* see events_log.h */
tq_status tq_events_log_lines(struct tq_diag *diag, struct tq_events_log *log, struct tq_buf *out,
                              const long *ports, size_t num_ports, size_t from)
{
    pthread_mutex_lock(&log->mutex);
    tq_status st = lines_locked(diag, log, out, ports, num_ports, from);
    pthread_mutex_unlock(&log->mutex);
    return st;
}

/* line_matches is tq_events_find on that one line, skipping the parse when the event name
 * differs. */
static bool line_matches(const struct tq_events_log *log, size_t index, const char *pattern,
                         uint32_t hash)
{
    const struct line *l = &log->lines[index];
    if (!l->valid || l->event_hash != hash)
        return false;
    return tq_events_find(pattern, log->text + l->off, l->len) != NULL;
}

static tq_status found(struct tq_events_log_line *out, size_t *io_next,
                       const struct tq_events_log *log, size_t index)
{
    *out = (struct tq_events_log_line){
        .index = index, .conn = log->lines[index].conn, .port = log->lines[index].port};
    *io_next = index + 1;
    return TQ_SUCCESS;
}

static tq_status find_locked(struct tq_diag *diag, struct tq_events_log *log,
                             struct tq_events_log_line *out, size_t *io_next, const char *pattern,
                             long port)
{
    if (pattern == NULL || !tq_event_pattern_valid(pattern) || (port != 0 && !valid_port(port)))
        return tq_diag_fail(diag, TQ_ERR_USAGE, log->path, 0,
                            "want an event pattern and a port (0: any), got '%s' and %ld",
                            pattern ? pattern : "(null)", port);
    TQ_GUARD(refresh(diag, log));
    uint32_t hash = pattern_hash(pattern);
    size_t from = *io_next;
    if (port != 0) {
        for (size_t i = log->ports[port].head; i; i = log->lines[i - 1].next_same_port)
            if (i - 1 >= from && line_matches(log, i - 1, pattern, hash))
                return found(out, io_next, log, i - 1);
    } else {
        for (size_t i = from; i < log->num_lines; i++)
            if (line_matches(log, i, pattern, hash))
                return found(out, io_next, log, i);
    }
    *io_next = log->num_lines;
    return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, log->path, 0,
                        "no event line from line %zu on matches '%s'", from + 1, pattern);
}

/* see events_log.h */
tq_status tq_events_log_find(struct tq_diag *diag, struct tq_events_log *log,
                             struct tq_events_log_line *out, size_t *io_next, const char *pattern,
                             long port)
{
    pthread_mutex_lock(&log->mutex);
    tq_status st = find_locked(diag, log, out, io_next, pattern, port);
    pthread_mutex_unlock(&log->mutex);
    return st;
}

/* see events_log.h */
size_t tq_events_log_mark(struct tq_events_log *log)
{
    struct tq_diag ignored;
    pthread_mutex_lock(&log->mutex);
    tq_status st = refresh(&ignored, log);
    (void)st; /* on a read error, the count of the lines read is still a safe mark */
    size_t mark = log->num_lines;
    pthread_mutex_unlock(&log->mutex);
    return mark;
}

/* see events_log.h */
void tq_events_log_stats(struct tq_events_log *log, struct tq_events_log_stats *out)
{
    pthread_mutex_lock(&log->mutex);
    *out = (struct tq_events_log_stats){.num_lines = log->num_lines,
                                        .num_skipped = log->num_skipped,
                                        .bytes_read = log->bytes_read,
                                        .truncated = log->truncated};
    pthread_mutex_unlock(&log->mutex);
}

/* see events_log.h */
const char *tq_events_log_await(struct tq_events_log *log, struct tq_buf *out, const long *ports,
                                size_t num_ports, size_t from, const char *const *want,
                                size_t num_want, int wait_ms)
{
    for (double deadline = tq_now_ms() + wait_ms;; usleep(20 * 1000)) {
        out->len = 0;
        struct tq_diag ignored;
        if (!tq_ok(tq_events_log_lines(&ignored, log, out, ports, num_ports, from)))
            continue; /* what was found is evidence enough; the deadline still holds */
        const char *missing = NULL;
        for (size_t i = 0; i < num_want && missing == NULL; i++)
            if (!tq_events_find(want[i], (const char *)out->data, out->len))
                missing = want[i];
        if (missing == NULL || tq_now_ms() > deadline)
            return missing;
    }
}

/* see events_log.h */
bool tq_events_log_client_subscribed(struct tq_events_log *log, const char *client_id,
                                     size_t *io_next, struct tq_events_log_line *io_connect)
{
    struct tq_diag ignored;
    char pattern[TQ_EVENT_PATTERN_MAX];
    if (io_connect->port == 0) {
        snprintf(pattern, sizeof(pattern), "mqtt_connect client_id=%s", client_id);
        if (!tq_ok(tq_events_log_find(&ignored, log, io_connect, io_next, pattern, 0)))
            return false;
    }
    struct tq_events_log_line hit;
    size_t from = io_connect->index + 1;
    snprintf(pattern, sizeof(pattern), "mqtt_subscribe conn=%ld", io_connect->conn);
    return tq_ok(tq_events_log_find(&ignored, log, &hit, &from, pattern, io_connect->port));
}
