#include "merge.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

static const char *const identity_names[] = {
#define TQ_X_NAME(name) name,
    TQ_MERGE_IDENTITY(TQ_X_NAME)
#undef TQ_X_NAME
};
enum { NUM_IDENTITY = sizeof(identity_names) / sizeof(identity_names[0]) };

static bool is_library_property(const char *name)
{
    static const char prefix[] = "backend.", suffix[] = ".library";
    size_t len = strlen(name);
    return len > sizeof(prefix) + sizeof(suffix) - 2 &&
           strncmp(name, prefix, sizeof(prefix) - 1) == 0 &&
           strcmp(name + len - (sizeof(suffix) - 1), suffix) == 0;
}

static bool same(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static tq_status identity_digest(const struct tq_report *r, char out[TQ_DIGEST_TEXT_LEN])
{
    struct tq_digest d TQ_DEFER(tq_digest_cleanup) = {.ctx = NULL};
    TQ_GUARD(tq_digest_init(&d));
    for (size_t i = 0; i < NUM_IDENTITY; i++)
        tq_digest_add_str(&d, identity_names[i], tq_report_get(r, identity_names[i]));
    for (size_t i = 0; i < tq_report_property_count(r); i++) {
        const char *value;
        const char *name = tq_report_property(r, i, &value);
        if (is_library_property(name))
            tq_digest_add_str(&d, name, value);
    }
    return tq_digest_final(&d, out);
}

/* see merge.h */
tq_status tq_merge_identify(struct tq_report *r, unsigned k, unsigned n, size_t planned,
                            const char *run_id)
{
    char text[64], identity[TQ_DIGEST_TEXT_LEN];
    TQ_ENSURE(k >= 1 && k <= n, TQ_ERR_USAGE);
    snprintf(text, sizeof(text), "%zu", planned);
    TQ_GUARD(tq_report_set_property(r, "cases.planned", text));
    snprintf(text, sizeof(text), "%u/%u", k, n);
    TQ_GUARD(tq_report_set_property(r, "shard", text));
    TQ_GUARD(identity_digest(r, identity));
    TQ_GUARD(tq_report_set_property(r, "run.identity", identity));
    return tq_report_set_property(r, "run.id", run_id ? run_id : identity);
}

/* struct shard is one input with its shard set parsed. */
struct shard {
    const struct tq_merge_input *in;
    unsigned k, n;
    size_t planned;
};

static bool parse_count(const char *text, unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    if (text == NULL || *text < '0' || *text > '9')
        return false;
    *out = strtoull(text, &end, 10);
    return *end == '\0' && *out <= max;
}

/* parse_shard reads the "K/N" of `text` strictly: digits, one '/', digits, 1 <= K <= N. */
static bool parse_shard(const char *text, unsigned *k, unsigned *n)
{
    char buf[32];
    const char *slash = text ? strchr(text, '/') : NULL;
    unsigned long long kk, nn;
    if (slash == NULL || (size_t)(slash - text) >= sizeof(buf))
        return false;
    memcpy(buf, text, (size_t)(slash - text));
    buf[slash - text] = '\0';
    if (!parse_count(buf, 1u << 20, &kk) || !parse_count(slash + 1, 1u << 20, &nn) || kk < 1 ||
        kk > nn)
        return false;
    *k = (unsigned)kk;
    *n = (unsigned)nn;
    return true;
}

static tq_status read_shard(struct tq_diag *diag, struct shard *s, const struct tq_merge_input *in)
{
    const struct tq_report *r = in->report;
    const char *merged = tq_report_get(r, "shards");
    unsigned long long planned;
    s->in = in;
    if (merged != NULL)
        return tq_diag_fail(diag, TQ_ERR_USAGE, in->source, 0,
                            "this is a merged report (shards %s): merge the shards' own reports",
                            merged);
    if (!parse_shard(tq_report_get(r, "shard"), &s->k, &s->n) ||
        !parse_count(tq_report_get(r, "cases.planned"), SIZE_MAX, &planned))
        return tq_diag_fail(
            diag, TQ_ERR_USAGE, in->source, 0,
            "no shard set (want properties shard \"K/N\" and cases.planned, got "
            "\"%s\" and \"%s\"): not a report of `tlsqual run` %s",
            tq_report_get(r, "shard") ? tq_report_get(r, "shard") : "",
            tq_report_get(r, "cases.planned") ? tq_report_get(r, "cases.planned") : "", TQ_VERSION);
    s->planned = (size_t)planned;
    return TQ_SUCCESS;
}

/* identity_difference names the first identity property in which `a` and `b` differ, or NULL. */
static const char *identity_difference(const struct tq_report *a, const struct tq_report *b)
{
    for (size_t i = 0; i < NUM_IDENTITY; i++)
        if (!same(tq_report_get(a, identity_names[i]), tq_report_get(b, identity_names[i])))
            return identity_names[i];
    const struct tq_report *pair[2][2] = {{a, b}, {b, a}};
    for (size_t p = 0; p < 2; p++)
        for (size_t i = 0; i < tq_report_property_count(pair[p][0]); i++) {
            const char *value;
            const char *name = tq_report_property(pair[p][0], i, &value);
            if (is_library_property(name) && !same(value, tq_report_get(pair[p][1], name)))
                return name;
        }
    static const char *const run_names[] = {"run.identity", "run.id"};
    for (size_t i = 0; i < 2; i++)
        if (!same(tq_report_get(a, run_names[i]), tq_report_get(b, run_names[i])))
            return run_names[i];
    return NULL;
}

/* list_add appends "K/N" to the list in `buf` (`sep` between items), truncating when full. */
static void list_add(char *buf, size_t cap, const char *sep, unsigned k, unsigned n)
{
    size_t used = strlen(buf);
    if (used + 1 < cap)
        snprintf(buf + used, cap - used, "%s%u/%u", used ? sep : "", k, n);
}

static const char *or_absent(const char *value)
{
    return value ? value : "(absent)";
}

/* check_same_run refuses shards of different counts or of different runs. */
static tq_status check_same_run(struct tq_diag *diag, const struct shard *shards, size_t num)
{
    const struct shard *a = &shards[0];
    for (size_t i = 1; i < num; i++) {
        const struct shard *b = &shards[i];
        if (b->n != a->n)
            return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                                "shards of different shard counts: %s is shard %u/%u, %s is shard "
                                "%u/%u; merge the N shards of one run",
                                a->in->source, a->k, a->n, b->in->source, b->k, b->n);
        const char *name = identity_difference(a->in->report, b->in->report);
        if (name != NULL)
            return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                                "%s (shard %u/%u) and %s (shard %u/%u) are shards of different "
                                "runs: they differ in %s ('%s' and '%s')",
                                a->in->source, a->k, a->n, b->in->source, b->k, b->n, name,
                                or_absent(tq_report_get(a->in->report, name)),
                                or_absent(tq_report_get(b->in->report, name)));
    }
    return TQ_SUCCESS;
}

