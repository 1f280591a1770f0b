/* CA certificates: RegisterCACertificate, UpdateCACertificate, DescribeCACertificate,
 * ListCACertificates: requests parsed and checked here, the registry changed by registration.h. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "broker_internal.h"
#include "registration.h"

/* find_ca returns the CA certificate of the path, or NULL after replying 404. */
static const struct tq_registry_entry *find_ca(struct tq_api_call *call)
{
    const struct tq_registry_entry *e = tq_registry_find_ca(call->broker->registry, call->param);
    if (e == NULL)
        tq__api_fail(call, TQ_API_NOT_FOUND, "The CA certificate %s does not exist", call->param);
    return e;
}

static const char *ca_mode(struct tq_api_call *call)
{
    const char *mode = tq__api_string(call, "certificateMode");
    if (mode == NULL)
        return "DEFAULT";
    return strcmp(mode, "DEFAULT") == 0 || strcmp(mode, "SNI_ONLY") == 0 ? mode : NULL;
}

/* verification_ok: a verification certificate, when given, must be signed by the CA (the mock
 * does not check its subject against a registration code). */
static bool verification_ok(struct tq_api_call *call, X509 *ca)
{
    if (tq__api_string(call, "verificationCertificate") == NULL)
        return true;
    char id[65];
    X509 *v = tq__api_parse_pem(call, "verificationCertificate", id);
    bool ok = v != NULL && X509_verify(v, X509_get0_pubkey(ca)) == 1;
    X509_free(v);
    if (!ok && call->error == NULL)
        tq__api_fail(call, TQ_API_CERTIFICATE_VALIDATION,
                     "The verification certificate is not "
                     "signed by the CA certificate");
    return ok;
}

static void register_ca(struct tq_api_call *call, X509 *x, const char *id)
{
    const char *mode = ca_mode(call);
    if (mode == NULL) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "certificateMode: want DEFAULT or SNI_ONLY");
        return;
    }
    if (X509_check_ca(x) <= 0) {
        tq__api_fail(call, TQ_API_CERTIFICATE_VALIDATION,
                     "The certificate is not a CA "
                     "certificate");
        return;
    }
    if (tq_registry_find_ca(call->broker->registry, id) != NULL) {
        tq__api_fail(call, TQ_API_ALREADY_EXISTS, "The CA certificate is already registered");
        json_object_set_new(call->reply, "resourceId", json_string(id));
        return;
    }
    if (!verification_ok(call, x))
        return;
    char name[128];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, name,
                                  (int)sizeof(name)) <= 0)
        snprintf(name, sizeof(name), "%s", id);
    struct tq_registry_entry e = {.id = id,
                                  .name = name,
                                  .mode = mode,
                                  .status =
                                      tq__api_flag(call, "setAsActive") ? "ACTIVE" : "INACTIVE",
                                  .auto_registration = tq__api_flag(call, "allowAutoRegistration")};
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registration_add_ca(&diag, call->broker, x, &e))) {
        tq__api_registry_failed(call, &diag);
        return;
    }
    char arn[160];
    tq__api_arn(arn, sizeof(arn), "cacert", id);
    tq__api_ok(call, json_pack("{s:s, s:s}", "certificateArn", arn, "certificateId", id));
}

/* see api_internal.h */
void tq__api_register_ca_certificate(struct tq_api_call *call)
{
    char id[65];
    X509 *x = tq__api_parse_pem(call, "caCertificate", id);
    if (x == NULL)
        return;
    register_ca(call, x, id);
    X509_free(x);
}

/* auto_registration reads newAutoRegistrationStatus: -1 absent, 0 DISABLE, 1 ENABLE, -2 bad. */
static int auto_registration(const struct tq_api_call *call)
{
    const char *v = tq__api_query(call, "newAutoRegistrationStatus");
    if (v == NULL)
        return -1;
    return strcmp(v, "ENABLE") == 0 ? 1 : strcmp(v, "DISABLE") == 0 ? 0 : -2;
}

/* see api_internal.h */
void tq__api_update_ca_certificate(struct tq_api_call *call)
{
    const char *status = tq__api_query(call, "newStatus");
    int autoreg = auto_registration(call);
    if (status != NULL && strcmp(status, "ACTIVE") != 0 && strcmp(status, "INACTIVE") != 0) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "newStatus: want ACTIVE or INACTIVE");
        return;
    }
    if (autoreg == -2) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST,
                     "newAutoRegistrationStatus: want ENABLE or "
                     "DISABLE");
        return;
    }
    if (find_ca(call) == NULL)
        return;
    struct tq_diag diag = {0};
    if (!tq_ok(tq_registration_update_ca(&diag, call->broker, call->param, status, autoreg))) {
        tq__api_registry_failed(call, &diag);
        return;
    }
    tq__api_ok(call, NULL);
}

/* see api_internal.h */
void tq__api_describe_ca_certificate(struct tq_api_call *call)
{
    const struct tq_registry_entry *e = find_ca(call);
    if (e == NULL)
        return;
    json_t *desc = json_object();
    tq__api_describe(desc, e, "cacert");
    json_object_set_new(desc, "autoRegistrationStatus",
                        json_string(e->auto_registration ? "ENABLE" : "DISABLE"));
    tq__api_ok(call, json_pack("{s:o}", "certificateDescription", desc));
}

/* see api_internal.h */
void tq__api_list_ca_certificates(struct tq_api_call *call)
{
    tq__api_list(call, tq_registry_num_cas(call->broker->registry), tq_registry_ca, "cacert");
}
