/* Tests for harness/report/merge.c: the shard set every run records, and the checks that keep
 * `tlsqual merge` from writing a report of anything but one whole run (issue 13). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "merge.h"

enum { PLANNED = 7 }; /* two backends would make it even; odd keeps shares unequal (4 + 3) */

/* set_identity gives `r` the identity properties of one run, as `tlsqual run` sets them. */
static void set_identity(struct tq_report *r)
{
    static const char *const props[][2] = {
        {"tlsqual.version", "0.1.0"},
        {"scenarios.digest", "sha256:5ce7"},
        {"filters", "[\"client-certificate/\"]"},
        {"backends", "[\"openssl\",\"gnutls\"]"},
        {"backend.openssl.library", "OpenSSL 3.0.15"},
        {"backend.gnutls.library", "GnuTLS 3.7.9"},
        {"pki.digest", "sha256:0b1d"},
        {"baseline.digest", "none"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        cr_assert(tq_ok(tq_report_set_property(r, props[i][0], props[i][1])));
}

/* shard builds shard k of n of a run of `planned` cases: its cases are seq = k-1, k-1+n, ...,
 * verdicts and names derived from seq, so an unsharded run is shard(1, 1). */
static struct tq_report *shard_of(unsigned k, unsigned n, size_t planned, const char *run_id)
{
    struct tq_report *r = NULL;
    cr_assert(tq_ok(tq_report_new(&r)));
    set_identity(r);
    char folder[64];
    snprintf(folder, sizeof(folder), "20261123T215852Z-%u-shard%uof%u", 100 + k, k, n);
    cr_assert(tq_ok(tq_report_set_property(r, "run.folder", folder)));
    cr_assert(tq_ok(tq_report_set_property(r, "pki.generated_at", "2026-11-23T21:42:00Z")));
    cr_assert(tq_ok(tq_merge_identify(r, k, n, planned, run_id)));
    for (size_t seq = k - 1; seq < planned; seq += n) {
        char name[32];
        snprintf(name, sizeof(name), "case %zu", seq);
        struct tq_case_record c = {.name = name,
                                   .backend = seq < 4 ? "openssl" : "gnutls",
                                   .group = "smoke",
                                   .seq = seq,
                                   .seconds = 0.5,
                                   .verdict = seq % 3 ? TQ_VERDICT_PASS : TQ_VERDICT_FAIL,
                                   .message = seq % 3 ? NULL : "want ok, got alert"};
        cr_assert(tq_ok(tq_report_add(r, &c)));
    }
    return r;
}

static struct tq_report *shard(unsigned k, unsigned n)
{
    return shard_of(k, n, PLANNED, NULL);
}

/* merge runs tq_merge_shards over `reports` and returns its status; `*out` is the result. */
static tq_status merge(struct tq_diag *diag, struct tq_report **out, struct tq_report **reports,
                       size_t num, bool allow_partial)
{
    struct tq_merge_input in[8];
    char sources[8][32];
    for (size_t i = 0; i < num; i++) {
        snprintf(sources[i], sizeof(sources[i]), "input-%zu.json", i);
        in[i] = (struct tq_merge_input){.report = reports[i], .source = sources[i]};
    }
    cr_assert(tq_ok(tq_report_new(out)));
    *diag = (struct tq_diag){0};
    return tq_merge_shards(diag, *out, in, num, allow_partial);
}

static void free_all(struct tq_report **reports, size_t num, struct tq_report *out)
{
    for (size_t i = 0; i < num; i++)
        tq_report_free(reports[i]);
    tq_report_free(out);
}

/* expect_refused merges `reports`, expects TQ_ERR_USAGE with every string of `want` in the
 * message, and nothing written to the output report. */
static void expect_refused(struct tq_report **reports, size_t num, bool allow_partial,
                           const char *const *want, size_t num_want)
{
    struct tq_diag diag;
    struct tq_report *out = NULL;
    tq_status st = merge(&diag, &out, reports, num, allow_partial);
    char shown[2048]; /* as the CLI prints it: "path: message" */
    tq_diag_format(shown, sizeof(shown), &diag);
    cr_expect_eq(st.code, TQ_ERR_USAGE, "want refused, got %s", tq_status_name(st.code));
    for (size_t i = 0; i < num_want; i++)
        cr_expect(strstr(shown, want[i]) != NULL, "message lacks '%s': %s", want[i], shown);
    cr_expect_eq(tq_report_count(out), 0, "a refused merge wrote cases");
    cr_expect_eq(tq_report_property_count(out), 0, "a refused merge wrote properties");
    free_all(reports, num, out);
}

Test(merge, identify_records_the_shard_set_and_a_run_id)
{
    struct tq_report *r = shard(2, 3);
    cr_expect_str_eq(tq_report_get(r, "shard"), "2/3");
    cr_expect_str_eq(tq_report_get(r, "cases.planned"), "7");
    const char *identity = tq_report_get(r, "run.identity");
    cr_assert(identity != NULL && strncmp(identity, "sha256:", 7) == 0 && strlen(identity) == 71,
              "%s", identity ? identity : "(none)");
    cr_expect_str_eq(tq_report_get(r, "run.id"), identity, "no --run-id: the identity is the id");
    struct tq_report *given = shard_of(2, 3, PLANNED, "pipeline-42");
    cr_expect_str_eq(tq_report_get(given, "run.id"), "pipeline-42");
    cr_expect_str_eq(tq_report_get(given, "run.identity"), identity);
    tq_report_free(r);
    tq_report_free(given);
}

Test(merge, identity_follows_the_identity_properties_only)
{
    struct tq_report *a = shard(1, 2), *b = shard(2, 2);
    cr_expect_str_eq(tq_report_get(a, "run.identity"), tq_report_get(b, "run.identity"),
                     "two shards of one run (different folders) share the identity");
    const char *changed[] = {"filters", "backend.gnutls.library", "scenarios.digest"};
    for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
        struct tq_report *c = shard(2, 2);
        cr_assert(tq_ok(tq_report_set_property(c, changed[i], "other")));
        cr_assert(tq_ok(tq_merge_identify(c, 2, 2, PLANNED, NULL)));
        cr_expect_str_neq(tq_report_get(a, "run.identity"), tq_report_get(c, "run.identity"),
                          "changing %s must change the identity", changed[i]);
        tq_report_free(c);
    }
    tq_report_free(a);
    tq_report_free(b);
}

Test(merge, two_complete_shards_give_the_unsharded_report)
{
    struct tq_report *whole = shard(1, 1);
    struct tq_report *reports[] = {shard(2, 2), shard(1, 2)}; /* any order */
    struct tq_diag diag;
    struct tq_report *out = NULL;
    tq_status st = merge(&diag, &out, reports, 2, false);
    cr_assert(tq_ok(st), "%s", diag.msg);
    cr_assert_eq(tq_report_count(out), tq_report_count(whole));
    for (size_t i = 0; i < tq_report_count(whole); i++) {
        const struct tq_case_record *a = tq_report_at(whole, i), *b = tq_report_at(out, i);
        cr_expect_eq(a->seq, b->seq, "case %zu", i);
        cr_expect_str_eq(a->name, b->name);
        cr_expect_str_eq(a->backend, b->backend);
        cr_expect_eq(a->verdict, b->verdict);
    }
    cr_expect_str_eq(tq_report_get(out, "shards"), "1/2 2/2");
    cr_expect_null(tq_report_get(out, "shard"), "a merged report holds shards, not shard");
    cr_expect_null(tq_report_get(out, "shards.missing"));
    cr_expect_null(tq_report_incomplete(out));
    cr_expect_str_eq(tq_report_get(out, "filters"), "[\"client-certificate/\"]");
    cr_expect_str_eq(tq_report_get(out, "pki.generated_at"), "2026-11-23T21:42:00Z",
                     "a property equal in every shard is kept once");
    cr_expect_null(tq_report_get(out, "run.folder"));
    cr_expect_str_eq(tq_report_get(out, "shard.1.run.folder"), "20261123T215852Z-101-shard1of2",
                     "one that differs is kept per shard");
    cr_expect_str_eq(tq_report_get(out, "shard.2.run.folder"), "20261123T215852Z-102-shard2of2");
    tq_report_free(whole);
    free_all(reports, 2, out);
}

Test(merge, a_missing_shard_is_refused_and_named)
{
    struct tq_report *reports[] = {shard(2, 2)};
    const char *want[] = {"incomplete shard set", "missing: 1/2", "given: 2/2", "--allow-partial"};
    expect_refused(reports, 1, false, want, 4);
}

Test(merge, two_missing_shards_are_both_named)
{
    struct tq_report *reports[] = {shard(2, 4), shard(4, 4)};
    const char *want[] = {"2 of 4 shards missing: 1/4, 3/4"};
    expect_refused(reports, 2, false, want, 1);
}

Test(merge, allow_partial_names_the_missing_shard_and_marks_the_report_incomplete)
{
    struct tq_report *reports[] = {shard(2, 2)};
    struct tq_diag diag;
    struct tq_report *out = NULL;
    cr_assert(tq_ok(merge(&diag, &out, reports, 1, true)), "%s", diag.msg);
    cr_expect_eq(tq_report_count(out), 3);
    cr_expect_str_eq(tq_report_get(out, "shards"), "2/2");
    cr_expect_str_eq(tq_report_get(out, "shards.missing"), "1/2");
    const char *why = tq_report_incomplete(out);
    cr_assert(why != NULL, "a partial merge must be marked incomplete");
    cr_expect(strstr(why, "1 of 2 shards missing (1/2)") && strstr(why, "4 of 7 planned cases"),
              "%s", why);
    free_all(reports, 1, out);
}

Test(merge, shards_of_different_counts_are_refused)
{
    struct tq_report *reports[] = {shard(1, 2), shard(2, 3)};
    const char *want[] = {"different shard counts", "input-0.json is shard 1/2",
                          "input-1.json is shard 2/3"};
    expect_refused(reports, 2, false, want, 3);
}

Test(merge, shards_of_different_runs_are_refused_naming_what_differs)
{
    static const char *const props[] = {"tlsqual.version", "scenarios.digest",        "filters",
                                        "backends",        "backend.openssl.library", "pki.digest",
                                        "baseline.digest"};
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        struct tq_report *other = shard(2, 2);
        cr_assert(tq_ok(tq_report_set_property(other, props[i], "something else")));
        cr_assert(tq_ok(tq_merge_identify(other, 2, 2, PLANNED, NULL)));
        struct tq_report *reports[] = {shard(1, 2), other};
        char differ[128];
        snprintf(differ, sizeof(differ), "they differ in %s", props[i]);
        const char *want[] = {"shards of different runs", differ, "'something else'"};
        expect_refused(reports, 2, false, want, 3);
    }
}

