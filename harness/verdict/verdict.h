/* verdict.h: compares what a backend reported with what the scenario expects. */
#ifndef TQ_VERDICT_H
#define TQ_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"
#include "report.h"
#include "result.h"
#include "scenario.h"

/* tq_verdict_judge returns TQ_VERDICT_PASS when `r` meets every expectation of `e` (the outcome
 * is one of the accepted alternatives; CONNACK, version and suite match where given; the leaf
 * received has SHA-256 `want_leaf_sha256` unless that is NULL), else
 * TQ_VERDICT_FAIL with "want X, got Y" for the first mismatch in `why`. An outcome listed in
 * `warn_outcome` passes as TQ_VERDICT_WARN, with the reason in `why`. An outcome of
 * "unsupported" is TQ_VERDICT_SKIP with the backend's reason. */
enum tq_verdict tq_verdict_judge(const struct tq_scenario_expect *e, const struct tq_result *r,
                                 const char *want_leaf_sha256, char *why, size_t why_len);

/* tq_verdict_of_run judges a backend's whole run on the case whose id is `want_id`: how it ended
 * first (output past its bound, deadline `deadline_ms` passed, exit 89 "cannot run this case", a
 * crash: each an ERROR or a SKIP, explained in `why`), then what it wrote on stdout, which must
 * be exactly that case's result line (tq_result_parse): anything else is an ERROR whose `why`
 * starts with "protocol_error: " and quotes the offending line. Then the result is judged
 * against `e` (tq_verdict_judge). `*has_result` tells whether `result` was filled from a valid
 * result line of this case. */
enum tq_verdict tq_verdict_of_run(const struct tq_proc_output *run, int deadline_ms,
                                  const char *want_id, const struct tq_scenario_expect *e,
                                  const char *want_leaf_sha256, struct tq_result *result,
                                  bool *has_result, char *why, size_t why_len);

#endif
