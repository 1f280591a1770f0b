/* Tests for common/outcome_vocab.c: one vocabulary, two sides. Every word the backend driver can
 * write (every outcome code, every alert number 0..255, through the driver's own formatting and
 * its result-line writer) is a word the harness accepts in a result line and a word a scenario
 * may expect; and nothing else is. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"
#include "outcome.h"
#include "outcome_vocab.h"
#include "result.h"
#include "scenario.h"

/* driver_word formats outcome `code` (with `alert`) as the driver's result line does. */
static void driver_word(char *out, size_t out_len, enum tq_outcome_code code, int alert)
{
    struct tq_outcome o = {.code = code, .alert = alert};
    tq_outcome_format(out, out_len, &o);
}

/* scenario_accepts is true when a scenario expecting `word` parses (what `tlsqual lint` says). */
static bool scenario_accepts(const char *word, char *why, size_t why_len)
{
    char text[256];
    snprintf(text, sizeof(text), "name: n\nspec: s\nexpect:\n  outcome: [\"%s\"]\n", word);
    struct tq_diag diag = {0};
    struct tq_scenario *s = NULL;
    tq_status st = tq_scenario_parse(&diag, &s, "vocab.yaml", text, strlen(text));
    snprintf(why, why_len, "%s", diag.msg);
    tq_scenario_free(s);
    return tq_ok(st);
}

/* harness_reads writes a whole result line with the driver's writer, for outcome `code` and
 * `alert`, and reads it back with the harness's result reader; `*out` gets what it read. */
static tq_status harness_reads(struct tq_diag *diag, struct tq_result *out,
                               enum tq_outcome_code code, int alert)
{
    struct tq_case_result r = {.id = "c1",
                               .library = "test",
                               .handshake = "failed",
                               .local_port = -1,
                               .mqtt = {.connack = -1},
                               .outcome = {.code = code, .alert = alert}};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    struct tq_diag wdiag = {0};
    cr_assert(tq_ok(tq__write_result(&wdiag, f, &r)), "write: %s", wdiag.msg);
    fclose(f);
    tq_status st = tq_result_parse(diag, out, "c1", text, len);
    free(text);
    return st;
}

/* check_both_sides checks one word the driver writes for (`code`, `alert`). */
static void check_both_sides(enum tq_outcome_code code, int alert)
{
    char word[TQ_OUTCOME_WIRE_MAX], why[1024];
    driver_word(word, sizeof(word), code, alert);
    cr_expect(tq_outcome_known(word), "harness refuses '%s' (code %d, alert %d)", word, code,
              alert);
    cr_expect(scenario_accepts(word, why, sizeof(why)), "a scenario may not expect '%s': %s", word,
              why);
    struct tq_diag diag = {0};
    struct tq_result res;
    cr_expect(tq_ok(harness_reads(&diag, &res, code, alert)),
              "the harness reads the result line of '%s' as a protocol error: %s", word, diag.msg);
    cr_expect_str_eq(res.outcome, word);
}

Test(outcome_vocab, every_outcome_code_the_driver_writes_is_accepted)
{
    for (int code = 0; code < TQ_OUT_COUNT; code++)
        check_both_sides((enum tq_outcome_code)code, 0);
}

Test(outcome_vocab, every_alert_number_the_driver_writes_is_accepted)
{
    for (int alert = 0; alert <= 255; alert++)
        check_both_sides(TQ_OUT_ALERT_RECEIVED, alert);
}

/* The words the harness used to refuse: a case that got them became protocol_error. */
Test(outcome_vocab, alert_names_once_refused_are_words)
{
    static const struct {
        int code;
        const char *word;
    } cases[] = {
        {21, "alert_received:decryption_failed"},
        {30, "alert_received:decompression_failure"},
        {41, "alert_received:no_certificate"},
        {60, "alert_received:export_restriction"},
        {111, "alert_received:certificate_unobtainable"},
        {114, "alert_received:bad_certificate_hash_value"},
        {200, "alert_received:alert_200"},
        {255, "alert_received:alert_255"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char word[TQ_OUTCOME_WIRE_MAX];
        driver_word(word, sizeof(word), TQ_OUT_ALERT_RECEIVED, cases[i].code);
        cr_expect_str_eq(word, cases[i].word);
        enum tq_outcome_code code = TQ_OUT_COUNT;
        int alert = -1;
        cr_expect(tq_outcome_parse(cases[i].word, &code, &alert), "%s", cases[i].word);
        cr_expect_eq(code, TQ_OUT_ALERT_RECEIVED, "%s", cases[i].word);
        cr_expect_eq(alert, cases[i].code, "%s", cases[i].word);
    }
}

Test(outcome_vocab, words_no_side_writes_are_refused)
{
    static const char *const refused[] = {
        "",
        "OK",
        "ok ",
        "not_run",        /* the zero state, never on the wire */
        "alert_received", /* always carries its alert */
        "alert_received:",
        "alert_received:nonsense",
        "alert_received:alert_41", /* 41 is spelled no_certificate */
        "alert_received:alert_0",  /* close_notify */
        "alert_received:alert_256",
        "alert_received:alert_007",
        "alert_received:alert_",
        "alert_received:alert_-1",
        "alert_received:alert_1x",
        "alert_received:protocol_version ",
        "alert_received:ok",
        "certificate_expired", /* an alert name is not an outcome */
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char why[1024];
        cr_expect_not(tq_outcome_known(refused[i]), "'%s' accepted", refused[i]);
        cr_expect_not(scenario_accepts(refused[i], why, sizeof(why)), "a scenario may expect '%s'",
                      refused[i]);
    }
}

Test(outcome_vocab, harness_only_outcomes_are_words_a_scenario_may_expect)
{
    cr_expect_eq(tq_outcome_writer_of(TQ_OUT_BACKEND_CRASHED), TQ_OUTCOME_HARNESS);
    cr_expect_eq(tq_outcome_writer_of(TQ_OUT_PROTOCOL_ERROR), TQ_OUTCOME_HARNESS);
    cr_expect_eq(tq_outcome_writer_of(TQ_OUT_NOT_RUN), TQ_OUTCOME_NOWHERE);
    cr_expect(tq_outcome_known("backend_crashed"));
    cr_expect(tq_outcome_known("protocol_error"));
}

Test(outcome_vocab, a_case_without_an_outcome_is_written_unmapped)
{
    char word[TQ_OUTCOME_WIRE_MAX];
    driver_word(word, sizeof(word), TQ_OUT_NOT_RUN, 0);
    cr_expect_str_eq(word, "unmapped");
}

Test(outcome_vocab, alert_words_round_trip)
{
    size_t named = 0;
    for (int code = 0; code <= 255; code++) {
        const char *word = tq_alert_word(code);
        cr_assert_not_null(word, "%d", code);
        cr_expect_lt(strlen(word), TQ_ALERT_WORD_MAX, "'%s'", word);
        cr_expect_eq(tq_alert_code(word), code, "'%s'", word);
        if (tq_alert_name(code) == NULL) {
            char want[24];
            snprintf(want, sizeof(want), "alert_%d", code);
            cr_expect_str_eq(word, want);
        }
        named += tq_alert_name(code) != NULL;
    }
    cr_expect_eq(named, 34, "the IANA names of RFC 8446 and RFC 5246");
    cr_expect_null(tq_alert_name(-1));
    cr_expect_null(tq_alert_name(256));
    cr_expect_null(tq_alert_word(256));
    cr_expect_null(tq_alert_word(-1));
}
