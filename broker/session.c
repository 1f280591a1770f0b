/* One client connection: TLS handshake, deadlines and closing. MQTT is in session_mqtt.c. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <limits.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "broker_internal.h"
#include "registration.h"

static void peer_name(char *out, size_t out_len, const struct sockaddr *addr)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(out, out_len, "%s:%u", host, port);
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        snprintf(out, out_len, "[%s]:%u", host, port);
    } else {
        snprintf(out, out_len, "unknown");
    }
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

static json_t *text_or_null(const void *p, size_t len)
{
    return p != NULL ? tq_events_text(p, len) : json_null();
}

static json_t *alert_or_null(int code)
{
    return code < 0 ? json_null() : json_string(tq_tls_alert_name(code));
}

/* see broker_internal.h */
void tq__session_emit(struct tq_session *s, const char *event, json_t *fields)
{
    tq_events_emit(s->broker->events, event, s->conn, s->peer, fields);
}

/* emit_hello writes the pending client_hello event, if any (at most once per connection). */
static void emit_hello(struct tq_session *s)
{
    if (s->tls.hello == NULL)
        return;
    tq__session_emit(s, "client_hello", s->tls.hello);
    s->tls.hello = NULL;
}

/* see broker_internal.h */
void tq__session_free(struct tq_session *s)
{
    emit_hello(s);
    BIO *rbio = SSL_get_rbio(s->ssl), *wbio = SSL_get_wbio(s->ssl);
    tq__session_emit(s, "connection_closed",
                     json_pack("{s:s, s:s?, s:I, s:I, s:I, s:o, s:o}", "reason",
                               s->close_reason ? s->close_reason : "unknown", "detail",
                               s->close_detail[0] ? s->close_detail : NULL, "bytes_in",
                               (json_int_t)(rbio ? BIO_number_read(rbio) : 0), "bytes_out",
                               (json_int_t)(wbio ? BIO_number_written(wbio) : 0), "duration_ms",
                               (json_int_t)elapsed_ms(&s->opened), "alert_sent",
                               alert_or_null(s->tls.alert_sent), "alert_received",
                               alert_or_null(s->tls.alert_received)));
    tq__connected_remove(s);
    tq__mqtt_freeing(s);
    X509_free(s->tls.jitr_leaf);
    if (s->prev)
        s->prev->next = s->next;
    else
        s->broker->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    evutil_socket_t fd = bufferevent_getfd(s->bev);
    event_free(s->timer);
    /* Without BEV_OPT_CLOSE_ON_FREE libevent (2.1) neither frees the SSL nor closes the socket
     * (it never sends close_notify either): both are the session's. Closing the socket at once
     * would reset the connection while the client's bytes are unread, and a client that writes
     * after the reset never reads what the broker sent last, e.g. the alert that refused its
     * certificate. The drain closes it once the client has had time to read. */
    bufferevent_free(s->bev);
    SSL_free(s->ssl);
    tq_drain_close(s->broker->drain, fd);
    free(s);
}

/* deadline returns the timeval to arm a session's timer with for `ms` milliseconds: libevent's
 * common timeout for that duration when there is one. Sessions use few durations (handshake,
 * keep-alive, close grace), each for many timers, which a common timeout keeps in a queue
 * (O(1) to re-arm on every packet) instead of the timer heap (O(log N)). */
