#include "results_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

enum { MAX_RESULTS_BYTES = 512 << 20 };

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* evidence embeds the backend's result line as an object when it parses, else as text. */
static json_t *evidence(const char *line)
{
    json_t *obj = line ? json_loads(line, 0, NULL) : NULL;
    return obj ? obj : str_or_null(line);
}

static json_t *case_json(const struct tq_case_record *c)
{
    return json_pack("{s:I, s:s, s:s?, s:s, s:s?, s:s, s:o, s:f, s:o, s:o, s:o}", "seq",
                     (json_int_t)c->seq, "backend", c->backend, "group", c->group, "name", c->name,
                     "file", c->scenario_file, "verdict", tq_verdict_name(c->verdict), "message",
                     str_or_null(c->message), "seconds", c->seconds, "details",
                     str_or_null(c->details), "stderr", str_or_null(c->stderr_text), "result",
                     evidence(c->result_line));
}

static json_t *counts_json(const struct tq_report *r)
{
    struct tq_report_counts n = tq_report_counts_for(r, NULL);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)n.total, "passed",
                     (json_int_t)n.passed, "warned", (json_int_t)n.warned, "failed",
                     (json_int_t)n.failed, "errors", (json_int_t)n.errors, "skipped",
                     (json_int_t)n.skipped);
}

/* see results_json.h */
tq_status tq_results_json_render(struct tq_buf *out, const struct tq_report *r, bool for_html)
{
    json_t *props = json_object(), *cases = json_array();
    for (size_t i = 0; i < tq_report_property_count(r); i++) {
        const char *value;
        const char *name = tq_report_property(r, i, &value);
        json_object_set_new(props, name, json_string(value));
    }
    for (size_t i = 0; i < tq_report_count(r); i++)
        json_array_append_new(cases, case_json(tq_report_at(r, i)));
    /* "complete" repeats, for machines, what the property TQ_REPORT_INCOMPLETE says. */
    json_t *root = json_pack("{s:s, s:b, s:o, s:o, s:o}", "format", "tlsqual-results/1", "complete",
                             tq_report_incomplete(r) == NULL, "properties", props, "counts",
                             counts_json(r), "cases", cases);
    size_t flags =
        JSON_PRESERVE_ORDER | (for_html ? JSON_COMPACT | JSON_ESCAPE_SLASH : JSON_INDENT(1));
    char *text = root ? json_dumps(root, flags) : NULL;
    json_decref(root);
    TQ_ENSURE(text != NULL, TQ_ERR_NOMEM);
    tq_status st = tq_buf_append(out, text, strlen(text));
    free(text);
    return st;
}

/* see results_json.h */
tq_status tq_results_json_write(struct tq_diag *diag, const char *path, const struct tq_report *r)
{
    struct tq_buf text;
    tq_buf_init(&text, MAX_RESULTS_BYTES);
    tq_status st = tq_results_json_render(&text, r, false);
    if (!tq_ok(st))
        st = tq_diag_fail(diag, st.code, path, 0, "cannot render results.json");
    else
        st = tq_fs_write_atomic(diag, path, text.data, text.len, 0644);
    tq_buf_cleanup(&text);
    return st;
}

static const char *opt_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static tq_status read_case(struct tq_diag *diag, struct tq_report *r, const char *path, size_t i,
                           json_t *c)
{
    json_t *result = json_object_get(c, "result");
    char *line = json_is_object(result) ? json_dumps(result, JSON_COMPACT) : NULL;
    struct tq_case_record rec = {.name = opt_str(c, "name"),
                                 .backend = opt_str(c, "backend"),
                                 .group = opt_str(c, "group"),
                                 .scenario_file = opt_str(c, "file"),
                                 .verdict = tq_verdict_from_name(opt_str(c, "verdict")),
                                 .message = opt_str(c, "message"),
                                 .details = opt_str(c, "details"),
                                 .stderr_text = opt_str(c, "stderr"),
                                 .result_line = line ? line : opt_str(c, "result"),
                                 .seconds = json_number_value(json_object_get(c, "seconds")),
                                 .seq = (size_t)json_integer_value(json_object_get(c, "seq"))};
    tq_status st = TQ_SUCCESS;
    if (rec.name == NULL || rec.backend == NULL)
        st = tq_diag_fail(diag, TQ_ERR_PARSE, path, 0, "case %zu lacks name or backend", i);
    else if (!tq_ok(st = tq_report_add(r, &rec)))
        st = tq_diag_fail(diag, st.code, path, 0, "cannot keep case %zu", i);
    free(line);
    return st;
}

static tq_status read_properties(struct tq_report *r, json_t *props)
{
    const char *key;
    json_t *value;
    json_object_foreach(props, key, value)
    {
        bool known = false;
        for (size_t i = 0; i < tq_report_property_count(r) && !known; i++) {
            const char *ignored;
            known = strcmp(tq_report_property(r, i, &ignored), key) == 0;
        }
        if (!known && json_is_string(value))
            TQ_GUARD(tq_report_set_property(r, key, json_string_value(value)));
    }
    return TQ_SUCCESS;
}

/* see results_json.h */
tq_status tq_results_json_read(struct tq_diag *diag, struct tq_report *r, const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, path, (unsigned)err.line, "%s", err.text);
    tq_status st = TQ_SUCCESS;
    const char *format = opt_str(root, "format");
    json_t *cases = json_object_get(root, "cases");
    if (format == NULL || strcmp(format, "tlsqual-results/1") != 0 || !json_is_array(cases))
        st = tq_diag_fail(diag, TQ_ERR_PARSE, path, 0,
                          "want a tlsqual-results/1 document with a \"cases\" array");
    for (size_t i = 0; tq_ok(st) && i < json_array_size(cases); i++)
        st = read_case(diag, r, path, i, json_array_get(cases, i));
    if (tq_ok(st))
        st = read_properties(r, json_object_get(root, "properties"));
    /* A document that says it is incomplete stays so, even without the property saying why. */
    if (tq_ok(st) && json_is_false(json_object_get(root, "complete")) &&
        tq_report_incomplete(r) == NULL)
        st = tq_report_mark_incomplete(r, "its results.json says \"complete\": false");
    json_decref(root);
    return st;
}
