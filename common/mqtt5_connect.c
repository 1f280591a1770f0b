/* CONNECT and CONNACK of MQTT 5.0 (sections 3.1 and 3.2). */
#include <string.h>

#include "mqtt5_internal.h"

enum {
    FLAG_USERNAME = 0x80,
    FLAG_PASSWORD = 0x40,
    FLAG_WILL_RETAIN = 0x20,
    FLAG_WILL_QOS = 0x18,
    FLAG_WILL = 0x04,
    FLAG_CLEAN_START = 0x02,
    FLAG_RESERVED = 0x01,
};

static tq_status read_will(struct tq_diag *diag, struct tq_mqtt5_connect *out, struct tq_cursor *c)
{
    /* Section 3.1.3: Will Properties, Will Topic, Will Payload, in this order. */
    TQ_GUARD(tq__mqtt5_props_read(diag, &out->will_props, c, TQ_MQTT5_WILL));
    TQ_GUARD(tq__mqtt5_read_utf8(diag, c, &out->will_topic, TQ_MQTT_CONNECT, "Will Topic"));
    if (!tq__mqtt5_topic_name_valid(out->will_topic, false))
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "Will Topic empty or with a wildcard");
    return tq__mqtt5_read_binary(diag, c, &out->will_payload, TQ_MQTT_CONNECT, "Will Payload");
}

static tq_status read_payload(struct tq_diag *diag, struct tq_mqtt5_connect *out,
                              struct tq_cursor *c)
{
    TQ_GUARD(tq__mqtt5_read_utf8(diag, c, &out->client_id, TQ_MQTT_CONNECT, "Client Identifier"));
    if (out->has_will)
        TQ_GUARD(read_will(diag, out, c));
    if (out->has_username)
        TQ_GUARD(tq__mqtt5_read_utf8(diag, c, &out->username, TQ_MQTT_CONNECT, "User Name"));
    if (out->has_password)
        TQ_GUARD(tq__mqtt5_read_binary(diag, c, &out->password, TQ_MQTT_CONNECT, "Password"));
    if (c->len != 0)
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "bytes after the payload");
    return TQ_SUCCESS;
}

static tq_status read_flags(struct tq_diag *diag, struct tq_mqtt5_connect *out, uint8_t flags)
{
    if (flags & FLAG_RESERVED) /* [MQTT-3.1.2-3] */
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "reserved connect flag set");
    out->clean_start = flags & FLAG_CLEAN_START;
    out->has_will = flags & FLAG_WILL;
    out->will_qos = (flags & FLAG_WILL_QOS) >> 3;
    out->will_retain = flags & FLAG_WILL_RETAIN;
    out->has_username = flags & FLAG_USERNAME;
    out->has_password = flags & FLAG_PASSWORD;
    if (!out->has_will && (out->will_qos || out->will_retain)) /* [MQTT-3.1.2-11], [-13] */
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "will QoS or retain without a will");
    if (out->will_qos > 2) /* [MQTT-3.1.2-12] */
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "will QoS 3");
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_connect_read(struct tq_diag *diag, struct tq_mqtt5_connect *out,
                                const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt5_connect){0};
    TQ_GUARD(tq__mqtt5_frame_check(diag, frame, TQ_MQTT_CONNECT, 0));
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    struct tq_mqtt_str name;
    uint8_t level, flags;
    if (!tq_ok(tq_cursor_u16_prefixed(&c, &name.p, &name.len)) || !tq_ok(tq_cursor_u8(&c, &level)))
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "truncated protocol name or level");
    if (level != TQ_MQTT5_LEVEL)
        return tq_diag_fail(diag, TQ_ERR_UNSUPPORTED, NULL, 0,
                            "CONNECT of protocol level %u, not MQTT 5 (level 5)", level);
    /* [MQTT-3.1.2-1]: the protocol name is "MQTT". */
    if (name.len != 4 || memcmp(name.p, "MQTT", 4) != 0)
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "protocol name is not MQTT");
    if (!tq_ok(tq_cursor_u8(&c, &flags)) || !tq_ok(tq_cursor_u16(&c, &out->keep_alive)))
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNECT, "truncated variable header");
    TQ_GUARD(read_flags(diag, out, flags));
    TQ_GUARD(tq__mqtt5_props_read(diag, &out->props, &c, TQ_MQTT_CONNECT));
    return read_payload(diag, out, &c);
}

static uint8_t connect_flags(const struct tq_mqtt5_connect *in)
{
    uint8_t flags = in->clean_start ? FLAG_CLEAN_START : 0;
    if (in->has_will)
        flags |= FLAG_WILL | (uint8_t)((in->will_qos & 3) << 3) |
                 (in->will_retain ? FLAG_WILL_RETAIN : 0);
    flags |= in->has_username ? FLAG_USERNAME : 0;
    flags |= in->has_password ? FLAG_PASSWORD : 0;
    return flags;
}

