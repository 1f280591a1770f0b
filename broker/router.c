/* Subscriptions as a flat array: a mock broker holds a handful of clients, so linear scans
 * are simpler than a topic tree and fast enough. */
#include "router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct subscription {
    void *owner;
    uint8_t *filter;
    size_t filter_len;
    uint8_t qos;
};

struct tq_router {
    struct subscription *subs;
    size_t num_subs;
    size_t cap;
};

static struct tq_mqtt_str filter_of(const struct subscription *s)
{
    return (struct tq_mqtt_str){.p = s->filter, .len = s->filter_len};
}

static bool same_filter(const struct subscription *s, void *owner, struct tq_mqtt_str filter)
{
    return s->owner == owner && s->filter_len == filter.len &&
           memcmp(s->filter, filter.p, filter.len) == 0;
}

/* see router.h */
struct tq_router *tq_router_new(void)
{
    return calloc(1, sizeof(struct tq_router));
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

/* see router.h */
tq_status tq_router_subscribe(struct tq_router *router, void *owner, struct tq_mqtt_str filter,
                              uint8_t qos)
{
    for (size_t i = 0; i < router->num_subs; i++) {
        if (same_filter(&router->subs[i], owner, filter)) {
            router->subs[i].qos = qos;
            return TQ_SUCCESS;
        }
    }
    TQ_GUARD(grow(router));
    uint8_t *copy = malloc(filter.len ? filter.len : 1);
    TQ_ENSURE(copy != NULL, TQ_ERR_NOMEM);
    memcpy(copy, filter.p, filter.len);
    router->subs[router->num_subs++] = (struct subscription){
        .owner = owner, .filter = copy, .filter_len = filter.len, .qos = qos};
    return TQ_SUCCESS;
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
        if (same_filter(&router->subs[i], owner, filter)) {
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

/* owner_qos returns the highest QoS among `owner`'s subscriptions matching `topic`, and whether
 * subscription `first` is the first of them (so each owner is delivered to once). */
static uint8_t owner_qos(const struct tq_router *router, size_t first, struct tq_mqtt_str topic,
                         bool *out_is_first)
{
    const struct subscription *s = &router->subs[first];
    uint8_t qos = s->qos;
    *out_is_first = true;
    for (size_t i = 0; i < router->num_subs; i++) {
        const struct subscription *o = &router->subs[i];
        if (i == first || o->owner != s->owner || !tq_mqtt_topic_matches(filter_of(o), topic))
            continue;
        if (i < first)
            *out_is_first = false;
        if (o->qos > qos)
            qos = o->qos;
    }
    return qos;
}

/* see router.h */
size_t tq_router_route(const struct tq_router *router, struct tq_mqtt_str topic, uint8_t qos,
                       tq_router_deliver_fn deliver, void *arg)
{
    size_t num = 0;
    for (size_t i = 0; i < router->num_subs; i++) {
        if (!tq_mqtt_topic_matches(filter_of(&router->subs[i]), topic))
            continue;
        bool first;
        uint8_t sub_qos = owner_qos(router, i, topic, &first);
        if (!first)
            continue;
        deliver(router->subs[i].owner, sub_qos < qos ? sub_qos : qos, arg);
        num++;
    }
    return num;
}
