/* Tests for broker/router.c: subscriptions, routing at the right QoS, once per owner. */
#include <criterion/criterion.h>

#include "router.h"

struct delivered {
    void *owner[8];
    uint8_t qos[8];
    size_t num;
};

static void record(void *owner, uint8_t qos, void *arg)
{
    struct delivered *d = arg;
    cr_assert_lt(d->num, 8);
    d->owner[d->num] = owner;
    d->qos[d->num++] = qos;
}

static struct delivered route_from(struct tq_router *r, const void *publisher, const char *topic,
                                   uint8_t qos)
{
    struct delivered d = {.num = 0};
    size_t n = tq_router_route(r, publisher, tq_mqtt_str_of(topic), qos, record, &d);
    cr_assert_eq(n, d.num);
    return d;
}

static struct delivered route(struct tq_router *r, const char *topic, uint8_t qos)
{
    return route_from(r, NULL, topic, qos);
}

static int a, b, c; /* three owners */

static void sub(struct tq_router *r, void *owner, const char *filter, uint8_t qos)
{
    cr_assert(tq_ok(tq_router_subscribe(r, owner, tq_mqtt_str_of(filter), qos)));
}

Test(router, routes_to_matching_owners_only)
{
    struct tq_router *r = tq_router_new();
    sub(r, &a, "dev/+/temp", 1);
    sub(r, &b, "other/#", 0);
    struct delivered d = route(r, "dev/1/temp", 1);
    cr_expect(d.num == 1 && d.owner[0] == &a && d.qos[0] == 1);
    cr_expect_eq(route(r, "dev/1/hum", 1).num, 0);
    tq_router_free(r);
}

Test(router, qos_is_min_of_message_and_max_of_owner_subscriptions)
{
    struct tq_router *r = tq_router_new();
    sub(r, &a, "t/#", 0);
    sub(r, &a, "t/x", 1);
    sub(r, &b, "t/x", 0);
    struct delivered d = route(r, "t/x", 1);
    cr_assert_eq(d.num, 2, "each owner once");
    for (size_t i = 0; i < d.num; i++)
        cr_expect_eq(d.qos[i], d.owner[i] == (void *)&a ? 1 : 0);
    d = route(r, "t/x", 0);
    cr_expect(d.qos[0] == 0 && d.qos[1] == 0, "never above the message's QoS");
    tq_router_free(r);
}

Test(router, resubscribe_replaces_qos_unsubscribe_and_drop_remove)
{
    struct tq_router *r = tq_router_new();
    sub(r, &a, "t", 0);
    sub(r, &a, "t", 1);
    struct delivered d = route(r, "t", 1);
    cr_expect(d.num == 1 && d.qos[0] == 1);
    cr_expect(tq_router_unsubscribe(r, &a, tq_mqtt_str_of("t")));
    cr_expect_not(tq_router_unsubscribe(r, &a, tq_mqtt_str_of("t")));
    cr_expect_eq(route(r, "t", 1).num, 0);
    for (int i = 0; i < 40; i++) /* grow past the first allocation */
        sub(r, (i % 2) ? (void *)&a : (void *)&b, i % 3 ? "t" : "#", 1);
    tq_router_drop(r, &b);
    d = route(r, "t", 1);
    cr_expect(d.num == 1 && d.owner[0] == &a);
    tq_router_drop(r, &a);
    cr_expect_eq(route(r, "t", 1).num, 0);
    tq_router_free(r);
}

/* MQTT 5 subscription options (section 3.8.3.1): No Local keeps a publisher's own messages from
 * it; Retain As Published is reported to the deliverer. */
Test(router, no_local_and_retain_as_published)
{
    struct tq_router *r = tq_router_new();
    sub(r, &a, "t/#", 1 | TQ_ROUTER_NO_LOCAL);
    sub(r, &b, "t/x", 1 | TQ_ROUTER_RETAIN_AS_PUBLISHED);
    struct delivered d = route_from(r, &a, "t/x", 1);
    cr_assert_eq(d.num, 1, "a published it: not delivered to a");
    cr_expect(d.owner[0] == &b && d.qos[0] == (1 | TQ_ROUTER_RETAIN_AS_PUBLISHED));
    d = route_from(r, &b, "t/x", 0);
    cr_expect_eq(d.num, 2, "b published it: a gets it, and b too (no No Local)");
    for (size_t i = 0; i < d.num; i++)
        cr_expect_eq(d.qos[i] & TQ_ROUTER_QOS_MASK, 0, "capped at the message's QoS");
    cr_expect_eq(tq_router_count(r, &a), 1);
    cr_expect(tq_router_has(r, &b, tq_mqtt_str_of("t/x")));
    cr_expect_not(tq_router_has(r, &b, tq_mqtt_str_of("t/#")));
    tq_router_free(r);
}

/* docs/aws-iot/mqtt.md#shared-subscriptions: "each message goes to one random member of the
 * group"; each group gets one copy; the $share prefix is not part of the match. */
Test(router, shared_subscriptions_reach_one_member_per_group)
{
    struct tq_router *r = tq_router_new();
    sub(r, &a, "$share/g/s/+", 1);
    sub(r, &b, "$share/g/s/+", 0);
    sub(r, &c, "$share/h/s/#", 1);
    sub(r, &c, "s/x", 1); /* a non-shared subscription gets its own copy */
    size_t to_a = 0, to_b = 0;
    for (int i = 0; i < 200; i++) {
        struct delivered d = route(r, "s/x", 1);
        cr_assert_eq(d.num, 3, "one per group, one for c's own subscription");
        size_t to_c = 0;
        for (size_t k = 0; k < d.num; k++) {
            to_a += d.owner[k] == &a;
            to_b += d.owner[k] == &b;
            to_c += d.owner[k] == &c;
            if (d.owner[k] == &b)
                cr_expect_eq(d.qos[k], 0, "the member's own QoS");
        }
        cr_assert_eq(to_c, 2);
    }
    cr_expect_eq(to_a + to_b, 200);
    cr_expect(to_a > 50 && to_b > 50, "both members are chosen (a %zu, b %zu)", to_a, to_b);
    cr_expect_eq(route(r, "other", 1).num, 0);
    tq_router_free(r);
}
