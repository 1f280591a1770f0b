/* Tests for harness/report/results_json.c: writing then reading a report loses nothing a report
 * writer uses (the cases, their evidence, the properties with the shard set, incompleteness):
 * `tlsqual merge` builds every merged report from what it reads back. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "junit.h"
#include "merge.h"
#include "results_json.h"

static const struct tq_case_record sample_cases[] = {
    {.name = "a passes",
     .backend = "openssl",
     .group = "smoke",
     .scenario_file = "s/a.yaml",
     .verdict = TQ_VERDICT_PASS,
     .seconds = 0.0125,
     .seq = 0,
     .result_line = "{\"outcome\":\"connected\",\"tls\":{\"version\":\"TLSv1.3\"}}"},
    {.name = "b <fails> & \"quotes\" \xc3\xa9",
     .backend = "openssl",
     .group = "versions",
     .scenario_file = "s/b.yaml",
     .verdict = TQ_VERDICT_FAIL,
     .seq = 1,
     .seconds = 1.0 / 3,
     .message = "want outcome ok, got cert_expired",
     .details = "line1\nline2 </script>",
     .stderr_text = "tab\there\n",
     .result_line = "not json {{"},
    {.name = "c skipped",
     .backend = "gnutls",
     .group = "smoke",
     .verdict = TQ_VERDICT_SKIP,
     .message = "backend lacks TLS 1.1",
     .seq = 2},
    {.name = "d crashed",
     .backend = "gnutls",
     .group = "smoke",
     .verdict = TQ_VERDICT_ERROR,
     .message = "interrupted: the run was stopped by a signal",
     .seq = 3},
    {.name = "e warns",
     .backend = "gnutls",
     .group = "smoke",
     .verdict = TQ_VERDICT_WARN,
     .message = "known deviation",
     .details = "evidence",
     .seq = 4},
    {.name = "f never ran", .backend = "gnutls", .seq = 5},
};
enum { NUM_SAMPLE = sizeof(sample_cases) / sizeof(sample_cases[0]) };

static struct tq_report *sample_report(void)
{
    struct tq_report *r = NULL;
    cr_assert(tq_ok(tq_report_new(&r)));
    for (size_t i = 0; i < NUM_SAMPLE; i++)
        cr_assert(tq_ok(tq_report_add(r, &sample_cases[i])));
    cr_assert(tq_ok(tq_report_set_property(r, "tlsqual.version", "0.1.0")));
    cr_assert(tq_ok(tq_report_set_property(r, "filters", "[\"smoke\",\"tag:x\"]")));
    cr_assert(tq_ok(tq_report_set_property(r, "backends", "[\"openssl\",\"gnutls\"]")));
    cr_assert(tq_ok(tq_report_set_property(r, "run.folder", "20261123T215852Z-1-shard2of3")));
    cr_assert(tq_ok(tq_merge_identify(r, 2, 3, 17, "pipeline-7")));
    cr_assert(tq_ok(tq_report_mark_incomplete(r, "interrupted by a signal")));
    return r;
}

static char *temp_path(void)
{
    char *path = strdup("/tmp/tq-results-json-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    return path;
}

static struct tq_report *round_trip(const struct tq_report *r)
{
    char *path = temp_path();
    struct tq_diag diag = {0};
    struct tq_report *back = NULL;
    cr_assert(tq_ok(tq_results_json_write(&diag, path, r)), "%s", diag.msg);
    cr_assert(tq_ok(tq_report_new(&back)));
    cr_assert(tq_ok(tq_results_json_read(&diag, back, path)), "%s", diag.msg);
    unlink(path);
    free(path);
    return back;
}

static void expect_same_text(const char *what, const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        cr_expect(a == b, "%s: %s vs %s", what, a ? a : "NULL", b ? b : "NULL");
    else
        cr_expect_str_eq(a, b, "%s", what);
}

/* expect_same_result: the result line comes back as the same JSON object, or the same text. */
static void expect_same_result(const char *a, const char *b)
{
    json_t *ja = a ? json_loads(a, 0, NULL) : NULL, *jb = b ? json_loads(b, 0, NULL) : NULL;
    if (ja != NULL || jb != NULL)
        cr_expect(json_equal(ja, jb), "result %s vs %s", a, b ? b : "NULL");
    else
        expect_same_text("result", a, b);
    json_decref(ja);
    json_decref(jb);
}

static char *render(const struct tq_report *r, bool junit)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 20);
    if (junit)
        cr_assert(tq_ok(tq_junit_render(&b, r, "2026-11-23T00:00:00Z", "host")));
    else
        cr_assert(tq_ok(tq_results_json_render(&b, r, false)));
    cr_assert(tq_ok(tq_buf_u8(&b, '\0')));
    return (char *)b.data;
}

