/* tls.h: the broker's TLS server side (OpenSSL 3): the SSL_CTX with the endpoint's server
 * chains, client-certificate verification against the registry, and what each connection's
 * handshake revealed.
 *
 * Each connection attaches a caller-owned struct tq_tls_peer to its SSL with tq_tls_peer_attach;
 * OpenSSL's callbacks fill it during the handshake, so the connection can report what happened
 * (certificate id, refusal reason, alerts) without this module knowing about connections. */
#ifndef TQ_BROKER_TLS_H
#define TQ_BROKER_TLS_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>

#include "manifest.h"
#include "policy.h"
#include "registry.h"
#include "status.h"

/* How the server treats SNI (docs/aws-iot/endpoints.md#sni: the sources conflict, so all
 * three). */
enum tq_sni_mode {
    TQ_SNI_OPTIONAL, /* DEFAULT-mode certificates: "not required but highly recommended" */
    TQ_SNI_REQUIRED, /* "Connection attempts that don't include the SNI are refused" */
    TQ_SNI_ENDPOINT, /* required and equal to the endpoint name: "incorrect or invalid
                         * host_name ... will fail" */
};

/* Which chain files the ATS endpoint sends (docs/aws-iot/server-chains.md#cross-signs and
 * docs/aws-iot/server-chains.md#acm-cross-sign-change-2024). */
enum tq_chain_variant {
    TQ_CHAIN_SHORT,    /* leaf + intermediate: ats-server-rsa.chain.pem */
    TQ_CHAIN_CROSS,    /* + the cross-signed Amazon root: ats-server-*-cross.chain.pem */
    TQ_CHAIN_CROSS_G2, /* + the cross-signed Starfield G2, 4 deep: *-cross-g2.chain.pem */
};

/* What the listener is (docs/aws-iot/endpoints.md#ports-and-protocols). */
enum tq_listener_mode {
    TQ_LISTENER_MQTT, /* port 8883: MQTT with client certificates, ALPN optional */
    TQ_LISTENER_ALPN, /* port 443: MQTT with client certificates only with ALPN
                          * x-amzn-mqtt-ca; anything else gets no_application_protocol */
};

/* Whether the device certificate's validity period is checked at connect
 * (docs/aws-iot/client-certificates.md#validity-at-connect: undocumented). */
enum tq_validity_mode {
    TQ_VALIDITY_STRICT, /* expired or not yet valid: refused (reason expired, not_yet_valid) */
    TQ_VALIDITY_IGNORE, /* accepted, as AWS may do */
};

/* Whether the device CAs' CRLs are checked (docs/aws-iot/client-certificates.md#revocation:
 * AWS does not). */
enum tq_crl_mode {
    TQ_CRL_OFF,
    TQ_CRL_ON,
};

/* struct tq_tls_settings configures tq_tls_server_new. The SSL_CTX keeps a pointer to it: it
 * must outlive the SSL_CTX and every SSL made from it. */
struct tq_tls_settings {
    const char *endpoint;        /* "ats" or "legacy": selects the server chains */
    enum tq_chain_variant chain; /* ATS only: the legacy endpoint has one chain */
    const char *server_cert;     /* NULL, or the artifact served for every suite instead */
    enum tq_listener_mode listener;
    enum tq_validity_mode validity;
    enum tq_crl_mode crl;
    const struct tq_policy *policy; /* TLS versions and suites (policy.h) */
    enum tq_sni_mode sni_mode;
    const char *endpoint_host; /* the name TQ_SNI_ENDPOINT wants; NULL: none known */
    const struct tq_registry *registry;
    /* true: a client certificate the registry refuses fails the handshake with a fatal
     * `refusal_alert` (docs/aws-iot/client-certificates.md#refusal-point, "alert in
     * handshake"). false: the handshake completes and the connection decides
     * (tq_tls_peer.refusal is set either way). */
    bool refuse_in_handshake;
    int refusal_alert; /* a TQ_TLS_REFUSAL_ALERTS code, e.g. 46 */
    /* Filled by tq_tls_server_new: the artifact names whose chains are served, in load order
     * (the first one is the default chain); unused slots are NULL. */
    const char *served[2];
};

/* The alerts a registry refusal can send: certificate_unknown (46, what AWS staff saw for a
 * deactivated certificate: docs/aws-iot/client-certificates.md#refusal-point),
 * bad_certificate (42), certificate_revoked (44), handshake_failure (40). */
#define TQ_TLS_ALERT_CERTIFICATE_UNKNOWN 46

/* struct tq_tls_peer is what one handshake revealed. Alerts are TLS AlertDescription codes,
 * -1 when none was seen; a fatal alert is kept in preference to close_notify. */
