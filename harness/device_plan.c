/* Device plans: YAML read with libyaml's document API and mapped onto structs by field tables,
 * in the style of scenario.c. The same tables drive parsing, freeing and the broker options, so
 * a new key is one table row. */
#include "device_plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fs.h"
#include "policy.h"

enum field_kind {
    FIELD_STRING,
    FIELD_LONG,
    FIELD_MAP,         /* nested mapping, described by `sub` */
    FIELD_CASES,       /* the plan's sequence of case mappings */
};

struct table;

/* A check validates a scalar where it stands, so its error can name the line. It returns NULL
 * when the value is fine, else what was wanted. */
typedef const char *(*value_check)(const char *value);

struct field {
    const char *key;
    enum field_kind kind;
    size_t offset;
    const struct table *sub;
    bool required;
    value_check check;
    const char *option;           /* broker fields: the `tlsqual broker` option */
};

struct table {
    const char *section;          /* how errors name the mapping: "top level", "case" */
    const struct field *fields;
    size_t num_fields;
};

static const char *check_one_of(const char *v, const char *const *words, const char *wanted)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (strcmp(v, words[i]) == 0)
            return NULL;
    return wanted;
}

static const char *check_must(const char *v)
{
    static const char *const words[] = {"connect_and_connect", "abort_before_connect",
                                        "receive_max_publish", NULL};
    return check_one_of(v, words, "connect_and_connect, abort_before_connect or "
                                  "receive_max_publish");
}

static const char *check_verdict(const char *v)
{
    static const char *const words[] = {"pass", "warn", "fail", NULL};
    return check_one_of(v, words, "pass, warn or fail");
}

static const char *check_endpoint(const char *v)
{
    static const char *const words[] = {"ats", "legacy", NULL};
    return check_one_of(v, words, "ats or legacy");
}

static const char *check_chain(const char *v)
{
    static const char *const words[] = {"short", "cross", "cross-g2", NULL};
    return check_one_of(v, words, "short, cross or cross-g2");
}

static const char *check_sni(const char *v)
{
    static const char *const words[] = {"optional", "required", "endpoint", NULL};
    return check_one_of(v, words, "optional, required or endpoint");
}

static const char *check_listener(const char *v)
{
    static const char *const words[] = {"mqtt", "alpn", NULL};
    return check_one_of(v, words, "mqtt (8883-style) or alpn (443-style)");
}

static const char *check_policy(const char *v)
{
    return tq_policy_find(v) ? NULL : "a security policy id (tlsqual broker --help-policies)";
}

static const char *check_topic(const char *v)
{
    return v[0] != '\0' && strpbrk(v, "+#") == NULL ? NULL : "a topic name without wildcards";
}

