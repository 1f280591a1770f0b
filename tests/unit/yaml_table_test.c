/* Tests for harness/yaml_table.c: a document of every field kind lands in its struct (with the
 * lines asked for), a document already loaded can be read from any mapping, and every bad
 * document fails with the whole message the header promises, in both wordings. Partly parsed
 * structs are freed by the same tables (ASan builds check that nothing leaks). */
#include <criterion/criterion.h>
#include <string.h>

#include "yaml_table.h"

/* A small format with one field of each kind. */
struct item {
    char *id;
    long weight;
    unsigned line;
};

struct inner {
    char *colour;
};

struct doc {
    char *name;
    unsigned name_line;
    long count;
    bool on;
    size_t num_tags;
    char *tags[3];
    struct inner inner;
    bool has_inner;
    size_t num_items;
    struct item items[2];
};

static const char *check_colour(const char *v)
{
    return strcmp(v, "red") == 0 || strcmp(v, "blue") == 0 ? NULL : "red or blue";
}

static void item_init(void *elem, unsigned line)
{
    struct item *it = elem;
    it->weight = -1;
    it->line = line;
}

#define F(S, k, kind, ...) TQ_YAML_FIELD(S, k, TQ_YAML_##kind, __VA_ARGS__)
TQ_YAML_TABLE(item_table, "item", F(struct item, id, STRING, .required = true),
              F(struct item, weight, LONG));
TQ_YAML_TABLE(inner_table, "inner", F(struct inner, colour, STRING, .check = check_colour));
TQ_YAML_TABLE(doc_table, "top level",
              F(struct doc, name, STRING, .required = true, .has_line = true,
                .line_offset = offsetof(struct doc, name_line)),
              F(struct doc, count, LONG), F(struct doc, on, BOOL),
              F(struct doc, tags, LIST, .count_offset = offsetof(struct doc, num_tags),
                .max_items = 3, .check = check_colour),
              F(struct doc, inner, MAP, .sub = &inner_table, .has_present = true,
                .present_offset = offsetof(struct doc, has_inner)),
              F(struct doc, items, SEQ, .sub = &item_table,
                .count_offset = offsetof(struct doc, num_items), .elem_size = sizeof(struct item),
                .max_items = 2, .init = item_init));

/* The lines on_string saw, by value. */
struct seen_lines {
    size_t num;
    const char *values[16];
    unsigned lines[16];
};

static void record(void *arg, const char *value, unsigned line)
{
    struct seen_lines *seen = arg;
    if (seen->num < 16) {
        seen->values[seen->num] = value;
        seen->lines[seen->num++] = line;
    }
}

static unsigned line_of(const struct seen_lines *seen, const char *value)
{
    for (size_t i = 0; i < seen->num; i++)
        if (seen->values[i] == value)
            return seen->lines[i];
    return 0;
}

static const char full[] = "# a comment first\n"
                           "name: box\n"
                           "count: -42\n"
                           "on: yes\n"
                           "tags: [red, blue]\n"
                           "inner: {colour: blue}\n"
                           "items:\n"
                           "  - id: a\n"
                           "    weight: 7\n"
                           "  - {id: b}\n";

