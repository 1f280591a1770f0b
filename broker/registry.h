/* registry.h: the mock AWS IoT certificate registry, registry.json (docs/pki.md), and the
 * broker's durable state.
 *
 * The registry answers two questions for the broker: which device CAs it trusts ("cas"), and
 * whether a client certificate, found by its id (lowercase hex SHA-256 of the DER certificate),
 * may connect ("certificates"). The control-plane API (api.h) changes it: every change is
 * written to the registry file atomically and synced (tq_fs_write_atomic) before the call that
 * made it returns, so a change the caller saw succeed survives a crash.
 *
 * Every string is owned by the registry. Entry pointers stay valid until the next change
 * (tq_registry_add, _update, _remove, _reload) or tq_registry_free, whichever comes first. */
#ifndef TQ_BROKER_REGISTRY_H
#define TQ_BROKER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

struct tq_registry;

/* The two lists of registry.json. */
enum tq_registry_list {
    TQ_REGISTRY_CAS,
    TQ_REGISTRY_CERTIFICATES,
};

/* struct tq_registry_entry is one "cas" or "certificates" member.
 * `cert` is an absolute path: the certificate directory joined with the "cert" member. An entry
 * added through the API carries its certificate inline instead ("pem" member, `pem` here, and no
 * "cert" member): `cert` is then the name such a file would have (DIR/<id>.pem), which need not
 * exist, so read a certificate with tq_tls_entry_x509 (tls.h), never from `cert` directly.
 * `ca` is NULL for CA entries and for certificates registered without a CA. `created` and
 * `modified` are seconds since the epoch, 0 when the file does not say. */
struct tq_registry_entry {
    const char *id;
    const char *name;
    const char *cert;
    const char *pem;    /* NULL unless the certificate is inline */
    const char *status; /* ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, ... */
    const char *mode;   /* DEFAULT or SNI_ONLY; NULL: DEFAULT */
    const char *ca;
    const char *thing;      /* the attached thing, or NULL */
    bool auto_registration; /* CAs only: JITR on (UpdateCACertificate ENABLE) */
    double created, modified;
};

/* tq_registry_load reads `dir`/registry.json into a new registry in `*out`; certificate files
 * are relative to `dir`. Every entry must have id (64 lowercase hex digits), name, status and
 * either cert (a plain file name: not "", "." or "..", and no '/') or pem. On failure `*out` is
 * NULL and `diag` names the file and the entry that was wrong. */
TQ_MUST_USE tq_status tq_registry_load(struct tq_diag *diag, struct tq_registry **out,
                                       const char *dir);

/* tq_registry_open is tq_registry_load for the registry file at `path`, whose "cert" members are
 * relative to `cert_dir` (NULL: the folder of `path`). The broker's --registry FILE uses it to
 * keep a private copy of a PKI's registry. */
TQ_MUST_USE tq_status tq_registry_open(struct tq_diag *diag, struct tq_registry **out,
                                       const char *path, const char *cert_dir);

/* tq_registry_parse is tq_registry_load on the text of a registry file already in memory
 * (`text_len` bytes, no NUL needed). `path` is where that file would be: errors name it, and
 * "cert" members are joined to its directory, so it must contain a '/' (else TQ_ERR_USAGE). */
TQ_MUST_USE tq_status tq_registry_parse(struct tq_diag *diag, struct tq_registry **out,
                                        const char *path, const char *text, size_t text_len);

/* tq_registry_reload reads the registry file again (SIGHUP). On failure `reg` is unchanged. */
TQ_MUST_USE tq_status tq_registry_reload(struct tq_diag *diag, struct tq_registry *reg);

/* tq_registry_free releases `reg`; NULL is a no-op. */
void tq_registry_free(struct tq_registry *reg);

/* tq_registry_path returns the registry file's path. */
const char *tq_registry_path(const struct tq_registry *reg);

/* tq_registry_num_cas and tq_registry_ca enumerate the "cas" entries in file order. */
size_t tq_registry_num_cas(const struct tq_registry *reg);
const struct tq_registry_entry *tq_registry_ca(const struct tq_registry *reg, size_t i);

/* tq_registry_num_certificates and tq_registry_certificate enumerate the "certificates"
 * entries in file order. */
size_t tq_registry_num_certificates(const struct tq_registry *reg);
const struct tq_registry_entry *tq_registry_certificate(const struct tq_registry *reg, size_t i);

/* tq_registry_find returns the "certificates" entry whose id is `id`, or NULL. */
const struct tq_registry_entry *tq_registry_find(const struct tq_registry *reg, const char *id);

/* tq_registry_find_ca returns the "cas" entry whose id is `id`, or NULL. */
const struct tq_registry_entry *tq_registry_find_ca(const struct tq_registry *reg, const char *id);

/* tq_registry_refusal says why a client certificate may not connect
 * (docs/aws-iot/client-certificates.md#status-values: "Certificates must be in the ACTIVE state
 * to authenticate devices"): NULL when `entry` is ACTIVE, "unregistered" when `entry` is NULL,
 * otherwise the status in lower case ("inactive", "revoked", "pending_transfer", ...). */
const char *tq_registry_refusal(const struct tq_registry_entry *entry);

/* tq_registry_status_valid is true when `status` is a certificate status of
 * docs/aws-iot/client-certificates.md#status-values (ACTIVE, INACTIVE, REVOKED,
 * PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION). */
bool tq_registry_status_valid(const char *status);

/* tq_registry_add appends `entry` to `list` and writes the file. `entry` must have id, name,
 * pem and status; `cert` is ignored, `created` and `modified` of 0 mean now. An id already in
 * that list fails with TQ_ERR_USAGE. On failure the registry and its file are unchanged. */
TQ_MUST_USE tq_status tq_registry_add(struct tq_diag *diag, struct tq_registry *reg,
                                      enum tq_registry_list list,
                                      const struct tq_registry_entry *entry);

/* tq_registry_update sets the status of entry `id` of `list` to `status` (NULL: unchanged) and,
 * for a CA, its auto-registration to `auto_registration` (< 0: unchanged; 0 off; > 0 on), sets
 * its "modified" time and writes the file. An unknown id fails with TQ_ERR_NOT_FOUND. On
 * failure the registry and its file are unchanged. */
TQ_MUST_USE tq_status tq_registry_update(struct tq_diag *diag, struct tq_registry *reg,
                                         enum tq_registry_list list, const char *id,
                                         const char *status, int auto_registration);

/* tq_registry_remove deletes entry `id` of `list` and writes the file. An unknown id fails with
 * TQ_ERR_NOT_FOUND. On failure the registry and its file are unchanged. */
TQ_MUST_USE tq_status tq_registry_remove(struct tq_diag *diag, struct tq_registry *reg,
                                         enum tq_registry_list list, const char *id);

#endif
