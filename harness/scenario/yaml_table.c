/* The field-table engine: libyaml's document API, walked by the caller's tables. Loading the
 * whole document first (rather than reading events) gives every node its line, so any error,
 * however deep, can point at the file and line. */
#include "yaml_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parse context: the document and how errors are reported. */
struct ctx {
    struct tq_diag *diag;
    const struct tq_yaml_options *opts;
    yaml_document_t *doc;
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
    tq_status st = tq_diag_vfail(c->diag, TQ_ERR_PARSE, c->opts->path, line_of(node), fmt, ap);
    va_end(ap);
    return st;
}

static const char *kind_words(enum tq_yaml_kind kind)
{
    switch (kind) {
    case TQ_YAML_STRING:
        return "a string";
    case TQ_YAML_LONG:
        return "an integer";
    case TQ_YAML_BOOL:
        return "true or false";
    case TQ_YAML_LIST:
        return "a list of strings";
    case TQ_YAML_MAP:
        return "a mapping";
    case TQ_YAML_SEQ:
        return "a list of mappings";
    }
    return "a value";
}

static const char *type_words(yaml_node_type_t type)
{
    return type == YAML_MAPPING_NODE    ? "a mapping"
           : type == YAML_SEQUENCE_NODE ? "a list"
                                        : "a scalar";
}

/* want_type fails unless `node` is of `type`; `name` and `kind` say what was wanted there. */
static tq_status want_type(struct ctx *c, const yaml_node_t *node, yaml_node_type_t type,
                           const char *name, enum tq_yaml_kind kind)
{
    if (node->type == type)
        return TQ_SUCCESS;
    return fail_at(c, node, "'%s' must be %s, got %s", name, kind_words(kind),
                   type_words(node->type));
}

/* Every sequence of mappings scenarios have is a list of steps (MQTT or lifecycle), hence the
 * default word. */
static tq_status too_many(struct ctx *c, const yaml_node_t *item, const struct tq_yaml_field *f)
{
    if (f->too_many != NULL)
        return fail_at(c, item, "%s", f->too_many);
    return fail_at(c, item, "'%s' has more than %zu %s", f->key, f->max_items,
                   f->kind == TQ_YAML_SEQ ? "steps" : "items");
}

/* too_few fails unless the list at `node` holds at least `min_items`: `outcome: []` would
 * otherwise be a scenario that expects nothing. */
static tq_status too_few(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f,
                         size_t num)
{
    if (num >= f->min_items)
        return TQ_SUCCESS;
    if (f->too_few != NULL)
        return fail_at(c, node, "%s", f->too_few);
    return fail_at(c, node, "'%s' must hold at least %zu item%s, got %zu", f->key, f->min_items,
                   f->min_items == 1 ? "" : "s", num);
}

static const char *scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

static tq_status run_check(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f)
{
    const char *wanted = f->check ? f->check(scalar(node)) : NULL;
    if (wanted != NULL)
        return fail_at(c, node, "'%s' must be %s, got '%s'", f->key, wanted, scalar(node));
    return TQ_SUCCESS;
}

/* A NUL byte would silently cut the string short in C. */
static tq_status no_nul(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f)
{
    if (strlen(scalar(node)) == node->data.scalar.length)
        return TQ_SUCCESS;
    return fail_at(c, node, "'%s' must not contain NUL bytes", f->key);
}

/* NUL first: a check must never judge a value cut short at its NUL. */
static tq_status check_string(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f)
{
    TQ_GUARD(no_nul(c, node, f));
    return run_check(c, node, f);
}

/* store_string copies the scalar `node` into `*out`, once it passed the checks of `f`. */
static tq_status store_string(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f,
                              char **out)
{
    TQ_GUARD(check_string(c, node, f));
    free(*out);
    *out = strdup(scalar(node));
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    if (c->opts->on_string != NULL)
        c->opts->on_string(c->opts->arg, *out, line_of(node));
    return TQ_SUCCESS;
}

static tq_status parse_long(struct ctx *c, const yaml_node_t *node, const char *key, long *out)
{
    const char *s = scalar(node);
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
    const char *s = scalar(node);
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
        *out = false;
    else
        return fail_at(c, node, "'%s' must be true or false, got '%s'", key, s);
    return TQ_SUCCESS;
}

