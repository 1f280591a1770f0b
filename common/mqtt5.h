/* mqtt5.h: MQTT 5.0 packet codec (OASIS mqtt-v5.0-os), beside the 3.1.1 one of mqtt.h.
 *
 * Conventions, the same as mqtt.h:
 * - Framing is version independent: tq_mqtt_frame_parse (mqtt.h) cuts a frame, bounded by the
 *   caller's maximum packet size; the readers below decode one frame each.
 * - Readers fill a struct whose strings point into the frame's bytes: nothing is copied, so the
 *   frame must outlive the struct. Writers append one whole packet to a struct tq_buf.
 * - Every reader is bounded (by the fixed capacities below, whatever counts the input claims)
 *   and fuzzed (tests/fuzz/mqtt5_fuzz.c). Unlike the 3.1.1 readers, they also require the
 *   Remaining Length in the fewest bytes [MQTT-1.5.5-1]. Failures map onto the reason code the
 *   receiver sends
 *   (section 4.13, "Handling errors"):
 *     TQ_ERR_PARSE       a Malformed Packet: answer 0x81 (CONNACK or DISCONNECT);
 *     TQ_ERR_PROTOCOL    a Protocol Error: answer 0x82;
 *     TQ_ERR_LIMIT       more items than a capacity below: answer 0x97 (Quota exceeded), or
 *                        0x95 (Packet too large) when tq_mqtt_frame_parse refused the frame;
 *     TQ_ERR_UNSUPPORTED a CONNECT of another protocol level: answer 0x84 (or 3.1.1 rc 1).
 *   `diag` says which rule was broken. Readers never check policy (client ID length, topic
 *   levels, ...): a well-formed packet the server does not accept gets a reason code from the
 *   tq_mqtt5_*_check functions below, with the caller's struct tq_mqtt5_limits.
 * - Writers refuse with TQ_ERR_USAGE, before appending anything, what the reader would refuse
 *   in properties (one not allowed in the packet, a value out of range, invalid UTF-8), reason
 *   codes (one the packet cannot carry), packet identifiers (0), QoS (3), topic names and
 *   filters, CONNECT's strings and subscription options. Past the buffer's max_len they fail
 *   with TQ_ERR_LIMIT, like every tq_buf writer (then part of the packet may be appended).
 * - A reader and its writer round-trip: write(read(frame)) reads back to equal fields (the bytes
 *   may differ: properties are written in identifier order, lengths minimally). */
#ifndef TQ_MQTT5_H
#define TQ_MQTT5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "mqtt.h"
#include "status.h"

/* The protocol level of MQTT 5.0 in CONNECT (section 3.1.2.2). */
#define TQ_MQTT5_LEVEL 5

/* The packet type of AUTH (section 3.15), reserved in 3.1.1, and the pseudo-type under which
 * the Will Properties of CONNECT are validated (type 0 is reserved in both versions). */
enum {
    TQ_MQTT5_WILL = 0,
    TQ_MQTT5_AUTH = 15,
};

/* Capacities: a reader refuses more than this with TQ_ERR_LIMIT. The callers' policy limits
 * (struct tq_mqtt5_limits) are smaller: AWS IoT allows 8 filters per SUBSCRIBE. */
#define TQ_MQTT5_MAX_FILTERS 32          /* topic filters per SUBSCRIBE or UNSUBSCRIBE */
#define TQ_MQTT5_MAX_USER_PROPS 32       /* User Property pairs per property set */
#define TQ_MQTT5_MAX_SUBSCRIPTION_IDS 32 /* Subscription Identifiers per PUBLISH */
/* The largest Variable Byte Integer (section 1.5.5), hence Subscription Identifier. */
#define TQ_MQTT5_VBI_MAX 268435455u

/* tq_mqtt5_vbi_read reads a Variable Byte Integer (section 1.5.5) from `c`: at most 4 bytes, in
 * the minimum number of bytes [MQTT-1.5.5-1]. Fails with TQ_ERR_PARSE (consuming nothing) when
 * truncated, longer than 4 bytes or not minimal. */
TQ_MUST_USE tq_status tq_mqtt5_vbi_read(struct tq_cursor *c, uint32_t *out);
/* tq_mqtt5_vbi_write appends `value` as a Variable Byte Integer; TQ_ERR_USAGE above
 * TQ_MQTT5_VBI_MAX. */
