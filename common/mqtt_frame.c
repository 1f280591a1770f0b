/* Framing: the fixed header of every MQTT packet (MQTT 3.1.1 section 2.2). */
#include <string.h>

#include "mqtt_internal.h"

/* see mqtt.h */
const char *tq_mqtt_type_name(uint8_t type)
{
    static const char *const names[16] = {
        "RESERVED", "CONNECT",  "CONNACK",    "PUBLISH",  "PUBACK",      "PUBREC",
        "PUBREL",   "PUBCOMP",  "SUBSCRIBE",  "SUBACK",   "UNSUBSCRIBE", "UNSUBACK",
        "PINGREQ",  "PINGRESP", "DISCONNECT", "RESERVED",
    };
    return names[type & 0x0f];
}

/* see mqtt_internal.h */
tq_status tq__mqtt_malformed(struct tq_diag *diag, uint8_t type, const char *why)
{
    return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "malformed %s packet: %s",
                        tq_mqtt_type_name(type), why);
}

/* see mqtt.h */
tq_status tq_mqtt_frame_parse(struct tq_diag *diag, struct tq_mqtt_frame *out, bool *out_complete,
                              const uint8_t *data, size_t len, size_t max_frame_len)
{
    *out_complete = false;
    if (len < 2)
        return TQ_SUCCESS;
    size_t remaining = 0;
    size_t header_len = 1;
    for (unsigned shift = 0;; shift += 7) {
        if (header_len > 4)
            return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                                "malformed remaining length: more than 4 bytes");
        if (header_len >= len)
            return TQ_SUCCESS;
        uint8_t b = data[header_len++];
        remaining |= (size_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            break;
    }
    if (header_len + remaining > max_frame_len)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0,
                            "%s packet of %zu bytes exceeds the limit of %zu bytes",
                            tq_mqtt_type_name(data[0] >> 4), header_len + remaining, max_frame_len);
    if (len - header_len < remaining)
        return TQ_SUCCESS;
    *out = (struct tq_mqtt_frame){
        .type = data[0] >> 4,
        .flags = data[0] & 0x0f,
        .body = data + header_len,
        .body_len = remaining,
        .frame_len = header_len + remaining,
    };
    *out_complete = true;
    return TQ_SUCCESS;
}

/* see mqtt_internal.h */
tq_status tq__mqtt_fixed_header(struct tq_buf *out, enum tq_mqtt_type type, uint8_t flags,
                                size_t remaining_len)
{
    TQ_ENSURE(remaining_len <= TQ_MQTT_MAX_REMAINING, TQ_ERR_LIMIT);
    uint8_t header[5];
    size_t n = 0;
    header[n++] = (uint8_t)((type << 4) | (flags & 0x0f));
    do {
        uint8_t b = remaining_len & 0x7f;
        remaining_len >>= 7;
        header[n++] = remaining_len ? (b | 0x80) : b;
    } while (remaining_len);
    return tq_buf_append(out, header, n);
}

/* see mqtt_internal.h */
bool tq__mqtt_utf8_valid(struct tq_mqtt_str s)
{
    size_t i = 0;
    while (i < s.len) {
        uint8_t c = s.p[i];
        size_t extra;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (s.len - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s.p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s.p[i + k] & 0x3f);
        }
        static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

/* see mqtt.h */
struct tq_mqtt_str tq_mqtt_str_of(const char *s)
{
    return (struct tq_mqtt_str){.p = (const uint8_t *)s, .len = s ? strlen(s) : 0};
}

/* see mqtt.h */
tq_status tq_mqtt_empty_write(struct tq_buf *out, enum tq_mqtt_type type)
{
    return tq__mqtt_fixed_header(out, type, 0, 0);
}

/* see mqtt.h */
tq_status tq_mqtt_packet_id_read(struct tq_diag *diag, uint16_t *out_packet_id,
                                 const struct tq_mqtt_frame *frame)
{
    /* Fixed-header flags: 0010 for PUBREL, 0000 for the others (section 2.2.2). */
    if (frame->flags != (frame->type == TQ_MQTT_PUBREL ? 2 : 0))
        return tq__mqtt_malformed(diag, frame->type, "reserved fixed-header flags set");
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    if (!tq_ok(tq_cursor_u16(&c, out_packet_id)) || c.len != 0)
        return tq__mqtt_malformed(diag, frame->type, "want exactly a 2-byte packet identifier");
    if (*out_packet_id == 0) /* section 2.3.1: packet identifiers are non-zero */
        return tq__mqtt_malformed(diag, frame->type, "packet identifier 0");
    return TQ_SUCCESS;
}

/* see mqtt.h */
tq_status tq_mqtt_packet_id_write(struct tq_buf *out, enum tq_mqtt_type type, uint16_t packet_id)
{
    /* PUBREL's fixed-header flags are 0b0010 (section 3.6.1); the others are 0. */
    TQ_GUARD(tq__mqtt_fixed_header(out, type, type == TQ_MQTT_PUBREL ? 2 : 0, 2));
    return tq_buf_u16(out, packet_id);
}
