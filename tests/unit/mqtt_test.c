/* Tests for common/mqtt*.c: round trips, malformed frames, topic filters and matching. */
#include <criterion/criterion.h>
#include <string.h>

#include "mqtt.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct tq_mqtt_frame frame_of(const struct tq_buf *b)
{
    struct tq_mqtt_frame f;
    bool complete = false;
    cr_assert(tq_ok(tq_mqtt_frame_parse(NULL, &f, &complete, b->data, b->len, 1 << 20)));
    cr_assert(complete, "an encoded packet must frame completely");
    cr_assert_eq(f.frame_len, b->len);
    return f;
}

static bool str_eq(struct tq_mqtt_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

Test(mqtt, connect_round_trip)
{
    struct tq_buf b;
    tq_buf_init(&b, 1024);
    struct tq_mqtt_connect in = {.clean_session = true,
                                 .keep_alive = 60,
                                 .client_id = tq_mqtt_str_of("dev-1"),
                                 .has_will = true,
                                 .will_qos = 1,
                                 .will_topic = tq_mqtt_str_of("w/t"),
                                 .will_message = tq_mqtt_str_of("bye"),
                                 .has_username = true,
                                 .username = tq_mqtt_str_of("u"),
                                 .has_password = true,
                                 .password = tq_mqtt_str_of("p")};
    cr_assert(tq_ok(tq_mqtt_connect_write(&b, &in)));
    struct tq_mqtt_frame f = frame_of(&b);
    struct tq_mqtt_connect out;
    cr_assert(tq_ok(tq_mqtt_connect_read(NULL, &out, &f)));
    cr_expect(str_eq(out.protocol_name, "MQTT"));
    cr_expect_eq(out.protocol_level, 4);
    cr_expect(out.clean_session);
    cr_expect_eq(out.keep_alive, 60);
    cr_expect(str_eq(out.client_id, "dev-1"));
    cr_expect(out.has_will && out.will_qos == 1 && str_eq(out.will_topic, "w/t"));
    cr_expect(str_eq(out.will_message, "bye") && str_eq(out.username, "u"));
    cr_expect(str_eq(out.password, "p"));
    tq_buf_cleanup(&b);
}

Test(mqtt, connect_level_5_is_read_not_rejected)
{
    /* CONNECT, "MQTT", level 5, flags 2, keep-alive 10, then MQTT 5 properties. */
    static const uint8_t pkt[] = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 10, 0, 0, 0};
    struct tq_mqtt_frame f;
    bool complete;
    cr_assert(tq_ok(tq_mqtt_frame_parse(NULL, &f, &complete, pkt, sizeof(pkt), 1024)));
    struct tq_mqtt_connect out;
    cr_assert(tq_ok(tq_mqtt_connect_read(NULL, &out, &f)));
    cr_expect_eq(out.protocol_level, 5);
}

Test(mqtt, connack_round_trip)
{
    struct tq_buf b;
    tq_buf_init(&b, 16);
    struct tq_mqtt_connack in = {.session_present = true, .return_code = 5};
    cr_assert(tq_ok(tq_mqtt_connack_write(&b, &in)));
    struct tq_mqtt_frame f = frame_of(&b);
    struct tq_mqtt_connack out;
    cr_assert(tq_ok(tq_mqtt_connack_read(NULL, &out, &f)));
    cr_expect(out.session_present);
    cr_expect_eq(out.return_code, 5);
    tq_buf_cleanup(&b);
}

