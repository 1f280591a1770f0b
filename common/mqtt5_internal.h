/* mqtt5_internal.h: helpers shared by the mqtt5_*.c files only. */
#ifndef TQ_MQTT5_INTERNAL_H
#define TQ_MQTT5_INTERNAL_H

#include "mqtt5.h"
#include "mqtt_internal.h"

/* tq__mqtt5_frame_check checks the fixed header of a v5 `frame` read as `type`: the type, the
 * reserved flags (`flags`, section 2.1.3) and a Remaining Length in the minimum number of bytes
 * [MQTT-1.5.5-1]. TQ_ERR_PARSE otherwise. */
TQ_MUST_USE tq_status tq__mqtt5_frame_check(struct tq_diag *diag, const struct tq_mqtt_frame *frame,
                                            uint8_t type, uint8_t flags);

/* tq__mqtt5_malformed and tq__mqtt5_protocol record a Malformed Packet (TQ_ERR_PARSE) or a
 * Protocol Error (TQ_ERR_PROTOCOL) of a packet of `type`, with reason `why`. */
TQ_MUST_USE tq_status tq__mqtt5_malformed(struct tq_diag *diag, uint8_t type, const char *why);
TQ_MUST_USE tq_status tq__mqtt5_protocol(struct tq_diag *diag, uint8_t type, const char *why);

/* tq__mqtt5_read_utf8 reads a UTF-8 Encoded String (section 1.5.4); a truncated or ill-formed
 * one is a Malformed Packet of `type` naming `what`. */
TQ_MUST_USE tq_status tq__mqtt5_read_utf8(struct tq_diag *diag, struct tq_cursor *c,
                                          struct tq_mqtt_str *out, uint8_t type, const char *what);

/* tq__mqtt5_read_binary reads Binary Data (section 1.5.6), like tq__mqtt5_read_utf8. */
TQ_MUST_USE tq_status tq__mqtt5_read_binary(struct tq_diag *diag, struct tq_cursor *c,
                                            struct tq_mqtt_str *out, uint8_t type,
                                            const char *what);

/* tq__mqtt5_topic_name_valid: a topic name is well-formed UTF-8 without wildcards (section
 * 4.7.1); `may_be_empty` for PUBLISH with a Topic Alias. */
bool tq__mqtt5_topic_name_valid(struct tq_mqtt_str topic, bool may_be_empty);

/* tq__mqtt5_props_read reads a Property Length and the properties after it from `c` into `out`
 * for a packet of `type` (TQ_MQTT5_WILL for Will Properties), checking Table 2-4 and each
 * property's rules (section 2.2.2.2 and the packet's section). */
TQ_MUST_USE tq_status tq__mqtt5_props_read(struct tq_diag *diag, struct tq_mqtt5_props *out,
                                           struct tq_cursor *c, uint8_t type);

/* tq__mqtt5_props_size computes the bytes `props` takes in a packet of `type`, Property Length
 * included, into `*out_len`; TQ_ERR_USAGE when a property may not be written there. */
TQ_MUST_USE tq_status tq__mqtt5_props_size(const struct tq_mqtt5_props *props, uint8_t type,
                                           size_t *out_len);

/* tq__mqtt5_props_write appends the Property Length and the properties (in identifier order).
 * Call tq__mqtt5_props_size first: this one does not validate again. */
TQ_MUST_USE tq_status tq__mqtt5_props_write(struct tq_buf *out, const struct tq_mqtt5_props *props,
                                            uint8_t type);

/* tq__mqtt5_props_empty is true when `props` holds no property. */
bool tq__mqtt5_props_empty(const struct tq_mqtt5_props *props);

/* tq__mqtt5_fixed_header is tq__mqtt_fixed_header for any v5 type (AUTH included). */
TQ_MUST_USE tq_status tq__mqtt5_fixed_header(struct tq_buf *out, uint8_t type, uint8_t flags,
                                             size_t remaining_len);

#endif
