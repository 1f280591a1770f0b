/* mqtt_internal.h: helpers shared by the mqtt_*.c files only. */
#ifndef TQ_MQTT_INTERNAL_H
#define TQ_MQTT_INTERNAL_H

#include "mqtt.h"

/* tq__mqtt_fixed_header appends the first byte and the remaining-length integer. */
TQ_MUST_USE tq_status tq__mqtt_fixed_header(struct tq_buf *out, enum tq_mqtt_type type,
                                            uint8_t flags, size_t remaining_len);

/* tq__mqtt_malformed records a TQ_ERR_PARSE for a packet of `type` with reason `why`. */
TQ_MUST_USE tq_status tq__mqtt_malformed(struct tq_diag *diag, uint8_t type, const char *why);

/* tq__mqtt_utf8_valid checks MQTT's UTF-8 string rules (section 1.5.3): well-formed, no NUL. */
bool tq__mqtt_utf8_valid(struct tq_mqtt_str s);

#endif
