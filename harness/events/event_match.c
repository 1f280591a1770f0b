#include "event_match.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct pattern {
    char buf[TQ_EVENT_PATTERN_MAX + 1];
    const char *event;
    size_t num_fields;
    const char *keys[TQ_EVENT_PATTERN_FIELDS];
    const char *values[TQ_EVENT_PATTERN_FIELDS];
};

static bool parse(struct pattern *p, const char *text)
{
    if (strlen(text) > TQ_EVENT_PATTERN_MAX)
        return false;
    snprintf(p->buf, sizeof(p->buf), "%s", text);
    char *save = NULL;
    p->event = strtok_r(p->buf, " ", &save);
    p->num_fields = 0;
    if (p->event == NULL || strchr(p->event, '=') != NULL)
        return false;
    for (char *word; (word = strtok_r(NULL, " ", &save)) != NULL;) {
        char *eq = strchr(word, '=');
        if (eq == NULL || eq == word || p->num_fields == TQ_EVENT_PATTERN_FIELDS)
            return false;
        *eq = '\0';
        p->keys[p->num_fields] = word;
        p->values[p->num_fields++] = eq + 1;
    }
    return true;
}

/* see event_match.h */
bool tq_event_pattern_valid(const char *pattern)
{
    struct pattern p;
    return parse(&p, pattern);
}

static bool value_equals(json_t *v, const char *want)
{
    char text[64];
    if (json_is_string(v))
        return strcmp(json_string_value(v), want) == 0;
    if (json_is_integer(v))
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(text, sizeof(text), "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_null(v))
        snprintf(text, sizeof(text), "null");
    else
        return false;
    return strcmp(text, want) == 0;
}

static bool object_matches(const struct pattern *p, json_t *event)
{
    if (!value_equals(json_object_get(event, "event"), p->event))
        return false;
    for (size_t i = 0; i < p->num_fields; i++) {
        json_t *v = json_object_get(event, p->keys[i]);
        if (v == NULL || !value_equals(v, p->values[i]))
            return false;
    }
    return true;
}

/* see event_match.h */
bool tq_event_matches(const char *pattern, const char *line)
{
    struct pattern p;
    if (!parse(&p, pattern))
        return false;
    json_t *event = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
    bool ok = json_is_object(event) && object_matches(&p, event);
    json_decref(event);
    return ok;
}

/* see event_match.h */
const char *tq_events_find(const char *pattern, const char *events, size_t len)
{
    struct pattern p;
    if (!parse(&p, pattern))
        return NULL;
    for (const char *line = events, *stop = events + len; line < stop;) {
        const char *end = memchr(line, '\n', (size_t)(stop - line));
        end = end ? end : stop;
        json_t *event = json_loadb(line, (size_t)(end - line), 0, NULL);
        bool ok = json_is_object(event) && object_matches(&p, event);
        json_decref(event);
        if (ok)
            return line;
        line = end + 1;
    }
    return NULL;
}