static size_t *count_at(const struct tq_yaml_field *f, void *base)
{
    return (size_t *)((char *)base + f->count_offset);
}

static tq_status parse_list(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f,
                            void *base)
{
    char **items = (char **)((char *)base + f->offset);
    size_t *num = count_at(f, base);
    if (node->type == YAML_SCALAR_NODE) {
        *num = 1;
        TQ_GUARD(store_string(c, node, f, &items[0]));
        return too_few(c, node, f, *num);
    }
    TQ_GUARD(want_type(c, node, YAML_SEQUENCE_NODE, f->key, f->kind));
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (*num == f->max_items)
            return too_many(c, item, f);
        TQ_GUARD(want_type(c, item, YAML_SCALAR_NODE, f->key, f->kind));
        TQ_GUARD(store_string(c, item, f, &items[(*num)++]));
    }
    return too_few(c, node, f, *num);
}

static tq_status parse_map(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_table *t,
                           void *base);

static tq_status parse_seq(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f,
                           void *base)
{
    TQ_GUARD(want_type(c, node, YAML_SEQUENCE_NODE, f->key, f->kind));
    char *items = (char *)base + f->offset;
    size_t *num = count_at(f, base);
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (*num == f->max_items)
            return too_many(c, item, f);
        TQ_GUARD(want_type(c, item, YAML_MAPPING_NODE, f->key, f->kind));
        void *elem = items + (*num)++ * f->elem_size;
        if (f->init != NULL)
            f->init(elem, line_of(item));
        TQ_GUARD(parse_map(c, item, f->sub, elem));
    }
    return too_few(c, node, f, *num);
}

static tq_status parse_value(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_field *f,
                             void *base)
{
    void *slot = (char *)base + f->offset;
    switch (f->kind) {
    case TQ_YAML_STRING:
        TQ_GUARD(want_type(c, node, YAML_SCALAR_NODE, f->key, f->kind));
        return store_string(c, node, f, slot);
    case TQ_YAML_LONG:
        TQ_GUARD(want_type(c, node, YAML_SCALAR_NODE, f->key, f->kind));
        TQ_GUARD(run_check(c, node, f));
        return parse_long(c, node, f->key, slot);
    case TQ_YAML_BOOL:
        TQ_GUARD(want_type(c, node, YAML_SCALAR_NODE, f->key, f->kind));
        return parse_bool(c, node, f->key, slot);
    case TQ_YAML_LIST:
        return parse_list(c, node, f, base);
    case TQ_YAML_MAP:
        TQ_GUARD(want_type(c, node, YAML_MAPPING_NODE, f->key, f->kind));
        return parse_map(c, node, f->sub, slot);
    case TQ_YAML_SEQ:
        return parse_seq(c, node, f, base);
    }
    return tq_diag_fail(c->diag, TQ_ERR_INTERNAL, c->opts->path, line_of(node),
                        "internal error: unknown field kind %d", (int)f->kind);
}

static tq_status unknown_key(struct ctx *c, const yaml_node_t *key_node,
                             const struct tq_yaml_table *t)
{
    char valid[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < t->num_fields && used < sizeof(valid); i++)
        used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s", i ? ", " : "",
                                 t->fields[i].key);
    return fail_at(c, key_node, "unknown key '%s' in %s; valid keys: %s", scalar(key_node),
                   t->section, valid);
}

static tq_status check_required(struct ctx *c, const yaml_node_t *node,
                                const struct tq_yaml_table *t, const bool *seen)
{
    for (size_t i = 0; i < t->num_fields; i++)
        if (t->fields[i].required && !seen[i])
            return fail_at(c, node, "missing required key '%s' in %s", t->fields[i].key,
                           t->section);
    return TQ_SUCCESS;
}

/* note_key records that `f` was given, where its table asks for it. */
static void note_key(const struct tq_yaml_field *f, void *base, const yaml_node_t *key)
{
    if (f->has_present)
        *(bool *)((char *)base + f->present_offset) = true;
    if (f->has_line)
        *(unsigned *)((char *)base + f->line_offset) = line_of(key);
}

