/* merge.h: the shard set of a run, and the combination of a run's shards into one report
 * (`tlsqual merge`) that refuses anything but a whole run.
 *
 * Every report of `tlsqual run` records its shard set in properties (docs/report-format.md,
 * "Sharding and merging"):
 *   shard           "K/N": this report is the K-th of N shards ("1/1": not sharded)
 *   cases.planned   the number of cases of the whole run (all shards) after the filters
 *   run.identity    "sha256:<hex>" over the identity properties: equal in every shard of a run
 *   run.id          the --run-id given to every shard (e.g. the CI pipeline id), else
 *                   run.identity
 * The identity properties are what makes shards comparable: TQ_MERGE_IDENTITY below and every
 * backend.NAME.library. CI shards are separate processes: they share no random id, but they
 * share what they ran (scenario files, filters, backends and their libraries, tlsqual, the PKI's
 * shape, the baseline), so that is the run's identity; an explicit run id must match too.
 *
 * A merged report holds `shards` ("1/2 2/2": the shards it holds) instead of `shard`, and
 * `shards.missing` when a merge with `allow_partial` lacked some (it is then incomplete). */
#ifndef TQ_MERGE_H
#define TQ_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"
#include "status.h"

/* The identity properties every run sets before tq_merge_identify, besides the
 * backend.NAME.library of each backend. */
#define TQ_MERGE_IDENTITY(X)                                                                       \
    X("tlsqual.version")  /* the harness's version */                                              \
    X("scenarios.digest") /* tq_digest over every scenario file's path and bytes */                \
    X("filters")          /* the --filter values, a JSON array in the order given */               \
    X("case_ids")         /* the --case values, likewise */                                        \
    X("backends")         /* the backend names, a JSON array in matrix order */                    \
    X("pki.digest")       /* the PKI's shape: artifact names, roles, subjects, key types */        \
    X("baseline.digest")  /* the known-deviations file's bytes, or "none" */                       \
    X("cases.planned")

/* tq_merge_identify records in `r` that it is shard `k` of `n` (1 <= k <= n) of a run of
 * `planned` cases: shard, cases.planned, run.identity (over the identity properties, which the
 * caller sets first) and run.id (`run_id`, or run.identity when `run_id` is NULL). */
TQ_MUST_USE tq_status tq_merge_identify(struct tq_report *r, unsigned k, unsigned n, size_t planned,
                                        const char *run_id);

/* struct tq_merge_input is one shard's report and where it was read from (named in errors). */
struct tq_merge_input {
    const struct tq_report *report;
    const char *source;
};

/* tq_merge_shards combines `inputs` into `out` (a new, empty report): every case in the order
 * of an unsharded run (by seq); each property equal in every input once, one that differs once
 * per shard K as "shard.K.NAME"; `shards`; and the incompleteness of any input.
 *
 * It refuses (TQ_ERR_USAGE, `diag` saying which inputs and what is wrong, `out` untouched) an
 * input without a shard set or already merged, shards of different counts N, of different
 * runs (an identity property or run.id differs: named), a shard given twice, a shard whose
 * cases are not exactly its share of cases.planned, and a missing shard, unless
 * `allow_partial`: then `out` names the missing shards in `shards.missing` and is marked
 * incomplete. */
TQ_MUST_USE tq_status tq_merge_shards(struct tq_diag *diag, struct tq_report *out,
                                      const struct tq_merge_input *inputs, size_t num_inputs,
                                      bool allow_partial);

#endif