#define TABLE(name, section_name, ...)                                                            \
    static const struct field name##_fields[] = {__VA_ARGS__};                                    \
    static const struct table name = {section_name, name##_fields,                                \
                                      sizeof(name##_fields) / sizeof(name##_fields[0])}

/* F: a field of struct S named k. Optional designated members follow. */
#define F(S, k, field_kind, ...)                                                                  \
    {.key = #k, .kind = field_kind, .offset = offsetof(S, k), __VA_ARGS__}

#define BROKER_FIELD(k, opt, chk)                                                                 \
    F(struct tq_device_broker, k, FIELD_STRING, .option = opt, .check = chk)
TABLE(broker_table, "broker", BROKER_FIELD(endpoint, "--endpoint", check_endpoint),
      BROKER_FIELD(server_cert, "--server-cert", NULL),
      BROKER_FIELD(chain, "--chain", check_chain), BROKER_FIELD(policy, "--policy", check_policy),
      BROKER_FIELD(sni, "--sni", check_sni),
      BROKER_FIELD(listener, "--listener", check_listener));

#define RULE(k) F(struct tq_device_verdict_rules, k, FIELD_STRING, .check = check_verdict)
TABLE(verdict_table, "verdict", RULE(alert), RULE(close), RULE(handshake), RULE(connect));

TABLE(publish_table, "publish", F(struct tq_device_publish, payload_size, FIELD_LONG),
      F(struct tq_device_publish, ack_topic, FIELD_STRING, .check = check_topic));

TABLE(case_table, "case", F(struct tq_device_case, name, FIELD_STRING, .required = true),
      F(struct tq_device_case, spec, FIELD_STRING),
      F(struct tq_device_case, description, FIELD_STRING, .required = true),
      F(struct tq_device_case, device_must, FIELD_STRING, .required = true,
        .check = check_must),
      F(struct tq_device_case, broker, FIELD_MAP, .sub = &broker_table),
      F(struct tq_device_case, verdict, FIELD_MAP, .sub = &verdict_table),
      F(struct tq_device_case, publish, FIELD_MAP, .sub = &publish_table));

TABLE(plan_table, "top level", F(struct tq_device_plan, name, FIELD_STRING, .required = true),
      F(struct tq_device_plan, spec, FIELD_STRING),
      F(struct tq_device_plan, description, FIELD_STRING),
      F(struct tq_device_plan, defaults, FIELD_MAP, .sub = &broker_table),
      F(struct tq_device_plan, cases, FIELD_CASES, .sub = &case_table, .required = true));

/* The parse context: the YAML document and where errors point. */
struct ctx {
    struct tq_diag *diag;
    const char *path;
    yaml_document_t *doc;
    struct tq_device_plan *plan;
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

static const char *node_kind_name(const yaml_node_t *node)
{
    return node->type == YAML_MAPPING_NODE    ? "a mapping"
           : node->type == YAML_SEQUENCE_NODE ? "a list"
                                              : "a scalar";
}

static tq_status want_type(struct ctx *c, const yaml_node_t *node, yaml_node_type_t type,
                           const char *key)
{
    static const char *const wanted[] = {[YAML_SCALAR_NODE] = "a scalar",
                                         [YAML_SEQUENCE_NODE] = "a list",
                                         [YAML_MAPPING_NODE] = "a mapping"};
    if (node->type != type)
        return fail_at(c, node, "'%s' must be %s, got %s", key, wanted[type],
                       node_kind_name(node));
    return TQ_SUCCESS;
}

static tq_status parse_string(struct ctx *c, const yaml_node_t *node, const struct field *f,
                              char **out)
{
    TQ_GUARD(want_type(c, node, YAML_SCALAR_NODE, f->key));
    const char *value = (const char *)node->data.scalar.value;
    if (strlen(value) != node->data.scalar.length)
        return fail_at(c, node, "'%s' must not contain NUL bytes", f->key);
    const char *wanted = f->check ? f->check(value) : NULL;
    if (wanted != NULL)
        return fail_at(c, node, "'%s' must be %s, got '%s'", f->key, wanted, value);
    free(*out);
    *out = strdup(value);
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    return TQ_SUCCESS;
}

static tq_status parse_long(struct ctx *c, const yaml_node_t *node, const char *key, long *out)
{
    TQ_GUARD(want_type(c, node, YAML_SCALAR_NODE, key));
    const char *s = (const char *)node->data.scalar.value;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0)
        return fail_at(c, node, "'%s' must be an integer, got '%s'", key, s);
    *out = v;
    return TQ_SUCCESS;
}

static tq_status parse_map(struct ctx *c, const yaml_node_t *node, const struct table *t,
                           void *base);

static tq_status parse_cases(struct ctx *c, const yaml_node_t *node, const struct field *f)
{
    TQ_GUARD(want_type(c, node, YAML_SEQUENCE_NODE, f->key));
    struct tq_device_plan *plan = c->plan;
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (plan->num_cases == TQ_DEVICE_PLAN_MAX_CASES)
            return fail_at(c, item, "a plan has at most %d cases", TQ_DEVICE_PLAN_MAX_CASES);
        TQ_GUARD(want_type(c, item, YAML_MAPPING_NODE, "a case"));
        struct tq_device_case *dc = &plan->cases[plan->num_cases++];
        dc->line = line_of(item);
        TQ_GUARD(parse_map(c, item, f->sub, dc));
    }
    return TQ_SUCCESS;
}

static tq_status parse_value(struct ctx *c, const yaml_node_t *node, const struct field *f,
                             void *base)
{
    void *slot = (char *)base + f->offset;
    switch (f->kind) {
    case FIELD_STRING:
        return parse_string(c, node, f, slot);
    case FIELD_LONG:
        return parse_long(c, node, f->key, slot);
    case FIELD_MAP:
        TQ_GUARD(want_type(c, node, YAML_MAPPING_NODE, f->key));
        return parse_map(c, node, f->sub, slot);
    case FIELD_CASES:
        return parse_cases(c, node, f);
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

static tq_status parse_map(struct ctx *c, const yaml_node_t *node, const struct table *t,
                           void *base)
{
    bool seen[16] = {false};
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
        if (key->type != YAML_SCALAR_NODE)
            return fail_at(c, key, "keys in %s must be plain words", t->section);
        const struct field *f = find_field(t, (const char *)key->data.scalar.value);
        if (f == NULL)
            return unknown_key(c, key, t);
        size_t index = (size_t)(f - t->fields);
        if (seen[index])
            return fail_at(c, key, "key '%s' appears twice in %s", f->key, t->section);
        seen[index] = true;
        TQ_GUARD(parse_value(c, yaml_document_get_node(c->doc, p->value), f, base));
    }
    for (size_t i = 0; i < t->num_fields; i++)
        if (t->fields[i].required && !seen[i])
            return fail_at(c, node, "missing required key '%s' in %s", t->fields[i].key,
                           t->section);
    return TQ_SUCCESS;
}

static void free_table(const struct table *t, void *base)
{
    for (size_t i = 0; i < t->num_fields; i++) {
        const struct field *f = &t->fields[i];
        void *slot = (char *)base + f->offset;
        if (f->kind == FIELD_STRING)
            free(*(char **)slot);
        else if (f->kind == FIELD_MAP)
            free_table(f->sub, slot);
    }
}

/* see device_plan.h */
void tq_device_plan_free(struct tq_device_plan *plan)
{
    if (plan == NULL)
        return;
    for (size_t i = 0; i < plan->num_cases; i++)
        free_table(&case_table, &plan->cases[i]);
    free_table(&plan_table, plan);
    free(plan->path);
    free(plan);
}

static enum tq_verdict verdict_word(const char *word, enum tq_verdict fallback)
{
    return word == NULL ? fallback : tq_verdict_from_name(word);
}

/* finish_case derives the enums of `dc` from the words it was written with. */
static void finish_case(struct tq_device_case *dc)
{
    static const enum tq_device_must musts[] = {TQ_DEVICE_MUST_CONNECT, TQ_DEVICE_MUST_ABORT,
                                                TQ_DEVICE_MUST_RECEIVE_MAX};
    for (size_t i = 0; i < sizeof(musts) / sizeof(musts[0]); i++)
        if (strcmp(dc->device_must, tq_device_must_name(musts[i])) == 0)
            dc->must = musts[i];
    /* aws-iot-facts.md §8.1, TLS_Expired_Server_Cert: "Pass: device refuses and sends a TLS
     * alert before closing. Warn: refuses without an alert. Fail: handshake completes." */
    dc->on[TQ_DEVICE_OBS_ALERT] = verdict_word(dc->verdict.alert, TQ_VERDICT_PASS);
    dc->on[TQ_DEVICE_OBS_CLOSE] = verdict_word(dc->verdict.close, TQ_VERDICT_WARN);
    dc->on[TQ_DEVICE_OBS_HANDSHAKE] = verdict_word(dc->verdict.handshake, TQ_VERDICT_FAIL);
    dc->on[TQ_DEVICE_OBS_CONNECT] = verdict_word(dc->verdict.connect, TQ_VERDICT_FAIL);
}

/* The largest PUBLISH payload asked for: AWS IoT's whole packet is at most 128 KB. */
enum { MAX_PAYLOAD_SIZE = 128 * 1024 };

static tq_status check_case(struct ctx *c, size_t i)
{
    struct tq_device_case *dc = &c->plan->cases[i];
    unsigned line = dc->line;
    const char *path = c->path;
    if (dc->name[0] == '\0' || strlen(dc->name) > TQ_DEVICE_CASE_NAME_MAX)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "a case name must be 1 to %d characters, got %zu",
                            TQ_DEVICE_CASE_NAME_MAX, strlen(dc->name));
    for (size_t j = 0; j < i; j++)
        if (strcmp(c->plan->cases[j].name, dc->name) == 0)
            return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                                "case name '%s' is already used by the case at line %u",
                                dc->name, c->plan->cases[j].line);
    finish_case(dc);
    bool rules = dc->verdict.alert || dc->verdict.close || dc->verdict.handshake ||
                 dc->verdict.connect;
    if (rules && dc->must != TQ_DEVICE_MUST_ABORT)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "'verdict' applies to abort_before_connect cases only, got it in a "
                            "%s case", dc->device_must);
    bool publish = dc->publish.payload_size != 0 || dc->publish.ack_topic != NULL;
    if (publish && dc->must != TQ_DEVICE_MUST_RECEIVE_MAX)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "'publish' applies to receive_max_publish cases only, got it in a "
                            "%s case", dc->device_must);
    if (dc->publish.payload_size < 0 || dc->publish.payload_size > MAX_PAYLOAD_SIZE)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "'payload_size' must be 1 to %d bytes (0: the largest that fits), "
                            "got %ld", MAX_PAYLOAD_SIZE, dc->publish.payload_size);
    return TQ_SUCCESS;
}

