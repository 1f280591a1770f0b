/* Subscriptions as a flat array: a mock broker holds a handful of clients, so linear scans
 * are simpler than a topic tree and fast enough. */
#include "router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt5.h"

struct subscription {
    void *owner;
    uint8_t *filter;
    size_t filter_len;
    uint8_t options;
    bool shared;              /* "$share/{ShareName}/{filter}" */
    struct tq_mqtt_str match; /* the filter topics are matched against (after the share) */
};

struct tq_router {
    struct subscription *subs;
    size_t num_subs;
    size_t cap;
    uint64_t rng; /* xorshift64 state: which member of a shared group */
};

static struct tq_mqtt_str filter_of(const struct subscription *s)
{
    return (struct tq_mqtt_str){.p = s->filter, .len = s->filter_len};
}

static bool same_filter(const struct subscription *s, struct tq_mqtt_str filter)
{
    return s->filter_len == filter.len && memcmp(s->filter, filter.p, filter.len) == 0;
}

static bool same_sub(const struct subscription *s, const void *owner, struct tq_mqtt_str filter)
{
    return s->owner == owner && same_filter(s, filter);
}

/* see router.h */
struct tq_router *tq_router_new(void)
{
    struct tq_router *router = calloc(1, sizeof(struct tq_router));
    if (router != NULL)
        router->rng = 0x9e3779b97f4a7c15u;
    return router;
}

/* see router.h */
void tq_router_free(struct tq_router *router)
{
    if (router == NULL)
        return;
    for (size_t i = 0; i < router->num_subs; i++)
        free(router->subs[i].filter);
    free(router->subs);
    free(router);
}

static tq_status grow(struct tq_router *router)
{
    if (router->num_subs < router->cap)
        return TQ_SUCCESS;
    size_t cap = router->cap ? router->cap * 2 : 16;
    struct subscription *subs = realloc(router->subs, cap * sizeof(*subs));
    TQ_ENSURE(subs != NULL, TQ_ERR_NOMEM);
    router->subs = subs;
    router->cap = cap;
    return TQ_SUCCESS;
}

static uint8_t kept_options(uint8_t options)
{
    return options & (TQ_ROUTER_QOS_MASK | TQ_ROUTER_NO_LOCAL | TQ_ROUTER_RETAIN_AS_PUBLISHED);
}

/* see router.h */
tq_status tq_router_subscribe(struct tq_router *router, void *owner, struct tq_mqtt_str filter,
                              uint8_t options)
{
    for (size_t i = 0; i < router->num_subs; i++) {
        if (same_sub(&router->subs[i], owner, filter)) {
            router->subs[i].options = kept_options(options);
            return TQ_SUCCESS;
        }
    }
    TQ_GUARD(grow(router));
    uint8_t *copy = malloc(filter.len ? filter.len : 1);
    TQ_ENSURE(copy != NULL, TQ_ERR_NOMEM);
    memcpy(copy, filter.p, filter.len);
    struct subscription *s = &router->subs[router->num_subs++];
    *s = (struct subscription){
        .owner = owner, .filter = copy, .filter_len = filter.len, .options = kept_options(options)};
    struct tq_mqtt_str inner;
    s->shared = tq_mqtt5_filter_shared(filter_of(s), NULL, &inner);
    s->match = s->shared ? inner : filter_of(s);
    return TQ_SUCCESS;
}

/* see router.h */
bool tq_router_has(const struct tq_router *router, const void *owner, struct tq_mqtt_str filter)
{
    for (size_t i = 0; i < router->num_subs; i++)
        if (same_sub(&router->subs[i], owner, filter))
            return true;
    return false;
}

/* see router.h */
size_t tq_router_count(const struct tq_router *router, const void *owner)
{
    size_t num = 0;
    for (size_t i = 0; i < router->num_subs; i++)
        num += router->subs[i].owner == owner;
    return num;
}

static void remove_at(struct tq_router *router, size_t i)
{
    free(router->subs[i].filter);
    router->subs[i] = router->subs[--router->num_subs];
}

/* see router.h */
bool tq_router_unsubscribe(struct tq_router *router, void *owner, struct tq_mqtt_str filter)
{
    for (size_t i = 0; i < router->num_subs; i++) {
        if (same_sub(&router->subs[i], owner, filter)) {
            remove_at(router, i);
            return true;
        }
    }
    return false;
}

