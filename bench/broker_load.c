/* tlsqual-bench-load: a bounded load test of `tlsqual broker` over loopback.
 *
 * Opens N concurrent mutual-TLS MQTT 3.1.1 connections (OpenSSL client, non-blocking, one
 * poll loop), CONNECTs each, keeps every connection busy with PINGREQ for D seconds and checks
 * that every PINGREQ gets its PINGRESP, then sends DISCONNECT and closes. It prints the
 * handshake rate, the CPU time per connection of the broker (/proc/PID/task/TID/schedstat) and
 * of this tool during the ramp, the errors by kind and the broker's resident memory (VmRSS of
 * /proc/PID/status) idle, with N connections, and after they closed. It is a benchmark: it
 * prints figures and never passes or fails a build (docs: bench/README.md).
 *
 * Only 127.0.0.0/8 is accepted as the target, and every phase has a deadline. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "exit_codes.h"

#define SYNOPSIS                                                                                   \
    "tlsqual-bench-load --pki DIR (--tlsqual PATH | --connect 127.0.0.1:PORT [--broker-pid PID]) " \
    "[options]"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct options {
    const char *pki;           /* the PKI folder of `tlsqual certs` */
    const char *cert;          /* device artifact name */
    const char *connect;       /* "127.0.0.1:PORT" of a running broker, or NULL */
    const char *tlsqual;       /* the tlsqual executable to start a broker with, or NULL */
    const char *broker_events; /* --events of a broker this tool starts */
    const char *tls_max;       /* "1.2" or "1.3", or NULL: the library's highest */
    const char *ciphers;       /* TLS 1.2 cipher list, or NULL: the library's */
    unsigned broker_pid;       /* 0: unknown (no RSS figures) unless this tool starts it */
    unsigned connections;
    unsigned duration_s;
    unsigned ping_interval_s;
    unsigned parallel; /* handshakes in flight at once */
    unsigned ramp_timeout_s;
};

enum conn_state { C_IDLE, C_TCP, C_TLS, C_CONNACK, C_READY, C_DONE, C_FAILED };

/* Kinds of errors, counted and printed by name. */
enum error_kind {
    E_CONNECT,
    E_HANDSHAKE,
    E_CONNACK,
    E_PINGRESP_MISSING,
    E_UNEXPECTED,
    E_PEER_CLOSED,
    E_IO,
    E_RAMP_TIMEOUT,
    E_COUNT
};

static const char *const error_names[E_COUNT] = {
    [E_CONNECT] = "tcp_connect",
    [E_HANDSHAKE] = "tls_handshake",
    [E_CONNACK] = "connack",
    [E_PINGRESP_MISSING] = "pingresp_missing",
    [E_UNEXPECTED] = "unexpected_packet",
    [E_PEER_CLOSED] = "peer_closed",
    [E_IO] = "io",
    [E_RAMP_TIMEOUT] = "ramp_timeout",
};

struct conn {
    int fd;
    SSL *ssl;
    enum conn_state state;
    short want; /* poll events OpenSSL waits for */
    uint8_t out[64];
    size_t out_len; /* pending bytes in out (one whole packet at a time) */
    uint8_t in[64];
    size_t in_len;
    double started, next_ping;
    bool ping_outstanding;
};

struct stats {
    unsigned long ready, pings_sent, pongs, errors[E_COUNT];
    double first_start, last_ready;
    const char *version, *suite; /* negotiated on the first handshake (static OpenSSL strings) */
    double *latencies;           /* TCP connect to CONNACK, seconds, one per ready connection */
    double broker_cpu_s;         /* the broker's CPU time during the ramp; < 0: unknown */
    double client_cpu_s;         /* this tool's CPU time during the ramp */
};

struct load {
    const struct options *opt;
    SSL_CTX *ctx;
    struct sockaddr_in addr;
    struct conn *conns;
    struct pollfd *pfds;
    struct stats st;
};

/* --- options ----------------------------------------------------------------------------- */

