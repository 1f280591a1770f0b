/* mqtt5_fuzz: the MQTT 5.0 codec of common/mqtt5.h over arbitrary bytes.
 *
 * The input is a stream of frames, as the broker and the backends read it: tq_mqtt_frame_parse
 * cuts one frame at a time, and the v5 reader for the frame's type decodes it. Every packet a
 * reader accepts must round-trip (mqtt5.h): the matching writer accepts the decoded fields, the
 * re-encoding frames completely as one packet of the same type, and the reader accepts it again
 * with equal fields and equal properties. The bytes may differ (properties are re-ordered by
 * identifier, short forms of acknowledgements and DISCONNECT are chosen, lengths are minimal).
 * A refused packet must say why: the status is one of those mqtt5.h lists, and `diag` holds it
 * with a message. Accepted packets also go through the policy checks with AWS IoT Core's limits,
 * whose reason codes must be ones the answering packet may carry. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "mqtt_fuzz_common.h"
#include "mqtt5.h"

/* Frames larger than this are refused with TQ_ERR_LIMIT; half of max_len, so both paths run. */
enum { MAX_FRAME = 4096, MAX_OUT = 1 << 16 };

/* refused checks the failure contract: a listed status, recorded in `diag` with a message. */
static void refused(tq_status st, const struct tq_diag *diag)
{
    TQ_FUZZ_CHECK(st.code == TQ_ERR_PARSE || st.code == TQ_ERR_PROTOCOL ||
                  st.code == TQ_ERR_LIMIT || st.code == TQ_ERR_UNSUPPORTED);
    TQ_FUZZ_CHECK(diag->code == st.code && diag->msg[0] != '\0');
}

/* props_sane checks what a reader promises about a property set it accepted. */
static void props_sane(const struct tq_mqtt5_props *p, uint8_t type)
{
    TQ_FUZZ_CHECK(p->num_user_props <= TQ_MQTT5_MAX_USER_PROPS);
    TQ_FUZZ_CHECK(p->num_subscription_ids <= TQ_MQTT5_MAX_SUBSCRIPTION_IDS);
    TQ_FUZZ_CHECK(type == TQ_MQTT_PUBLISH || p->num_subscription_ids <= 1);
    for (size_t i = 0; i < p->num_subscription_ids; i++)
        TQ_FUZZ_CHECK(p->subscription_ids[i] >= 1 && p->subscription_ids[i] <= TQ_MQTT5_VBI_MAX);
    for (uint32_t id = 1; id < 64; id++)
        TQ_FUZZ_CHECK(!(p->present & TQ_MQTT5_PROP_BIT(id)) || tq_mqtt5_prop_allowed(type, id));
    TQ_FUZZ_CHECK(!tq_mqtt5_props_has(p, TQ_MQTT5_PROP_AUTH_DATA) ||
                  tq_mqtt5_props_has(p, TQ_MQTT5_PROP_AUTH_METHOD));
    TQ_FUZZ_CHECK(p->payload_format <= 1 && p->request_problem_info <= 1 &&
                  p->request_response_info <= 1 && p->maximum_qos <= 1 &&
                  p->retain_available <= 1 && p->wildcard_sub_available <= 1 &&
                  p->subscription_id_available <= 1 && p->shared_sub_available <= 1);
    TQ_FUZZ_CHECK(!tq_mqtt5_props_has(p, TQ_MQTT5_PROP_RECEIVE_MAXIMUM) || p->receive_maximum);
    TQ_FUZZ_CHECK(!tq_mqtt5_props_has(p, TQ_MQTT5_PROP_TOPIC_ALIAS) || p->topic_alias);
    TQ_FUZZ_CHECK(!tq_mqtt5_props_has(p, TQ_MQTT5_PROP_MAXIMUM_PACKET_SIZE) ||
                  p->maximum_packet_size);
}

static bool connect_eq(const struct tq_mqtt5_connect *a, const struct tq_mqtt5_connect *b)
{
    return a->clean_start == b->clean_start && a->keep_alive == b->keep_alive &&
           tq_mqtt5_props_equal(&a->props, &b->props) &&
           tq_fuzz_str_eq(a->client_id, b->client_id) && a->has_will == b->has_will &&
           a->will_qos == b->will_qos && a->will_retain == b->will_retain &&
           tq_mqtt5_props_equal(&a->will_props, &b->will_props) &&
           tq_fuzz_str_eq(a->will_topic, b->will_topic) &&
           tq_fuzz_str_eq(a->will_payload, b->will_payload) && a->has_username == b->has_username &&
           tq_fuzz_str_eq(a->username, b->username) && a->has_password == b->has_password &&
           tq_fuzz_str_eq(a->password, b->password);
}

