/* Tests for harness/baseline.c: the file format, the two verdict rules, and the check that no
 * line names a backend or case that cannot match. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"

static struct tq_baseline *parse_ok(const char *text)
{
    struct tq_diag diag = {0};
    struct tq_baseline *b = NULL;
    cr_assert(tq_ok(tq_baseline_parse(&diag, &b, "known.txt", text, strlen(text))), "%s", diag.msg);
    return b;
}

Test(baseline, listed_failure_becomes_known_deviation)
{
    struct tq_baseline *b = parse_ok("# comment\n\ngnutls: grp/a case  # GnuTLS refuses DSA\n");
    struct tq_case_record r = {.name = "a case",
                               .group = "grp",
                               .backend = "gnutls",
                               .verdict = TQ_VERDICT_FAIL,
                               .message = "want ok, got x"};
    char msg[512];
    cr_expect_eq(tq_baseline_apply(b, &r, msg, sizeof(msg)), TQ_VERDICT_WARN);
    cr_expect(strstr(msg, "known deviation (known.txt: GnuTLS refuses DSA): want ok, got x"), "%s",
              msg);
    tq_baseline_free(b);
}

Test(baseline, listed_pass_fails_until_removed)
{
    struct tq_baseline *b = parse_ok("gnutls: grp/a case\n");
    struct tq_case_record r = {
        .name = "a case", .group = "grp", .backend = "gnutls", .verdict = TQ_VERDICT_PASS};
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
        cr_expect_not(
            tq_ok(tq_baseline_parse(&diag, &b, "k.txt", cases[i].text, strlen(cases[i].text))),
            "case %zu", i);
        cr_expect_eq(diag.line, cases[i].line, "case %zu: want line %u, got %u (%s)", i,
                     cases[i].line, diag.line, diag.msg);
        cr_expect_null(b);
    }
}

static bool has_case(const void *ctx, const char *case_id)
{
    for (const char *const *known = ctx; *known; known++)
        if (strcmp(*known, case_id) == 0)
            return true;
    return false;
}

/* check returns what tq_baseline_check printed for `text` (caller frees) and the count. */
static char *check(const char *text, bool with_backends, size_t *out_num)
{
    static const char *const backends[] = {"openssl", "gnutls"};
    static const char *const cases[] = {"grp/a case", "grp/b case", NULL};
    struct tq_baseline *b = parse_ok(text);
    struct tq_baseline_known known = {.backends = with_backends ? backends : NULL,
                                      .num_backends = with_backends ? 2 : 0,
                                      .has_case = has_case,
                                      .ctx = cases};
    char *printed = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&printed, &len);
    *out_num = tq_baseline_check(b, &known, out);
    fclose(out);
    tq_baseline_free(b);
    return printed;
}

Test(baseline, stale_lines_are_file_line_errors)
{
    size_t num = 0;
    char *printed = check("# ok\ngnutls: grp/a case  # fine\n"
                          "gnuttls: grp/a case  # misspelt backend\n"
                          "openssl: grp/renamed case  # renamed case\n"
                          "gnutls: grp/a case  # again\n",
                          true, &num);
    cr_expect_eq(num, 3, "%s", printed);
    cr_expect(strstr(printed, "known.txt:3: no backend called 'gnuttls'; known: openssl, gnutls"),
              "%s", printed);
    cr_expect(strstr(printed, "known.txt:4: no case 'grp/renamed case' in the scenarios"), "%s",
              printed);
    cr_expect(strstr(printed, "known.txt:5: 'gnutls: grp/a case' is already listed at line 2"),
              "%s", printed);
    free(printed);
}

Test(baseline, backends_unchecked_when_unknown)
{
    size_t num = 0;
    char *printed = check("vendor-stack: grp/b case\n", false, &num);
    cr_expect_eq(num, 0, "%s", printed);
    free(printed);
    printed = check("vendor-stack: grp/b case\n", true, &num);
    cr_expect_eq(num, 1, "%s", printed);
    free(printed);
}
