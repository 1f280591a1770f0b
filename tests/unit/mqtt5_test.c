/* Tests for common/mqtt5*.c: byte-exact encodings from the MQTT 5.0 specification's examples
 * (OASIS mqtt-v5.0-os), round trips of every packet type, malformed packets and protocol errors,
 * reason codes, and the policy checks with AWS IoT Core's limits. */
#include <criterion/criterion.h>
#include <string.h>

#include "mqtt5.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define STR(s) ((struct tq_mqtt_str){.p = (const uint8_t *)(s), .len = sizeof(s) - 1})
#define BIT(id) TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_##id)

static struct tq_mqtt_frame frame_of(const uint8_t *data, size_t len)
{
    struct tq_mqtt_frame f;
    bool complete = false;
    cr_assert(tq_ok(tq_mqtt_frame_parse(NULL, &f, &complete, data, len, 1 << 20)));
    cr_assert(complete, "an encoded packet must frame completely");
    cr_assert_eq(f.frame_len, len, "one packet, no bytes after it");
    return f;
}

static bool str_is(struct tq_mqtt_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

static void expect_bytes(const struct tq_buf *b, const uint8_t *want, size_t want_len,
                         const char *what)
{
    cr_assert_eq(b->len, want_len, "%s: want %zu bytes, got %zu", what, want_len, b->len);
    for (size_t i = 0; i < want_len; i++)
        cr_expect_eq(b->data[i], want[i], "%s: byte %zu: want 0x%02x, got 0x%02x", what, i, want[i],
                     b->data[i]);
}

/* ---- Data representation (section 1.5) ---- */

/* Table 1-1, Size of Variable Byte Integer: the bounds of each length. */
static const struct {
    uint32_t value;
    uint8_t bytes[4];
    size_t len;
} vbi_cases[] = {
    {0, {0x00}, 1},
    {127, {0x7F}, 1},
    {128, {0x80, 0x01}, 2},
    {16383, {0xFF, 0x7F}, 2},
    {16384, {0x80, 0x80, 0x01}, 3},
    {2097151, {0xFF, 0xFF, 0x7F}, 3},
    {2097152, {0x80, 0x80, 0x80, 0x01}, 4},
    {268435455, {0xFF, 0xFF, 0xFF, 0x7F}, 4},
};

Test(mqtt5, variable_byte_integer_table_1_1)
{
    for (size_t i = 0; i < ARRAY_LEN(vbi_cases); i++) {
        struct tq_buf b;
        tq_buf_init(&b, 8);
        cr_assert(tq_ok(tq_mqtt5_vbi_write(&b, vbi_cases[i].value)));
        expect_bytes(&b, vbi_cases[i].bytes, vbi_cases[i].len, "vbi write");
        cr_expect_eq(tq_mqtt5_vbi_size(vbi_cases[i].value), vbi_cases[i].len);
        struct tq_cursor c;
        tq_cursor_init(&c, vbi_cases[i].bytes, vbi_cases[i].len);
        uint32_t v = 1;
        cr_assert(tq_ok(tq_mqtt5_vbi_read(&c, &v)), "value %u", vbi_cases[i].value);
        cr_expect(v == vbi_cases[i].value && c.len == 0, "value %u", vbi_cases[i].value);
        tq_buf_cleanup(&b);
    }
}

Test(mqtt5, variable_byte_integer_rejects_bad_encodings)
{
    static const struct {
        const char *name;
        uint8_t bytes[5];
        size_t len;
    } bad[] = {
        {"empty", {0}, 0},
        {"truncated", {0x80}, 1},
        {"five bytes", {0x80, 0x80, 0x80, 0x80, 0x01}, 5},
        {"0 in two bytes [MQTT-1.5.5-1]", {0x80, 0x00}, 2},
        {"127 in two bytes", {0xFF, 0x00}, 2},
        {"128 in three bytes", {0x80, 0x81, 0x00}, 3},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct tq_cursor c;
        tq_cursor_init(&c, bad[i].bytes, bad[i].len);
        uint32_t v;
        cr_expect_eq(tq_mqtt5_vbi_read(&c, &v).code, TQ_ERR_PARSE, "%s", bad[i].name);
        cr_expect_eq(c.len, bad[i].len, "%s: nothing consumed", bad[i].name);
    }
    struct tq_buf b;
    tq_buf_init(&b, 8);
    cr_expect_eq(tq_mqtt5_vbi_write(&b, TQ_MQTT5_VBI_MAX + 1).code, TQ_ERR_USAGE);
    tq_buf_cleanup(&b);
}

/* ---- The specification's non-normative examples ---- */

/* Section 3.1.2.12, Figure 3-6: the Variable Header of a CONNECT with User Name, Password,
 * Will QoS 1, Will Flag, Clean Start, Keep Alive 10 and Session Expiry Interval 10. */
Test(mqtt5, connect_variable_header_figure_3_6)
{
    static const uint8_t variable_header[] = {
        0x00, 0x04, 'M',  'Q',  'T',  'T', /* Protocol Name */
        0x05,                              /* Protocol Version */
        0xCE,                              /* 1 1 0 01 1 1 0: user, password, QoS 1, will, clean */
        0x00, 0x0A,                        /* Keep Alive 10 */
        0x05,                              /* Property Length */
        0x11, 0x00, 0x00, 0x00, 0x0A,      /* Session Expiry Interval 10 */
    };
    struct tq_mqtt5_connect in = {.clean_start = true,
                                  .keep_alive = 10,
                                  .client_id = STR("c"),
                                  .has_will = true,
                                  .will_qos = 1,
                                  .will_topic = STR("w"),
                                  .will_payload = STR("x"),
                                  .has_username = true,
                                  .username = STR("u"),
                                  .has_password = true,
                                  .password = STR("p")};
    in.props.present = BIT(SESSION_EXPIRY);
    in.props.session_expiry = 10;
    struct tq_buf b;
    tq_buf_init(&b, 256);
    cr_assert(tq_ok(tq_mqtt5_connect_write(&b, &in)));
    cr_assert(b.len > 2 + sizeof(variable_header));
    cr_expect_eq(b.data[0], 0x10);
    cr_expect_eq(b.data[1], b.len - 2, "Remaining Length");
    cr_expect(memcmp(b.data + 2, variable_header, sizeof(variable_header)) == 0,
              "variable header as in Figure 3-6");
    struct tq_mqtt_frame f = frame_of(b.data, b.len);
    struct tq_mqtt5_connect out;
    cr_assert(tq_ok(tq_mqtt5_connect_read(NULL, &out, &f)));
    cr_expect(out.clean_start && out.keep_alive == 10 && out.has_will && out.will_qos == 1);
    cr_expect(!out.will_retain && out.has_username && out.has_password);
    cr_expect(tq_mqtt5_props_has(&out.props, TQ_MQTT5_PROP_SESSION_EXPIRY));
    cr_expect_eq(out.props.session_expiry, 10);
    tq_buf_cleanup(&b);
}

/* Section 1.5.4, Figure 1-2: "A" U+2A6D4 is 0x00 0x05 0x41 0xF0 0xAA 0x9B 0x94. */
Test(mqtt5, utf8_string_figure_1_2)
{
    static const uint8_t want[] = {0x00, 0x05, 0x41, 0xF0, 0xAA, 0x9B, 0x94};
    struct tq_mqtt5_disconnect in = {.reason = TQ_MQTT5_RC_NORMAL_DISCONNECTION};
    in.props.present = BIT(REASON_STRING);
    in.props.reason_string = STR("A\xF0\xAA\x9B\x94");
    struct tq_buf b;
    tq_buf_init(&b, 64);
    cr_assert(tq_ok(tq_mqtt5_disconnect_write(&b, TQ_MQTT_DISCONNECT, &in)));
    /* E0, Remaining Length, reason 00, Property Length 08, 1F, then the string. */
    cr_assert_eq(b.len, 5 + sizeof(want));
    cr_expect(b.data[2] == 0x00 && b.data[3] == 0x08 && b.data[4] == 0x1F);
    cr_expect(memcmp(b.data + 5, want, sizeof(want)) == 0);
    struct tq_mqtt_frame f = frame_of(b.data, b.len);
    struct tq_mqtt5_disconnect out;
    cr_assert(tq_ok(tq_mqtt5_disconnect_read(NULL, &out, &f)));
    cr_expect(str_is(out.props.reason_string, "A\xF0\xAA\x9B\x94"));
    tq_buf_cleanup(&b);
}

/* The non-normative examples of sections 3.3.2 (PUBLISH Variable Header: Topic Name "a/b",
 * Packet Identifier 10, no properties), 3.8.2 and 3.8.3 (SUBSCRIBE: Packet Identifier 10, no
 * properties, Figure 3-19; "a/b" with options 1 and "c/d" with options 2) and 3.10.2, 3.10.3
 * (UNSUBSCRIBE of "a/b" and "c/d"). */
Test(mqtt5, publish_subscribe_unsubscribe_examples)
{
    static const uint8_t publish[] = {0x32, 0x08, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 0x00};
    static const uint8_t subscribe[] = {0x82, 0x0F, 0x00, 0x0A, 0x00, 0x00, 0x03, 'a', '/',
                                        'b',  0x01, 0x00, 0x03, 'c',  '/',  'd',  0x02};
    static const uint8_t unsubscribe[] = {0xA2, 0x0D, 0x00, 0x0A, 0x00, 0x00, 0x03, 'a',
                                          '/',  'b',  0x00, 0x03, 'c',  '/',  'd'};
    struct tq_buf b;
    tq_buf_init(&b, 64);
    struct tq_mqtt5_publish pub = {.qos = 1, .topic = STR("a/b"), .packet_id = 10};
    cr_assert(tq_ok(tq_mqtt5_publish_write(&b, &pub)));
    expect_bytes(&b, publish, sizeof(publish), "PUBLISH");
    b.len = 0;
    struct tq_mqtt5_subscribe sub = {.packet_id = 10, .num_filters = 2};
    sub.subs[0] = (struct tq_mqtt5_subscription){.filter = STR("a/b"), .qos = 1};
    sub.subs[1] = (struct tq_mqtt5_subscription){.filter = STR("c/d"), .qos = 2};
    cr_assert(tq_ok(tq_mqtt5_subscribe_write(&b, TQ_MQTT_SUBSCRIBE, &sub)));
    expect_bytes(&b, subscribe, sizeof(subscribe), "SUBSCRIBE");
    b.len = 0;
    cr_assert(tq_ok(tq_mqtt5_subscribe_write(&b, TQ_MQTT_UNSUBSCRIBE, &sub)));
    expect_bytes(&b, unsubscribe, sizeof(unsubscribe), "UNSUBSCRIBE");
    tq_buf_cleanup(&b);

    struct tq_mqtt_frame f = frame_of(subscribe, sizeof(subscribe));
    struct tq_mqtt5_subscribe out;
    cr_assert(tq_ok(tq_mqtt5_subscribe_read(NULL, &out, &f)));
    cr_expect(out.packet_id == 10 && out.num_filters == 2);
    cr_expect(str_is(out.subs[0].filter, "a/b") && out.subs[0].qos == 1);
    cr_expect(str_is(out.subs[1].filter, "c/d") && out.subs[1].qos == 2);
    f = frame_of(publish, sizeof(publish));
    struct tq_mqtt5_publish pub_out;
    cr_assert(tq_ok(tq_mqtt5_publish_read(NULL, &pub_out, &f)));
    cr_expect(str_is(pub_out.topic, "a/b") && pub_out.packet_id == 10 && pub_out.qos == 1);
    cr_expect_eq(pub_out.payload_len, 0);
}

/* The short forms of sections 3.4.2.1, 3.14.2.1 and 3.15.2.1. */
Test(mqtt5, acknowledgement_and_disconnect_short_forms)
{
    static const struct {
        const char *name;
        uint8_t type;
        uint8_t reason;
        uint8_t bytes[6];
        size_t len;
    } cases[] = {
        {"PUBACK success: packet identifier only", TQ_MQTT_PUBACK, 0x00, {0x40, 2, 0x12, 0x34}, 4},
        {"PUBACK no matching subscribers", TQ_MQTT_PUBACK, 0x10, {0x40, 3, 0x12, 0x34, 0x10}, 5},
        {"PUBREL flags 0010", TQ_MQTT_PUBREL, 0x92, {0x62, 3, 0x12, 0x34, 0x92}, 5},
        {"PUBCOMP success", TQ_MQTT_PUBCOMP, 0x00, {0x70, 2, 0x12, 0x34}, 4},
        {"PUBREC quota exceeded", TQ_MQTT_PUBREC, 0x97, {0x50, 3, 0x12, 0x34, 0x97}, 5},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct tq_buf b;
        tq_buf_init(&b, 16);
        struct tq_mqtt5_ack in = {.packet_id = 0x1234, .reason = cases[i].reason};
        cr_assert(tq_ok(tq_mqtt5_ack_write(&b, cases[i].type, &in)), "%s", cases[i].name);
        expect_bytes(&b, cases[i].bytes, cases[i].len, cases[i].name);
        struct tq_mqtt_frame f = frame_of(b.data, b.len);
        struct tq_mqtt5_ack out;
        cr_assert(tq_ok(tq_mqtt5_ack_read(NULL, &out, &f)), "%s", cases[i].name);
        cr_expect(out.packet_id == 0x1234 && out.reason == cases[i].reason, "%s", cases[i].name);
        tq_buf_cleanup(&b);
    }
    static const struct {
        const char *name;
        uint8_t type;
        uint8_t reason;
        uint8_t bytes[4];
        size_t len;
    } bare[] = {
        {"DISCONNECT normal: Remaining Length 0", TQ_MQTT_DISCONNECT, 0x00, {0xE0, 0}, 2},
        {"DISCONNECT session taken over", TQ_MQTT_DISCONNECT, 0x8E, {0xE0, 1, 0x8E}, 3},
        {"AUTH success: Remaining Length 0", TQ_MQTT5_AUTH, 0x00, {0xF0, 0}, 2},
        {"AUTH continue: Property Length kept", TQ_MQTT5_AUTH, 0x18, {0xF0, 2, 0x18, 0}, 4},
    };
    for (size_t i = 0; i < ARRAY_LEN(bare); i++) {
        struct tq_buf b;
        tq_buf_init(&b, 16);
        struct tq_mqtt5_disconnect in = {.reason = bare[i].reason};
        cr_assert(tq_ok(tq_mqtt5_disconnect_write(&b, bare[i].type, &in)), "%s", bare[i].name);
        expect_bytes(&b, bare[i].bytes, bare[i].len, bare[i].name);
        struct tq_mqtt_frame f = frame_of(b.data, b.len);
        struct tq_mqtt5_disconnect out;
        cr_assert(tq_ok(tq_mqtt5_disconnect_read(NULL, &out, &f)), "%s", bare[i].name);
        cr_expect_eq(out.reason, bare[i].reason, "%s", bare[i].name);
        tq_buf_cleanup(&b);
    }
}

/* ---- Round trips of every packet type, every property its packet allows ---- */

static void fill_user_props(struct tq_mqtt5_props *p)
{
    p->num_user_props = 2;
    p->user_props[0] = (struct tq_mqtt5_user_prop){STR("region"), STR("eu-west-1")};
    p->user_props[1] = (struct tq_mqtt5_user_prop){STR("region"), STR("")}; /* repeats: fine */
    p->present |= BIT(USER_PROPERTY);
}

static void round_trip_connect(void)
{
    struct tq_mqtt5_connect in = {.clean_start = false,
                                  .keep_alive = 1200,
                                  .client_id = STR("device-1"),
                                  .has_will = true,
                                  .will_qos = 1,
                                  .will_retain = true,
                                  .will_topic = STR("dt/lwt"),
                                  .will_payload = STR("\x00\xff"),
                                  .has_password = true,
                                  .password = STR("\x01\x02")};
    struct tq_mqtt5_props *p = &in.props;
    p->present = BIT(SESSION_EXPIRY) | BIT(RECEIVE_MAXIMUM) | BIT(MAXIMUM_PACKET_SIZE) |
                 BIT(TOPIC_ALIAS_MAXIMUM) | BIT(REQUEST_RESPONSE_INFO) | BIT(REQUEST_PROBLEM_INFO) |
                 BIT(AUTH_METHOD) | BIT(AUTH_DATA);
    p->session_expiry = 3600, p->receive_maximum = 20, p->maximum_packet_size = 131072;
    p->topic_alias_maximum = 8, p->request_response_info = 1, p->request_problem_info = 0;
    p->auth_method = STR("SCRAM-SHA-1"), p->auth_data = STR("\x00\x01");
    fill_user_props(p);
    struct tq_mqtt5_props *w = &in.will_props;
    w->present = BIT(PAYLOAD_FORMAT) | BIT(MESSAGE_EXPIRY) | BIT(CONTENT_TYPE) |
                 BIT(RESPONSE_TOPIC) | BIT(CORRELATION_DATA) | BIT(WILL_DELAY);
    w->payload_format = 1, w->message_expiry = 60, w->content_type = STR("text/plain");
    w->response_topic = STR("reply/here"), w->correlation_data = STR("\x00\x01");
    w->will_delay = 5;
    fill_user_props(w);
    struct tq_buf b;
    tq_buf_init(&b, 1024);
    cr_assert(tq_ok(tq_mqtt5_connect_write(&b, &in)));
    struct tq_mqtt_frame f = frame_of(b.data, b.len);
    struct tq_mqtt5_connect out;
    cr_assert(tq_ok(tq_mqtt5_connect_read(NULL, &out, &f)));
    cr_expect(!out.clean_start && out.keep_alive == 1200 && str_is(out.client_id, "device-1"));
    cr_expect(out.has_will && out.will_qos == 1 && out.will_retain);
    cr_expect(str_is(out.will_topic, "dt/lwt") && out.will_payload.len == 2);
    cr_expect(!out.has_username && out.has_password && out.password.len == 2,
              "MQTT 5 allows a password without a user name");
    cr_expect(tq_mqtt5_props_equal(&in.props, &out.props), "CONNECT properties");
    cr_expect(tq_mqtt5_props_equal(&in.will_props, &out.will_props), "Will Properties");
    tq_buf_cleanup(&b);
}

static void round_trip_connack(void)
{
    struct tq_mqtt5_connack in = {.session_present = true, .reason = 0};
    struct tq_mqtt5_props *p = &in.props;
    tq_mqtt5_connack_capabilities(p, &tq_mqtt5_aws_limits);
    p->present |= BIT(SESSION_EXPIRY) | BIT(ASSIGNED_CLIENT_ID) | BIT(SERVER_KEEP_ALIVE) |
                  BIT(RECEIVE_MAXIMUM) | BIT(REASON_STRING) | BIT(RESPONSE_INFO) |
                  BIT(SERVER_REFERENCE) | BIT(RETAIN_AVAILABLE) | BIT(WILDCARD_SUB_AVAILABLE) |
                  BIT(SHARED_SUB_AVAILABLE) | BIT(AUTH_METHOD) | BIT(AUTH_DATA);
    p->session_expiry = 7200, p->assigned_client_id = STR("auto-1"), p->server_keep_alive = 30;
    p->receive_maximum = 100, p->reason_string = STR("ok"), p->response_info = STR("r/");
    p->server_reference = STR("other"), p->retain_available = 1, p->wildcard_sub_available = 1;
    p->shared_sub_available = 1, p->auth_method = STR("m"), p->auth_data = STR("d");
    fill_user_props(p);
    struct tq_buf b;
    tq_buf_init(&b, 1024);
    cr_assert(tq_ok(tq_mqtt5_connack_write(&b, &in)));
    struct tq_mqtt_frame f = frame_of(b.data, b.len);
    struct tq_mqtt5_connack out;
    cr_assert(tq_ok(tq_mqtt5_connack_read(NULL, &out, &f)));
    cr_expect(out.session_present && out.reason == 0);
    cr_expect(tq_mqtt5_props_equal(&in.props, &out.props), "CONNACK properties");
    cr_expect(out.props.maximum_qos == 1 && out.props.topic_alias_maximum == 8);
    tq_buf_cleanup(&b);
}

static void round_trip_publish(void)
{
    static const uint8_t payload[] = {0x7b, 0x7d, 0x00, 0xff};
    struct tq_mqtt5_publish in = {.dup = true,
                                  .qos = 2,
                                  .retain = true,
                                  .topic = STR(""),
                                  .packet_id = 65535,
                                  .payload = payload,
                                  .payload_len = sizeof(payload)};
    struct tq_mqtt5_props *p = &in.props;
    p->present = BIT(PAYLOAD_FORMAT) | BIT(MESSAGE_EXPIRY) | BIT(CONTENT_TYPE) |
                 BIT(RESPONSE_TOPIC) | BIT(CORRELATION_DATA) | BIT(TOPIC_ALIAS);
    p->payload_format = 0, p->message_expiry = 0xFFFFFFFF, p->content_type = STR("a/b");
    p->response_topic = STR("r/1"), p->correlation_data = STR("id-7"), p->topic_alias = 3;
    p->num_subscription_ids = 3; /* one per matching subscription (section 3.3.4) */
    p->subscription_ids[0] = 1, p->subscription_ids[1] = 300, p->subscription_ids[2] = 268435455;
    fill_user_props(p);
    struct tq_buf b;
    tq_buf_init(&b, 1024);
    cr_assert(tq_ok(tq_mqtt5_publish_write(&b, &in)));
    struct tq_mqtt_frame f = frame_of(b.data, b.len);
    struct tq_mqtt5_publish out;
    cr_assert(tq_ok(tq_mqtt5_publish_read(NULL, &out, &f)));
    cr_expect(out.dup && out.qos == 2 && out.retain && out.packet_id == 65535);
    cr_expect(out.topic.len == 0, "an empty topic with a Topic Alias");
    cr_expect(out.payload_len == sizeof(payload) && memcmp(out.payload, payload, 4) == 0);
    cr_expect(tq_mqtt5_props_equal(&in.props, &out.props), "PUBLISH properties");
    tq_buf_cleanup(&b);
}

static void round_trip_acks(void)
{
    static const uint8_t types[] = {TQ_MQTT_PUBACK, TQ_MQTT_PUBREC, TQ_MQTT_PUBREL,
                                    TQ_MQTT_PUBCOMP};
    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        struct tq_mqtt5_ack in = {.packet_id = 7};
        in.props.present = BIT(REASON_STRING);
        in.props.reason_string = STR("fine");
        fill_user_props(&in.props);
        struct tq_buf b;
        tq_buf_init(&b, 256);
        cr_assert(tq_ok(tq_mqtt5_ack_write(&b, types[i], &in)));
        struct tq_mqtt_frame f = frame_of(b.data, b.len);
        struct tq_mqtt5_ack out;
        cr_assert(tq_ok(tq_mqtt5_ack_read(NULL, &out, &f)), "%s", tq_mqtt_type_name(types[i]));
        cr_expect(out.packet_id == 7 && out.reason == 0 && f.type == types[i]);
        cr_expect(tq_mqtt5_props_equal(&in.props, &out.props));
        tq_buf_cleanup(&b);
    }
}

