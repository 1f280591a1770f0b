/* Tests for harness/baseline.c: the file format and the two verdict rules. */
#include <criterion/criterion.h>
#include <string.h>

#include "baseline.h"

static struct tq_baseline *parse_ok(const char *text)
{
    struct tq_diag diag = {0};
    struct tq_baseline *b = NULL;
    cr_assert(tq_ok(tq_baseline_parse(&diag, &b, "known.txt", text, strlen(text))), "%s",
              diag.msg);
    return b;
}

Test(baseline, listed_failure_becomes_known_deviation)
{
    struct tq_baseline *b = parse_ok("# comment\n\ngnutls: grp/a case  # GnuTLS refuses DSA\n");
    struct tq_case_record r = {.name = "a case", .group = "grp", .backend = "gnutls",
                               .verdict = TQ_VERDICT_FAIL, .message = "want ok, got x"};
    char msg[512];
    cr_expect_eq(tq_baseline_apply(b, &r, msg, sizeof(msg)), TQ_VERDICT_WARN);
    cr_expect(strstr(msg, "known deviation (known.txt: GnuTLS refuses DSA): want ok, got x"), "%s",
              msg);
    tq_baseline_free(b);
}

Test(baseline, listed_pass_fails_until_removed)
{
    struct tq_baseline *b = parse_ok("gnutls: grp/a case\n");
    struct tq_case_record r = {.name = "a case", .group = "grp", .backend = "gnutls",
                               .verdict = TQ_VERDICT_PASS};
    char msg[512];
    cr_expect_eq(tq_baseline_apply(b, &r, msg, sizeof(msg)), TQ_VERDICT_FAIL);
    cr_expect(strstr(msg, "but passed: remove the line"));
    r.backend = "openssl";
    cr_expect_eq(tq_baseline_apply(b, &r, msg, sizeof(msg)), TQ_VERDICT_PASS, "other backend");
    r.verdict = TQ_VERDICT_SKIP;
    r.backend = "gnutls";
    cr_expect_eq(tq_baseline_apply(b, &r, msg, sizeof(msg)), TQ_VERDICT_SKIP, "skips untouched");
    cr_expect_eq(tq_baseline_apply(NULL, &r, msg, sizeof(msg)), TQ_VERDICT_SKIP);
    tq_baseline_free(b);
}

Test(baseline, bad_lines_name_file_and_line)
{
    static const struct {
        const char *text;
        unsigned line;
    } cases[] = {{"ok: g/n\nno colon here\n", 2}, {"\n\n: g/n\n", 3}, {"b: no-slash\n", 1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tq_diag diag = {0};
        struct tq_baseline *b = NULL;
        cr_expect_not(tq_ok(tq_baseline_parse(&diag, &b, "k.txt", cases[i].text,
                                              strlen(cases[i].text))), "case %zu", i);
        cr_expect_eq(diag.line, cases[i].line, "case %zu: want line %u, got %u (%s)", i,
                     cases[i].line, diag.line, diag.msg);
        cr_expect_null(b);
    }
}