Test(mqtt, publish_round_trip_qos0_and_qos1)
{
    for (uint8_t qos = 0; qos <= 1; qos++) {
        struct tq_buf b;
        tq_buf_init(&b, 1024);
        struct tq_mqtt_publish in = {.qos = qos,
                                     .retain = true,
                                     .topic = tq_mqtt_str_of("a/b"),
                                     .packet_id = qos ? 7 : 0,
                                     .payload = (const uint8_t *)"hi",
                                     .payload_len = 2};
        cr_assert(tq_ok(tq_mqtt_publish_write(&b, &in)));
        struct tq_mqtt_frame f = frame_of(&b);
        struct tq_mqtt_publish out;
        cr_assert(tq_ok(tq_mqtt_publish_read(NULL, &out, &f)), "qos %u", qos);
        cr_expect_eq(out.qos, qos);
        cr_expect(out.retain);
        cr_expect(str_eq(out.topic, "a/b"));
        cr_expect_eq(out.packet_id, qos ? 7 : 0);
        cr_expect(out.payload_len == 2 && memcmp(out.payload, "hi", 2) == 0);
        tq_buf_cleanup(&b);
    }
}

Test(mqtt, subscribe_suback_unsubscribe_round_trip)
{
    struct tq_buf b;
    tq_buf_init(&b, 1024);
    struct tq_mqtt_subscribe in = {.packet_id = 3,
                                   .num_filters = 2,
                                   .filters = {tq_mqtt_str_of("a/+"), tq_mqtt_str_of("#")},
                                   .qos = {1, 2}};
    cr_assert(tq_ok(tq_mqtt_subscribe_write(&b, TQ_MQTT_SUBSCRIBE, &in)));
    struct tq_mqtt_frame f = frame_of(&b);
    struct tq_mqtt_subscribe out;
    cr_assert(tq_ok(tq_mqtt_subscribe_read(NULL, &out, &f)));
    cr_expect(out.packet_id == 3 && out.num_filters == 2);
    cr_expect(str_eq(out.filters[1], "#") && out.qos[0] == 1 && out.qos[1] == 2);
    b.len = 0;
    cr_assert(tq_ok(tq_mqtt_subscribe_write(&b, TQ_MQTT_UNSUBSCRIBE, &in)));
    f = frame_of(&b);
    cr_assert(tq_ok(tq_mqtt_subscribe_read(NULL, &out, &f)));
    cr_expect(f.type == TQ_MQTT_UNSUBSCRIBE && out.num_filters == 2);
    b.len = 0;
    struct tq_mqtt_suback ack = {.packet_id = 3, .num_codes = 2, .codes = {1, 0x80}};
    cr_assert(tq_ok(tq_mqtt_suback_write(&b, &ack)));
    f = frame_of(&b);
    struct tq_mqtt_suback ack_out;
    cr_assert(tq_ok(tq_mqtt_suback_read(NULL, &ack_out, &f)));
    cr_expect(ack_out.num_codes == 2 && ack_out.codes[1] == 0x80);
    tq_buf_cleanup(&b);
}

Test(mqtt, packet_id_and_empty_packets)
{
    struct tq_buf b;
    tq_buf_init(&b, 16);
    cr_assert(tq_ok(tq_mqtt_packet_id_write(&b, TQ_MQTT_PUBACK, 0x1234)));
    static const uint8_t puback[] = {0x40, 2, 0x12, 0x34};
    cr_expect(b.len == sizeof(puback) && memcmp(b.data, puback, b.len) == 0);
    struct tq_mqtt_frame f = frame_of(&b);
    uint16_t id = 0;
    cr_assert(tq_ok(tq_mqtt_packet_id_read(NULL, &id, &f)));
    cr_expect_eq(id, 0x1234);
    b.len = 0;
    cr_assert(tq_ok(tq_mqtt_empty_write(&b, TQ_MQTT_PINGRESP)));
    cr_expect(b.len == 2 && b.data[0] == 0xd0 && b.data[1] == 0);
    tq_buf_cleanup(&b);
}

struct frame_case {
    const char *name;
    uint8_t bytes[8];
    size_t len;
    size_t max;
    tq_status_code want;
    bool complete;
};