static void round_trip_subscribe(void)
{
    struct tq_mqtt5_subscribe in = {.packet_id = 99, .num_filters = 3};
    in.props.num_subscription_ids = 1;
    in.props.subscription_ids[0] = 16384;
    fill_user_props(&in.props);
    in.subs[0] = (struct tq_mqtt5_subscription){.filter = STR("sensors/+/temp"),
                                                .qos = 1,
                                                .no_local = true,
                                                .retain_as_published = true,
                                                .retain_handling = 2};
    in.subs[1] = (struct tq_mqtt5_subscription){
        .filter = STR("$share/g1/a/#"), .qos = 0, .retain_handling = 1};
    in.subs[2] = (struct tq_mqtt5_subscription){.filter = STR("#"), .qos = 2};
    for (uint8_t type = TQ_MQTT_SUBSCRIBE; type <= TQ_MQTT_UNSUBSCRIBE; type += 2) {
        struct tq_buf b;
        tq_buf_init(&b, 512);
        struct tq_mqtt5_subscribe w = in;
        if (type == TQ_MQTT_UNSUBSCRIBE)
            w.props.num_subscription_ids = 0; /* UNSUBSCRIBE carries User Property only */
        cr_assert(tq_ok(tq_mqtt5_subscribe_write(&b, type, &w)), "%s", tq_mqtt_type_name(type));
        struct tq_mqtt_frame f = frame_of(b.data, b.len);
        struct tq_mqtt5_subscribe out;
        cr_assert(tq_ok(tq_mqtt5_subscribe_read(NULL, &out, &f)));
        cr_expect(out.packet_id == 99 && out.num_filters == 3);
        cr_expect(tq_mqtt5_props_equal(&w.props, &out.props));
        for (size_t i = 0; i < 3; i++) {
            const struct tq_mqtt5_subscription *a = &in.subs[i], *o = &out.subs[i];
            cr_expect(o->filter.len == a->filter.len &&
                      memcmp(o->filter.p, a->filter.p, a->filter.len) == 0);
            if (type == TQ_MQTT_SUBSCRIBE)
                cr_expect(o->qos == a->qos && o->no_local == a->no_local &&
                              o->retain_as_published == a->retain_as_published &&
                              o->retain_handling == a->retain_handling,
                          "options of filter %zu", i);
            else
                cr_expect(o->qos == 0 && !o->no_local && o->retain_handling == 0);
        }
        tq_buf_cleanup(&b);
    }
}

