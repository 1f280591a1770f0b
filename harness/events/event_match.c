#include "event_match.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "event_schema.h"

struct pattern {
    char buf[TQ_EVENT_PATTERN_MAX + 1];
    const char *event;
    enum tq_event_id id;
    size_t num_fields;
    const char *keys[TQ_EVENT_PATTERN_FIELDS];
    const char *values[TQ_EVENT_PATTERN_FIELDS];
};

/* value_fits is true when `value`, as a pattern writes it, can equal a member of `type`: a
 * pattern that can never match is refused where it is written, not found wanting at run time. */
static bool value_fits(const char *value, enum tq_event_type type, bool nullable)
{
    if (nullable && strcmp(value, "null") == 0)
        return true;
    switch (type) {
    case TQ_EVENT_STRING:
        return true;
    case TQ_EVENT_INTEGER:
        value += value[0] == '-';
        return value[0] != '\0' && strspn(value, "0123456789") == strlen(value);
    case TQ_EVENT_BOOL:
        return strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
    case TQ_EVENT_ARRAY:
    case TQ_EVENT_OBJECT:
        return false; /* value_equals compares scalars only */
    }
    return false;
}

/* field_known checks field `key`=`value` against the schema of event `id`. */
static bool field_known(enum tq_event_id id, const char *key, const char *value)
{
    enum tq_event_type type;
    bool nullable;
    return tq_event_member_type(id, key, &type, &nullable) && value_fits(value, type, nullable);
}

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
    p->id = tq_event_lookup(p->event, strlen(p->event));
    if (p->id == TQ_EVENT_COUNT)
        return false;
    for (char *word; (word = strtok_r(NULL, " ", &save)) != NULL;) {
        char *eq = strchr(word, '=');
        if (eq == NULL || eq == word || p->num_fields == TQ_EVENT_PATTERN_FIELDS)
            return false;
        *eq = '\0';
        if (!field_known(p->id, word, eq + 1))
            return false;
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

static bool value_equals(const json_t *v, const char *want)
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

/* event_matches: a member the line leaves out reads as null (event_schema.h). */
static bool event_matches(const struct pattern *p, const struct tq_event *ev)
{
    if (ev->id != p->id)
        return false;
    for (size_t i = 0; i < p->num_fields; i++) {
        const json_t *v = json_object_get(ev->obj, p->keys[i]);
        if (!value_equals(v != NULL ? v : json_null(), p->values[i]))
            return false;
    }
    return true;
}

/* line_matches reads one line with the one reader (event_schema.h): a line that breaks the
 * schema matches nothing. */
static bool line_matches(const struct pattern *p, const char *line, size_t len)
{
    struct tq_event ev;
    struct tq_diag ignored;
    if (!tq_ok(tq_event_parse(&ignored, &ev, line, len)))
        return false;
    bool ok = event_matches(p, &ev);
    tq_event_cleanup(&ev);
    return ok;
}

/* see event_match.h */
bool tq_event_matches(const char *pattern, const char *line)
{
    struct pattern p;
    if (!parse(&p, pattern))
        return false;
    return line_matches(&p, line, strcspn(line, "\n"));
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
        if (line_matches(&p, line, (size_t)(end - line)))
            return line;
        line = end + 1;
    }
    return NULL;
}
