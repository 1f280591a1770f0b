/* SUBSCRIBE, SUBACK, UNSUBSCRIBE (MQTT 3.1.1 sections 3.8 to 3.10). */
#include "mqtt_internal.h"

/* see mqtt.h */
tq_status tq_mqtt_subscribe_read(struct tq_diag *diag, struct tq_mqtt_subscribe *out,
                                 const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt_subscribe){0};
    bool with_qos = frame->type == TQ_MQTT_SUBSCRIBE;
    /* Both packets have fixed-header flags 0b0010 (sections 3.8.1 and 3.10.1). */
    if (frame->flags != 2)
        return tq__mqtt_malformed(diag, frame->type, "fixed-header flags must be 0010");
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    if (!tq_ok(tq_cursor_u16(&c, &out->packet_id)) || out->packet_id == 0)
        return tq__mqtt_malformed(diag, frame->type, "missing or zero packet identifier");
    while (c.len > 0) {
        if (out->num_filters == TQ_MQTT_MAX_FILTERS)
            return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "%s with more than %d filters",
                                tq_mqtt_type_name(frame->type), TQ_MQTT_MAX_FILTERS);
        struct tq_mqtt_str *f = &out->filters[out->num_filters];
        if (!tq_ok(tq_cursor_u16_prefixed(&c, &f->p, &f->len)) || !tq_mqtt_topic_filter_valid(*f))
            return tq__mqtt_malformed(diag, frame->type, "invalid topic filter");
        if (with_qos) {
            uint8_t qos;
            if (!tq_ok(tq_cursor_u8(&c, &qos)) || qos > 2)
                return tq__mqtt_malformed(diag, frame->type, "missing or invalid QoS byte");
            out->qos[out->num_filters] = qos;
        }
        out->num_filters++;
    }
    if (out->num_filters == 0)
        return tq__mqtt_malformed(diag, frame->type, "no topic filter");
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_subscribe_write(struct tq_buf *out, enum tq_mqtt_type type,
                                  const struct tq_mqtt_subscribe *in)
{
    bool with_qos = type == TQ_MQTT_SUBSCRIBE;
    size_t len = 2;
    for (size_t i = 0; i < in->num_filters; i++)
        len += 2 + in->filters[i].len + (with_qos ? 1 : 0);
    TQ_GUARD(tq__mqtt_fixed_header(out, type, 2, len));
    TQ_GUARD(tq_buf_u16(out, in->packet_id));
    for (size_t i = 0; i < in->num_filters; i++) {
        TQ_GUARD(tq_buf_u16_prefixed(out, in->filters[i].p, in->filters[i].len));
        if (with_qos)
            TQ_GUARD(tq_buf_u8(out, in->qos[i]));
    }
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_suback_read(struct tq_diag *diag, struct tq_mqtt_suback *out,
                              const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt_suback){0};
    if (frame->type != TQ_MQTT_SUBACK || frame->flags != 0)
        return tq__mqtt_malformed(diag, TQ_MQTT_SUBACK, "reserved fixed-header flags set");
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    if (!tq_ok(tq_cursor_u16(&c, &out->packet_id)) || out->packet_id == 0 || c.len == 0)
        return tq__mqtt_malformed(diag, TQ_MQTT_SUBACK, "want a packet identifier and codes");
    if (c.len > TQ_MQTT_MAX_FILTERS)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "SUBACK with more than %d codes",
                            TQ_MQTT_MAX_FILTERS);
    out->num_codes = c.len;
    for (size_t i = 0; i < out->num_codes; i++) {
        out->codes[i] = c.p[i];
        if (c.p[i] > 2 && c.p[i] != 0x80) /* section 3.9.3: 0, 1, 2 or 0x80 */
            return tq__mqtt_malformed(diag, TQ_MQTT_SUBACK, "return code not 0, 1, 2 or 0x80");
    }
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_suback_write(struct tq_buf *out, const struct tq_mqtt_suback *in)
{
    TQ_GUARD(tq__mqtt_fixed_header(out, TQ_MQTT_SUBACK, 0, 2 + in->num_codes));
    TQ_GUARD(tq_buf_u16(out, in->packet_id));
    return tq_buf_append(out, in->codes, in->num_codes);
}
