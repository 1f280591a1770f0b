/* Tests for broker/drain.c: the lingering close, over real TCP connections on 127.0.0.1. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drain.h"

/* A connected pair: `server` is what the broker would hand to the drain (non-blocking, as
 * libevent's listener makes it), `client` the peer (blocking, with a 2 s receive timeout so
 * that no test can hang). */
struct pair {
    int server, client;
};

static struct pair connect_pair(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    cr_assert(ls >= 0 && bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(ls, 8) == 0);
    cr_assert(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    struct pair p = {.client = socket(AF_INET, SOCK_STREAM, 0)};
    cr_assert(connect(p.client, (struct sockaddr *)&a, sizeof(a)) == 0, "%s", strerror(errno));
    p.server = accept(ls, NULL, NULL);
    cr_assert(p.server >= 0);
    close(ls);
    cr_assert(fcntl(p.server, F_SETFL, O_NONBLOCK) == 0);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(p.client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return p;
}

static void write_all(int fd, const void *buf, size_t len)
{
    cr_assert_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len, "send: %s", strerror(errno));
}

/* read_to_end reads `fd` until end of stream into `buf` (NUL-terminated) and returns 0, or
 * the errno that stopped it (ECONNRESET: the peer reset the connection). */
static int read_to_end(int fd, char *buf, size_t buf_len)
{
    size_t got = 0;
    for (int i = 0; i < 1000; i++) {
        ssize_t n = recv(fd, buf + got, buf_len - 1 - got, 0);
        if (n <= 0) {
            buf[got] = '\0';
            return n == 0 ? 0 : errno;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    return -1;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* run runs `base` until `d` drains nothing any more, or for at most `max_ms`. */
static void run(struct event_base *base, const struct tq_drain *d, long max_ms)
{
    long end = now_ms() + max_ms;
    for (int i = 0; i < 100000 && tq_drain_num(d) > 0 && now_ms() < end; i++) {
        struct timeval tick = {.tv_usec = 10 * 1000};
        event_base_loopexit(base, &tick);
        event_base_loop(base, EVLOOP_ONCE);
    }
}

static bool fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

/* The bug the drain fixes: the server sends its last words while the client's bytes are unread
 * and closes; the client, writing on, gets a reset. This control shows the kernel behaves so
 * here, so that the next test can fail. */
Test(broker_drain, control_plain_close_resets_a_writing_client)
{
    struct pair p = connect_pair();
    write_all(p.client, "finished", 8); /* unread by the server */
    write_all(p.server, "ALERT", 5);
    usleep(20 * 1000);
    close(p.server);
    usleep(50 * 1000); /* the reset arrives */
    ssize_t n = send(p.client, "CONNECT", 7, MSG_NOSIGNAL);
    int err = errno;
    cr_expect(n < 0 && (err == ECONNRESET || err == EPIPE), "want a reset, got %zd (%s)", n,
              strerror(err));
    close(p.client);
}

Test(broker_drain, a_writing_client_reads_what_was_sent_then_the_end)
{
    struct event_base *base = event_base_new();
    struct tq_drain *d = tq_drain_new(base, 64 * 1024, 1000);
    struct pair p = connect_pair();
    write_all(p.client, "finished", 8); /* unread by the server */
    write_all(p.server, "ALERT", 5);
    usleep(20 * 1000);
    tq_drain_close(d, p.server);
    cr_expect_eq(tq_drain_num(d), 1, "the client has not closed: the socket is drained");
    usleep(50 * 1000);
    ssize_t n = send(p.client, "CONNECT", 7, MSG_NOSIGNAL);
    cr_expect_eq(n, 7, "the client's write after the close: %s", strerror(errno));
    char buf[64];
    cr_expect_eq(read_to_end(p.client, buf, sizeof(buf)), 0, "end of stream, not a reset");
    cr_expect_str_eq(buf, "ALERT");
    close(p.client);
    run(base, d, 2000);
    struct tq_drain_stats st;
    tq_drain_get_stats(d, &st);
    cr_expect_eq(tq_drain_num(d), 0);
    cr_expect_eq(st.num_peer_closed, 1, "ended by the client's close");
    cr_expect_eq(st.num_time_limit + st.num_byte_limit + st.num_error, 0);
    tq_drain_free(d);
    event_base_free(base);
}

Test(broker_drain, a_client_that_closed_already_is_closed_at_once)
{
    struct event_base *base = event_base_new();
    struct tq_drain *d = tq_drain_new(base, 64 * 1024, 1000);
    struct pair p = connect_pair();
    write_all(p.client, "bye", 3);
    close(p.client);
    usleep(20 * 1000);
    tq_drain_close(d, p.server);
    struct tq_drain_stats st;
    tq_drain_get_stats(d, &st);
    cr_expect_eq(tq_drain_num(d), 0, "nothing to wait for");
    cr_expect_eq(st.num_peer_closed, 1);
    cr_expect_not(fd_is_open(p.server), "the socket is closed");
    tq_drain_free(d);
    event_base_free(base);
}

Test(broker_drain, a_silent_client_is_closed_at_the_time_bound)
{
    struct event_base *base = event_base_new();
    struct tq_drain *d = tq_drain_new(base, 64 * 1024, 200);
    struct pair p = connect_pair();
    long start = now_ms();
    tq_drain_close(d, p.server);
    run(base, d, 3000);
    long took = now_ms() - start;
    struct tq_drain_stats st;
    tq_drain_get_stats(d, &st);
    cr_expect_eq(tq_drain_num(d), 0);
    cr_expect_eq(st.num_time_limit, 1);
    cr_expect(took >= 150 && took < 1500, "closed after %ld ms, want about 200", took);
    char buf[8];
    cr_expect_eq(read_to_end(p.client, buf, sizeof(buf)), 0, "the client saw the end");
    close(p.client);
    tq_drain_free(d);
    event_base_free(base);
}

struct trickle {
    int fd;
    struct tq_drain *drain;
    struct event *timer;
    int num_sent;
};

static void trickle_once(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct trickle *t = arg;
    if (tq_drain_num(t->drain) == 0 || t->num_sent >= 500) {
        event_del(t->timer);
        return;
    }
    if (send(t->fd, "x", 1, MSG_NOSIGNAL) == 1)
        t->num_sent++;
}

/* A client that sends a byte every 20 ms must not push the deadline back. */
Test(broker_drain, a_trickling_client_does_not_extend_the_time_bound)
{
    struct event_base *base = event_base_new();
    struct tq_drain *d = tq_drain_new(base, 64 * 1024, 200);
    struct pair p = connect_pair();
    struct trickle t = {.fd = p.client, .drain = d};
    t.timer = event_new(base, -1, EV_PERSIST, trickle_once, &t);
    struct timeval every = {.tv_usec = 20 * 1000};
    event_add(t.timer, &every);
    long start = now_ms();
    tq_drain_close(d, p.server);
    run(base, d, 3000);
    long took = now_ms() - start;
    struct tq_drain_stats st;
    tq_drain_get_stats(d, &st);
    cr_expect_eq(st.num_time_limit, 1);
    cr_expect(took < 1500, "closed after %ld ms, want about 200", took);
    cr_expect_gt(t.num_sent, 3, "the client kept sending while drained (%d bytes)", t.num_sent);
    event_free(t.timer);
    close(p.client);
    tq_drain_free(d);
    event_base_free(base);
}

Test(broker_drain, a_flooding_client_is_closed_at_the_byte_bound)
{
    struct event_base *base = event_base_new();
    struct tq_drain *d = tq_drain_new(base, 4096, 5000);
    struct pair p = connect_pair();
    static char junk[16384];
    write_all(p.client, junk, sizeof(junk)); /* fits in the socket buffers */
    long start = now_ms();
    tq_drain_close(d, p.server);
    run(base, d, 3000);
    struct tq_drain_stats st;
    tq_drain_get_stats(d, &st);
    cr_expect_eq(tq_drain_num(d), 0);
    cr_expect_eq(st.num_byte_limit, 1);
    cr_expect_lt(now_ms() - start, 1000, "the byte bound, not the 5 s one");
    close(p.client);
    tq_drain_free(d);
    event_base_free(base);
}

Test(broker_drain, free_closes_what_is_still_draining)
{
    struct event_base *base = event_base_new();
    struct tq_drain *d = tq_drain_new(base, 64 * 1024, 10000);
    struct pair p = connect_pair();
    tq_drain_close(d, p.server);
    cr_expect_eq(tq_drain_num(d), 1);
    tq_drain_free(d);
    cr_expect_not(fd_is_open(p.server), "tq_drain_free closed the socket");
    close(p.client);
    event_base_free(base);
}

Test(broker_drain, without_a_drain_the_socket_is_closed_at_once)
{
    struct pair p = connect_pair();
    tq_drain_close(NULL, p.server);
    cr_expect_not(fd_is_open(p.server));
    tq_drain_close(NULL, -1); /* ignored */
    close(p.client);
}

/* Many sockets at once, their clients closing in turn: every one ends, none is left over (the
 * ASan build checks that nothing leaks). */
Test(broker_drain, many_sockets_all_end)
{
    enum { N = 200 };
    struct event_base *base = event_base_new();
    struct tq_drain *d = tq_drain_new(base, 64 * 1024, 2000);
    static struct pair p[N];
    for (int i = 0; i < N; i++) {
        p[i] = connect_pair();
        tq_drain_close(d, p[i].server);
    }
    cr_expect_eq(tq_drain_num(d), N);
    for (int i = 0; i < N; i++)
        close(p[i].client);
    run(base, d, 5000);
    struct tq_drain_stats st;
    tq_drain_get_stats(d, &st);
    cr_expect_eq(tq_drain_num(d), 0);
    cr_expect_eq(st.num_peer_closed, N);
    tq_drain_free(d);
    event_base_free(base);
}
