/* registry.h: reads DIR/registry.json, the mock AWS IoT certificate registry (docs/pki.md).
 *
 * The registry answers two questions for the broker: which device CAs it trusts ("cas", their
 * certificate files), and whether a client certificate, found by its id (lowercase hex SHA-256
 * of the DER certificate), may connect ("certificates"). Every string is owned by the registry
 * and lives until tq_registry_free. */
#ifndef TQ_BROKER_REGISTRY_H
#define TQ_BROKER_REGISTRY_H

#include <stddef.h>

#include "status.h"

struct tq_registry;

/* struct tq_registry_entry is one "cas" or "certificates" member. `cert` is an absolute path
 * (DIR joined with the file member); `ca` is NULL for CA entries. */
struct tq_registry_entry {
    const char *id;
    const char *name;
    const char *cert;
    const char *status;    /* ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, ... */
    const char *mode;      /* DEFAULT or SNI_ONLY */
    const char *ca;
};

/* tq_registry_load reads `dir`/registry.json into a new registry in `*out`. Every entry must
 * have id (64 lowercase hex digits), name, cert (a plain file name) and status. On failure
 * `*out` is NULL and `diag` names the file and the entry that was wrong. */
TQ_MUST_USE tq_status tq_registry_load(struct tq_diag *diag, struct tq_registry **out,
                                       const char *dir);

/* tq_registry_parse is tq_registry_load on the text of a registry file already in memory
 * (`text_len` bytes, no NUL needed). `path` is where that file would be: errors name it, and
 * "cert" members are joined to its directory, so it must contain a '/' (else TQ_ERR_USAGE). */
TQ_MUST_USE tq_status tq_registry_parse(struct tq_diag *diag, struct tq_registry **out,
                                        const char *path, const char *text, size_t text_len);

/* tq_registry_free releases `reg`; NULL is a no-op. */
void tq_registry_free(struct tq_registry *reg);

/* tq_registry_num_cas and tq_registry_ca enumerate the "cas" entries in file order. */
size_t tq_registry_num_cas(const struct tq_registry *reg);
const struct tq_registry_entry *tq_registry_ca(const struct tq_registry *reg, size_t i);

/* tq_registry_num_certificates and tq_registry_certificate enumerate the "certificates"
 * entries in file order. */
size_t tq_registry_num_certificates(const struct tq_registry *reg);
const struct tq_registry_entry *tq_registry_certificate(const struct tq_registry *reg, size_t i);

/* tq_registry_find returns the "certificates" entry whose id is `id`, or NULL. */
const struct tq_registry_entry *tq_registry_find(const struct tq_registry *reg, const char *id);

/* tq_registry_refusal says why a client certificate may not connect (aws-iot-facts.md §4.3:
 * "Certificates must be in the ACTIVE state to authenticate devices"): NULL when `entry` is
 * ACTIVE, "unregistered" when `entry` is NULL, otherwise the status in lower case
 * ("inactive", "revoked", "pending_transfer", ...). */
const char *tq_registry_refusal(const struct tq_registry_entry *entry);

#endif