/* check_shard_set refuses a shard given twice and, unless `allow_partial`, a missing one; it
 * sets `held[k-1]` to the input that holds shard k. */
static tq_status check_shard_set(struct tq_diag *diag, const struct shard **held,
                                 const struct shard *shards, size_t num, bool allow_partial)
{
    unsigned n = shards[0].n;
    for (size_t i = 0; i < num; i++) {
        const struct shard *s = &shards[i];
        if (held[s->k - 1] != NULL)
            return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                                "shard %u/%u is given twice: %s and %s", s->k, n,
                                held[s->k - 1]->in->source, s->in->source);
        held[s->k - 1] = s;
    }
    char missing[600] = "", have[300] = "";
    size_t num_missing = 0;
    for (unsigned k = 1; k <= n; k++) {
        if (held[k - 1] != NULL)
            list_add(have, sizeof(have), ", ", k, n);
        else
            list_add(missing, sizeof(missing), ", ", k, n);
        num_missing += held[k - 1] ? 0 : 1;
    }
    if (num_missing == 0 || allow_partial)
        return TQ_SUCCESS;
    return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                        "incomplete shard set: %zu of %u shards missing: %s (given: %s); pass the "
                        "report of every shard, or --allow-partial for a report marked incomplete",
                        num_missing, n, missing, have);
}

/* share is the number of cases of `planned` that shard k of n runs (seq % n == k - 1). */
static size_t share(size_t planned, unsigned k, unsigned n)
{
    return planned >= k ? (planned - k) / n + 1 : 0;
}

/* check_cases refuses a shard whose cases are not exactly its share of the run: each seq below
 * cases.planned, in this shard's residue class, once. */
static tq_status check_cases(struct tq_diag *diag, const struct shard *s)
{
    const struct tq_report *r = s->in->report;
    size_t want = share(s->planned, s->k, s->n);
    if (tq_report_count(r) != want)
        return tq_diag_fail(diag, TQ_ERR_USAGE, s->in->source, 0,
                            "shard %u/%u holds %zu cases, want its share of %zu planned: %zu; the "
                            "report is truncated or not of this shard set",
                            s->k, s->n, tq_report_count(r), s->planned, want);
    bool *seen TQ_DEFER(tq_free_ptr) = calloc(want ? want : 1, sizeof(*seen));
    TQ_ENSURE(seen != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < tq_report_count(r); i++) {
        const struct tq_case_record *c = tq_report_at(r, i);
        if (c->seq >= s->planned || c->seq % s->n != s->k - 1)
            return tq_diag_fail(diag, TQ_ERR_USAGE, s->in->source, 0,
                                "case '%s' of %s has seq %zu, which shard %u/%u of %zu cases does "
                                "not run: the report was not written by this shard",
                                c->name, c->backend, c->seq, s->k, s->n, s->planned);
        if (seen[c->seq / s->n])
            return tq_diag_fail(diag, TQ_ERR_USAGE, s->in->source, 0,
                                "case '%s' of %s (seq %zu) is in shard %u/%u twice", c->name,
                                c->backend, c->seq, s->k, s->n);
        seen[c->seq / s->n] = true;
    }
    return TQ_SUCCESS;
}

