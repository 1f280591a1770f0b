/* Device certificates: ListCertificates, DescribeCertificate, UpdateCertificate,
 * RegisterCertificate, RegisterCertificateWithoutCA, DeleteCertificate: requests parsed and
 * checked here, the registry changed by registration.h. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "broker_internal.h"
#include "registration.h"

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

/* see api_internal.h */
void tq__api_update_certificate(struct tq_api_call *call)
{
    const char *status = tq__api_query(call, "newStatus");
    /* UpdateCertificate: PENDING_TRANSFER is set by TransferCertificate, never directly. */
    if (!tq_registry_status_valid(status) || strcmp(status, "PENDING_TRANSFER") == 0) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST,
                     "newStatus: want ACTIVE, INACTIVE, REVOKED, "
                     "REGISTER_INACTIVE or PENDING_ACTIVATION, got %s",
                     status ? status : "none");
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
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registration_set_status(&diag, call->broker, call->param, status))) {
        tq__api_registry_failed(call, &diag);
        return;
    }
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
        tq__api_fail(call, TQ_API_CERTIFICATE_STATE,
                     "The certificate %s is ACTIVE: deactivate "
                     "it first",
                     e->id);
        return;
    }
    if (e->thing != NULL && !tq__api_flag(call, "forceDelete")) {
        tq__api_fail(call, TQ_API_DELETE_CONFLICT, "The certificate %s is attached to thing %s",
                     e->id, e->thing);
        return;
    }
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registration_delete(&diag, call->broker, call->param))) {
        tq__api_registry_failed(call, &diag);
        return;
    }
    tq__api_ok(call, NULL);
}

/* registered_status reads the initial status: "status", else setAsActive, else INACTIVE
 * (certificates "registered without activation" start INACTIVE,
 * docs/aws-iot/client-certificates.md#status-values). */
static const char *registered_status(struct tq_api_call *call)
{
    const char *status = tq__api_string(call, "status");
    if (status != NULL)
        return tq_registry_status_valid(status) ? status : NULL;
    return tq__api_flag(call, "setAsActive") ? "ACTIVE" : "INACTIVE";
}

static void reply_registered(struct tq_api_call *call, const char *id)
{
    char arn[160];
    tq__api_arn(arn, sizeof(arn), "cert", id);
    tq__api_ok(call, json_pack("{s:s, s:s}", "certificateArn", arn, "certificateId", id));
}

/* register_common checks the status and uniqueness of `r` and adds it; it replies either way. */
static void register_common(struct tq_api_call *call, struct tq_registration *r)
{
    if (r->status == NULL) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "status: want a certificate status");
        return;
    }
    if (tq_registry_find(call->broker->registry, r->id) != NULL) {
        char arn[160];
        tq__api_arn(arn, sizeof(arn), "cert", r->id);
        tq__api_fail(call, TQ_API_ALREADY_EXISTS,
                     "The certificate is already provisioned or "
                     "registered");
        json_object_set_new(call->reply, "resourceId", json_string(r->id));
        json_object_set_new(call->reply, "resourceArn", json_string(arn));
        return;
    }
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registration_add(&diag, call->broker, r))) {
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
    const struct tq_registry_entry *ca = tq_registration_issuing_ca(call->broker->registry, x);
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
        tq__api_fail(call, TQ_API_CERTIFICATE_VALIDATION,
                     "The certificate is not signed by "
                     "a registered CA certificate (register it with RegisterCACertificate, "
                     "or use RegisterCertificateWithoutCA)");
    } else if (strcmp(ca->status, "ACTIVE") != 0) {
        tq__api_fail(call, TQ_API_CERTIFICATE_STATE, "The CA certificate %s is not ACTIVE", ca->id);
    } else {
        snprintf(ca_id, sizeof(ca_id), "%s", ca->id);
        struct tq_registration r = {.cert = x,
                                    .id = id,
                                    .status = registered_status(call),
                                    .mode = "DEFAULT",
                                    .ca = ca_id,
                                    .source = "api"};
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
    struct tq_registration r = {.cert = x,
                                .id = id,
                                .status = registered_status(call),
                                .mode = "SNI_ONLY",
                                .ca = NULL,
                                .source = "api"};
    register_common(call, &r);
    X509_free(x);
}