Test(yaml_table, every_kind_lands_in_its_member)
{
    struct doc d = {0};
    struct seen_lines seen = {0};
    const struct tq_yaml_options opts = {.path = "full.yaml", .on_string = record, .arg = &seen};
    struct tq_diag diag = {0};
    unsigned root_line = 0;
    tq_status st =
        tq_yaml_table_parse(&diag, &root_line, &d, &doc_table, &opts, full, strlen(full));
    cr_assert(tq_ok(st), "want success, got %s: %s (line %u)", tq_status_name(st.code), diag.msg,
              diag.line);
    cr_expect_eq(root_line, 2, "the mapping starts at its first key, after the comment");
    cr_expect_str_eq(d.name, "box");
    cr_expect_eq(d.name_line, 2);
    cr_expect_eq(d.count, -42);
    cr_expect(d.on);
    cr_assert_eq(d.num_tags, 2);
    cr_expect_str_eq(d.tags[1], "blue");
    cr_expect(d.has_inner);
    cr_expect_str_eq(d.inner.colour, "blue");
    cr_assert_eq(d.num_items, 2);
    cr_expect_eq(d.items[0].weight, 7);
    cr_expect_eq(d.items[0].line, 8);
    cr_expect_eq(d.items[1].weight, -1, "init set the default of an absent key");
    cr_expect_eq(d.items[1].line, 10);
    cr_expect_eq(line_of(&seen, d.name), 2);
    cr_expect_eq(line_of(&seen, d.tags[0]), 5);
    cr_expect_eq(line_of(&seen, d.items[1].id), 10);
    cr_expect_eq(seen.num, 6, "name, two tags, colour, two ids");
    tq_yaml_table_free(&doc_table, &d);
}

Test(yaml_table, a_lone_scalar_is_a_list_of_one)
{
    static const char text[] = "name: n\ntags: red\n";
    struct doc d = {0};
    const struct tq_yaml_options opts = {.path = "one.yaml"};
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_yaml_table_parse(&diag, NULL, &d, &doc_table, &opts, text, strlen(text))),
              "%s", diag.msg);
    cr_expect_eq(d.num_tags, 1);
    cr_expect_str_eq(d.tags[0], "red");
    cr_expect_not(d.has_inner, "absent: the present flag stays false");
    tq_yaml_table_free(&doc_table, &d);
}

