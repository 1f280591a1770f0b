/* result_test.c: tests harness/backend/result.c: a backend's stdout for one case is accepted
 * only when it is exactly that case's result line (docs/backend-protocol.md#one-line-per-case),
 * and every refusal quotes the offending line, bounded and escaped. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "result.h"

#define OK_A "{\"id\":\"versions/a\",\"outcome\":\"ok\",\"local_port\":4242}"

static tq_status parse(struct tq_diag *diag, struct tq_result *r, const char *want_id,
                       const char *text)
{
    return tq_result_parse(diag, r, want_id, text, strlen(text));
}

Test(result, own_result_line_is_read)
{
    static const char *const texts[] = {OK_A "\n", OK_A, OK_A "\r\n"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct tq_diag diag = {0};
        struct tq_result r;
        cr_assert(tq_ok(parse(&diag, &r, "versions/a", texts[i])), "text %zu: %s", i, diag.msg);
        cr_expect_str_eq(r.id, "versions/a");
        cr_expect_str_eq(r.outcome, "ok");
        cr_expect_eq(r.local_port, 4242);
    }
}

/* Output that is not the case's own, single result line; each with words its message must
 * contain (the quote of the offending line among them). */
static const struct {
    const char *name;
    const char *text;
    const char *msg_has[3];
} refused[] = {
    {"nothing", "", {"no result line"}},
    {"empty line first", "\n" OK_A "\n", {"not one (empty line)", "''"}},
    {"debug line before the result",
     "debug: connecting\n" OK_A "\n",
     {"not one", "'debug: connecting'"}},
    {"wrong id",
     "{\"id\":\"not-the-case-id\",\"outcome\":\"ok\"}\n",
     {"want the result of case 'versions/a'", "id 'not-the-case-id'",
      ": '{\"id\":\"not-the-case-id\""}},
    {"another case's id",
     "{\"id\":\"versions/b\",\"outcome\":\"ok\"}\n",
     {"want the result of case 'versions/a'", "'versions/b'"}},
    {"id is a prefix", "{\"id\":\"versions/\",\"outcome\":\"ok\"}\n", {"'versions/'"}},
    {"id is longer", "{\"id\":\"versions/ab\",\"outcome\":\"ok\"}\n", {"'versions/ab'"}},
    {"id with a NUL after the case's",
     "{\"id\":\"versions/a\\u0000x\",\"outcome\":\"ok\"}\n",
     {"not one"}},
    {"no id", "{\"outcome\":\"ok\"}\n", {"without a string id", "'{\"outcome\":\"ok\"}'"}},
    {"id not a string", "{\"id\":7,\"outcome\":\"ok\"}\n", {"without a string id"}},
    {"answered twice",
     OK_A "\n" OK_A "\n",
     {"want one result line", "another line after it", "'{\"id\":\"versions/a\""}},
    {"debug line after the result", OK_A "\ndone\n", {"another line after it", "'done'"}},
    {"a blank line after the result", OK_A "\n\n", {"another line after it", ": ''"}},
    {"unfinished line after the result", OK_A "\n{\"id\":", {"another line", "'{\"id\":'"}},
    {"JSON array", "[1,2]\n", {"a JSON array, not an object", "'[1,2]'"}},
    {"not JSON", "\x01\xff'\\\n", {"not one", "'\\x01\\xff\\'\\\\'"}},
    {"no outcome", "{\"id\":\"versions/a\"}\n", {"lacks \"outcome\"", "'{\"id\""}},
    {"unknown outcome",
     "{\"id\":\"versions/a\",\"outcome\":\"fine\"}\n",
     {"not in the canonical vocabulary", "'{\"id\""}},
};

Test(result, anything_but_the_case_result_is_a_protocol_error)
{
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct tq_diag diag = {0};
        struct tq_result r;
        tq_status st = parse(&diag, &r, "versions/a", refused[i].text);
        cr_expect(!tq_ok(st), "%s: accepted", refused[i].name);
        cr_expect_eq(st.code, TQ_ERR_PROTOCOL, "%s: code %d", refused[i].name, st.code);
        for (size_t k = 0; k < 3 && refused[i].msg_has[k]; k++)
            cr_expect(strstr(diag.msg, refused[i].msg_has[k]) != NULL,
                      "%s: want \"%s\" in the message, got \"%s\"", refused[i].name,
                      refused[i].msg_has[k], diag.msg);
        cr_expect_str_eq(r.outcome, "", "%s: nothing to judge is left in the result",
                         refused[i].name);
    }
}

