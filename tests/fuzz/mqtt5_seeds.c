/* mqtt5_seeds DIR: writes the seed corpus of mqtt5_fuzz into DIR, one file per packet stream,
 * encoded by the writers of common/mqtt5.h: an MQTT 5 session as AWS IoT Core would see it from
 * either side (CONNECT with Will, SUBSCRIBE with options, PUBLISH with properties, acks with
 * reason codes, DISCONNECT), every packet type alone with every property it allows, and a few
 * packets as raw bytes: the specification's Figure 3-6 CONNECT and near misses of the reader's
 * rules (a duplicate property, a property in the wrong packet) for the fuzzer to start from.
 * Run by hand after a writer changes:
 *     build/fuzz/tests/fuzz/mqtt5_seeds tests/fuzz/corpus/mqtt5 */
#include <stdio.h>
#include <string.h>

#include "mqtt5.h"
#include "mqtt_fuzz_common.h"

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!tq_ok(expr)) {                                                                        \
            fprintf(stderr, "mqtt5_seeds: %s failed\n", #expr);                                    \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

#define STR(s) ((struct tq_mqtt_str){.p = (const uint8_t *)(s), .len = sizeof(s) - 1})
#define BIT(id) TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_##id)

static void user_props(struct tq_mqtt5_props *p)
{
    p->num_user_props = 2;
    p->user_props[0] = (struct tq_mqtt5_user_prop){STR("sdk"), STR("tlsqual")};
    p->user_props[1] = (struct tq_mqtt5_user_prop){STR("A\xF0\xAA\x9B\x94"), STR("")};
}

static struct tq_mqtt5_connect device_connect(void)
{
    struct tq_mqtt5_connect c = {.clean_start = true,
                                 .keep_alive = 60,
                                 .client_id = STR("device-rsa-2048"),
                                 .has_will = true,
                                 .will_qos = 1,
                                 .will_topic = STR("dt/device-rsa-2048/lwt"),
                                 .will_payload = STR("offline"),
                                 .has_username = true,
                                 .username = STR("?SDK=tlsqual&Version=0.1.0"),
                                 .has_password = true,
                                 .password = STR("\x00\x01\xfe\xff")};
    c.props.present = BIT(SESSION_EXPIRY) | BIT(RECEIVE_MAXIMUM) | BIT(MAXIMUM_PACKET_SIZE) |
                      BIT(TOPIC_ALIAS_MAXIMUM) | BIT(REQUEST_RESPONSE_INFO) |
                      BIT(REQUEST_PROBLEM_INFO);
    c.props.session_expiry = 3600, c.props.receive_maximum = 10;
    c.props.maximum_packet_size = 131072, c.props.topic_alias_maximum = 8;
    c.props.request_response_info = 1, c.props.request_problem_info = 1;
    user_props(&c.props);
    c.will_props.present = BIT(WILL_DELAY) | BIT(PAYLOAD_FORMAT) | BIT(MESSAGE_EXPIRY) |
                           BIT(CONTENT_TYPE) | BIT(RESPONSE_TOPIC) | BIT(CORRELATION_DATA);
    c.will_props.will_delay = 5, c.will_props.payload_format = 1;
    c.will_props.message_expiry = 600, c.will_props.content_type = STR("text/plain");
    c.will_props.response_topic = STR("dt/reply"), c.will_props.correlation_data = STR("\x01");
    return c;
}

static struct tq_mqtt5_subscribe subscription(void)
{
    struct tq_mqtt5_subscribe s = {.packet_id = 1, .num_filters = 3};
    s.props.num_subscription_ids = 1, s.props.subscription_ids[0] = 200;
    s.subs[0] = (struct tq_mqtt5_subscription){
        .filter = STR("tlsqual/test/+/status"), .qos = 1, .no_local = true, .retain_handling = 2};
    s.subs[1] = (struct tq_mqtt5_subscription){
        .filter = STR("$share/grp/sensors/#"), .qos = 0, .retain_as_published = true};
    s.subs[2] = (struct tq_mqtt5_subscription){
        .filter = STR("$aws/things/device-rsa-2048/shadow/#"), .qos = 1, .retain_handling = 1};
    return s;
}

/* client_stream: what a device sends in an MQTT 5 session. */
static int client_stream(const char *dir)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 16);
    struct tq_mqtt5_connect c = device_connect();
    struct tq_mqtt5_subscribe sub = subscription();
    struct tq_mqtt5_publish pub0 = {.topic = STR("tlsqual/test/a/status"),
                                    .payload = (const uint8_t *)"hello",
                                    .payload_len = 5};
    pub0.props.present = BIT(TOPIC_ALIAS), pub0.props.topic_alias = 1;
    struct tq_mqtt5_publish pub1 = {.qos = 1,
                                    .packet_id = 2,
                                    .payload = (const uint8_t *)"{}",
                                    .payload_len = 2}; /* the alias alone, empty topic */
    pub1.props.present = BIT(TOPIC_ALIAS) | BIT(PAYLOAD_FORMAT) | BIT(CONTENT_TYPE);
    pub1.props.topic_alias = 1, pub1.props.payload_format = 1;
    pub1.props.content_type = STR("application/json");
    struct tq_mqtt5_ack puback = {.packet_id = 7};
    struct tq_mqtt5_disconnect bye = {.reason = TQ_MQTT5_RC_DISCONNECT_WITH_WILL};
    bye.props.present = BIT(SESSION_EXPIRY) | BIT(REASON_STRING);
    bye.props.session_expiry = 0, bye.props.reason_string = STR("done");
    CHECK(tq_mqtt5_connect_write(&b, &c));
    CHECK(tq_mqtt5_subscribe_write(&b, TQ_MQTT_SUBSCRIBE, &sub));
    CHECK(tq_mqtt5_publish_write(&b, &pub0));
    CHECK(tq_mqtt5_publish_write(&b, &pub1));
    CHECK(tq_mqtt5_ack_write(&b, TQ_MQTT_PUBACK, &puback));
    CHECK(tq_mqtt_empty_write(&b, TQ_MQTT_PINGREQ));
    sub.props.num_subscription_ids = 0;
    CHECK(tq_mqtt5_subscribe_write(&b, TQ_MQTT_UNSUBSCRIBE, &sub));
    CHECK(tq_mqtt5_disconnect_write(&b, TQ_MQTT_DISCONNECT, &bye));
    return tq_fuzz_save_seed(dir, "client-session", &b);
}

