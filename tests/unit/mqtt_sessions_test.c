/* Tests for broker/mqtt_sessions.c: messages (copies, forwarded properties, expiry), the store
 * (by client ID, offline expiry), the in-flight window and the bounded queue. */
#include <criterion/criterion.h>
#include <string.h>

#include "mqtt_sessions.h"

static struct tq_msg *msg(const char *topic, const char *payload, uint8_t qos, uint64_t now)
{
    struct tq_mqtt5_publish p = {.qos = qos,
                                 .topic = tq_mqtt_str_of(topic),
                                 .payload = (const uint8_t *)payload,
                                 .payload_len = strlen(payload)};
    struct tq_msg *m = NULL;
    cr_assert(tq_ok(tq_msg_new(&m, &p, now)));
    return m;
}

static int conn_a, conn_b; /* two connections */

Test(mqtt_sessions, a_message_is_a_copy_with_the_forwarded_properties_only)
{
    char topic[] = "a/b", payload[] = "hello", name[] = "k", value[] = "v";
    struct tq_mqtt5_publish p = {.qos = 1,
                                 .retain = true,
                                 .topic = tq_mqtt_str_of(topic),
                                 .payload = (const uint8_t *)payload,
                                 .payload_len = 5};
    p.props.present = TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_USER_PROPERTY) |
                      TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_TOPIC_ALIAS) |
                      TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_CONTENT_TYPE);
    p.props.topic_alias = 3;
    p.props.content_type = tq_mqtt_str_of("text/plain");
    p.props.num_user_props = 1;
    p.props.user_props[0].name = tq_mqtt_str_of(name);
    p.props.user_props[0].value = tq_mqtt_str_of(value);
    struct tq_msg *m = NULL;
    cr_assert(tq_ok(tq_msg_new(&m, &p, 1000)));
    memset(topic, 'x', 3), memset(payload, 'x', 5), name[0] = value[0] = 'x';
    cr_expect(m->topic.len == 3 && memcmp(m->topic.p, "a/b", 3) == 0, "the topic is copied");
    cr_expect(m->payload_len == 5 && memcmp(m->payload, "hello", 5) == 0);
    cr_expect(m->qos == 1 && m->retain);
    cr_expect(tq_mqtt5_props_has(&m->props, TQ_MQTT5_PROP_USER_PROPERTY));
    cr_expect(memcmp(m->props.user_props[0].name.p, "k", 1) == 0);
    cr_expect(tq_mqtt5_props_has(&m->props, TQ_MQTT5_PROP_CONTENT_TYPE));
    cr_expect_not(tq_mqtt5_props_has(&m->props, TQ_MQTT5_PROP_TOPIC_ALIAS),
                  "a Topic Alias is the sender's connection's, not forwarded");
    struct tq_mqtt5_publish view;
    tq_msg_view(m, &view, 5000);
    cr_expect_not(tq_mqtt5_props_has(&view.props, TQ_MQTT5_PROP_MESSAGE_EXPIRY));
    cr_expect_eq(tq_msg_ref(m), m);
    tq_msg_unref(m);
    tq_msg_unref(m);
    tq_msg_unref(NULL);
}

/* docs/aws-iot/mqtt.md#message-expiry: 0 is raised to 1, above 604800 lowered to 604800, and the
 * time left is forwarded in whole seconds. */
Test(mqtt_sessions, message_expiry_is_clamped_and_counts_down)
{
    static const struct {
        uint32_t requested, applied;
    } cases[] = {{0, 1},           {1, 1},           {60, 60},
                 {604800, 604800}, {604801, 604800}, {UINT32_MAX, 604800}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tq_mqtt5_publish p = {.topic = tq_mqtt_str_of("t")};
        p.props.present = TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_MESSAGE_EXPIRY);
        p.props.message_expiry = cases[i].requested;
        struct tq_msg *m = NULL;
        cr_assert(tq_ok(tq_msg_new(&m, &p, 10000)));
        struct tq_mqtt5_publish view;
        tq_msg_view(m, &view, 10000);
        cr_expect_eq(view.props.message_expiry, cases[i].applied, "requested %u",
                     cases[i].requested);
        uint64_t end = 10000 + (uint64_t)cases[i].applied * 1000;
        cr_expect_not(tq_msg_expired(m, end - 1));
        cr_expect(tq_msg_expired(m, end));
        tq_msg_view(m, &view, end - 500);
        cr_expect_eq(view.props.message_expiry, 0, "less than a second left: 0");
        tq_msg_unref(m);
    }
}

