/* backend_ops.h: the contract between the shared backend driver and one TLS library.
 *
 * A backend executable is the driver (this folder, a static library that links no TLS library)
 * plus one `const struct tq_tls_client_ops` table and a three-line `main`:
 *
 *     int main(int argc, char **argv) { return tq_backend_main(&tq_openssl_ops, argc, argv); }
 *
 * The driver owns everything that is the same for every library: the command line, reading and
 * validating case lines (docs/backend-protocol.md), the TCP connection, deadlines, the MQTT
 * exchange, timings and the result line. The ops table owns only the TLS library, in two
 * layers: a *configured context* (SSL_CTX, mbedtls_ssl_config, WOLFSSL_CTX, GnuTLS credentials
 * and priorities) built from the [context] members of a `struct tq_client_config`, and
 * *connections* (SSL, mbedtls_ssl_context, WOLFSSL, gnutls_session_t) made from it, one per
 * case: handshake on a connected blocking socket, move bytes, describe the session, and map the
 * library's errors to the canonical outcomes with a table.
 *
 * One `--run` process serves many cases in turn. The driver keeps the configured context of the
 * previous case and reuses it for the next case when every [context] member is equal and every
 * file those members name is unchanged (same path, device, inode, size, mtime and ctime);
 * otherwise it releases it and configures a new one (config_cache.h). A context is never shared
 * by two connections at once.
 *
 * Call order, per context: `configure` once; then, per case that uses it, `open`, [`handshake`,
 * `read`, `write`, `close`], `describe` (only after a successful `open`), `cleanup`; finally
 * `release` once. `cleanup` is called once after every `open` and `release` once after every
 * `configure`, also when they failed part way, so both must accept any partial state.
 *
 * Conventions for every ops function:
 * - `config` is `config_size` zeroed bytes and `conn` is `conn_size` zeroed bytes, both owned by
 *   the driver; a fresh `conn` for every case.
 * - A failing function returns a failed tq_status *and* fills `out` with the canonical outcome,
 *   the library's error text and, for `unsupported`, the reason. It never prints to stdout.
 * - Every case is a full handshake from a clean state (docs/backend-protocol.md, "sessions"): a
 *   connection must not resume a session or see anything an earlier connection left in the
 *   context (session caches off; no state that a handshake adds to the context, such as
 *   intermediate certificates a library caches, may survive into the next connection).
 * - The socket is blocking; the driver arms SO_RCVTIMEO/SO_SNDTIMEO with the time left before
 *   every call, and turns any failure after the deadline into outcome `timeout` itself. */
#ifndef TQ_BACKEND_OPS_H
#define TQ_BACKEND_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exit_codes.h" /* enum tq_backend_exit: what tq_backend_main returns */
#include "outcome.h"
#include "status.h"

/* TLS versions, in order. TQ_TLS_ANY means "the library's default" for that bound. */
enum tq_tls_version {
    TQ_TLS_ANY = 0,
    TQ_TLS_1_0 = 1,
    TQ_TLS_1_1 = 2,
    TQ_TLS_1_2 = 3,
    TQ_TLS_1_3 = 4,
};
#define TQ_VERSION_BIT(v) (1u << (v))

/* Features a backend may declare (the capability names are in driver/capabilities.c). The
 * driver answers a case that needs an undeclared feature with outcome `unsupported` itself. */
enum tq_feature {
    TQ_FEAT_SNI = 1u << 0,    /* sends server_name as SNI */
    TQ_FEAT_NO_SNI = 1u << 1, /* can verify server_name while sending no SNI */
    TQ_FEAT_ALPN = 1u << 2,
    TQ_FEAT_CRL = 1u << 3, /* checks CRLs of the whole chain */
    TQ_FEAT_CLIENT_CERT = 1u << 4,
    TQ_FEAT_VERIFY_TIME = 1u << 5, /* validates as of a given time */
    TQ_FEAT_MFL = 1u << 6,         /* RFC 6066 max_fragment_length */
    TQ_FEAT_GROUPS = 1u << 7,      /* restricts key-exchange groups */
    TQ_FEAT_SIGALGS = 1u << 8,     /* restricts signature algorithms */
    TQ_FEAT_SUITES = 1u << 9,      /* restricts cipher suites */
    TQ_FEAT_NO_VERIFY = 1u << 10,  /* verify_peer false */
};

