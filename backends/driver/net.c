/* net.c: TCP connect under a deadline, and the clock. See driver_internal.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "driver_internal.h"

/* see driver_internal.h */
double tq__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int ms_left(double deadline_ms)
{
    double left = deadline_ms - tq__now_ms();
    if (left < 1.0)
        return 1;
    return left > 2e9 ? 2000000000 : (int)left;
}

/* see driver_internal.h */
void tq__arm_deadline(int fd, double deadline_ms)
{
    int left = ms_left(deadline_ms);
    struct timeval tv = {.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* see backend_ops.h */
bool tq_is_ip_literal(const char *name)
{
    struct in6_addr a6;
    struct in_addr a4;
    return inet_pton(AF_INET, name, &a4) == 1 || inet_pton(AF_INET6, name, &a6) == 1;
}

static tq_status connect_error(struct tq_outcome *out, int err, const char *what)
{
    char text[256];
    snprintf(text, sizeof(text), "%s: %s", what, strerror(err));
    tq_outcome_set_error(out, text);
    return tq_outcome_fail(out, TQ_OUT_CONNECT_FAILED, "%s", text);
}

/* wait_connected waits for the non-blocking connect on `fd` to finish. */
static tq_status wait_connected(struct tq_outcome *out, int fd, double deadline_ms)
{
    for (int round = 0; round < 1000; round++) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int n = poll(&p, 1, ms_left(deadline_ms));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return connect_error(out, errno, "poll");
        if (n == 0 && tq__now_ms() >= deadline_ms)
            return tq_outcome_fail(out, TQ_OUT_TIMEOUT, "TCP connect did not finish in time");
        if (n == 0)
            continue;
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            return connect_error(out, errno, "getsockopt");
        if (err != 0)
            return connect_error(out, err, "connect");
        return TQ_SUCCESS;
    }
    return tq_outcome_fail(out, TQ_OUT_TIMEOUT, "TCP connect did not finish in time");
}

static tq_status connect_addr(struct tq_outcome *out, int *out_fd, const struct addrinfo *ai,
                              double deadline_ms)
{
    int fd TQ_DEFER(tq_close_fd) = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return connect_error(out, errno, "socket");
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        return connect_error(out, errno, "fcntl");
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            return connect_error(out, errno, "connect");
        TQ_GUARD(wait_connected(out, fd, deadline_ms));
    }
    if (fcntl(fd, F_SETFL, flags) != 0)
        return connect_error(out, errno, "fcntl");
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *out_fd = fd;
    fd = -1;
    return TQ_SUCCESS;
}

static uint16_t local_port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void freeaddrinfo_ptr(struct addrinfo **ai)
{
    if (*ai != NULL)
        freeaddrinfo(*ai);
}

/* see driver_internal.h */
tq_status tq__tcp_connect(struct tq_outcome *out, int *out_fd, uint16_t *out_local_port,
                          const char *host, uint16_t port, double deadline_ms)
{
    *out_fd = -1;
    char service[8];
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *ai TQ_DEFER(freeaddrinfo_ptr) = NULL;
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0) {
        tq_outcome_set_error(out, gai_strerror(rc));
        return tq_outcome_fail(out, TQ_OUT_CONNECT_FAILED, "cannot resolve %s", host);
    }
    TQ_GUARD(connect_addr(out, out_fd, ai, deadline_ms));
    *out_local_port = local_port_of(*out_fd);
    return TQ_SUCCESS;
}