Test(merge, a_backend_only_one_shard_has_is_named)
{
    struct tq_report *other = shard(2, 2);
    cr_assert(tq_ok(tq_report_set_property(other, "backend.wolfssl.library", "wolfSSL 5.7")));
    struct tq_report *reports[] = {shard(1, 2), other};
    const char *want[] = {"they differ in backend.wolfssl.library", "(absent)"};
    expect_refused(reports, 2, false, want, 2);
}

Test(merge, explicit_run_ids_must_match)
{
    struct tq_report *reports[] = {shard_of(1, 2, PLANNED, "pipeline-41"),
                                   shard_of(2, 2, PLANNED, "pipeline-42")};
    const char *want[] = {"they differ in run.id", "pipeline-41", "pipeline-42"};
    expect_refused(reports, 2, false, want, 3);
    struct tq_report *half[] = {shard_of(1, 2, PLANNED, "pipeline-41"), shard(2, 2)};
    const char *want_half[] = {"they differ in run.id", "pipeline-41"};
    expect_refused(half, 2, false, want_half, 2);
    struct tq_report *same[] = {shard_of(1, 2, PLANNED, "p"), shard_of(2, 2, PLANNED, "p")};
    struct tq_diag diag;
    struct tq_report *out = NULL;
    cr_expect(tq_ok(merge(&diag, &out, same, 2, false)), "%s", diag.msg);
    cr_expect_str_eq(tq_report_get(out, "run.id"), "p");
    free_all(same, 2, out);
}