/* merged_property sets `name` once when every shard has the same value, else once per shard as
 * shard.K.NAME. */
static tq_status merged_property(struct tq_report *out, const struct shard *shards, size_t num,
                                 const char *name)
{
    const char *first = tq_report_get(shards[0].in->report, name);
    bool equal = true;
    for (size_t i = 1; i < num && equal; i++)
        equal = same(first, tq_report_get(shards[i].in->report, name));
    if (equal)
        return tq_report_set_property(out, name, first);
    for (size_t i = 0; i < num; i++) {
        const char *value = tq_report_get(shards[i].in->report, name);
        char per_shard[512];
        snprintf(per_shard, sizeof(per_shard), "shard.%u.%s", shards[i].k, name);
        if (value != NULL)
            TQ_GUARD(tq_report_set_property(out, per_shard, value));
    }
    return TQ_SUCCESS;
}

static tq_status merge_properties(struct tq_report *out, const struct shard *shards, size_t num)
{
    for (size_t i = 0; i < num; i++) {
        const struct tq_report *r = shards[i].in->report;
        for (size_t p = 0; p < tq_report_property_count(r); p++) {
            const char *value;
            const char *name = tq_report_property(r, p, &value);
            if (strcmp(name, "shard") == 0 || strcmp(name, TQ_REPORT_INCOMPLETE) == 0 ||
                tq_report_get(out, name) != NULL)
                continue;
            TQ_GUARD(merged_property(out, shards, num, name));
        }
    }
    return TQ_SUCCESS;
}

/* mark_shard_set records `shards`, `shards.missing` and why the merged report is incomplete. */
static tq_status mark_shard_set(struct tq_report *out, const struct shard *const *held,
                                const struct shard *any)
{
    char have[4096] = "", missing[4096] = "", reason[4096 + 256];
    size_t num_missing = 0, cases_missing = 0;
    for (unsigned k = 1; k <= any->n; k++) {
        if (held[k - 1] != NULL) {
            list_add(have, sizeof(have), " ", k, any->n);
            continue;
        }
        list_add(missing, sizeof(missing), " ", k, any->n);
        num_missing++;
        cases_missing += share(any->planned, k, any->n);
    }
    TQ_GUARD(tq_report_set_property(out, "shards", have));
    for (unsigned k = 1; k <= any->n; k++) {
        const char *why = held[k - 1] ? tq_report_incomplete(held[k - 1]->in->report) : NULL;
        if (why == NULL)
            continue;
        snprintf(reason, sizeof(reason), "shard %u/%u is incomplete: %s", k, any->n, why);
        TQ_GUARD(tq_report_mark_incomplete(out, reason));
    }
    if (num_missing == 0)
        return TQ_SUCCESS;
    TQ_GUARD(tq_report_set_property(out, "shards.missing", missing));
    snprintf(reason, sizeof(reason),
             "partial merge: %zu of %u shards missing (%s), so %zu of %zu planned cases are not "
             "in this report",
             num_missing, any->n, missing, cases_missing, any->planned);
    return tq_report_mark_incomplete(out, reason);
}

static tq_status combine(struct tq_report *out, const struct shard *shards, size_t num,
                         const struct shard *const *held)
{
    for (size_t i = 0; i < num; i++)
        for (size_t c = 0; c < tq_report_count(shards[i].in->report); c++)
            TQ_GUARD(tq_report_add(out, tq_report_at(shards[i].in->report, c)));
    tq_report_sort_by_seq(out);
    TQ_GUARD(merge_properties(out, shards, num));
    return mark_shard_set(out, held, &shards[0]);
}

/* see merge.h */
tq_status tq_merge_shards(struct tq_diag *diag, struct tq_report *out,
                          const struct tq_merge_input *inputs, size_t num_inputs,
                          bool allow_partial)
{
    if (num_inputs == 0)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "no shard to merge");
    struct shard *shards TQ_DEFER(tq_free_ptr) = calloc(num_inputs, sizeof(*shards));
    TQ_ENSURE(shards != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < num_inputs; i++)
        TQ_GUARD(read_shard(diag, &shards[i], &inputs[i]));
    TQ_GUARD(check_same_run(diag, shards, num_inputs));
    const struct shard **held TQ_DEFER(tq_free_ptr) = calloc(shards[0].n, sizeof(*held));
    TQ_ENSURE(held != NULL, TQ_ERR_NOMEM);
    TQ_GUARD(check_shard_set(diag, held, shards, num_inputs, allow_partial));
    for (size_t i = 0; i < num_inputs; i++)
        TQ_GUARD(check_cases(diag, &shards[i]));
    return combine(out, shards, num_inputs, held);
}
