/* The registry's changes and their effects (registration.h). */
#include "registration.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "broker_internal.h"
#include "tls.h"

/* common_name writes the subject CN of `x` (or `fallback`) into `out`. */
static void common_name(char *out, size_t out_len, X509 *x, const char *fallback)
{
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)out_len);
    if (n <= 0)
        snprintf(out, out_len, "%s", fallback);
}

/* pem_of returns `x` as PEM text (the caller frees it), or NULL without memory. */
static char *pem_of(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long len = bio && PEM_write_bio_X509(bio, x) == 1 ? BIO_get_mem_data(bio, &pem) : 0;
    char *text = len > 0 ? strndup(pem, (size_t)len) : NULL;
    BIO_free(bio);
    return text;
}

/* see registration.h */
tq_status tq_registration_add(struct tq_diag *diag, struct tq_broker *b,
                              const struct tq_registration *r)
{
    char name[128];
    common_name(name, sizeof(name), r->cert, r->id);
    char *text = pem_of(r->cert);
    if (text == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOMEM, NULL, 0, "cannot write the certificate PEM");
    struct tq_registry_entry e = {
        .id = r->id, .name = name, .pem = text, .status = r->status, .mode = r->mode, .ca = r->ca};
    tq_status st = tq_registry_add(diag, b->registry, TQ_REGISTRY_CERTIFICATES, &e);
    free(text);
    TQ_GUARD(st);
    tq_events_emit(b->events, "certificate_registered", 0, "",
                   json_pack("{s:s, s:s, s:s, s:s?, s:s}", "certificate_id", r->id, "status",
                             r->status, "mode", r->mode, "ca_certificate_id", r->ca, "source",
                             r->source));
    return strcmp(r->mode, "SNI_ONLY") == 0 ? tq__broker_refresh_tls(diag, b) : TQ_SUCCESS;
}

/* see registration.h */
const struct tq_registry_entry *tq_registration_issuing_ca(const struct tq_registry *reg, X509 *x)
{
    for (size_t i = 0; i < tq_registry_num_cas(reg); i++) {
        const struct tq_registry_entry *ca = tq_registry_ca(reg, i);
        X509 *cx = tq_tls_entry_x509(ca);
        bool issued = cx != NULL && X509_check_issued(cx, x) == X509_V_OK &&
                      X509_verify(x, X509_get0_pubkey(cx)) == 1;
        X509_free(cx);
        if (issued)
            return ca;
    }
    return NULL;
}

static void emit_updated(struct tq_broker *b, const char *event, const char *id,
                         const char *old_status, const char *new_status, size_t closed)
{
    tq_events_emit(b->events, event, 0, "",
                   json_pack("{s:s, s:s?, s:s?, s:I}", "certificate_id", id, "old_status",
                             old_status, "new_status", new_status, "connections_closed",
                             (json_int_t)closed));
}

/* see registration.h */
tq_status tq_registration_set_status(struct tq_diag *diag, struct tq_broker *b, const char *id,
                                     const char *status)
{
    const struct tq_registry_entry *e = tq_registry_find(b->registry, id);
    char old_status[32];
    snprintf(old_status, sizeof(old_status), "%s", e ? e->status : "");
    TQ_GUARD(tq_registry_update(diag, b->registry, TQ_REGISTRY_CERTIFICATES, id, status, -1));
    /* UpdateCertificate: "AWS IoT disconnects all devices that used that certificate". */
    size_t closed = tq__broker_enforce(b);
    emit_updated(b, "certificate_updated", id, old_status, status, closed);
    return TQ_SUCCESS;
}

/* see registration.h */
tq_status tq_registration_delete(struct tq_diag *diag, struct tq_broker *b, const char *id)
{
    const struct tq_registry_entry *e = tq_registry_find(b->registry, id);
    char old_status[32];
    snprintf(old_status, sizeof(old_status), "%s", e ? e->status : "");
    TQ_GUARD(tq_registry_remove(diag, b->registry, TQ_REGISTRY_CERTIFICATES, id));
    size_t closed = tq__broker_enforce(b);
    emit_updated(b, "certificate_deleted", id, old_status, NULL, closed);
    return TQ_SUCCESS;
}

/* see registration.h */
tq_status tq_registration_add_ca(struct tq_diag *diag, struct tq_broker *b, X509 *x,
                                 const struct tq_registry_entry *e)
{
    char *text = pem_of(x);
    if (text == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOMEM, NULL, 0, "cannot write the certificate PEM");
    struct tq_registry_entry copy = *e;
    copy.pem = text;
    tq_status st = tq_registry_add(diag, b->registry, TQ_REGISTRY_CAS, &copy);
    free(text);
    TQ_GUARD(st);
    tq_events_emit(b->events, "ca_certificate_registered", 0, "",
                   json_pack("{s:s, s:s, s:s, s:b}", "ca_certificate_id", e->id, "status",
                             e->status, "mode", e->mode, "auto_registration",
                             e->auto_registration));
    return tq__broker_refresh_tls(diag, b);
}

/* see registration.h */
tq_status tq_registration_update_ca(struct tq_diag *diag, struct tq_broker *b, const char *id,
                                    const char *status, int auto_registration)
{
    TQ_GUARD(tq_registry_update(diag, b->registry, TQ_REGISTRY_CAS, id, status, auto_registration));
    const struct tq_registry_entry *e = tq_registry_find_ca(b->registry, id);
    tq_events_emit(b->events, "ca_certificate_updated", 0, "",
                   json_pack("{s:s, s:s, s:b}", "ca_certificate_id", e->id, "status", e->status,
                             "auto_registration", e->auto_registration));
    return TQ_SUCCESS;
}

/* see registration.h */
void tq_registration_jitr(struct tq_session *s)
{
    struct tq_broker *b = s->broker;
    char id[65];
    tq_tls_cert_id(s->tls.jitr_leaf, id);
    if (id[0] == '\0' || tq_registry_find(b->registry, id) != NULL)
        return;
    struct tq_registration r = {.cert = s->tls.jitr_leaf,
                                .id = id,
                                .status = "PENDING_ACTIVATION",
                                .mode = "DEFAULT",
                                .ca = s->tls.jitr_ca,
                                .source = "jitr"};
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registration_add(&diag, b, &r))) {
        tq__session_emit(
            s, "registry_write_failed",
            json_pack("{s:s, s:s}", "operation", "JustInTimeRegistration", "detail", diag.msg));
        return;
    }
    /* docs/aws-iot/client-certificates.md#jitr: the registration message and its members. */
    json_int_t now = (json_int_t)time(NULL);
    char topic[128];
    snprintf(topic, sizeof(topic), "$aws/events/certificates/registered/%s", r.ca);
    size_t num = tq__broker_publish(
        b, topic,
        json_pack("{s:s, s:s, s:I, s:s, s:s, s:I}", "certificateId", id, "caCertificateId", r.ca,
                  "timestamp", now, "certificateStatus", "PENDING_ACTIVATION", "awsAccountId",
                  TQ_API_ACCOUNT, "certificateRegistrationTimestamp", now));
    tq__session_emit(s, "jitr_registered",
                     json_pack("{s:s, s:s, s:s, s:I}", "certificate_id", id, "ca_certificate_id",
                               r.ca, "topic", topic, "subscribers", (json_int_t)num));
}