static tq_status write_connect_payload(struct tq_buf *out, const struct tq_mqtt5_connect *in)
{
    TQ_GUARD(tq_buf_u16_prefixed(out, in->client_id.p, in->client_id.len));
    if (in->has_will) {
        TQ_GUARD(tq__mqtt5_props_write(out, &in->will_props, TQ_MQTT5_WILL));
        TQ_GUARD(tq_buf_u16_prefixed(out, in->will_topic.p, in->will_topic.len));
        TQ_GUARD(tq_buf_u16_prefixed(out, in->will_payload.p, in->will_payload.len));
    }
    if (in->has_username)
        TQ_GUARD(tq_buf_u16_prefixed(out, in->username.p, in->username.len));
    if (in->has_password)
        TQ_GUARD(tq_buf_u16_prefixed(out, in->password.p, in->password.len));
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_connect_write(struct tq_buf *out, const struct tq_mqtt5_connect *in)
{
    TQ_ENSURE(tq__mqtt_utf8_valid(in->client_id), TQ_ERR_USAGE);
    TQ_ENSURE(!in->has_will ||
                  (in->will_qos <= 2 && tq__mqtt5_topic_name_valid(in->will_topic, false)),
              TQ_ERR_USAGE);
    TQ_ENSURE(!in->has_username || tq__mqtt_utf8_valid(in->username), TQ_ERR_USAGE);
    size_t props_len, will_props_len = 0;
    TQ_GUARD(tq__mqtt5_props_size(&in->props, TQ_MQTT_CONNECT, &props_len));
    size_t len = 10 + props_len + 2 + in->client_id.len;
    if (in->has_will) {
        TQ_GUARD(tq__mqtt5_props_size(&in->will_props, TQ_MQTT5_WILL, &will_props_len));
        len += will_props_len + 4 + in->will_topic.len + in->will_payload.len;
    }
    len += in->has_username ? 2 + in->username.len : 0;
    len += in->has_password ? 2 + in->password.len : 0;
    TQ_GUARD(tq__mqtt5_fixed_header(out, TQ_MQTT_CONNECT, 0, len));
    TQ_GUARD(tq_buf_u16_prefixed(out, "MQTT", 4));
    TQ_GUARD(tq_buf_u8(out, TQ_MQTT5_LEVEL));
    TQ_GUARD(tq_buf_u8(out, connect_flags(in)));
    TQ_GUARD(tq_buf_u16(out, in->keep_alive));
    TQ_GUARD(tq__mqtt5_props_write(out, &in->props, TQ_MQTT_CONNECT));
    return write_connect_payload(out, in);
}

/* see mqtt5.h */
tq_status tq_mqtt5_connack_read(struct tq_diag *diag, struct tq_mqtt5_connack *out,
                                const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt5_connack){0};
    TQ_GUARD(tq__mqtt5_frame_check(diag, frame, TQ_MQTT_CONNACK, 0));
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    uint8_t flags;
    if (!tq_ok(tq_cursor_u8(&c, &flags)) || !tq_ok(tq_cursor_u8(&c, &out->reason)))
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNACK, "truncated variable header");
    if (flags & 0xfe) /* [MQTT-3.2.2-1]: bits 7-1 are reserved */
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNACK, "reserved acknowledge flags set");
    out->session_present = flags & 1;
    if (!tq_mqtt5_reason_allowed(TQ_MQTT_CONNACK, out->reason))
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNACK, "reason code not allowed in CONNACK");
    if (out->session_present && out->reason != TQ_MQTT5_RC_SUCCESS) /* [MQTT-3.2.2-6] */
        return tq__mqtt5_protocol(diag, TQ_MQTT_CONNACK, "Session Present with a failure");
    TQ_GUARD(tq__mqtt5_props_read(diag, &out->props, &c, TQ_MQTT_CONNACK));
    if (c.len != 0)
        return tq__mqtt5_malformed(diag, TQ_MQTT_CONNACK, "bytes after the properties");
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_connack_write(struct tq_buf *out, const struct tq_mqtt5_connack *in)
{
    TQ_ENSURE(tq_mqtt5_reason_allowed(TQ_MQTT_CONNACK, in->reason), TQ_ERR_USAGE);
    TQ_ENSURE(!in->session_present || in->reason == TQ_MQTT5_RC_SUCCESS, TQ_ERR_USAGE);
    size_t props_len;
    TQ_GUARD(tq__mqtt5_props_size(&in->props, TQ_MQTT_CONNACK, &props_len));
    TQ_GUARD(tq__mqtt5_fixed_header(out, TQ_MQTT_CONNACK, 0, 2 + props_len));
    TQ_GUARD(tq_buf_u8(out, in->session_present ? 1 : 0));
    TQ_GUARD(tq_buf_u8(out, in->reason));
    return tq__mqtt5_props_write(out, &in->props, TQ_MQTT_CONNACK);
}
