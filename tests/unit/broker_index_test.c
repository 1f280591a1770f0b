/* Tests for broker/index.c: the string-keyed hash index of caller-owned records. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "index.h"

struct record {
    char key[24];
    int value;
    struct tq_index_node node;
};

static struct record *find(const struct tq_index *ix, const char *key)
{
    struct tq_index_node *n = tq_index_find(ix, key);
    return n ? TQ_INDEX_ENTRY(n, struct record, node) : NULL;
}

Test(broker_index, empty_index_finds_nothing)
{
    struct tq_index ix;
    tq_index_init(&ix);
    cr_expect_null(tq_index_find(&ix, "a"));
    struct record r = {.key = "a"};
    tq_index_remove(&ix, &r.node); /* not indexed: a no-op */
    cr_expect_eq(ix.num, 0);
    tq_index_cleanup(&ix);
}

/* Enough records to grow the bucket array several times, then every other one removed. */
Test(broker_index, finds_every_record_across_growth_and_removal)
{
    enum { N = 1000 };
    static struct record records[N];
    struct tq_index ix;
    tq_index_init(&ix);
    for (int i = 0; i < N; i++) {
        snprintf(records[i].key, sizeof(records[i].key), "client-%d", i);
        records[i].value = i;
        cr_assert(tq_ok(tq_index_insert(&ix, &records[i].node, records[i].key)), "insert %d", i);
    }
    cr_expect_eq(ix.num, N);
    cr_expect_geq(ix.num_buckets, N, "load factor at most 1: %zu buckets", ix.num_buckets);
    for (int i = 0; i < N; i++) {
        struct record *r = find(&ix, records[i].key);
        cr_assert_not_null(r, "find %s", records[i].key);
        cr_expect_eq(r->value, i, "find %s", records[i].key);
    }
    for (int i = 0; i < N; i += 2)
        tq_index_remove(&ix, &records[i].node);
    cr_expect_eq(ix.num, N / 2);
    for (int i = 0; i < N; i++) {
        struct record *r = find(&ix, records[i].key);
        if (i % 2 == 0)
            cr_expect_null(r, "%s was removed", records[i].key);
        else
            cr_expect(r == &records[i], "%s is still there", records[i].key);
    }
    cr_expect_null(find(&ix, "client-1000"));
    cr_expect_null(find(&ix, ""));
    tq_index_cleanup(&ix);
    cr_expect_eq(ix.num, 0);
    cr_expect_null(ix.buckets);
}

Test(broker_index, a_removed_key_can_be_indexed_again)
{
    struct tq_index ix;
    tq_index_init(&ix);
    struct record a = {.key = "same", .value = 1}, b = {.key = "same", .value = 2};
    cr_assert(tq_ok(tq_index_insert(&ix, &a.node, a.key)));
    tq_index_remove(&ix, &a.node);
    cr_assert(tq_ok(tq_index_insert(&ix, &b.node, b.key)));
    cr_expect(find(&ix, "same") == &b);
    tq_index_cleanup(&ix);
}
