/* mqtt.h: MQTT 3.1.1 packet codec (OASIS MQTT 3.1.1), shared by the broker and the backends.
 *
 * Readers take one complete frame (see tq_mqtt_frame_parse) and fill a struct whose strings
 * point into the frame's bytes: nothing is copied, so the frame must outlive the struct.
 * Writers append one whole packet to a struct tq_buf. Every reader is bounded and fuzzed
 * (tests/fuzz/mqtt_fuzz.c); a malformed packet is TQ_ERR_PARSE with a message in `diag`. */
#ifndef TQ_MQTT_H
#define TQ_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "status.h"

enum tq_mqtt_type {
    TQ_MQTT_CONNECT = 1,
    TQ_MQTT_CONNACK = 2,
    TQ_MQTT_PUBLISH = 3,
    TQ_MQTT_PUBACK = 4,
    TQ_MQTT_PUBREC = 5,
    TQ_MQTT_PUBREL = 6,
    TQ_MQTT_PUBCOMP = 7,
    TQ_MQTT_SUBSCRIBE = 8,
    TQ_MQTT_SUBACK = 9,
    TQ_MQTT_UNSUBSCRIBE = 10,
    TQ_MQTT_UNSUBACK = 11,
    TQ_MQTT_PINGREQ = 12,
    TQ_MQTT_PINGRESP = 13,
    TQ_MQTT_DISCONNECT = 14,
};

/* CONNACK return codes of MQTT 3.1.1 section 3.2.2.3. */
enum tq_mqtt_connack_rc {
    TQ_MQTT_ACCEPTED = 0,
    TQ_MQTT_REFUSED_PROTOCOL_VERSION = 1,
    TQ_MQTT_REFUSED_IDENTIFIER = 2,
    TQ_MQTT_REFUSED_SERVER_UNAVAILABLE = 3,
    TQ_MQTT_REFUSED_BAD_USERNAME_PASSWORD = 4,
    TQ_MQTT_REFUSED_NOT_AUTHORIZED = 5,
};

/* The largest remaining length the 4-byte variable integer can express. */
#define TQ_MQTT_MAX_REMAINING 268435455u
/* The most topic filters one SUBSCRIBE or UNSUBSCRIBE may carry here (AWS IoT allows 8). */
#define TQ_MQTT_MAX_FILTERS 32

struct tq_mqtt_str {
    const uint8_t *p;
    size_t len;
};

/* struct tq_mqtt_frame is one packet as framed on the wire. */
struct tq_mqtt_frame {
    uint8_t type;        /* enum tq_mqtt_type */
    uint8_t flags;       /* low nibble of the first byte */
    const uint8_t *body; /* variable header and payload */
    size_t body_len;
    size_t frame_len; /* fixed header + body: what to consume from the input */
};

/* tq_mqtt_frame_parse looks at the start of `data`. When a whole frame is there it fills `out`
 * and sets `*out_complete`; when more bytes are needed it clears `*out_complete` and succeeds.
 * A frame whose total length would exceed `max_frame_len` fails with TQ_ERR_LIMIT (as soon as
 * the length is known), a malformed length with TQ_ERR_PARSE. */
TQ_MUST_USE tq_status tq_mqtt_frame_parse(struct tq_diag *diag, struct tq_mqtt_frame *out,
                                          bool *out_complete, const uint8_t *data, size_t len,
                                          size_t max_frame_len);

/* tq_mqtt_type_name returns "CONNECT", "PUBLISH", ...; "RESERVED" for 0 and 15. */
const char *tq_mqtt_type_name(uint8_t type);

struct tq_mqtt_connect {
    struct tq_mqtt_str protocol_name; /* "MQTT" for 3.1.1, "MQIsdp" for 3.1 */
    uint8_t protocol_level;           /* 4 for 3.1.1, 5 for MQTT 5 */
    bool clean_session;
    uint16_t keep_alive; /* seconds */
    struct tq_mqtt_str client_id;
    bool has_will;
    uint8_t will_qos;
    bool will_retain;
    struct tq_mqtt_str will_topic;
    struct tq_mqtt_str will_message;
    bool has_username;
    struct tq_mqtt_str username;
    bool has_password;
    struct tq_mqtt_str password;
};

/* tq_mqtt_connect_read decodes a CONNECT frame. A protocol level other than 4 is *not* an
 * error here (the broker answers it with CONNACK rc 1); a level of 5 is reported as read so far. */
TQ_MUST_USE tq_status tq_mqtt_connect_read(struct tq_diag *diag, struct tq_mqtt_connect *out,
                                           const struct tq_mqtt_frame *frame);
