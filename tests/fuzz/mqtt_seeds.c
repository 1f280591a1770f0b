/* mqtt_seeds DIR: writes the seed corpus of mqtt_fuzz into DIR, one file per packet stream,
 * encoded by the writers of common/mqtt.h: the exchange of docs/backend-protocol.md ("CONNECT,
 * wait for CONNACK; SUBSCRIBE ...; PUBLISH ...") seen from either side, and single packets. Two
 * CONNECTs of other protocol levels are raw bytes. Run by hand after a writer changes:
 *     build/fuzz/tests/fuzz/mqtt_seeds tests/fuzz/corpus/mqtt */
#include <stdio.h>
#include <string.h>

#include "mqtt.h"
#include "mqtt_fuzz_common.h"

#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!tq_ok(expr)) {                                                                        \
            fprintf(stderr, "mqtt_seeds: %s failed\n", #expr);                                     \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static const struct tq_mqtt_connect device_connect = {
    .clean_session = true,
    .keep_alive = 60,
    .client_id = {(const uint8_t *)"tlsqual-backend", 15},
};

static const struct tq_mqtt_connect full_connect = {
    .keep_alive = 1200,
    .client_id = {(const uint8_t *)"device-rsa-2048", 15},
    .has_will = true,
    .will_qos = 1,
    .will_retain = true,
    .will_topic = {(const uint8_t *)"dt/device-rsa-2048/lwt", 22},
    .will_message = {(const uint8_t *)"offline", 7},
    .has_username = true,
    .username = {(const uint8_t *)"?SDK=tlsqual&Version=0.1.0", 26},
    .has_password = true,
    .password = {(const uint8_t *)"\x00\x01\xfe\xff", 4},
};

static struct tq_mqtt_subscribe subscription(void)
{
    struct tq_mqtt_subscribe s = {.packet_id = 1, .num_filters = 3};
    s.filters[0] = tq_mqtt_str_of("tlsqual/test/+/status");
    s.filters[1] = tq_mqtt_str_of("$aws/things/device-rsa-2048/shadow/#");
    s.filters[2] = tq_mqtt_str_of("#");
    s.qos[0] = 0, s.qos[1] = 1, s.qos[2] = 2;
    return s;
}

/* client_stream: what a backend sends in the documented exchange. */
static int client_stream(const char *dir)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 16);
    struct tq_mqtt_subscribe sub = subscription();
    struct tq_mqtt_publish pub0 = {.topic = tq_mqtt_str_of("tlsqual/test/a/status"),
                                   .payload = (const uint8_t *)"hello",
                                   .payload_len = 5};
    struct tq_mqtt_publish pub1 = {.qos = 1,
                                   .retain = true,
                                   .packet_id = 2,
                                   .topic =
                                       tq_mqtt_str_of("$aws/things/device-rsa-2048/shadow/update"),
                                   .payload = (const uint8_t *)"{\"state\":{}}",
                                   .payload_len = 12};
    CHECK(tq_mqtt_connect_write(&b, &device_connect));
    CHECK(tq_mqtt_subscribe_write(&b, TQ_MQTT_SUBSCRIBE, &sub));
    CHECK(tq_mqtt_publish_write(&b, &pub0));
    CHECK(tq_mqtt_publish_write(&b, &pub1));
    CHECK(tq_mqtt_packet_id_write(&b, TQ_MQTT_PUBACK, 7));
    CHECK(tq_mqtt_empty_write(&b, TQ_MQTT_PINGREQ));
    CHECK(tq_mqtt_subscribe_write(&b, TQ_MQTT_UNSUBSCRIBE, &sub));
    CHECK(tq_mqtt_empty_write(&b, TQ_MQTT_DISCONNECT));
    return tq_fuzz_save_seed(dir, "client-exchange", &b);
}

