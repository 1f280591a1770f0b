/* mqtt_fuzz: the MQTT codec of common/mqtt.h over arbitrary bytes.
 *
 * The input is a stream of frames, as the broker and the backends read it: tq_mqtt_frame_parse
 * cuts one frame at a time, and the reader for the frame's type decodes it. Every packet a reader
 * accepts must round-trip: the matching writer re-encodes the decoded fields, the re-encoding
 * frames completely, and the reader accepts it again with equal fields. The byte form may differ
 * (a non-minimal remaining length, PUBLISH-style flags on SUBACK, "MQIsdp" as protocol name are
 * all normalised by the writers), the fields may not. PUBLISH topics are also matched against the
 * filters of the last SUBSCRIBE in the stream, which reaches the router's tq_mqtt_topic_matches. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "mqtt_fuzz_common.h"
#include "mqtt.h"

/* Frames larger than this are refused with TQ_ERR_LIMIT; half of max_len, so both paths run. */
enum { MAX_FRAME = 2048, MAX_OUT = 1 << 16 };

/* struct stream is what one input has shown so far. */
struct stream {
    struct tq_mqtt_subscribe last_subscribe;
    bool has_subscribe;
};

static bool connect_eq(const struct tq_mqtt_connect *a, const struct tq_mqtt_connect *b)
{
    return a->protocol_level == b->protocol_level && a->clean_session == b->clean_session &&
           a->keep_alive == b->keep_alive && tq_fuzz_str_eq(a->client_id, b->client_id) &&
           a->has_will == b->has_will && a->will_qos == b->will_qos &&
           a->will_retain == b->will_retain && tq_fuzz_str_eq(a->will_topic, b->will_topic) &&
           tq_fuzz_str_eq(a->will_message, b->will_message) && a->has_username == b->has_username &&
           tq_fuzz_str_eq(a->username, b->username) && a->has_password == b->has_password &&
           tq_fuzz_str_eq(a->password, b->password);
}

static void connect_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt_connect in, again;
    if (!tq_ok(tq_mqtt_connect_read(NULL, &in, frame)) || in.protocol_level != 4)
        return; /* another level is read only as far as its header: nothing to re-encode */
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_connect_write(b, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, TQ_MQTT_CONNECT, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_connect_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(connect_eq(&in, &again));
    TQ_FUZZ_CHECK(tq_fuzz_str_eq(again.protocol_name, tq_mqtt_str_of("MQTT")));
}

static void connack_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt_connack in, again;
    if (!tq_ok(tq_mqtt_connack_read(NULL, &in, frame)))
        return;
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_connack_write(b, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, TQ_MQTT_CONNACK, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_connack_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.session_present == again.session_present &&
                  in.return_code == again.return_code);
}

/* match_topic checks what tq_mqtt_topic_matches must say whatever the filters are. */
static void match_topic(const struct stream *s, struct tq_mqtt_str topic)
{
    TQ_FUZZ_CHECK(tq_mqtt_topic_matches(topic, topic)); /* a topic name has no wildcards */
    TQ_FUZZ_CHECK(tq_mqtt_topic_matches(tq_mqtt_str_of("#"), topic) == (topic.p[0] != '$'));
    for (size_t i = 0; s->has_subscribe && i < s->last_subscribe.num_filters; i++)
        (void)tq_mqtt_topic_matches(s->last_subscribe.filters[i], topic);
}

static void publish_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b,
                               const struct stream *s)
{
    struct tq_mqtt_publish in, again;
    if (!tq_ok(tq_mqtt_publish_read(NULL, &in, frame)))
        return;
    TQ_FUZZ_CHECK(in.topic.len > 0 && in.qos < 3);
    TQ_FUZZ_CHECK(in.payload_len <= frame->body_len &&
                  in.payload + in.payload_len == frame->body + frame->body_len);
    match_topic(s, in.topic);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_publish_write(b, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, TQ_MQTT_PUBLISH, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_publish_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.dup == again.dup && in.qos == again.qos && in.retain == again.retain);
    TQ_FUZZ_CHECK(tq_fuzz_str_eq(in.topic, again.topic) && in.packet_id == again.packet_id);
    TQ_FUZZ_CHECK(in.payload_len == again.payload_len &&
                  (in.payload_len == 0 || memcmp(in.payload, again.payload, in.payload_len) == 0));
}