static void round_trip_suback(void)
{
    static const struct {
        uint8_t type;
        uint8_t codes[4];
    } cases[] = {
        {TQ_MQTT_SUBACK, {0x00, 0x01, 0x87, 0xA2}},
        {TQ_MQTT_UNSUBACK, {0x00, 0x11, 0x8F, 0x91}},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct tq_mqtt5_suback in = {.packet_id = 5, .num_codes = 4};
        memcpy(in.codes, cases[i].codes, 4);
        in.props.present = BIT(REASON_STRING);
        in.props.reason_string = STR("partly");
        fill_user_props(&in.props);
        struct tq_buf b;
        tq_buf_init(&b, 256);
        cr_assert(tq_ok(tq_mqtt5_suback_write(&b, cases[i].type, &in)));
        struct tq_mqtt_frame f = frame_of(b.data, b.len);
        struct tq_mqtt5_suback out;
        cr_assert(tq_ok(tq_mqtt5_suback_read(NULL, &out, &f)));
        cr_expect(out.packet_id == 5 && out.num_codes == 4 && memcmp(out.codes, in.codes, 4) == 0);
        cr_expect(tq_mqtt5_props_equal(&in.props, &out.props));
        tq_buf_cleanup(&b);
    }
}

static void round_trip_disconnect_and_auth(void)
{
    struct tq_mqtt5_disconnect d = {.reason = TQ_MQTT5_RC_SERVER_MOVED};
    d.props.present = BIT(SESSION_EXPIRY) | BIT(REASON_STRING) | BIT(SERVER_REFERENCE);
    d.props.session_expiry = 0, d.props.reason_string = STR("moved");
    d.props.server_reference = STR("other.example:8883");
    fill_user_props(&d.props);
    struct tq_mqtt5_disconnect a = {.reason = TQ_MQTT5_RC_CONTINUE_AUTHENTICATION};
    a.props.present = BIT(AUTH_METHOD) | BIT(AUTH_DATA) | BIT(REASON_STRING);
    a.props.auth_method = STR("SCRAM-SHA-1"), a.props.auth_data = STR("nonce");
    a.props.reason_string = STR("again");
    const struct tq_mqtt5_disconnect *ins[] = {&d, &a};
    const uint8_t types[] = {TQ_MQTT_DISCONNECT, TQ_MQTT5_AUTH};
    for (size_t i = 0; i < 2; i++) {
        struct tq_buf b;
        tq_buf_init(&b, 256);
        cr_assert(tq_ok(tq_mqtt5_disconnect_write(&b, types[i], ins[i])));
        struct tq_mqtt_frame f = frame_of(b.data, b.len);
        struct tq_mqtt5_disconnect out;
        cr_assert(tq_ok(tq_mqtt5_disconnect_read(NULL, &out, &f)));
        cr_expect(out.reason == ins[i]->reason && f.type == types[i]);
        cr_expect(tq_mqtt5_props_equal(&ins[i]->props, &out.props));
        tq_buf_cleanup(&b);
    }
}