struct tq_tls_peer {
    char cert_id[65];         /* SHA-256 of the leaf's DER, lowercase hex; "" when none seen */
    char subject[256];        /* RFC 2253 subject of the leaf; "" when none seen */
    const X509 *described;    /* the leaf that cert_id and subject describe (not owned) */
    const char *refusal;      /* NULL, or why the certificate may not connect: a registry reason
                              * (tq_registry_refusal) or a chain one ("unknown_ca", "expired",
                              * "not_yet_valid", "crl_revoked", "invalid") */
    int verify_error;         /* X509_V_ERR_* of a chain failure, 0 otherwise */
    const char *sni_refusal;  /* NULL, "missing" or "mismatch": the SNI mode refused the hello */
    const char *alpn_refusal; /* NULL, "missing" or "mismatch": TQ_LISTENER_ALPN refused */
    const char *validity_ignored; /* NULL, or "expired" / "not_yet_valid": a validity error
                                   * that TQ_VALIDITY_IGNORE let pass */
    int alert_sent;
    int alert_received;
    json_t *hello; /* the first ClientHello's summary (hello.h), owned; NULL once
                              * taken. A malformed hello gives {"malformed": "..."} */
    /* Just-in-time registration (docs/aws-iot/client-certificates.md#jitr): set when the leaf
     * is unregistered but chains to a registered ACTIVE CA with auto-registration on.
     * `jitr_leaf` is owned (the caller releases it with X509_free); `jitr_ca` is that CA's id;
     * refusal is then "pending_activation", the status the certificate is about to get. */
    X509 *jitr_leaf;
    char jitr_ca[65];
};

/* tq_tls_server_new builds the server SSL_CTX in `*out`: the versions and suites of the security
 * policy (every policy refuses TLS 1.0/1.1: OpenSSL answers with the protocol_version alert),
 * no session tickets (docs/aws-iot/tls.md#session-tickets), the server chains from the
 * manifest (`server_cert` alone when set; otherwise the endpoint's: for ats the RSA chain
 * always and the ECDSA one when the PKI has it, so ECDSA suites get the EC chain, in the
 * `chain` variant; for legacy the VeriSign-like RSA chain), a required client certificate
 * verified against the registry's device CAs (and, as their own trust anchors, the
 * certificates registered without a CA: mode SNI_ONLY, which must then send SNI; both read with
 * tq_tls_entry_x509) with the `validity` and `crl` modes, the SNI mode, and
 * ALPN x-amzn-mqtt-ca (acknowledged when offered; required on a TQ_LISTENER_ALPN listener).
 * It fills settings->served.
 * On failure `*out` is NULL and `diag` names the artifact or file. The caller frees `*out` with
 * SSL_CTX_free. */
TQ_MUST_USE tq_status tq_tls_server_new(struct tq_diag *diag, SSL_CTX **out,
                                        const struct tq_manifest *manifest,
                                        struct tq_tls_settings *settings);

/* tq_tls_peer_attach resets `peer` and makes `ssl`'s callbacks fill it. The caller releases
 * `peer->hello` (json_decref) if it did not take it. */
void tq_tls_peer_attach(SSL *ssl, struct tq_tls_peer *peer);

/* tq_tls_entry_x509 returns a new X509 (the caller frees it) for registry entry `entry`: its
 * inline PEM, else its certificate file. NULL when it cannot be read. */
X509 *tq_tls_entry_x509(const struct tq_registry_entry *entry);

/* tq_tls_pem_x509 parses the first certificate of `pem` (NUL-terminated) into a new X509, or
 * returns NULL. */
X509 *tq_tls_pem_x509(const char *pem);

/* tq_tls_cert_id writes the certificate id of `cert` (lowercase hex SHA-256 of its DER) into
 * `out` (65 bytes); "" if it cannot be computed. */
void tq_tls_cert_id(X509 *cert, char out[65]);

/* tq_tls_alert_name returns the alert word of `code` in the outcome vocabulary
 * (common/outcome_vocab.h): its registry name ("certificate_unknown"), or "alert_<code>" for a
 * code without one; "unknown" outside 0..255. */
const char *tq_tls_alert_name(int code);

/* tq_tls_alert_code returns the code of alert `name` among those a refusal may send, or -1. */
int tq_tls_refusal_alert_code(const char *name);

/* tq_tls_endpoint_known is true when `endpoint` names an entry of the endpoint chain table. */
bool tq_tls_endpoint_known(const char *endpoint);

/* tq_tls_chain_variant_name returns "short", "cross" or "cross-g2". */
const char *tq_tls_chain_variant_name(enum tq_chain_variant chain);

#endif