TQ_MUST_USE tq_status tq_mqtt5_vbi_write(struct tq_buf *out, uint32_t value);
/* tq_mqtt5_vbi_size is the number of bytes `value` takes as a Variable Byte Integer (1-4). */
size_t tq_mqtt5_vbi_size(uint32_t value);

/* tq_mqtt5_type_name is tq_mqtt_type_name, but "AUTH" for type 15. */
const char *tq_mqtt5_type_name(uint8_t type);

/* ---- Reason codes (section 2.4, Table 2-6) ----
 * One line per code: enumerator suffix, value, the specification's name, and the packets that
 * may carry it (as bits TQ_MQTT5_IN(type)). 0x00 is named after its packet by
 * tq_mqtt5_reason_name: "Normal disconnection" in DISCONNECT, "Granted QoS 0" in SUBACK. */
#define TQ_MQTT5_IN(type) (1u << (type))
#define TQ_MQTT5_RC_PUBACKS (TQ_MQTT5_IN(TQ_MQTT_PUBACK) | TQ_MQTT5_IN(TQ_MQTT_PUBREC))
#define TQ_MQTT5_RC_FAILURES                                                                       \
    (TQ_MQTT5_IN(TQ_MQTT_CONNACK) | TQ_MQTT5_RC_PUBACKS | TQ_MQTT5_IN(TQ_MQTT_SUBACK) |            \
     TQ_MQTT5_IN(TQ_MQTT_UNSUBACK) | TQ_MQTT5_IN(TQ_MQTT_DISCONNECT))
#define TQ_MQTT5_RC_CD (TQ_MQTT5_IN(TQ_MQTT_CONNACK) | TQ_MQTT5_IN(TQ_MQTT_DISCONNECT))
#define TQ_MQTT5_RC_D TQ_MQTT5_IN(TQ_MQTT_DISCONNECT)
#define TQ_MQTT5_RC_SD (TQ_MQTT5_IN(TQ_MQTT_SUBACK) | TQ_MQTT5_IN(TQ_MQTT_DISCONNECT))

