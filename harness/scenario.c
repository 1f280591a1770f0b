/* Scenario files: YAML read with libyaml's document API, mapped onto structs by field tables.
 * The same tables drive parsing and freeing, so a new key is one table row. */
#include "scenario.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "event_match.h"
#include "fs.h"

enum field_kind {
    FIELD_STRING,
    FIELD_LONG,
    FIELD_BOOL,
    FIELD_LIST,        /* sequence of scalars; a lone scalar is a list of one */
    FIELD_MAP,         /* nested mapping, described by `sub` */
    FIELD_STEPS,       /* sequence of mappings (struct tq_mqtt_step), count at `count_offset` */
};

struct ctx;
struct table;

/* A check validates one scalar (a string, an integer, or one item of a list) where it stands,
 * so its error can name the line. It returns NULL when the value is fine, else what was wanted. */
typedef const char *(*value_check)(const char *value);

struct field {
    const char *key;
    enum field_kind kind;
    size_t offset;
    const struct table *sub;
    size_t count_offset;
    bool required;
    value_check check;
};

struct table {
    const char *section;           /* how errors name the mapping: "top level", "client" */
    const struct field *fields;
    size_t num_fields;
};

static const char *check_outcome(const char *v)
{
    return tq_outcome_known(v) ? NULL
                               : "an outcome of docs/backend-protocol.md (e.g. ok, cert_expired, "
                                 "alert_received:protocol_version)";
}

static const char *check_version(const char *v)
{
    static const char *const names[] = {"1.0", "1.1", "1.2", "1.3"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0)
            return NULL;
    return "a TLS version: 1.0, 1.1, 1.2 or 1.3";
}

static const char *check_endpoint(const char *v)
{
    return strcmp(v, "ats") == 0 || strcmp(v, "legacy") == 0 ? NULL : "ats or legacy";
}

static const char *check_qos(const char *v)
{
    return strcmp(v, "0") == 0 || strcmp(v, "1") == 0 ? NULL
                                                      : "0 or 1 (AWS IoT does not support QoS 2)";
}

static const char *check_tls_name(const char *v)
{
    return strncmp(v, "TLSv1.", 6) == 0 && strlen(v) == 7 && v[6] >= '0' && v[6] <= '3'
               ? NULL
               : "TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3";
}

static const char *check_connack(const char *v)
{
    return strlen(v) == 1 && v[0] >= '0' && v[0] <= '5' ? NULL
                                                        : "a CONNACK return code from 0 to 5";
}

static const char *check_event_pattern(const char *v)
{
    return tq_event_pattern_valid(v) ? NULL
                                     : "an event name then field=value words, e.g. "
                                       "'client_certificate_rejected reason=inactive'";
}

static const char *check_expand(const char *v)
{
    return strcmp(v, "policy_suites") == 0 ? NULL : "policy_suites";
}

