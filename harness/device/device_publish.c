/* The maximum-size PUBLISH helper: a blocking OpenSSL client under socket deadlines. */
#include "device_publish.h"

#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bytes.h"
#include "mqtt.h"

enum { PACKET_ID = 1, MAX_FRAMES = 64 };

/* see device_publish.h */
size_t tq_device_publish_max_payload(size_t topic_len)
{
    /* fixed header: 1 byte + a 3-byte remaining length (16384 .. 2097151); variable header:
     * 2-byte topic length, the topic, 2-byte packet id. */
    size_t overhead = 1 + 3 + 2 + topic_len + 2;
    return overhead < TQ_DEVICE_MAX_PACKET ? TQ_DEVICE_MAX_PACKET - overhead : 0;
}

/* struct client is one connection; client_cleanup accepts its zero state. */
struct client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    struct tq_buf in;
};

static void client_cleanup(struct client *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    tq_buf_cleanup(&c->in);
}

static tq_status fail_ssl(struct tq_diag *diag, const char *what)
{
    char err[256] = "no detail";
    unsigned long e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, err, sizeof(err));
    ERR_clear_error();
    return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "publisher: %s: %s", what, err);
}

static tq_status tcp_connect(struct tq_diag *diag, struct client *c, long *out_port,
                             const struct tq_device_publish_request *req)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", req->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *ai = NULL;
    if (getaddrinfo(req->host, port, &hints, &ai) != 0 || ai == NULL)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "publisher: '%s' is not an IP address",
                            req->host);
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = req->timeout_ms / 1000,
                         .tv_usec = (req->timeout_ms % 1000) * 1000};
    bool ok = c->fd >= 0 && setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
              setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
              connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0;
    freeaddrinfo(ai);
    if (!ok)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "publisher: cannot connect to %s:%d",
                            req->host, req->port);
    struct sockaddr_storage local;
    socklen_t len = sizeof(local);
    if (getsockname(c->fd, (struct sockaddr *)&local, &len) == 0)
        *out_port = ntohs(local.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&local)->sin6_port
                                                      : ((struct sockaddr_in *)&local)->sin_port);
    return TQ_SUCCESS;
}

static tq_status tls_connect(struct tq_diag *diag, struct client *c,
                             const struct tq_device_publish_request *req)
{
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL || !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION))
        return fail_ssl(diag, "cannot make a TLS context");
    /* The peer is this harness's own broker child, one hop away: its chain is the mock one the
     * plan chose, and checking it here would prove nothing. The publisher authenticates itself
     * with a registered device certificate, as any AWS IoT client must. */
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    if (SSL_CTX_use_certificate_chain_file(c->ctx, req->cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(c->ctx, req->key, SSL_FILETYPE_PEM) != 1)
        return fail_ssl(diag, "cannot load the publisher's certificate");
    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1)
        return fail_ssl(diag, "TLS handshake with the broker failed");
    return TQ_SUCCESS;
}

static tq_status send_all(struct tq_diag *diag, struct client *c, const struct tq_buf *b)
{
    size_t done = 0;
    while (done < b->len) {
        size_t chunk = b->len - done > (1u << 30) ? (1u << 30) : b->len - done;
        int n = SSL_write(c->ssl, b->data + done, (int)chunk);
        if (n <= 0)
            return fail_ssl(diag, "cannot send to the broker");
        done += (size_t)n;
    }
    return TQ_SUCCESS;
}

/* read_frame waits for the next whole packet of type `want`, skipping others (at most
 * MAX_FRAMES), and leaves it at the start of c->in in `out`. */
