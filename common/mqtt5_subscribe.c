/* SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK of MQTT 5.0 (sections 3.8 to 3.11), and the
 * Shared Subscription form of a topic filter (section 4.8.2). */
#include <string.h>

#include "mqtt5_internal.h"

/* Subscription Options (section 3.8.3.1). */
enum {
    OPT_QOS = 0x03,
    OPT_NO_LOCAL = 0x04,
    OPT_RETAIN_AS_PUBLISHED = 0x08,
    OPT_RETAIN_HANDLING = 0x30,
    OPT_RESERVED = 0xc0,
};

static const char share_prefix[] = "$share/";
#define SHARE_PREFIX_LEN (sizeof(share_prefix) - 1)

/* see mqtt5.h */
bool tq_mqtt5_filter_shared(struct tq_mqtt_str filter, struct tq_mqtt_str *out_share,
                            struct tq_mqtt_str *out_filter)
{
    if (filter.len < SHARE_PREFIX_LEN || memcmp(filter.p, share_prefix, SHARE_PREFIX_LEN) != 0)
        return false;
    struct tq_mqtt_str share = {.p = filter.p + SHARE_PREFIX_LEN,
                                .len = filter.len - SHARE_PREFIX_LEN};
    const uint8_t *slash = memchr(share.p, '/', share.len);
    struct tq_mqtt_str rest = {0};
    if (slash != NULL) {
        rest =
            (struct tq_mqtt_str){.p = slash + 1, .len = share.len - (size_t)(slash - share.p) - 1};
        share.len = (size_t)(slash - share.p);
    }
    if (out_share != NULL)
        *out_share = share;
    if (out_filter != NULL)
        *out_filter = rest;
    return true;
}

/* see mqtt5.h */
bool tq_mqtt5_filter_valid(struct tq_mqtt_str filter)
{
    struct tq_mqtt_str share, rest;
    if (!tq_mqtt5_filter_shared(filter, &share, &rest))
        return tq_mqtt_topic_filter_valid(filter);
    /* [MQTT-4.8.2-1], [MQTT-4.8.2-2]: a ShareName of at least one character, without "/", "+"
     * or "#", followed by "/" and a Topic Filter. */
    return share.len > 0 && rest.p != NULL && memchr(share.p, '+', share.len) == NULL &&
           memchr(share.p, '#', share.len) == NULL && tq__mqtt_utf8_valid(share) &&
           tq_mqtt_topic_filter_valid(rest);
}

static tq_status read_options(struct tq_diag *diag, struct tq_mqtt5_subscription *s, uint8_t opt)
{
    if (opt & OPT_RESERVED) /* [MQTT-3.8.3-5] */
        return tq__mqtt5_malformed(diag, TQ_MQTT_SUBSCRIBE, "reserved subscription option bits");
    s->qos = opt & OPT_QOS;
    s->no_local = opt & OPT_NO_LOCAL;
    s->retain_as_published = opt & OPT_RETAIN_AS_PUBLISHED;
    s->retain_handling = (opt & OPT_RETAIN_HANDLING) >> 4;
    /* Section 3.8.3.1: "It is a Protocol Error if the Maximum QoS field has the value 3", "to
     * send a Retain Handling value of 3", and [MQTT-3.8.3-4] to set No Local on a Shared
     * Subscription. */
    if (s->qos == 3)
        return tq__mqtt5_protocol(diag, TQ_MQTT_SUBSCRIBE, "Maximum QoS 3");
    if (s->retain_handling == 3)
        return tq__mqtt5_protocol(diag, TQ_MQTT_SUBSCRIBE, "Retain Handling 3");
    if (s->no_local && tq_mqtt5_filter_shared(s->filter, NULL, NULL))
        return tq__mqtt5_protocol(diag, TQ_MQTT_SUBSCRIBE, "No Local on a Shared Subscription");
    return TQ_SUCCESS;
}

static tq_status read_filter(struct tq_diag *diag, struct tq_mqtt5_subscribe *out,
                             struct tq_cursor *c, uint8_t type)
{
    if (out->num_filters == TQ_MQTT5_MAX_FILTERS)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "MQTT 5 %s with more than %d filters",
                            tq_mqtt5_type_name(type), TQ_MQTT5_MAX_FILTERS);
    struct tq_mqtt5_subscription *s = &out->subs[out->num_filters];
    TQ_GUARD(tq__mqtt5_read_utf8(diag, c, &s->filter, type, "Topic Filter"));
    if (!tq_mqtt5_filter_valid(s->filter))
        return tq__mqtt5_malformed(diag, type, "invalid Topic Filter (sections 4.7.1, 4.8.2)");
    out->num_filters++;
    if (type != TQ_MQTT_SUBSCRIBE)
        return TQ_SUCCESS;
    uint8_t opt;
    if (!tq_ok(tq_cursor_u8(c, &opt)))
        return tq__mqtt5_malformed(diag, type, "missing Subscription Options");
    return read_options(diag, s, opt);
}

/* see mqtt5.h */
tq_status tq_mqtt5_subscribe_read(struct tq_diag *diag, struct tq_mqtt5_subscribe *out,
                                  const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt5_subscribe){0};
    if (frame->type != TQ_MQTT_SUBSCRIBE && frame->type != TQ_MQTT_UNSUBSCRIBE)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "want SUBSCRIBE or UNSUBSCRIBE, got %s",
                            tq_mqtt5_type_name(frame->type));
    /* Both have fixed-header flags 0010 ([MQTT-3.8.1-1], [MQTT-3.10.1-1]). */
    TQ_GUARD(tq__mqtt5_frame_check(diag, frame, frame->type, 2));
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    if (!tq_ok(tq_cursor_u16(&c, &out->packet_id)) || out->packet_id == 0)
        return tq__mqtt5_malformed(diag, frame->type, "missing or zero packet identifier");
    TQ_GUARD(tq__mqtt5_props_read(diag, &out->props, &c, frame->type));
    while (c.len > 0)
        TQ_GUARD(read_filter(diag, out, &c, frame->type));
    /* Sections 3.8.3 and 3.10.3: "A ... packet with no Payload is a Protocol Error". */
    if (out->num_filters == 0)
        return tq__mqtt5_protocol(diag, frame->type, "no Topic Filter");
    return TQ_SUCCESS;
}

