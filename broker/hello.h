/* hello.h: a summary of a TLS ClientHello, for the broker's client_hello event.
 *
 * The ClientHello is read from the raw handshake message (OpenSSL's message callback hands it
 * over), so every extension appears, in wire order, GREASE and unknown ones included. All
 * reading goes through struct tq_cursor. */
#ifndef TQ_BROKER_HELLO_H
#define TQ_BROKER_HELLO_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* The largest ClientHello summarized; a longer one is TQ_ERR_LIMIT. */
#define TQ_HELLO_MAX_LEN (64 * 1024)

/* tq_hello_summarize parses the ClientHello handshake message at `msg` (from its type byte, 1)
 * and stores in `*out` a new JSON object with the members:
 *   legacy_version ("TLSv1.2"), versions (supported_versions, or [legacy_version]),
 *   suites (IANA names; "GREASE"; "0xNNNN" for a code `ssl` does not know, or for every code
 *   when `ssl` is NULL), groups, point_formats, sigalgs (RFC 8446 names or "0xNNNN"),
 *   sni (or null), alpn ([strings]), extensions ([numbers], wire order),
 *   ja3 (the JA3 string: version,suites,extensions,groups,point formats; GREASE left out),
 *   ja3_md5 (its MD5, lowercase hex).
 * On failure `*out` is NULL and `diag` says what is malformed. The caller owns `*out`. */
TQ_MUST_USE tq_status tq_hello_summarize(struct tq_diag *diag, json_t **out, SSL *ssl,
                                         const uint8_t *msg, size_t len);

#endif
