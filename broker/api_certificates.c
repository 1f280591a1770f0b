/* Device certificates: ListCertificates, DescribeCertificate, UpdateCertificate,
 * RegisterCertificate, RegisterCertificateWithoutCA, DeleteCertificate, and just-in-time
 * registration at connect. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "broker_internal.h"

/* see api_internal.h */
void tq__api_list_certificates(struct tq_api_call *call)
{
    tq__api_list(call, tq_registry_num_certificates(call->broker->registry),
                 tq_registry_certificate, "cert");
}

/* find_certificate returns the certificate of the path, or NULL after replying 404. */
static const struct tq_registry_entry *find_certificate(struct tq_api_call *call)
{
    const struct tq_registry_entry *e = tq_registry_find(call->broker->registry, call->param);
    if (e == NULL)
        tq__api_fail(call, TQ_API_NOT_FOUND, "The certificate %s does not exist", call->param);
    return e;
}

/* see api_internal.h */
void tq__api_describe_certificate(struct tq_api_call *call)
{
    const struct tq_registry_entry *e = find_certificate(call);
    if (e == NULL)
        return;
    json_t *desc = json_object();
    tq__api_describe(desc, e, "cert");
    if (e->ca != NULL)
        json_object_set_new(desc, "caCertificateId", json_string(e->ca));
    tq__api_ok(call, json_pack("{s:o}", "certificateDescription", desc));
}

static void emit_updated(struct tq_broker *b, const char *event, const char *id,
                         const char *old_status, const char *new_status, size_t closed)
{
    tq_events_emit(b->events, event, 0, "", json_pack(
        "{s:s, s:s?, s:s?, s:I}", "certificate_id", id, "old_status", old_status, "new_status",
        new_status, "connections_closed", (json_int_t)closed));
}

/* see api_internal.h */
void tq__api_update_certificate(struct tq_api_call *call)
{
    const char *status = tq__api_query(call, "newStatus");
    /* UpdateCertificate: PENDING_TRANSFER is set by TransferCertificate, never directly. */
    if (!tq_registry_status_valid(status) || strcmp(status, "PENDING_TRANSFER") == 0) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "newStatus: want ACTIVE, INACTIVE, REVOKED, "
                     "REGISTER_INACTIVE or PENDING_ACTIVATION, got %s", status ? status : "none");
        return;
    }
    const struct tq_registry_entry *e = find_certificate(call);
    if (e == NULL)
        return;
    if (strcmp(e->status, "PENDING_TRANSFER") == 0) {
        tq__api_fail(call, TQ_API_CERTIFICATE_STATE, "The certificate %s is pending transfer",
                     e->id);
        return;
    }
    char old_status[32];
    snprintf(old_status, sizeof(old_status), "%s", e->status);
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registry_update(&diag, call->broker->registry, TQ_REGISTRY_CERTIFICATES,
                                  call->param, status, -1))) {
        tq__api_registry_failed(call, &diag);
        return;
    }
    /* UpdateCertificate: "AWS IoT disconnects all devices that used that certificate". */
    size_t closed = tq__broker_enforce(call->broker);
    emit_updated(call->broker, "certificate_updated", call->param, old_status, status, closed);
    tq__api_ok(call, NULL);
}

/* see api_internal.h */
void tq__api_delete_certificate(struct tq_api_call *call)
{
    const struct tq_registry_entry *e = find_certificate(call);
    if (e == NULL)
        return;
    /* DeleteCertificate: "A certificate cannot be deleted if it has a policy or IoT thing
     * attached to it or if its status is set to ACTIVE"; forceDelete detaches things. */
    if (strcmp(e->status, "ACTIVE") == 0) {
        tq__api_fail(call, TQ_API_CERTIFICATE_STATE, "The certificate %s is ACTIVE: deactivate "
                     "it first", e->id);
        return;
    }
    if (e->thing != NULL && !tq__api_flag(call, "forceDelete")) {
        tq__api_fail(call, TQ_API_DELETE_CONFLICT, "The certificate %s is attached to thing %s",
                     e->id, e->thing);
        return;
    }
    char old_status[32];
    snprintf(old_status, sizeof(old_status), "%s", e->status);
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registry_remove(&diag, call->broker->registry, TQ_REGISTRY_CERTIFICATES,
                                  call->param))) {
        tq__api_registry_failed(call, &diag);
        return;
    }
    size_t closed = tq__broker_enforce(call->broker);
    emit_updated(call->broker, "certificate_deleted", call->param, old_status, NULL, closed);
    tq__api_ok(call, NULL);
}

