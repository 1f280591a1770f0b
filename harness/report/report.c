#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct property {
    char *name;
    char *value;
};

/* struct stored is a record whose strings the report allocated: `view` points into `owned`. */
enum { NUM_STRINGS = 8 };
struct stored {
    struct tq_case_record view;
    char *owned[NUM_STRINGS];
};

struct tq_report {
    struct stored *records;
    size_t num_records, cap_records;
    struct property *props;
    size_t num_props, cap_props;
};

static tq_status grow(void **items, size_t *cap, size_t num, size_t item_size)
{
    if (num < *cap)
        return TQ_SUCCESS;
    size_t new_cap = *cap ? *cap * 2 : 16;
    void *grown = realloc(*items, new_cap * item_size);
    TQ_ENSURE(grown != NULL, TQ_ERR_NOMEM);
    *items = grown;
    *cap = new_cap;
    return TQ_SUCCESS;
}

static tq_status dup_opt(char **out, const char *s)
{
    *out = NULL;
    if (s == NULL)
        return TQ_SUCCESS;
    *out = strdup(s);
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    return TQ_SUCCESS;
}

static void stored_cleanup(struct stored *r)
{
    for (size_t i = 0; i < NUM_STRINGS; i++)
        free(r->owned[i]);
}

/* see report.h */
tq_status tq_report_new(struct tq_report **out)
{
    *out = calloc(1, sizeof(**out));
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    return TQ_SUCCESS;
}

/* see report.h */
void tq_report_free(struct tq_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->num_records; i++)
        stored_cleanup(&r->records[i]);
    for (size_t i = 0; i < r->num_props; i++) {
        free(r->props[i].name);
        free(r->props[i].value);
    }
    free(r->records);
    free(r->props);
    free(r);
}

/* see report.h */
tq_status tq_report_add(struct tq_report *r, const struct tq_case_record *in)
{
    TQ_GUARD(grow((void **)&r->records, &r->cap_records, r->num_records, sizeof(*r->records)));
    const char *const from[NUM_STRINGS] = {in->name,          in->backend,    in->group,
                                           in->scenario_file, in->message,    in->details,
                                           in->stderr_text,   in->result_line};
    struct stored c = {.view = {.verdict = in->verdict, .seconds = in->seconds, .seq = in->seq}};
    for (size_t i = 0; i < NUM_STRINGS; i++)
        if (!tq_ok(dup_opt(&c.owned[i], from[i]))) {
            stored_cleanup(&c);
            TQ_BAIL(TQ_ERR_NOMEM);
        }
    c.view.name = c.owned[0];
    c.view.backend = c.owned[1];
    c.view.group = c.owned[2];
    c.view.scenario_file = c.owned[3];
    c.view.message = c.owned[4];
    c.view.details = c.owned[5];
    c.view.stderr_text = c.owned[6];
    c.view.result_line = c.owned[7];
    r->records[r->num_records++] = c;
    return TQ_SUCCESS;
}

static struct property *find_property(const struct tq_report *r, const char *name)
{
    for (size_t i = 0; i < r->num_props; i++)
        if (strcmp(r->props[i].name, name) == 0)
            return &r->props[i];
    return NULL;
}