/* struct tq_str_list is a list of owned strings. `present` tells an absent member (library
 * default) from an empty array. */
struct tq_str_list {
    bool present;
    size_t num;
    char **items;
};

struct tq_mqtt_sub_spec {
    char *topic;
    uint8_t qos;
};

struct tq_mqtt_pub_spec {
    char *topic;
    uint8_t qos;
    char *payload;
};

/* struct tq_mqtt_spec is the case's `mqtt` member; `present` is false when it is absent. */
struct tq_mqtt_spec {
    bool present;
    char *client_id;     /* NULL: "tlsqual-backend" */
    uint16_t keep_alive; /* seconds */
    size_t num_subscribe;
    struct tq_mqtt_sub_spec *subscribe;
    size_t num_publish;
    struct tq_mqtt_pub_spec *publish;
    uint32_t expect_messages;
};

/* struct tq_client_config is one validated case. Strings are owned, NUL-terminated and contain
 * no NUL; a NULL string or a list with `present == false` means the member was absent.
 *
 * [context] members are all that `configure` may read: cases that differ only in the other,
 * [connection] members share one configured context, and `open` applies those to the
 * connection. File members ([context, file]) are compared by path and by the file's identity
 * (stat: device, inode, size, mtime, ctime), so a regenerated PKI is loaded again. */
struct tq_client_config {
    char *id;                        /* [connection] */
    char *host;                      /* [connection] */
    uint16_t port;                   /* [connection] */
    char *server_name;               /* [connection] SNI and the name verified */
    bool send_sni;                   /* [connection] default true */
    bool verify_peer;                /* [context] default true */
    struct tq_str_list trust;        /* [context, file] PEM files */
    char *cert;                      /* [context, file] */
    char *key;                       /* [context, file] */
    char *chain;                     /* [context, file] */
    struct tq_str_list crl;          /* [context, file] PEM files */
    enum tq_tls_version min_version; /* [context] */
    enum tq_tls_version max_version; /* [context] */
    struct tq_str_list suites;       /* [context] IANA names */
    struct tq_str_list groups;       /* [context] IANA names */
    struct tq_str_list sigalgs;      /* [context] IANA names */
    struct tq_str_list alpn;         /* [context] each 1..255 bytes */
    unsigned max_fragment_length;    /* [context] 0: absent; else 512, 1024, 2048 or 4096 */
    bool has_verify_time;            /* [connection] */
    int64_t verify_time;             /* [connection] Unix seconds */
    uint32_t timeout_ms;             /* [connection] default 10000 */
    struct tq_mqtt_spec mqtt;        /* [connection] */
};

/* The most peer certificates a result reports. */
#define TQ_MAX_PEER_CHAIN 10

struct tq_peer_cert {
    char subject[512]; /* RFC 2253 (as close as the library gets; see docs/backends.md) */
    char issuer[512];
    char sha256[65]; /* lowercase hex of the DER */
};

/* struct tq_session_info is what `describe` reports. Empty strings mean null in the result. */
struct tq_session_info {
    char version[16]; /* "TLSv1.2" */
    char suite[128];  /* IANA name */
    char alpn[256];
    size_t num_chain;
    struct tq_peer_cert chain[TQ_MAX_PEER_CHAIN];
    bool has_verify; /* false: verification never ran, `verify` is null */
    bool verify_ok;
    char verify_code[32]; /* the library's own code, as text */
    char verify_text[256];
    int alert_sent; /* alert description (RFC 8446 number), -1: none */
    int alert_received;
    bool resumed; /* the handshake resumed a session: the driver fails the case */
};

/* Which list `list_names` is asked for. */
enum tq_name_kind {
    TQ_NAMES_SUITES,
    TQ_NAMES_GROUPS,
    TQ_NAMES_SIGALGS,
};

