/* runner.h: runs a catalog of scenarios through backends against the mock broker, one backend
 * process per case, and fills a report. One-way data flow: scenario -> case -> backend run +
 * broker events -> verdict -> report. */
#ifndef TQ_RUNNER_H
#define TQ_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include "backend.h"
#include "baseline.h"
#include "catalog.h"
#include "manifest.h"
#include "report.h"

struct tq_runner_config {
    const struct tq_catalog *catalog;
    struct tq_backend *const *backends;
    size_t num_backends;
    const struct tq_manifest *pki;
    const char *pki_dir;
    const char *out_dir;            /* broker log and events go here */
    const char *const *filters;     /* substrings of "group/name": a case runs when it
                                       contains any; none: every case */
    size_t num_filters;
    const struct tq_baseline *baseline;  /* known deviations; NULL: none */
    int timeout_ms;                 /* each backend's own deadline; the runner adds grace */
    int jobs;                       /* cases run at once (>= 1) */
    bool isolate;                   /* a fresh backend process per case (else one process
                                       per worker and backend serves cases in turn) */
    unsigned shard_index;           /* run case i when i % shard_count == shard_index */
    unsigned shard_count;           /* 1: no sharding */
    FILE *console;
};

/* tq_runner_selects is true when scenario `s` of `group` passes the filters: any of them
 * matches, or there are none. A filter "tag:NAME" matches scenarios tagged NAME; any other
 * filter matches when "group/name" contains it. */
bool tq_runner_selects(const char *const *filters, size_t num_filters, const char *group,
                       const struct tq_scenario *s);

/* tq_runner_run starts one broker per distinct broker setting among the selected scenarios,
 * runs every selected case (`jobs` at a time), stops the brokers and appends one record per case
 * to `report`, in the deterministic order backend x scenario whatever the timing. A case that cannot run (crash, hang, protocol break) is an
 * error record, never a lost one. Fails only when the broker cannot start. SIGINT and SIGTERM
 * stop the run early: the remaining cases are recorded as errors ("interrupted"). */
TQ_MUST_USE tq_status tq_runner_run(struct tq_diag *diag, struct tq_report *report,
                                    const struct tq_runner_config *cfg);

#endif