#define TQ_MQTT5_REASON_TABLE(X)                                                                   \
    X(SUCCESS, 0x00, "Success",                                                                    \
      TQ_MQTT5_RC_FAILURES | TQ_MQTT5_IN(TQ_MQTT_PUBREL) | TQ_MQTT5_IN(TQ_MQTT_PUBCOMP) |          \
          TQ_MQTT5_IN(TQ_MQTT5_AUTH))                                                              \
    X(GRANTED_QOS_1, 0x01, "Granted QoS 1", TQ_MQTT5_IN(TQ_MQTT_SUBACK))                           \
    X(GRANTED_QOS_2, 0x02, "Granted QoS 2", TQ_MQTT5_IN(TQ_MQTT_SUBACK))                           \
    X(DISCONNECT_WITH_WILL, 0x04, "Disconnect with Will Message", TQ_MQTT5_RC_D)                   \
    X(NO_MATCHING_SUBSCRIBERS, 0x10, "No matching subscribers", TQ_MQTT5_RC_PUBACKS)               \
    X(NO_SUBSCRIPTION_EXISTED, 0x11, "No subscription existed", TQ_MQTT5_IN(TQ_MQTT_UNSUBACK))     \
    X(CONTINUE_AUTHENTICATION, 0x18, "Continue authentication", TQ_MQTT5_IN(TQ_MQTT5_AUTH))        \
    X(REAUTHENTICATE, 0x19, "Re-authenticate", TQ_MQTT5_IN(TQ_MQTT5_AUTH))                         \
    X(UNSPECIFIED_ERROR, 0x80, "Unspecified error", TQ_MQTT5_RC_FAILURES)                          \
    X(MALFORMED_PACKET, 0x81, "Malformed Packet", TQ_MQTT5_RC_CD)                                  \
    X(PROTOCOL_ERROR, 0x82, "Protocol Error", TQ_MQTT5_RC_CD)                                      \
    X(IMPLEMENTATION_SPECIFIC_ERROR, 0x83, "Implementation specific error", TQ_MQTT5_RC_FAILURES)  \
    X(UNSUPPORTED_PROTOCOL_VERSION, 0x84, "Unsupported Protocol Version",                          \
      TQ_MQTT5_IN(TQ_MQTT_CONNACK))                                                                \
    X(CLIENT_IDENTIFIER_NOT_VALID, 0x85, "Client Identifier not valid",                            \
      TQ_MQTT5_IN(TQ_MQTT_CONNACK))                                                                \
    X(BAD_USER_NAME_OR_PASSWORD, 0x86, "Bad User Name or Password", TQ_MQTT5_IN(TQ_MQTT_CONNACK))  \
    X(NOT_AUTHORIZED, 0x87, "Not authorized", TQ_MQTT5_RC_FAILURES)                                \
    X(SERVER_UNAVAILABLE, 0x88, "Server unavailable", TQ_MQTT5_IN(TQ_MQTT_CONNACK))                \
    X(SERVER_BUSY, 0x89, "Server busy", TQ_MQTT5_RC_CD)                                            \
    X(BANNED, 0x8A, "Banned", TQ_MQTT5_IN(TQ_MQTT_CONNACK))                                        \
    X(SERVER_SHUTTING_DOWN, 0x8B, "Server shutting down", TQ_MQTT5_RC_D)                           \
    X(BAD_AUTHENTICATION_METHOD, 0x8C, "Bad authentication method", TQ_MQTT5_RC_CD)                \
    X(KEEP_ALIVE_TIMEOUT, 0x8D, "Keep Alive timeout", TQ_MQTT5_RC_D)                               \
    X(SESSION_TAKEN_OVER, 0x8E, "Session taken over", TQ_MQTT5_RC_D)                               \
    X(TOPIC_FILTER_INVALID, 0x8F, "Topic Filter invalid",                                          \
      TQ_MQTT5_RC_SD | TQ_MQTT5_IN(TQ_MQTT_UNSUBACK))                                              \
    X(TOPIC_NAME_INVALID, 0x90, "Topic Name invalid", TQ_MQTT5_RC_CD | TQ_MQTT5_RC_PUBACKS)        \
    X(PACKET_IDENTIFIER_IN_USE, 0x91, "Packet Identifier in use",                                  \
      TQ_MQTT5_RC_PUBACKS | TQ_MQTT5_IN(TQ_MQTT_SUBACK) | TQ_MQTT5_IN(TQ_MQTT_UNSUBACK))           \
    X(PACKET_IDENTIFIER_NOT_FOUND, 0x92, "Packet Identifier not found",                            \
      TQ_MQTT5_IN(TQ_MQTT_PUBREL) | TQ_MQTT5_IN(TQ_MQTT_PUBCOMP))                                  \
    X(RECEIVE_MAXIMUM_EXCEEDED, 0x93, "Receive Maximum exceeded", TQ_MQTT5_RC_D)                   \
    X(TOPIC_ALIAS_INVALID, 0x94, "Topic Alias invalid", TQ_MQTT5_RC_D)                             \
    X(PACKET_TOO_LARGE, 0x95, "Packet too large", TQ_MQTT5_RC_CD)                                  \
    X(MESSAGE_RATE_TOO_HIGH, 0x96, "Message rate too high", TQ_MQTT5_RC_D)                         \
    X(QUOTA_EXCEEDED, 0x97, "Quota exceeded",                                                      \
      TQ_MQTT5_RC_CD | TQ_MQTT5_RC_PUBACKS | TQ_MQTT5_IN(TQ_MQTT_SUBACK))                          \
    X(ADMINISTRATIVE_ACTION, 0x98, "Administrative action", TQ_MQTT5_RC_D)                         \
    X(PAYLOAD_FORMAT_INVALID, 0x99, "Payload format invalid",                                      \
      TQ_MQTT5_RC_CD | TQ_MQTT5_RC_PUBACKS)                                                        \
    X(RETAIN_NOT_SUPPORTED, 0x9A, "Retain not supported", TQ_MQTT5_RC_CD)                          \
    X(QOS_NOT_SUPPORTED, 0x9B, "QoS not supported", TQ_MQTT5_RC_CD)                                \
    X(USE_ANOTHER_SERVER, 0x9C, "Use another server", TQ_MQTT5_RC_CD)                              \
    X(SERVER_MOVED, 0x9D, "Server moved", TQ_MQTT5_RC_CD)                                          \
    X(SHARED_SUBSCRIPTIONS_NOT_SUPPORTED, 0x9E, "Shared Subscriptions not supported",              \
      TQ_MQTT5_RC_SD)                                                                              \
    X(CONNECTION_RATE_EXCEEDED, 0x9F, "Connection rate exceeded", TQ_MQTT5_RC_CD)                  \
    X(MAXIMUM_CONNECT_TIME, 0xA0, "Maximum connect time", TQ_MQTT5_RC_D)                           \
    X(SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, 0xA1, "Subscription Identifiers not supported",      \
      TQ_MQTT5_RC_SD)                                                                              \
    X(WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED, 0xA2, "Wildcard Subscriptions not supported",          \
      TQ_MQTT5_RC_SD)