/* common_name writes the subject CN of `x` (or `fallback`) into `out`. */
static void common_name(char *out, size_t out_len, X509 *x, const char *fallback)
{
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out,
                                      (int)out_len);
    if (n <= 0)
        snprintf(out, out_len, "%s", fallback);
}

struct registration {
    X509 *cert;
    const char *id;
    const char *status;
    const char *mode;
    const char *ca;            /* the issuing CA's id, or NULL */
    const char *source;        /* "api" or "jitr" */
};

/* add_certificate adds a registration to the registry (and, for SNI_ONLY, to the trust store).
 * It fills `diag` and fails when the registry could not be written. */
static tq_status add_certificate(struct tq_diag *diag, struct tq_broker *b,
                                 const struct registration *r)
{
    char name[128];
    common_name(name, sizeof(name), r->cert, r->id);
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long len = bio && PEM_write_bio_X509(bio, r->cert) == 1 ? BIO_get_mem_data(bio, &pem) : 0;
    char *text = len > 0 ? strndup(pem, (size_t)len) : NULL;
    BIO_free(bio);
    if (text == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOMEM, NULL, 0, "cannot write the certificate PEM");
    struct tq_registry_entry e = {.id = r->id, .name = name, .pem = text, .status = r->status,
                                  .mode = r->mode, .ca = r->ca};
    tq_status st = tq_registry_add(diag, b->registry, TQ_REGISTRY_CERTIFICATES, &e);
    free(text);
    TQ_GUARD(st);
    tq_events_emit(b->events, "certificate_registered", 0, "", json_pack(
        "{s:s, s:s, s:s, s:s?, s:s}", "certificate_id", r->id, "status", r->status, "mode",
        r->mode, "ca_certificate_id", r->ca, "source", r->source));
    return strcmp(r->mode, "SNI_ONLY") == 0 ? tq__broker_refresh_tls(diag, b) : TQ_SUCCESS;
}

/* registered_status reads the initial status: "status", else setAsActive, else INACTIVE
 * (certificates "registered without activation" start INACTIVE, aws-iot-facts.md §4.3). */
static const char *registered_status(struct tq_api_call *call)
{
    const char *status = tq__api_string(call, "status");
    if (status != NULL)
        return tq_registry_status_valid(status) ? status : NULL;
    return tq__api_flag(call, "setAsActive") ? "ACTIVE" : "INACTIVE";
}

/* issuing_ca returns the registered CA that issued `x` (verified signature), or NULL. */
static const struct tq_registry_entry *issuing_ca(const struct tq_registry *reg, X509 *x)
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

static void reply_registered(struct tq_api_call *call, const char *id)
{
    char arn[160];
    tq__api_arn(arn, sizeof(arn), "cert", id);
    tq__api_ok(call, json_pack("{s:s, s:s}", "certificateArn", arn, "certificateId", id));
}

/* register_common checks the status and uniqueness of `r` and adds it; it replies either way. */
static void register_common(struct tq_api_call *call, struct registration *r)
{
    if (r->status == NULL) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "status: want a certificate status");
        return;
    }
    if (tq_registry_find(call->broker->registry, r->id) != NULL) {
        char arn[160];
        tq__api_arn(arn, sizeof(arn), "cert", r->id);
        tq__api_fail(call, TQ_API_ALREADY_EXISTS, "The certificate is already provisioned or "
                     "registered");
        json_object_set_new(call->reply, "resourceId", json_string(r->id));
        json_object_set_new(call->reply, "resourceArn", json_string(arn));
        return;
    }
    struct tq_diag diag = {0};
    if (!tq_ok(add_certificate(&diag, call->broker, r))) {
        tq__api_registry_failed(call, &diag);
        return;
    }
    reply_registered(call, r->id);
}