#define TABLE(name, section_name, ...)                                                            \
    static const struct field name##_fields[] = {__VA_ARGS__};                                    \
    static const struct table name = {section_name, name##_fields,                                \
                                      sizeof(name##_fields) / sizeof(name##_fields[0])}

/* F: a field of struct S named k. Optional designated members follow. */
#define F(S, k, field_kind, ...)                                                                  \
    {.key = #k, .kind = field_kind, .offset = offsetof(S, k), __VA_ARGS__}

TABLE(step_table, "mqtt step", F(struct tq_mqtt_step, topic, FIELD_STRING, .required = true),
      F(struct tq_mqtt_step, qos, FIELD_LONG, .check = check_qos),
      F(struct tq_mqtt_step, payload, FIELD_STRING));

#define MQTT_STEPS(k)                                                                             \
    F(struct tq_scenario_mqtt, k, FIELD_STEPS, .sub = &step_table,                               \
      .count_offset = offsetof(struct tq_scenario_mqtt, num_##k))
TABLE(mqtt_table, "client.mqtt", F(struct tq_scenario_mqtt, client_id, FIELD_STRING),
      F(struct tq_scenario_mqtt, keep_alive, FIELD_LONG), MQTT_STEPS(subscribe),
      MQTT_STEPS(publish), F(struct tq_scenario_mqtt, expect_messages, FIELD_LONG));

TABLE(versions_table, "client.versions",
      F(struct tq_scenario_versions, min, FIELD_STRING, .check = check_version),
      F(struct tq_scenario_versions, max, FIELD_STRING, .check = check_version));

TABLE(client_table, "client", F(struct tq_scenario_client, certificate, FIELD_STRING),
      F(struct tq_scenario_client, trust, FIELD_LIST),
      F(struct tq_scenario_client, server_name, FIELD_STRING),
      F(struct tq_scenario_client, send_sni, FIELD_BOOL),
      F(struct tq_scenario_client, versions, FIELD_MAP, .sub = &versions_table),
      F(struct tq_scenario_client, suites, FIELD_LIST),
      F(struct tq_scenario_client, alpn, FIELD_LIST),
      F(struct tq_scenario_client, crl, FIELD_LIST),
      F(struct tq_scenario_client, mqtt, FIELD_MAP, .sub = &mqtt_table));

/* Broker settings are checked by `tlsqual broker` itself when the runner starts it; the table
 * holds the option name each maps to. */
TABLE(broker_table, "broker",
      F(struct tq_scenario_broker, endpoint, FIELD_STRING, .check = check_endpoint),
      F(struct tq_scenario_broker, refusal, FIELD_STRING),
      F(struct tq_scenario_broker, refusal_alert, FIELD_STRING),
      F(struct tq_scenario_broker, qos2, FIELD_STRING),
      F(struct tq_scenario_broker, policy, FIELD_STRING),
      F(struct tq_scenario_broker, sni, FIELD_STRING),
      F(struct tq_scenario_broker, chain, FIELD_STRING),
      F(struct tq_scenario_broker, server_cert, FIELD_STRING),
      F(struct tq_scenario_broker, listener, FIELD_STRING),
      F(struct tq_scenario_broker, validity, FIELD_STRING),
      F(struct tq_scenario_broker, crl, FIELD_STRING),
      F(struct tq_scenario_broker, shared_cert, FIELD_STRING),
      F(struct tq_scenario_broker, profile, FIELD_STRING));

TABLE(expect_table, "expect",
      F(struct tq_scenario_expect, outcome, FIELD_LIST, .required = true,
        .check = check_outcome),
      F(struct tq_scenario_expect, warn_outcome, FIELD_LIST, .check = check_outcome),
      F(struct tq_scenario_expect, connack, FIELD_LONG, .check = check_connack),
      F(struct tq_scenario_expect, version, FIELD_STRING, .check = check_tls_name),
      F(struct tq_scenario_expect, suite, FIELD_STRING),
      F(struct tq_scenario_expect, server_certificate, FIELD_STRING),
      F(struct tq_scenario_expect, broker_events, FIELD_LIST, .check = check_event_pattern),
      F(struct tq_scenario_expect, chain_includes, FIELD_LIST),
      F(struct tq_scenario_expect, chain_excludes, FIELD_LIST));

TABLE(companion_table, "companion",
      F(struct tq_scenario_companion, certificate, FIELD_STRING),
      F(struct tq_scenario_companion, client_id, FIELD_STRING));

TABLE(scenario_table, "top level", F(struct tq_scenario, name, FIELD_STRING, .required = true),
      F(struct tq_scenario, spec, FIELD_STRING, .required = true),
      F(struct tq_scenario, description, FIELD_STRING),
      F(struct tq_scenario, expand, FIELD_STRING, .check = check_expand),
      F(struct tq_scenario, tags, FIELD_LIST),
      F(struct tq_scenario, broker, FIELD_MAP, .sub = &broker_table),
      F(struct tq_scenario, client, FIELD_MAP, .sub = &client_table),
      F(struct tq_scenario, companion, FIELD_MAP, .sub = &companion_table),
      F(struct tq_scenario, expect, FIELD_MAP, .sub = &expect_table, .required = true));

/* The parse context: the YAML document and where errors point. */
struct ctx {
    struct tq_diag *diag;
    const char *path;
    yaml_document_t *doc;
    struct tq_scenario *scenario;   /* records where each string value came from */
};

static unsigned line_of(const yaml_node_t *node)
{
    return (unsigned)node->start_mark.line + 1;
}

static tq_status fail_at(struct ctx *c, const yaml_node_t *node, const char *fmt, ...)
    TQ_PRINTF(3, 4);

static tq_status fail_at(struct ctx *c, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_diag_vfail(c->diag, TQ_ERR_PARSE, c->path, node ? line_of(node) : 0, fmt, ap);
    va_end(ap);
    return st;
}

static const char *kind_name(enum field_kind kind)
{
    switch (kind) {
    case FIELD_STRING:
        return "a string";
    case FIELD_LONG:
        return "an integer";
    case FIELD_BOOL:
        return "true or false";
    case FIELD_LIST:
        return "a list of strings";
    case FIELD_MAP:
        return "a mapping";
    case FIELD_STEPS:
        return "a list of mappings";
    }
    return "a value";
}

static const char *node_kind_name(const yaml_node_t *node)
{
    return node->type == YAML_MAPPING_NODE    ? "a mapping"
           : node->type == YAML_SEQUENCE_NODE ? "a list"
                                              : "a scalar";
}

static tq_status want_kind(struct ctx *c, const yaml_node_t *node, yaml_node_type_t type,
                           const char *key, enum field_kind kind)
{
    if (node->type != type)
        return fail_at(c, node, "'%s' must be %s, got %s", key, kind_name(kind),
                       node_kind_name(node));
    return TQ_SUCCESS;
}

static tq_status dup_scalar(struct ctx *c, const yaml_node_t *node, char **out)
{
    const char *value = (const char *)node->data.scalar.value;
    if (strlen(value) != node->data.scalar.length)
        return fail_at(c, node, "a string must not contain NUL bytes");
    free(*out);
    *out = strdup(value);
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    struct tq_scenario *s = c->scenario;
    if (s->num_value_lines < sizeof(s->value_lines) / sizeof(s->value_lines[0])) {
        s->value_lines[s->num_value_lines].value = *out;
        s->value_lines[s->num_value_lines++].line = line_of(node);
    }
    return TQ_SUCCESS;
}

static tq_status parse_long(struct ctx *c, const yaml_node_t *node, const char *key, long *out)
{
    const char *s = (const char *)node->data.scalar.value;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0)
        return fail_at(c, node, "'%s' must be an integer, got '%s'", key, s);
    *out = v;
    return TQ_SUCCESS;
}

static tq_status parse_bool(struct ctx *c, const yaml_node_t *node, const char *key, bool *out)
{
    const char *s = (const char *)node->data.scalar.value;
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
        *out = false;
    else
        return fail_at(c, node, "'%s' must be true or false, got '%s'", key, s);
    return TQ_SUCCESS;
}

static tq_status run_check(struct ctx *c, const yaml_node_t *node, const struct field *f)
{
    const char *value = (const char *)node->data.scalar.value;
    const char *wanted = f->check ? f->check(value) : NULL;
    if (wanted != NULL)
        return fail_at(c, node, "'%s' must be %s, got '%s'", f->key, wanted, value);
    return TQ_SUCCESS;
}

static tq_status parse_list(struct ctx *c, const yaml_node_t *node, const struct field *f,
                            struct tq_strlist *out)
{
    const char *key = f->key;
    if (node->type == YAML_SCALAR_NODE) {
        TQ_GUARD(run_check(c, node, f));
        out->num = 1;
        return dup_scalar(c, node, &out->items[0]);
    }
    TQ_GUARD(want_kind(c, node, YAML_SEQUENCE_NODE, key, FIELD_LIST));
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (out->num == TQ_SCENARIO_LIST_MAX)
            return fail_at(c, item, "'%s' has more than %d items", key, TQ_SCENARIO_LIST_MAX);
        TQ_GUARD(want_kind(c, item, YAML_SCALAR_NODE, key, FIELD_LIST));
        TQ_GUARD(run_check(c, item, f));
        TQ_GUARD(dup_scalar(c, item, &out->items[out->num++]));
    }
    return TQ_SUCCESS;
}

static tq_status parse_map(struct ctx *c, const yaml_node_t *node, const struct table *t,
                           void *base);

static tq_status parse_steps(struct ctx *c, const yaml_node_t *node, const struct field *f,
                             void *base)
{
    TQ_GUARD(want_kind(c, node, YAML_SEQUENCE_NODE, f->key, FIELD_STEPS));
    struct tq_mqtt_step *steps = (struct tq_mqtt_step *)((char *)base + f->offset);
    size_t *num = (size_t *)((char *)base + f->count_offset);
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (*num == TQ_SCENARIO_MQTT_MAX)
            return fail_at(c, item, "'%s' has more than %d steps", f->key, TQ_SCENARIO_MQTT_MAX);
        TQ_GUARD(want_kind(c, item, YAML_MAPPING_NODE, f->key, FIELD_STEPS));
        TQ_GUARD(parse_map(c, item, f->sub, &steps[(*num)++]));
    }
    return TQ_SUCCESS;
}

static tq_status parse_value(struct ctx *c, const yaml_node_t *node, const struct field *f,
                             void *base)
{
    void *slot = (char *)base + f->offset;
    bool scalar = node->type == YAML_SCALAR_NODE;
    switch (f->kind) {
    case FIELD_STRING:
        TQ_GUARD(want_kind(c, node, YAML_SCALAR_NODE, f->key, f->kind));
        TQ_GUARD(run_check(c, node, f));
        return dup_scalar(c, node, slot);
    case FIELD_LONG:
        TQ_GUARD(want_kind(c, node, YAML_SCALAR_NODE, f->key, f->kind));
        TQ_GUARD(run_check(c, node, f));
        return parse_long(c, node, f->key, slot);
    case FIELD_BOOL:
        if (!scalar)
            return want_kind(c, node, YAML_SCALAR_NODE, f->key, f->kind);
        return parse_bool(c, node, f->key, slot);
    case FIELD_LIST:
        return parse_list(c, node, f, slot);
    case FIELD_MAP:
        TQ_GUARD(want_kind(c, node, YAML_MAPPING_NODE, f->key, f->kind));
        return parse_map(c, node, f->sub, slot);
    case FIELD_STEPS:
        return parse_steps(c, node, f, base);
    }
    return fail_at(c, node, "internal error: unknown field kind");
}

static const struct field *find_field(const struct table *t, const char *key)
{
    for (size_t i = 0; i < t->num_fields; i++)
        if (strcmp(t->fields[i].key, key) == 0)
            return &t->fields[i];
    return NULL;
}

static tq_status unknown_key(struct ctx *c, const yaml_node_t *key_node, const struct table *t)
{
    char valid[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < t->num_fields && used < sizeof(valid); i++)
        used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s", i ? ", " : "",
                                 t->fields[i].key);
    return fail_at(c, key_node, "unknown key '%s' in %s; valid keys: %s",
                   (const char *)key_node->data.scalar.value, t->section, valid);
}

static tq_status check_required(struct ctx *c, const yaml_node_t *node, const struct table *t,
                                const bool *seen)
{
    for (size_t i = 0; i < t->num_fields; i++)
        if (t->fields[i].required && !seen[i])
            return fail_at(c, node, "missing required key '%s' in %s", t->fields[i].key,
                           t->section);
    return TQ_SUCCESS;
}

static tq_status parse_map(struct ctx *c, const yaml_node_t *node, const struct table *t,
                           void *base)
{
    bool seen[32] = {false};
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *value = yaml_document_get_node(c->doc, p->value);
        if (key->type != YAML_SCALAR_NODE)
            return fail_at(c, key, "keys in %s must be plain words", t->section);
        const struct field *f = find_field(t, (const char *)key->data.scalar.value);
        if (f == NULL)
            return unknown_key(c, key, t);
        size_t index = (size_t)(f - t->fields);
        if (seen[index])
            return fail_at(c, key, "key '%s' appears twice in %s", f->key, t->section);
        seen[index] = true;
        if (f->kind == FIELD_MAP && f->sub == &mqtt_table)
            ((struct tq_scenario_mqtt *)((char *)base + f->offset))->enabled = true;
        if (f->kind == FIELD_MAP && f->sub == &companion_table)
            ((struct tq_scenario_companion *)((char *)base + f->offset))->enabled = true;
        TQ_GUARD(parse_value(c, value, f, base));
    }
    return check_required(c, node, t, seen);
}

