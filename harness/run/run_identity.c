/* What a run records about itself (run_identity.h). */
#include "run_identity.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "merge.h"
#include "scenario.h"

enum { MAX_BACKENDS = 64 };

/* json_list writes `items` as a compact JSON array into `out` (a property value; freed by the
 * caller). */
static tq_status json_list(char **out, const char *const *items, size_t num)
{
    json_t *array = json_array();
    for (size_t i = 0; array != NULL && i < num; i++)
        json_array_append_new(array, json_string(items[i]));
    *out = array ? json_dumps(array, JSON_COMPACT) : NULL;
    json_decref(array);
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    return TQ_SUCCESS;
}

static tq_status set_list_property(struct tq_report *r, const char *name, const char *const *items,
                                   size_t num)
{
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    TQ_GUARD(json_list(&text, items, num));
    return tq_report_set_property(r, name, text);
}

/* scenarios_digest covers every scenario file: its path under the scenario folder (so two
 * checkouts agree) and its bytes. */
static tq_status scenarios_digest(struct tq_diag *diag, char out[TQ_DIGEST_TEXT_LEN],
                                  const struct tq_catalog *cat, const char *dir)
{
    struct tq_digest d TQ_DEFER(tq_digest_cleanup) = {.ctx = NULL};
    TQ_GUARD(tq_digest_init(&d));
    for (size_t i = 0; i < cat->num; i++) {
        const char *path = cat->items[i]->path, *rel = path;
        if (i > 0 && strcmp(path, cat->items[i - 1]->path) == 0)
            continue; /* one file expanded into several scenarios */
        if (strncmp(path, dir, strlen(dir)) == 0)
            for (rel = path + strlen(dir); *rel == '/';)
                rel++;
        TQ_GUARD(tq_digest_add_file(diag, &d, rel, path, TQ_SCENARIO_FILE_MAX));
    }
    return tq_digest_final(&d, out);
}

/* pki_digest covers the PKI's shape, not its keys and dates: every CI job may generate its own
 * PKI from the same profiles, and its verdicts do not depend on the key bytes. */
static tq_status pki_digest(char out[TQ_DIGEST_TEXT_LEN], const struct tq_manifest *pki)
{
    struct tq_digest d TQ_DEFER(tq_digest_cleanup) = {.ctx = NULL};
    TQ_GUARD(tq_digest_init(&d));
    tq_digest_add_str(&d, "endpoint.ats", tq_manifest_endpoint(pki, "ats"));
    tq_digest_add_str(&d, "endpoint.legacy", tq_manifest_endpoint(pki, "legacy"));
    for (size_t i = 0; i < tq_manifest_count(pki); i++) {
        const struct tq_artifact *a = tq_manifest_at(pki, i);
        const char *fields[][2] = {{"name", a->name},
                                   {"role", a->role},
                                   {"issuer", a->issuer},
                                   {"subject", a->subject},
                                   {"purpose", a->purpose},
                                   {"key_type", a->key_type},
                                   {"chain", a->chain ? "yes" : "no"},
                                   {"crl", a->crl ? "yes" : "no"}};
        for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
            tq_digest_add_str(&d, fields[f][0], fields[f][1]);
    }
    return tq_digest_final(&d, out);
}

/* baseline_digest covers the known-deviations file the run loaded, or is "none". */
static tq_status baseline_digest(struct tq_diag *diag, char out[TQ_DIGEST_TEXT_LEN],
                                 const struct tq_baseline *baseline)
{
    if (baseline == NULL) {
        snprintf(out, TQ_DIGEST_TEXT_LEN, "none");
        return TQ_SUCCESS;
    }
    struct tq_digest d TQ_DEFER(tq_digest_cleanup) = {.ctx = NULL};
    TQ_GUARD(tq_digest_init(&d));
    TQ_GUARD(tq_digest_add_file(diag, &d, "baseline", tq_baseline_path(baseline), 16 << 20));
    return tq_digest_final(&d, out);
}

/* see run_identity.h */
tq_status tq_run_identity_record(struct tq_diag *diag, struct tq_report *report,
                                 const struct tq_run_identity *id)
{
    char digest[TQ_DIGEST_TEXT_LEN];
    const char *names[MAX_BACKENDS];
    TQ_ENSURE(id->num_backends <= MAX_BACKENDS, TQ_ERR_LIMIT);
    TQ_GUARD(tq_report_set_property(report, "tlsqual.version", TQ_VERSION));
    TQ_GUARD(tq_report_set_property(report, "run.folder", id->run_folder));
    TQ_GUARD(tq_report_set_property(report, "pki.generated_at", tq_manifest_generated_at(id->pki)));
    TQ_GUARD(pki_digest(digest, id->pki));
    TQ_GUARD(tq_report_set_property(report, "pki.digest", digest));
    TQ_GUARD(tq_report_set_property(report, "scenarios", id->scenarios_dir));
    TQ_GUARD(scenarios_digest(diag, digest, id->catalog, id->scenarios_dir));
    TQ_GUARD(tq_report_set_property(report, "scenarios.digest", digest));
    TQ_GUARD(baseline_digest(diag, digest, id->baseline));
    TQ_GUARD(tq_report_set_property(report, "baseline.digest", digest));
    TQ_GUARD(set_list_property(report, "filters", id->filters, id->num_filters));
    TQ_GUARD(set_list_property(report, "case_ids", id->case_ids, id->num_case_ids));
    for (size_t i = 0; i < id->num_backends; i++) {
        char name[160];
        names[i] = tq_backend_name(id->backends[i]);
        snprintf(name, sizeof(name), "backend.%s.library", names[i]);
        TQ_GUARD(tq_report_set_property(report, name, tq_backend_library(id->backends[i])));
    }
    TQ_GUARD(set_list_property(report, "backends", names, id->num_backends));
    return tq_merge_identify(report, id->shard_index + 1, id->shard_count, id->planned, id->run_id);
}