static tq_status parse_document(struct ctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (root == NULL)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, c->path, 1,
                            "empty file; want a mapping with name and cases");
    if (root->type != YAML_MAPPING_NODE)
        return fail_at(c, root, "the top level must be a mapping, got %s", node_kind_name(root));
    TQ_GUARD(parse_map(c, root, &plan_table, c->plan));
    if (c->plan->num_cases == 0)
        return fail_at(c, root, "'cases' must hold at least one case");
    for (size_t i = 0; i < c->plan->num_cases; i++)
        TQ_GUARD(check_case(c, i));
    return TQ_SUCCESS;
}

static tq_status yaml_error(struct ctx *c, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "unreadable YAML";
    const char *context = parser->context;
    return tq_diag_fail(c->diag, TQ_ERR_PARSE, c->path, (unsigned)parser->problem_mark.line + 1,
                        "invalid YAML: %s%s%s", problem, context ? " " : "",
                        context ? context : "");
}

static tq_status parse_text(struct ctx *c, const char *text, size_t len)
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
        st = parse_document(c);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return st;
}

/* see device_plan.h */
tq_status tq_device_plan_parse(struct tq_diag *diag, struct tq_device_plan **out,
                               const char *path, const char *text, size_t text_len)
{
    *out = NULL;
    struct tq_device_plan *plan = calloc(1, sizeof(*plan));
    TQ_ENSURE(plan != NULL, TQ_ERR_NOMEM);
    plan->path = strdup(path);
    struct ctx c = {.diag = diag, .path = path, .plan = plan};
    tq_status st = plan->path ? parse_text(&c, text, text_len) : TQ_STATUS(TQ_ERR_NOMEM);
    if (!tq_ok(st)) {
        tq_device_plan_free(plan);
        return st;
    }
    *out = plan;
    return TQ_SUCCESS;
}