/* see router.h */
void tq_router_drop(struct tq_router *router, void *owner)
{
    for (size_t i = router->num_subs; i-- > 0;)
        if (router->subs[i].owner == owner)
            remove_at(router, i);
}

static bool matches(const struct subscription *s, const void *publisher, struct tq_mqtt_str topic)
{
    if ((s->options & TQ_ROUTER_NO_LOCAL) && publisher != NULL && s->owner == publisher)
        return false;
    return tq_mqtt_topic_matches(s->match, topic);
}

static uint8_t capped(uint8_t options, uint8_t qos)
{
    uint8_t sub_qos = options & TQ_ROUTER_QOS_MASK;
    return (uint8_t)((sub_qos < qos ? sub_qos : qos) | (options & TQ_ROUTER_RETAIN_AS_PUBLISHED));
}

/* owner_options returns the highest QoS among the non-shared subscriptions of subscription
 * `first`'s owner that match `topic` (with Retain As Published when one has it), and whether
 * `first` is the first of them (so each owner is delivered to once). */
static uint8_t owner_options(const struct tq_router *router, size_t first, const void *publisher,
                             struct tq_mqtt_str topic, bool *out_is_first)
{
    const struct subscription *s = &router->subs[first];
    uint8_t qos = s->options & TQ_ROUTER_QOS_MASK, rap = s->options & TQ_ROUTER_RETAIN_AS_PUBLISHED;
    *out_is_first = true;
    for (size_t i = 0; i < router->num_subs; i++) {
        const struct subscription *o = &router->subs[i];
        if (i == first || o->owner != s->owner || o->shared || !matches(o, publisher, topic))
            continue;
        if (i < first)
            *out_is_first = false;
        if ((o->options & TQ_ROUTER_QOS_MASK) > qos)
            qos = o->options & TQ_ROUTER_QOS_MASK;
        rap |= o->options & TQ_ROUTER_RETAIN_AS_PUBLISHED;
    }
    return qos | rap;
}

static uint64_t next_random(struct tq_router *router)
{
    uint64_t x = router->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return router->rng = x;
}

/* pick_member returns one member of the shared group whose first subscription is `first`,
 * chosen at random. */
static const struct subscription *pick_member(struct tq_router *router, size_t first)
{
    const struct subscription *s = &router->subs[first];
    size_t num = 0;
    for (size_t i = first; i < router->num_subs; i++)
        num += same_filter(&router->subs[i], filter_of(s));
    size_t pick = (size_t)(next_random(router) % num);
    for (size_t i = first; i < router->num_subs; i++)
        if (same_filter(&router->subs[i], filter_of(s)) && pick-- == 0)
            return &router->subs[i];
    return s;
}

static bool first_of_group(const struct tq_router *router, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same_filter(&router->subs[j], filter_of(&router->subs[i])))
            return false;
    return true;
}

static size_t route_shared(struct tq_router *router, struct tq_mqtt_str topic, uint8_t qos,
                           tq_router_deliver_fn deliver, void *arg)
{
    size_t num = 0;
    for (size_t i = 0; i < router->num_subs; i++) {
        const struct subscription *s = &router->subs[i];
        if (!s->shared || !tq_mqtt_topic_matches(s->match, topic) || !first_of_group(router, i))
            continue;
        const struct subscription *member = pick_member(router, i);
        deliver(member->owner, capped(member->options, qos), arg);
        num++;
    }
    return num;
}

/* see router.h */
size_t tq_router_route(struct tq_router *router, const void *publisher, struct tq_mqtt_str topic,
                       uint8_t qos, tq_router_deliver_fn deliver, void *arg)
{
    size_t num = 0;
    for (size_t i = 0; i < router->num_subs; i++) {
        if (router->subs[i].shared || !matches(&router->subs[i], publisher, topic))
            continue;
        bool first;
        uint8_t options = owner_options(router, i, publisher, topic, &first);
        if (!first)
            continue;
        deliver(router->subs[i].owner, capped(options, qos), arg);
        num++;
    }
    return num + route_shared(router, topic, qos, deliver, arg);
}