enum tq_mqtt5_reason {
    TQ_MQTT5_RC_NORMAL_DISCONNECTION = 0x00, /* 0x00 under its DISCONNECT and SUBACK names */
    TQ_MQTT5_RC_GRANTED_QOS_0 = 0x00,
#define TQ_X_REASON(suffix, value, text, packets) TQ_MQTT5_RC_##suffix = value,
    TQ_MQTT5_REASON_TABLE(TQ_X_REASON)
#undef TQ_X_REASON
};

/* tq_mqtt5_reason_name returns the specification's name of `code` as carried by a packet of
 * `type` ("Session taken over"; for 0x00 "Success", "Normal disconnection" or "Granted QoS 0"),
 * or "Unknown reason code" for a value not in Table 2-6. Never NULL. */
const char *tq_mqtt5_reason_name(uint8_t type, uint8_t code);

/* tq_mqtt5_reason_allowed is true when a packet of `type` may carry `code` (section 3.x.2 of
 * each packet; SUBACK and UNSUBACK for each code of their payload). */
bool tq_mqtt5_reason_allowed(uint8_t type, uint8_t code);

/* ---- Properties (section 2.2.2) ---- */

/* Property identifiers of Table 2-4. */
enum tq_mqtt5_prop {
    TQ_MQTT5_PROP_PAYLOAD_FORMAT = 0x01,
    TQ_MQTT5_PROP_MESSAGE_EXPIRY = 0x02,
    TQ_MQTT5_PROP_CONTENT_TYPE = 0x03,
    TQ_MQTT5_PROP_RESPONSE_TOPIC = 0x08,
    TQ_MQTT5_PROP_CORRELATION_DATA = 0x09,
    TQ_MQTT5_PROP_SUBSCRIPTION_ID = 0x0B,
    TQ_MQTT5_PROP_SESSION_EXPIRY = 0x11,
    TQ_MQTT5_PROP_ASSIGNED_CLIENT_ID = 0x12,
    TQ_MQTT5_PROP_SERVER_KEEP_ALIVE = 0x13,
    TQ_MQTT5_PROP_AUTH_METHOD = 0x15,
    TQ_MQTT5_PROP_AUTH_DATA = 0x16,
    TQ_MQTT5_PROP_REQUEST_PROBLEM_INFO = 0x17,
    TQ_MQTT5_PROP_WILL_DELAY = 0x18,
    TQ_MQTT5_PROP_REQUEST_RESPONSE_INFO = 0x19,
    TQ_MQTT5_PROP_RESPONSE_INFO = 0x1A,
    TQ_MQTT5_PROP_SERVER_REFERENCE = 0x1C,
    TQ_MQTT5_PROP_REASON_STRING = 0x1F,
    TQ_MQTT5_PROP_RECEIVE_MAXIMUM = 0x21,
    TQ_MQTT5_PROP_TOPIC_ALIAS_MAXIMUM = 0x22,
    TQ_MQTT5_PROP_TOPIC_ALIAS = 0x23,
    TQ_MQTT5_PROP_MAXIMUM_QOS = 0x24,
    TQ_MQTT5_PROP_RETAIN_AVAILABLE = 0x25,
    TQ_MQTT5_PROP_USER_PROPERTY = 0x26,
    TQ_MQTT5_PROP_MAXIMUM_PACKET_SIZE = 0x27,
    TQ_MQTT5_PROP_WILDCARD_SUB_AVAILABLE = 0x28,
    TQ_MQTT5_PROP_SUBSCRIPTION_ID_AVAILABLE = 0x29,
    TQ_MQTT5_PROP_SHARED_SUB_AVAILABLE = 0x2A,
};

/* TQ_MQTT5_PROP_BIT is the bit of property `id` in struct tq_mqtt5_props.present. */
#define TQ_MQTT5_PROP_BIT(id) ((uint64_t)1 << (id))

struct tq_mqtt5_user_prop {
    struct tq_mqtt_str name;
    struct tq_mqtt_str value;
};

/* struct tq_mqtt5_props is one set of properties, of any packet. A scalar property is present
 * when its bit is set in `present` (TQ_MQTT5_PROP_BIT); absent ones are left 0 and mean the
 * specification's default, which the reader does not fill in. User Property and Subscription
 * Identifier may repeat: their counts say how many there are (a reader also sets their bit when
 * the count is not 0; a writer uses the count). Byte properties that the specification limits to
 * 0 or 1 hold 0 or 1. */