static const struct tq_bench_option option_table[] = {
    {"broker-events", TQ_BENCH_STRING, offsetof(struct options, broker_events),
     "FILE: --events of the broker this tool starts (default /dev/null)"},
    {"broker-pid", TQ_BENCH_UINT, offsetof(struct options, broker_pid),
     "PID: the running broker behind --connect, for its RSS"},
    {"cert", TQ_BENCH_STRING, offsetof(struct options, cert),
     "NAME: device artifact to connect with (default device-rsa-2048)"},
    {"ciphers", TQ_BENCH_STRING, offsetof(struct options, ciphers),
     "LIST: TLS 1.2 cipher list (OpenSSL names; default the library's)"},
    {"connect", TQ_BENCH_STRING, offsetof(struct options, connect),
     "127.0.0.1:PORT: a running broker (else --tlsqual starts one)"},
    {"connections", TQ_BENCH_UINT, offsetof(struct options, connections),
     "N: concurrent connections (default 1000)"},
    {"duration", TQ_BENCH_UINT, offsetof(struct options, duration_s),
     "SECONDS: keep-alive traffic once all are connected (default 60)"},
    {"parallel", TQ_BENCH_UINT, offsetof(struct options, parallel),
     "K: handshakes in flight at once (default 50)"},
    {"ping-interval", TQ_BENCH_UINT, offsetof(struct options, ping_interval_s),
     "SECONDS: PINGREQ period per connection (default 10)"},
    {"pki", TQ_BENCH_STRING, offsetof(struct options, pki),
     "DIR: the PKI of `tlsqual certs` (required)"},
    {"ramp-timeout", TQ_BENCH_UINT, offsetof(struct options, ramp_timeout_s),
     "SECONDS: deadline for connecting all (default 120)"},
    {"tls-max", TQ_BENCH_STRING, offsetof(struct options, tls_max),
     "1.2|1.3: highest TLS version offered (default 1.3)"},
    {"tlsqual", TQ_BENCH_STRING, offsetof(struct options, tlsqual),
     "PATH: start `PATH broker` on 127.0.0.1:0 and measure it"},
};

static void usage(FILE *out)
{
    tq_bench_usage(out, SYNOPSIS, option_table, ARRAY_LEN(option_table));
}

static int parse_options(struct options *o, int argc, char **argv)
{
    *o = (struct options){.cert = "device-rsa-2048",
                          .broker_events = "/dev/null",
                          .connections = 1000,
                          .duration_s = 60,
                          .ping_interval_s = 10,
                          .parallel = 50,
                          .ramp_timeout_s = 120};
    int rc = tq_bench_parse_options(o, "tlsqual-bench-load", SYNOPSIS, option_table,
                                    ARRAY_LEN(option_table), argc, argv);
    if (rc != TQ_BENCH_OK)
        return rc;
    if (o->pki == NULL || (o->connect == NULL) == (o->tlsqual == NULL) || o->connections == 0 ||
        o->parallel == 0 || o->ping_interval_s == 0) {
        usage(stderr);
        return TQ_EXIT_USAGE;
    }
    return TQ_EXIT_OK;
}

/* --- process helpers --------------------------------------------------------------------- */

/* raise_nofile lifts the soft open-file limit to the hard one; false when still below `need`. */
static bool raise_nofile(rlim_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return false;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need;
}

