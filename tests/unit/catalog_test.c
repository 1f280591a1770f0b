/* Tests for harness/scenario/catalog.c: what a folder yields (*.yaml and *.yml alike, in sorted
 * order; nothing at all is a problem, never a silent empty catalog), the group of each scenario,
 * names unique across files, an expanded file counted as its cases, every problem reported with
 * file and line while the rest still loads, and case IDs, exact and unique. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "policy.h"
#include "tq_test.h"

static char root[TQ_TEST_DIR_LEN];

/* write_scenario writes ROOT/`rel` with `name` as its name's YAML text. */
static void write_scenario(const char *rel, const char *name)
{
    char text[512];
    snprintf(text, sizeof(text), "name: %s\nspec: RFC 5280\nexpect: {outcome: ok}\n", name);
    tq_test_write_file(NULL, 0, root, rel, text);
}

static void make_root(void)
{
    tq_test_dir_make(root, "catalog-test");
}

static void remove_root(void)
{
    tq_test_dir_remove(root);
}

TestSuite(catalog, .init = make_root, .fini = remove_root);

/* load loads `root` and returns what was printed as problems (caller frees). */
static char *load(struct tq_catalog *cat, size_t *out_errors, tq_status *out_st)
{
    struct tq_test_capture errors;
    tq_test_capture_begin(&errors);
    *out_st = tq_catalog_load(cat, out_errors, root, errors.file);
    return tq_test_capture_end(&errors);
}

Test(catalog, reads_yml_like_yaml)
{
    write_scenario("g1/a.yaml", "alpha");
    write_scenario("g1/b.yml", "alpha beta");
    write_scenario("c.yaml", "gamma");
    write_scenario("g1/notes.txt", "not a scenario");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_assert(tq_ok(st), "%s", printed);
    cr_expect_eq(cat.num, 3, "a.yaml, b.yml and c.yaml; notes.txt is no scenario");
    cr_expect_str_eq(cat.groups[0], "default", "a file at the root is in group 'default'");
    tq_catalog_cleanup(&cat);
    free(printed);
}

Test(catalog, a_folder_without_scenarios_is_a_problem)
{
    write_scenario("g1/notes.txt", "not a scenario");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_expect_not(tq_ok(st));
    cr_expect_eq(errors, 1);
    cr_expect(strstr(printed, "no scenario file (*.yaml, *.yml)") != NULL, "%s", printed);
    cr_expect(strncmp(printed, root, strlen(root)) == 0, "names the folder: %s", printed);
    tq_catalog_cleanup(&cat);
    free(printed);
}

/* The group is the first folder under the root, however deep the file; files load in sorted
 * path order, so a catalog is the same on every machine. */
Test(catalog, groups_are_the_first_folder_and_order_is_sorted)
{
    write_scenario("zeta/z.yaml", "z");
    write_scenario("alpha/deeper/still/d.yaml", "d");
    write_scenario("alpha/a.yaml", "a");
    write_scenario("top.yaml", "t");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_assert(tq_ok(st), "%s", printed);
    static const struct {
        const char *name, *group;
    } want[] = {{"a", "alpha"}, {"d", "alpha"}, {"t", "default"}, {"z", "zeta"}};
    cr_assert_eq(cat.num, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_expect_str_eq(cat.items[i]->name, want[i].name, "position %zu", i);
        cr_expect_str_eq(cat.groups[i], want[i].group, "group of %s", want[i].name);
    }
    tq_catalog_cleanup(&cat);
    free(printed);
}

/* A name is a case's identity in reports and baselines (CI tracks cases by name): two files
 * with one name are a problem naming both places, in any groups. */
Test(catalog, names_are_unique_across_files_and_groups)
{
    write_scenario("g1/a.yaml", "same name");
    write_scenario("g2/b.yaml", "same name");
    write_scenario("g2/c.yaml", "another name");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_expect_not(tq_ok(st));
    cr_expect_eq(errors, 1, "%s", printed);
    char want[512];
    snprintf(want, sizeof(want),
             "%s/g2/b.yaml:1: name 'same name' is already used by %s/g1/a.yaml:1", root, root);
    cr_expect(strstr(printed, want) != NULL, "want '%s' in '%s'", want, printed);
    tq_catalog_cleanup(&cat);
    free(printed);
}

/* A broken file is reported with its file and line; every other file still loads, so one run
 * of lint shows every problem. */
