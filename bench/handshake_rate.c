/* tlsqual-bench-handshake: the raw reference for the harness's handshake rate.
 *
 * Like `openssl s_time -new`, but with the exchange of the smoke case: for each of N
 * connections, a new TCP connection to a running broker, a full mutual-TLS handshake (client
 * certificate, chain and host name verified, no session resumption), MQTT 3.1.1 CONNECT and
 * CONNACK, optionally a QoS 1 PUBLISH and its PUBACK, DISCONNECT and close_notify. One process,
 * one SSL_CTX reused, blocking sockets, one connection at a time: no process is spawned, no
 * file is read per connection. It prints connections per second. A benchmark: it prints
 * figures and never passes or fails a build (bench/README.md).
 *
 * Only 127.0.0.0/8 is accepted as the target; every socket has a 5 s timeout and the whole loop
 * a deadline (--max-seconds). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "exit_codes.h"

#define SYNOPSIS "tlsqual-bench-handshake --pki DIR --connect 127.0.0.1:PORT [options]"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { IO_TIMEOUT_S = 5 };

struct options {
    const char *pki;         /* the PKI folder of `tlsqual certs` */
    const char *cert;        /* device artifact name */
    const char *connect;     /* "127.x.y.z:PORT" */
    const char *server_name; /* SNI and the name verified in the server certificate, or NULL */
    const char *tls_max;     /* "1.2" or "1.3" (default: the library's) */
    const char *ciphers;     /* TLS 1.2 cipher list, or NULL */
    unsigned count;
    unsigned max_seconds;
    unsigned publish; /* 1: a QoS 1 PUBLISH and its PUBACK after CONNACK */
};

static const struct tq_bench_option option_table[] = {
    {"cert", TQ_BENCH_STRING, offsetof(struct options, cert),
     "NAME: device artifact to connect with (default device-rsa-2048)"},
    {"ciphers", TQ_BENCH_STRING, offsetof(struct options, ciphers), "LIST: TLS 1.2 cipher list"},
    {"connect", TQ_BENCH_STRING, offsetof(struct options, connect),
     "127.0.0.1:PORT: the running broker (required)"},
    {"count", TQ_BENCH_UINT, offsetof(struct options, count),
     "N: connections, one after the other "
     "(default 300)"},
    {"max-seconds", TQ_BENCH_UINT, offsetof(struct options, max_seconds),
     "SECONDS: stop early after this long (default 120)"},
    {"pki", TQ_BENCH_STRING, offsetof(struct options, pki),
     "DIR: the PKI of `tlsqual certs` (required)"},
    {"publish", TQ_BENCH_UINT, offsetof(struct options, publish),
     "0|1: a QoS 1 PUBLISH and its PUBACK after CONNACK, as the smoke case (default 1)"},
    {"server-name", TQ_BENCH_STRING, offsetof(struct options, server_name),
     "NAME: SNI and the host name verified (default: none sent, none verified)"},
    {"tls-max", TQ_BENCH_STRING, offsetof(struct options, tls_max), "1.2|1.3: highest TLS version"},
};

static void usage(FILE *out)
{
    tq_bench_usage(out, SYNOPSIS, option_table, ARRAY_LEN(option_table));
}

static int parse_options(struct options *o, int argc, char **argv)
{
    *o =
        (struct options){.cert = "device-rsa-2048", .count = 300, .max_seconds = 120, .publish = 1};
    int rc = tq_bench_parse_options(o, "tlsqual-bench-handshake", SYNOPSIS, option_table,
                                    ARRAY_LEN(option_table), argc, argv);
    if (rc != TQ_BENCH_OK)
        return rc;
    if (o->pki == NULL || o->connect == NULL || o->count == 0) {
        usage(stderr);
        return TQ_EXIT_USAGE;
    }
    return TQ_EXIT_OK;
}