/* struct tq_name_sink collects names for the capabilities line; backends only call
 * tq_name_sink_add on it. */
struct tq_name_sink;

/* tq_name_sink_add adds `name` (copied) to the list being built. */
void tq_name_sink_add(struct tq_name_sink *sink, const char *name);

/* Key types a backend can use for its client certificate (capability "key_types"). */
enum tq_key_type {
    TQ_KEY_RSA = 1u << 0,
    TQ_KEY_EC = 1u << 1,
    TQ_KEY_DSA = 1u << 2,
};

struct tq_tls_client_ops {
    const char *name;          /* "openssl": the executable is tlsqual-backend-<name> */
    uint32_t versions;         /* TQ_VERSION_BIT(TQ_TLS_1_2) | ... */
    uint32_t features;         /* enum tq_feature bits */
    uint32_t client_key_types; /* enum tq_key_type bits; 0: not declared (any is tried) */
    size_t config_size;        /* bytes the driver allocates (zeroed) per configured context */
    size_t conn_size;          /* bytes the driver allocates (zeroed) per connection */

    /* global_init runs once per process before anything else (library init, RNG seeding). */
    tq_status (*global_init)(struct tq_diag *diag);
    /* library_version returns the library's own version text, e.g. "OpenSSL 3.0.17 1 Jul 2025". */
    const char *(*library_version)(void);
    /* list_names adds every IANA name of `kind` the backend can honour to `sink`. */
    void (*list_names)(enum tq_name_kind kind, struct tq_name_sink *sink);

    /* configure builds the library context in `config` from the [context] members of `cfg`
     * (and no other member: the context is reused for cases that differ in those). A name the
     * library cannot honour (suite, group, sigalg) is outcome `unsupported` with a reason
     * naming it: never dropped silently. A file that cannot be loaded is outcome
     * `config_error`. The driver keeps a context only when `configure` succeeded. */
    tq_status (*configure)(void *config, struct tq_outcome *out,
                           const struct tq_client_config *cfg);
    /* release frees everything `configure` (and `open`, in `config`) made. */
    void (*release)(void *config);
    /* open makes the connection `conn` for `cfg` from `config`, which `configure` built for a
     * case with the same [context] members, and applies the [connection] members (server name,
     * SNI, verify_time). It may read any member of `cfg`. A connection that fails part way, or
     * a failed `open`, leaves `config` fit for the next `open`. */
    tq_status (*open)(void *conn, void *config, struct tq_outcome *out,
                      const struct tq_client_config *cfg);
    /* handshake runs the TLS handshake on the connected socket `fd` (which the driver closes). */
    tq_status (*handshake)(void *conn, struct tq_outcome *out, int fd);
    /* read reads up to `buf_len` (> 0) application bytes. `*out_len` 0 means the peer closed the
     * connection (close_notify or TCP FIN); a fatal alert or other error is a failure. */
    tq_status (*read)(void *conn, struct tq_outcome *out, uint8_t *buf, size_t buf_len,
                      size_t *out_len);
    /* write writes all `len` bytes or fails. */
    tq_status (*write)(void *conn, struct tq_outcome *out, const uint8_t *buf, size_t len);
    /* describe fills `info` (which the driver zeroed and set alerts to -1). It is called after a
     * completed or failed handshake, before `close`. */
    void (*describe)(void *conn, struct tq_session_info *info);
    /* close sends close_notify (best effort; never waits for the peer's). */
    void (*close)(void *conn);
    /* cleanup frees everything `open` and later calls on `conn` made. */
    void (*cleanup)(void *conn);
};

/* tq_backend_main is the whole driver: it parses argv, runs --capabilities or --run with `ops`
 * and returns the process exit code (enum tq_backend_exit). */
int tq_backend_main(const struct tq_tls_client_ops *ops, int argc, char **argv);

/* tq_tls_version_name returns "1.0" ... "1.3", or "default" for TQ_TLS_ANY. */
const char *tq_tls_version_name(enum tq_tls_version v);

/* tq_is_ip_literal is true when `name` is an IPv4 or IPv6 address literal. */
bool tq_is_ip_literal(const char *name);

#endif
