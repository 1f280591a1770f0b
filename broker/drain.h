/* drain.h: closing TCP connections so that what was sent arrives (a "lingering close").
 *
 * A socket closed while bytes from its peer are still unread makes the kernel send a reset
 * instead of an orderly end (RFC 1122 section 4.2.2.13: "If such a host issues a CLOSE call
 * while received data is still pending in TCP, or if new data is received after CLOSE is
 * called, its TCP SHOULD send a RST to show that data was lost"). A peer that writes after that
 * reset arrived gets "connection reset by peer" and never reads what was sent before it: the
 * broker's fatal alert for a refused client certificate, a refusing CONNACK. A TLS 1.3 client
 * whose certificate is refused is in that position: it has sent its Finished and writes on, so
 * whether it saw the alert depended on which process ran first.
 *
 * tq_drain_close therefore shuts the socket's writing side down (the peer reads all that was
 * sent, then the end of the stream), reads and discards what the peer still sends, and closes
 * once the peer has closed too, or when a bound is reached: `max_bytes` discarded or `max_ms`
 * elapsed, whichever comes first. Then what is still unread gets the reset, but the peer had
 * that long to read. Every socket is watched by the event loop of one event_base: no call
 * blocks, and a peer that never closes holds a descriptor for at most `max_ms`.
 *
 * Not thread-safe: use a drain from the thread that runs its event loop. */
#ifndef TQ_BROKER_DRAIN_H
#define TQ_BROKER_DRAIN_H

#include <event2/event.h>
#include <stddef.h>

/* struct tq_drain holds the sockets being drained in one event loop. */
struct tq_drain;

/* How each drained socket ended, counted since tq_drain_new. */
struct tq_drain_stats {
    size_t num_peer_closed; /* the peer closed (or had closed already): the orderly end */
    size_t num_byte_limit;  /* `max_bytes` discarded and the peer still sending */
    size_t num_time_limit;  /* `max_ms` elapsed and the peer still open */
    size_t num_error;       /* shutdown or a read failed: the peer had reset, typically */
    size_t num_unwatched;   /* closed at once, undrained: no memory to watch the socket */
    size_t num_freed;       /* still draining when tq_drain_free closed them */
};

/* tq_drain_new returns an empty drain for event loop `base` whose sockets are closed after
 * `max_bytes` bytes discarded or `max_ms` milliseconds (both > 0), or NULL without memory.
 * The caller releases it with tq_drain_free before it frees `base`. */
struct tq_drain *tq_drain_new(struct event_base *base, size_t max_bytes, unsigned max_ms);

/* tq_drain_free closes every socket still draining, at once, and releases `d`. NULL: no-op. */
void tq_drain_free(struct tq_drain *d);

/* tq_drain_close takes ownership of the connected socket `fd`, whose output must be written
 * already (in the kernel: nothing buffered above it), and closes it as this header describes.
 * It never fails and never blocks: when the peer has closed already, when `d` is NULL or when
 * there is no memory to watch the socket, `fd` is closed at once. A negative `fd` is ignored. */
void tq_drain_close(struct tq_drain *d, evutil_socket_t fd);

/* tq_drain_num returns how many sockets `d` is draining now. */
size_t tq_drain_num(const struct tq_drain *d);

/* tq_drain_get_stats copies `d`'s counters into `*out`. */
void tq_drain_get_stats(const struct tq_drain *d, struct tq_drain_stats *out);

#endif