/* rss_kb returns the VmRSS of `pid` in kB, or -1. */
static long rss_kb(unsigned pid)
{
    char path[64], line[256];
    long kb = -1;
    if (pid == 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%u/status", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* task_cpu_s returns the CPU time of thread `task` of process `pid` (schedstat, ns), or -1. */
static double task_cpu_s(unsigned pid, const char *task)
{
    char path[300];
    unsigned long long ns = 0;
    snprintf(path, sizeof(path), "/proc/%u/task/%.255s/schedstat", pid, task);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int n = fscanf(f, "%llu", &ns);
    fclose(f);
    return n == 1 ? (double)ns / 1e9 : -1;
}

/* cpu_s returns the CPU time (user + system) of every thread of `pid` so far, in seconds with
 * nanosecond resolution (/proc/PID/task/TID/schedstat), or -1 when unknown. Both brokers of
 * bench/run-all are one event-loop thread; the sum also covers a threaded one. */
static double cpu_s(unsigned pid)
{
    char path[64];
    if (pid == 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%u/task", pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return -1;
    double total = 0;
    bool any = false;
    for (struct dirent *d; (d = readdir(dir)) != NULL;) {
        double t = d->d_name[0] != '.' ? task_cpu_s(pid, d->d_name) : -1;
        if (t >= 0) {
            total += t;
            any = true;
        }
    }
    closedir(dir);
    return any ? total : -1;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* start_broker runs `tlsqual broker` on 127.0.0.1:0 and reads its address from --ready-fd. */
static pid_t start_broker(const struct options *o, char *addr, size_t addr_len)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], 3);
        execl(o->tlsqual, o->tlsqual, "broker", "--pki", o->pki, "--listen", "127.0.0.1:0",
              "--ready-fd", "3", "--events", o->broker_events, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    FILE *f = pid > 0 ? fdopen(pipefd[0], "r") : NULL;
    bool ok = f != NULL && fgets(addr, (int)addr_len, f) != NULL;
    if (f != NULL)
        fclose(f);
    else
        close(pipefd[0]);
    addr[ok ? strcspn(addr, "\n") : 0] = '\0';
    return ok ? pid : -1;
}

static void stop_broker(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) { /* at most 10 s */
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(100 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* --- TLS --------------------------------------------------------------------------------- */

static SSL_CTX *client_ctx(const struct options *o)
{
    SSL_CTX *ctx = tq_bench_client_ctx(o->pki, o->cert, o->tls_max, o->ciphers);
    if (ctx == NULL)
        return NULL;
    /* The chain is verified; the host name is not (the mock leaf names the ATS endpoint). */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* No session is ever resumed here, so no ticket is asked for: a broker that issues tickets
     * (mosquitto does, tlsqual never: docs/aws-iot/tls.md#session-tickets) would encrypt one
     * per connection for nothing, and the brokers compared would not run the same handshake. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return ctx;
}

/* --- one connection ---------------------------------------------------------------------- */

static void fail(struct load *l, struct conn *c, enum error_kind kind)
{
    l->st.errors[kind]++;
    c->state = C_FAILED;
    SSL_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void queue(struct conn *c, const uint8_t *data, size_t len)
{
    memcpy(c->out, data, len);
    c->out_len = len;
}

static void queue_connect(struct conn *c, unsigned index)
{
    char id[16];
    int id_len = snprintf(id, sizeof(id), "load-%05u", index);
    /* MQTT 3.1.1 CONNECT: clean session, keep-alive 60 s (deadline 90 s, above the pings). */
    uint8_t p[64] = {0x10, (uint8_t)(12 + id_len), 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60,
                     0,    (uint8_t)id_len};
    memcpy(p + 14, id, (size_t)id_len);
    queue(c, p, 14 + (size_t)id_len);
}

static void start_conn(struct load *l, struct conn *c)
{
    c->started = tq_bench_now_s();
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail(l, c, E_CONNECT);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc = connect(c->fd, (struct sockaddr *)&l->addr, sizeof(l->addr));
    if (rc != 0 && errno != EINPROGRESS) {
        fail(l, c, E_CONNECT);
        return;
    }
    c->state = C_TCP;
    c->want = POLLOUT;
}

/* ssl_want maps an SSL error to poll events; false for a real failure. */
static bool ssl_want(struct conn *c, int rc)
{
    int err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        c->want = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return true;
    }
    return false;
}

static void flush_out(struct load *l, struct conn *c)
{
    if (c->out_len == 0)
        return;
    int rc = SSL_write(c->ssl, c->out, (int)c->out_len);
    if (rc > 0) {
        c->out_len = 0;
        c->want = POLLIN;
    } else if (!ssl_want(c, rc)) {
        fail(l, c, E_IO);
    }
}

static void on_tcp(struct load *l, struct conn *c, unsigned index)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        fail(l, c, E_CONNECT);
        return;
    }
    c->ssl = SSL_new(l->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
        fail(l, c, E_HANDSHAKE);
        return;
    }
    c->state = C_TLS;
    queue_connect(c, index);
}

static void on_tls(struct load *l, struct conn *c)
{
    int rc = SSL_connect(c->ssl);
    if (rc == 1) {
        if (l->st.version == NULL) {
            l->st.version = SSL_get_version(c->ssl);
            l->st.suite = SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl));
        }
        c->state = C_CONNACK;
        flush_out(l, c);
    } else if (!ssl_want(c, rc)) {
        fail(l, c, E_HANDSHAKE);
    }
}

static void on_packet(struct load *l, struct conn *c, const uint8_t *p, size_t len)
{
    if (c->state == C_CONNACK && p[0] == 0x20 && len == 4 && p[3] == 0) {
        c->state = C_READY;
        c->next_ping =
            tq_bench_now_s() + (double)l->opt->ping_interval_s * (double)rand() / RAND_MAX;
        l->st.latencies[l->st.ready++] = tq_bench_now_s() - c->started;
        l->st.last_ready = tq_bench_now_s();
    } else if (c->state == C_CONNACK) {
        fail(l, c, E_CONNACK);
    } else if (p[0] == 0xd0 && len == 2 && c->ping_outstanding) {
        c->ping_outstanding = false;
        l->st.pongs++;
    } else {
        fail(l, c, E_UNEXPECTED);
    }
}

/* read_packets reads what OpenSSL has and handles every whole packet (all are < 128 bytes). */
static void read_packets(struct load *l, struct conn *c)
{
    while (c->state == C_CONNACK || c->state == C_READY) {
        int rc = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof(c->in) - c->in_len));
        if (rc <= 0) {
            if (!ssl_want(c, rc))
                fail(l, c, E_PEER_CLOSED);
            else if (c->out_len > 0)
                c->want |= POLLOUT;
            return;
        }
        c->in_len += (size_t)rc;
        while (c->in_len >= 2 && c->in_len >= 2 + (size_t)c->in[1] && c->state != C_FAILED) {
            size_t n = 2 + (size_t)c->in[1];
            on_packet(l, c, c->in, n);
            memmove(c->in, c->in + n, c->in_len - n);
            c->in_len -= n;
        }
        if (c->in_len == sizeof(c->in) || (c->in_len >= 2 && c->in[1] >= 0x80))
            fail(l, c, E_UNEXPECTED);
    }
}