Test(yaml_table, reads_a_mapping_of_a_loaded_document)
{
    static const char text[] = "header: {x: 1}\nbody:\n  colour: red\n";
    yaml_parser_t parser;
    yaml_document_t ydoc;
    cr_assert(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    cr_assert(yaml_parser_load(&parser, &ydoc));
    const yaml_node_t *root = yaml_document_get_root_node(&ydoc);
    const yaml_node_pair_t *pairs = root->data.mapping.pairs.start;
    const yaml_node_t *header = yaml_document_get_node(&ydoc, pairs[0].value);
    const yaml_node_t *body = yaml_document_get_node(&ydoc, pairs[1].value);

    struct inner in = {0};
    const struct tq_yaml_options opts = {.path = "loaded.yaml"};
    struct tq_diag diag = {0};
    cr_expect(tq_ok(tq_yaml_table_parse_node(&diag, &in, &inner_table, &opts, &ydoc, body)), "%s",
              diag.msg);
    cr_expect_str_eq(in.colour, "red");
    tq_yaml_table_free(&inner_table, &in);

    struct inner other = {0};
    tq_status st = tq_yaml_table_parse_node(&diag, &other, &inner_table, &opts, &ydoc, header);
    cr_expect_eq(st.code, TQ_ERR_PARSE);
    cr_expect_eq(diag.line, 1);
    cr_expect_str_eq(diag.msg, "unknown key 'x' in inner; valid keys: colour");
    tq_yaml_table_free(&inner_table, &other);
    yaml_document_delete(&ydoc);
    yaml_parser_delete(&parser);
}

Test(yaml_table, finds_rows_by_key)
{
    cr_expect_eq(tq_yaml_table_find(&doc_table, "items"), &doc_table_fields[5]);
    cr_expect_null(tq_yaml_table_find(&doc_table, "item"));
}

struct bad_doc {
    const char *what;
    const char *text;
    unsigned line;
    const char *msg; /* the whole message */
};

#define NUL_TAG "name: n\ntags: [\"re\\0d\"]\n"
static const struct bad_doc bad_docs[] = {
    {.what = "empty", .text = "", .line = 1, .msg = "empty file; want a mapping"},
    {.what = "invalid YAML",
     .text = "name: [\n",
     .line = 2,
     .msg = "invalid YAML: did not find expected node content while parsing a flow node"},
    {.what = "top level a list",
     .text = "\n- a\n",
     .line = 2,
     .msg = "the top level must be a mapping, got a list"},
    {.what = "key not a word",
     .text = "name: n\n[a]: b\n",
     .line = 2,
     .msg = "keys in top level must be plain words"},
    {.what = "unknown key",
     .text = "name: n\nnmae: m\n",
     .line = 2,
     .msg = "unknown key 'nmae' in top level; valid keys: name, count, on, tags, inner, items"},
    {.what = "key twice",
     .text = "name: n\ncount: 1\ncount: 2\n",
     .line = 3,
     .msg = "key 'count' appears twice in top level"},
    {.what = "required key missing",
     .text = "count: 1\n\nitems:\n  - weight: 1\n",
     .line = 4,
     .msg = "missing required key 'id' in item"},
    {.what = "string of the wrong type",
     .text = "name: {a: b}\n",
     .line = 1,
     .msg = "'name' must be a string, got a mapping"},
    {.what = "not an integer",
     .text = "name: n\ncount: 12abc\n",
     .line = 2,
     .msg = "'count' must be an integer, got '12abc'"},
    {.what = "integer out of range",
     .text = "name: n\ncount: 99999999999999999999\n",
     .line = 2,
     .msg = "'count' must be an integer, got '99999999999999999999'"},
    {.what = "not a bool",
     .text = "name: n\non: maybe\n",
     .line = 2,
     .msg = "'on' must be true or false, got 'maybe'"},
    {.what = "bool of the wrong type",
     .text = "name: n\non: [x]\n",
     .line = 2,
     .msg = "'on' must be true or false, got a list"},
    {.what = "a check",
     .text = "name: n\ninner:\n  colour: green\n",
     .line = 3,
     .msg = "'colour' must be red or blue, got 'green'"},
    {.what = "a check on a list item",
     .text = "name: n\ntags:\n  - red\n  - pink\n",
     .line = 4,
     .msg = "'tags' must be red or blue, got 'pink'"},
    {.what = "list item not a scalar",
     .text = "name: n\ntags: [red, [blue]]\n",
     .line = 2,
     .msg = "'tags' must be a list of strings, got a list"},
    {.what = "list a mapping",
     .text = "name: n\ntags: {a: b}\n",
     .line = 2,
     .msg = "'tags' must be a list of strings, got a mapping"},
    {.what = "too many list items",
     .text = "name: n\ntags: [red, red, red,\n  red]\n",
     .line = 3,
     .msg = "'tags' has more than 3 items"},
    {.what = "sequence a scalar",
     .text = "name: n\nitems: x\n",
     .line = 2,
     .msg = "'items' must be a list of mappings, got a scalar"},
    {.what = "sequence item a scalar",
     .text = "name: n\nitems: [x]\n",
     .line = 2,
     .msg = "'items' must be a list of mappings, got a scalar"},
    {.what = "too many sequence items",
     .text = "name: n\nitems:\n- id: a\n- id: b\n- id: c\n",
     .line = 5,
     .msg = "'items' has more than 2 steps"},
    {.what = "NUL before the check",
     .text = NUL_TAG,
     .line = 2,
     .msg = "'tags' must not contain NUL bytes"},
    {.what = "NUL",
     .text = "name: \"n\\0\"\n",
     .line = 1,
     .msg = "'name' must not contain NUL bytes"},
};

Test(yaml_table, bad_documents_name_file_line_and_want)
{
    for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
        const struct bad_doc *b = &bad_docs[i];
        struct doc d = {0};
        const struct tq_yaml_options opts = {.path = "bad.yaml"};
        struct tq_diag diag = {0};
        tq_status st =
            tq_yaml_table_parse(&diag, NULL, &d, &doc_table, &opts, b->text, strlen(b->text));
        cr_expect_eq(st.code, TQ_ERR_PARSE, "%s: want TQ_ERR_PARSE, got %s", b->what,
                     tq_status_name(st.code));
        cr_expect_eq(diag.code, TQ_ERR_PARSE, "%s", b->what);
        cr_expect_str_eq(diag.path, "bad.yaml", "%s", b->what);
        cr_expect_eq(diag.line, b->line, "%s: want line %u, got %u (%s)", b->what, b->line,
                     diag.line, diag.msg);
        cr_expect_str_eq(diag.msg, b->msg, "%s: want '%s', got '%s'", b->what, b->msg, diag.msg);
        tq_yaml_table_free(&doc_table, &d);
    }
}