Test(mqtt_sessions, the_store_finds_sessions_by_client_id)
{
    struct tq_msessions *store = tq_msessions_new(4, 2);
    cr_assert_not_null(store);
    struct tq_msession *a, *b, *unnamed1, *unnamed2, *dup;
    cr_assert(tq_ok(tq_msessions_add(store, &a, "dev-a", 5, &conn_a)));
    cr_assert(tq_ok(tq_msessions_add(store, &b, "dev-b", 4, &conn_b)));
    cr_expect_eq(tq_msessions_add(store, &dup, "dev-a", 5, &conn_b).code, TQ_ERR_USAGE,
                 "a client ID in the store already");
    cr_expect_null(dup);
    cr_assert(tq_ok(tq_msessions_add(store, &unnamed1, "", 4, &conn_a)));
    cr_assert(tq_ok(tq_msessions_add(store, &unnamed2, "", 4, &conn_b)), "empty: not indexed");
    char long_id[TQ_MSESSION_CLIENT_ID_CAP + 2];
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    cr_expect_eq(tq_msessions_add(store, &dup, long_id, 5, &conn_a).code, TQ_ERR_USAGE);
    cr_expect_eq(tq_msessions_find(store, "dev-a"), a);
    cr_expect_eq(tq_msessions_find(store, "dev-b"), b);
    cr_expect_null(tq_msessions_find(store, ""));
    cr_expect_null(tq_msessions_find(store, "dev-c"));
    cr_expect_eq(tq_msessions_count(store), 4);
    cr_expect(a->conn == &conn_a && a->protocol_level == 5);
    tq_msessions_remove(a);
    cr_expect_null(tq_msessions_find(store, "dev-a"));
    cr_expect_eq(tq_msessions_count(store), 3);
    tq_msessions_free(store);
    tq_msessions_free(NULL);
    cr_expect_null(tq_msessions_new(0, 1), "bounds are >= 1");
}

/* docs/aws-iot/mqtt.md#persistent-sessions: a session ends when its expiry passed after the
 * disconnect; an online one never expires. */
Test(mqtt_sessions, offline_sessions_expire_after_their_interval)
{
    struct tq_msessions *store = tq_msessions_new(4, 2);
    struct tq_msession *a, *b, *c;
    cr_assert(tq_ok(tq_msessions_add(store, &a, "a", 5, &conn_a)));
    cr_assert(tq_ok(tq_msessions_add(store, &b, "b", 5, &conn_b)));
    cr_assert(tq_ok(tq_msessions_add(store, &c, "c", 5, &conn_b)));
    a->expiry_s = 10;
    b->expiry_s = 3600;
    c->expiry_s = 0;
    cr_expect_eq(tq_msessions_next_expiry(store), UINT64_MAX, "all online");
    cr_expect_null(tq_msessions_expired(store, UINT64_MAX / 2));
    tq_msession_set_offline(a, 1000);
    tq_msession_set_offline(b, 2000);
    cr_expect_eq(tq_msessions_next_expiry(store), 11000);
    cr_expect_null(tq_msessions_expired(store, 10999));
    cr_expect_eq(tq_msessions_expired(store, 11000), a);
    tq_msession_set_online(a, &conn_a); /* resumed in time */
    cr_expect_null(tq_msessions_expired(store, 11000));
    cr_expect_eq(tq_msessions_next_expiry(store), 2000 + 3600 * 1000);
    tq_msession_set_offline(c, 5000); /* expiry 0: ended at once */
    cr_expect_eq(tq_msessions_expired(store, 5000), c);
    tq_msessions_remove(c);
    cr_expect_eq(tq_msessions_expired(store, UINT64_MAX / 2), b);
    tq_msessions_remove(b);
    cr_expect_null(tq_msessions_expired(store, UINT64_MAX / 2));
    tq_msessions_free(store);
}

/* The in-flight window: at most the store's maximum and the client's Receive Maximum; packet
 * identifiers are unique among those in flight; a PUBACK frees one. */
Test(mqtt_sessions, in_flight_window_and_packet_identifiers)
{
    struct tq_msessions *store = tq_msessions_new(4, 3);
    struct tq_msession *s;
    cr_assert(tq_ok(tq_msessions_add(store, &s, "s", 5, &conn_a)));
    struct tq_msg *m = msg("t", "x", 1, 0);
    uint16_t ids[3];
    for (int i = 0; i < 3; i++) {
        cr_assert(tq_msession_can_send(s));
        ids[i] = tq_msession_track(s, m, 1, i == 1);
        cr_expect_eq(ids[i], i + 1);
    }
    cr_expect_not(tq_msession_can_send(s), "the store's maximum, 3");
    cr_expect_eq(tq_msession_track(s, m, 1, false), 0);
    cr_expect_eq(s->num_inflight, 3);
    cr_expect(tq_msession_inflight_at(s, 1)->retain &&
              tq_msession_inflight_at(s, 1)->packet_id == 2);
    cr_expect_null(tq_msession_inflight_at(s, 3));
    cr_expect_not(tq_msession_ack(s, 9), "not in flight");
    cr_expect(tq_msession_ack(s, 2));
    cr_expect_not(tq_msession_ack(s, 2), "acknowledged once");
    cr_expect_eq(tq_msession_inflight_at(s, 1)->packet_id, 3, "the order sent is kept");
    s->receive_max = 2;
    cr_expect_not(tq_msession_can_send(s), "the client's Receive Maximum, 2");
    s->receive_max = UINT16_MAX;
    s->last_packet_id = UINT16_MAX - 1;
    cr_expect_eq(tq_msession_track(s, m, 1, false), UINT16_MAX);
    cr_expect(tq_msession_ack(s, 1));
    cr_expect_eq(tq_msession_track(s, m, 1, false), 1, "wraps to 1, skipping 0");
    cr_expect(tq_msession_ack(s, 3) && tq_msession_ack(s, UINT16_MAX));
    s->last_packet_id = 0; /* 1 is still in flight: the next free one is 2 */
    cr_expect_eq(tq_msession_track(s, m, 1, false), 2);
    cr_expect_eq(m->refs, 3, "one reference per entry, and ours");
    tq_msessions_free(store);
    cr_expect_eq(m->refs, 1, "the store's references are released");
    tq_msg_unref(m);
}