static void on_ready(struct load *l, struct conn *c, short revents)
{
    if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
        fail(l, c, E_PEER_CLOSED);
        return;
    }
    flush_out(l, c);
    if (c->state != C_FAILED)
        read_packets(l, c);
}

static void step(struct load *l, struct conn *c, unsigned index, short revents)
{
    switch (c->state) {
    case C_TCP:
        on_tcp(l, c, index);
        if (c->state == C_TLS)
            on_tls(l, c);
        return;
    case C_TLS:
        on_tls(l, c);
        return;
    case C_CONNACK:
    case C_READY:
        on_ready(l, c, revents);
        return;
    case C_IDLE:
    case C_DONE:
    case C_FAILED:
        return;
    }
}

static void ping(struct load *l, struct conn *c, double now)
{
    static const uint8_t pingreq[] = {0xc0, 0x00};
    if (c->state != C_READY || now < c->next_ping || c->out_len > 0)
        return;
    if (c->ping_outstanding) { /* the previous PINGREQ got no PINGRESP in a whole interval */
        fail(l, c, E_PINGRESP_MISSING);
        return;
    }
    queue(c, pingreq, sizeof(pingreq));
    c->ping_outstanding = true;
    c->next_ping = now + l->opt->ping_interval_s;
    l->st.pings_sent++;
    flush_out(l, c);
}

/* --- the poll loop ----------------------------------------------------------------------- */

static unsigned in_flight(const struct load *l)
{
    unsigned n = 0;
    for (unsigned i = 0; i < l->opt->connections; i++)
        n += l->conns[i].state == C_TCP || l->conns[i].state == C_TLS ||
             l->conns[i].state == C_CONNACK;
    return n;
}

/* poll_once waits up to 100 ms and advances every connection that is ready. */
static void poll_once(struct load *l)
{
    nfds_t n = 0;
    unsigned *index = calloc(l->opt->connections, sizeof(*index));
    if (index == NULL)
        return;
    for (unsigned i = 0; i < l->opt->connections; i++) {
        struct conn *c = &l->conns[i];
        if (c->fd < 0 || c->state == C_IDLE || c->state >= C_DONE)
            continue;
        l->pfds[n] = (struct pollfd){.fd = c->fd, .events = c->want};
        index[n++] = i;
    }
    if (poll(l->pfds, n, 100) > 0)
        for (nfds_t k = 0; k < n; k++)
            if (l->pfds[k].revents != 0)
                step(l, &l->conns[index[k]], index[k], l->pfds[k].revents);
    free(index);
}

