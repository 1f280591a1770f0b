/* Tests for harness/scenario/spec.c: the resolution rule of docs/aws-iot/README.md, clause by
 * clause, on a reference folder written here; and every citation the shipped scenarios make
 * resolves in the repository's own docs/aws-iot. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "spec.h"

static const char tls_md[] = "# TLS\n"
                             "\n"
                             "## Versions\n"
                             "### versions\n"
                             "text\n"
                             "### twice\n"
                             "### twice\n"
                             "## security-policies\n"
                             "#### cipher-suites\n"
                             "### crlf\r\n"
                             "### trailing \n"
                             "```\n"
                             "### fenced\n"
                             "```\n"
                             "### after-fence\n";

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_reference(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tq-spec-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    write_file("tls.md", tls_md);
    write_file("README.md", "### versions\n");
}

static void remove_reference(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/tls.md", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/README.md", dir);
    unlink(path);
    rmdir(dir);
}

TestSuite(spec, .init = make_reference, .fini = remove_reference);

Test(spec, counts_level_three_anchor_lines_outside_fences)
{
    cr_expect_eq(tq_spec_count_anchor(tls_md, "versions"), 1);
    cr_expect_eq(tq_spec_count_anchor(tls_md, "twice"), 2);
    cr_expect_eq(tq_spec_count_anchor(tls_md, "security-policies"), 0, "## is not an anchor");
    cr_expect_eq(tq_spec_count_anchor(tls_md, "cipher-suites"), 0, "#### is not an anchor");
    cr_expect_eq(tq_spec_count_anchor(tls_md, "crlf"), 0, "a final \\r is not allowed");
    cr_expect_eq(tq_spec_count_anchor(tls_md, "trailing"), 0, "nothing after the anchor");
    cr_expect_eq(tq_spec_count_anchor(tls_md, "fenced"), 0, "fenced lines do not count");
    cr_expect_eq(tq_spec_count_anchor(tls_md, "after-fence"), 1, "the fence closes");
    cr_expect_eq(tq_spec_count_anchor("### last", "last"), 1, "a last line without \\n");
}

struct citation {
    const char *spec;
    const char *why; /* NULL: resolves; else a substring of the problem */
};

static const struct citation citations[] = {
    {"docs/aws-iot/tls.md#versions", NULL},
    {"docs/aws-iot/tls.md#after-fence", NULL},
    {"RFC 5280 section 6.3", NULL},
    {"RFC 8446", NULL},
    {"RFC x", "want 'docs/aws-iot/<file>.md#<anchor>'"},
    {"aws-iot-facts.md#1.2 Security policies (current table)", "want 'docs/aws-iot/"},
    {"./docs/aws-iot/tls.md#versions", "want 'docs/aws-iot/"},
    {"docs/aws-iot/../aws-iot/tls.md#versions", "want 'docs/aws-iot/"},
    {"docs/aws-iot/tls.md", "want 'docs/aws-iot/"},
    {"docs/aws-iot/tls.md#", "want 'docs/aws-iot/"},
    {"docs/aws-iot/tls.md#Versions", "want 'docs/aws-iot/"},
    {"docs/aws-iot/tls.md#versions ", "want 'docs/aws-iot/"},
    {"docs/aws-iot/tls.md#two--hyphens", "want 'docs/aws-iot/"},
    {"docs/aws-iot/tls.md#-versions", "want 'docs/aws-iot/"},
    {"docs/aws-iot/TLS.md#versions", "want 'docs/aws-iot/"},
    {"docs/aws-iot/-tls.md#versions", "want 'docs/aws-iot/"},
    {"docs/aws-iot/README.md#versions", "want 'docs/aws-iot/"},
    {"docs/aws-iot/mqtt.md#versions", "no file "},
    {"docs/aws-iot/tls.md#nowhere", "no line '### nowhere' in "},
    {"docs/aws-iot/tls.md#security-policies", "no line '### security-policies'"},
    {"docs/aws-iot/tls.md#fenced", "no line '### fenced'"},
    {"docs/aws-iot/tls.md#twice", "is in "},
};

Test(spec, applies_the_resolution_rule_clause_by_clause)
{
    struct tq_spec_ref ref;
    tq_spec_ref_init(&ref, dir);
    for (size_t i = 0; i < sizeof(citations) / sizeof(citations[0]); i++) {
        const struct citation *c = &citations[i];
        char why[1024] = "";
        const char *problem = tq_spec_ref_check(&ref, c->spec, why, sizeof(why));
        if (c->why == NULL)
            cr_expect_null(problem, "'%s': want it to resolve, got '%s'", c->spec, why);
        else
            cr_expect(problem != NULL && strstr(problem, c->why) != NULL,
                      "'%s': want a problem with '%s', got '%s'", c->spec, c->why,
                      problem ? problem : "(resolves)");
    }
    tq_spec_ref_cleanup(&ref);
}

Test(spec, a_missing_reference_folder_fails_every_citation_of_it)
{
    struct tq_spec_ref ref;
    tq_spec_ref_init(&ref, "/nonexistent/docs/aws-iot");
    char why[1024];
    const char *problem = tq_spec_ref_check(&ref, "docs/aws-iot/tls.md#versions", why, sizeof(why));
    cr_expect(problem && strstr(problem, "/nonexistent/docs/aws-iot does not exist"), "%s",
              problem ? problem : "(resolves)");
    cr_expect_null(tq_spec_ref_check(&ref, "RFC 5280", why, sizeof(why)), "RFCs: form only");
    tq_spec_ref_cleanup(&ref);
}

Test(spec, every_shipped_citation_resolves_in_the_repository)
{
    static struct tq_catalog cat;
    size_t errors = 0;
    FILE *sink = fopen("/dev/null", "w");
    cr_assert(tq_ok(tq_catalog_load(&cat, &errors, TQ_SOURCE_DIR "/scenarios", sink)),
              "%zu problems loading the shipped scenarios", errors);
    size_t problems = tq_catalog_check_specs(&cat, TQ_SOURCE_DIR "/docs/aws-iot", stderr);
    cr_expect_eq(problems, 0, "%zu shipped spec(s) do not resolve (printed above)", problems);
    cr_expect_gt(cat.num, 100);
    tq_catalog_cleanup(&cat);
    fclose(sink);
}
