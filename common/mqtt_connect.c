/* CONNECT and CONNACK (MQTT 3.1.1 sections 3.1 and 3.2). */
#include <string.h>

#include "mqtt_internal.h"

enum {
    FLAG_USERNAME = 0x80,
    FLAG_PASSWORD = 0x40,
    FLAG_WILL_RETAIN = 0x20,
    FLAG_WILL_QOS = 0x18,
    FLAG_WILL = 0x04,
    FLAG_CLEAN_SESSION = 0x02,
    FLAG_RESERVED = 0x01,
};

static tq_status read_str(struct tq_cursor *c, struct tq_mqtt_str *out)
{
    return tq_cursor_u16_prefixed(c, &out->p, &out->len);
}

static tq_status read_connect_payload(struct tq_diag *diag, struct tq_mqtt_connect *out,
                                      struct tq_cursor *c)
{
    if (!tq_ok(read_str(c, &out->client_id)) || !tq__mqtt_utf8_valid(out->client_id))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "bad client identifier");
    if (out->has_will &&
        (!tq_ok(read_str(c, &out->will_topic)) || !tq_ok(read_str(c, &out->will_message))))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "truncated will topic or message");
    /* The will topic is a topic name: UTF-8, no wildcards (sections 3.1.3.2 and 4.7.1). */
    if (out->has_will && (out->will_topic.len == 0 || !tq__mqtt_utf8_valid(out->will_topic) ||
                          memchr(out->will_topic.p, '+', out->will_topic.len) ||
                          memchr(out->will_topic.p, '#', out->will_topic.len)))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "invalid will topic");
    if (out->has_username &&
        (!tq_ok(read_str(c, &out->username)) || !tq__mqtt_utf8_valid(out->username)))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "truncated or invalid user name");
    if (out->has_password && !tq_ok(read_str(c, &out->password)))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "truncated password");
    if (c->len != 0)
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "bytes after the payload");
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_connect_read(struct tq_diag *diag, struct tq_mqtt_connect *out,
                               const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt_connect){0};
    if (frame->type != TQ_MQTT_CONNECT || frame->flags != 0)
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "reserved flags set");
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    uint8_t flags;
    if (!tq_ok(read_str(&c, &out->protocol_name)) ||
        !tq_ok(tq_cursor_u8(&c, &out->protocol_level)) || !tq_ok(tq_cursor_u8(&c, &flags)) ||
        !tq_ok(tq_cursor_u16(&c, &out->keep_alive)))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "truncated variable header");
    if (out->protocol_level != 4)
        return TQ_SUCCESS; /* the caller answers with CONNACK rc 1 */
    /* [MQTT-3.1.2-1]: a level-4 CONNECT whose protocol name is not "MQTT" must not be
     * processed as MQTT 3.1.1: the server may disconnect the client. */
    if (out->protocol_name.len != 4 || memcmp(out->protocol_name.p, "MQTT", 4) != 0)
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "protocol name is not MQTT");
    if (flags & FLAG_RESERVED)
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "reserved connect flag set");
    out->clean_session = flags & FLAG_CLEAN_SESSION;
    out->has_will = flags & FLAG_WILL;
    out->will_qos = (flags & FLAG_WILL_QOS) >> 3;
    out->will_retain = flags & FLAG_WILL_RETAIN;
    out->has_username = flags & FLAG_USERNAME;
    out->has_password = flags & FLAG_PASSWORD;
    if (!out->has_will && (out->will_qos || out->will_retain))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "will QoS or retain without a will");
    if (out->will_qos > 2)
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "will QoS 3");
    if (out->has_password && !out->has_username)
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNECT, "password without user name");
    return read_connect_payload(diag, out, &c);
}

/* see mqtt.h */
tq_status tq_mqtt_connect_write(struct tq_buf *out, const struct tq_mqtt_connect *in)
{
    uint8_t flags = (in->clean_session ? FLAG_CLEAN_SESSION : 0);
    size_t len = 10 + 2 + in->client_id.len;
    if (in->has_will) {
        flags |= FLAG_WILL | (uint8_t)((in->will_qos & 3) << 3);
        flags |= in->will_retain ? FLAG_WILL_RETAIN : 0;
        len += 4 + in->will_topic.len + in->will_message.len;
    }
    if (in->has_username) {
        flags |= FLAG_USERNAME;
        len += 2 + in->username.len;
    }
    if (in->has_password) {
        flags |= FLAG_PASSWORD;
        len += 2 + in->password.len;
    }
    TQ_GUARD(tq__mqtt_fixed_header(out, TQ_MQTT_CONNECT, 0, len));
    TQ_GUARD(tq_buf_u16_prefixed(out, "MQTT", 4));
    TQ_GUARD(tq_buf_u8(out, 4));
    TQ_GUARD(tq_buf_u8(out, flags));
    TQ_GUARD(tq_buf_u16(out, in->keep_alive));
    TQ_GUARD(tq_buf_u16_prefixed(out, in->client_id.p, in->client_id.len));
    if (in->has_will) {
        TQ_GUARD(tq_buf_u16_prefixed(out, in->will_topic.p, in->will_topic.len));
        TQ_GUARD(tq_buf_u16_prefixed(out, in->will_message.p, in->will_message.len));
    }
    if (in->has_username)
        TQ_GUARD(tq_buf_u16_prefixed(out, in->username.p, in->username.len));
    if (in->has_password)
        TQ_GUARD(tq_buf_u16_prefixed(out, in->password.p, in->password.len));
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_connack_read(struct tq_diag *diag, struct tq_mqtt_connack *out,
                               const struct tq_mqtt_frame *frame)
{
    if (frame->type != TQ_MQTT_CONNACK || frame->flags != 0 || frame->body_len != 2 ||
        (frame->body[0] & 0xfe))
        return tq__mqtt_malformed(diag, TQ_MQTT_CONNACK, "want 2 bytes with flags 0 or 1");
    out->session_present = frame->body[0] & 1;
    out->return_code = frame->body[1];
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_connack_write(struct tq_buf *out, const struct tq_mqtt_connack *in)
{
    TQ_GUARD(tq__mqtt_fixed_header(out, TQ_MQTT_CONNACK, 0, 2));
    TQ_GUARD(tq_buf_u8(out, in->session_present ? 1 : 0));
    return tq_buf_u8(out, in->return_code);
}