static const struct frame_case frame_cases[] = {
    {.name = "one byte is incomplete", .bytes = {0x30}, .len = 1, .max = 100, .want = TQ_OK},
    {.name = "truncated length", .bytes = {0x30, 0x80}, .len = 2, .max = 100, .want = TQ_OK},
    {.name = "truncated body", .bytes = {0x30, 5, 0, 1}, .len = 4, .max = 100, .want = TQ_OK},
    {.name = "5-byte remaining length",
     .bytes = {0x30, 0x80, 0x80, 0x80, 0x80, 0x01},
     .len = 6,
     .max = 1u << 30,
     .want = TQ_ERR_PARSE},
    {.name = "over the limit as soon as known",
     .bytes = {0x30, 0x80, 0x80, 0x08},
     .len = 4,
     .max = 128 * 1024,
     .want = TQ_ERR_LIMIT},
    {.name = "pingreq is complete",
     .bytes = {0xc0, 0},
     .len = 2,
     .max = 100,
     .want = TQ_OK,
     .complete = true},
};

Test(mqtt, frame_parse_table)
{
    for (size_t i = 0; i < ARRAY_LEN(frame_cases); i++) {
        const struct frame_case *c = &frame_cases[i];
        struct tq_mqtt_frame f;
        bool complete = true;
        tq_status st = tq_mqtt_frame_parse(NULL, &f, &complete, c->bytes, c->len, c->max);
        cr_expect_eq(st.code, c->want, "%s: want %s, got %s", c->name, tq_status_name(c->want),
                     tq_status_name(st.code));
        if (c->want == TQ_OK)
            cr_expect_eq(complete, c->complete, "%s: completeness", c->name);
    }
}

struct body_case {
    const char *name;
    uint8_t first; /* type and flags */
    uint8_t body[24];
    size_t len;
};

static const struct body_case malformed_cases[] = {
    {.name = "publish QoS 3", .first = 0x36, .body = {0, 1, 'a', 0, 1}, .len = 5},
    {.name = "publish topic with +", .first = 0x30, .body = {0, 3, 'a', '/', '+'}, .len = 5},
    {.name = "publish topic with #", .first = 0x30, .body = {0, 1, '#'}, .len = 3},
    {.name = "publish empty topic", .first = 0x30, .body = {0, 0}, .len = 2},
    {.name = "publish truncated topic", .first = 0x30, .body = {0, 5, 'a'}, .len = 3},
    {.name = "publish QoS 1 packet id 0", .first = 0x32, .body = {0, 1, 'a', 0, 0}, .len = 5},
    {.name = "subscribe without filters", .first = 0x82, .body = {0, 1}, .len = 2},
    {.name = "subscribe bad flags", .first = 0x80, .body = {0, 1, 0, 1, 'a', 0}, .len = 6},
    {.name = "subscribe QoS 3", .first = 0x82, .body = {0, 1, 0, 1, 'a', 3}, .len = 6},
    {.name = "subscribe bad filter a#", .first = 0x82, .body = {0, 1, 0, 2, 'a', '#', 0}, .len = 7},
    {.name = "connect truncated header", .first = 0x10, .body = {0, 4, 'M', 'Q'}, .len = 4},
    {.name = "connect reserved flag",
     .first = 0x10,
     .body = {0, 4, 'M', 'Q', 'T', 'T', 4, 1, 0, 0, 0, 0},
     .len = 12},
    {.name = "connect password without user",
     .first = 0x10,
     .body = {0, 4, 'M', 'Q', 'T', 'T', 4, 0x42, 0, 0, 0, 0, 0, 0},
     .len = 14},
    {.name = "connect level 4 named MQTX",
     .first = 0x10,
     .body = {0, 4, 'M', 'Q', 'T', 'X', 4, 2, 0, 60, 0, 0},
     .len = 12},
    {.name = "publish DUP with QoS 0", .first = 0x38, .body = {0, 1, 'a'}, .len = 3},
    {.name = "connect will topic with #",
     .first = 0x10,
     .body = {0, 4, 'M', 'Q', 'T', 'T', 4, 0x04, 0, 0, 0, 0, 0, 1, '#', 0, 0},
     .len = 17},
    {.name = "connack flags set", .first = 0x21, .body = {0, 0}, .len = 2},
    {.name = "puback packet id 0", .first = 0x40, .body = {0, 0}, .len = 2},
    {.name = "puback flags set", .first = 0x41, .body = {0, 1}, .len = 2},
    {.name = "suback bad code", .first = 0x90, .body = {0, 1, 3}, .len = 3},
    {.name = "suback flags set", .first = 0x92, .body = {0, 1, 0}, .len = 3},
};