static void free_table(const struct table *t, void *base);

static void free_field(const struct field *f, void *base)
{
    void *slot = (char *)base + f->offset;
    switch (f->kind) {
    case FIELD_STRING:
        free(*(char **)slot);
        break;
    case FIELD_LIST:
        for (size_t i = 0; i < ((struct tq_strlist *)slot)->num; i++)
            free(((struct tq_strlist *)slot)->items[i]);
        break;
    case FIELD_MAP:
        free_table(f->sub, slot);
        break;
    case FIELD_STEPS:
        for (size_t i = 0; i < *(size_t *)((char *)base + f->count_offset); i++)
            free_table(f->sub, &((struct tq_mqtt_step *)slot)[i]);
        break;
    case FIELD_LONG:
    case FIELD_BOOL:
        break;
    }
}

static void free_table(const struct table *t, void *base)
{
    for (size_t i = 0; i < t->num_fields; i++)
        free_field(&t->fields[i], base);
}

/* see scenario.h */
void tq_scenario_free(struct tq_scenario *s)
{
    if (s == NULL)
        return;
    free_table(&scenario_table, s);
    free(s->path);
    free(s);
}

static void set_defaults(struct tq_scenario *s)
{
    s->client.send_sni = true;
    s->expect.connack = -1;
}

