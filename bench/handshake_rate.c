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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, IO_TIMEOUT_S = 5 };

struct options {
    const char *pki;          /* the PKI folder of `tlsqual certs` */
    const char *cert;         /* device artifact name */
    const char *connect;      /* "127.x.y.z:PORT" */
    const char *server_name;  /* SNI and the name verified in the server certificate, or NULL */
    const char *tls_max;      /* "1.2" or "1.3" (default: the library's) */
    const char *ciphers;      /* TLS 1.2 cipher list, or NULL */
    unsigned count;
    unsigned max_seconds;
    unsigned publish;         /* 1: a QoS 1 PUBLISH and its PUBACK after CONNACK */
};

enum opt_kind { K_STRING, K_UINT };

static const struct {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    const char *help;
} option_table[] = {
    {"cert", K_STRING, offsetof(struct options, cert),
     "NAME: device artifact to connect with (default device-rsa-2048)"},
    {"ciphers", K_STRING, offsetof(struct options, ciphers), "LIST: TLS 1.2 cipher list"},
    {"connect", K_STRING, offsetof(struct options, connect),
     "127.0.0.1:PORT: the running broker (required)"},
    {"count", K_UINT, offsetof(struct options, count), "N: connections, one after the other "
     "(default 300)"},
    {"max-seconds", K_UINT, offsetof(struct options, max_seconds),
     "SECONDS: stop early after this long (default 120)"},
    {"pki", K_STRING, offsetof(struct options, pki), "DIR: the PKI of `tlsqual certs` (required)"},
    {"publish", K_UINT, offsetof(struct options, publish),
     "0|1: a QoS 1 PUBLISH and its PUBACK after CONNACK, as the smoke case (default 1)"},
    {"server-name", K_STRING, offsetof(struct options, server_name),
     "NAME: SNI and the host name verified (default: none sent, none verified)"},
    {"tls-max", K_STRING, offsetof(struct options, tls_max), "1.2|1.3: highest TLS version"},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: tlsqual-bench-handshake --pki DIR --connect 127.0.0.1:PORT [options]\n\n");
    for (size_t i = 0; i < ARRAY_LEN(option_table); i++)
        fprintf(out, "  --%-13s %s\n", option_table[i].name, option_table[i].help);
}

static bool set_option(struct options *o, size_t i, const char *value)
{
    char *field = (char *)o + option_table[i].offset;
    if (option_table[i].kind == K_STRING) {
        *(const char **)(void *)field = value;
        return true;
    }
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n > 1000000) {
        fprintf(stderr, "tlsqual-bench-handshake: --%s: want a number, got '%s'\n",
                option_table[i].name, value);
        return false;
    }
    *(unsigned *)(void *)field = (unsigned)n;
    return true;
}

static int parse_options(struct options *o, int argc, char **argv)
{
    *o = (struct options){.cert = "device-rsa-2048", .count = 300, .max_seconds = 120,
                          .publish = 1};
    struct option longopts[ARRAY_LEN(option_table) + 2];
    for (size_t i = 0; i < ARRAY_LEN(option_table); i++)
        longopts[i] = (struct option){option_table[i].name, required_argument, NULL, (int)i};
    longopts[ARRAY_LEN(option_table)] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[ARRAY_LEN(option_table) + 1] = (struct option){0};
    int c;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?' || !set_option(o, (size_t)c, optarg))
            return EXIT_USAGE;
    }
    if (o->pki == NULL || o->connect == NULL || o->count == 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* parse_target accepts "127.x.y.z:PORT" only: this tool never loads another host. */
static bool parse_target(struct sockaddr_in *out, const char *text)
{
    char host[32];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
        return false;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    *out = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    return *end == '\0' && port > 0 && port < 65536 &&
           inet_pton(AF_INET, host, &out->sin_addr) == 1 &&
           (ntohl(out->sin_addr.s_addr) >> 24) == 127;
}

static SSL_CTX *client_ctx(const struct options *o)
{
    char cert[1024], key[1024], roots[2][1024];
    snprintf(cert, sizeof(cert), "%s/%s.pem", o->pki, o->cert);
    snprintf(key, sizeof(key), "%s/%s.key", o->pki, o->cert);
    snprintf(roots[0], sizeof(roots[0]), "%s/ats-root-ca-1.pem", o->pki);
    snprintf(roots[1], sizeof(roots[1]), "%s/ats-root-ca-3.pem", o->pki);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    bool ok = ctx != NULL && SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 &&
              SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 &&
              SSL_CTX_load_verify_locations(ctx, roots[0], NULL) == 1 &&
              SSL_CTX_load_verify_locations(ctx, roots[1], NULL) == 1;
    if (ok && o->tls_max != NULL)
        ok = SSL_CTX_set_max_proto_version(ctx, strcmp(o->tls_max, "1.2") == 0
                                                    ? TLS1_2_VERSION : TLS1_3_VERSION) == 1;
    if (ok && o->ciphers != NULL)
        ok = SSL_CTX_set_cipher_list(ctx, o->ciphers) == 1;
    if (!ok) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* Every handshake is a full one, as each case of the harness is a fresh client. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
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
                      0, (uint8_t)id_len};
    memcpy(p + 14, id, (size_t)id_len);
    if (SSL_write(ssl, p, 14 + id_len) <= 0)
        return false;
    int n = read_packet(ssl, p, sizeof(p));
    if (n != 4 || p[0] != 0x20 || p[3] != 0)
        return false;
    if (publish) {
        static const uint8_t pub[] = {0x32, 22, 0, 13, 't', 'l', 's', 'q', 'u', 'a', 'l', '/',
                                      's', 'm', 'o', 'k', 'e', 0, 1, 'h', 'e', 'l', 'l', 'o'};
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
    ok = ok && SSL_connect(ssl) == 1 && mqtt_exchange(ssl, index, o->publish != 0);
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
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    struct sockaddr_in addr;
    if (!parse_target(&addr, o.connect)) {
        fprintf(stderr, "tlsqual-bench-handshake: want a 127.0.0.0/8 address, got '%s'\n",
                o.connect);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = client_ctx(&o);
    if (ctx == NULL)
        return EXIT_FAILED;
    const char *version = "?", *suite = "?";
    unsigned done = 0, errors = 0;
    double start = now_s(), cpu0 = cpu_seconds(), deadline = start + o.max_seconds;
    for (unsigned i = 0; i < o.count && now_s() < deadline; i++) {
        if (one_connection(ctx, &o, &addr, i, &version, &suite))
            done++;
        else
            errors++;
    }
    double elapsed = now_s() - start, cpu = cpu_seconds() - cpu0;
    printf("raw loop: %u of %u connections in %.2f s: %.1f connections/s "
           "(%s %s, client CPU %.2f ms each, errors %u)\n",
           done, o.count, elapsed, elapsed > 0 ? done / elapsed : 0.0, version, suite,
           done ? cpu * 1e3 / done : 0.0, errors);
    SSL_CTX_free(ctx);
    return errors == 0 ? EXIT_OK : EXIT_FAILED;
}
