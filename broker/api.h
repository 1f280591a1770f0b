/* api.h: the broker's control plane, a subset of the AWS IoT REST API (docs/broker-api.md).
 *
 * An HTTP/1.1 server (libevent evhttp) on the broker's event loop. Each request is matched
 * against one route table (method + path pattern -> operation); the operations answer with the
 * JSON fields, query parameters and error shapes of the AWS IoT API (service model
 * "iot" 2015-05-28, rest-json), so `aws iot ... --endpoint-url http://HOST:PORT` works
 * unchanged. Request signatures (SigV4) are accepted without verification. A change to the
 * registry is written to the registry file and synced before the response is sent. */
#ifndef TQ_BROKER_API_H
#define TQ_BROKER_API_H

#include <stddef.h>

#include "status.h"

struct tq_broker;
struct tq_api;
struct tq_api_call;

/* tq_api_handler answers one call: it fills the call's reply (api_internal.h). */
typedef void (*tq_api_handler)(struct tq_api_call *call);

/* struct tq_api_route is one row of the route table. `pattern` is a path whose segments are
 * literal or "{name}", which matches one non-empty segment (the call's `param`). */
struct tq_api_route {
    const char *method;    /* "GET", "POST", "PUT" or "DELETE" */
    const char *pattern;   /* "/certificates/{certificateId}" */
    const char *operation; /* the AWS operation name, "DescribeCertificate" */
    tq_api_handler handler;
};

/* tq_api_match returns the route for `method` and the percent-decoded `path`, or NULL. The
 * segment matched by the route's "{name}", if any, is written to `out_param` (NUL-terminated;
 * "" when the route has none); a segment longer than `param_len - 1` bytes matches nothing. */
const struct tq_api_route *tq_api_match(const char *method, const char *path, char *out_param,
                                        size_t param_len);

/* tq_api_num_routes and tq_api_route enumerate the route table. */
size_t tq_api_num_routes(void);
const struct tq_api_route *tq_api_route(size_t i);

/* tq_api_new binds the control plane of `broker` to `listen` ("HOST:PORT", "[IPv6]:PORT"; port
 * 0 picks a free one) on the broker's event loop. On failure `*out` is NULL and `diag` says
 * why (TQ_ERR_USAGE: a malformed address; TQ_ERR_IO: cannot bind). */
TQ_MUST_USE tq_status tq_api_new(struct tq_diag *diag, struct tq_api **out,
                                 struct tq_broker *broker, const char *listen);

/* tq_api_address returns the bound address, "127.0.0.1:40123". */
const char *tq_api_address(const struct tq_api *api);

/* tq_api_free closes the listener and any open HTTP connection. NULL is a no-op. */
void tq_api_free(struct tq_api *api);

#endif