/* broker_stream: what the broker answers in the same exchange. */
static int broker_stream(const char *dir)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 16);
    struct tq_mqtt_connack ack = {.return_code = TQ_MQTT_ACCEPTED};
    struct tq_mqtt_suback suback = {.packet_id = 1, .num_codes = 3, .codes = {0, 1, 0x80}};
    struct tq_mqtt_publish echo = {.qos = 1,
                                   .dup = true,
                                   .packet_id = 7,
                                   .topic = tq_mqtt_str_of("tlsqual/test/a/status"),
                                   .payload = (const uint8_t *)"hello",
                                   .payload_len = 5};
    CHECK(tq_mqtt_connack_write(&b, &ack));
    CHECK(tq_mqtt_suback_write(&b, &suback));
    CHECK(tq_mqtt_publish_write(&b, &echo));
    CHECK(tq_mqtt_packet_id_write(&b, TQ_MQTT_PUBACK, 2));
    CHECK(tq_mqtt_empty_write(&b, TQ_MQTT_PINGRESP));
    CHECK(tq_mqtt_packet_id_write(&b, TQ_MQTT_UNSUBACK, 1));
    return tq_fuzz_save_seed(dir, "broker-exchange", &b);
}

/* single_packets: one file per packet type and notable variant. */
static int single_packets(const char *dir)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 16);
    int failed = 0;
    CHECK(tq_mqtt_connect_write(&b, &full_connect));
    failed |= tq_fuzz_save_seed(dir, "connect-will-username-password", &b);
    struct tq_mqtt_connack refused = {.session_present = false,
                                      .return_code = TQ_MQTT_REFUSED_NOT_AUTHORIZED};
    CHECK(tq_mqtt_connack_write(&b, &refused));
    failed |= tq_fuzz_save_seed(dir, "connack-not-authorized", &b);
    static uint8_t big[300];
    memset(big, 'x', sizeof(big));
    struct tq_mqtt_publish large = {.qos = 1,
                                    .packet_id = 65535,
                                    .topic = tq_mqtt_str_of("a/b"),
                                    .payload = big,
                                    .payload_len = sizeof(big)};
    CHECK(tq_mqtt_publish_write(&b, &large)); /* a 2-byte remaining length */
    failed |= tq_fuzz_save_seed(dir, "publish-qos1-two-byte-length", &b);
    static const enum tq_mqtt_type id_types[] = {TQ_MQTT_PUBREC, TQ_MQTT_PUBREL, TQ_MQTT_PUBCOMP};
    static const char *const id_names[] = {"pubrec", "pubrel", "pubcomp"};
    for (size_t i = 0; i < 3; i++) {
        CHECK(tq_mqtt_packet_id_write(&b, id_types[i], 0x1234));
        failed |= tq_fuzz_save_seed(dir, id_names[i], &b);
    }
    struct tq_mqtt_subscribe one = {.packet_id = 9,
                                    .num_filters = 1,
                                    .filters = {tq_mqtt_str_of("sensors/+/temp")},
                                    .qos = {1}};
    CHECK(tq_mqtt_subscribe_write(&b, TQ_MQTT_SUBSCRIBE, &one));
    failed |= tq_fuzz_save_seed(dir, "subscribe-one-filter", &b);
    return failed;
}

/* raw_packets: packets no writer here produces (other protocol levels), as bytes on the wire. */
static int raw_packets(const char *dir)
{
    /* CONNECT, "MQTT", level 5, clean session, keep-alive 10, empty properties and client id. */
    static const uint8_t mqtt5[] = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 10, 0, 0, 0};
    /* CONNECT, "MQIsdp", level 3 (MQTT 3.1), clean session, keep-alive 60, client id "d". */
    static const uint8_t mqisdp[] = {0x10, 15, 0, 6, 'M', 'Q', 'I', 's', 'd',
                                     'p',  3,  2, 0, 60,  0,   1,   'd'};
    struct tq_buf b;
    tq_buf_init(&b, 64);
    CHECK(tq_buf_append(&b, mqtt5, sizeof(mqtt5)));
    int failed = tq_fuzz_save_seed(dir, "connect-mqtt5", &b);
    CHECK(tq_buf_append(&b, mqisdp, sizeof(mqisdp)));
    return failed | tq_fuzz_save_seed(dir, "connect-mqisdp-level3", &b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mqtt_seeds DIR\n");
        return 2;
    }
    return client_stream(argv[1]) | broker_stream(argv[1]) | single_packets(argv[1]) |
           raw_packets(argv[1]);
}
