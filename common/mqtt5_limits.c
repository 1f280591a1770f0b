/* Policy limits of an MQTT 5 server, AWS IoT Core's values, and the reason codes a server
 * answers when a well-formed packet goes past them. */
#include <strings.h>

#include "mqtt5_internal.h"

/* see mqtt5.h */
const struct tq_mqtt5_limits tq_mqtt5_aws_limits = {
    /* docs/aws-iot/mqtt.md#packet-size: "Maximum packet size 128 KB". */
    .maximum_packet_size = 128 * 1024,
    /* docs/aws-iot/mqtt.md#client-id-limits: "Max 128 bytes". */
    .max_client_id_len = 128,
    /* docs/aws-iot/mqtt.md#topic-limits and docs/aws-iot/mqtt.md#subscribe-limits (AWS SDK
     * AwsIotCoreDefaults): "Topics must be <= 256 bytes in length", "Topics and topic filters
     * have a maximum of 7 slashes (8 segments), not counting any AWS rules prefix", "No more
     * than 8 subscriptions per SUBSCRIBE packet". aws-c-mqtt skips "$aws/rules/{rule}/" before
     * counting both. */
    .max_topic_len = 256,
    .max_topic_slashes = 7,
    .rules_prefix_uncounted = true,
    .max_filters = 8,
    /* docs/aws-iot/mqtt.md#topic-aliases: the CONNACK of AWS IoT Core carries Topic Alias Maximum 8
     * (observed, awslabs/aws-crt-java issue #618; not in the AWS developer guide). */
    .topic_alias_maximum = 8,
    /* docs/aws-iot/mqtt.md#qos: "QoS 0 and 1 only". */
    .maximum_qos = 1,
    /* docs/aws-iot/mqtt.md#retained-messages: AWS IoT Core "supports the RETAIN flag" (developer
     * guide, "MQTT retained messages"); docs/aws-iot/mqtt.md#mqtt5-properties: Retain Available
     * and Wildcard Subscription Available are 1. */
    .retain_available = true,
    .wildcard_sub_available = true,
    /* docs/aws-iot/mqtt.md#subscription-identifiers: Subscription Identifiers are not supported
     * (re:Post QUF0gW3T7JSWOeRfHK79YpHQ). */
    .subscription_id_available = false,
    /* docs/aws-iot/mqtt.md#shared-subscriptions: AWS IoT Core takes Shared Subscriptions
     * ("$share/") in MQTT 3.1.1 and MQTT 5 alike. */
    .shared_sub_available = true,
    /* docs/aws-iot/mqtt.md#unsupported-packets: "No ... AUTH (MQTT 5)": no enhanced
     * authentication. */
    .auth_method_available = false,
};

static void set_byte(struct tq_mqtt5_props *props, enum tq_mqtt5_prop id, uint8_t *field,
                     uint8_t value, uint8_t spec_default)
{
    /* Absent means the specification's default (section 3.2.2.3): only differences are sent. */
    if (value == spec_default)
        return;
    *field = value;
    props->present |= TQ_MQTT5_PROP_BIT(id);
}

/* see mqtt5.h */
void tq_mqtt5_connack_capabilities(struct tq_mqtt5_props *props,
                                   const struct tq_mqtt5_limits *limits)
{
    if (limits->maximum_packet_size > 0) {
        props->maximum_packet_size = limits->maximum_packet_size;
        props->present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_MAXIMUM_PACKET_SIZE);
    }
    if (limits->topic_alias_maximum > 0) { /* absent: 0, no aliases [MQTT-3.2.2-18] */
        props->topic_alias_maximum = limits->topic_alias_maximum;
        props->present |= TQ_MQTT5_PROP_BIT(TQ_MQTT5_PROP_TOPIC_ALIAS_MAXIMUM);
    }
    /* Maximum QoS may only be 0 or 1 on the wire; absent means 2. */
    set_byte(props, TQ_MQTT5_PROP_MAXIMUM_QOS, &props->maximum_qos,
             limits->maximum_qos >= 2 ? 2 : limits->maximum_qos, 2);
    set_byte(props, TQ_MQTT5_PROP_RETAIN_AVAILABLE, &props->retain_available,
             limits->retain_available, 1);
    set_byte(props, TQ_MQTT5_PROP_WILDCARD_SUB_AVAILABLE, &props->wildcard_sub_available,
             limits->wildcard_sub_available, 1);
    set_byte(props, TQ_MQTT5_PROP_SUBSCRIPTION_ID_AVAILABLE, &props->subscription_id_available,
             limits->subscription_id_available, 1);
    set_byte(props, TQ_MQTT5_PROP_SHARED_SUB_AVAILABLE, &props->shared_sub_available,
             limits->shared_sub_available, 1);
}

/* skip_rules_prefix drops "$aws/rules/{rule}/" (compared without case, as aws-c-mqtt does). */
static struct tq_mqtt_str skip_rules_prefix(struct tq_mqtt_str t)
{
    static const char prefix[] = "$aws/rules/";
    size_t n = sizeof(prefix) - 1;
    if (t.len <= n || strncasecmp((const char *)t.p, prefix, n) != 0)
        return t;
    for (size_t i = n; i < t.len; i++)
        if (t.p[i] == '/')
            return (struct tq_mqtt_str){.p = t.p + i + 1, .len = t.len - i - 1};
    return t;
}

