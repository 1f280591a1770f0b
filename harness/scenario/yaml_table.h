/* yaml_table.h: YAML documents read into C structs described by field tables.
 *
 * A file format (scenarios, device plans) describes its structs with `const` tables: one row per
 * key, saying what kind of value the key takes and where it goes (`offsetof`). This one engine
 * reads a YAML document into such a struct and frees it again by the same tables, so a new key
 * is one table row, and every error names the file, the line and what was wanted there.
 *
 * Conventions:
 * - The caller owns the struct: it zeroes it (or sets its defaults; counts start at 0) before
 *   parsing, and releases it with tq_yaml_table_free whether parsing succeeded or not. The
 *   engine touches only what the tables name. Strings are copied with malloc and owned by the
 *   struct.
 * - Keys may come in any order, each at most once. Parsing stops at the first error.
 * - Checks that span several values (one key needs another, names unique across items) are not
 *   the engine's: the caller makes them after parsing, with the lines the engine recorded.
 *
 * The errors, each TQ_ERR_PARSE at the line of the node that is wrong (K: a key, S: a table's
 * section):
 *   invalid YAML: <libyaml's problem and context>
 *   empty file; want <empty_want>
 *   the S must be a mapping, got a list
 *   keys in S must be plain words
 *   unknown key 'x' in S; valid keys: <every key of the table>
 *   key 'K' appears twice in S
 *   missing required key 'K' in S                (at the mapping's line)
 *   'K' must be a string, got a mapping          (or an integer, true or false, a list of
 *                                                 strings, a mapping, a list of mappings)
 *   'K' must be <what the check wanted>, got 'VALUE'
 *   'K' must be an integer, got 'VALUE'
 *   'K' must be true or false, got 'VALUE'
 *   'K' has more than N items                    (a LIST; a SEQ says "steps"; or `too_many`)
 *   'K' must hold at least N item(s), got M      (`min_items`; or `too_few`)
 *   'K' must not contain NUL bytes
 * Running out of memory is TQ_ERR_NOMEM; a table of more than TQ_YAML_MAX_FIELDS rows (built
 * without TQ_YAML_TABLE) is TQ_ERR_INTERNAL. */
#ifndef TQ_YAML_TABLE_H
#define TQ_YAML_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "status.h"

/* The most fields in one table (each mapping's keys are tracked in a fixed array). */
#define TQ_YAML_MAX_FIELDS 32

/* What a key holds, and the C type at its `offset`. */
enum tq_yaml_kind {
    TQ_YAML_STRING, /* char *: a scalar, copied */
    TQ_YAML_LONG,   /* long: a decimal integer */
    TQ_YAML_BOOL,   /* bool: true, yes, false or no */
    TQ_YAML_LIST,   /* char *[max_items], their count a size_t at `count_offset`: a sequence of
                       scalars; a lone scalar is a list of one */
    TQ_YAML_MAP,    /* a struct described by `sub`: a nested mapping */
    TQ_YAML_SEQ,    /* an array of `max_items` structs of `elem_size` bytes, each described by
                       `sub`, their count a size_t at `count_offset`: a sequence of mappings */
};

/* tq_yaml_check validates one scalar where it stands (a string, an integer's text, one item of
 * a list), so its error can name the line. It returns NULL when `value` is fine, else what was
 * wanted, completing "'K' must be ..., got 'VALUE'". */
typedef const char *(*tq_yaml_check)(const char *value);

/* struct tq_yaml_field is one row of a table: a key and where its value goes. Offsets are from
 * the start of the struct the table describes. Unset members are off. */
