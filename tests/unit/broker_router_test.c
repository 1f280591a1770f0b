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

static struct delivered route(const struct tq_router *r, const char *topic, uint8_t qos)
{
    struct delivered d = {.num = 0};
    size_t n = tq_router_route(r, tq_mqtt_str_of(topic), qos, record, &d);
    cr_assert_eq(n, d.num);
    return d;
}

static int a, b;   /* two owners */

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
    for (int i = 0; i < 40; i++)   /* grow past the first allocation */
        sub(r, (i % 2) ? (void *)&a : (void *)&b, i % 3 ? "t" : "#", 1);
    tq_router_drop(r, &b);
    d = route(r, "t", 1);
    cr_expect(d.num == 1 && d.owner[0] == &a);
    tq_router_drop(r, &a);
    cr_expect_eq(route(r, "t", 1).num, 0);
    tq_router_free(r);
}