static void ramp(struct load *l)
{
    const struct options *o = l->opt;
    unsigned next = 0;
    double deadline = tq_bench_now_s() + o->ramp_timeout_s;
    l->st.first_start = tq_bench_now_s();
    while (tq_bench_now_s() < deadline) {
        unsigned busy = in_flight(l);
        while (next < o->connections && busy < o->parallel) {
            start_conn(l, &l->conns[next++]);
            busy++;
        }
        if (next == o->connections && busy == 0)
            return;
        poll_once(l);
    }
    for (unsigned i = 0; i < o->connections; i++)
        if (l->conns[i].state != C_READY && l->conns[i].state != C_FAILED)
            fail(l, &l->conns[i], E_RAMP_TIMEOUT);
}

static void keep_alive(struct load *l)
{
    double end = tq_bench_now_s() + l->opt->duration_s;
    while (tq_bench_now_s() < end) {
        double now = tq_bench_now_s();
        for (unsigned i = 0; i < l->opt->connections; i++)
            ping(l, &l->conns[i], now);
        poll_once(l);
    }
    /* Every PINGREQ sent must have its PINGRESP: wait up to 5 s for the last ones. */
    double drain = tq_bench_now_s() + 5;
    bool outstanding = true;
    while (outstanding && tq_bench_now_s() < drain) {
        poll_once(l);
        outstanding = false;
        for (unsigned i = 0; i < l->opt->connections; i++)
            outstanding |= l->conns[i].state == C_READY && l->conns[i].ping_outstanding;
    }
    for (unsigned i = 0; i < l->opt->connections; i++)
        if (l->conns[i].state == C_READY && l->conns[i].ping_outstanding)
            fail(l, &l->conns[i], E_PINGRESP_MISSING);
}

static void disconnect_all(struct load *l)
{
    static const uint8_t disconnect[] = {0xe0, 0x00};
    for (unsigned i = 0; i < l->opt->connections; i++) {
        struct conn *c = &l->conns[i];
        if (c->state == C_READY) { /* blocking is fine: 2 bytes into an idle socket */
            SSL_write(c->ssl, disconnect, sizeof(disconnect));
            SSL_shutdown(c->ssl);
        }
        SSL_free(c->ssl);
        c->ssl = NULL;
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        c->state = c->state == C_READY ? C_DONE : c->state;
    }
}

/* --- report ------------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report_latency(const struct stats *st)
{
    if (st->ready == 0)
        return;
    qsort(st->latencies, st->ready, sizeof(double), cmp_double);
    printf("connect+handshake+CONNACK latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
           st->latencies[st->ready / 2] * 1e3, st->latencies[st->ready * 99 / 100] * 1e3,
           st->latencies[st->ready - 1] * 1e3);
}

static void report(const struct load *l, const long rss[3], double keep_alive_s)
{
    const struct stats *st = &l->st;
    double ramp_s = st->last_ready - st->first_start;
    unsigned long errors = 0;
    printf("connections: %lu of %u connected (mutual TLS + MQTT CONNECT)\n", st->ready,
           l->opt->connections);
    printf("handshake rate: %.1f connections/s (%lu in %.2f s, %u in flight at most, %s %s)\n",
           ramp_s > 0 ? (double)st->ready / ramp_s : 0.0, st->ready, ramp_s, l->opt->parallel,
           st->version ? st->version : "?", st->suite ? st->suite : "?");
    report_latency(st);
    if (st->ready > 0 && st->broker_cpu_s > 0)
        printf("broker CPU in the ramp: %.0f ms, %.0f us per connection: capacity %.1f "
               "connections per CPU-second\n",
               st->broker_cpu_s * 1e3, st->broker_cpu_s * 1e6 / (double)st->ready,
               (double)st->ready / st->broker_cpu_s);
    if (st->ready > 0)
        printf("client CPU in the ramp: %.0f ms, %.0f us per connection\n", st->client_cpu_s * 1e3,
               st->client_cpu_s * 1e6 / (double)st->ready);
    printf("keep-alive: %lu PINGREQ sent, %lu PINGRESP received in %.1f s\n", st->pings_sent,
           st->pongs, keep_alive_s);
    for (int k = 0; k < E_COUNT; k++) {
        errors += st->errors[k];
        if (st->errors[k] != 0)
            printf("error %s: %lu\n", error_names[k], st->errors[k]);
    }
    printf("errors: %lu\n", errors);
    if (rss[0] < 0) {
        printf("broker RSS: unknown (no --broker-pid)\n");
        return;
    }
    printf("broker RSS: idle %ld kB, with %lu connections %ld kB, after closing %ld kB\n", rss[0],
           st->ready, rss[1], rss[2]);
    if (st->ready > 0)
        printf("broker memory per connection: %.1f kB\n",
               (double)(rss[1] - rss[0]) / (double)st->ready);
}

/* --- main -------------------------------------------------------------------------------- */