struct tq_yaml_field {
    const char *key;
    enum tq_yaml_kind kind;
    size_t offset;
    bool required;                   /* its absence is an error */
    tq_yaml_check check;             /* STRING, LONG, LIST items: NULL, or the value's check */
    const struct tq_yaml_table *sub; /* MAP, SEQ: the table of the nested struct */
    size_t count_offset;             /* LIST, SEQ: where the count is */
    size_t max_items;                /* LIST, SEQ: the array's length; more is an error */
    size_t elem_size;                /* SEQ: sizeof one item */
    void (*init)(void *item, unsigned line); /* SEQ: sets an item's defaults (and its line, for
                                                later errors) before the item is read */
    const char *too_many; /* LIST, SEQ: the whole error when there are too many items;
                                       NULL: "'K' has more than N items" (or "steps") */
    size_t min_items;     /* LIST, SEQ: fewer items (an empty list) is an error at the
                                       key's value: a list that must say something says it */
    const char *too_few;  /* LIST, SEQ: the whole error when there are too few items;
                                       NULL: "'K' must hold at least N item(s), got M" */
    bool has_present;     /* set a bool at `present_offset` when the key is given */
    size_t present_offset;
    bool has_line; /* store the line of the key in an unsigned at `line_offset` */
    size_t line_offset;
};

/* struct tq_yaml_table describes one struct as a mapping. */
struct tq_yaml_table {
    const char *section; /* how errors name the mapping: "top level", "client" */
    const struct tq_yaml_field *fields;
    size_t num_fields; /* at most TQ_YAML_MAX_FIELDS */
};

/* TQ_YAML_TABLE defines the `static const struct tq_yaml_table name` of the rows that follow
 * (and `name##_fields`, the rows). */
#define TQ_YAML_TABLE(name, section_name, ...)                                                     \
    static const struct tq_yaml_field name##_fields[] = {__VA_ARGS__};                             \
    _Static_assert(sizeof(name##_fields) / sizeof(name##_fields[0]) <= TQ_YAML_MAX_FIELDS,         \
                   #name " has more than TQ_YAML_MAX_FIELDS fields");                              \
    static const struct tq_yaml_table name = {.section = section_name,                             \
                                              .fields = name##_fields,                             \
                                              .num_fields = sizeof(name##_fields) /                \
                                                            sizeof(name##_fields[0])}

/* TQ_YAML_FIELD is the row for member `k` of struct `S`, whose key is "k". Designated
 * initialisers of more members may follow: TQ_YAML_FIELD(S, k, TQ_YAML_STRING, .required =
 * true). */
#define TQ_YAML_FIELD(S, k, field_kind, ...)                                                       \
    {                                                                                              \
        .key = #k, .kind = field_kind, .offset = offsetof(S, k), __VA_ARGS__                       \
    }

/* struct tq_yaml_options says how one document is reported on. */
struct tq_yaml_options {
    const char *path;       /* names the input in every error */
    const char *empty_want; /* an empty input is "empty file; want <this>"; NULL: "a
                                       mapping" */
    /* on_string, when set, is called with every string stored (STRING values, LIST items) and
     * the line it was written on; `value` is the pointer the struct holds. */
    void (*on_string)(void *arg, const char *value, unsigned line);
    void *arg;
};

/* tq_yaml_table_parse reads the YAML `text` (`text_len` bytes, not necessarily NUL-terminated)
 * into `out`, the struct `table` describes; the document's root must be a mapping. On success
 * `*out_line` (if not NULL) is the line where that mapping starts, for the caller's own errors
 * about the document as a whole. On failure `diag` names `opts->path`, the line and what was
 * wanted; `out` may hold part of the document and is still the caller's to free. */
TQ_MUST_USE tq_status tq_yaml_table_parse(struct tq_diag *diag, unsigned *out_line, void *out,
                                          const struct tq_yaml_table *table,
                                          const struct tq_yaml_options *opts, const char *text,
                                          size_t text_len);

/* tq_yaml_table_parse_node is tq_yaml_table_parse on `node` of `doc`, a document the caller
 * has already loaded (and still owns); `node` must be a mapping. */
TQ_MUST_USE tq_status tq_yaml_table_parse_node(struct tq_diag *diag, void *out,
                                               const struct tq_yaml_table *table,
                                               const struct tq_yaml_options *opts,
                                               yaml_document_t *doc, const yaml_node_t *node);

/* tq_yaml_table_free releases what `table` says `base` owns (strings, list items, nested
 * structs and items), parsed fully, partly or not at all. `base` itself stays the caller's. */
void tq_yaml_table_free(const struct tq_yaml_table *table, void *base);

/* tq_yaml_table_find returns the row of `table` whose key is `key`, or NULL. */
const struct tq_yaml_field *tq_yaml_table_find(const struct tq_yaml_table *table, const char *key);

#endif