/* see mqtt5.h */
bool tq_mqtt5_topic_within(const struct tq_mqtt5_limits *limits, struct tq_mqtt_str topic,
                           bool is_filter)
{
    struct tq_mqtt_str inner;
    if (is_filter && tq_mqtt5_filter_shared(topic, NULL, &inner))
        topic = inner;
    if (limits->rules_prefix_uncounted)
        topic = skip_rules_prefix(topic);
    if (!is_filter && limits->max_topic_len > 0 && topic.len > limits->max_topic_len)
        return false;
    size_t slashes = 0;
    for (size_t i = 0; i < topic.len; i++)
        slashes += topic.p[i] == '/';
    return limits->max_topic_slashes == 0 || slashes <= limits->max_topic_slashes;
}

/* see mqtt5.h */
uint8_t tq_mqtt5_connect_check(const struct tq_mqtt5_limits *limits,
                               const struct tq_mqtt5_connect *c)
{
    if (limits->max_client_id_len > 0 && c->client_id.len > limits->max_client_id_len)
        return TQ_MQTT5_RC_CLIENT_IDENTIFIER_NOT_VALID;
    /* [MQTT-4.12.0-1]: an Authentication Method the server does not support gets 0x8C. */
    if (!limits->auth_method_available && tq_mqtt5_props_has(&c->props, TQ_MQTT5_PROP_AUTH_METHOD))
        return TQ_MQTT5_RC_BAD_AUTHENTICATION_METHOD;
    if (!c->has_will)
        return TQ_MQTT5_RC_SUCCESS;
    if (!tq_mqtt5_topic_within(limits, c->will_topic, false))
        return TQ_MQTT5_RC_TOPIC_NAME_INVALID;
    /* Sections 3.2.2.3.4 and 3.2.2.3.5: a will QoS or retain the server does not support. */
    if (c->will_qos > limits->maximum_qos)
        return TQ_MQTT5_RC_QOS_NOT_SUPPORTED;
    if (c->will_retain && !limits->retain_available)
        return TQ_MQTT5_RC_RETAIN_NOT_SUPPORTED;
    return TQ_MQTT5_RC_SUCCESS;
}

/* see mqtt5.h */
uint8_t tq_mqtt5_publish_check(const struct tq_mqtt5_limits *limits,
                               const struct tq_mqtt5_publish *p)
{
    if (p->props.num_subscription_ids > 0) /* [MQTT-3.3.4-6] */
        return TQ_MQTT5_RC_PROTOCOL_ERROR;
    /* [MQTT-3.3.2-9]: a Topic Alias above the server's Topic Alias Maximum. */
    if (tq_mqtt5_props_has(&p->props, TQ_MQTT5_PROP_TOPIC_ALIAS) &&
        p->props.topic_alias > limits->topic_alias_maximum)
        return TQ_MQTT5_RC_TOPIC_ALIAS_INVALID;
    if (!tq_mqtt5_topic_within(limits, p->topic, false))
        return TQ_MQTT5_RC_TOPIC_NAME_INVALID;
    /* Sections 3.2.2.3.4 and 3.2.2.3.5: QoS or RETAIN the server said it does not support. */
    if (p->qos > limits->maximum_qos)
        return TQ_MQTT5_RC_QOS_NOT_SUPPORTED;
    if (p->retain && !limits->retain_available)
        return TQ_MQTT5_RC_RETAIN_NOT_SUPPORTED;
    return TQ_MQTT5_RC_SUCCESS;
}

static bool has_wildcard(struct tq_mqtt_str filter)
{
    for (size_t i = 0; i < filter.len; i++)
        if (filter.p[i] == '+' || filter.p[i] == '#')
            return true;
    return false;
}

static uint8_t filter_code(const struct tq_mqtt5_limits *limits, enum tq_mqtt_type type,
                           const struct tq_mqtt5_subscription *s, size_t index)
{
    /* UNSUBACK cannot carry 0x97 (Table 2-6); 0x83 is "valid but the Server does not accept
     * it". */
    if (limits->max_filters > 0 && index >= limits->max_filters)
        return type == TQ_MQTT_SUBSCRIBE ? TQ_MQTT5_RC_QUOTA_EXCEEDED
                                         : TQ_MQTT5_RC_IMPLEMENTATION_SPECIFIC_ERROR;
    if (!tq_mqtt5_topic_within(limits, s->filter, true))
        return TQ_MQTT5_RC_TOPIC_FILTER_INVALID;
    if (type != TQ_MQTT_SUBSCRIBE)
        return TQ_MQTT5_RC_SUCCESS;
    /* Sections 3.2.2.3.11 and 3.2.2.3.13: such a subscription is a Protocol Error the server
     * may close with DISCONNECT 0xA2 / 0x9E; Table 2-6 also lets SUBACK refuse it alone. */
    if (!limits->shared_sub_available && tq_mqtt5_filter_shared(s->filter, NULL, NULL))
        return TQ_MQTT5_RC_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED;
    if (!limits->wildcard_sub_available && has_wildcard(s->filter))
        return TQ_MQTT5_RC_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED;
    return s->qos < limits->maximum_qos ? s->qos : limits->maximum_qos;
}

/* see mqtt5.h */
uint8_t tq_mqtt5_subscribe_check(const struct tq_mqtt5_limits *limits, enum tq_mqtt_type type,
                                 const struct tq_mqtt5_subscribe *sub, uint8_t *out_codes)
{
    for (size_t i = 0; i < sub->num_filters && i < TQ_MQTT5_MAX_FILTERS; i++)
        out_codes[i] = filter_code(limits, type, &sub->subs[i], i);
    /* Section 3.2.2.3.12: a Subscription Identifier to a server without them is answered with
     * DISCONNECT 0xA1. */
    if (type == TQ_MQTT_SUBSCRIBE && !limits->subscription_id_available &&
        sub->props.num_subscription_ids > 0)
        return TQ_MQTT5_RC_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED;
    return TQ_MQTT5_RC_SUCCESS;
}