struct tq_mqtt5_props {
    uint64_t present;
    uint8_t payload_format;              /* 0x01: 0 unspecified bytes, 1 UTF-8 */
    uint32_t message_expiry;             /* 0x02: seconds */
    struct tq_mqtt_str content_type;     /* 0x03 */
    struct tq_mqtt_str response_topic;   /* 0x08: a topic name, no wildcards */
    struct tq_mqtt_str correlation_data; /* 0x09: binary */
    size_t num_subscription_ids;         /* 0x0B: 1..TQ_MQTT5_VBI_MAX each; several in PUBLISH */
    uint32_t subscription_ids[TQ_MQTT5_MAX_SUBSCRIPTION_IDS];
    uint32_t session_expiry;               /* 0x11: seconds; 0xFFFFFFFF never */
    struct tq_mqtt_str assigned_client_id; /* 0x12 */
    uint16_t server_keep_alive;            /* 0x13: seconds */
    struct tq_mqtt_str auth_method;        /* 0x15 */
    struct tq_mqtt_str auth_data;          /* 0x16: binary; only with auth_method */
    uint8_t request_problem_info;          /* 0x17: 0 or 1 */
    uint32_t will_delay;                   /* 0x18: seconds */
    uint8_t request_response_info;         /* 0x19: 0 or 1 */
    struct tq_mqtt_str response_info;      /* 0x1A */
    struct tq_mqtt_str server_reference;   /* 0x1C */
    struct tq_mqtt_str reason_string;      /* 0x1F */
    uint16_t receive_maximum;              /* 0x21: not 0 */
    uint16_t topic_alias_maximum;          /* 0x22 */
    uint16_t topic_alias;                  /* 0x23: not 0 */
    uint8_t maximum_qos;                   /* 0x24: 0 or 1 */
    uint8_t retain_available;              /* 0x25: 0 or 1 */
    size_t num_user_props;                 /* 0x26 */
    struct tq_mqtt5_user_prop user_props[TQ_MQTT5_MAX_USER_PROPS];
    uint32_t maximum_packet_size;      /* 0x27: not 0 */
    uint8_t wildcard_sub_available;    /* 0x28: 0 or 1 */
    uint8_t subscription_id_available; /* 0x29: 0 or 1 */
    uint8_t shared_sub_available;      /* 0x2A: 0 or 1 */
};

/* tq_mqtt5_props_has is true when property `id` is in `props` (for the repeatable ones: at
 * least once). */
bool tq_mqtt5_props_has(const struct tq_mqtt5_props *props, enum tq_mqtt5_prop id);

/* tq_mqtt5_props_equal is true when `a` and `b` hold the same properties with the same values
 * (strings by content; user properties and subscription identifiers in the same order). */
bool tq_mqtt5_props_equal(const struct tq_mqtt5_props *a, const struct tq_mqtt5_props *b);

/* tq_mqtt5_prop_name returns "Session Expiry Interval", ...; "unknown property" otherwise. */
const char *tq_mqtt5_prop_name(uint32_t id);

/* tq_mqtt5_prop_allowed is true when property `id` may appear in a packet of `type`
 * (TQ_MQTT5_WILL for the Will Properties of CONNECT), per Table 2-4. */
bool tq_mqtt5_prop_allowed(uint8_t type, uint32_t id);

/* ---- CONNECT, CONNACK (sections 3.1, 3.2) ---- */

struct tq_mqtt5_connect {
    bool clean_start;
    uint16_t keep_alive;          /* seconds */
    struct tq_mqtt5_props props;  /* CONNECT properties */
    struct tq_mqtt_str client_id; /* may be empty: the server assigns one */
    bool has_will;
    uint8_t will_qos;
    bool will_retain;
    struct tq_mqtt5_props will_props; /* Will Properties */
    struct tq_mqtt_str will_topic;
    struct tq_mqtt_str will_payload; /* binary */
    bool has_username;
    struct tq_mqtt_str username;
    bool has_password;           /* MQTT 5 allows a password without a user name */
    struct tq_mqtt_str password; /* binary */
};

/* tq_mqtt5_connect_read decodes a CONNECT frame of protocol level 5. Another level fails with
 * TQ_ERR_UNSUPPORTED; callers that accept 3.1.1 too read the level with tq_mqtt_connect_read
 * (mqtt.h) first, which stops after the header for any level but 4. */
