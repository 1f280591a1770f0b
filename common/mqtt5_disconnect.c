/* DISCONNECT and AUTH of MQTT 5.0 (sections 3.14 and 3.15): a reason code and properties, both
 * of which may be left off the wire. */
#include "mqtt5_internal.h"

/* see mqtt5.h */
tq_status tq_mqtt5_disconnect_read(struct tq_diag *diag, struct tq_mqtt5_disconnect *out,
                                   const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt5_disconnect){0};
    if (frame->type != TQ_MQTT_DISCONNECT && frame->type != TQ_MQTT5_AUTH)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "want DISCONNECT or AUTH, got %s",
                            tq_mqtt5_type_name(frame->type));
    TQ_GUARD(tq__mqtt5_frame_check(diag, frame, frame->type, 0));
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    /* Sections 3.14.2.1 and 3.15.2.1: a Remaining Length of 0 means reason 0x00, no
     * properties. DISCONNECT alone may stop after the reason code ("If the Remaining Length is
     * less than 2, a value of 0 is used", section 3.14.2.2.1). */
    if (c.len == 0)
        return TQ_SUCCESS;
    if (c.len == 1 && frame->type == TQ_MQTT5_AUTH)
        return tq__mqtt5_malformed(diag, frame->type, "reason code without Property Length");
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
tq_status tq_mqtt5_disconnect_write(struct tq_buf *out, uint8_t type,
                                    const struct tq_mqtt5_disconnect *in)
{
    TQ_ENSURE(type == TQ_MQTT_DISCONNECT || type == TQ_MQTT5_AUTH, TQ_ERR_USAGE);
    TQ_ENSURE(tq_mqtt5_reason_allowed(type, in->reason), TQ_ERR_USAGE);
    size_t props_len;
    TQ_GUARD(tq__mqtt5_props_size(&in->props, type, &props_len));
    bool with_props = !tq__mqtt5_props_empty(&in->props);
    if (!with_props && in->reason == TQ_MQTT5_RC_SUCCESS)
        return tq__mqtt5_fixed_header(out, type, 0, 0);
    /* AUTH has no one-byte form: it always carries the Property Length after its reason. */
    with_props = with_props || type == TQ_MQTT5_AUTH;
    TQ_GUARD(tq__mqtt5_fixed_header(out, type, 0, 1 + (with_props ? props_len : 0)));
    TQ_GUARD(tq_buf_u8(out, in->reason));
    return with_props ? tq__mqtt5_props_write(out, &in->props, type) : TQ_SUCCESS;
}