static SSL_CTX *client_ctx(const struct options *o)
{
    SSL_CTX *ctx = tq_bench_client_ctx(o->pki, o->cert, o->tls_max, o->ciphers);
    if (ctx == NULL)
        return NULL;
    /* Every handshake is a full one, as every case of the harness: no session is kept or
     * offered again (cache off, no SSL_set_session). The session_ticket extension stays in the
     * ClientHello, as the backends send it, so the broker sees the same hello from both. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

/* read_packet reads one whole MQTT packet shorter than 128 bytes into `p`; its length or -1. */
static int read_packet(SSL *ssl, uint8_t *p, size_t cap)
{
    size_t got = 0;
    while (got < 2 || got < 2 + (size_t)p[1]) {
        if (got >= 2 && (p[1] & 0x80))
            return -1;
        int n = SSL_read(ssl, p + got, (int)(cap - got));
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return (int)got;
}

/* mqtt_exchange: CONNECT, CONNACK 0, [PUBLISH QoS 1, PUBACK], DISCONNECT. */
static bool mqtt_exchange(SSL *ssl, unsigned index, bool publish)
{
    char id[24];
    int id_len = snprintf(id, sizeof(id), "raw-%07u", index);
    uint8_t p[128] = {0x10, (uint8_t)(12 + id_len), 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60,
                      0,    (uint8_t)id_len};
    memcpy(p + 14, id, (size_t)id_len);
    if (SSL_write(ssl, p, 14 + id_len) <= 0)
        return false;
    int n = read_packet(ssl, p, sizeof(p));
    if (n != 4 || p[0] != 0x20 || p[3] != 0)
        return false;
    if (publish) {
        static const uint8_t pub[] = {0x32, 22,  0,   13,  't', 'l', 's', 'q', 'u', 'a', 'l', '/',
                                      's',  'm', 'o', 'k', 'e', 0,   1,   'h', 'e', 'l', 'l', 'o'};
        if (SSL_write(ssl, pub, sizeof(pub)) <= 0)
            return false;
        n = read_packet(ssl, p, sizeof(p));
        if (n != 4 || p[0] != 0x40 || p[3] != 1)
            return false;
    }
    static const uint8_t disconnect[] = {0xe0, 0x00};
    return SSL_write(ssl, disconnect, sizeof(disconnect)) > 0;
}

static int open_socket(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* one_connection runs the whole exchange; false on any error. `out_version` gets the version. */
static bool one_connection(SSL_CTX *ctx, const struct options *o, const struct sockaddr_in *addr,
                           unsigned index, const char **out_version, const char **out_suite)
{
    int fd = open_socket(addr);
    if (fd < 0)
        return false;
    SSL *ssl = SSL_new(ctx);
    bool ok = ssl != NULL && SSL_set_fd(ssl, fd) == 1;
    if (ok && o->server_name != NULL)
        ok = SSL_set_tlsext_host_name(ssl, o->server_name) == 1 &&
             SSL_set1_host(ssl, o->server_name) == 1;
    /* A resumed session would not be the reference's full handshake: counted as an error. */
    ok = ok && SSL_connect(ssl) == 1 && SSL_session_reused(ssl) == 0 &&
         mqtt_exchange(ssl, index, o->publish != 0);
    if (ok) {
        *out_version = SSL_get_version(ssl);
        *out_suite = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(fd);
    return ok;
}

static double cpu_seconds(void)
{
    struct tms t;
    times(&t);
    return (double)(t.tms_utime + t.tms_stime) / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(&o, argc, argv);
    if (rc != TQ_EXIT_OK)
        return rc < 0 ? TQ_EXIT_OK : rc;
    struct sockaddr_in addr;
    if (!tq_bench_parse_target(&addr, o.connect)) {
        fprintf(stderr, "tlsqual-bench-handshake: want a 127.0.0.0/8 address, got '%s'\n",
                o.connect);
        return TQ_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = client_ctx(&o);
    if (ctx == NULL)
        return TQ_EXIT_FAILED;
    const char *version = "?", *suite = "?";
    unsigned done = 0, errors = 0;
    double start = tq_bench_now_s(), cpu0 = cpu_seconds(), deadline = start + o.max_seconds;
    for (unsigned i = 0; i < o.count && tq_bench_now_s() < deadline; i++) {
        if (one_connection(ctx, &o, &addr, i, &version, &suite))
            done++;
        else
            errors++;
    }
    double elapsed = tq_bench_now_s() - start, cpu = cpu_seconds() - cpu0;
    printf("raw loop: %u of %u connections in %.2f s: %.1f connections/s "
           "(%s %s, client CPU %.2f ms each, errors %u)\n",
           done, o.count, elapsed, elapsed > 0 ? done / elapsed : 0.0, version, suite,
           done ? cpu * 1e3 / done : 0.0, errors);
    SSL_CTX_free(ctx);
    return errors == 0 ? TQ_EXIT_OK : TQ_EXIT_FAILED;
}
