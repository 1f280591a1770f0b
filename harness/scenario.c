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
    FIELD_STEPS,       /* sequence of mappings of `elem_size` bytes each, described by `sub`,
                          at most `max_items`, their count at `count_offset` */
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
    size_t elem_size;
    size_t max_items;
    bool required;
    value_check check;
    bool has_present;              /* FIELD_MAP: a bool at `present_offset` says it was given */
    size_t present_offset;
};

struct table {
    const char *section;           /* how errors name the mapping: "top level", "client" */
    const struct field *fields;
    size_t num_fields;
    void (*init)(void *elem, unsigned line); /* FIELD_STEPS items: defaults and their line */
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

#define TABLE_INIT(name, section_name, init_fn, ...)                                              \
    static const struct field name##_fields[] = {__VA_ARGS__};                                    \
    static const struct table name = {section_name, name##_fields,                                \
                                      sizeof(name##_fields) / sizeof(name##_fields[0]), init_fn}
#define TABLE(name, section_name, ...) TABLE_INIT(name, section_name, NULL, __VA_ARGS__)

/* F: a field of struct S named k. Optional designated members follow. */
#define F(S, k, field_kind, ...)                                                                  \
    {.key = #k, .kind = field_kind, .offset = offsetof(S, k), __VA_ARGS__}

TABLE(step_table, "mqtt step", F(struct tq_mqtt_step, topic, FIELD_STRING, .required = true),
      F(struct tq_mqtt_step, qos, FIELD_LONG, .check = check_qos),
      F(struct tq_mqtt_step, payload, FIELD_STRING));

#define MQTT_STEPS(k)                                                                             \
    F(struct tq_scenario_mqtt, k, FIELD_STEPS, .sub = &step_table,                               \
      .count_offset = offsetof(struct tq_scenario_mqtt, num_##k),                                 \
      .elem_size = sizeof(struct tq_mqtt_step), .max_items = TQ_SCENARIO_MQTT_MAX)
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
      F(struct tq_scenario_client, mqtt, FIELD_MAP, .sub = &mqtt_table, .has_present = true,
        .present_offset = offsetof(struct tq_scenario_client, mqtt.enabled)));

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

static const char *check_operation(const char *v)
{
    static const char *const names[] = {"UpdateCertificate", "DescribeCertificate",
                                        "RegisterCertificate", "RegisterCertificateWithoutCA",
                                        "DeleteCertificate", "UpdateCACertificate"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v, names[i]) == 0)
            return NULL;
    return "an operation of docs/broker-api.md: UpdateCertificate, DescribeCertificate, "
           "RegisterCertificate, RegisterCertificateWithoutCA, DeleteCertificate or "
           "UpdateCACertificate";
}

static const char *check_restart(const char *v)
{
    return strcmp(v, "kill") == 0 || strcmp(v, "stop") == 0 ? NULL
                                                            : "kill (SIGKILL) or stop (SIGTERM)";
}

static const char *check_status(const char *v)
{
    static const char *const names[] = {"ACTIVE", "INACTIVE", "REVOKED", "PENDING_TRANSFER",
                                        "REGISTER_INACTIVE", "PENDING_ACTIVATION"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v, names[i]) == 0)
            return NULL;
    return "a certificate status: ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, "
           "REGISTER_INACTIVE or PENDING_ACTIVATION";
}

static const char *check_auto_registration(const char *v)
{
    return strcmp(v, "ENABLE") == 0 || strcmp(v, "DISABLE") == 0 ? NULL : "ENABLE or DISABLE";
}

static void step_init(void *elem, unsigned line)
{
    struct tq_scenario_step *step = elem;
    step->expect.connack = -1;
    step->line = line;
}

#define STEP(k, ...) F(struct tq_scenario_step, k, __VA_ARGS__)
TABLE_INIT(lifecycle_step_table, "steps", step_init,
           STEP(connect, FIELD_STRING), STEP(api, FIELD_STRING, .check = check_operation),
           STEP(wait, FIELD_STRING), STEP(restart, FIELD_STRING, .check = check_restart),
           STEP(certificate, FIELD_STRING), STEP(client_id, FIELD_STRING),
           STEP(hold, FIELD_BOOL), STEP(topic, FIELD_STRING), STEP(ca, FIELD_STRING),
           STEP(status, FIELD_STRING, .check = check_status),
           STEP(auto_registration, FIELD_STRING, .check = check_auto_registration),
           STEP(http_status, FIELD_LONG),
           STEP(expect, FIELD_MAP, .sub = &expect_table, .has_present = true,
                .present_offset = offsetof(struct tq_scenario_step, has_expect)));

TABLE(scenario_table, "top level", F(struct tq_scenario, name, FIELD_STRING, .required = true),
      F(struct tq_scenario, spec, FIELD_STRING, .required = true),
      F(struct tq_scenario, description, FIELD_STRING),
      F(struct tq_scenario, expand, FIELD_STRING, .check = check_expand),
      F(struct tq_scenario, tags, FIELD_LIST),
      F(struct tq_scenario, broker, FIELD_MAP, .sub = &broker_table),
      F(struct tq_scenario, client, FIELD_MAP, .sub = &client_table),
      F(struct tq_scenario, companion, FIELD_MAP, .sub = &companion_table, .has_present = true,
        .present_offset = offsetof(struct tq_scenario, companion.enabled)),
      F(struct tq_scenario, expect, FIELD_MAP, .sub = &expect_table, .has_present = true,
        .present_offset = offsetof(struct tq_scenario, has_expect)),
      F(struct tq_scenario, steps, FIELD_STEPS, .sub = &lifecycle_step_table,
        .count_offset = offsetof(struct tq_scenario, num_steps),
        .elem_size = sizeof(struct tq_scenario_step), .max_items = TQ_SCENARIO_STEPS_MAX));

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
    char *items = (char *)base + f->offset;
    size_t *num = (size_t *)((char *)base + f->count_offset);
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (*num == f->max_items)
            return fail_at(c, item, "'%s' has more than %zu steps", f->key, f->max_items);
        TQ_GUARD(want_kind(c, item, YAML_MAPPING_NODE, f->key, FIELD_STEPS));
        void *elem = items + (*num)++ * f->elem_size;
        if (f->sub->init)
            f->sub->init(elem, line_of(item));
        TQ_GUARD(parse_map(c, item, f->sub, elem));
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
        if (f->has_present)
            *(bool *)((char *)base + f->present_offset) = true;
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
            free_table(f->sub, (char *)slot + i * f->elem_size);
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

/* step_fail points at the step's line. */
static tq_status step_fail(struct ctx *c, const struct tq_scenario_step *step, const char *fmt,
                           ...) TQ_PRINTF(3, 4);

static tq_status step_fail(struct ctx *c, const struct tq_scenario_step *step, const char *fmt,
                           ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_diag_vfail(c->diag, TQ_ERR_PARSE, c->path, step->line, fmt, ap);
    va_end(ap);
    return st;
}

static const char *step_kind(const struct tq_scenario_step *step)
{
    return step->connect ? "connect" : step->api ? "api" : step->wait ? "wait" : "restart";
}

/* held_before returns the index of the held connection named `name` among steps [0, end), or
 * -1 when there is none. */
static long held_before(const struct tq_scenario *s, size_t end, const char *name)
{
    for (size_t i = 0; i < end; i++)
        if (s->steps[i].connect && s->steps[i].hold && strcmp(s->steps[i].connect, name) == 0)
            return (long)i;
    return -1;
}

static bool waited_after(const struct tq_scenario *s, size_t start, const char *name)
{
    for (size_t i = start; i < s->num_steps; i++)
        if (s->steps[i].wait && strcmp(s->steps[i].wait, name) == 0)
            return true;
    return false;
}

/* check_api_step checks that an api step names what its operation needs. */
static tq_status check_api_step(struct ctx *c, const struct tq_scenario_step *step)
{
    const char *op = step->api;
    bool on_ca = strcmp(op, "UpdateCACertificate") == 0;
    if (!on_ca && step->certificate == NULL)
        return step_fail(c, step, "api %s needs 'certificate' (the artifact it is about)", op);
    if ((on_ca || strcmp(op, "RegisterCertificate") == 0) && step->ca == NULL)
        return step_fail(c, step, "api %s needs 'ca' (the CA certificate artifact)", op);
    if (on_ca && step->status == NULL && step->auto_registration == NULL)
        return step_fail(c, step, "api UpdateCACertificate needs 'status' or "
                                  "'auto_registration'");
    if (strcmp(op, "UpdateCertificate") == 0 && step->status == NULL)
        return step_fail(c, step, "api UpdateCertificate needs 'status' (the new status)");
    if (step->http_status != 0 && (step->http_status < 100 || step->http_status > 599))
        return step_fail(c, step, "'http_status' must be an HTTP status (100 to 599), got %ld",
                         step->http_status);
    return TQ_SUCCESS;
}

/* check_step checks step `i`: one kind, the members that kind takes, and the names it uses. */
static tq_status check_step(struct ctx *c, const struct tq_scenario *s, size_t i)
{
    const struct tq_scenario_step *step = &s->steps[i];
    int kinds = !!step->connect + !!step->api + !!step->wait + !!step->restart;
    if (kinds != 1)
        return step_fail(c, step, "a step must have exactly one of connect, api, wait, "
                                  "restart; got %d", kinds);
    bool is_connect = step->connect != NULL, is_api = step->api != NULL;
    if (!is_connect && (step->client_id || step->hold || step->topic))
        return step_fail(c, step, "client_id, hold and topic belong to a connect step, not "
                                  "to %s", step_kind(step));
    if (!is_api && (step->ca || step->status || step->auto_registration || step->http_status))
        return step_fail(c, step, "ca, status, auto_registration and http_status belong to an "
                                  "api step, not to %s", step_kind(step));
    if (step->certificate && !is_connect && !is_api)
        return step_fail(c, step, "'certificate' belongs to a connect or api step");
    bool wants_expect = (is_connect && !step->hold) || step->wait;
    if (wants_expect != step->has_expect)
        return step_fail(c, step, wants_expect ? "this %s step needs 'expect'"
                                               : "this %s step takes no 'expect'",
                         step->hold ? "held connect" : step_kind(step));
    if (step->topic && !step->hold)
        return step_fail(c, step, "'topic' is what a held connection subscribes to: add "
                                  "'hold: true'");
    if (is_connect && held_before(s, i, step->connect) >= 0)
        return step_fail(c, step, "a held connection is already called '%s'", step->connect);
    if (step->hold && !waited_after(s, i + 1, step->connect))
        return step_fail(c, step, "held connection '%s' needs a later 'wait: %s' step",
                         step->connect, step->connect);
    if (step->wait && held_before(s, i, step->wait) < 0)
        return step_fail(c, step, "'wait: %s' names no earlier held connection (connect: %s "
                                  "with hold: true)", step->wait, step->wait);
    return is_api ? check_api_step(c, step) : TQ_SUCCESS;
}

static tq_status check_steps(struct ctx *c, const yaml_node_t *root, const struct tq_scenario *s)
{
    if (s->has_expect)
        return fail_at(c, root, "a lifecycle scenario (with 'steps') has its expectations in "
                                "its steps; remove the top-level 'expect'");
    if (s->companion.enabled || s->expand)
        return fail_at(c, root, "a lifecycle scenario (with 'steps') takes no companion and no "
                                "expand: its steps make every connection");
    for (size_t i = 0; i < s->num_steps; i++) {
        TQ_GUARD(check_step(c, s, i));
        for (size_t j = 0; j < i; j++)
            if (s->steps[i].wait && s->steps[j].wait && strcmp(s->steps[i].wait,
                                                               s->steps[j].wait) == 0)
                return step_fail(c, &s->steps[i], "'%s' is waited for twice", s->steps[i].wait);
    }
    return TQ_SUCCESS;
}

static tq_status check_whole(struct ctx *c, const yaml_node_t *root, struct tq_scenario *s)
{
    if (s->expand && strstr(s->name, "{suite}") == NULL)
        return fail_at(c, root, "an expanded scenario's name must contain {suite}, got '%s'",
                       s->name);
    if (s->name[0] == '\0' || (!s->expand && strlen(s->name) > TQ_SCENARIO_NAME_MAX))
        return fail_at(c, root, "'name' must be 1 to %d characters, got %zu",
                       TQ_SCENARIO_NAME_MAX, strlen(s->name));
    if (s->num_steps > 0)
        return check_steps(c, root, s);
    if (s->companion.enabled && !s->client.mqtt.enabled)
        return fail_at(c, root, "a scenario with a companion needs client.mqtt: the client "
                                "releases the companion with a PUBLISH");
    if (!s->has_expect)
        return fail_at(c, root, "missing required key 'expect' in top level (or 'steps', for "
                                "a lifecycle scenario)");
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