static uint8_t options_of(const struct tq_mqtt5_subscription *s)
{
    return (uint8_t)(s->qos | (s->no_local ? OPT_NO_LOCAL : 0) |
                     (s->retain_as_published ? OPT_RETAIN_AS_PUBLISHED : 0) |
                     (s->retain_handling << 4));
}

static bool subscription_writable(const struct tq_mqtt5_subscription *s, bool with_options)
{
    if (!tq_mqtt5_filter_valid(s->filter) || s->filter.len > UINT16_MAX)
        return false;
    return !with_options || (s->qos <= 2 && s->retain_handling <= 2 &&
                             !(s->no_local && tq_mqtt5_filter_shared(s->filter, NULL, NULL)));
}

/* see mqtt5.h */
tq_status tq_mqtt5_subscribe_write(struct tq_buf *out, enum tq_mqtt_type type,
                                   const struct tq_mqtt5_subscribe *in)
{
    bool with_options = type == TQ_MQTT_SUBSCRIBE;
    TQ_ENSURE(with_options || type == TQ_MQTT_UNSUBSCRIBE, TQ_ERR_USAGE);
    TQ_ENSURE(in->packet_id != 0, TQ_ERR_USAGE);
    TQ_ENSURE(in->num_filters >= 1 && in->num_filters <= TQ_MQTT5_MAX_FILTERS, TQ_ERR_USAGE);
    size_t props_len;
    TQ_GUARD(tq__mqtt5_props_size(&in->props, type, &props_len));
    size_t len = 2 + props_len;
    for (size_t i = 0; i < in->num_filters; i++) {
        TQ_ENSURE(subscription_writable(&in->subs[i], with_options), TQ_ERR_USAGE);
        len += 2 + in->subs[i].filter.len + (with_options ? 1 : 0);
    }
    TQ_GUARD(tq__mqtt5_fixed_header(out, type, 2, len));
    TQ_GUARD(tq_buf_u16(out, in->packet_id));
    TQ_GUARD(tq__mqtt5_props_write(out, &in->props, type));
    for (size_t i = 0; i < in->num_filters; i++) {
        TQ_GUARD(tq_buf_u16_prefixed(out, in->subs[i].filter.p, in->subs[i].filter.len));
        if (with_options)
            TQ_GUARD(tq_buf_u8(out, options_of(&in->subs[i])));
    }
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_suback_read(struct tq_diag *diag, struct tq_mqtt5_suback *out,
                               const struct tq_mqtt_frame *frame)
{
    *out = (struct tq_mqtt5_suback){0};
    if (frame->type != TQ_MQTT_SUBACK && frame->type != TQ_MQTT_UNSUBACK)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "want SUBACK or UNSUBACK, got %s",
                            tq_mqtt5_type_name(frame->type));
    TQ_GUARD(tq__mqtt5_frame_check(diag, frame, frame->type, 0));
    struct tq_cursor c;
    tq_cursor_init(&c, frame->body, frame->body_len);
    if (!tq_ok(tq_cursor_u16(&c, &out->packet_id)) || out->packet_id == 0)
        return tq__mqtt5_malformed(diag, frame->type, "missing or zero packet identifier");
    TQ_GUARD(tq__mqtt5_props_read(diag, &out->props, &c, frame->type));
    /* Sections 3.9.3 and 3.11.3: one Reason Code per Topic Filter of the request, so at least
     * one. */
    if (c.len == 0)
        return tq__mqtt5_malformed(diag, frame->type, "no Reason Code");
    if (c.len > TQ_MQTT5_MAX_FILTERS)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "MQTT 5 %s with more than %d codes",
                            tq_mqtt5_type_name(frame->type), TQ_MQTT5_MAX_FILTERS);
    for (size_t i = 0; i < c.len; i++)
        if (!tq_mqtt5_reason_allowed(frame->type, c.p[i]))
            return tq__mqtt5_malformed(diag, frame->type, "reason code not allowed in this packet");
    out->num_codes = c.len;
    memcpy(out->codes, c.p, c.len);
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_suback_write(struct tq_buf *out, enum tq_mqtt_type type,
                                const struct tq_mqtt5_suback *in)
{
    TQ_ENSURE(type == TQ_MQTT_SUBACK || type == TQ_MQTT_UNSUBACK, TQ_ERR_USAGE);
    TQ_ENSURE(in->packet_id != 0, TQ_ERR_USAGE);
    TQ_ENSURE(in->num_codes >= 1 && in->num_codes <= TQ_MQTT5_MAX_FILTERS, TQ_ERR_USAGE);
    for (size_t i = 0; i < in->num_codes; i++)
        TQ_ENSURE(tq_mqtt5_reason_allowed(type, in->codes[i]), TQ_ERR_USAGE);
    size_t props_len;
    TQ_GUARD(tq__mqtt5_props_size(&in->props, type, &props_len));
    TQ_GUARD(tq__mqtt5_fixed_header(out, type, 0, 2 + props_len + in->num_codes));
    TQ_GUARD(tq_buf_u16(out, in->packet_id));
    TQ_GUARD(tq__mqtt5_props_write(out, &in->props, type));
    return tq_buf_append(out, in->codes, in->num_codes);
}