Test(mqtt5, every_packet_type_round_trips)
{
    round_trip_connect();
    round_trip_connack();
    round_trip_publish();
    round_trip_acks();
    round_trip_subscribe();
    round_trip_suback();
    round_trip_disconnect_and_auth();
}

/* A CONNACK advertising AWS IoT Core's limits, properties in identifier order: Topic Alias
 * Maximum 8, Maximum QoS 1, Maximum Packet Size 131072, Subscription Identifier Available 0. */
Test(mqtt5, connack_with_aws_capabilities_bytes)
{
    static const uint8_t want[] = {0x20, 0x0F, 0x00, 0x00, 0x0C, 0x22, 0x00, 0x08, 0x24,
                                   0x01, 0x27, 0x00, 0x02, 0x00, 0x00, 0x29, 0x00};
    struct tq_mqtt5_connack in = {.reason = TQ_MQTT5_RC_SUCCESS};
    tq_mqtt5_connack_capabilities(&in.props, &tq_mqtt5_aws_limits);
    struct tq_buf b;
    tq_buf_init(&b, 64);
    cr_assert(tq_ok(tq_mqtt5_connack_write(&b, &in)));
    expect_bytes(&b, want, sizeof(want), "CONNACK");
    tq_buf_cleanup(&b);
}

/* ---- Malformed packets and protocol errors ---- */

struct bad_case {
    const char *name;
    uint8_t bytes[48];
    size_t len; /* the whole packet, fixed header included */
    tq_status_code want;
    const char *why; /* part of the diagnostic: the rule that was broken */
};

/* CONNECT header for level 5, clean start, keep-alive 0; the Property Length follows. */
#define CONNECT5(rl, flags) 0x10, rl, 0, 4, 'M', 'Q', 'T', 'T', 5, flags, 0, 0

