/* mqtt_exchange.c: the MQTT 3.1.1 client exchange of docs/backend-protocol.md, over the ops
 * table's read/write, with the codec of common/mqtt.h. See driver_internal.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "driver_internal.h"

#define MAX_FRAME_LEN (1024u * 1024u) /* the largest packet accepted from the broker */
#define MAX_READS 100000              /* per frame: bounded even if the peer trickles bytes */
#define MAX_FRAMES_PER_WAIT 10000     /* unrelated PUBLISHes tolerated while waiting */
#define DEFAULT_CLIENT_ID "tlsqual-backend"

struct session {
    const struct tq_link *link;
    struct tq_outcome *out;
    struct tq_mqtt_report *report;
    struct tq_buf in;
    size_t consumed; /* bytes of `in` that belong to the last frame */
    uint16_t next_packet_id;
};

static tq_status mqtt_error(struct session *s, const char *fmt, ...) TQ_PRINTF(2, 3);

static tq_status mqtt_error(struct session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->out->reason, sizeof(s->out->reason), fmt, ap);
    va_end(ap);
    s->out->code = TQ_OUT_MQTT_ERROR;
    return TQ_STATUS(TQ_ERR_PROTOCOL);
}

static void drop_consumed(struct session *s)
{
    if (s->consumed == 0)
        return;
    memmove(s->in.data, s->in.data + s->consumed, s->in.len - s->consumed);
    s->in.len -= s->consumed;
    s->consumed = 0;
}

/* read_more reads one chunk from the TLS connection into `s->in`. */
static tq_status read_more(struct session *s, const char *waiting_for)
{
    uint8_t chunk[16384];
    size_t n = 0;
    tq__arm_deadline(s->link->fd, s->link->deadline_ms);
    TQ_GUARD(s->link->ops->read(s->link->conn, s->out, chunk, sizeof(chunk), &n));
    if (n == 0)
        return tq_outcome_fail(s->out, TQ_OUT_CLOSED_BY_PEER,
                               "the server closed the connection while the client waited for %s",
                               waiting_for);
    tq_status st = tq_buf_append(&s->in, chunk, n);
    if (!tq_ok(st))
        return mqtt_error(s, "the broker sent more than the frame limit");
    return TQ_SUCCESS;
}

/* read_frame returns the next whole frame; it stays valid until the next call. */
static tq_status read_frame(struct session *s, struct tq_mqtt_frame *frame, const char *waiting_for)
{
    drop_consumed(s);
    for (int i = 0; i < MAX_READS; i++) {
        struct tq_diag diag = {0};
        bool complete = false;
        if (!tq_ok(
                tq_mqtt_frame_parse(&diag, frame, &complete, s->in.data, s->in.len, MAX_FRAME_LEN)))
            return mqtt_error(s, "malformed frame from the broker: %s", diag.msg);
        if (complete) {
            s->consumed = frame->frame_len;
            return TQ_SUCCESS;
        }
        TQ_GUARD(read_more(s, waiting_for));
    }
    return mqtt_error(s, "no whole frame after too many reads while waiting for %s", waiting_for);
}

static tq_status send_buf(struct session *s, const struct tq_buf *b)
{
    tq__arm_deadline(s->link->fd, s->link->deadline_ms);
    return s->link->ops->write(s->link->conn, s->out, b->data, b->len);
}

/* send_packet builds a packet with `build` into a fresh buffer and sends it. */
#define SEND_PACKET(s, build_expr)                                                                 \
    do {                                                                                           \
        struct tq_buf pkt_;                                                                        \
        tq_buf_init(&pkt_, MAX_FRAME_LEN);                                                         \
        tq_status build_st_ = (build_expr);                                                        \
        tq_status send_st_ = tq_ok(build_st_) ? send_buf((s), &pkt_) : build_st_;                  \
        tq_buf_cleanup(&pkt_);                                                                     \
        if (!tq_ok(build_st_))                                                                     \
            return mqtt_error((s), "cannot encode a packet");                                      \
        TQ_GUARD(send_st_);                                                                        \
    } while (0)

static tq_status handle_publish(struct session *s, const struct tq_mqtt_frame *frame)
{
    struct tq_diag diag = {0};
    struct tq_mqtt_publish pub;
    if (!tq_ok(tq_mqtt_publish_read(&diag, &pub, frame)))
        return mqtt_error(s, "malformed PUBLISH from the broker: %s", diag.msg);
    s->report->received++;
    if (pub.qos == 1)
        SEND_PACKET(s, tq_mqtt_packet_id_write(&pkt_, TQ_MQTT_PUBACK, pub.packet_id));
    return TQ_SUCCESS;
}

/* await reads frames until one of type `type` arrives, acknowledging PUBLISHes meanwhile. */
static tq_status await(struct session *s, struct tq_mqtt_frame *frame, enum tq_mqtt_type type)
{
    const char *want = tq_mqtt_type_name((uint8_t)type);
    for (int i = 0; i < MAX_FRAMES_PER_WAIT; i++) {
        TQ_GUARD(read_frame(s, frame, want));
        if (frame->type == type)
            return TQ_SUCCESS;
        if (frame->type != TQ_MQTT_PUBLISH)
            return mqtt_error(s, "want %s, got %s", want, tq_mqtt_type_name(frame->type));
        TQ_GUARD(handle_publish(s, frame));
    }
    return mqtt_error(s, "want %s, got too many other packets", want);
}