/* see report.h */
tq_status tq_report_set_property(struct tq_report *r, const char *name, const char *value)
{
    char *copy = NULL;
    TQ_GUARD(dup_opt(&copy, value ? value : ""));
    struct property *old = find_property(r, name);
    if (old != NULL) {
        free(old->value);
        old->value = copy;
        return TQ_SUCCESS;
    }
    struct property p = {.value = copy};
    if (!tq_ok(grow((void **)&r->props, &r->cap_props, r->num_props, sizeof(*r->props))) ||
        !tq_ok(dup_opt(&p.name, name))) {
        free(copy);
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    r->props[r->num_props++] = p;
    return TQ_SUCCESS;
}

/* see report.h */
const char *tq_report_get(const struct tq_report *r, const char *name)
{
    const struct property *p = find_property(r, name);
    return p ? p->value : NULL;
}

/* see report.h */
tq_status tq_report_mark_incomplete(struct tq_report *r, const char *reason)
{
    const char *old = tq_report_incomplete(r);
    if (old == NULL)
        return tq_report_set_property(r, TQ_REPORT_INCOMPLETE, reason);
    size_t len = strlen(old) + strlen(reason) + 3;
    char *joined = malloc(len);
    TQ_ENSURE(joined != NULL, TQ_ERR_NOMEM);
    snprintf(joined, len, "%s; %s", old, reason);
    tq_status st = tq_report_set_property(r, TQ_REPORT_INCOMPLETE, joined);
    free(joined);
    return st;
}

/* see report.h */
const char *tq_report_incomplete(const struct tq_report *r)
{
    return tq_report_get(r, TQ_REPORT_INCOMPLETE);
}

/* see report.h */
bool tq_case_interrupted(const struct tq_case_record *c)
{
    static const char prefix[] = TQ_REPORT_INTERRUPTED;
    return (c->verdict == TQ_VERDICT_ERROR || c->verdict == TQ_VERDICT_NOT_RUN) &&
           c->message != NULL && strncmp(c->message, prefix, sizeof(prefix) - 1) == 0;
}

/* see report.h */
size_t tq_report_count(const struct tq_report *r)
{
    return r->num_records;
}

/* see report.h */
const struct tq_case_record *tq_report_at(const struct tq_report *r, size_t i)
{
    return i < r->num_records ? &r->records[i].view : NULL;
}

/* see report.h */
size_t tq_report_property_count(const struct tq_report *r)
{
    return r->num_props;
}

/* see report.h */
const char *tq_report_property(const struct tq_report *r, size_t i, const char **out_value)
{
    *out_value = r->props[i].value;
    return r->props[i].name;
}

/* see report.h */
const char *tq_verdict_name(enum tq_verdict v)
{
    switch (v) {
    case TQ_VERDICT_NOT_RUN:
        return "not_run";
    case TQ_VERDICT_PASS:
        return "pass";
    case TQ_VERDICT_FAIL:
        return "fail";
    case TQ_VERDICT_ERROR:
        return "error";
    case TQ_VERDICT_SKIP:
        return "skip";
    case TQ_VERDICT_WARN:
        return "warn";
    }
    return "not_run";
}

/* see report.h */
enum tq_verdict tq_verdict_from_name(const char *name)
{
    static const enum tq_verdict all[] = {TQ_VERDICT_PASS, TQ_VERDICT_WARN, TQ_VERDICT_FAIL,
                                          TQ_VERDICT_ERROR, TQ_VERDICT_SKIP};
    for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(name, tq_verdict_name(all[i])) == 0)
            return all[i];
    return TQ_VERDICT_NOT_RUN;
}

/* see report.h */
struct tq_report_counts tq_report_counts_for(const struct tq_report *r, const char *backend)
{
    struct tq_report_counts n = {0};
    for (size_t i = 0; i < r->num_records; i++) {
        const struct tq_case_record *c = &r->records[i].view;
        if (backend != NULL && strcmp(c->backend, backend) != 0)
            continue;
        n.total++;
        n.seconds += c->seconds;
        switch (c->verdict) {
        case TQ_VERDICT_PASS:
            n.passed++;
            break;
        case TQ_VERDICT_WARN:
            n.passed++;
            n.warned++;
            break;
        case TQ_VERDICT_FAIL:
            n.failed++;
            break;
        case TQ_VERDICT_SKIP:
            n.skipped++;
            break;
        case TQ_VERDICT_ERROR:
        case TQ_VERDICT_NOT_RUN:
            n.errors++;
            break;
        }
    }
    return n;
}

static int compare_seq(const void *a, const void *b)
{
    const struct stored *x = a, *y = b;
    return x->view.seq < y->view.seq ? -1 : x->view.seq > y->view.seq;
}

/* see report.h */
void tq_report_sort_by_seq(struct tq_report *r)
{
    /* Stored records own their strings and `view` points into them, so moving them is safe. */
    if (r->num_records > 1)
        qsort(r->records, r->num_records, sizeof(*r->records), compare_seq);
}
