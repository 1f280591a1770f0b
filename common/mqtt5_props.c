/* MQTT 5.0 properties (section 2.2.2), Variable Byte Integers (section 1.5.5) and the helpers
 * every v5 packet shares. Properties are table-driven: one row per identifier of Table 2-4 with
 * its data type, the packets that allow it and the rule on its value; reading, sizing, writing
 * and comparing all walk the same table. */
#include <stddef.h>
#include <string.h>

#include "mqtt5_internal.h"

/* ---- Variable Byte Integer ---- */

/* see mqtt5.h */
size_t tq_mqtt5_vbi_size(uint32_t value)
{
    return value < 128u ? 1 : value < 16384u ? 2 : value < 2097152u ? 3 : 4;
}

/* see mqtt5.h */
tq_status tq_mqtt5_vbi_read(struct tq_cursor *c, uint32_t *out)
{
    uint32_t value = 0;
    size_t n = 0;
    for (;;) {
        TQ_ENSURE(n < 4 && n < c->len, TQ_ERR_PARSE);
        uint8_t b = c->p[n];
        value |= (uint32_t)(b & 0x7f) << (7 * n);
        n++;
        if ((b & 0x80) == 0)
            break;
    }
    TQ_ENSURE(tq_mqtt5_vbi_size(value) == n, TQ_ERR_PARSE); /* [MQTT-1.5.5-1]: minimal */
    c->p += n;
    c->len -= n;
    *out = value;
    return TQ_SUCCESS;
}

/* see mqtt5.h */
tq_status tq_mqtt5_vbi_write(struct tq_buf *out, uint32_t value)
{
    TQ_ENSURE(value <= TQ_MQTT5_VBI_MAX, TQ_ERR_USAGE);
    uint8_t bytes[4];
    size_t n = 0;
    do {
        uint8_t b = value & 0x7f;
        value >>= 7;
        bytes[n++] = value ? (b | 0x80) : b;
    } while (value);
    return tq_buf_append(out, bytes, n);
}

/* ---- Shared helpers ---- */

/* see mqtt5.h */
const char *tq_mqtt5_type_name(uint8_t type)
{
    return (type & 0x0f) == TQ_MQTT5_AUTH ? "AUTH" : tq_mqtt_type_name(type);
}

/* packet_name names the packet of `type` in diagnostics; TQ_MQTT5_WILL is part of CONNECT. */
static const char *packet_name(uint8_t type)
{
    return type == TQ_MQTT5_WILL ? "CONNECT (Will Properties)" : tq_mqtt5_type_name(type);
}

