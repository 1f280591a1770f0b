/* PUBLISH (MQTT 3.1.1 section 3.3). PUBACK is a packet-id-only packet: see mqtt_frame.c. */
#include <string.h>

#include "mqtt_internal.h"

/* see mqtt.h */
tq_status tq_mqtt_publish_read(struct tq_diag *diag, struct tq_mqtt_publish *out,
                               const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt_publish){
        .dup = frame->flags & 0x08,
        .qos = (frame->flags >> 1) & 3,
        .retain = frame->flags & 0x01,
    };
    if (out->qos == 3)
        return tq__mqtt_malformed(diag, TQ_MQTT_PUBLISH, "QoS 3");
    if (out->dup && out->qos == 0) /* section 3.3.1.1: DUP must be 0 for QoS 0 */
        return tq__mqtt_malformed(diag, TQ_MQTT_PUBLISH, "DUP set on a QoS 0 message");
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    if (!tq_ok(tq_cursor_u16_prefixed(&c, &out->topic.p, &out->topic.len)))
        return tq__mqtt_malformed(diag, TQ_MQTT_PUBLISH, "truncated topic name");
    if (out->topic.len == 0 || !tq__mqtt_utf8_valid(out->topic) ||
        memchr(out->topic.p, '+', out->topic.len) || memchr(out->topic.p, '#', out->topic.len))
        return tq__mqtt_malformed(diag, TQ_MQTT_PUBLISH, "invalid topic name");
    if (out->qos > 0) {
        if (!tq_ok(tq_cursor_u16(&c, &out->packet_id)) || out->packet_id == 0)
            return tq__mqtt_malformed(diag, TQ_MQTT_PUBLISH, "missing or zero packet identifier");
    }
    out->payload = c.p;
    out->payload_len = c.len;
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_publish_write(struct tq_buf *out, const struct tq_mqtt_publish *in)
{
    uint8_t flags = (uint8_t)((in->dup ? 0x08 : 0) | ((in->qos & 3) << 1) | (in->retain ? 1 : 0));
    size_t len = 2 + in->topic.len + (in->qos > 0 ? 2 : 0) + in->payload_len;
    TQ_GUARD(tq__mqtt_fixed_header(out, TQ_MQTT_PUBLISH, flags, len));
    TQ_GUARD(tq_buf_u16_prefixed(out, in->topic.p, in->topic.len));
    if (in->qos > 0)
        TQ_GUARD(tq_buf_u16(out, in->packet_id));
    return tq_buf_append(out, in->payload, in->payload_len);
}
