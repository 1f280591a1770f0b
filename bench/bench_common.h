/* bench_common.h: what the benchmark tools share: the clock, a table-driven option parser,
 * the loopback-only target parser, and the mutual-TLS client context of a device. OpenSSL only:
 * no other TLS library may be linked into a bench tool (they share symbol names). */
#ifndef TQ_BENCH_COMMON_H
#define TQ_BENCH_COMMON_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

enum { TQ_BENCH_OK = 0, TQ_BENCH_FAILED = 1, TQ_BENCH_USAGE = 2, TQ_BENCH_HELP = -1 };

enum tq_bench_kind { TQ_BENCH_STRING, TQ_BENCH_UINT };

/* struct tq_bench_option: `--name VALUE` stored at `offset` of the tool's options struct as a
 * const char * (TQ_BENCH_STRING) or an unsigned of at most 1,000,000 (TQ_BENCH_UINT). */
struct tq_bench_option {
    const char *name;
    enum tq_bench_kind kind;
    size_t offset;
    const char *help;
};

/* tq_bench_now_s returns a monotonic clock in seconds. */
double tq_bench_now_s(void);

/* tq_bench_usage prints "usage: SYNOPSIS" and one line per option of `table`. */
void tq_bench_usage(FILE *out, const char *synopsis, const struct tq_bench_option *table,
                    size_t num);

/* tq_bench_parse_options reads argv into `base` by `table` (plus --help). Returns TQ_BENCH_OK,
 * TQ_BENCH_HELP when the usage was printed for --help, or TQ_BENCH_USAGE after a message on
 * stderr naming `tool`, the option and what it wants. */
int tq_bench_parse_options(void *base, const char *tool, const char *synopsis,
                           const struct tq_bench_option *table, size_t num, int argc, char **argv);

/* tq_bench_parse_target accepts "127.x.y.z:PORT" only: a bench tool never loads another host. */
bool tq_bench_parse_target(struct sockaddr_in *out, const char *text);

/* tq_bench_client_ctx returns a TLS client context that presents artifact `cert` of the PKI in
 * `pki` (its .pem and .key), trusts the ATS roots 1 and 3, caps the version at `tls_max`
 * ("1.2", "1.3" or NULL) and, when not NULL, restricts TLS 1.2 suites to `ciphers`. The chain is
 * verified, the host name is not (the caller sets it where it wants it). NULL after printing
 * OpenSSL's errors. */
SSL_CTX *tq_bench_client_ctx(const char *pki, const char *cert, const char *tls_max,
                             const char *ciphers);

#endif