static tq_status fail(struct tq_diag *diag, tq_status_code code, uint8_t type, const char *kind,
                      const char *why)
{
    return tq_diag_fail(diag, code, NULL, 0, "%s MQTT 5 %s packet: %s", kind, packet_name(type),
                        why);
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_malformed(struct tq_diag *diag, uint8_t type, const char *why)
{
    return fail(diag, TQ_ERR_PARSE, type, "malformed", why);
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_protocol(struct tq_diag *diag, uint8_t type, const char *why)
{
    return fail(diag, TQ_ERR_PROTOCOL, type, "protocol error in", why);
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_frame_check(struct tq_diag *diag, const struct tq_mqtt_frame *frame,
                                uint8_t type, uint8_t flags)
{
    if (frame->type != type)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "want a %s frame, got %s",
                            tq_mqtt5_type_name(type), tq_mqtt5_type_name(frame->type));
    if (frame->flags != flags)
        return tq__mqtt5_malformed(diag, type, "reserved fixed-header flags (section 2.1.3)");
    /* A frame from tq_mqtt_frame_parse has body_len <= 268435455, so the size is 1-4. */
    if (frame->body_len > TQ_MQTT5_VBI_MAX ||
        frame->frame_len != 1 + tq_mqtt5_vbi_size((uint32_t)frame->body_len) + frame->body_len)
        return tq__mqtt5_malformed(diag, type, "Remaining Length not in the fewest bytes");
    return TQ_SUCCESS;
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_fixed_header(struct tq_buf *out, uint8_t type, uint8_t flags,
                                 size_t remaining_len)
{
    return tq__mqtt_fixed_header(out, (enum tq_mqtt_type)type, flags, remaining_len);
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_read_binary(struct tq_diag *diag, struct tq_cursor *c, struct tq_mqtt_str *out,
                                uint8_t type, const char *what)
{
    if (!tq_ok(tq_cursor_u16_prefixed(c, &out->p, &out->len)))
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "malformed MQTT 5 %s packet: truncated %s",
                            packet_name(type), what);
    return TQ_SUCCESS;
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_read_utf8(struct tq_diag *diag, struct tq_cursor *c, struct tq_mqtt_str *out,
                              uint8_t type, const char *what)
{
    TQ_GUARD(tq__mqtt5_read_binary(diag, c, out, type, what));
    /* [MQTT-1.5.4-1], [MQTT-1.5.4-2]: ill-formed UTF-8 or U+0000 is a Malformed Packet. */
    if (!tq__mqtt_utf8_valid(*out))
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                            "malformed MQTT 5 %s packet: %s is not valid UTF-8 (section 1.5.4)",
                            packet_name(type), what);
    return TQ_SUCCESS;
}

/* see mqtt5_internal.h */
bool tq__mqtt5_topic_name_valid(struct tq_mqtt_str topic, bool may_be_empty)
{
    if (topic.len == 0)
        return may_be_empty;
    return tq__mqtt_utf8_valid(topic) && memchr(topic.p, '+', topic.len) == NULL &&
           memchr(topic.p, '#', topic.len) == NULL;
}

/* ---- The property table (Table 2-4) ---- */

enum prop_type { T_BYTE, T_U16, T_U32, T_VBI, T_UTF8, T_BINARY, T_PAIR };

enum prop_rule {
    R_ANY,        /* any value of the type */
    R_BOOL,       /* 0 or 1: "It is a Protocol Error ... to have a value other than 0 or 1" */
    R_NONZERO,    /* "It is a Protocol Error ... for it to have the value 0" */
    R_TOPIC_NAME, /* Response Topic: a topic name, no wildcards [MQTT-3.3.2-14] */
};

#define IN(t) TQ_MQTT5_IN(t)
#define PUB_WILL (IN(TQ_MQTT_PUBLISH) | IN(TQ_MQTT5_WILL))
#define ACKS                                                                                       \
    (IN(TQ_MQTT_PUBACK) | IN(TQ_MQTT_PUBREC) | IN(TQ_MQTT_PUBREL) | IN(TQ_MQTT_PUBCOMP) |          \
     IN(TQ_MQTT_SUBACK) | IN(TQ_MQTT_UNSUBACK))

struct prop_def {
    uint8_t id;
    enum prop_type type;
    enum prop_rule rule;
    uint32_t packets; /* bits TQ_MQTT5_IN(type) of the packets that allow it */
    uint32_t repeats; /* the packets in which it may appear more than once */
    size_t offset;    /* of its field in struct tq_mqtt5_props (scalar types) */
    const char *name;
};

#define F(field) offsetof(struct tq_mqtt5_props, field)

/* Ordered by identifier, as the writer emits them. */
static const struct prop_def props_table[] = {
    {0x01, T_BYTE, R_BOOL, PUB_WILL, 0, F(payload_format), "Payload Format Indicator"},
    {0x02, T_U32, R_ANY, PUB_WILL, 0, F(message_expiry), "Message Expiry Interval"},
    {0x03, T_UTF8, R_ANY, PUB_WILL, 0, F(content_type), "Content Type"},
    {0x08, T_UTF8, R_TOPIC_NAME, PUB_WILL, 0, F(response_topic), "Response Topic"},
    {0x09, T_BINARY, R_ANY, PUB_WILL, 0, F(correlation_data), "Correlation Data"},
    /* Several in a PUBLISH (one per matching subscription, section 3.3.2.3.8), one in
     * SUBSCRIBE (section 3.8.2.1.2). */
    {0x0B, T_VBI, R_NONZERO, IN(TQ_MQTT_PUBLISH) | IN(TQ_MQTT_SUBSCRIBE), IN(TQ_MQTT_PUBLISH), 0,
     "Subscription Identifier"},
    {0x11, T_U32, R_ANY, IN(TQ_MQTT_CONNECT) | IN(TQ_MQTT_CONNACK) | IN(TQ_MQTT_DISCONNECT), 0,
     F(session_expiry), "Session Expiry Interval"},
    {0x12, T_UTF8, R_ANY, IN(TQ_MQTT_CONNACK), 0, F(assigned_client_id),
     "Assigned Client Identifier"},
    {0x13, T_U16, R_ANY, IN(TQ_MQTT_CONNACK), 0, F(server_keep_alive), "Server Keep Alive"},
    {0x15, T_UTF8, R_ANY, IN(TQ_MQTT_CONNECT) | IN(TQ_MQTT_CONNACK) | IN(TQ_MQTT5_AUTH), 0,
     F(auth_method), "Authentication Method"},
    {0x16, T_BINARY, R_ANY, IN(TQ_MQTT_CONNECT) | IN(TQ_MQTT_CONNACK) | IN(TQ_MQTT5_AUTH), 0,
     F(auth_data), "Authentication Data"},
    {0x17, T_BYTE, R_BOOL, IN(TQ_MQTT_CONNECT), 0, F(request_problem_info),
     "Request Problem Information"},
    {0x18, T_U32, R_ANY, IN(TQ_MQTT5_WILL), 0, F(will_delay), "Will Delay Interval"},
    {0x19, T_BYTE, R_BOOL, IN(TQ_MQTT_CONNECT), 0, F(request_response_info),
     "Request Response Information"},
    {0x1A, T_UTF8, R_ANY, IN(TQ_MQTT_CONNACK), 0, F(response_info), "Response Information"},
    {0x1C, T_UTF8, R_ANY, IN(TQ_MQTT_CONNACK) | IN(TQ_MQTT_DISCONNECT), 0, F(server_reference),
     "Server Reference"},
    {0x1F, T_UTF8, R_ANY, IN(TQ_MQTT_CONNACK) | ACKS | IN(TQ_MQTT_DISCONNECT) | IN(TQ_MQTT5_AUTH),
     0, F(reason_string), "Reason String"},
    {0x21, T_U16, R_NONZERO, IN(TQ_MQTT_CONNECT) | IN(TQ_MQTT_CONNACK), 0, F(receive_maximum),
     "Receive Maximum"},
    {0x22, T_U16, R_ANY, IN(TQ_MQTT_CONNECT) | IN(TQ_MQTT_CONNACK), 0, F(topic_alias_maximum),
     "Topic Alias Maximum"},
    {0x23, T_U16, R_NONZERO, IN(TQ_MQTT_PUBLISH), 0, F(topic_alias), "Topic Alias"},
    {0x24, T_BYTE, R_BOOL, IN(TQ_MQTT_CONNACK), 0, F(maximum_qos), "Maximum QoS"},
    {0x25, T_BYTE, R_BOOL, IN(TQ_MQTT_CONNACK), 0, F(retain_available), "Retain Available"},
    /* "The User Property is allowed to appear multiple times" (section 3.1.2.11.8). */
    {0x26, T_PAIR, R_ANY,
     IN(TQ_MQTT_CONNECT) | IN(TQ_MQTT_CONNACK) | PUB_WILL | ACKS | IN(TQ_MQTT_SUBSCRIBE) |
         IN(TQ_MQTT_UNSUBSCRIBE) | IN(TQ_MQTT_DISCONNECT) | IN(TQ_MQTT5_AUTH),
     ~0u, 0, "User Property"},
    {0x27, T_U32, R_NONZERO, IN(TQ_MQTT_CONNECT) | IN(TQ_MQTT_CONNACK), 0, F(maximum_packet_size),
     "Maximum Packet Size"},
    {0x28, T_BYTE, R_BOOL, IN(TQ_MQTT_CONNACK), 0, F(wildcard_sub_available),
     "Wildcard Subscription Available"},
    {0x29, T_BYTE, R_BOOL, IN(TQ_MQTT_CONNACK), 0, F(subscription_id_available),
     "Subscription Identifier Available"},
    {0x2A, T_BYTE, R_BOOL, IN(TQ_MQTT_CONNACK), 0, F(shared_sub_available),
     "Shared Subscription Available"},
};

#define NUM_PROPS (sizeof(props_table) / sizeof(props_table[0]))

static const struct prop_def *prop_def_of(uint32_t id)
{
    for (size_t i = 0; i < NUM_PROPS; i++)
        if (props_table[i].id == id)
            return &props_table[i];
    return NULL;
}

/* see mqtt5.h */
const char *tq_mqtt5_prop_name(uint32_t id)
{
    const struct prop_def *d = prop_def_of(id);
    return d ? d->name : "unknown property";
}

/* see mqtt5.h */
bool tq_mqtt5_prop_allowed(uint8_t type, uint32_t id)
{
    const struct prop_def *d = prop_def_of(id);
    return d != NULL && type < 16 && (d->packets & TQ_MQTT5_IN(type));
}

/* see mqtt5.h */
bool tq_mqtt5_props_has(const struct tq_mqtt5_props *props, enum tq_mqtt5_prop id)
{
    if (id == TQ_MQTT5_PROP_USER_PROPERTY)
        return props->num_user_props > 0;
    if (id == TQ_MQTT5_PROP_SUBSCRIPTION_ID)
        return props->num_subscription_ids > 0;
    return (props->present & TQ_MQTT5_PROP_BIT(id)) != 0;
}

/* see mqtt5_internal.h */
bool tq__mqtt5_props_empty(const struct tq_mqtt5_props *props)
{
    for (size_t i = 0; i < NUM_PROPS; i++)
        if (tq_mqtt5_props_has(props, props_table[i].id))
            return false;
    return true;
}

/* Typed access to a scalar field of struct tq_mqtt5_props. */
static uint32_t scalar_get(const struct tq_mqtt5_props *p, const struct prop_def *d)
{
    const uint8_t *field = (const uint8_t *)p + d->offset;
    uint16_t u16;
    uint32_t u32;
    switch (d->type) {
    case T_BYTE:
        return *field;
    case T_U16:
        memcpy(&u16, field, sizeof(u16));
        return u16;
    case T_U32:
        memcpy(&u32, field, sizeof(u32));
        return u32;
    case T_VBI:
    case T_UTF8:
    case T_BINARY:
    case T_PAIR:
        break;
    }
    return 0;
}

static void scalar_set(struct tq_mqtt5_props *p, const struct prop_def *d, uint32_t value)
{
    uint8_t *field = (uint8_t *)p + d->offset;
    uint16_t u16 = (uint16_t)value;
    switch (d->type) {
    case T_BYTE:
        *field = (uint8_t)value;
        break;
    case T_U16:
        memcpy(field, &u16, sizeof(u16));
        break;
    case T_U32:
        memcpy(field, &value, sizeof(value));
        break;
    case T_VBI:
    case T_UTF8:
    case T_BINARY:
    case T_PAIR:
        break;
    }
}

static struct tq_mqtt_str *str_field(struct tq_mqtt5_props *p, const struct prop_def *d)
{
    return (struct tq_mqtt_str *)(void *)((uint8_t *)p + d->offset);
}

static const struct tq_mqtt_str *str_field_c(const struct tq_mqtt5_props *p,
                                             const struct prop_def *d)
{
    return (const struct tq_mqtt_str *)(const void *)((const uint8_t *)p + d->offset);
}

/* number_ok applies the rule of `d` to a numeric value. */
static bool number_ok(const struct prop_def *d, uint32_t value)
{
    return d->rule == R_BOOL ? value <= 1 : d->rule == R_NONZERO ? value != 0 : true;
}

/* ---- Reading ---- */

struct prop_reader {
    struct tq_diag *diag;
    struct tq_mqtt5_props *out;
    uint8_t type;
};

static tq_status prop_error(const struct prop_reader *r, tq_status_code code,
                            const struct prop_def *d, const char *why)
{
    const char *packet = packet_name(r->type);
    return tq_diag_fail(r->diag, code, NULL, 0, "%s MQTT 5 %s packet: %s (0x%02x) %s",
                        code == TQ_ERR_PARSE ? "malformed" : "protocol error in", packet, d->name,
                        d->id, why);
}

static tq_status read_number(const struct prop_reader *r, struct tq_cursor *c,
                             const struct prop_def *d)
{
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t value = 0;
    const uint8_t *p;
    tq_status st = TQ_STATUS(TQ_ERR_PARSE);
    if (d->type == T_BYTE && tq_ok(st = tq_cursor_u8(c, &u8)))
        value = u8;
    else if (d->type == T_U16 && tq_ok(st = tq_cursor_u16(c, &u16)))
        value = u16;
    else if (d->type == T_U32 && tq_ok(st = tq_cursor_bytes(c, &p, 4)))
        value = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    else if (d->type == T_VBI)
        st = tq_mqtt5_vbi_read(c, &value);
    if (!tq_ok(st))
        return prop_error(r, TQ_ERR_PARSE, d, "is truncated or not of its type");
    if (!number_ok(d, value))
        return prop_error(r, TQ_ERR_PROTOCOL, d,
                          d->rule == R_BOOL ? "is neither 0 nor 1" : "has the value 0");
    if (d->type != T_VBI) {
        scalar_set(r->out, d, value);
        return TQ_SUCCESS;
    }
    if (r->out->num_subscription_ids == TQ_MQTT5_MAX_SUBSCRIPTION_IDS)
        return tq_diag_fail(r->diag, TQ_ERR_LIMIT, NULL, 0,
                            "MQTT 5 %s packet with more than %d Subscription Identifiers",
                            packet_name(r->type), TQ_MQTT5_MAX_SUBSCRIPTION_IDS);
    r->out->subscription_ids[r->out->num_subscription_ids++] = value;
    return TQ_SUCCESS;
}

static tq_status read_pair(const struct prop_reader *r, struct tq_cursor *c)
{
    struct tq_mqtt5_user_prop pair;
    TQ_GUARD(tq__mqtt5_read_utf8(r->diag, c, &pair.name, r->type, "User Property name"));
    TQ_GUARD(tq__mqtt5_read_utf8(r->diag, c, &pair.value, r->type, "User Property value"));
    if (r->out->num_user_props == TQ_MQTT5_MAX_USER_PROPS)
        return tq_diag_fail(r->diag, TQ_ERR_LIMIT, NULL, 0,
                            "MQTT 5 %s packet with more than %d User Properties",
                            packet_name(r->type), TQ_MQTT5_MAX_USER_PROPS);
    r->out->user_props[r->out->num_user_props++] = pair;
    return TQ_SUCCESS;
}

static tq_status read_value(const struct prop_reader *r, struct tq_cursor *c,
                            const struct prop_def *d)
{
    switch (d->type) {
    case T_BYTE:
    case T_U16:
    case T_U32:
    case T_VBI:
        return read_number(r, c, d);
    case T_PAIR:
        return read_pair(r, c);
    case T_UTF8:
        TQ_GUARD(tq__mqtt5_read_utf8(r->diag, c, str_field(r->out, d), r->type, d->name));
        if (d->rule == R_TOPIC_NAME && !tq__mqtt5_topic_name_valid(*str_field(r->out, d), true))
            return prop_error(r, TQ_ERR_PROTOCOL, d, "contains a wildcard");
        return TQ_SUCCESS;
    case T_BINARY:
        return tq__mqtt5_read_binary(r->diag, c, str_field(r->out, d), r->type, d->name);
    }
    return TQ_STATUS(TQ_ERR_INTERNAL);
}

static tq_status read_one(const struct prop_reader *r, struct tq_cursor *c)
{
    uint32_t id;
    if (!tq_ok(tq_mqtt5_vbi_read(c, &id)))
        return tq__mqtt5_malformed(r->diag, r->type,
                                   "truncated or non-minimal property identifier");
    const struct prop_def *d = prop_def_of(id);
    /* Section 2.2.2.2: an identifier that is not valid for the packet type is Malformed. */
    if (d == NULL || !(d->packets & TQ_MQTT5_IN(r->type)))
        return tq_diag_fail(r->diag, TQ_ERR_PARSE, NULL, 0,
                            "malformed MQTT 5 %s packet: property 0x%02x (%s) is not allowed "
                            "there (Table 2-4)",
                            packet_name(r->type), id, tq_mqtt5_prop_name(id));
    uint64_t bit = TQ_MQTT5_PROP_BIT(d->id);
    /* Each property's section: "It is a Protocol Error to include ... more than once". */
    if ((r->out->present & bit) && !(d->repeats & TQ_MQTT5_IN(r->type)))
        return prop_error(r, TQ_ERR_PROTOCOL, d, "appears more than once");
    TQ_GUARD(read_value(r, c, d));
    r->out->present |= bit;
    return TQ_SUCCESS;
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_props_read(struct tq_diag *diag, struct tq_mqtt5_props *out,
                               struct tq_cursor *c, uint8_t type)
{
    *out = (struct tq_mqtt5_props){0};
    uint32_t len;
    const uint8_t *bytes;
    if (!tq_ok(tq_mqtt5_vbi_read(c, &len)) || !tq_ok(tq_cursor_bytes(c, &bytes, len)))
        return tq__mqtt5_malformed(diag, type, "truncated or invalid Property Length");
    struct tq_cursor props;
    tq_cursor_init(&props, bytes, len);
    struct prop_reader r = {.diag = diag, .out = out, .type = type};
    while (props.len > 0)
        TQ_GUARD(read_one(&r, &props));
    /* Section 3.1.2.11.10 (and 3.2.2.3.18, 3.15.2.2.3): "It is a Protocol Error to include
     * Authentication Data if there is no Authentication Method". */
    if ((out->present & TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_AUTH_DATA)) &&
        !(out->present & TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_AUTH_METHOD)))
        return tq__mqtt5_protocol(diag, type, "Authentication Data without Authentication Method");
    return TQ_SUCCESS;
}

/* ---- Sizing and writing ---- */

static size_t value_size(const struct tq_mqtt5_props *p, const struct prop_def *d)
{
    switch (d->type) {
    case T_BYTE:
        return 1;
    case T_U16:
        return 2;
    case T_U32:
        return 4;
    case T_UTF8:
    case T_BINARY:
        return 2 + str_field_c(p, d)->len;
    case T_VBI:
    case T_PAIR:
        break;
    }
    return 0;
}

/* prop_valid_to_write applies the reader's rules to property `d` of `p`. */
static bool prop_valid_to_write(const struct tq_mqtt5_props *p, const struct prop_def *d,
                                uint8_t type)
{
    if (!(d->packets & TQ_MQTT5_IN(type)))
        return false;
    if (d->type == T_PAIR) {
        for (size_t i = 0; i < p->num_user_props; i++)
            if (p->user_props[i].name.len > UINT16_MAX || p->user_props[i].value.len > UINT16_MAX ||
                !tq__mqtt_utf8_valid(p->user_props[i].name) ||
                !tq__mqtt_utf8_valid(p->user_props[i].value))
                return false;
        return p->num_user_props <= TQ_MQTT5_MAX_USER_PROPS;
    }
    if (d->type == T_VBI) {
        if (p->num_subscription_ids > TQ_MQTT5_MAX_SUBSCRIPTION_IDS ||
            (p->num_subscription_ids > 1 && !(d->repeats & TQ_MQTT5_IN(type))))
            return false;
        for (size_t i = 0; i < p->num_subscription_ids; i++)
            if (p->subscription_ids[i] == 0 || p->subscription_ids[i] > TQ_MQTT5_VBI_MAX)
                return false;
        return true;
    }
    if (d->type == T_UTF8)
        return str_field_c(p, d)->len <= UINT16_MAX && tq__mqtt_utf8_valid(*str_field_c(p, d)) &&
               (d->rule != R_TOPIC_NAME || tq__mqtt5_topic_name_valid(*str_field_c(p, d), true));
    if (d->type == T_BINARY)
        return str_field_c(p, d)->len <= UINT16_MAX;
    return number_ok(d, scalar_get(p, d));
}

/* body_len computes the bytes of the properties of `props`, without the Property Length. */
static tq_status body_len(const struct tq_mqtt5_props *props, uint8_t type, size_t *out_len)
{
    size_t len = 0;
    for (size_t i = 0; i < NUM_PROPS; i++) {
        const struct prop_def *d = &props_table[i];
        if (!tq_mqtt5_props_has(props, d->id))
            continue;
        TQ_ENSURE(prop_valid_to_write(props, d, type), TQ_ERR_USAGE);
        if (d->type == T_PAIR) {
            for (size_t k = 0; k < props->num_user_props; k++)
                len += 5 + props->user_props[k].name.len + props->user_props[k].value.len;
        } else if (d->type == T_VBI) {
            for (size_t k = 0; k < props->num_subscription_ids; k++)
                len += 1 + tq_mqtt5_vbi_size(props->subscription_ids[k]);
        } else {
            len += 1 + value_size(props, d);
        }
    }
    TQ_ENSURE(!tq_mqtt5_props_has(props, TQ_MQTT5_PROP_AUTH_DATA) ||
                  tq_mqtt5_props_has(props, TQ_MQTT5_PROP_AUTH_METHOD),
              TQ_ERR_USAGE);
    TQ_ENSURE(len <= TQ_MQTT5_VBI_MAX, TQ_ERR_LIMIT);
    *out_len = len;
    return TQ_SUCCESS;
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_props_size(const struct tq_mqtt5_props *props, uint8_t type, size_t *out_len)
{
    size_t len;
    TQ_GUARD(body_len(props, type, &len));
    *out_len = tq_mqtt5_vbi_size((uint32_t)len) + len;
    return TQ_SUCCESS;
}

static tq_status write_value(struct tq_buf *out, const struct tq_mqtt5_props *p,
                             const struct prop_def *d)
{
    uint32_t v = scalar_get(p, d);
    uint8_t be32[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    const struct tq_mqtt_str *s = str_field_c(p, d);
    switch (d->type) {
    case T_BYTE:
        return tq_buf_u8(out, (uint8_t)v);
    case T_U16:
        return tq_buf_u16(out, (uint16_t)v);
    case T_U32:
        return tq_buf_append(out, be32, 4);
    case T_UTF8:
    case T_BINARY:
        return tq_buf_u16_prefixed(out, s->p, s->len);
    case T_VBI:
    case T_PAIR:
        break;
    }
    return TQ_STATUS(TQ_ERR_INTERNAL);
}

static tq_status write_repeated(struct tq_buf *out, const struct tq_mqtt5_props *p,
                                const struct prop_def *d)
{
    if (d->type == T_VBI) {
        for (size_t k = 0; k < p->num_subscription_ids; k++) {
            TQ_GUARD(tq_buf_u8(out, d->id));
            TQ_GUARD(tq_mqtt5_vbi_write(out, p->subscription_ids[k]));
        }
        return TQ_SUCCESS;
    }
    for (size_t k = 0; k < p->num_user_props; k++) {
        const struct tq_mqtt5_user_prop *u = &p->user_props[k];
        TQ_GUARD(tq_buf_u8(out, d->id));
        TQ_GUARD(tq_buf_u16_prefixed(out, u->name.p, u->name.len));
        TQ_GUARD(tq_buf_u16_prefixed(out, u->value.p, u->value.len));
    }
    return TQ_SUCCESS;
}

/* see mqtt5_internal.h */
tq_status tq__mqtt5_props_write(struct tq_buf *out, const struct tq_mqtt5_props *props,
                                uint8_t type)
{
    size_t len;
    TQ_GUARD(body_len(props, type, &len));
    TQ_GUARD(tq_mqtt5_vbi_write(out, (uint32_t)len));
    for (size_t i = 0; i < NUM_PROPS; i++) {
        const struct prop_def *d = &props_table[i];
        if (!tq_mqtt5_props_has(props, d->id))
            continue;
        if (d->type == T_VBI || d->type == T_PAIR) {
            TQ_GUARD(write_repeated(out, props, d));
            continue;
        }
        TQ_GUARD(tq_buf_u8(out, d->id));
        TQ_GUARD(write_value(out, props, d));
    }
    return TQ_SUCCESS;
}

/* ---- Comparing ---- */

static bool str_eq(struct tq_mqtt_str a, struct tq_mqtt_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static bool repeated_equal(const struct tq_mqtt5_props *a, const struct tq_mqtt5_props *b)
{
    if (a->num_user_props != b->num_user_props ||
        a->num_subscription_ids != b->num_subscription_ids)
        return false;
    for (size_t i = 0; i < a->num_user_props; i++)
        if (!str_eq(a->user_props[i].name, b->user_props[i].name) ||
            !str_eq(a->user_props[i].value, b->user_props[i].value))
            return false;
    for (size_t i = 0; i < a->num_subscription_ids; i++)
        if (a->subscription_ids[i] != b->subscription_ids[i])
            return false;
    return true;
}

/* see mqtt5.h */
bool tq_mqtt5_props_equal(const struct tq_mqtt5_props *a, const struct tq_mqtt5_props *b)
{
    if (!repeated_equal(a, b))
        return false;
    for (size_t i = 0; i < NUM_PROPS; i++) {
        const struct prop_def *d = &props_table[i];
        bool has = tq_mqtt5_props_has(a, d->id);
        if (has != tq_mqtt5_props_has(b, d->id))
            return false;
        if (!has || d->type == T_VBI || d->type == T_PAIR)
            continue;
        if (d->type == T_UTF8 || d->type == T_BINARY) {
            if (!str_eq(*str_field_c(a, d), *str_field_c(b, d)))
                return false;
        } else if (scalar_get(a, d) != scalar_get(b, d)) {
            return false;
        }
    }
    return true;
}