static const struct timeval *deadline(struct tq_broker *b, unsigned long ms, struct timeval *tv)
{
    *tv =
        (struct timeval){.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    if (ms == 0)
        return tv;
    size_t n = sizeof(b->timeouts) / sizeof(b->timeouts[0]), i = 0;
    for (; i < n && b->timeouts[i].tv != NULL; i++)
        if (b->timeouts[i].ms == ms)
            return b->timeouts[i].tv;
    if (i == n)
        return tv;
    const struct timeval *common = event_base_init_common_timeout(b->base, tv);
    if (common == NULL)
        return tv;
    b->timeouts[i].ms = ms;
    b->timeouts[i].tv = common;
    return common;
}

/* see broker_internal.h */
void tq__session_arm(struct tq_session *s, unsigned long ms)
{
    struct timeval tv;
    evtimer_add(s->timer, deadline(s->broker, ms, &tv));
}

/* see broker_internal.h */
void tq__session_close(struct tq_session *s, const char *reason, const char *detail, bool flush)
{
    if (s->state == TQ_SESSION_CLOSING)
        return;
    flush = tq__mqtt5_farewell(s, reason, detail) || flush; /* MQTT 5: the server's DISCONNECT */
    s->state = TQ_SESSION_CLOSING;
    tq__connected_remove(s);
    s->close_reason = reason;
    snprintf(s->close_detail, sizeof(s->close_detail), "%s", detail ? detail : "");
    tq__mqtt_closing(s, reason);
    bufferevent_disable(s->bev, EV_READ);
    bool pending = evbuffer_get_length(bufferevent_get_output(s->bev)) > 0;
    tq__session_arm(s, flush && pending ? TQ_BROKER_CLOSE_GRACE_MS : 0);
}

/* write_now writes one whole packet with SSL_write at once; false when it could not (the
 * socket is full, a renegotiation wants to read, an error): the caller then queues the packet,
 * and bufferevent_openssl's own SSL_write of the same bytes (OpenSSL's retry rule; libevent
 * sets SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) finishes it or reports the error. The reason:
 * libevent 2.1 writes a socket bufferevent_openssl's output only once the loop sees the socket
 * writable, which costs every reply (CONNACK, PUBACK, PINGRESP) an epoll_ctl to watch for
 * writing, a loop iteration and an epoll_ctl to stop. Only used while nothing is queued, so
 * the packets keep their order. */
static bool write_now(struct tq_session *s, const struct tq_buf *buf)
{
    if (buf->len == 0 || buf->len > INT_MAX)
        return false;
    ERR_clear_error();
    if (SSL_write(s->ssl, buf->data, (int)buf->len) == (int)buf->len)
        return true;
    ERR_clear_error();
    return false;
}

/* see broker_internal.h */
void tq__session_send(struct tq_session *s, const struct tq_buf *buf)
{
    if (s->state == TQ_SESSION_CLOSING)
        return;
    size_t queued = evbuffer_get_length(bufferevent_get_output(s->bev));
    if (queued + buf->len > TQ_BROKER_MAX_OUTPUT) {
        tq__session_close(s, "output_overflow", "the client does not read what it is sent", false);
        return;
    }
    if (queued == 0 && write_now(s, buf))
        return;
    bufferevent_write(s->bev, buf->data, buf->len);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct tq_session *s = arg;
    static const char *const reasons[] = {
        [TQ_SESSION_HANDSHAKE] = "handshake_timeout",
        [TQ_SESSION_AWAIT_CONNECT] = "connect_timeout",
        [TQ_SESSION_CONNECTED] = "keepalive_timeout",
    };
    if (s->state == TQ_SESSION_CLOSING)
        tq__session_free(s);
    else
        tq__session_close(s, reasons[s->state], NULL, false);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    tq__mqtt_input(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct tq_session *s = arg;
    if (s->state == TQ_SESSION_CLOSING && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        tq__session_arm(s, 0);
}

/* tls_failure describes why the handshake or the connection failed, from OpenSSL's queue. */
static void tls_failure(struct tq_session *s, char *out, size_t out_len, bool *out_no_cert)
{
    unsigned long e, last = 0;
    *out_no_cert = false;
    /* libevent stacks SSL_get_error()'s code (no library part) below OpenSSL's queue and pops
     * newest first: keep the oldest real OpenSSL error, the root cause. */
    while ((e = bufferevent_get_openssl_error(s->bev)) != 0) {
        if (ERR_GET_LIB(e) != 0)
            last = e;
        if (ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
            *out_no_cert = true;
    }
    if (last != 0)
        ERR_error_string_n(last, out, out_len);
    else
        snprintf(out, out_len, "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void certificate_rejected(struct tq_session *s, const char *reason)
{
    if (s->tls.jitr_leaf != NULL) { /* register first: the event below then reads true */
        tq_registration_jitr(s);
        X509_free(s->tls.jitr_leaf);
        s->tls.jitr_leaf = NULL;
    }
    tq__session_emit(s, "client_certificate_rejected",
                     json_pack("{s:s, s:s?, s:s?, s:i}", "reason", reason, "client_cert_id",
                               s->tls.cert_id[0] ? s->tls.cert_id : NULL, "client_subject",
                               s->tls.subject[0] ? s->tls.subject : NULL, "verify_error",
                               s->tls.verify_error));
}

static void sni_rejected(struct tq_session *s)
{
    const char *sni = SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name);
    tq__session_emit(s, "sni_rejected",
                     json_pack("{s:s, s:o, s:s?}", "reason", s->tls.sni_refusal, "sni",
                               text_or_null(sni, sni ? strlen(sni) : 0), "expected",
                               s->broker->tls.endpoint_host));
}

/* alpn_offer returns the ALPN names of the pending client_hello summary (a new list). */
static json_t *alpn_offer(const struct tq_session *s)
{
    json_t *offer = s->tls.hello ? json_object_get(s->tls.hello, "alpn") : NULL;
    return json_is_array(offer) ? json_deep_copy(offer) : json_array();
}

static void alpn_rejected(struct tq_session *s, json_t *offer)
{
    tq__session_emit(s, "alpn_rejected",
                     json_pack("{s:s, s:o, s:s}", "reason", s->tls.alpn_refusal, "alpn",
                               offer ? offer : json_array(), "expected", "x-amzn-mqtt-ca"));
}

static void on_error(struct tq_session *s, short what)
{
    bool alpn_refused = s->state == TQ_SESSION_HANDSHAKE && s->tls.alpn_refusal != NULL;
    json_t *offer = alpn_refused ? alpn_offer(s) : NULL; /* before emit_hello takes it */
    emit_hello(s);
    char detail[256];
    bool no_cert;
    tls_failure(s, detail, sizeof(detail), &no_cert);
    if (alpn_refused) {
        alpn_rejected(s, offer);
        tq__session_close(s, "alpn_refused", detail, false);
        return;
    }
    if (s->state == TQ_SESSION_HANDSHAKE && s->tls.sni_refusal != NULL) {
        sni_rejected(s);
        tq__session_close(s, "sni_refused", detail, false);
        return;
    }
    if (s->state == TQ_SESSION_HANDSHAKE) {
        if (s->tls.refusal != NULL || no_cert)
            certificate_rejected(s, no_cert ? "missing" : s->tls.refusal);
        const char *reason = s->tls.refusal || no_cert ? "certificate_refused" : "handshake_failed";
        tq__session_close(s, (what & BEV_EVENT_EOF) ? "peer_closed" : reason, detail, false);
        return;
    }
    bool eof = what & BEV_EVENT_EOF;
    tq__session_close(s, eof ? "peer_closed" : "tls_error", eof ? NULL : detail, false);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct tq_session *s = arg;
    if (what & BEV_EVENT_CONNECTED) {
        tq__session_established(s);
        return;
    }
    if (s->state == TQ_SESSION_CLOSING) { /* the peer went away while we flushed */
        tq__session_arm(s, 0);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        on_error(s, what);
}

static struct tq_session *session_new(struct tq_broker *b, evutil_socket_t fd, SSL *ssl)
{
    struct tq_session *s = calloc(1, sizeof(*s));
    if (s != NULL)
        s->timer = evtimer_new(b->base, on_timer, s);
    if (s != NULL && s->timer != NULL)
        s->bev = bufferevent_openssl_socket_new(b->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, 0);
    if (s == NULL || s->bev == NULL) {
        if (s != NULL && s->timer != NULL)
            event_free(s->timer);
        free(s);
        return NULL;
    }
    return s;
}

static void link_session(struct tq_broker *b, struct tq_session *s)
{
    s->broker = b;
    s->next = b->sessions;
    if (b->sessions)
        b->sessions->prev = s;
    b->sessions = s;
}

/* see broker_internal.h */
void tq__session_accept(struct tq_broker *b, evutil_socket_t fd, const struct sockaddr *addr)
{
    SSL *ssl = SSL_new(b->ssl_ctx);
    struct tq_session *s = ssl ? session_new(b, fd, ssl) : NULL;
    if (s == NULL) { /* the bufferevent takes neither the SSL nor the socket */
        SSL_free(ssl);
        evutil_closesocket(fd);
        tq_events_emit(b->events, "connection_dropped", 0, "",
                       json_pack("{s:s}", "reason", "out_of_memory"));
        return;
    }
    link_session(b, s);
    s->ssl = ssl;
    s->conn = ++b->next_conn;
    peer_name(s->peer, sizeof(s->peer), addr);
    clock_gettime(CLOCK_MONOTONIC, &s->opened);
    tq_tls_peer_attach(ssl, &s->tls);
    bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
    bufferevent_setwatermark(s->bev, EV_READ, 0, b->cfg->max_packet + 8);
    bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
    tq__session_emit(s, "connection_opened", json_pack("{s:s}", "listener", b->listen_addr));
    tq__session_arm(s, b->cfg->handshake_timeout_s * 1000UL);
}

static void emit_established(struct tq_session *s)
{
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(s->ssl, &alpn, &alpn_len);
    const char *sni = SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name);
    tq__session_emit(s, "tls_established",
                     json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?, s:s?}", "version",
                               SSL_get_version(s->ssl), "suite",
                               SSL_CIPHER_standard_name(SSL_get_current_cipher(s->ssl)), "sni",
                               text_or_null(sni, sni ? strlen(sni) : 0), "alpn",
                               text_or_null(alpn_len ? alpn : NULL, alpn_len), "client_cert_id",
                               s->tls.cert_id[0] ? s->tls.cert_id : NULL, "client_subject",
                               s->tls.subject[0] ? s->tls.subject : NULL, "validity_ignored",
                               s->tls.validity_ignored));
}

/* see broker_internal.h */
void tq__session_established(struct tq_session *s)
{
    emit_hello(s);
    emit_established(s);
    s->state = TQ_SESSION_AWAIT_CONNECT;
    if (s->tls.refusal != NULL) {
        certificate_rejected(s, s->tls.refusal);
        if (s->broker->cfg->refusal == TQ_REFUSE_CLOSE) {
            tq__session_close(s, "certificate_refused", s->tls.refusal, false);
            return;
        }
    }
    tq__session_arm(s, s->broker->cfg->handshake_timeout_s * 1000UL);
}
