/* api_client.h: one call to the broker's control plane (the AWS IoT REST subset of
 * docs/broker-api.md), as a lifecycle scenario step makes it. A blocking HTTP/1.1 request on
 * libevent's evhttp client, bounded by a deadline; the answer's status and body are returned
 * as they came, for the step to judge. */
#ifndef TQ_API_CLIENT_H
#define TQ_API_CLIENT_H

#include <stddef.h>

#include "status.h"

/* The largest answer body kept (bytes); more is an error. */
#define TQ_API_CLIENT_MAX_BODY (1 << 20)

struct tq_api_answer {
    int status; /* HTTP status */
    char *body; /* NUL-terminated, owned; free() it */
    size_t body_len;
};

/* tq_api_call sends `method` ("GET", "PUT", "POST", "DELETE") for `path_and_query` to
 * 127.0.0.1:`port` with the JSON text `body` (NULL: none) and waits up to `timeout_ms` for the
 * answer. Fails (naming the call) when there is no answer: refused, reset, timed out. */
TQ_MUST_USE tq_status tq_api_call(struct tq_diag *diag, struct tq_api_answer *out, int port,
                                  const char *method, const char *path_and_query, const char *body,
                                  int timeout_ms);

#endif