/* The queue is bounded (docs/aws-iot/mqtt.md#persistent-sessions: "excess is dropped"), first
 * in first out, and skips expired messages. */
Test(mqtt_sessions, the_queue_is_bounded_ordered_and_skips_expired)
{
    struct tq_msessions *store = tq_msessions_new(3, 2);
    struct tq_msession *s;
    cr_assert(tq_ok(tq_msessions_add(store, &s, "s", 4, &conn_a)));
    struct tq_msg *m[5];
    for (int i = 0; i < 5; i++) {
        char payload[2] = {(char)('0' + i), '\0'};
        m[i] = msg("t", payload, 1, 0);
    }
    struct tq_mqtt5_publish p = {.topic = tq_mqtt_str_of("t"), .qos = 1};
    p.props.present = TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_MESSAGE_EXPIRY);
    p.props.message_expiry = 1;
    tq_msg_unref(m[1]);
    cr_assert(tq_ok(tq_msg_new(&m[1], &p, 0))); /* expires at 1000 ms */
    for (int i = 0; i < 3; i++)
        cr_expect(tq_msession_enqueue(s, m[i], 1, i == 2));
    cr_expect_not(tq_msession_enqueue(s, m[3], 1, false), "the bound, 3");
    cr_expect_eq(s->num_dropped, 1);
    struct tq_msession_entry e;
    cr_assert(tq_msession_dequeue(s, 2000, &e));
    cr_expect(e.msg == m[0] && e.qos == 1 && !e.retain);
    tq_msg_unref(e.msg);
    cr_assert(tq_msession_dequeue(s, 2000, &e), "m[1] expired: skipped");
    cr_expect(e.msg == m[2] && e.retain);
    tq_msg_unref(e.msg);
    cr_expect_eq(s->num_dropped, 2);
    cr_expect_not(tq_msession_dequeue(s, 2000, &e));
    for (int i = 3; i < 5; i++) /* the ring wraps */
        cr_expect(tq_msession_enqueue(s, m[i], 1, false));
    cr_expect_eq(s->num_queued, 2);
    tq_msessions_free(store);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(m[i]->refs, 1, "message %d: only ours is left", i);
        tq_msg_unref(m[i]);
    }
}

/* The queue grows on demand (an idle session allocates nothing) and keeps its order while it
 * grows around the ring's end. */
Test(mqtt_sessions, the_queue_grows_in_order)
{
    struct tq_msessions *store = tq_msessions_new(20, 100);
    struct tq_msession *s;
    cr_assert(tq_ok(tq_msessions_add(store, &s, "s", 5, &conn_a)));
    cr_expect(s->queue == NULL && s->inflight == NULL, "nothing allocated yet");
    struct tq_msg *m[25];
    for (int i = 0; i < 25; i++) {
        char payload[3] = {(char)('a' + i / 10), (char)('0' + i % 10), '\0'};
        m[i] = msg("t", payload, 1, 0);
    }
    int next_in = 0, next_out = 0;
    for (; next_in < 5; next_in++)
        cr_assert(tq_msession_enqueue(s, m[next_in], 1, false));
    struct tq_msession_entry e;
    for (; next_out < 3; next_out++) { /* the head moves: later growth starts mid-ring */
        cr_assert(tq_msession_dequeue(s, 0, &e));
        cr_expect_eq(e.msg, m[next_out]);
        tq_msg_unref(e.msg);
    }
    for (; next_in < 22; next_in++)
        cr_assert(tq_msession_enqueue(s, m[next_in], 1, false), "message %d", next_in);
    cr_expect_eq(s->num_queued, 19);
    cr_expect(tq_msession_enqueue(s, m[22], 1, false), "20: the bound");
    cr_expect_not(tq_msession_enqueue(s, m[23], 1, false), "21: past the bound");
    cr_expect_eq(s->queue_cap, 20);
    for (; next_out < 23; next_out++) {
        cr_assert(tq_msession_dequeue(s, 0, &e));
        cr_expect_eq(e.msg, m[next_out], "message %d comes out in order", next_out);
        tq_msg_unref(e.msg);
    }
    cr_expect_not(tq_msession_dequeue(s, 0, &e));
    for (int i = 0; i < 10; i++)
        cr_expect_neq(tq_msession_track(s, m[24], 1, false), 0);
    cr_expect_eq(s->inflight_cap, 16, "the window grows by doubling");
    tq_msessions_free(store);
    for (int i = 0; i < 25; i++)
        tq_msg_unref(m[i]);
}