static void packet_id_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    uint16_t in, again;
    if (!tq_ok(tq_mqtt_packet_id_read(NULL, &in, frame)))
        return;
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_packet_id_write(b, frame->type, in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, frame->type, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_packet_id_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in == again);
}

static void subscribe_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b,
                                 struct stream *s)
{
    struct tq_mqtt_subscribe in, again;
    if (!tq_ok(tq_mqtt_subscribe_read(NULL, &in, frame)))
        return;
    bool with_qos = frame->type == TQ_MQTT_SUBSCRIBE;
    TQ_FUZZ_CHECK(in.num_filters >= 1 && in.num_filters <= TQ_MQTT_MAX_FILTERS);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_subscribe_write(b, frame->type, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, frame->type, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_subscribe_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.packet_id == again.packet_id && in.num_filters == again.num_filters);
    for (size_t i = 0; i < in.num_filters; i++) {
        TQ_FUZZ_CHECK(tq_mqtt_topic_filter_valid(in.filters[i]));
        TQ_FUZZ_CHECK(tq_fuzz_str_eq(in.filters[i], again.filters[i]));
        TQ_FUZZ_CHECK(!with_qos || (in.qos[i] <= 2 && in.qos[i] == again.qos[i]));
    }
    if (with_qos) {
        s->last_subscribe = in; /* the filters point into the input, which outlives `s` */
        s->has_subscribe = true;
    }
}

static void suback_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt_suback in, again;
    if (!tq_ok(tq_mqtt_suback_read(NULL, &in, frame)))
        return;
    TQ_FUZZ_CHECK(in.num_codes >= 1 && in.num_codes <= TQ_MQTT_MAX_FILTERS);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_suback_write(b, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, TQ_MQTT_SUBACK, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_suback_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.packet_id == again.packet_id && in.num_codes == again.num_codes &&
                  memcmp(in.codes, again.codes, in.num_codes) == 0);
}

static void empty_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_empty_write(b, frame->type)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, frame->type, MAX_OUT);
    TQ_FUZZ_CHECK(f.body_len == 0 && f.flags == 0);
}

static void read_frame(const struct tq_mqtt_frame *frame, struct stream *s)
{
    struct tq_buf b;
    tq_buf_init(&b, MAX_OUT);
    switch ((enum tq_mqtt_type)frame->type) {
    case TQ_MQTT_CONNECT:
        connect_round_trip(frame, &b);
        break;
    case TQ_MQTT_CONNACK:
        connack_round_trip(frame, &b);
        break;
    case TQ_MQTT_PUBLISH:
        publish_round_trip(frame, &b, s);
        break;
    case TQ_MQTT_PUBACK:
    case TQ_MQTT_PUBREC:
    case TQ_MQTT_PUBREL:
    case TQ_MQTT_PUBCOMP:
    case TQ_MQTT_UNSUBACK:
        packet_id_round_trip(frame, &b);
        break;
    case TQ_MQTT_SUBSCRIBE:
    case TQ_MQTT_UNSUBSCRIBE:
        subscribe_round_trip(frame, &b, s);
        break;
    case TQ_MQTT_SUBACK:
        suback_round_trip(frame, &b);
        break;
    case TQ_MQTT_PINGREQ:
    case TQ_MQTT_PINGRESP:
    case TQ_MQTT_DISCONNECT:
        empty_round_trip(frame, &b);
        break;
    }
    (void)tq_mqtt_type_name(frame->type);
    tq_buf_cleanup(&b);
}

/* see fuzz_check.h */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stream s = {.has_subscribe = false};
    size_t off = 0;
    for (;;) {
        struct tq_mqtt_frame frame;
        bool complete = true;
        struct tq_diag diag;
        tq_status st =
            tq_mqtt_frame_parse(&diag, &frame, &complete, data + off, size - off, MAX_FRAME);
        if (!tq_ok(st)) {
            TQ_FUZZ_CHECK(diag.code == st.code && !complete);
            break;
        }
        if (!complete)
            break;
        TQ_FUZZ_CHECK(frame.frame_len >= 2 && frame.frame_len <= size - off &&
                      frame.frame_len <= MAX_FRAME);
        TQ_FUZZ_CHECK(frame.body + frame.body_len == data + off + frame.frame_len);
        TQ_FUZZ_CHECK(frame.type == data[off] >> 4 && frame.flags == (data[off] & 0x0f));
        read_frame(&frame, &s);
        off += frame.frame_len;
    }
    return 0;
}