Test(merge, a_shard_given_twice_is_refused)
{
    struct tq_report *reports[] = {shard(1, 2), shard(1, 2), shard(2, 2)};
    const char *want[] = {"shard 1/2 is given twice", "input-0.json", "input-1.json"};
    expect_refused(reports, 3, true, want, 3);
}

Test(merge, a_shard_without_its_whole_share_is_refused)
{
    struct tq_report *truncated = shard_of(1, 2, PLANNED, NULL);
    /* A shard claiming a larger run than its cases: it lacks case 8 of 9. */
    cr_assert(tq_ok(tq_merge_identify(truncated, 1, 2, PLANNED + 2, NULL)));
    struct tq_report *other = shard_of(2, 2, PLANNED + 2, NULL);
    struct tq_report *reports[] = {truncated, other};
    const char *want[] = {"shard 1/2 holds 4 cases, want its share of 9 planned: 5"};
    expect_refused(reports, 2, false, want, 1);
}

Test(merge, a_case_of_another_shard_or_twice_is_refused)
{
    struct tq_report *stray = shard(1, 2);
    struct tq_case_record c = {
        .name = "stray", .backend = "openssl", .seq = 1, .verdict = TQ_VERDICT_PASS};
    cr_assert(tq_ok(tq_report_add(stray, &c)));
    struct tq_report *reports[] = {stray, shard(2, 2)};
    const char *want[] = {"holds 5 cases, want its share of 7 planned: 4"};
    expect_refused(reports, 2, false, want, 1);

    /* Same count, but case 0 twice and case 6 absent. */
    struct tq_report *twice = NULL;
    cr_assert(tq_ok(tq_report_new(&twice)));
    set_identity(twice);
    cr_assert(tq_ok(tq_merge_identify(twice, 1, 2, PLANNED, NULL)));
    const size_t seqs[] = {0, 2, 4, 0};
    for (size_t i = 0; i < 4; i++) {
        struct tq_case_record r = {.name = "x", .backend = "openssl", .seq = seqs[i]};
        cr_assert(tq_ok(tq_report_add(twice, &r)));
    }
    struct tq_report *again[] = {twice, shard(2, 2)};
    const char *want_twice[] = {"(seq 0) is in shard 1/2 twice"};
    expect_refused(again, 2, false, want_twice, 1);

    /* The right count, but seq 3 belongs to shard 2/2 (and 6 is absent). */
    struct tq_case_record far = {.name = "far", .backend = "openssl"};
    struct tq_report *wrong = NULL;
    cr_assert(tq_ok(tq_report_new(&wrong)));
    set_identity(wrong);
    cr_assert(tq_ok(tq_merge_identify(wrong, 1, 2, PLANNED, NULL)));
    const size_t wrong_seqs[] = {0, 2, 4, 3};
    for (size_t i = 0; i < 4; i++) {
        far.seq = wrong_seqs[i];
        cr_assert(tq_ok(tq_report_add(wrong, &far)));
    }
    struct tq_report *mixed[] = {wrong, shard(2, 2)};
    const char *want_seq[] = {"has seq 3, which shard 1/2 of 7 cases does not run"};
    expect_refused(mixed, 2, false, want_seq, 1);
}