/* tq_mqtt_connect_write appends a 3.1.1 CONNECT packet built from `in`. */
TQ_MUST_USE tq_status tq_mqtt_connect_write(struct tq_buf *out, const struct tq_mqtt_connect *in);

struct tq_mqtt_connack {
    bool session_present;
    uint8_t return_code; /* enum tq_mqtt_connack_rc */
};
TQ_MUST_USE tq_status tq_mqtt_connack_read(struct tq_diag *diag, struct tq_mqtt_connack *out,
                                           const struct tq_mqtt_frame *frame);
TQ_MUST_USE tq_status tq_mqtt_connack_write(struct tq_buf *out, const struct tq_mqtt_connack *in);

struct tq_mqtt_publish {
    bool dup;
    uint8_t qos;
    bool retain;
    struct tq_mqtt_str topic;
    uint16_t packet_id; /* only when qos > 0 */
    const uint8_t *payload;
    size_t payload_len;
};
/* tq_mqtt_publish_read rejects QoS 3, an empty topic, and wildcards in the topic name. */
TQ_MUST_USE tq_status tq_mqtt_publish_read(struct tq_diag *diag, struct tq_mqtt_publish *out,
                                           const struct tq_mqtt_frame *frame);
TQ_MUST_USE tq_status tq_mqtt_publish_write(struct tq_buf *out, const struct tq_mqtt_publish *in);

/* PUBACK, UNSUBACK (and PUBREC/PUBREL/PUBCOMP) carry only a packet identifier. */
TQ_MUST_USE tq_status tq_mqtt_packet_id_read(struct tq_diag *diag, uint16_t *out_packet_id,
                                             const struct tq_mqtt_frame *frame);
TQ_MUST_USE tq_status tq_mqtt_packet_id_write(struct tq_buf *out, enum tq_mqtt_type type,
                                              uint16_t packet_id);

struct tq_mqtt_subscribe {
    uint16_t packet_id;
    size_t num_filters;
    struct tq_mqtt_str filters[TQ_MQTT_MAX_FILTERS];
    uint8_t qos[TQ_MQTT_MAX_FILTERS]; /* requested QoS; unused for UNSUBSCRIBE */
};
/* tq_mqtt_subscribe_read decodes SUBSCRIBE (with QoS bytes) or UNSUBSCRIBE (without), chosen
 * by the frame's type. At least one filter is required; more than TQ_MQTT_MAX_FILTERS is
 * TQ_ERR_LIMIT. */
TQ_MUST_USE tq_status tq_mqtt_subscribe_read(struct tq_diag *diag, struct tq_mqtt_subscribe *out,
                                             const struct tq_mqtt_frame *frame);
/* tq_mqtt_subscribe_write appends a SUBSCRIBE (type TQ_MQTT_SUBSCRIBE) or UNSUBSCRIBE. */
TQ_MUST_USE tq_status tq_mqtt_subscribe_write(struct tq_buf *out, enum tq_mqtt_type type,
                                              const struct tq_mqtt_subscribe *in);

struct tq_mqtt_suback {
    uint16_t packet_id;
    size_t num_codes;
    uint8_t codes[TQ_MQTT_MAX_FILTERS]; /* granted QoS, or 0x80 for failure */
};
TQ_MUST_USE tq_status tq_mqtt_suback_read(struct tq_diag *diag, struct tq_mqtt_suback *out,
                                          const struct tq_mqtt_frame *frame);
TQ_MUST_USE tq_status tq_mqtt_suback_write(struct tq_buf *out, const struct tq_mqtt_suback *in);

/* tq_mqtt_empty_write appends a packet with no body: PINGREQ, PINGRESP or DISCONNECT. */
TQ_MUST_USE tq_status tq_mqtt_empty_write(struct tq_buf *out, enum tq_mqtt_type type);

/* tq_mqtt_topic_filter_valid checks the wildcard rules of MQTT 3.1.1 section 4.7.1. */
bool tq_mqtt_topic_filter_valid(struct tq_mqtt_str filter);

/* tq_mqtt_topic_matches is true when topic name `topic` matches filter `filter` ('+' one level,
 * '#' the rest; topics starting with '$' are not matched by a leading wildcard, section 4.7.2). */
bool tq_mqtt_topic_matches(struct tq_mqtt_str filter, struct tq_mqtt_str topic);

/* tq_mqtt_str_of wraps a NUL-terminated string. */
struct tq_mqtt_str tq_mqtt_str_of(const char *s);

#endif