static tq_status parse_map(struct ctx *c, const yaml_node_t *node, const struct tq_yaml_table *t,
                           void *base)
{
    if (t->num_fields > TQ_YAML_MAX_FIELDS)
        return tq_diag_fail(c->diag, TQ_ERR_INTERNAL, c->opts->path, line_of(node),
                            "internal error: table '%s' has more than %d fields", t->section,
                            TQ_YAML_MAX_FIELDS);
    bool seen[TQ_YAML_MAX_FIELDS] = {false};
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
        if (key->type != YAML_SCALAR_NODE)
            return fail_at(c, key, "keys in %s must be plain words", t->section);
        const struct tq_yaml_field *f = tq_yaml_table_find(t, scalar(key));
        if (f == NULL)
            return unknown_key(c, key, t);
        size_t index = (size_t)(f - t->fields);
        if (seen[index])
            return fail_at(c, key, "key '%s' appears twice in %s", f->key, t->section);
        seen[index] = true;
        note_key(f, base, key);
        TQ_GUARD(parse_value(c, yaml_document_get_node(c->doc, p->value), f, base));
    }
    return check_required(c, node, t, seen);
}

/* see yaml_table.h */
tq_status tq_yaml_table_parse_node(struct tq_diag *diag, void *out,
                                   const struct tq_yaml_table *table,
                                   const struct tq_yaml_options *opts, yaml_document_t *doc,
                                   const yaml_node_t *node)
{
    struct ctx c = {.diag = diag, .opts = opts, .doc = doc};
    if (node->type != YAML_MAPPING_NODE)
        return fail_at(&c, node, "the %s must be a mapping, got %s", table->section,
                       type_words(node->type));
    return parse_map(&c, node, table, out);
}

static tq_status yaml_error(struct tq_diag *diag, const char *path, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "unreadable YAML";
    const char *context = parser->context;
    return tq_diag_fail(diag, TQ_ERR_PARSE, path, (unsigned)parser->problem_mark.line + 1,
                        "invalid YAML: %s%s%s", problem, context ? " " : "",
                        context ? context : "");
}

static tq_status parse_document(struct tq_diag *diag, unsigned *out_line, void *out,
                                const struct tq_yaml_table *table,
                                const struct tq_yaml_options *opts, yaml_document_t *doc)
{
    const yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, opts->path, 1, "empty file; want %s",
                            opts->empty_want ? opts->empty_want : "a mapping");
    if (out_line != NULL)
        *out_line = line_of(root);
    return tq_yaml_table_parse_node(diag, out, table, opts, doc, root);
}

/* see yaml_table.h */
tq_status tq_yaml_table_parse(struct tq_diag *diag, unsigned *out_line, void *out,
                              const struct tq_yaml_table *table, const struct tq_yaml_options *opts,
                              const char *text, size_t text_len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return tq_diag_fail(diag, TQ_ERR_NOMEM, opts->path, 0, "cannot start the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, text_len);
    yaml_document_t doc;
    tq_status st;
    if (!yaml_parser_load(&parser, &doc)) {
        st = yaml_error(diag, opts->path, &parser);
    } else {
        st = parse_document(diag, out_line, out, table, opts, &doc);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return st;
}

static void free_field(const struct tq_yaml_field *f, void *base)
{
    void *slot = (char *)base + f->offset;
    switch (f->kind) {
    case TQ_YAML_STRING:
        free(*(char **)slot);
        break;
    case TQ_YAML_LIST:
        for (size_t i = 0; i < *count_at(f, base); i++)
            free(((char **)slot)[i]);
        break;
    case TQ_YAML_MAP:
        tq_yaml_table_free(f->sub, slot);
        break;
    case TQ_YAML_SEQ:
        for (size_t i = 0; i < *count_at(f, base); i++)
            tq_yaml_table_free(f->sub, (char *)slot + i * f->elem_size);
        break;
    case TQ_YAML_LONG:
    case TQ_YAML_BOOL:
        break;
    }
}

/* see yaml_table.h */
void tq_yaml_table_free(const struct tq_yaml_table *table, void *base)
{
    for (size_t i = 0; i < table->num_fields; i++)
        free_field(&table->fields[i], base);
}

/* see yaml_table.h */
const struct tq_yaml_field *tq_yaml_table_find(const struct tq_yaml_table *table, const char *key)
{
    for (size_t i = 0; i < table->num_fields; i++)
        if (strcmp(table->fields[i].key, key) == 0)
            return &table->fields[i];
    return NULL;
}
