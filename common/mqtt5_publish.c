/* PUBLISH and PUBACK, PUBREC, PUBREL, PUBCOMP of MQTT 5.0 (sections 3.3 to 3.7). */
#include "mqtt5_internal.h"

/* see mqtt5.h */
tq_status tq_mqtt5_publish_read(struct tq_diag *diag, struct tq_mqtt5_publish *out,
                                const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt5_publish){
        .dup = frame->flags & 0x08,
        .qos = (frame->flags >> 1) & 3,
        .retain = frame->flags & 0x01,
    };
    TQ_GUARD(tq__mqtt5_frame_check(diag, frame, TQ_MQTT_PUBLISH, frame->flags));
    if (out->qos == 3) /* [MQTT-3.3.1-4] */
        return tq__mqtt5_malformed(diag, TQ_MQTT_PUBLISH, "QoS 3");
    if (out->dup && out->qos == 0) /* [MQTT-3.3.1-2] */
        return tq__mqtt5_malformed(diag, TQ_MQTT_PUBLISH, "DUP set on a QoS 0 message");
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    TQ_GUARD(tq__mqtt5_read_utf8(diag, &c, &out->topic, TQ_MQTT_PUBLISH, "Topic Name"));
    if (!tq__mqtt5_topic_name_valid(out->topic, true)) /* [MQTT-3.3.2-2] */
        return tq__mqtt5_malformed(diag, TQ_MQTT_PUBLISH, "wildcard in the Topic Name");
    if (out->qos > 0 && (!tq_ok(tq_cursor_u16(&c, &out->packet_id)) || out->packet_id == 0))
        return tq__mqtt5_malformed(diag, TQ_MQTT_PUBLISH, "missing or zero packet identifier");
    TQ_GUARD(tq__mqtt5_props_read(diag, &out->props, &c, TQ_MQTT_PUBLISH));
    /* Section 3.3.2.1: "It is a Protocol Error if the Topic Name is zero length and there is
     * no Topic Alias." */
    if (out->topic.len == 0 && !tq_mqtt5_props_has(&out->props, TQ_MQTT5_PROP_TOPIC_ALIAS))
        return tq__mqtt5_protocol(diag, TQ_MQTT_PUBLISH, "empty Topic Name without Topic Alias");
    out->payload = c.p;
    out->payload_len = c.len;
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_publish_write(struct tq_buf *out, const struct tq_mqtt5_publish *in)
{
    TQ_ENSURE(in->qos <= 2 && !(in->dup && in->qos == 0), TQ_ERR_USAGE);
    TQ_ENSURE(in->qos == 0 || in->packet_id != 0, TQ_ERR_USAGE);
    TQ_ENSURE(tq__mqtt5_topic_name_valid(in->topic, true), TQ_ERR_USAGE);
    TQ_ENSURE(in->topic.len > 0 || tq_mqtt5_props_has(&in->props, TQ_MQTT5_PROP_TOPIC_ALIAS),
              TQ_ERR_USAGE);
    size_t props_len;
    TQ_GUARD(tq__mqtt5_props_size(&in->props, TQ_MQTT_PUBLISH, &props_len));
    uint8_t flags = (uint8_t)((in->dup ? 0x08 : 0) | (in->qos << 1) | (in->retain ? 1 : 0));
    size_t len = 2 + in->topic.len + (in->qos > 0 ? 2 : 0) + props_len + in->payload_len;
    TQ_GUARD(tq__mqtt5_fixed_header(out, TQ_MQTT_PUBLISH, flags, len));
    TQ_GUARD(tq_buf_u16_prefixed(out, in->topic.p, in->topic.len));
    if (in->qos > 0)
        TQ_GUARD(tq_buf_u16(out, in->packet_id));
    TQ_GUARD(tq__mqtt5_props_write(out, &in->props, TQ_MQTT_PUBLISH));
    return tq_buf_append(out, in->payload, in->payload_len);
}

static bool is_ack(uint8_t type)
{
    return type == TQ_MQTT_PUBACK || type == TQ_MQTT_PUBREC || type == TQ_MQTT_PUBREL ||
           type == TQ_MQTT_PUBCOMP;
}

/* see mqtt5.h */
tq_status tq_mqtt5_ack_read(struct tq_diag *diag, struct tq_mqtt5_ack *out,
                            const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt5_ack){0};
    if (!is_ack(frame->type))
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "want a PUBLISH acknowledgement, got %s",
                            tq_mqtt5_type_name(frame->type));
    /* PUBREL's fixed-header flags are 0010, the others' 0000 (section 2.1.3). */
    TQ_GUARD(
        tq__mqtt5_frame_check(diag, frame, frame->type, frame->type == TQ_MQTT_PUBREL ? 2 : 0));
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    if (!tq_ok(tq_cursor_u16(&c, &out->packet_id)) || out->packet_id == 0)
        return tq__mqtt5_malformed(diag, frame->type, "missing or zero packet identifier");
    /* Section 3.4.2.1: "The Reason Code and Property Length can be omitted if the Reason Code
     * is 0x00 (Success) and there are no Properties"; with a Remaining Length of 3 there is no
     * Property Length. */
    if (c.len == 0)
        return TQ_SUCCESS;
    TQ_GUARD(tq_cursor_u8(&c, &out->reason));
    if (!tq_mqtt5_reason_allowed(frame->type, out->reason))
        return tq__mqtt5_malformed(diag, frame->type, "reason code not allowed in this packet");
    if (c.len == 0)
        return TQ_SUCCESS;
    TQ_GUARD(tq__mqtt5_props_read(diag, &out->props, &c, frame->type));
    if (c.len != 0)
        return tq__mqtt5_malformed(diag, frame->type, "bytes after the properties");
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_ack_write(struct tq_buf *out, enum tq_mqtt_type type,
                             const struct tq_mqtt5_ack *in)
{
    TQ_ENSURE(is_ack(type) && tq_mqtt5_reason_allowed(type, in->reason), TQ_ERR_USAGE);
    TQ_ENSURE(in->packet_id != 0, TQ_ERR_USAGE);
    size_t props_len;
    TQ_GUARD(tq__mqtt5_props_size(&in->props, type, &props_len));
    bool with_props = !tq__mqtt5_props_empty(&in->props);
    bool with_reason = with_props || in->reason != TQ_MQTT5_RC_SUCCESS;
    size_t len = 2 + (with_reason ? 1 : 0) + (with_props ? props_len : 0);
    TQ_GUARD(tq__mqtt5_fixed_header(out, type, type == TQ_MQTT_PUBREL ? 2 : 0, len));
    TQ_GUARD(tq_buf_u16(out, in->packet_id));
    if (with_reason)
        TQ_GUARD(tq_buf_u8(out, in->reason));
    if (with_props)
        TQ_GUARD(tq__mqtt5_props_write(out, &in->props, type));
    return TQ_SUCCESS;
}