/* see api_internal.h */
void tq__api_register_certificate(struct tq_api_call *call)
{
    char id[65], ca_id[65] = "";
    X509 *x = tq__api_parse_pem(call, "certificatePem", id);
    if (x == NULL)
        return;
    const struct tq_registry_entry *ca = issuing_ca(call->broker->registry, x);
    if (tq__api_string(call, "caCertificatePem") != NULL) {
        X509 *given = tq__api_parse_pem(call, "caCertificatePem", ca_id);
        if (given == NULL) {
            X509_free(x);
            return;
        }
        X509_free(given);
        ca = ca != NULL && strcmp(ca_id, ca->id) == 0 ? ca : NULL;
    }
    if (ca == NULL) {
        tq__api_fail(call, TQ_API_CERTIFICATE_VALIDATION, "The certificate is not signed by "
                     "a registered CA certificate (register it with RegisterCACertificate, "
                     "or use RegisterCertificateWithoutCA)");
    } else if (strcmp(ca->status, "ACTIVE") != 0) {
        tq__api_fail(call, TQ_API_CERTIFICATE_STATE, "The CA certificate %s is not ACTIVE",
                     ca->id);
    } else {
        snprintf(ca_id, sizeof(ca_id), "%s", ca->id);
        struct registration r = {.cert = x, .id = id, .status = registered_status(call),
                                 .mode = "DEFAULT", .ca = ca_id, .source = "api"};
        register_common(call, &r);
    }
    X509_free(x);
}

/* see api_internal.h */
void tq__api_register_certificate_without_ca(struct tq_api_call *call)
{
    char id[65];
    X509 *x = tq__api_parse_pem(call, "certificatePem", id);
    if (x == NULL)
        return;
    /* API Certificate.certificateMode: SNI_ONLY for a certificate registered without a CA. */
    struct registration r = {.cert = x, .id = id, .status = registered_status(call),
                             .mode = "SNI_ONLY", .ca = NULL, .source = "api"};
    register_common(call, &r);
    X509_free(x);
}

/* see broker_internal.h */
void tq__jitr_register(struct tq_session *s)
{
    struct tq_broker *b = s->broker;
    char id[65];
    tq_tls_cert_id(s->tls.jitr_leaf, id);
    if (id[0] == '\0' || tq_registry_find(b->registry, id) != NULL)
        return;
    struct registration r = {.cert = s->tls.jitr_leaf, .id = id, .status = "PENDING_ACTIVATION",
                             .mode = "DEFAULT", .ca = s->tls.jitr_ca, .source = "jitr"};
    struct tq_diag diag = {0};
    if (!tq_ok(add_certificate(&diag, b, &r))) {
        tq__session_emit(s, "registry_write_failed", json_pack("{s:s, s:s}", "operation",
                         "JustInTimeRegistration", "detail", diag.msg));
        return;
    }
    /* aws-iot-facts.md §4.6: the registration message and its members. */
    json_int_t now = (json_int_t)time(NULL);
    char topic[128];
    snprintf(topic, sizeof(topic), "$aws/events/certificates/registered/%s", r.ca);
    size_t num = tq__broker_publish(b, topic, json_pack(
        "{s:s, s:s, s:I, s:s, s:s, s:I}", "certificateId", id, "caCertificateId", r.ca,
        "timestamp", now, "certificateStatus", "PENDING_ACTIVATION", "awsAccountId",
        TQ_API_ACCOUNT, "certificateRegistrationTimestamp", now));
    tq__session_emit(s, "jitr_registered", json_pack("{s:s, s:s, s:s, s:I}", "certificate_id",
                     id, "ca_certificate_id", r.ca, "topic", topic, "subscribers",
                     (json_int_t)num));
}