static const struct bad_case bad_cases[] = {
    /* Properties (section 2.2.2). */
    {"truncated Property Length", {0xE0, 2, 0x00, 0x80}, 4, TQ_ERR_PARSE, "Property Length"},
    {"Property Length past the packet",
     {0xE0, 3, 0x00, 0x05, 0x11},
     5,
     TQ_ERR_PARSE,
     "Property Length"},
    {"truncated property value",
     {0xE0, 4, 0x00, 0x02, 0x11, 0x00},
     6,
     TQ_ERR_PARSE,
     "Session Expiry Interval (0x11) is truncated"},
    {"property not allowed: Topic Alias in DISCONNECT",
     {0xE0, 5, 0x00, 0x03, 0x23, 0x00, 0x01},
     7,
     TQ_ERR_PARSE,
     "property 0x23 (Topic Alias) is not allowed"},
    {"property not allowed: Will Delay in CONNECT",
     {CONNECT5(18, 2), 5, 0x18, 0, 0, 0, 1, 0, 0},
     20,
     TQ_ERR_PARSE,
     "property 0x18 (Will Delay Interval) is not allowed"},
    {"property not allowed: Session Expiry in Will Properties",
     {CONNECT5(19, 6), 0, 0, 0, 5, 0x11, 0, 0, 0, 1},
     21,
     TQ_ERR_PARSE,
     "CONNECT (Will Properties) packet: property 0x11 (Session Expiry Interval) is not allowed"},
    {"unknown property identifier 0x7F",
     {0xE0, 3, 0x00, 0x01, 0x7F},
     5,
     TQ_ERR_PARSE,
     "property 0x7f (unknown property) is not allowed"},
    {"property identifier in two bytes",
     {0xE0, 5, 0x00, 0x03, 0x9F, 0x00, 0x00},
     7,
     TQ_ERR_PARSE,
     "non-minimal property identifier"},
    {"duplicate Session Expiry Interval",
     {0xE0, 12, 0x00, 10, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2},
     14,
     TQ_ERR_PROTOCOL,
     "Session Expiry Interval (0x11) appears more than once"},
    {"duplicate Reason String",
     {0xE0, 8, 0x00, 6, 0x1F, 0, 0, 0x1F, 0, 0},
     10,
     TQ_ERR_PROTOCOL,
     "Reason String (0x1f) appears more than once"},
    {"two Subscription Identifiers in SUBSCRIBE",
     {0x82, 11, 0, 1, 4, 0x0B, 1, 0x0B, 2, 0, 1, 'a', 0},
     13,
     TQ_ERR_PROTOCOL,
     "Subscription Identifier (0x0b) appears more than once"},
    {"Subscription Identifier 0",
     {0x82, 9, 0, 1, 2, 0x0B, 0, 0, 1, 'a', 0},
     11,
     TQ_ERR_PROTOCOL,
     "Subscription Identifier (0x0b) has the value 0"},
    {"Payload Format Indicator 2",
     {0x30, 6, 0, 1, 'a', 2, 0x01, 2},
     8,
     TQ_ERR_PROTOCOL,
     "Payload Format Indicator (0x01) is neither 0 nor 1"},
    {"Topic Alias 0",
     {0x30, 7, 0, 1, 'a', 3, 0x23, 0, 0},
     9,
     TQ_ERR_PROTOCOL,
     "Topic Alias (0x23) has the value 0"},
    {"Response Topic with a wildcard",
     {0x30, 9, 0, 1, 'a', 5, 0x08, 0, 2, 'r', '#'},
     11,
     TQ_ERR_PROTOCOL,
     "Response Topic (0x08) contains a wildcard"},
    {"Receive Maximum 0",
     {CONNECT5(16, 2), 3, 0x21, 0, 0, 0, 0},
     18,
     TQ_ERR_PROTOCOL,
     "Receive Maximum (0x21) has the value 0"},
    {"Maximum Packet Size 0",
     {CONNECT5(18, 2), 5, 0x27, 0, 0, 0, 0, 0, 0},
     20,
     TQ_ERR_PROTOCOL,
     "Maximum Packet Size (0x27) has the value 0"},
    {"Request Problem Information 2",
     {CONNECT5(15, 2), 2, 0x17, 2, 0, 0},
     17,
     TQ_ERR_PROTOCOL,
     "Request Problem Information (0x17) is neither 0 nor 1"},
    {"Authentication Data without Method",
     {CONNECT5(16, 2), 3, 0x16, 0, 0, 0, 0},
     18,
     TQ_ERR_PROTOCOL,
     "Authentication Data without Authentication Method"},
    {"Maximum QoS 2 in CONNACK",
     {0x20, 5, 0, 0, 2, 0x24, 2},
     7,
     TQ_ERR_PROTOCOL,
     "Maximum QoS (0x24) is neither 0 nor 1"},
    /* UTF-8 (section 1.5.4): ill-formed, U+0000, a surrogate. */
    {"User Property name overlong NUL",
     {0xE0, 10, 0, 8, 0x26, 0, 2, 0xC0, 0x80, 0, 1, 'v'},
     12,
     TQ_ERR_PARSE,
     "User Property name is not valid UTF-8"},
    {"Reason String with U+0000",
     {0xE0, 7, 0, 5, 0x1F, 0, 2, 'a', 0},
     9,
     TQ_ERR_PARSE,
     "Reason String is not valid UTF-8"},
    {"Topic Name with a surrogate",
     {0x30, 6, 0, 3, 0xED, 0xA0, 0x80, 0},
     8,
     TQ_ERR_PARSE,
     "Topic Name is not valid UTF-8"},
    {"Client Identifier with a lone continuation byte",
     {CONNECT5(14, 2), 0, 0, 1, 0x80},
     16,
     TQ_ERR_PARSE,
     "Client Identifier is not valid UTF-8"},
    /* Reason codes (section 2.4). */
    {"PUBACK reason 0x8E (DISCONNECT only)",
     {0x40, 3, 0, 1, 0x8E},
     5,
     TQ_ERR_PARSE,
     "reason code not allowed"},
    {"PUBREL reason 0x10 (PUBACK only)",
     {0x62, 3, 0, 1, 0x10},
     5,
     TQ_ERR_PARSE,
     "reason code not allowed"},
    {"CONNACK reason 0x04 (DISCONNECT only)",
     {0x20, 3, 0, 0x04, 0},
     5,
     TQ_ERR_PARSE,
     "reason code not allowed"},
    {"CONNACK unknown reason 0x03",
     {0x20, 3, 0, 0x03, 0},
     5,
     TQ_ERR_PARSE,
     "reason code not allowed"},
    {"SUBACK code 0x11 (UNSUBACK only)",
     {0x90, 4, 0, 1, 0, 0x11},
     6,
     TQ_ERR_PARSE,
     "reason code not allowed"},
    {"UNSUBACK code 0x01 (SUBACK only)",
     {0xB0, 4, 0, 1, 0, 0x01},
     6,
     TQ_ERR_PARSE,
     "reason code not allowed"},
    {"DISCONNECT reason 0x18 (AUTH only)",
     {0xE0, 1, 0x18},
     3,
     TQ_ERR_PARSE,
     "reason code not allowed"},
    {"AUTH reason 0x8E", {0xF0, 2, 0x8E, 0}, 4, TQ_ERR_PARSE, "reason code not allowed"},
    /* Lengths and framing. */
    {"Remaining Length not minimal",
     {0xE0, 0x80, 0x00},
     3,
     TQ_ERR_PARSE,
     "Remaining Length not in the fewest bytes"},
    {"bytes after the CONNACK properties",
     {0x20, 4, 0, 0, 0, 0xFF},
     6,
     TQ_ERR_PARSE,
     "bytes after the properties"},
    {"CONNACK without Property Length", {0x20, 2, 0, 0}, 4, TQ_ERR_PARSE, "Property Length"},
    {"AUTH with a reason but no Property Length",
     {0xF0, 1, 0x18},
     3,
     TQ_ERR_PARSE,
     "reason code without Property Length"},
    {"PUBACK with one byte", {0x40, 1, 0}, 3, TQ_ERR_PARSE, "packet identifier"},
    {"SUBACK without codes", {0x90, 3, 0, 1, 0}, 5, TQ_ERR_PARSE, "no Reason Code"},
    /* Fixed-header flags and packet rules. */
    {"PUBREL flags 0000", {0x60, 2, 0, 1}, 4, TQ_ERR_PARSE, "reserved fixed-header flags"},
    {"DISCONNECT flags 0001", {0xE1, 0}, 2, TQ_ERR_PARSE, "reserved fixed-header flags"},
    {"CONNACK reserved acknowledge flags",
     {0x20, 3, 0x02, 0, 0},
     5,
     TQ_ERR_PARSE,
     "reserved acknowledge flags"},
    {"CONNACK Session Present with a failure",
     {0x20, 3, 0x01, 0x87, 0},
     5,
     TQ_ERR_PROTOCOL,
     "Session Present with a failure"},
    {"PUBLISH QoS 3", {0x36, 6, 0, 1, 'a', 0, 1, 0}, 8, TQ_ERR_PARSE, "QoS 3"},
    {"PUBLISH DUP on QoS 0",
     {0x38, 4, 0, 1, 'a', 0},
     6,
     TQ_ERR_PARSE,
     "DUP set on a QoS 0 message"},
    {"PUBLISH topic with a wildcard",
     {0x30, 4, 0, 1, '+', 0},
     6,
     TQ_ERR_PARSE,
     "wildcard in the Topic Name"},
    {"PUBLISH packet identifier 0",
     {0x32, 6, 0, 1, 'a', 0, 0, 0},
     8,
     TQ_ERR_PARSE,
     "zero packet identifier"},
    {"PUBLISH empty topic without Topic Alias",
     {0x30, 3, 0, 0, 0},
     5,
     TQ_ERR_PROTOCOL,
     "empty Topic Name without Topic Alias"},
    {"SUBSCRIBE reserved option bits",
     {0x82, 7, 0, 1, 0, 0, 1, 'a', 0x40},
     9,
     TQ_ERR_PARSE,
     "reserved subscription option bits"},
    {"SUBSCRIBE Maximum QoS 3",
     {0x82, 7, 0, 1, 0, 0, 1, 'a', 0x03},
     9,
     TQ_ERR_PROTOCOL,
     "Maximum QoS 3"},
    {"SUBSCRIBE Retain Handling 3",
     {0x82, 7, 0, 1, 0, 0, 1, 'a', 0x30},
     9,
     TQ_ERR_PROTOCOL,
     "Retain Handling 3"},
    {"SUBSCRIBE No Local on a shared subscription",
     {0x82, 16, 0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', 0x04},
     18,
     TQ_ERR_PROTOCOL,
     "No Local on a Shared Subscription"},
    {"SUBSCRIBE without filters", {0x82, 3, 0, 1, 0}, 5, TQ_ERR_PROTOCOL, "no Topic Filter"},
    {"SUBSCRIBE missing options",
     {0x82, 6, 0, 1, 0, 0, 1, 'a'},
     8,
     TQ_ERR_PARSE,
     "missing Subscription Options"},
    {"SUBSCRIBE filter a#",
     {0x82, 8, 0, 1, 0, 0, 2, 'a', '#', 0},
     10,
     TQ_ERR_PARSE,
     "invalid Topic Filter"},
    {"SUBSCRIBE shared filter without ShareName",
     {0x82, 15, 0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a', 0},
     17,
     TQ_ERR_PARSE,
     "invalid Topic Filter"},
    {"UNSUBSCRIBE flags 0000",
     {0xA0, 6, 0, 1, 0, 0, 1, 'a'},
     8,
     TQ_ERR_PARSE,
     "reserved fixed-header flags"},
    {"CONNECT protocol name MQTX",
     {0x10, 13, 0, 4, 'M', 'Q', 'T', 'X', 5, 2, 0, 0, 0, 0, 0},
     15,
     TQ_ERR_PARSE,
     "protocol name is not MQTT"},
    {"CONNECT protocol level 4",
     {0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 0},
     14,
     TQ_ERR_UNSUPPORTED,
     "protocol level 4"},
    {"CONNECT reserved flag",
     {CONNECT5(13, 3), 0, 0, 0},
     15,
     TQ_ERR_PARSE,
     "reserved connect flag"},
    {"CONNECT will QoS without will",
     {CONNECT5(13, 0x0A), 0, 0, 0},
     15,
     TQ_ERR_PARSE,
     "will QoS or retain without a will"},
    {"CONNECT will QoS 3", {CONNECT5(13, 0x1E), 0, 0, 0}, 15, TQ_ERR_PARSE, "will QoS 3"},
    {"CONNECT will topic empty",
     {CONNECT5(18, 6), 0, 0, 0, 0, 0, 0, 0, 0},
     20,
     TQ_ERR_PARSE,
     "Will Topic empty"},
    {"CONNECT truncated password",
     {CONNECT5(14, 0x42), 0, 0, 0, 0},
     16,
     TQ_ERR_PARSE,
     "truncated Password"},
    {"CONNECT bytes after the payload",
     {CONNECT5(14, 2), 0, 0, 0, 'x'},
     16,
     TQ_ERR_PARSE,
     "bytes after the payload"},
};

static tq_status read_any(struct tq_diag *diag, const struct tq_mqtt_frame *f)
{
    struct tq_mqtt5_connect connect;
    struct tq_mqtt5_connack connack;
    struct tq_mqtt5_publish publish;
    struct tq_mqtt5_ack ack;
    struct tq_mqtt5_subscribe sub;
    struct tq_mqtt5_suback suback;
    struct tq_mqtt5_disconnect disconnect;
    switch (f->type) {
    case TQ_MQTT_CONNECT:
        return tq_mqtt5_connect_read(diag, &connect, f);
    case TQ_MQTT_CONNACK:
        return tq_mqtt5_connack_read(diag, &connack, f);
    case TQ_MQTT_PUBLISH:
        return tq_mqtt5_publish_read(diag, &publish, f);
    case TQ_MQTT_PUBACK:
    case TQ_MQTT_PUBREC:
    case TQ_MQTT_PUBREL:
    case TQ_MQTT_PUBCOMP:
        return tq_mqtt5_ack_read(diag, &ack, f);
    case TQ_MQTT_SUBSCRIBE:
    case TQ_MQTT_UNSUBSCRIBE:
        return tq_mqtt5_subscribe_read(diag, &sub, f);
    case TQ_MQTT_SUBACK:
    case TQ_MQTT_UNSUBACK:
        return tq_mqtt5_suback_read(diag, &suback, f);
    default:
        return tq_mqtt5_disconnect_read(diag, &disconnect, f);
    }
}

Test(mqtt5, malformed_and_protocol_errors_table)
{
    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct tq_mqtt_frame f;
        bool complete = false;
        cr_assert(tq_ok(tq_mqtt_frame_parse(NULL, &f, &complete, c->bytes, c->len, 1024)),
                  "%s: frames", c->name);
        cr_assert(complete && f.frame_len == c->len, "%s: want one whole frame of %zu bytes",
                  c->name, c->len);
        struct tq_diag diag = {0};
        tq_status st = read_any(&diag, &f);
        cr_expect_eq(st.code, c->want, "%s: want %s, got %s", c->name, tq_status_name(c->want),
                     tq_status_name(st.code));
        cr_expect(diag.code == st.code && strstr(diag.msg, c->why) != NULL,
                  "%s: want a diagnostic with '%s', got '%s'", c->name, c->why, diag.msg);
    }
}

Test(mqtt5, diagnostics_name_the_packet_and_the_rule)
{
    static const uint8_t dup[] = {0xE0, 12, 0x00, 10, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2};
    struct tq_mqtt_frame f = frame_of(dup, sizeof(dup));
    struct tq_mqtt5_disconnect out;
    struct tq_diag diag = {0};
    cr_assert_eq(tq_mqtt5_disconnect_read(&diag, &out, &f).code, TQ_ERR_PROTOCOL);
    cr_expect_eq(diag.code, TQ_ERR_PROTOCOL);
    cr_expect(strstr(diag.msg, "DISCONNECT") && strstr(diag.msg, "Session Expiry Interval") &&
                  strstr(diag.msg, "more than once"),
              "got: %s", diag.msg);
    static const uint8_t alias[] = {0xE0, 5, 0x00, 0x03, 0x23, 0x00, 0x01};
    f = frame_of(alias, sizeof(alias));
    cr_assert_eq(tq_mqtt5_disconnect_read(&diag, &out, &f).code, TQ_ERR_PARSE);
    cr_expect(strstr(diag.msg, "Topic Alias") && strstr(diag.msg, "not allowed"), "got: %s",
              diag.msg);
}

Test(mqtt5, multiple_subscription_identifiers_in_publish_are_fine)
{
    static const uint8_t pkt[] = {0x30, 8, 0, 1, 'a', 4, 0x0B, 1, 0x0B, 2};
    struct tq_mqtt_frame f = frame_of(pkt, sizeof(pkt));
    struct tq_mqtt5_publish out;
    cr_assert(tq_ok(tq_mqtt5_publish_read(NULL, &out, &f)));
    cr_expect(out.props.num_subscription_ids == 2 && out.props.subscription_ids[1] == 2);
}

/* disconnect_with_user_props builds a DISCONNECT carrying `num` empty User Properties. */
static void disconnect_with_user_props(struct tq_buf *b, size_t num)
{
    size_t props_len = num * 5; /* 0x26, then two empty strings */
    size_t body_len = 1 + tq_mqtt5_vbi_size((uint32_t)props_len) + props_len;
    cr_assert(tq_ok(tq_buf_u8(b, 0xE0)) && tq_ok(tq_mqtt5_vbi_write(b, (uint32_t)body_len)));
    cr_assert(tq_ok(tq_buf_u8(b, 0)) && tq_ok(tq_mqtt5_vbi_write(b, (uint32_t)props_len)));
    for (size_t i = 0; i < num; i++)
        cr_assert(tq_ok(tq_buf_append(b, (const uint8_t[]){0x26, 0, 0, 0, 0}, 5)));
}

Test(mqtt5, capacities_are_limits)
{
    struct tq_buf b;
    tq_buf_init(&b, 1024);
    struct tq_mqtt5_disconnect out;
    disconnect_with_user_props(&b, TQ_MQTT5_MAX_USER_PROPS);
    struct tq_mqtt_frame f = frame_of(b.data, b.len);
    cr_expect(tq_ok(tq_mqtt5_disconnect_read(NULL, &out, &f)), "the capacity itself");
    cr_expect_eq(out.props.num_user_props, TQ_MQTT5_MAX_USER_PROPS);
    b.len = 0;
    disconnect_with_user_props(&b, TQ_MQTT5_MAX_USER_PROPS + 1);
    f = frame_of(b.data, b.len);
    cr_expect_eq(tq_mqtt5_disconnect_read(NULL, &out, &f).code, TQ_ERR_LIMIT);

    /* A SUBSCRIBE with TQ_MQTT5_MAX_FILTERS + 1 filters "a". */
    b.len = 0;
    size_t body_len = 3 + (TQ_MQTT5_MAX_FILTERS + 1) * 4;
    cr_assert(tq_ok(tq_buf_u8(&b, 0x82)) && tq_ok(tq_mqtt5_vbi_write(&b, (uint32_t)body_len)));
    cr_assert(tq_ok(tq_buf_append(&b, (const uint8_t[]){0, 1, 0}, 3)));
    for (size_t i = 0; i <= TQ_MQTT5_MAX_FILTERS; i++)
        cr_assert(tq_ok(tq_buf_append(&b, (const uint8_t[]){0, 1, 'a', 1}, 4)));
    f = frame_of(b.data, b.len);
    struct tq_mqtt5_subscribe sub;
    cr_expect_eq(tq_mqtt5_subscribe_read(NULL, &sub, &f).code, TQ_ERR_LIMIT);
    tq_buf_cleanup(&b);
}

/* ---- Writers refuse what a reader would refuse ---- */

Test(mqtt5, writers_refuse_invalid_properties_and_codes)
{
    struct tq_buf b;
    tq_buf_init(&b, 256);
    struct tq_mqtt5_disconnect d = {.reason = 0};
    d.props.present = BIT(TOPIC_ALIAS);
    d.props.topic_alias = 1;
    cr_expect_eq(tq_mqtt5_disconnect_write(&b, TQ_MQTT_DISCONNECT, &d).code, TQ_ERR_USAGE,
                 "Topic Alias is not a DISCONNECT property");
    struct tq_mqtt5_connect c = {.client_id = STR("x")};
    c.props.present = BIT(RECEIVE_MAXIMUM); /* value 0 */
    cr_expect_eq(tq_mqtt5_connect_write(&b, &c).code, TQ_ERR_USAGE, "Receive Maximum 0");
    c.props.present = BIT(AUTH_DATA);
    cr_expect_eq(tq_mqtt5_connect_write(&b, &c).code, TQ_ERR_USAGE, "Data without Method");
    c.props.present = 0, c.has_will = true, c.will_topic = STR("dt/#");
    cr_expect_eq(tq_mqtt5_connect_write(&b, &c).code, TQ_ERR_USAGE, "will topic with #");
    static const char nul_id[] = {'a', 0, 'b'};
    c.has_will = false, c.client_id = (struct tq_mqtt_str){(const uint8_t *)nul_id, 3};
    cr_expect_eq(tq_mqtt5_connect_write(&b, &c).code, TQ_ERR_USAGE, "client ID with U+0000");
    struct tq_mqtt5_ack a = {.packet_id = 1, .reason = TQ_MQTT5_RC_SESSION_TAKEN_OVER};
    cr_expect_eq(tq_mqtt5_ack_write(&b, TQ_MQTT_PUBACK, &a).code, TQ_ERR_USAGE);
    struct tq_mqtt5_connack ack = {.session_present = true, .reason = TQ_MQTT5_RC_BANNED};
    cr_expect_eq(tq_mqtt5_connack_write(&b, &ack).code, TQ_ERR_USAGE);
    struct tq_mqtt5_subscribe s = {.packet_id = 1, .num_filters = 1};
    s.subs[0] = (struct tq_mqtt5_subscription){.filter = STR("$share/g/a"), .no_local = true};
    cr_expect_eq(tq_mqtt5_subscribe_write(&b, TQ_MQTT_SUBSCRIBE, &s).code, TQ_ERR_USAGE);
    s.props.num_subscription_ids = 2, s.props.subscription_ids[0] = 1;
    s.props.subscription_ids[1] = 2, s.subs[0].no_local = false;
    cr_expect_eq(tq_mqtt5_subscribe_write(&b, TQ_MQTT_SUBSCRIBE, &s).code, TQ_ERR_USAGE,
                 "two Subscription Identifiers in SUBSCRIBE");
    struct tq_mqtt5_publish p = {.topic = STR("")};
    cr_expect_eq(tq_mqtt5_publish_write(&b, &p).code, TQ_ERR_USAGE, "no topic, no alias");
    cr_expect_eq(b.len, 0, "nothing appended by a refused write");
    tq_buf_cleanup(&b);
}

/* ---- Reason codes and property names ---- */

Test(mqtt5, reason_names_and_packets)
{
    cr_expect_str_eq(tq_mqtt5_reason_name(TQ_MQTT_DISCONNECT, 0x8E), "Session taken over");
    cr_expect_str_eq(tq_mqtt5_reason_name(TQ_MQTT_DISCONNECT, 0x00), "Normal disconnection");
    cr_expect_str_eq(tq_mqtt5_reason_name(TQ_MQTT_SUBACK, 0x00), "Granted QoS 0");
    cr_expect_str_eq(tq_mqtt5_reason_name(TQ_MQTT_CONNACK, 0x00), "Success");
    cr_expect_str_eq(tq_mqtt5_reason_name(TQ_MQTT_CONNACK, 0x87), "Not authorized");
    cr_expect_str_eq(tq_mqtt5_reason_name(TQ_MQTT_CONNACK, 0x9F), "Connection rate exceeded");
    cr_expect_str_eq(tq_mqtt5_reason_name(TQ_MQTT_CONNACK, 0x05), "Unknown reason code");
    static const struct {
        uint8_t type, code;
        bool allowed;
    } cases[] = {
        {TQ_MQTT_CONNACK, 0x85, true},    {TQ_MQTT_CONNACK, 0x8E, false},
        {TQ_MQTT_DISCONNECT, 0x8E, true}, {TQ_MQTT_DISCONNECT, 0x04, true},
        {TQ_MQTT_PUBACK, 0x10, true},     {TQ_MQTT_PUBACK, 0x92, false},
        {TQ_MQTT_PUBREL, 0x92, true},     {TQ_MQTT_PUBCOMP, 0x80, false},
        {TQ_MQTT_SUBACK, 0x02, true},     {TQ_MQTT_SUBACK, 0x9E, true},
        {TQ_MQTT_UNSUBACK, 0x11, true},   {TQ_MQTT_UNSUBACK, 0x97, false},
        {TQ_MQTT5_AUTH, 0x19, true},      {TQ_MQTT5_AUTH, 0x87, false},
        {TQ_MQTT_PUBLISH, 0x00, false},   {TQ_MQTT_CONNACK, 0xA3, false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        cr_expect_eq(tq_mqtt5_reason_allowed(cases[i].type, cases[i].code), cases[i].allowed,
                     "0x%02x in %s", cases[i].code, tq_mqtt5_type_name(cases[i].type));
    cr_expect_str_eq(tq_mqtt5_prop_name(0x11), "Session Expiry Interval");
    cr_expect_str_eq(tq_mqtt5_prop_name(0x04), "unknown property");
    cr_expect(tq_mqtt5_prop_allowed(TQ_MQTT5_WILL, 0x18) &&
              !tq_mqtt5_prop_allowed(TQ_MQTT_PUBLISH, 0x18));
    cr_expect_str_eq(tq_mqtt5_type_name(TQ_MQTT5_AUTH), "AUTH");
}

/* ---- Topic filters: section 4.8.2 ---- */

Test(mqtt5, shared_subscription_filters)
{
    struct tq_mqtt_str share, inner;
    cr_assert(tq_mqtt5_filter_shared(STR("$share/consumer1/sport/tennis/+"), &share, &inner));
    cr_expect(str_is(share, "consumer1") && str_is(inner, "sport/tennis/+"));
    cr_assert(tq_mqtt5_filter_shared(STR("$share/consumer1//finance"), &share, &inner));
    cr_expect(str_is(inner, "/finance"));
    static const struct {
        const char *filter;
        bool valid;
    } cases[] = {
        {"$share/consumer1/sport/tennis/+", true},
        {"$share/g/#", true},
        {"$share/consumer1//finance", true},
        {"$share/g", false},
        {"$share//a", false},
        {"$share/g+/a", false},
        {"$share/g#/a", false},
        {"$share/g/", false},
        {"$share/g/a#", false},
        {"$sharex/a", true},
        {"sport/tennis/#", true},
        {"sport/tennis#", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        cr_expect_eq(tq_mqtt5_filter_valid(tq_mqtt_str_of(cases[i].filter)), cases[i].valid, "'%s'",
                     cases[i].filter);
}

/* ---- Policy checks with AWS IoT Core's limits (docs/aws-iot/mqtt.md) ---- */

Test(mqtt5, aws_limits_connect_and_publish)
{
    const struct tq_mqtt5_limits *aws = &tq_mqtt5_aws_limits;
    static const char id129[] = "0123456789012345678901234567890123456789012345678901234567890123"
                                "45678901234567890123456789012345678901234567890123456789012345678";
    struct tq_mqtt5_connect c = {.client_id = {(const uint8_t *)id129, 128}};
    cr_expect_eq(tq_mqtt5_connect_check(aws, &c), 0x00, "128-byte client ID");
    c.client_id.len = 129;
    cr_expect_eq(tq_mqtt5_connect_check(aws, &c), 0x85, "129-byte client ID");
    c.client_id.len = 1;
    c.props.present = BIT(AUTH_METHOD);
    cr_expect_eq(tq_mqtt5_connect_check(aws, &c), 0x8C, "no enhanced authentication");
    c.props.present = 0, c.has_will = true, c.will_topic = STR("a"), c.will_qos = 2;
    cr_expect_eq(tq_mqtt5_connect_check(aws, &c), 0x9B, "will QoS 2");

    struct tq_mqtt5_publish p = {.qos = 1, .topic = STR("a/b/c/d/e/f/g/h")};
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x00, "7 slashes");
    p.topic = STR("a/b/c/d/e/f/g/h/i");
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x90, "8 slashes");
    p.topic = STR("$aws/rules/my_rule/a/b/c/d/e/f/g/h");
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x00, "rules prefix not counted");
    char long_topic[258];
    memset(long_topic, 'x', sizeof(long_topic));
    p.topic = (struct tq_mqtt_str){(const uint8_t *)long_topic, 256};
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x00, "256-byte topic");
    p.topic.len = 257;
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x90, "257-byte topic");
    p.topic = STR("a"), p.qos = 2;
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x9B, "QoS 2");
    p.qos = 0, p.props.present = BIT(TOPIC_ALIAS), p.props.topic_alias = 9;
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x94, "Topic Alias above 8");
    p.props.topic_alias = 8;
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x00, "Topic Alias 8");
    p.props.num_subscription_ids = 1, p.props.subscription_ids[0] = 1;
    cr_expect_eq(tq_mqtt5_publish_check(aws, &p), 0x82, "Subscription Identifier from a client");
}