/* broker_stream: what AWS IoT Core (tq_mqtt5_aws_limits) answers in the same session. */
static int broker_stream(const char *dir)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 16);
    struct tq_mqtt5_connack ack = {.reason = TQ_MQTT5_RC_SUCCESS};
    tq_mqtt5_connack_capabilities(&ack.props, &tq_mqtt5_aws_limits);
    ack.props.present |= BIT(SERVER_KEEP_ALIVE) | BIT(ASSIGNED_CLIENT_ID);
    ack.props.server_keep_alive = 1200, ack.props.assigned_client_id = STR("auto-7f3a");
    struct tq_mqtt5_suback suback = {.packet_id = 1, .num_codes = 3, .codes = {1, 0x9E, 0x87}};
    struct tq_mqtt5_publish echo = {.qos = 1,
                                    .packet_id = 7,
                                    .topic = STR("tlsqual/test/a/st"),
                                    .payload = (const uint8_t *)"hello",
                                    .payload_len = 5};
    echo.props.num_subscription_ids = 2;
    echo.props.subscription_ids[0] = 200, echo.props.subscription_ids[1] = 268435455;
    struct tq_mqtt5_ack puback = {.packet_id = 2, .reason = TQ_MQTT5_RC_NO_MATCHING_SUBSCRIBERS};
    puback.props.present = BIT(REASON_STRING), puback.props.reason_string = STR("nobody");
    struct tq_mqtt5_suback unsuback = {.packet_id = 1, .num_codes = 3, .codes = {0, 0x11, 0x8F}};
    struct tq_mqtt5_disconnect taken = {.reason = TQ_MQTT5_RC_SESSION_TAKEN_OVER};
    taken.props.present = BIT(SERVER_REFERENCE), taken.props.server_reference = STR("other");
    CHECK(tq_mqtt5_connack_write(&b, &ack));
    CHECK(tq_mqtt5_suback_write(&b, TQ_MQTT_SUBACK, &suback));
    CHECK(tq_mqtt5_publish_write(&b, &echo));
    CHECK(tq_mqtt5_ack_write(&b, TQ_MQTT_PUBACK, &puback));
    CHECK(tq_mqtt_empty_write(&b, TQ_MQTT_PINGRESP));
    CHECK(tq_mqtt5_suback_write(&b, TQ_MQTT_UNSUBACK, &unsuback));
    CHECK(tq_mqtt5_disconnect_write(&b, TQ_MQTT_DISCONNECT, &taken));
    return tq_fuzz_save_seed(dir, "broker-session", &b);
}

