/* registration.h: every change of the broker's device-certificate registry, whoever asks for it:
 * the control plane (api_certificates.c: RegisterCertificate, UpdateCertificate,
 * DeleteCertificate...) and the TLS session (just-in-time registration at connect). Each change
 * is written to the registry file first, then applied to live connections and to the TLS trust
 * store, then told as an event (docs/broker-events.md). The API files only parse requests and
 * shape replies; the rules of a change live here. */
#ifndef TQ_BROKER_REGISTRATION_H
#define TQ_BROKER_REGISTRATION_H

#include <openssl/x509.h>
#include <stddef.h>

#include "registry.h"
#include "status.h"

struct tq_broker;
struct tq_session;

/* struct tq_registration is one certificate to add. Strings are borrowed. */
struct tq_registration {
    X509 *cert;
    const char *id;     /* SHA-256 of the DER, lower-case hex */
    const char *status; /* a status of registry.h */
    const char *mode;   /* "DEFAULT" or "SNI_ONLY" */
    const char *ca;     /* the issuing CA's id, or NULL */
    const char *source; /* "api" or "jitr": the event's `source` */
};

/* tq_registration_add adds `r` to the registry (an SNI_ONLY certificate also joins the trust
 * store) and emits certificate_registered. It fails, with `diag`, when the registry file could
 * not be written; the registry is then unchanged. The caller has checked that `r->id` is new. */
TQ_MUST_USE tq_status tq_registration_add(struct tq_diag *diag, struct tq_broker *b,
                                          const struct tq_registration *r);

/* tq_registration_issuing_ca returns the registered CA that issued `x` (name and verified
 * signature), whatever its status, or NULL. */
const struct tq_registry_entry *tq_registration_issuing_ca(const struct tq_registry *reg, X509 *x);

/* tq_registration_set_status sets certificate `id`'s status, closes every connection the
 * registry now refuses (UpdateCertificate: AWS IoT disconnects the devices that used it) and
 * emits certificate_updated with how many were closed. The caller has checked `status`. */
TQ_MUST_USE tq_status tq_registration_set_status(struct tq_diag *diag, struct tq_broker *b,
                                                 const char *id, const char *status);

/* tq_registration_delete removes certificate `id`, closes what the registry now refuses, and
 * emits certificate_deleted. The caller has checked that it may be deleted. */
TQ_MUST_USE tq_status tq_registration_delete(struct tq_diag *diag, struct tq_broker *b,
                                             const char *id);

/* tq_registration_add_ca adds CA certificate `x` described by `e` (its pem is taken from `x`),
 * emits ca_certificate_registered and rebuilds the trust store. The caller has checked that it
 * is a CA and new. */
TQ_MUST_USE tq_status tq_registration_add_ca(struct tq_diag *diag, struct tq_broker *b, X509 *x,
                                             const struct tq_registry_entry *e);

/* tq_registration_update_ca sets CA `id`'s status (NULL: unchanged) and auto-registration (-1:
 * unchanged, 0 off, 1 on) and emits ca_certificate_updated. The CA exists. */
TQ_MUST_USE tq_status tq_registration_update_ca(struct tq_diag *diag, struct tq_broker *b,
                                                const char *id, const char *status,
                                                int auto_registration);

/* tq_registration_jitr registers `s`'s certificate, marked by the TLS layer for just-in-time
 * registration (tq_tls_peer.jitr_leaf), as PENDING_ACTIVATION, and publishes the registration
 * message on $aws/events/certificates/registered/<caCertificateId>
 * (docs/aws-iot/client-certificates.md#jitr). A registry that cannot be written is event
 * registry_write_failed. The caller refuses the connection as usual. */
void tq_registration_jitr(struct tq_session *s);

#endif
