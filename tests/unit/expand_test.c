/* Tests for harness/scenario/expand.c: `expand: policy_suites` makes one case per cipher suite of
 * the broker's security policy (broker/policy.h, the table the broker enforces), each pinned to
 * its suite and version and expecting the server chain whose key type fits the suite
 * (docs/aws-iot/server-chains.md#chain-selection); what the template sets itself is kept; a name
 * that grows past 66 characters and an unknown policy are errors naming the file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "expand.h"
#include "policy.h"
#include "tq_test.h"

static char dir[TQ_TEST_DIR_LEN];

static void setup(void)
{
    tq_test_dir_make(dir, "expand-test");
}

static void teardown(void)
{
    tq_test_dir_remove(dir);
}

TestSuite(expand, .init = setup, .fini = teardown);

enum { MAX_OUT = 64 };

struct family {
    struct tq_scenario *tmpl;
    struct tq_scenario *items[MAX_OUT];
    size_t num;
    tq_status st;
    struct tq_diag diag;
};

/* expand writes `yaml` to a file (expand.c reads each case from the template's file again),
 * loads it and expands it into `f` with room for `max_out` cases. */
static void expand(struct family *f, const char *yaml, size_t max_out)
{
    char path[256];
    tq_test_write_file(path, sizeof(path), dir, "family.yaml", yaml);
    TQ_TEST_OK(tq_scenario_load(&f->diag, &f->tmpl, path), &f->diag);
    f->st = tq_expand_scenario(&f->diag, f->items, max_out, &f->num, f->tmpl);
}

static void family_free(struct family *f)
{
    for (size_t i = 0; i < f->num; i++)
        tq_scenario_free(f->items[i]);
    tq_scenario_free(f->tmpl);
}

#define FAMILY(policy)                                                                             \
    "name: '{suite} under " policy "'\nspec: s\nexpand: policy_suites\nbroker: {policy: " policy   \
    "}\nclient: {certificate: device-rsa-2048}\nexpect: {outcome: ok}\n"

/* The server chain the broker serves for `suite` on the ATS endpoint: the EC chain for ECDSA
 * suites and every TLS 1.3 suite, the RSA chain for the rest
 * (docs/aws-iot/server-chains.md#chain-selection). */
static const char *ats_chain(const struct tq_policy_suite *suite)
{
    return suite->tls13 || strstr(suite->iana, "_ECDSA_") ? "ats-server-ecdsa" : "ats-server-rsa";
}

Test(expand, one_case_per_suite_of_the_policy_each_pinned)
{
    static const char *const policies[] = {"TLS13_1_2_2022_10", "TLS12_1_2_2022_10",
                                           "TLS13_1_3_2022_10", "TLS12_1_0_2015_01-8883"};
    for (size_t k = 0; k < sizeof(policies) / sizeof(policies[0]); k++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml),
                 "name: '{suite} under P'\nspec: s\nexpand: policy_suites\n"
                 "broker: {policy: %s}\nexpect: {outcome: ok}\n",
                 policies[k]);
        struct family f = {0};
        expand(&f, yaml, MAX_OUT);
        cr_assert(tq_ok(f.st), "%s: %s", policies[k], f.diag.msg);
        const struct tq_policy *p = tq_policy_find(policies[k]);
        cr_assert_eq(f.num, tq_policy_num_suites(p), "%s: one case per suite", policies[k]);
        for (size_t i = 0; i < f.num; i++) {
            const struct tq_policy_suite *suite = tq_policy_suite(p, i);
            const struct tq_scenario *s = f.items[i];
            const char *version = suite->tls13 ? "1.3" : "1.2";
            char name[128];
            snprintf(name, sizeof(name), "%s under P", suite->openssl);
            cr_expect_str_eq(s->name, name);
            cr_expect_null(s->expand, "a case is no template");
            cr_assert_eq(s->client.suites.num, 1, "%s", name);
            cr_expect_str_eq(s->client.suites.items[0], suite->iana, "%s", name);
            cr_expect_str_eq(s->client.versions.min, version, "%s", name);
            cr_expect_str_eq(s->client.versions.max, version, "%s", name);
            cr_expect_str_eq(s->expect.suite, suite->iana, "%s", name);
            cr_expect_str_eq(s->expect.server_certificate, ats_chain(suite), "%s", name);
        }
        family_free(&f);
    }
}

