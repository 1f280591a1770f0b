/* verdict_test.c: tests harness/verdict/verdict.c: a case is judged only on its own result line;
 * output that is not that line is an ERROR (protocol_error, quoting the line), never a PASS or a
 * FAIL judged on another case's result. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "verdict.h"

/* run_with writes `stdout_text` as the whole stdout of a process that exited 0. */
static struct tq_proc_output run_with(const char *stdout_text)
{
    struct tq_proc_output run = {.exited = true, .exit_code = 0};
    tq_buf_init(&run.out, 1 << 20);
    tq_buf_init(&run.err, 1 << 20);
    cr_assert(tq_ok(tq_buf_append(&run.out, stdout_text, strlen(stdout_text))));
    return run;
}

static enum tq_verdict judge(const char *want_id, const char *stdout_text, char *why,
                             size_t why_len, bool *has_result)
{
    static char ok[] = "ok", refused[] = "alert_received:protocol_version";
    struct tq_scenario_expect e = {.outcome = {.num = 2, .items = {ok, refused}}, .connack = -1};
    struct tq_proc_output run = run_with(stdout_text);
    struct tq_result result;
    enum tq_verdict v =
        tq_verdict_of_run(&run, 15000, want_id, &e, NULL, &result, has_result, why, why_len);
    tq_proc_output_cleanup(&run);
    return v;
}

#define REFUSED(id) "{\"id\":\"" id "\",\"outcome\":\"alert_received:protocol_version\"}\n"

Test(verdict, own_result_is_judged)
{
    char why[1024];
    bool has = false;
    cr_expect_eq(judge("versions/tls12", REFUSED("versions/tls12"), why, sizeof(why), &has),
                 TQ_VERDICT_PASS, "%s", why);
    cr_expect(has);
}

/* The runs of issue 13: each would have passed when judged on the line it got. */
static const struct {
    const char *name;
    const char *stdout_text;
    const char *why_has;
} broken[] = {
    {"another case's result", REFUSED("versions/tls10"), "'versions/tls10'"},
    {"a fixed wrong id", REFUSED("not-the-case-id"), "'not-the-case-id'"},
    {"a debug line, then the result", "debug\n" REFUSED("versions/tls12"), "'debug'"},
    {"the result twice", REFUSED("versions/tls12") REFUSED("versions/tls12"),
     "another line after it"},
};

Test(verdict, a_line_that_is_not_the_case_result_is_a_protocol_error)
{
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        char why[1024];
        bool has = true;
        enum tq_verdict v = judge("versions/tls12", broken[i].stdout_text, why, sizeof(why), &has);
        cr_expect_eq(v, TQ_VERDICT_ERROR, "%s: verdict %s", broken[i].name, tq_verdict_name(v));
        cr_expect(!has, "%s: no result to judge", broken[i].name);
        cr_expect(strncmp(why, "protocol_error: ", 16) == 0, "%s: %s", broken[i].name, why);
        cr_expect(strstr(why, broken[i].why_has) != NULL, "%s: want \"%s\" in \"%s\"",
                  broken[i].name, broken[i].why_has, why);
    }
}

Test(verdict, timeout_quotes_what_stdout_held)
{
    struct tq_scenario_expect e = {.connack = -1};
    struct tq_proc_output run = run_with("debug: still connecting");
    run.exited = false;
    run.timed_out = true;
    struct tq_result result;
    bool has = true;
    char why[1024];
    cr_expect_eq(tq_verdict_of_run(&run, 15000, "a", &e, NULL, &result, &has, why, sizeof(why)),
                 TQ_VERDICT_ERROR);
    cr_expect(strncmp(why, "timeout: ", 9) == 0, "%s", why);
    cr_expect(strstr(why, "'debug: still connecting'") != NULL, "%s", why);
    tq_proc_output_cleanup(&run);
}