static void connect_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt5_connect in, again;
    struct tq_diag diag = {0};
    tq_status st = tq_mqtt5_connect_read(&diag, &in, frame);
    if (!tq_ok(st)) {
        refused(st, &diag);
        return;
    }
    props_sane(&in.props, TQ_MQTT_CONNECT);
    props_sane(&in.will_props, TQ_MQTT5_WILL);
    TQ_FUZZ_CHECK(in.will_qos <= 2 && (in.has_will || (!in.will_qos && !in.will_retain)));
    TQ_FUZZ_CHECK(tq_mqtt5_reason_allowed(TQ_MQTT_CONNACK,
                                          tq_mqtt5_connect_check(&tq_mqtt5_aws_limits, &in)));
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_connect_write(b, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, TQ_MQTT_CONNECT, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_connect_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(connect_eq(&in, &again));
}

static void connack_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt5_connack in, again;
    struct tq_diag diag = {0};
    tq_status st = tq_mqtt5_connack_read(&diag, &in, frame);
    if (!tq_ok(st)) {
        refused(st, &diag);
        return;
    }
    props_sane(&in.props, TQ_MQTT_CONNACK);
    TQ_FUZZ_CHECK(tq_mqtt5_reason_allowed(TQ_MQTT_CONNACK, in.reason));
    TQ_FUZZ_CHECK(!in.session_present || in.reason == 0);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_connack_write(b, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, TQ_MQTT_CONNACK, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_connack_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.session_present == again.session_present && in.reason == again.reason &&
                  tq_mqtt5_props_equal(&in.props, &again.props));
}

static void publish_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt5_publish in, again;
    struct tq_diag diag = {0};
    tq_status st = tq_mqtt5_publish_read(&diag, &in, frame);
    if (!tq_ok(st)) {
        refused(st, &diag);
        return;
    }
    props_sane(&in.props, TQ_MQTT_PUBLISH);
    TQ_FUZZ_CHECK(in.qos < 3 && (in.qos > 0 || in.packet_id == 0));
    TQ_FUZZ_CHECK(in.topic.len > 0 || tq_mqtt5_props_has(&in.props, TQ_MQTT5_PROP_TOPIC_ALIAS));
    TQ_FUZZ_CHECK(in.payload + in.payload_len == frame->body + frame->body_len);
    TQ_FUZZ_CHECK(tq_mqtt5_reason_allowed(TQ_MQTT_DISCONNECT,
                                          tq_mqtt5_publish_check(&tq_mqtt5_aws_limits, &in)));
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_publish_write(b, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, TQ_MQTT_PUBLISH, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_publish_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.dup == again.dup && in.qos == again.qos && in.retain == again.retain);
    TQ_FUZZ_CHECK(tq_fuzz_str_eq(in.topic, again.topic) && in.packet_id == again.packet_id);
    TQ_FUZZ_CHECK(tq_mqtt5_props_equal(&in.props, &again.props));
    TQ_FUZZ_CHECK(in.payload_len == again.payload_len &&
                  (in.payload_len == 0 || memcmp(in.payload, again.payload, in.payload_len) == 0));
}

static void ack_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt5_ack in, again;
    struct tq_diag diag = {0};
    tq_status st = tq_mqtt5_ack_read(&diag, &in, frame);
    if (!tq_ok(st)) {
        refused(st, &diag);
        return;
    }
    props_sane(&in.props, frame->type);
    TQ_FUZZ_CHECK(in.packet_id != 0 && tq_mqtt5_reason_allowed(frame->type, in.reason));
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_ack_write(b, (enum tq_mqtt_type)frame->type, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, frame->type, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_ack_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.packet_id == again.packet_id && in.reason == again.reason &&
                  tq_mqtt5_props_equal(&in.props, &again.props));
    TQ_FUZZ_CHECK(f.body_len <= frame->body_len); /* the shortest form */
}

/* filter_sane checks a filter the reader accepted, and the Shared Subscription split of it. */
static void filter_sane(struct tq_mqtt_str filter)
{
    TQ_FUZZ_CHECK(tq_mqtt5_filter_valid(filter));
    struct tq_mqtt_str share, inner;
    if (!tq_mqtt5_filter_shared(filter, &share, &inner))
        return;
    TQ_FUZZ_CHECK(share.len > 0 && inner.len > 0 && tq_mqtt_topic_filter_valid(inner));
    TQ_FUZZ_CHECK(7 + share.len + 1 + inner.len == filter.len && inner.p[-1] == '/');
}

static bool subscription_eq(const struct tq_mqtt5_subscription *a,
                            const struct tq_mqtt5_subscription *b)
{
    return tq_fuzz_str_eq(a->filter, b->filter) && a->qos == b->qos && a->no_local == b->no_local &&
           a->retain_as_published == b->retain_as_published &&
           a->retain_handling == b->retain_handling;
}

static void subscribe_checks(const struct tq_mqtt5_subscribe *in, uint8_t type)
{
    uint8_t codes[TQ_MQTT5_MAX_FILTERS];
    uint8_t ack = type == TQ_MQTT_SUBSCRIBE ? TQ_MQTT_SUBACK : TQ_MQTT_UNSUBACK;
    uint8_t rc = tq_mqtt5_subscribe_check(&tq_mqtt5_aws_limits, (enum tq_mqtt_type)type, in, codes);
    TQ_FUZZ_CHECK(tq_mqtt5_reason_allowed(TQ_MQTT_DISCONNECT, rc));
    for (size_t i = 0; i < in->num_filters; i++)
        TQ_FUZZ_CHECK(tq_mqtt5_reason_allowed(ack, codes[i]));
}

