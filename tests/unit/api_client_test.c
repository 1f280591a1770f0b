/* Tests for harness/api_client.c: a call gets the status and body as the server sent them, with
 * the method, path and body it was given; no server is a clear failure, not a hang. */
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "api_client.h"

struct server {
    struct event_base *base;
    struct evhttp *http;
    int port;
    pthread_t thread;
    char seen[512]; /* "METHOD URI BODY" of the last request */
};

static void on_request(struct evhttp_request *req, void *arg)
{
    struct server *s = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char body[256] = "";
    evbuffer_remove(in, body, len < sizeof(body) - 1 ? len : sizeof(body) - 1);
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    snprintf(s->seen, sizeof(s->seen), "%s %s %s", cmd == EVHTTP_REQ_PUT ? "PUT" : "other",
             evhttp_request_get_uri(req), body);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add_printf(out, "{\"message\":\"nope\",\"__type\":\"ResourceNotFoundException\"}");
    evhttp_send_reply(req, 404, "Not Found", out);
    evbuffer_free(out);
    /* One request per test; the reply is written by later loop iterations, so the loop ends
     * a little later rather than at once. */
    struct timeval later = {.tv_sec = 0, .tv_usec = 200 * 1000};
    event_base_loopexit(s->base, &later);
}

static void *serve(void *arg)
{
    struct server *s = arg;
    event_base_dispatch(s->base);
    return NULL;
}

static void server_start(struct server *s)
{
    memset(s, 0, sizeof(*s));
    s->base = event_base_new();
    s->http = evhttp_new(s->base);
    evhttp_set_gencb(s->http, on_request, s);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
    cr_assert_not_null(sock);
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&addr, &len);
    s->port = ntohs(addr.sin_port);
    cr_assert_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

/* server_join waits for the one request to be served. */
static void server_join(struct server *s)
{
    pthread_join(s->thread, NULL);
    evhttp_free(s->http);
    event_base_free(s->base);
}

Test(api_client, returns_status_and_body_as_sent)
{
    struct server s;
    server_start(&s);
    struct tq_diag diag = {0};
    struct tq_api_answer answer;
    tq_status st = tq_api_call(&diag, &answer, s.port, "PUT", "/certificates/ab?newStatus=ACTIVE",
                               "{\"a\":1}", 5000);
    cr_assert(tq_ok(st), "%s", diag.msg);
    cr_expect_eq(answer.status, 404);
    cr_expect(strstr(answer.body, "ResourceNotFoundException") != NULL, "%s", answer.body);
    cr_expect_str_eq(s.seen, "PUT /certificates/ab?newStatus=ACTIVE {\"a\":1}");
    free(answer.body);
    server_join(&s);
}

Test(api_client, no_server_is_a_clear_failure)
{
    /* A port nobody listens on: bound, never listened, closed. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&addr, len), 0);
    getsockname(fd, (struct sockaddr *)&addr, &len);
    int port = ntohs(addr.sin_port);
    close(fd);
    struct tq_diag diag = {0};
    struct tq_api_answer answer;
    tq_status st = tq_api_call(&diag, &answer, port, "GET", "/certificates", NULL, 2000);
    cr_expect_not(tq_ok(st));
    cr_expect(strstr(diag.msg, "GET /certificates: no answer from the control plane") != NULL, "%s",
              diag.msg);
    cr_expect_null(answer.body);
}