static tq_status yaml_error(struct ctx *c, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "unreadable YAML";
    const char *context = parser->context ? parser->context : NULL;
    return tq_diag_fail(c->diag, TQ_ERR_PARSE, c->path, (unsigned)parser->problem_mark.line + 1,
                        "invalid YAML: %s%s%s", problem, context ? " " : "",
                        context ? context : "");
}

static tq_status check_whole(struct ctx *c, const yaml_node_t *root, struct tq_scenario *s)
{
    if (s->expand && strstr(s->name, "{suite}") == NULL)
        return fail_at(c, root, "an expanded scenario's name must contain {suite}, got '%s'",
                       s->name);
    if (s->name[0] == '\0' || (!s->expand && strlen(s->name) > TQ_SCENARIO_NAME_MAX))
        return fail_at(c, root, "'name' must be 1 to %d characters, got %zu",
                       TQ_SCENARIO_NAME_MAX, strlen(s->name));
    if (s->companion.enabled && !s->client.mqtt.enabled)
        return fail_at(c, root, "a scenario with a companion needs client.mqtt: the client "
                                "releases the companion with a PUBLISH");
    if (s->expect.outcome.num == 0)
        return fail_at(c, root, "'expect.outcome' must name at least one outcome");
    return TQ_SUCCESS;
}