static void subscribe_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt5_subscribe in, again;
    struct tq_diag diag = {0};
    tq_status st = tq_mqtt5_subscribe_read(&diag, &in, frame);
    if (!tq_ok(st)) {
        refused(st, &diag);
        return;
    }
    props_sane(&in.props, frame->type);
    TQ_FUZZ_CHECK(in.packet_id != 0 && in.num_filters >= 1 &&
                  in.num_filters <= TQ_MQTT5_MAX_FILTERS);
    for (size_t i = 0; i < in.num_filters; i++) {
        filter_sane(in.subs[i].filter);
        TQ_FUZZ_CHECK(in.subs[i].qos <= 2 && in.subs[i].retain_handling <= 2);
    }
    subscribe_checks(&in, frame->type);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_subscribe_write(b, (enum tq_mqtt_type)frame->type, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, frame->type, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_subscribe_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.packet_id == again.packet_id && in.num_filters == again.num_filters &&
                  tq_mqtt5_props_equal(&in.props, &again.props));
    for (size_t i = 0; i < in.num_filters; i++)
        TQ_FUZZ_CHECK(subscription_eq(&in.subs[i], &again.subs[i]));
}

static void suback_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt5_suback in, again;
    struct tq_diag diag = {0};
    tq_status st = tq_mqtt5_suback_read(&diag, &in, frame);
    if (!tq_ok(st)) {
        refused(st, &diag);
        return;
    }
    props_sane(&in.props, frame->type);
    TQ_FUZZ_CHECK(in.num_codes >= 1 && in.num_codes <= TQ_MQTT5_MAX_FILTERS);
    for (size_t i = 0; i < in.num_codes; i++)
        TQ_FUZZ_CHECK(tq_mqtt5_reason_allowed(frame->type, in.codes[i]) &&
                      tq_mqtt5_reason_name(frame->type, in.codes[i])[0] != '\0');
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_suback_write(b, (enum tq_mqtt_type)frame->type, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, frame->type, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_suback_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.packet_id == again.packet_id && in.num_codes == again.num_codes &&
                  memcmp(in.codes, again.codes, in.num_codes) == 0 &&
                  tq_mqtt5_props_equal(&in.props, &again.props));
}

static void disconnect_round_trip(const struct tq_mqtt_frame *frame, struct tq_buf *b)
{
    struct tq_mqtt5_disconnect in, again;
    struct tq_diag diag = {0};
    tq_status st = tq_mqtt5_disconnect_read(&diag, &in, frame);
    if (!tq_ok(st)) {
        refused(st, &diag);
        return;
    }
    props_sane(&in.props, frame->type);
    TQ_FUZZ_CHECK(tq_mqtt5_reason_allowed(frame->type, in.reason));
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_disconnect_write(b, frame->type, &in)));
    struct tq_mqtt_frame f = tq_fuzz_reframe(b, frame->type, MAX_OUT);
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt5_disconnect_read(NULL, &again, &f)));
    TQ_FUZZ_CHECK(in.reason == again.reason && tq_mqtt5_props_equal(&in.props, &again.props));
    TQ_FUZZ_CHECK(f.body_len <= frame->body_len); /* the shortest form */
}

static void read_frame(const struct tq_mqtt_frame *frame)
{
    struct tq_buf b;
    tq_buf_init(&b, MAX_OUT);
    switch (frame->type) {
    case TQ_MQTT_CONNECT:
        connect_round_trip(frame, &b);
        break;
    case TQ_MQTT_CONNACK:
        connack_round_trip(frame, &b);
        break;
    case TQ_MQTT_PUBLISH:
        publish_round_trip(frame, &b);
        break;
    case TQ_MQTT_PUBACK:
    case TQ_MQTT_PUBREC:
    case TQ_MQTT_PUBREL:
    case TQ_MQTT_PUBCOMP:
        ack_round_trip(frame, &b);
        break;
    case TQ_MQTT_SUBSCRIBE:
    case TQ_MQTT_UNSUBSCRIBE:
        subscribe_round_trip(frame, &b);
        break;
    case TQ_MQTT_SUBACK:
    case TQ_MQTT_UNSUBACK:
        suback_round_trip(frame, &b);
        break;
    case TQ_MQTT_DISCONNECT:
    case TQ_MQTT5_AUTH:
        disconnect_round_trip(frame, &b);
        break;
    default: /* PINGREQ, PINGRESP have no v5 reader: the same as in 3.1.1; type 0 is reserved */
        break;
    }
    TQ_FUZZ_CHECK(tq_mqtt5_type_name(frame->type)[0] != '\0');
    tq_buf_cleanup(&b);
}

/* see fuzz_check.h */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    for (;;) {
        struct tq_mqtt_frame frame;
        bool complete = true;
        struct tq_diag diag = {0};
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
        read_frame(&frame);
        off += frame.frame_len;
    }
    return 0;
}