TQ_MUST_USE tq_status tq_mqtt5_connect_read(struct tq_diag *diag, struct tq_mqtt5_connect *out,
                                            const struct tq_mqtt_frame *frame);
/* tq_mqtt5_connect_write appends a level-5 CONNECT built from `in`. */
TQ_MUST_USE tq_status tq_mqtt5_connect_write(struct tq_buf *out, const struct tq_mqtt5_connect *in);

struct tq_mqtt5_connack {
    bool session_present; /* only with reason 0 [MQTT-3.2.2-6] */
    uint8_t reason;       /* enum tq_mqtt5_reason allowed in CONNACK */
    struct tq_mqtt5_props props;
};
TQ_MUST_USE tq_status tq_mqtt5_connack_read(struct tq_diag *diag, struct tq_mqtt5_connack *out,
                                            const struct tq_mqtt_frame *frame);
TQ_MUST_USE tq_status tq_mqtt5_connack_write(struct tq_buf *out, const struct tq_mqtt5_connack *in);

/* ---- PUBLISH and its acknowledgements (sections 3.3 to 3.7) ---- */

struct tq_mqtt5_publish {
    bool dup;
    uint8_t qos;
    bool retain;
    struct tq_mqtt_str topic; /* empty only with a Topic Alias property */
    uint16_t packet_id;       /* only when qos > 0 */
    struct tq_mqtt5_props props;
    const uint8_t *payload;
    size_t payload_len;
};
/* tq_mqtt5_publish_read rejects QoS 3, DUP on QoS 0, wildcards in the topic (TQ_ERR_PARSE) and
 * an empty topic without a Topic Alias (TQ_ERR_PROTOCOL). */
TQ_MUST_USE tq_status tq_mqtt5_publish_read(struct tq_diag *diag, struct tq_mqtt5_publish *out,
                                            const struct tq_mqtt_frame *frame);
TQ_MUST_USE tq_status tq_mqtt5_publish_write(struct tq_buf *out, const struct tq_mqtt5_publish *in);

/* struct tq_mqtt5_ack is PUBACK, PUBREC, PUBREL or PUBCOMP. */
struct tq_mqtt5_ack {
    uint16_t packet_id;
    uint8_t reason;              /* allowed for the packet type; 0 when the wire omits it */
    struct tq_mqtt5_props props; /* Reason String, User Property */
};
/* tq_mqtt5_ack_read decodes the acknowledgement of the frame's type, in any of its three
 * lengths (packet identifier only; and reason code; and properties: section 3.4.2.1). */
TQ_MUST_USE tq_status tq_mqtt5_ack_read(struct tq_diag *diag, struct tq_mqtt5_ack *out,
                                        const struct tq_mqtt_frame *frame);
/* tq_mqtt5_ack_write appends one of `type` PUBACK, PUBREC, PUBREL or PUBCOMP, in its shortest
 * form (2 bytes for success without properties). */
TQ_MUST_USE tq_status tq_mqtt5_ack_write(struct tq_buf *out, enum tq_mqtt_type type,
                                         const struct tq_mqtt5_ack *in);

/* ---- SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (sections 3.8 to 3.11) ---- */

/* Retain Handling of the Subscription Options (section 3.8.3.1). */
enum tq_mqtt5_retain_handling {
    TQ_MQTT5_RETAIN_SEND = 0,        /* send retained messages at subscribe time */
    TQ_MQTT5_RETAIN_SEND_IF_NEW = 1, /* only if the subscription did not exist */
    TQ_MQTT5_RETAIN_DO_NOT_SEND = 2,
};

struct tq_mqtt5_subscription {
    struct tq_mqtt_str filter; /* a topic filter or "$share/{ShareName}/{filter}" */
    uint8_t qos;               /* Maximum QoS 0-2 */
    bool no_local;
    bool retain_as_published;
    uint8_t retain_handling; /* enum tq_mqtt5_retain_handling */
};

struct tq_mqtt5_subscribe {
    uint16_t packet_id;
    struct tq_mqtt5_props props; /* SUBSCRIBE: Subscription Identifier, User Property */
    size_t num_filters;
    struct tq_mqtt5_subscription subs[TQ_MQTT5_MAX_FILTERS]; /* UNSUBSCRIBE: filters only */
};
/* tq_mqtt5_subscribe_read decodes a SUBSCRIBE (with Subscription Options) or an UNSUBSCRIBE
 * (filters only, options left 0), chosen by the frame's type. Filters follow section 4.7.1 and,
 * for "$share/", section 4.8.2; reserved option bits are TQ_ERR_PARSE; QoS 3, Retain Handling
 * 3, No Local on a shared subscription, more than one Subscription Identifier and no filter at
 * all are TQ_ERR_PROTOCOL; more than TQ_MQTT5_MAX_FILTERS is TQ_ERR_LIMIT. */