Test(merge, a_report_without_a_shard_set_or_already_merged_is_refused)
{
    struct tq_report *old = NULL;
    cr_assert(tq_ok(tq_report_new(&old)));
    cr_assert(tq_ok(tq_report_set_property(old, "run.id", "20261123T215852Z-1")));
    struct tq_report *reports[] = {old, shard(2, 2)};
    const char *want[] = {"no shard set", "input-0.json"};
    expect_refused(reports, 2, false, want, 2);

    struct tq_diag diag;
    struct tq_report *merged = NULL;
    struct tq_report *both[] = {shard(1, 2), shard(2, 2)};
    cr_assert(tq_ok(merge(&diag, &merged, both, 2, false)), "%s", diag.msg);
    free_all(both, 2, NULL);
    struct tq_report *again[] = {merged};
    const char *want_merged[] = {"merged report (shards 1/2 2/2)"};
    expect_refused(again, 1, false, want_merged, 1);
}

Test(merge, an_incomplete_shard_makes_the_merged_report_incomplete)
{
    struct tq_report *cut = shard(2, 2);
    cr_assert(tq_ok(tq_report_mark_incomplete(cut, "interrupted by a signal")));
    struct tq_report *reports[] = {shard(1, 2), cut};
    struct tq_diag diag;
    struct tq_report *out = NULL;
    cr_assert(tq_ok(merge(&diag, &out, reports, 2, false)), "%s", diag.msg);
    const char *why = tq_report_incomplete(out);
    cr_assert(why != NULL);
    cr_expect_str_eq(why, "shard 2/2 is incomplete: interrupted by a signal");
    free_all(reports, 2, out);
}