Test(mqtt5, aws_limits_subscribe)
{
    struct tq_mqtt5_subscribe s = {.packet_id = 1, .num_filters = 10};
    for (size_t i = 0; i < 10; i++)
        s.subs[i] = (struct tq_mqtt5_subscription){.filter = STR("a/+"), .qos = 2};
    s.subs[1].filter = STR("a/b/c/d/e/f/g/h/#");
    s.subs[2].filter = STR("$share/g/a/b/c/d/e/f/g/h");
    s.subs[3].qos = 0;
    uint8_t codes[TQ_MQTT5_MAX_FILTERS];
    cr_expect_eq(tq_mqtt5_subscribe_check(&tq_mqtt5_aws_limits, TQ_MQTT_SUBSCRIBE, &s, codes),
                 0x00);
    static const uint8_t want[10] = {0x01, 0x8F, 0x01, 0x00, 0x01, 0x01, 0x01, 0x01, 0x97, 0x97};
    for (size_t i = 0; i < 10; i++)
        cr_expect_eq(codes[i], want[i], "filter %zu: want 0x%02x, got 0x%02x", i, want[i],
                     codes[i]);
    cr_expect_eq(tq_mqtt5_subscribe_check(&tq_mqtt5_aws_limits, TQ_MQTT_UNSUBSCRIBE, &s, codes),
                 0x00);
    cr_expect(codes[0] == 0x00 && codes[1] == 0x8F && codes[9] == 0x83,
              "UNSUBACK cannot carry 0x97 Quota exceeded");
    for (size_t i = 0; i < 10; i++)
        cr_expect(tq_mqtt5_reason_allowed(TQ_MQTT_UNSUBACK, codes[i]), "UNSUBACK code %zu", i);
    s.props.num_subscription_ids = 1, s.props.subscription_ids[0] = 5;
    cr_expect_eq(tq_mqtt5_subscribe_check(&tq_mqtt5_aws_limits, TQ_MQTT_SUBSCRIBE, &s, codes), 0xA1,
                 "Subscription Identifiers not supported");
    struct tq_mqtt5_limits no_shared = tq_mqtt5_aws_limits;
    no_shared.shared_sub_available = false, no_shared.wildcard_sub_available = false;
    s.props.num_subscription_ids = 0;
    s.subs[2].filter = STR("$share/g/a");
    cr_expect_eq(tq_mqtt5_subscribe_check(&no_shared, TQ_MQTT_SUBSCRIBE, &s, codes), 0x00);
    cr_expect(codes[0] == 0xA2 && codes[2] == 0x9E);
}