static tq_status read_frame(struct tq_diag *diag, struct client *c, struct tq_mqtt_frame *out,
                            uint8_t want)
{
    for (int skipped = 0; skipped < MAX_FRAMES;) {
        bool complete = false;
        TQ_GUARD(tq_mqtt_frame_parse(diag, out, &complete, c->in.data, c->in.len, 1 << 20));
        if (complete && out->type == want)
            return TQ_SUCCESS;
        if (complete) {
            memmove(c->in.data, c->in.data + out->frame_len, c->in.len - out->frame_len);
            c->in.len -= out->frame_len;
            skipped++;
            continue;
        }
        uint8_t chunk[4096];
        int n = SSL_read(c->ssl, chunk, sizeof(chunk));
        if (n <= 0)
            return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                                "publisher: the broker closed or went silent while the publisher "
                                "waited for %s",
                                tq_mqtt_type_name(want));
        TQ_GUARD(tq_buf_append(&c->in, chunk, (size_t)n));
    }
    return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "publisher: no %s among %d packets",
                        tq_mqtt_type_name(want), MAX_FRAMES);
}

static tq_status mqtt_connect(struct tq_diag *diag, struct client *c,
                              const struct tq_device_publish_request *req)
{
    struct tq_buf out TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&out, 1024);
    struct tq_mqtt_connect connect = {
        .clean_session = true, .keep_alive = 60, .client_id = tq_mqtt_str_of(req->client_id)};
    TQ_GUARD(tq_mqtt_connect_write(&out, &connect));
    TQ_GUARD(send_all(diag, c, &out));
    struct tq_mqtt_frame frame;
    struct tq_mqtt_connack connack;
    TQ_GUARD(read_frame(diag, c, &frame, TQ_MQTT_CONNACK));
    TQ_GUARD(tq_mqtt_connack_read(diag, &connack, &frame));
    if (connack.return_code != TQ_MQTT_ACCEPTED)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "publisher: want CONNACK 0, got %u (is its certificate registered?)",
                            connack.return_code);
    return TQ_SUCCESS;
}

static tq_status mqtt_publish(struct tq_diag *diag, struct client *c,
                              const struct tq_device_publish_request *req)
{
    static const char pattern[] = "tlsqual-max-publish-0123456789abcdefghijklmnopqrstuvwxyz\n";
    uint8_t *payload TQ_DEFER(tq_free_ptr) = malloc(req->payload_len ? req->payload_len : 1);
    TQ_ENSURE(payload != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < req->payload_len; i++)
        payload[i] = (uint8_t)pattern[i % (sizeof(pattern) - 1)];
    struct tq_buf out TQ_DEFER(tq_buf_cleanup);
    tq_buf_init(&out, req->payload_len + 4096);
    struct tq_mqtt_publish publish = {.qos = 1,
                                      .topic = tq_mqtt_str_of(req->topic),
                                      .packet_id = PACKET_ID,
                                      .payload = payload,
                                      .payload_len = req->payload_len};
    TQ_GUARD(tq_mqtt_publish_write(&out, &publish));
    TQ_GUARD(send_all(diag, c, &out));
    struct tq_mqtt_frame frame;
    uint16_t packet_id = 0;
    TQ_GUARD(read_frame(diag, c, &frame, TQ_MQTT_PUBACK));
    TQ_GUARD(tq_mqtt_packet_id_read(diag, &packet_id, &frame));
    out.len = 0;
    TQ_GUARD(tq_mqtt_empty_write(&out, TQ_MQTT_DISCONNECT));
    return send_all(diag, c, &out);
}

/* see device_publish.h */
tq_status tq_device_publish_send(struct tq_diag *diag, long *out_local_port,
                                 const struct tq_device_publish_request *req)
{
    *out_local_port = -1;
    struct client c TQ_DEFER(client_cleanup) = {.fd = -1};
    tq_buf_init(&c.in, (1 << 20) + 4096);
    TQ_GUARD(tcp_connect(diag, &c, out_local_port, req));
    TQ_GUARD(tls_connect(diag, &c, req));
    TQ_GUARD(mqtt_connect(diag, &c, req));
    TQ_GUARD(mqtt_publish(diag, &c, req));
    SSL_shutdown(c.ssl);
    return TQ_SUCCESS;
}