/* single_packets: the packet types the sessions above do not show, one file each. */
static int single_packets(const char *dir)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 16);
    int failed = 0;
    struct tq_mqtt5_connack refused = {.reason = TQ_MQTT5_RC_NOT_AUTHORIZED};
    refused.props.present = BIT(REASON_STRING), refused.props.reason_string = STR("policy");
    CHECK(tq_mqtt5_connack_write(&b, &refused));
    failed |= tq_fuzz_save_seed(dir, "connack-not-authorized", &b);
    static const uint8_t types[] = {TQ_MQTT_PUBREC, TQ_MQTT_PUBREL, TQ_MQTT_PUBCOMP};
    static const uint8_t reasons[] = {0x91, 0x92, 0x00};
    static const char *const names[] = {"pubrec-id-in-use", "pubrel-not-found", "pubcomp-props"};
    for (size_t i = 0; i < 3; i++) {
        struct tq_mqtt5_ack a = {.packet_id = 0x1234, .reason = reasons[i]};
        user_props(&a.props);
        CHECK(tq_mqtt5_ack_write(&b, types[i], &a));
        failed |= tq_fuzz_save_seed(dir, names[i], &b);
    }
    struct tq_mqtt5_disconnect auth = {.reason = TQ_MQTT5_RC_CONTINUE_AUTHENTICATION};
    auth.props.present = BIT(AUTH_METHOD) | BIT(AUTH_DATA);
    auth.props.auth_method = STR("SCRAM-SHA-1"), auth.props.auth_data = STR("nonce");
    CHECK(tq_mqtt5_disconnect_write(&b, TQ_MQTT5_AUTH, &auth));
    failed |= tq_fuzz_save_seed(dir, "auth-continue", &b);
    static uint8_t big[300];
    memset(big, 'x', sizeof(big));
    struct tq_mqtt5_publish large = {.qos = 2,
                                     .dup = true,
                                     .retain = true,
                                     .packet_id = 65535,
                                     .topic = STR("a/b"),
                                     .payload = big,
                                     .payload_len = sizeof(big)};
    large.props.present = BIT(MESSAGE_EXPIRY) | BIT(RESPONSE_TOPIC) | BIT(CORRELATION_DATA);
    large.props.message_expiry = 30, large.props.response_topic = STR("r/1");
    large.props.correlation_data = STR("id");
    CHECK(tq_mqtt5_publish_write(&b, &large)); /* a 2-byte Remaining Length */
    failed |= tq_fuzz_save_seed(dir, "publish-qos2-two-byte-length", &b);
    return failed;
}

/* raw_packets: bytes no writer produces. */
static int raw_packets(const char *dir)
{
    /* Section 3.1.2.12, Figure 3-6, with client ID "c", will "w"/"x", user "u", password "p". */
    static const uint8_t figure_3_6[] = {
        0x10, 32,                                 /* CONNECT, Remaining Length */
        0,    4,  'M', 'Q',  'T', 'T', 5,   0xCE, /* name, level, flags */
        0,    10, 5,   0x11, 0,   0,   0,   10,   /* Keep Alive 10, Session Expiry Interval 10 */
        0,    1,  'c', 0,    0,   1,   'w', 0,    1, 'x', /* client ID, no Will Properties, will */
        0,    1,  'u', 0,    1,   'p',                    /* user name, password */
    };
    /* DISCONNECT with Session Expiry Interval twice: a Protocol Error. */
    static const uint8_t duplicate[] = {0xE0, 12, 0, 10, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2};
    /* DISCONNECT with a Topic Alias: not allowed there. */
    static const uint8_t misplaced[] = {0xE0, 5, 0, 3, 0x23, 0, 1};
    /* A 3.1.1 CONNECT (level 4), which the v5 reader refuses as unsupported. */
    static const uint8_t level4[] = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'd'};
    static const struct {
        const char *name;
        const uint8_t *bytes;
        size_t len;
    } raw[] = {
        {"connect-figure-3-6", figure_3_6, sizeof(figure_3_6)},
        {"disconnect-duplicate-property", duplicate, sizeof(duplicate)},
        {"disconnect-misplaced-property", misplaced, sizeof(misplaced)},
        {"connect-level-4", level4, sizeof(level4)},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        struct tq_buf b;
        tq_buf_init(&b, 256);
        CHECK(tq_buf_append(&b, raw[i].bytes, raw[i].len));
        failed |= tq_fuzz_save_seed(dir, raw[i].name, &b);
    }
    return failed;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mqtt5_seeds DIR\n");
        return 2;
    }
    return client_stream(argv[1]) | broker_stream(argv[1]) | single_packets(argv[1]) |
           raw_packets(argv[1]);
}
