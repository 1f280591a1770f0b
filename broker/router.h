/* router.h: topic subscriptions and PUBLISH routing (MQTT 3.1.1 sections 3.8 and 3.3.5).
 *
 * A subscription belongs to an `owner` (an opaque pointer: the broker passes its session).
 * The router copies filters; it never dereferences owners. */
#ifndef TQ_BROKER_ROUTER_H
#define TQ_BROKER_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "mqtt.h"
#include "status.h"

struct tq_router;

/* tq_router_new returns a new, empty router, or NULL when out of memory. */
struct tq_router *tq_router_new(void);

/* tq_router_free releases `router` and every subscription; NULL is a no-op. */
void tq_router_free(struct tq_router *router);

/* tq_router_subscribe adds `owner`'s subscription to `filter` at `qos`, or replaces the QoS of
 * an existing subscription with an identical filter (MQTT 3.1.1 section 3.8.4). The filter must
 * already be valid (tq_mqtt_topic_filter_valid). Fails with TQ_ERR_NOMEM only. */
TQ_MUST_USE tq_status tq_router_subscribe(struct tq_router *router, void *owner,
                                          struct tq_mqtt_str filter, uint8_t qos);

/* tq_router_unsubscribe removes `owner`'s subscription whose filter is exactly `filter`;
 * it is true when one existed. */
bool tq_router_unsubscribe(struct tq_router *router, void *owner, struct tq_mqtt_str filter);

/* tq_router_drop removes every subscription of `owner`. */
void tq_router_drop(struct tq_router *router, void *owner);

/* tq_router_deliver_fn receives one matching owner and the QoS to deliver at: the maximum QoS
 * of the owner's matching subscriptions, capped at the message's QoS (section 3.3.5). */
typedef void (*tq_router_deliver_fn)(void *owner, uint8_t qos, void *arg);

/* tq_router_route calls `deliver` once per owner with a subscription matching `topic` and
 * returns how many owners it called. `deliver` must not change the router. */
size_t tq_router_route(const struct tq_router *router, struct tq_mqtt_str topic, uint8_t qos,
                       tq_router_deliver_fn deliver, void *arg);

#endif
