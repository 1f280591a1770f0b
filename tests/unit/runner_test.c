/* Tests for tq_runner_selects (harness/run/runner.c): a case ID selects exactly its scenario,
 * over the whole shipped catalog; filters stay substrings and tags; selections add up. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"

static struct tq_catalog cat;

static void load_shipped(void)
{
    size_t errors = 0;
    FILE *sink = fopen("/dev/null", "w");
    cr_assert(tq_ok(tq_catalog_load(&cat, &errors, TQ_SOURCE_DIR "/scenarios", sink)),
              "%zu problems in the shipped scenarios", errors);
    fclose(sink);
}

static void unload(void)
{
    tq_catalog_cleanup(&cat);
}

TestSuite(runner, .init = load_shipped, .fini = unload);

static size_t count_selected(const struct tq_runner_selection *sel)
{
    size_t n = 0;
    for (size_t i = 0; i < cat.num; i++)
        n += tq_runner_selects(sel, cat.groups[i], cat.items[i]);
    return n;
}

Test(runner, every_case_id_selects_exactly_its_scenario)
{
    size_t substring_overlaps = 0;
    for (size_t i = 0; i < cat.num; i++) {
        char id[1024];
        snprintf(id, sizeof(id), "%s/%s", cat.groups[i], cat.items[i]->name);
        const char *ids[] = {id};
        struct tq_runner_selection by_id = {.case_ids = ids, .num_case_ids = 1};
        cr_expect_eq(count_selected(&by_id), 1, "--case '%s' selects %zu scenarios", id,
                     count_selected(&by_id));
        cr_expect(tq_runner_selects(&by_id, cat.groups[i], cat.items[i]), "%s", id);
        /* The old rerun line: --filter 'NAME', a substring. */
        const char *name[] = {cat.items[i]->name};
        struct tq_runner_selection by_filter = {.filters = name, .num_filters = 1};
        substring_overlaps += count_selected(&by_filter) > 1;
    }
    cr_log_info("%zu scenarios; --filter NAME selects more than one for %zu of them", cat.num,
                substring_overlaps);
    cr_expect_gt(substring_overlaps, 0,
                 "the shipped suite has names inside others: without "
                 "them this test would not show --case is exact where --filter is not");
}

Test(runner, filters_tags_and_ids_add_up)
{
    struct tq_runner_selection none = {.num_filters = 0};
    cr_expect_eq(count_selected(&none), cat.num, "no selection: every scenario");
    const char *smoke[] = {"tag:smoke"};
    struct tq_runner_selection tagged = {.filters = smoke, .num_filters = 1};
    size_t num_smoke = count_selected(&tagged);
    cr_expect_gt(num_smoke, 0);
    struct tq_runner_selection not_smoke_probe = {.filters = smoke, .num_filters = 1};
    size_t other = 0;
    while (other < cat.num &&
           tq_runner_selects(&not_smoke_probe, cat.groups[other], cat.items[other]))
        other++;
    cr_assert_lt(other, cat.num, "some scenario is not tagged smoke");
    char id[1024];
    snprintf(id, sizeof(id), "%s/%s", cat.groups[other], cat.items[other]->name);
    const char *ids[] = {id, "no-such-group/nothing"};
    struct tq_runner_selection both = {
        .filters = smoke, .num_filters = 1, .case_ids = ids, .num_case_ids = 2};
    cr_expect_eq(count_selected(&both), num_smoke + 1, "a scenario runs when any selects it");
    const char *unknown[] = {"no-such-group/nothing"};
    struct tq_runner_selection nothing = {.case_ids = unknown, .num_case_ids = 1};
    cr_expect_eq(count_selected(&nothing), 0, "an unknown ID selects nothing");
}
