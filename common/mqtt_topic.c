/* Topic names and filters (MQTT 3.1.1 section 4.7). */
#include "mqtt_internal.h"

/* see mqtt.h */
bool tq_mqtt_topic_filter_valid(struct tq_mqtt_str filter)
{
    if (filter.len == 0 || !tq__mqtt_utf8_valid(filter))
        return false;
    for (size_t i = 0; i < filter.len; i++) {
        uint8_t ch = filter.p[i];
        bool starts_level = i == 0 || filter.p[i - 1] == '/';
        bool ends_level = i + 1 == filter.len || filter.p[i + 1] == '/';
        if (ch == '+' && !(starts_level && ends_level))
            return false;
        if (ch == '#' && !(starts_level && i + 1 == filter.len))
            return false;
    }
    return true;
}

/* see mqtt.h */
bool tq_mqtt_topic_matches(struct tq_mqtt_str filter, struct tq_mqtt_str topic)
{
    size_t f = 0, t = 0;
    if (topic.len > 0 && topic.p[0] == '$' && filter.len > 0 &&
        (filter.p[0] == '+' || filter.p[0] == '#'))
        return false;
    while (f < filter.len) {
        if (filter.p[f] == '#')
            return true; /* matches the parent level too: "a/#" matches "a" */
        if (filter.p[f] == '+') {
            while (t < topic.len && topic.p[t] != '/')
                t++;
            f++;
        } else {
            if (t >= topic.len || filter.p[f] != topic.p[t])
                return false;
            f++, t++;
        }
        /* "a/#" also matches "a": the filter has "/#" left and the topic is used up. */
        if (t == topic.len && f + 2 == filter.len && filter.p[f] == '/' && filter.p[f + 1] == '#')
            return true;
    }
    return t == topic.len;
}
