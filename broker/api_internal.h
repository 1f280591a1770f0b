/* api_internal.h: what api.c and the per-resource files (api_certificates.c, api_ca.c,
 * api_audit.c) share, and the hooks the rest of the broker calls. Not a public API. */
#ifndef TQ_BROKER_API_INTERNAL_H
#define TQ_BROKER_API_INTERNAL_H

#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>

#include "api.h"
#include "registry.h"

/* The mock's account and region: every ARN is arn:aws:iot:us-east-1:123456789012:... */
#define TQ_API_ACCOUNT "123456789012"
#define TQ_API_REGION "us-east-1"

/* The AWS IoT errors the mock answers with: name (the "__type" and x-amzn-ErrorType) and HTTP
 * status, as the service model declares them. */
#define TQ_API_ERRORS(X)                                                                           \
    X(TQ_API_INVALID_REQUEST, "InvalidRequestException", 400)                                      \
    X(TQ_API_CERTIFICATE_VALIDATION, "CertificateValidationException", 400)                        \
    X(TQ_API_NOT_FOUND, "ResourceNotFoundException", 404)                                          \
    X(TQ_API_UNKNOWN_OPERATION, "UnknownOperationException", 404)                                  \
    X(TQ_API_CERTIFICATE_STATE, "CertificateStateException", 406)                                  \
    X(TQ_API_ALREADY_EXISTS, "ResourceAlreadyExistsException", 409)                                \
    X(TQ_API_DELETE_CONFLICT, "DeleteConflictException", 409)                                      \
    X(TQ_API_INTERNAL, "InternalFailureException", 500)

enum tq_api_error {
#define TQ_X_API_ENUM(code, name, http) code,
    TQ_API_ERRORS(TQ_X_API_ENUM)
#undef TQ_X_API_ENUM
};

/* struct tq_api_call is one request and its reply. */
struct tq_api_call {
    struct tq_broker *broker;
    const struct tq_api_route *route;
    char param[160];        /* the "{...}" path segment, percent-decoded */
    struct evkeyvalq query; /* decoded query parameters */
    json_t *body;           /* the JSON request body: an object ({} when empty) */
    int status;             /* HTTP status of the reply */
    json_t *reply;          /* reply body, owned */
    const char *error;      /* error name, NULL on success */
};

/* tq__api_ok replies 200 with `body` (stolen; NULL: {}). */
void tq__api_ok(struct tq_api_call *call, json_t *body);

/* tq__api_fail replies with error `err` and the message `fmt`: {"message": ..., "__type": ...}
 * plus the x-amzn-ErrorType header, which botocore reads. */
void tq__api_fail(struct tq_api_call *call, enum tq_api_error err, const char *fmt, ...)
    TQ_PRINTF(3, 4);

/* tq__api_query returns query parameter `name`, or NULL. */
const char *tq__api_query(const struct tq_api_call *call, const char *name);

/* tq__api_flag is true when query parameter `name` is "true". */
bool tq__api_flag(const struct tq_api_call *call, const char *name);

/* tq__api_string returns the string member `name` of the request body, or NULL. */
const char *tq__api_string(const struct tq_api_call *call, const char *name);

/* tq__api_arn writes "arn:aws:iot:REGION:ACCOUNT:`kind`/`id`" into `out`. */
void tq__api_arn(char *out, size_t out_len, const char *kind, const char *id);

/* tq__api_entry_at returns entry `i` of a registry list (tq_registry_certificate, _ca). */
typedef const struct tq_registry_entry *(*tq__api_entry_at)(const struct tq_registry *reg,
                                                            size_t i);

/* tq__api_list answers a List operation over the `num` entries `entry_at` gives: one page of
 * summaries (`kind` "cert" or "cacert") in "certificates", newest first unless
 * isAscendingOrder=true, pageSize 1-250 (default 25), marker where the last page stopped, and
 * nextMarker when more follow; a bad pageSize or marker is InvalidRequestException. */
void tq__api_list(struct tq_api_call *call, size_t num, tq__api_entry_at entry_at,
                  const char *kind);

/* tq__api_describe fills the description members common to certificates and CA certificates
 * into `obj`: certificateArn (`kind`), certificateId, status, certificatePem, ownedBy,
 * creationDate, lastModifiedDate, customerVersion, generationId, validity, certificateMode. */
void tq__api_describe(json_t *obj, const struct tq_registry_entry *e, const char *kind);

/* tq__api_summary returns {certificateArn, certificateId, status, creationDate} (+ mode for
 * device certificates), a ListCertificates / ListCACertificates item. */
json_t *tq__api_summary(const struct tq_registry_entry *e, const char *kind);

/* tq__api_parse_pem parses the PEM body member `member` into a new X509 and writes its id; on
 * failure it replies (InvalidRequestException when missing, CertificateValidationException
 * when unreadable, outside its validity period, or with an RSA key under 2048 bits) and
 * returns NULL. */
X509 *tq__api_parse_pem(struct tq_api_call *call, const char *member, char out_id[65]);

/* tq__api_registry_failed replies InternalFailureException for a registry change that could
 * not be made durable (the registry is unchanged) and reports it. */
void tq__api_registry_failed(struct tq_api_call *call, const struct tq_diag *diag);

/* The handlers of the route table, one file per resource family. */
void tq__api_describe_endpoint(struct tq_api_call *call);
void tq__api_list_certificates(struct tq_api_call *call);
void tq__api_describe_certificate(struct tq_api_call *call);
void tq__api_update_certificate(struct tq_api_call *call);
void tq__api_register_certificate(struct tq_api_call *call);
void tq__api_register_certificate_without_ca(struct tq_api_call *call);
void tq__api_delete_certificate(struct tq_api_call *call);
void tq__api_register_ca_certificate(struct tq_api_call *call);
void tq__api_update_ca_certificate(struct tq_api_call *call);
void tq__api_describe_ca_certificate(struct tq_api_call *call);
void tq__api_list_ca_certificates(struct tq_api_call *call);
void tq__api_start_audit_task(struct tq_api_call *call);
void tq__api_list_audit_findings(struct tq_api_call *call);

#endif