TQ_MUST_USE tq_status tq_mqtt5_subscribe_read(struct tq_diag *diag, struct tq_mqtt5_subscribe *out,
                                              const struct tq_mqtt_frame *frame);
/* tq_mqtt5_subscribe_write appends a SUBSCRIBE (type TQ_MQTT_SUBSCRIBE) or UNSUBSCRIBE. */
TQ_MUST_USE tq_status tq_mqtt5_subscribe_write(struct tq_buf *out, enum tq_mqtt_type type,
                                               const struct tq_mqtt5_subscribe *in);

/* struct tq_mqtt5_suback is SUBACK or UNSUBACK: one reason code per filter of the request. */
struct tq_mqtt5_suback {
    uint16_t packet_id;
    struct tq_mqtt5_props props; /* Reason String, User Property */
    size_t num_codes;
    uint8_t codes[TQ_MQTT5_MAX_FILTERS];
};
/* tq_mqtt5_suback_read decodes a SUBACK or UNSUBACK (by the frame's type); every code must be
 * allowed in that packet. */
TQ_MUST_USE tq_status tq_mqtt5_suback_read(struct tq_diag *diag, struct tq_mqtt5_suback *out,
                                           const struct tq_mqtt_frame *frame);
TQ_MUST_USE tq_status tq_mqtt5_suback_write(struct tq_buf *out, enum tq_mqtt_type type,
                                            const struct tq_mqtt5_suback *in);

/* tq_mqtt5_filter_valid checks a topic filter: the wildcard rules of section 4.7.1 (as
 * tq_mqtt_topic_filter_valid) and, when it starts with "$share/", the Shared Subscription form
 * "$share/{ShareName}/{filter}" of section 4.8.2 (a ShareName of at least one character without
 * "/", "+" or "#", then "/" and a valid filter). */
bool tq_mqtt5_filter_valid(struct tq_mqtt_str filter);

/* tq_mqtt5_filter_shared is true when `filter` is a Shared Subscription; then `*out_share` is
 * the ShareName and `*out_filter` the filter after it (either pointer may be NULL). Call it on a
 * filter tq_mqtt5_filter_valid accepts. */
bool tq_mqtt5_filter_shared(struct tq_mqtt_str filter, struct tq_mqtt_str *out_share,
                            struct tq_mqtt_str *out_filter);

/* ---- DISCONNECT and AUTH (sections 3.14, 3.15) ---- */

/* struct tq_mqtt5_disconnect is DISCONNECT (either direction) or AUTH. */
struct tq_mqtt5_disconnect {
    uint8_t reason;              /* 0 when the wire omits it */
    struct tq_mqtt5_props props; /* DISCONNECT: Session Expiry Interval, Reason String, Server
                                    * Reference, User Property; AUTH: Authentication Method and
                                    * Data, Reason String, User Property */
};
/* tq_mqtt5_disconnect_read decodes a DISCONNECT or an AUTH frame (by its type). DISCONNECT may
 * omit the properties or both fields (Remaining Length 1 or 0); AUTH only both. Rules that
 * depend on the direction or on the CONNECT (a Session Expiry Interval sent by the server, or
 * non-zero after 0 in CONNECT) are the caller's. */
TQ_MUST_USE tq_status tq_mqtt5_disconnect_read(struct tq_diag *diag,
                                               struct tq_mqtt5_disconnect *out,
                                               const struct tq_mqtt_frame *frame);
/* tq_mqtt5_disconnect_write appends a DISCONNECT or AUTH (`type`) in its shortest form. */
TQ_MUST_USE tq_status tq_mqtt5_disconnect_write(struct tq_buf *out, uint8_t type,
                                                const struct tq_mqtt5_disconnect *in);

/* PINGREQ and PINGRESP are the same in both versions: tq_mqtt_empty_write (mqtt.h). */

/* ---- Policy limits, and what a server answers when a packet exceeds them ---- */

/* struct tq_mqtt5_limits is what a server accepts, given by the caller. The codec hard-codes
 * none of it; tq_mqtt5_aws_limits holds AWS IoT Core's values. A limit of 0 means "no limit"
 * for the lengths and counts. */