Test(catalog, a_broken_file_is_reported_and_the_rest_loads)
{
    write_scenario("g1/a.yaml", "alpha");
    tq_test_write_file(NULL, 0, root, "g1/b.yaml",
                       "name: broken\nspec: s\nexpect:\n  outcom: ok\n");
    write_scenario("g1/c.yaml", "gamma");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_expect_not(tq_ok(st));
    cr_expect_eq(errors, 1, "%s", printed);
    char want[256];
    snprintf(want, sizeof(want), "%s/g1/b.yaml:4: ", root);
    cr_expect(strncmp(printed, want, strlen(want)) == 0, "want '%s...' got '%s'", want, printed);
    cr_expect_eq(cat.num, 2, "alpha and gamma still load");
    tq_catalog_cleanup(&cat);
    free(printed);
}

/* An `expand: policy_suites` file is one case per suite of its policy (expand.h), each in the
 * file's group, next to the other files' cases. */
Test(catalog, an_expanded_file_counts_as_its_cases)
{
    write_scenario("a/first.yaml", "first");
    tq_test_write_file(NULL, 0, root, "b/family.yaml",
                       "name: '{suite} works'\nspec: s\nexpand: policy_suites\n"
                       "broker: {policy: TLS12_1_2_2022_10}\nexpect: {outcome: ok}\n");
    write_scenario("c/last.yaml", "last");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_assert(tq_ok(st), "%s", printed);
    const struct tq_policy *p = tq_policy_find("TLS12_1_2_2022_10");
    size_t num = tq_policy_num_suites(p);
    cr_assert_gt(num, 1);
    cr_assert_eq(cat.num, num + 2, "want %zu cases, got %zu", num + 2, cat.num);
    for (size_t i = 0; i < num; i++) {
        char name[128];
        snprintf(name, sizeof(name), "%s works", tq_policy_suite(p, i)->openssl);
        cr_expect_str_eq(cat.items[1 + i]->name, name);
        cr_expect_str_eq(cat.groups[1 + i], "b");
    }
    cr_expect_str_eq(cat.items[num + 1]->name, "last");
    tq_catalog_cleanup(&cat);
    free(printed);
}

Test(catalog, case_ids_are_exact)
{
    write_scenario("g1/a.yaml", "alpha");
    write_scenario("g1/b.yaml", "alpha beta");
    write_scenario("g2/c.yaml", "'it''s \"quoted\" / with a slash'");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_assert(tq_ok(st), "%s", printed);
    cr_expect_eq(tq_catalog_find(&cat, "g1/alpha"), 0);
    cr_expect_eq(tq_catalog_find(&cat, "g1/alpha beta"), 1);
    cr_expect_eq(tq_catalog_find(&cat, "g2/it's \"quoted\" / with a slash"), 2);
    cr_expect_eq(tq_catalog_find(&cat, "g1/alph"), cat.num, "a prefix is no ID");
    cr_expect_eq(tq_catalog_find(&cat, "g1/alpha "), cat.num);
    cr_expect_eq(tq_catalog_find(&cat, "g2/alpha"), cat.num, "the group is part of the ID");
    cr_expect_eq(tq_catalog_find(&cat, "alpha"), cat.num);
    cr_expect_not(tq_catalog_id_is("g1", "alpha", "g1alpha"));
    tq_catalog_cleanup(&cat);
    free(printed);
}

/* Lint without a PKI checks artifact names against certs-gen's table. */
Test(catalog, check_pki_without_a_pki_asks_certs_gen)
{
    tq_test_write_file(NULL, 0, root, "g/a.yaml",
                       "name: a\nspec: s\nclient: {certificate: device-rsa-2048}\n"
                       "expect: {outcome: ok}\n");
    tq_test_write_file(NULL, 0, root, "g/b.yaml",
                       "name: b\nspec: s\nclient: {certificate: device-no-such}\n"
                       "expect: {outcome: ok}\n");
    static struct tq_catalog cat;
    size_t errors = 0;
    tq_status st;
    char *printed = load(&cat, &errors, &st);
    cr_assert(tq_ok(st), "%s", printed);
    free(printed);
    struct tq_test_capture out;
    tq_test_capture_begin(&out);
    cr_expect_eq(tq_catalog_check_pki(&cat, NULL, out.file), 1);
    printed = tq_test_capture_end(&out);
    cr_expect(strstr(printed, "g/b.yaml:3: scenario 'b' names certificate 'device-no-such', "
                              "which tlsqual certs lacks") != NULL,
              "%s", printed);
    tq_catalog_cleanup(&cat);
    free(printed);
}