Test(results_json, every_case_field_survives_write_then_read)
{
    struct tq_report *r = sample_report(), *back = round_trip(r);
    cr_assert_eq(tq_report_count(back), NUM_SAMPLE);
    for (size_t i = 0; i < NUM_SAMPLE; i++) {
        const struct tq_case_record *a = &sample_cases[i], *b = tq_report_at(back, i);
        cr_expect_eq(a->seq, b->seq, "case %zu seq", i);
        cr_expect_eq(a->verdict, b->verdict, "case %zu verdict", i);
        cr_expect_eq(a->seconds, b->seconds, "case %zu seconds: %.17g vs %.17g", i, a->seconds,
                     b->seconds);
        expect_same_text("name", a->name, b->name);
        expect_same_text("backend", a->backend, b->backend);
        expect_same_text("group", a->group, b->group);
        expect_same_text("scenario_file", a->scenario_file, b->scenario_file);
        expect_same_text("message", a->message, b->message);
        expect_same_text("details", a->details, b->details);
        expect_same_text("stderr", a->stderr_text, b->stderr_text);
        expect_same_result(a->result_line, b->result_line);
    }
    tq_report_free(r);
    tq_report_free(back);
}

Test(results_json, properties_with_the_shard_set_survive_in_order)
{
    struct tq_report *r = sample_report(), *back = round_trip(r);
    cr_assert_eq(tq_report_property_count(back), tq_report_property_count(r));
    for (size_t i = 0; i < tq_report_property_count(r); i++) {
        const char *va, *vb;
        const char *na = tq_report_property(r, i, &va), *nb = tq_report_property(back, i, &vb);
        cr_expect_str_eq(na, nb, "property %zu", i);
        cr_expect_str_eq(va, vb, "property %s", na);
    }
    cr_expect_str_eq(tq_report_get(back, "shard"), "2/3");
    cr_expect_str_eq(tq_report_get(back, "cases.planned"), "17");
    cr_expect_str_eq(tq_report_get(back, "run.id"), "pipeline-7");
    cr_expect_str_eq(tq_report_get(back, "run.identity"), tq_report_get(r, "run.identity"));
    cr_expect_str_eq(tq_report_incomplete(back), "interrupted by a signal");
    tq_report_free(r);
    tq_report_free(back);
}

Test(results_json, every_writer_renders_the_read_report_as_the_original)
{
    struct tq_report *r = sample_report(), *back = round_trip(r);
    for (int junit = 0; junit < 2; junit++) {
        char *a = render(r, junit), *b = render(back, junit);
        cr_expect_str_eq(a, b, "%s differs after a round trip", junit ? "junit.xml" : "results");
        free(a);
        free(b);
    }
    tq_report_free(r);
    tq_report_free(back);
}

Test(results_json, complete_says_whether_the_report_is_incomplete)
{
    struct tq_report *r = sample_report();
    char *text = render(r, false);
    cr_expect(strstr(text, "\"complete\": false"), "%.300s", text);
    free(text);
    struct tq_report *whole = NULL;
    cr_assert(tq_ok(tq_report_new(&whole)));
    cr_assert(tq_ok(tq_report_add(whole, &sample_cases[0])));
    text = render(whole, false);
    cr_expect(strstr(text, "\"complete\": true"), "%.300s", text);
    free(text);
    tq_report_free(r);
    tq_report_free(whole);
}

Test(results_json, a_document_saying_incomplete_stays_incomplete_without_the_property)
{
    char *path = temp_path();
    static const char doc[] = "{\"format\": \"tlsqual-results/1\", \"complete\": false, "
                              "\"properties\": {}, \"cases\": []}";
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_fs_write_atomic(&diag, path, doc, strlen(doc), 0644)));
    struct tq_report *r = NULL;
    cr_assert(tq_ok(tq_report_new(&r)));
    cr_assert(tq_ok(tq_results_json_read(&diag, r, path)), "%s", diag.msg);
    cr_expect(tq_report_incomplete(r) != NULL);
    tq_report_free(r);
    unlink(path);
    free(path);
}

Test(results_json, another_document_is_refused_naming_the_file)
{
    char *path = temp_path();
    static const char doc[] = "{\"format\": \"something-else/2\", \"cases\": []}";
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_fs_write_atomic(&diag, path, doc, strlen(doc), 0644)));
    struct tq_report *r = NULL;
    cr_assert(tq_ok(tq_report_new(&r)));
    tq_status st = tq_results_json_read(&diag, r, path);
    cr_expect_eq(st.code, TQ_ERR_PARSE);
    cr_expect_str_eq(diag.path, path);
    cr_expect(strstr(diag.msg, "tlsqual-results/1"), "%s", diag.msg);
    tq_report_free(r);
    unlink(path);
    free(path);
}