static tq_status read_any(const struct tq_mqtt_frame *f)
{
    struct tq_mqtt_publish p;
    struct tq_mqtt_subscribe s;
    struct tq_mqtt_connect c;
    struct tq_mqtt_connack ack;
    struct tq_mqtt_suback suback;
    uint16_t id;
    switch (f->type) {
    case TQ_MQTT_PUBLISH:
        return tq_mqtt_publish_read(NULL, &p, f);
    case TQ_MQTT_CONNECT:
        return tq_mqtt_connect_read(NULL, &c, f);
    case TQ_MQTT_CONNACK:
        return tq_mqtt_connack_read(NULL, &ack, f);
    case TQ_MQTT_PUBACK:
        return tq_mqtt_packet_id_read(NULL, &id, f);
    case TQ_MQTT_SUBACK:
        return tq_mqtt_suback_read(NULL, &suback, f);
    default:
        return tq_mqtt_subscribe_read(NULL, &s, f);
    }
}

Test(mqtt, malformed_packets_are_parse_errors)
{
    for (size_t i = 0; i < ARRAY_LEN(malformed_cases); i++) {
        const struct body_case *c = &malformed_cases[i];
        struct tq_mqtt_frame f = {.type = c->first >> 4,
                                  .flags = c->first & 0x0f,
                                  .body = c->body,
                                  .body_len = c->len,
                                  .frame_len = c->len + 2};
        tq_status st = read_any(&f);
        cr_expect_eq(st.code, TQ_ERR_PARSE, "%s: want TQ_ERR_PARSE, got %s", c->name,
                     tq_status_name(st.code));
    }
}

static const struct {
    const char *filter;
    bool valid;
} filter_cases[] = {
    {"a/b", true}, {"+", true},     {"#", true},    {"a/+/c", true}, {"a/#", true},
    {"+/+", true}, {"/", true},     {"", false},    {"a#", false},   {"a/#/b", false},
    {"a+", false}, {"a/b+", false}, {"#/a", false},
};

Test(mqtt, topic_filter_validity_table)
{
    for (size_t i = 0; i < ARRAY_LEN(filter_cases); i++)
        cr_expect_eq(tq_mqtt_topic_filter_valid(tq_mqtt_str_of(filter_cases[i].filter)),
                     filter_cases[i].valid, "filter '%s'", filter_cases[i].filter);
}

/* MQTT 3.1.1 section 4.7 and its non-normative examples. */
static const struct {
    const char *filter;
    const char *topic;
    bool match;
} match_cases[] = {
    {"a/b", "a/b", true},
    {"a/b", "a/c", false},
    {"a/b", "a/b/c", false},
    {"a/+", "a/b", true},
    {"a/+", "a/b/c", false},
    {"a/+", "a/", true},
    {"+/+", "/finance", true},
    {"/+", "/finance", true},
    {"+", "/finance", false},
    {"a/#", "a", true},
    {"a/#", "a/b/c", true},
    {"a/#", "ab", false},
    {"#", "a/b", true},
    {"#", "$SYS/x", false},
    {"+/x", "$SYS/x", false},
    {"$SYS/#", "$SYS/x", true},
    {"sport/+/player1", "sport/tennis/player1", true},
    {"a/+/c", "a//c", true},
    {"a/b/#", "a/b", true},
    {"a", "a/b", false},
};

Test(mqtt, topic_matching_table)
{
    for (size_t i = 0; i < ARRAY_LEN(match_cases); i++)
        cr_expect_eq(tq_mqtt_topic_matches(tq_mqtt_str_of(match_cases[i].filter),
                                           tq_mqtt_str_of(match_cases[i].topic)),
                     match_cases[i].match, "filter '%s' topic '%s'", match_cases[i].filter,
                     match_cases[i].topic);
}
