/* run_identity.h: what a run's report records about the run itself, so that the reports of its
 * shards can be checked and merged (report/merge.h): the tlsqual version, digests of the
 * scenario files, the PKI's shape and the baseline, the filters and case ids, the backends and
 * their libraries, and the shard K/N with the number of cases planned over every shard
 * (docs/report-format.md, "Shard set"). */
#ifndef TQ_RUN_IDENTITY_H
#define TQ_RUN_IDENTITY_H

#include <stddef.h>

#include "backend.h"
#include "baseline.h"
#include "catalog.h"
#include "manifest.h"
#include "report.h"
#include "status.h"

/* struct tq_run_identity is everything that identifies one run. Every pointer is borrowed. */
struct tq_run_identity {
    const struct tq_backend *const *backends; /* in the order of the run */
    size_t num_backends;
    const struct tq_manifest *pki;
    const struct tq_catalog *catalog;
    const char *scenarios_dir;          /* the folder the catalog was loaded from */
    const struct tq_baseline *baseline; /* NULL: none */
    const char *run_folder;             /* this run's folder name */
    const char *const *filters;         /* --filter values */
    size_t num_filters;
    const char *const *case_ids; /* --case values */
    size_t num_case_ids;
    unsigned shard_index, shard_count; /* 0-based K, N (0/1 when not sharded) */
    size_t planned;                    /* cases of the whole run, every shard */
    const char *run_id;                /* --run-id, or NULL */
};

/* tq_run_identity_record sets the run's properties on `report` (replacing any of the same
 * name), then its shard set (tq_merge_identify). It fails, with `diag`, when a scenario or
 * baseline file cannot be read for its digest. */
TQ_MUST_USE tq_status tq_run_identity_record(struct tq_diag *diag, struct tq_report *report,
                                             const struct tq_run_identity *id);

#endif