Test(result, null_text_is_no_result_line)
{
    struct tq_diag diag = {0};
    struct tq_result r;
    cr_expect_eq(tq_result_parse(&diag, &r, "a", NULL, 0).code, TQ_ERR_PROTOCOL);
    cr_expect(strstr(diag.msg, "no result line") != NULL, "%s", diag.msg);
}

Test(result, overlong_line_is_a_limit_error_and_is_quoted_cut)
{
    size_t len = TQ_RESULT_LINE_MAX + 10;
    char *text = malloc(len);
    cr_assert_not_null(text);
    memset(text, 'x', len);
    struct tq_diag diag = {0};
    struct tq_result r;
    cr_expect_eq(tq_result_parse(&diag, &r, "a", text, len).code, TQ_ERR_LIMIT);
    char want[64];
    snprintf(want, sizeof(want), "... (%zu bytes)", len);
    cr_expect(strstr(diag.msg, want) != NULL, "%s", diag.msg);
    free(text);
}

Test(result, quote_is_bounded_escaped_and_says_when_cut)
{
    char out[TQ_RESULT_QUOTE_SIZE];
    tq_result_quote(out, sizeof(out), "a'b\\c\n\x7f", 7);
    cr_expect_str_eq(out, "'a\\'b\\\\c\\x0a\\x7f'");
    char line[500];
    memset(line, 'z', sizeof(line));
    tq_result_quote(out, sizeof(out), line, sizeof(line));
    cr_expect(strlen(out) < sizeof(out));
    cr_expect(strstr(out, "'... (500 bytes)") != NULL, "%s", out);
    cr_expect_eq(strspn(out + 1, "z"), (size_t)TQ_RESULT_QUOTE_BYTES);
    /* Every byte escaped: a whole quote still fits in TQ_RESULT_QUOTE_SIZE. */
    memset(line, 0xff, sizeof(line));
    tq_result_quote(out, sizeof(out), line, sizeof(line));
    cr_expect(strstr(out, "'... (500 bytes)") != NULL, "%s", out);
    /* A small buffer gets fewer bytes, still closed and still saying it was cut. */
    char small[48];
    tq_result_quote(small, sizeof(small), line, sizeof(line));
    cr_expect(small[0] == '\'' && strstr(small, "'... (500 bytes)") != NULL, "%s", small);
    tq_result_quote(small, 10, "abc", 3);
    cr_expect_str_eq(small, "");
}

Test(result, case_id_is_read_from_the_case_line)
{
    char id[TQ_RESULT_ID_MAX + 1];
    cr_expect(tq_result_case_id(id, sizeof(id), "{\"id\":\"versions/a [x]\",\"port\":1}\n"));
    cr_expect_str_eq(id, "versions/a [x]");
    cr_expect(!tq_result_case_id(id, sizeof(id), "{\"port\":1}\n"));
    cr_expect(!tq_result_case_id(id, sizeof(id), "{\"id\":\"a\\u0000b\"}\n"));
    cr_expect(!tq_result_case_id(id, 4, "{\"id\":\"abcd\"}\n"), "an id that does not fit");
    cr_expect(!tq_result_case_id(id, sizeof(id), "not json"));
}

Test(result, line_with_id_finds_an_answer_to_another_case)
{
    const char *text = "{\"id\":\"b\",\"outcome\":\"ok\"}\n{\"id\":\"a\",\"outcome\":\"ok\"}\n";
    size_t len = 0;
    const char *line = tq_result_line_with_id(text, strlen(text), "a", &len);
    cr_assert_not_null(line);
    cr_expect_eq(line, strchr(text, '\n') + 1);
    cr_expect_eq(len, strlen("{\"id\":\"a\",\"outcome\":\"ok\"}"));
    cr_expect_null(tq_result_line_with_id(text, strlen(text), "c", &len));
    cr_expect_null(tq_result_line_with_id(text, strlen(text), "", &len));
    cr_expect_null(tq_result_line_with_id("debug\n", 6, "a", &len));
}