struct tq_mqtt5_limits {
    uint32_t maximum_packet_size; /* whole packets, bytes (CONNACK Maximum Packet Size) */
    uint16_t max_client_id_len;   /* bytes */
    uint16_t max_topic_len;       /* bytes of a topic name */
    uint16_t max_topic_slashes;   /* '/' in a topic name or filter (of a shared filter: after
                                    * "$share/{ShareName}/") */
    bool rules_prefix_uncounted;  /* "$aws/rules/{rule}/" counts toward neither length nor
                                    * slashes (AWS IoT Basic Ingest) */
    uint16_t max_filters;         /* per SUBSCRIBE or UNSUBSCRIBE */
    uint16_t topic_alias_maximum; /* highest Topic Alias accepted; 0 none */
    uint8_t maximum_qos;          /* 0, 1 or 2 */
    bool retain_available;
    bool wildcard_sub_available;
    bool subscription_id_available;
    bool shared_sub_available;
    bool auth_method_available; /* accepts enhanced authentication (Authentication Method) */
};

/* tq_mqtt5_aws_limits: AWS IoT Core's published limits (docs/aws-iot/mqtt.md). */
extern const struct tq_mqtt5_limits tq_mqtt5_aws_limits;

/* tq_mqtt5_connack_capabilities sets, in `props`, the CONNACK properties that tell a client
 * `limits` (Maximum Packet Size, Topic Alias Maximum, and, where they differ from the
 * specification's default, Maximum QoS, Retain Available and the three Subscription
 * Available properties). Other properties of `props` are left as they are. */
void tq_mqtt5_connack_capabilities(struct tq_mqtt5_props *props,
                                   const struct tq_mqtt5_limits *limits);

/* tq_mqtt5_topic_within is true when topic name (or, with `is_filter`, filter) `topic` keeps to
 * the length and slash limits of `limits`. */
bool tq_mqtt5_topic_within(const struct tq_mqtt5_limits *limits, struct tq_mqtt_str topic,
                           bool is_filter);

/* tq_mqtt5_connect_check returns the CONNACK reason code for a decoded CONNECT under `limits`:
 * 0x00 when it is within them; 0x85 Client Identifier not valid (too long), 0x8C Bad
 * authentication method (an Authentication Method without auth_method_available), 0x90 Topic
 * Name invalid (the will topic), 0x9B QoS not supported (will QoS above maximum_qos), 0x9A
 * Retain not supported (will retain). The first failing check wins, in that order. */
uint8_t tq_mqtt5_connect_check(const struct tq_mqtt5_limits *limits,
                               const struct tq_mqtt5_connect *c);

/* tq_mqtt5_publish_check returns the reason code for a decoded PUBLISH received by a server
 * under `limits`: 0x00, or 0x82 Protocol Error (a Subscription Identifier from a client,
 * [MQTT-3.3.4-6]), 0x94 Topic Alias invalid (above topic_alias_maximum), 0x90 Topic Name
 * invalid, 0x9B QoS not supported, 0x9A Retain not supported. 0x82, 0x94, 0x9B and 0x9A close
 * the connection (DISCONNECT, sections 3.3.2.3.4 and 3.2.2.3.4); 0x90 may be a PUBACK. */
uint8_t tq_mqtt5_publish_check(const struct tq_mqtt5_limits *limits,
                               const struct tq_mqtt5_publish *p);

/* tq_mqtt5_subscribe_check fills `out_codes[i]` (one per filter of `sub`) with the SUBACK (for
 * `type` TQ_MQTT_SUBSCRIBE) or UNSUBACK reason code under `limits`, and returns a DISCONNECT
 * reason code for the packet as a whole: 0x00, or 0xA1 Subscription Identifiers not supported.
 * Per filter: past max_filters 0x97 Quota exceeded (UNSUBACK: 0x83 Implementation specific
 * error, as it cannot carry 0x97), 0x8F Topic Filter invalid (length or slashes), 0x9E / 0xA2
 * (shared or wildcard not available), else for SUBSCRIBE the granted QoS (the requested one,
 * at most maximum_qos) and for UNSUBSCRIBE 0x00. Every code is one the answer may carry. */
uint8_t tq_mqtt5_subscribe_check(const struct tq_mqtt5_limits *limits, enum tq_mqtt_type type,
                                 const struct tq_mqtt5_subscribe *sub, uint8_t *out_codes);

#endif