static tq_status parse_document(struct ctx *c, struct tq_scenario *s)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (root == NULL)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, c->path, 1,
                            "empty file; want a mapping with name, spec, expect");
    if (root->type != YAML_MAPPING_NODE)
        return fail_at(c, root, "the top level must be a mapping, got %s", node_kind_name(root));
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
        if (key->type == YAML_SCALAR_NODE && strcmp((char *)key->data.scalar.value, "name") == 0)
            s->name_line = line_of(key);
    }
    TQ_GUARD(parse_map(c, root, &scenario_table, s));
    return check_whole(c, root, s);
}

static tq_status parse_text(struct ctx *c, struct tq_scenario *s, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return tq_diag_fail(c->diag, TQ_ERR_NOMEM, c->path, 0, "cannot start the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    tq_status st;
    if (!yaml_parser_load(&parser, &doc)) {
        st = yaml_error(c, &parser);
    } else {
        c->doc = &doc;
        st = parse_document(c, s);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return st;
}

/* see scenario.h */
tq_status tq_scenario_parse(struct tq_diag *diag, struct tq_scenario **out, const char *path,
                            const char *text, size_t text_len)
{
    *out = NULL;
    struct tq_scenario *s = calloc(1, sizeof(*s));
    TQ_ENSURE(s != NULL, TQ_ERR_NOMEM);
    set_defaults(s);
    s->path = strdup(path);
    struct ctx c = {.diag = diag, .path = path, .scenario = s};
    tq_status st = s->path ? parse_text(&c, s, text, text_len) : TQ_STATUS(TQ_ERR_NOMEM);
    if (!tq_ok(st)) {
        tq_scenario_free(s);
        return st;
    }
    *out = s;
    return TQ_SUCCESS;
}

/* see scenario.h */
tq_status tq_scenario_load(struct tq_diag *diag, struct tq_scenario **out, const char *path)
{
    *out = NULL;
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq_fs_read_all(diag, &text, &len, path, TQ_SCENARIO_FILE_MAX));
    return tq_scenario_parse(diag, out, path, text, len);
}

/* see scenario.h */
size_t tq_scenario_broker_args(const struct tq_scenario_broker *b, const char **argv,
                               size_t max_args)
{
    static const char *const options[] = {
        "--endpoint", "--refusal",  "--refusal-alert", "--qos2", "--policy",      "--sni",
        "--chain",    "--server-cert", "--listener",   "--validity", "--crl", "--shared-cert",
        "--profile"};
    _Static_assert(sizeof(options) / sizeof(options[0]) ==
                       sizeof(broker_table_fields) / sizeof(broker_table_fields[0]),
                   "one broker option per broker field");
    size_t n = 0;
    for (size_t i = 0; i < broker_table.num_fields && n + 2 <= max_args; i++) {
        const char *value = *(char *const *)((const char *)b + broker_table.fields[i].offset);
        if (value != NULL) {
            argv[n++] = options[i];
            argv[n++] = value;
        }
    }
    return n;
}

/* see scenario.h */
unsigned tq_scenario_line_of(const struct tq_scenario *s, const char *value)
{
    for (size_t i = s->num_value_lines; i-- > 0;)
        if (s->value_lines[i].value == value)
            return s->value_lines[i].line;
    return 0;
}