/* see device_plan.h */
tq_status tq_device_plan_load(struct tq_diag *diag, struct tq_device_plan **out,
                              const char *path)
{
    *out = NULL;
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq_fs_read_all(diag, &text, &len, path, TQ_DEVICE_PLAN_FILE_MAX));
    return tq_device_plan_parse(diag, out, path, text, len);
}

static const char *broker_value(const struct tq_device_broker *b, const struct field *f)
{
    return *(char *const *)((const char *)b + f->offset);
}

/* see device_plan.h */
const char *tq_device_plan_setting(const struct tq_device_plan *plan,
                                   const struct tq_device_case *c, const char *key)
{
    const struct field *f = find_field(&broker_table, key);
    if (f == NULL)
        return NULL;
    const char *own = c ? broker_value(&c->broker, f) : NULL;
    return own ? own : broker_value(&plan->defaults, f);
}

/* see device_plan.h */
size_t tq_device_plan_broker_args(const struct tq_device_plan *plan,
                                  const struct tq_device_case *c, const char **argv,
                                  size_t max_args)
{
    size_t n = 0;
    for (size_t i = 0; i < broker_table.num_fields && n + 2 <= max_args; i++) {
        const char *value = tq_device_plan_setting(plan, c, broker_table.fields[i].key);
        if (value != NULL) {
            argv[n++] = broker_table.fields[i].option;
            argv[n++] = value;
        }
    }
    return n;
}

/* see device_plan.h */
const char *tq_device_must_name(enum tq_device_must must)
{
    switch (must) {
    case TQ_DEVICE_MUST_CONNECT:
        return "connect_and_connect";
    case TQ_DEVICE_MUST_ABORT:
        return "abort_before_connect";
    case TQ_DEVICE_MUST_RECEIVE_MAX:
        return "receive_max_publish";
    }
    return "unknown";
}

/* see device_plan.h */
const char *tq_device_observation_name(enum tq_device_observation obs)
{
    switch (obs) {
    case TQ_DEVICE_OBS_ALERT:
        return "alert";
    case TQ_DEVICE_OBS_CLOSE:
        return "close";
    case TQ_DEVICE_OBS_HANDSHAKE:
        return "handshake";
    case TQ_DEVICE_OBS_CONNECT:
        return "connect";
    case TQ_DEVICE_OBS_COUNT:
        break;
    }
    return "unknown";
}