/* A sequence's own words for too many items, and the empty-file want, come from the caller. */
TQ_YAML_TABLE(short_table, "top level",
              F(struct doc, items, SEQ, .sub = &item_table,
                .count_offset = offsetof(struct doc, num_items), .elem_size = sizeof(struct item),
                .max_items = 1, .too_many = "a box holds one item"));

Test(yaml_table, callers_word_too_many_and_empty)
{
    static const char two[] = "items: [{id: a}, {id: b}]\n";
    struct doc d = {0};
    const struct tq_yaml_options opts = {.path = "short.yaml", .empty_want = "a box"};
    struct tq_diag diag = {0};
    tq_status st = tq_yaml_table_parse(&diag, NULL, &d, &short_table, &opts, two, strlen(two));
    cr_expect_eq(st.code, TQ_ERR_PARSE);
    cr_expect_str_eq(diag.msg, "a box holds one item");
    tq_yaml_table_free(&short_table, &d);

    struct doc empty = {0};
    st = tq_yaml_table_parse(&diag, NULL, &empty, &short_table, &opts, "", 0);
    cr_expect_eq(st.code, TQ_ERR_PARSE);
    cr_expect_str_eq(diag.msg, "empty file; want a box");
}

/* min_items: an empty list that must say something is an error at the list's line, in the
 * engine's words or the caller's. */
TQ_YAML_TABLE(nonempty_table, "top level",
              F(struct doc, tags, LIST, .count_offset = offsetof(struct doc, num_tags),
                .max_items = 3, .min_items = 2),
              F(struct doc, items, SEQ, .sub = &item_table,
                .count_offset = offsetof(struct doc, num_items), .elem_size = sizeof(struct item),
                .max_items = 2, .min_items = 1, .too_few = "a box holds at least one item"));

Test(yaml_table, empty_lists_fail_where_they_must_not_be_empty)
{
    static const struct {
        const char *text;
        unsigned line;
        const char *msg;
    } cases[] = {
        {"tags: [red, blue]\nitems: []\n", 2, "a box holds at least one item"},
        {"tags: [red, blue]\nitems:\n", 2, "'items' must be a list of mappings, got a scalar"},
        {"tags: []\n", 1, "'tags' must hold at least 2 items, got 0"},
        {"tags: red\n", 1, "'tags' must hold at least 2 items, got 1"},
        {"tags:\n  - red\nitems: [{id: a}]\n", 2, "'tags' must hold at least 2 items, got 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct doc d = {0};
        const struct tq_yaml_options opts = {.path = "min.yaml"};
        struct tq_diag diag = {0};
        tq_status st = tq_yaml_table_parse(&diag, NULL, &d, &nonempty_table, &opts, cases[i].text,
                                           strlen(cases[i].text));
        cr_expect_eq(st.code, TQ_ERR_PARSE, "case %zu", i);
        cr_expect_eq(diag.line, cases[i].line, "case %zu: want line %u, got %u (%s)", i,
                     cases[i].line, diag.line, diag.msg);
        cr_expect_str_eq(diag.msg, cases[i].msg, "case %zu", i);
        tq_yaml_table_free(&nonempty_table, &d);
    }
    struct doc d = {0};
    const struct tq_yaml_options opts = {.path = "min.yaml"};
    struct tq_diag diag = {0};
    static const char good[] = "tags: [red, blue]\nitems: [{id: a}]\n";
    cr_expect(
        tq_ok(tq_yaml_table_parse(&diag, NULL, &d, &nonempty_table, &opts, good, strlen(good))),
        "%s", diag.msg);
    tq_yaml_table_free(&nonempty_table, &d);
}
