/* router.h: topic subscriptions and PUBLISH routing (MQTT 3.1.1 sections 3.8 and 3.3.5, MQTT 5
 * sections 3.8.3.1 and 4.8.2).
 *
 * A subscription belongs to an `owner` (an opaque pointer: the broker passes its MQTT session).
 * The router copies filters; it never dereferences owners. A filter "$share/{ShareName}/{filter}"
 * is a Shared Subscription: its group (the whole filter) gets each matching message once, at one
 * member chosen at random (docs/aws-iot/mqtt.md#shared-subscriptions: "each message goes to one
 * random member of the group"). */
#ifndef TQ_BROKER_ROUTER_H
#define TQ_BROKER_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt.h"
#include "status.h"

/* The bits of a subscription's options, as in the MQTT 5 Subscription Options byte (section
 * 3.8.3.1); an MQTT 3.1.1 subscription has its QoS alone. */
enum {
    TQ_ROUTER_QOS_MASK = 0x03,
    TQ_ROUTER_NO_LOCAL = 0x04,            /* not delivered to the publishing owner */
    TQ_ROUTER_RETAIN_AS_PUBLISHED = 0x08, /* delivered with RETAIN as published */
};

struct tq_router;

/* tq_router_new returns a new, empty router, or NULL when out of memory. */
struct tq_router *tq_router_new(void);

/* tq_router_free releases `router` and every subscription; NULL is a no-op. */
void tq_router_free(struct tq_router *router);

/* tq_router_subscribe adds `owner`'s subscription to `filter` with `options` (the bits above;
 * other bits are ignored), or replaces the options of an existing subscription with an identical
 * filter (MQTT 3.1.1 section 3.8.4, MQTT 5 section 3.8.4). The filter must already be valid
 * (tq_mqtt5_filter_valid). Fails with TQ_ERR_NOMEM only. */
TQ_MUST_USE tq_status tq_router_subscribe(struct tq_router *router, void *owner,
                                          struct tq_mqtt_str filter, uint8_t options);

/* tq_router_has is true when `owner` has a subscription whose filter is exactly `filter`. */
bool tq_router_has(const struct tq_router *router, const void *owner, struct tq_mqtt_str filter);

/* tq_router_count returns how many subscriptions `owner` has. */
size_t tq_router_count(const struct tq_router *router, const void *owner);

/* tq_router_unsubscribe removes `owner`'s subscription whose filter is exactly `filter`;
 * it is true when one existed. */
bool tq_router_unsubscribe(struct tq_router *router, void *owner, struct tq_mqtt_str filter);

/* tq_router_drop removes every subscription of `owner`. */
void tq_router_drop(struct tq_router *router, void *owner);

/* tq_router_deliver_fn receives one matching owner and how to deliver: in the QoS bits
 * (TQ_ROUTER_QOS_MASK) the maximum QoS of the owner's matching subscriptions, capped at the
 * message's QoS (MQTT 3.1.1 section 3.3.5); TQ_ROUTER_RETAIN_AS_PUBLISHED when one of them has
 * it. A shared group's member is called for that group's subscription alone. */
typedef void (*tq_router_deliver_fn)(void *owner, uint8_t delivery, void *arg);

/* tq_router_route calls `deliver` once per owner with a non-shared subscription matching
 * `topic`, and once per Shared Subscription group with a matching filter (for one member), and
 * returns how many calls it made. Subscriptions with TQ_ROUTER_NO_LOCAL do not match when their
 * owner is `publisher` (NULL: a message of the broker's own). `deliver` must not change the
 * router. */
size_t tq_router_route(struct tq_router *router, const void *publisher, struct tq_mqtt_str topic,
                       uint8_t qos, tq_router_deliver_fn deliver, void *arg);

#endif
