/* Lingering close: shut down writing, discard what the peer still sends, then close. */
#include "drain.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

/* One socket being drained, linked into its drain's list. */
struct lingering {
    struct tq_drain *drain;
    struct lingering *prev, *next;
    evutil_socket_t fd;
    size_t num_read;
    struct event *readable;
    struct event *deadline;
};

struct tq_drain {
    struct event_base *base;
    size_t max_bytes;
    struct timeval max_time;
    const struct timeval *timeout; /* libevent's common timeout for max_time, or &max_time */
    struct lingering *head;
    size_t num;
    struct tq_drain_stats stats;
};

enum read_end {
    READ_MORE, /* nothing more to read now: wait */
    READ_PEER_CLOSED,
    READ_BYTE_LIMIT,
    READ_ERROR,
};

/* discard reads and drops what `fd` holds until it would block, the peer's end of stream, an
 * error, or `*num_read` reaching `max_bytes`. */
static enum read_end discard(evutil_socket_t fd, size_t *num_read, size_t max_bytes)
{
    char buf[4096];
    while (*num_read < max_bytes) { /* every pass but EINTR's reads a byte or returns */
        size_t room = max_bytes - *num_read;
        ssize_t n = recv(fd, buf, room < sizeof(buf) ? room : sizeof(buf), MSG_DONTWAIT);
        if (n > 0)
            *num_read += (size_t)n;
        else if (n == 0)
            return READ_PEER_CLOSED;
        else if (errno == EAGAIN || errno == EWOULDBLOCK)
            return READ_MORE;
        else if (errno != EINTR)
            return READ_ERROR;
    }
    return READ_BYTE_LIMIT;
}

static void count_end(struct tq_drain_stats *stats, enum read_end end)
{
    switch (end) {
    case READ_MORE: /* not an end */
        return;
    case READ_PEER_CLOSED:
        stats->num_peer_closed++;
        return;
    case READ_BYTE_LIMIT:
        stats->num_byte_limit++;
        return;
    case READ_ERROR:
        stats->num_error++;
        return;
    }
}

/* finish closes `l`'s socket and releases `l`; its callbacks may call it. */
static void finish(struct lingering *l)
{
    struct tq_drain *d = l->drain;
    if (l->prev)
        l->prev->next = l->next;
    else
        d->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    d->num--;
    event_free(l->readable);
    event_free(l->deadline);
    evutil_closesocket(l->fd);
    free(l);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct lingering *l = arg;
    enum read_end end = discard(fd, &l->num_read, l->drain->max_bytes);
    if (end == READ_MORE)
        return;
    count_end(&l->drain->stats, end);
    finish(l);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct lingering *l = arg;
    l->drain->stats.num_time_limit++;
    finish(l);
}

/* watch hands `fd` to the event loop; false (nothing allocated) without memory. The deadline
 * is a separate timer: a read event's own timeout would restart at every read, so a peer that
 * trickles bytes could hold the socket for max_bytes times the timeout. */
static bool watch(struct tq_drain *d, evutil_socket_t fd, size_t num_read)
{
    struct lingering *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return false;
    *l = (struct lingering){.drain = d, .fd = fd, .num_read = num_read, .next = d->head};
    l->readable = event_new(d->base, fd, EV_READ | EV_PERSIST, on_readable, l);
    l->deadline = evtimer_new(d->base, on_deadline, l);
    if (l->readable == NULL || l->deadline == NULL || event_add(l->readable, NULL) != 0 ||
        event_add(l->deadline, d->timeout) != 0) {
        if (l->readable)
            event_free(l->readable);
        if (l->deadline)
            event_free(l->deadline);
        free(l);
        return false;
    }
    if (d->head)
        d->head->prev = l;
    d->head = l;
    d->num++;
    return true;
}

/* see drain.h */
struct tq_drain *tq_drain_new(struct event_base *base, size_t max_bytes, unsigned max_ms)
{
    struct tq_drain *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->base = base;
    d->max_bytes = max_bytes;
    d->max_time = (struct timeval){.tv_sec = (time_t)(max_ms / 1000),
                                   .tv_usec = (suseconds_t)(max_ms % 1000) * 1000};
    /* Every socket waits the same time: a common timeout keeps their timers in one queue, O(1)
     * each, instead of the timer heap (10,000 closing clients at once, in the benchmarks). */
    d->timeout = event_base_init_common_timeout(base, &d->max_time);
    if (d->timeout == NULL)
        d->timeout = &d->max_time;
    return d;
}

/* see drain.h */
void tq_drain_free(struct tq_drain *d)
{
    if (d == NULL)
        return;
    while (d->head != NULL) {
        d->stats.num_freed++;
        finish(d->head);
    }
    free(d);
}

/* see drain.h */
void tq_drain_close(struct tq_drain *d, evutil_socket_t fd)
{
    if (fd < 0)
        return;
    if (d == NULL) {
        evutil_closesocket(fd);
        return;
    }
    /* shutdown fails when the peer has reset the connection already: nothing left to deliver. */
    size_t num_read = 0;
    enum read_end end =
        shutdown(fd, SHUT_WR) == 0 ? discard(fd, &num_read, d->max_bytes) : READ_ERROR;
    if (end == READ_MORE && watch(d, fd, num_read))
        return;
    if (end == READ_MORE)
        d->stats.num_unwatched++;
    count_end(&d->stats, end);
    evutil_closesocket(fd);
}

/* see drain.h */
size_t tq_drain_num(const struct tq_drain *d)
{
    return d->num;
}

/* see drain.h */
void tq_drain_get_stats(const struct tq_drain *d, struct tq_drain_stats *out)
{
    *out = d->stats;
}