static tq_status do_connect(struct session *s, const struct tq_mqtt_spec *spec)
{
    struct tq_mqtt_connect c = {
        .protocol_name = tq_mqtt_str_of("MQTT"),
        .protocol_level = 4,
        .clean_session = true,
        .keep_alive = spec->keep_alive,
        .client_id = tq_mqtt_str_of(spec->client_id != NULL ? spec->client_id : DEFAULT_CLIENT_ID),
    };
    SEND_PACKET(s, tq_mqtt_connect_write(&pkt_, &c));
    struct tq_mqtt_frame frame;
    TQ_GUARD(await(s, &frame, TQ_MQTT_CONNACK));
    struct tq_diag diag = {0};
    struct tq_mqtt_connack ack;
    if (!tq_ok(tq_mqtt_connack_read(&diag, &ack, &frame)))
        return mqtt_error(s, "malformed CONNACK: %s", diag.msg);
    s->report->connack = ack.return_code;
    if (ack.return_code != TQ_MQTT_ACCEPTED)
        return tq_outcome_fail(s->out, TQ_OUT_CONNACK_REFUSED, "CONNACK return code %u",
                               (unsigned)ack.return_code);
    return TQ_SUCCESS;
}

static uint16_t next_id(struct session *s)
{
    s->next_packet_id = (uint16_t)(s->next_packet_id % 65535u + 1u);
    return s->next_packet_id;
}

static tq_status do_subscribe(struct session *s, const struct tq_mqtt_sub_spec *sub)
{
    struct tq_mqtt_subscribe req = {.packet_id = next_id(s), .num_filters = 1};
    req.filters[0] = tq_mqtt_str_of(sub->topic);
    req.qos[0] = sub->qos;
    SEND_PACKET(s, tq_mqtt_subscribe_write(&pkt_, TQ_MQTT_SUBSCRIBE, &req));
    struct tq_mqtt_frame frame;
    TQ_GUARD(await(s, &frame, TQ_MQTT_SUBACK));
    struct tq_diag diag = {0};
    struct tq_mqtt_suback ack;
    if (!tq_ok(tq_mqtt_suback_read(&diag, &ack, &frame)))
        return mqtt_error(s, "malformed SUBACK: %s", diag.msg);
    if (ack.packet_id != req.packet_id || ack.num_codes != 1)
        return mqtt_error(s, "SUBACK does not answer the SUBSCRIBE to %s", sub->topic);
    if (s->report->num_suback < sizeof(s->report->suback))
        s->report->suback[s->report->num_suback++] = ack.codes[0];
    if (ack.codes[0] == 0x80)
        return tq_outcome_fail(s->out, TQ_OUT_SUBACK_REFUSED, "SUBACK 0x80 for %s", sub->topic);
    return TQ_SUCCESS;
}

static tq_status do_publish(struct session *s, const struct tq_mqtt_pub_spec *p)
{
    const char *payload = p->payload != NULL ? p->payload : "";
    struct tq_mqtt_publish pub = {
        .qos = p->qos,
        .topic = tq_mqtt_str_of(p->topic),
        .packet_id = p->qos > 0 ? next_id(s) : 0,
        .payload = (const uint8_t *)payload,
        .payload_len = strlen(payload),
    };
    SEND_PACKET(s, tq_mqtt_publish_write(&pkt_, &pub));
    if (p->qos == 0)
        return TQ_SUCCESS;
    struct tq_mqtt_frame frame;
    TQ_GUARD(await(s, &frame, TQ_MQTT_PUBACK));
    struct tq_diag diag = {0};
    uint16_t id = 0;
    if (!tq_ok(tq_mqtt_packet_id_read(&diag, &id, &frame)) || id != pub.packet_id)
        return mqtt_error(s, "PUBACK does not answer the PUBLISH to %s", p->topic);
    s->report->puback++;
    return TQ_SUCCESS;
}

static tq_status run_steps(struct session *s, const struct tq_mqtt_spec *spec)
{
    TQ_GUARD(do_connect(s, spec));
    for (size_t i = 0; i < spec->num_subscribe; i++)
        TQ_GUARD(do_subscribe(s, &spec->subscribe[i]));
    for (size_t i = 0; i < spec->num_publish; i++)
        TQ_GUARD(do_publish(s, &spec->publish[i]));
    for (uint32_t i = 0; i <= spec->expect_messages && s->report->received < spec->expect_messages;
         i++) {
        struct tq_mqtt_frame frame;
        TQ_GUARD(await(s, &frame, TQ_MQTT_PUBLISH));
        TQ_GUARD(handle_publish(s, &frame));
    }
    SEND_PACKET(s, tq_mqtt_empty_write(&pkt_, TQ_MQTT_DISCONNECT));
    return TQ_SUCCESS;
}

/* see driver_internal.h */
tq_status tq__mqtt_exchange(struct tq_outcome *out, struct tq_mqtt_report *report,
                            const struct tq_link *link, const struct tq_mqtt_spec *spec)
{
    struct session s = {.link = link, .out = out, .report = report};
    tq_buf_init(&s.in, MAX_FRAME_LEN + 16384u);
    report->ran = true;
    tq_status st = run_steps(&s, spec);
    tq_buf_cleanup(&s.in);
    return st;
}
