#include "api_client.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct call {
    struct event_base *base;
    int port;
    struct tq_api_answer *out;
    bool answered;
    bool too_big;
};

static void on_answer(struct evhttp_request *req, void *arg)
{
    struct call *c = arg;
    event_base_loopexit(c->base, NULL);
    if (req == NULL || evhttp_request_get_response_code(req) == 0)
        return; /* no answer: refused, reset or timed out */
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > TQ_API_CLIENT_MAX_BODY) {
        c->too_big = true;
        return;
    }
    c->out->body = malloc(len + 1);
    if (c->out->body == NULL)
        return;
    evbuffer_remove(in, c->out->body, len);
    c->out->body[len] = '\0';
    c->out->body_len = len;
    c->out->status = evhttp_request_get_response_code(req);
    c->answered = true;
}

static enum evhttp_cmd_type command_of(const char *method)
{
    return strcmp(method, "PUT") == 0      ? EVHTTP_REQ_PUT
           : strcmp(method, "POST") == 0   ? EVHTTP_REQ_POST
           : strcmp(method, "DELETE") == 0 ? EVHTTP_REQ_DELETE
                                           : EVHTTP_REQ_GET;
}

static bool add_request_parts(struct evhttp_request *req, int port, const char *body)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    char host[32];
    snprintf(host, sizeof(host), "127.0.0.1:%d", port);
    bool ok = evhttp_add_header(headers, "Host", host) == 0 &&
              evhttp_add_header(headers, "Connection", "close") == 0;
    if (ok && body != NULL)
        ok = evhttp_add_header(headers, "Content-Type", "application/json") == 0 &&
             evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body)) == 0;
    return ok;
}

static tq_status send_and_wait(struct tq_diag *diag, struct call *c, struct evhttp_connection *conn,
                               const char *method, const char *path_and_query, const char *body)
{
    struct evhttp_request *req = evhttp_request_new(on_answer, c);
    TQ_ENSURE(req != NULL, TQ_ERR_NOMEM);
    if (!add_request_parts(req, c->port, body)) {
        evhttp_request_free(req);
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    /* evhttp_make_request owns `req` from here, also when it fails. */
    if (evhttp_make_request(conn, req, command_of(method), path_and_query) != 0)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "%s %s: cannot send the request", method,
                            path_and_query);
    event_base_dispatch(c->base);
    return TQ_SUCCESS;
}

/* see api_client.h */
tq_status tq_api_call(struct tq_diag *diag, struct tq_api_answer *out, int port, const char *method,
                      const char *path_and_query, const char *body, int timeout_ms)
{
    *out = (struct tq_api_answer){0};
    struct call c = {.base = event_base_new(), .port = port, .out = out};
    TQ_ENSURE(c.base != NULL, TQ_ERR_NOMEM);
    struct evhttp_connection *conn =
        evhttp_connection_base_new(c.base, NULL, "127.0.0.1", (unsigned short)port);
    tq_status st = TQ_STATUS(TQ_ERR_NOMEM);
    if (conn != NULL) {
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        evhttp_connection_set_timeout_tv(conn, &tv);
        evhttp_connection_set_retries(conn, 0);
        st = send_and_wait(diag, &c, conn, method, path_and_query, body);
        evhttp_connection_free(conn);
    }
    event_base_free(c.base);
    if (tq_ok(st) && !c.answered) {
        free(out->body);
        *out = (struct tq_api_answer){0};
        if (c.too_big)
            st = tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0,
                              "%s %s: the answer is larger than "
                              "%d bytes",
                              method, path_and_query, TQ_API_CLIENT_MAX_BODY);
        else
            st = tq_diag_fail(diag, TQ_ERR_TIMEOUT, NULL, 0,
                              "%s %s: no answer from the "
                              "control plane within %d ms",
                              method, path_and_query, timeout_ms);
    }
    return st;
}
