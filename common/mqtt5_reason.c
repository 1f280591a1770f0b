/* MQTT 5.0 reason codes (section 2.4, Table 2-6): names and the packets that carry each. */
#include "mqtt5_internal.h"

struct reason_def {
    uint8_t code;
    uint32_t packets;
    const char *name;
};

static const struct reason_def reasons[] = {
#define TQ_X_REASON(suffix, value, text, packets) {value, packets, text},
    TQ_MQTT5_REASON_TABLE(TQ_X_REASON)
#undef TQ_X_REASON
};

static const struct reason_def *reason_def_of(uint8_t code)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].code == code)
            return &reasons[i];
    return NULL;
}

/* see mqtt5.h */
const char *tq_mqtt5_reason_name(uint8_t type, uint8_t code)
{
    /* Table 2-6 names 0x00 after the packet: "Normal disconnection", "Granted QoS 0". */
    if (code == TQ_MQTT5_RC_SUCCESS && type == TQ_MQTT_DISCONNECT)
        return "Normal disconnection";
    if (code == TQ_MQTT5_RC_SUCCESS && type == TQ_MQTT_SUBACK)
        return "Granted QoS 0";
    const struct reason_def *d = reason_def_of(code);
    return d ? d->name : "Unknown reason code";
}

/* see mqtt5.h */
bool tq_mqtt5_reason_allowed(uint8_t type, uint8_t code)
{
    const struct reason_def *d = reason_def_of(code);
    return d != NULL && type < 16 && (d->packets & TQ_MQTT5_IN(type)) != 0;
}