Test(expand, no_policy_means_the_default_policy)
{
    struct family f = {0};
    expand(&f, "name: '{suite} default'\nspec: s\nexpand: policy_suites\nexpect: {outcome: ok}\n",
           MAX_OUT);
    cr_assert(tq_ok(f.st), "%s", f.diag.msg);
    cr_expect_eq(f.num, tq_policy_num_suites(tq_policy_find(TQ_POLICY_DEFAULT_ID)));
    family_free(&f);
}

/* The legacy endpoint serves one RSA chain for every suite. */
Test(expand, the_legacy_endpoint_expects_its_rsa_chain)
{
    struct family f = {0};
    expand(&f,
           "name: '{suite} legacy'\nspec: s\nexpand: policy_suites\n"
           "broker: {endpoint: legacy, policy: TLS12_1_2_2022_10}\nexpect: {outcome: ok}\n",
           MAX_OUT);
    cr_assert(tq_ok(f.st), "%s", f.diag.msg);
    cr_assert_gt(f.num, 0);
    for (size_t i = 0; i < f.num; i++)
        cr_expect_str_eq(f.items[i]->expect.server_certificate, "legacy-server-rsa", "%s",
                         f.items[i]->name);
    family_free(&f);
}

/* What the template says itself wins over what expansion would pin. */
Test(expand, the_template_s_own_settings_are_kept)
{
    struct family f = {0};
    expand(&f,
           "name: '{suite} kept'\nspec: s\nexpand: policy_suites\n"
           "broker: {policy: TLS13_1_3_2022_10}\nclient:\n  versions: {min: '1.2'}\n"
           "expect:\n  outcome: ok\n  suite: TLS_AES_128_GCM_SHA256\n"
           "  server_certificate: ats-server-rsa\n",
           MAX_OUT);
    cr_assert(tq_ok(f.st), "%s", f.diag.msg);
    cr_assert_gt(f.num, 0);
    for (size_t i = 0; i < f.num; i++) {
        const struct tq_scenario *s = f.items[i];
        cr_expect_str_eq(s->client.versions.min, "1.2", "%s", s->name);
        cr_expect_null(s->client.versions.max, "%s: a version given is not pinned", s->name);
        cr_expect_str_eq(s->expect.suite, "TLS_AES_128_GCM_SHA256", "%s", s->name);
        cr_expect_str_eq(s->expect.server_certificate, "ats-server-rsa", "%s", s->name);
    }
    family_free(&f);
}

/* Mbed TLS's rule for test names (scenario.h): at most 66 characters, after expansion too. */
Test(expand, a_name_that_grows_too_long_is_an_error_at_its_line)
{
    struct family f = {0};
    expand(&f,
           "spec: s\nname: '{suite} and a long tail that pushes the name past the bound'\n"
           "expand: policy_suites\nexpect: {outcome: ok}\n",
           MAX_OUT);
    cr_expect_not(tq_ok(f.st));
    cr_expect_eq(f.diag.line, 2, "the name's line, got %u", f.diag.line);
    cr_expect(strstr(f.diag.path, "family.yaml") != NULL, "%s", f.diag.path);
    cr_expect(strstr(f.diag.msg, "more than 66") != NULL, "%s", f.diag.msg);
    family_free(&f);
}

Test(expand, an_unknown_policy_and_too_many_cases_are_errors)
{
    struct family f = {0};
    expand(&f, FAMILY("TLS13_1_2_2022_10"), 2);
    cr_expect_not(tq_ok(f.st));
    cr_expect_eq(f.num, 2, "the cases made so far are the caller's to free");
    cr_expect(strstr(f.diag.msg, "expands to more than 2") != NULL, "%s", f.diag.msg);
    family_free(&f);

    /* A scenario file cannot name an unknown policy (the broker's option table refuses it at
     * its line), so the template is changed in memory. */
    struct family g = {0};
    expand(&g, FAMILY("TLS13_1_2_2022_10"), MAX_OUT);
    cr_assert(tq_ok(g.st), "%s", g.diag.msg);
    static char nope[] = "TLS99_NOPE";
    char *policy = g.tmpl->broker.policy;
    g.tmpl->broker.policy = nope;
    struct tq_scenario *out[MAX_OUT];
    size_t num = 7;
    tq_status st = tq_expand_scenario(&g.diag, out, MAX_OUT, &num, g.tmpl);
    g.tmpl->broker.policy = policy;
    cr_expect_not(tq_ok(st));
    cr_expect_eq(num, 0);
    cr_expect(strstr(g.diag.msg, "unknown security policy 'TLS99_NOPE'") != NULL, "%s", g.diag.msg);
    family_free(&g);
}