static int run(struct load *l, unsigned broker_pid)
{
    long rss[3];
    rss[0] = rss_kb(broker_pid);
    double broker0 = cpu_s(broker_pid), client0 = self_cpu_s();
    ramp(l);
    double broker1 = cpu_s(broker_pid);
    l->st.broker_cpu_s = broker0 >= 0 && broker1 >= 0 ? broker1 - broker0 : -1;
    l->st.client_cpu_s = self_cpu_s() - client0;
    rss[1] = rss_kb(broker_pid);
    double t0 = tq_bench_now_s();
    keep_alive(l);
    double keep_alive_s = tq_bench_now_s() - t0;
    long rss_busy = rss_kb(broker_pid);
    rss[1] = rss_busy > rss[1] ? rss_busy : rss[1];
    disconnect_all(l);
    sleep(2); /* let the broker see the closes and free the sessions */
    rss[2] = rss_kb(broker_pid);
    report(l, rss, keep_alive_s);
    unsigned long errors = 0;
    for (int k = 0; k < E_COUNT; k++)
        errors += l->st.errors[k];
    return errors == 0 ? TQ_EXIT_OK : TQ_EXIT_FAILED;
}

static int setup_and_run(const struct options *o)
{
    char addr[64] = "";
    pid_t started = -1;
    unsigned broker_pid = o->broker_pid;
    if (o->tlsqual != NULL) {
        started = start_broker(o, addr, sizeof(addr));
        if (started < 0) {
            fprintf(stderr, "tlsqual-bench-load: %s broker did not start\n", o->tlsqual);
            return TQ_EXIT_FAILED;
        }
        broker_pid = (unsigned)started;
    }
    struct load l = {.opt = o};
    if (!tq_bench_parse_target(&l.addr, o->tlsqual ? addr : o->connect)) {
        fprintf(stderr, "tlsqual-bench-load: want a 127.0.0.0/8 address, got '%s'\n",
                o->tlsqual ? addr : o->connect);
        stop_broker(started);
        return TQ_EXIT_USAGE;
    }
    printf("broker %s pid %u; %u connections, %u s of PINGREQ every %u s\n",
           o->tlsqual ? addr : o->connect, broker_pid, o->connections, o->duration_s,
           o->ping_interval_s);
    l.ctx = client_ctx(o);
    l.conns = calloc(o->connections, sizeof(*l.conns));
    l.pfds = calloc(o->connections, sizeof(*l.pfds));
    l.st.latencies = calloc(o->connections, sizeof(double));
    int rc = TQ_EXIT_FAILED;
    if (l.ctx != NULL && l.conns != NULL && l.pfds != NULL && l.st.latencies != NULL) {
        for (unsigned i = 0; i < o->connections; i++)
            l.conns[i].fd = -1;
        rc = run(&l, broker_pid);
    }
    stop_broker(started);
    SSL_CTX_free(l.ctx);
    free(l.conns);
    free(l.pfds);
    free(l.st.latencies);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(&o, argc, argv);
    if (rc != TQ_EXIT_OK)
        return rc < 0 ? TQ_EXIT_OK : rc;
    signal(SIGPIPE, SIG_IGN);
    srand(1);
    if (!raise_nofile((rlim_t)o.connections + 64)) {
        fprintf(stderr,
                "tlsqual-bench-load: the open-file limit is below %u + 64; raise the "
                "hard limit (ulimit -Hn)\n",
                o.connections);
        return TQ_EXIT_USAGE;
    }
    return setup_and_run(&o);
}
