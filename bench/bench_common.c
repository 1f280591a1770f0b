#include "bench_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_OPTIONS = 64 };

/* see bench_common.h */
double tq_bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* see bench_common.h */
void tq_bench_usage(FILE *out, const char *synopsis, const struct tq_bench_option *table,
                    size_t num)
{
    fprintf(out, "usage: %s\n\n", synopsis);
    for (size_t i = 0; i < num; i++)
        fprintf(out, "  --%-15s %s\n", table[i].name, table[i].help);
}

static bool set_option(void *base, const char *tool, const struct tq_bench_option *o,
                       const char *value)
{
    char *field = (char *)base + o->offset;
    if (o->kind == TQ_BENCH_STRING) {
        *(const char **)(void *)field = value;
        return true;
    }
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n > 1000000) {
        fprintf(stderr, "%s: --%s: want a number, got '%s'\n", tool, o->name, value);
        return false;
    }
    *(unsigned *)(void *)field = (unsigned)n;
    return true;
}

/* see bench_common.h */
int tq_bench_parse_options(void *base, const char *tool, const char *synopsis,
                           const struct tq_bench_option *table, size_t num, int argc, char **argv)
{
    struct option longopts[MAX_OPTIONS + 2];
    if (num > MAX_OPTIONS)
        return TQ_BENCH_USAGE;
    for (size_t i = 0; i < num; i++)
        longopts[i] = (struct option){table[i].name, required_argument, NULL, (int)i};
    longopts[num] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[num + 1] = (struct option){0};
    for (int c; (c = getopt_long(argc, argv, "+", longopts, NULL)) != -1;) {
        if (c == 'h') {
            tq_bench_usage(stdout, synopsis, table, num);
            return TQ_BENCH_HELP;
        }
        if (c == '?' || !set_option(base, tool, &table[c], optarg))
            return TQ_BENCH_USAGE;
    }
    return TQ_BENCH_OK;
}

/* see bench_common.h */
bool tq_bench_parse_target(struct sockaddr_in *out, const char *text)
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

/* see bench_common.h */
SSL_CTX *tq_bench_client_ctx(const char *pki, const char *cert_name, const char *tls_max,
                             const char *ciphers)
{
    char cert[1024], key[1024], roots[2][1024];
    snprintf(cert, sizeof(cert), "%s/%s.pem", pki, cert_name);
    snprintf(key, sizeof(key), "%s/%s.key", pki, cert_name);
    snprintf(roots[0], sizeof(roots[0]), "%s/ats-root-ca-1.pem", pki);
    snprintf(roots[1], sizeof(roots[1]), "%s/ats-root-ca-3.pem", pki);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    bool ok = ctx != NULL && SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 &&
              SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 &&
              SSL_CTX_load_verify_locations(ctx, roots[0], NULL) == 1 &&
              SSL_CTX_load_verify_locations(ctx, roots[1], NULL) == 1;
    if (ok && tls_max != NULL)
        ok = SSL_CTX_set_max_proto_version(ctx, strcmp(tls_max, "1.2") == 0 ? TLS1_2_VERSION
                                                                            : TLS1_3_VERSION) == 1;
    if (ok && ciphers != NULL)
        ok = SSL_CTX_set_cipher_list(ctx, ciphers) == 1;
    if (!ok) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}
