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

/* struct tq_runner_selection says which scenarios of the catalog run: those that match any
 * filter or any case ID; every one when there are neither. */
struct tq_runner_selection {
    const char *const *filters; /* "tag:NAME": the scenarios tagged NAME; any other text: the
                                       scenarios whose case ID contains it (a substring, so it
                                       may match several) */
    size_t num_filters;
    const char *const *case_ids; /* case IDs (catalog.h), matched exactly: one scenario each */
    size_t num_case_ids;
};

/* struct tq_runner_rerun is what a failed case's "rerun:" line is made of. The runner quotes
 * every piece for a POSIX shell, so names and paths with spaces or quotes paste safely:
 *     ARGV... --backend BACKEND_ARG --case 'group/name'
 * `argv` is the executable, "run", and the options of this run that decide a case's verdict
 * (--scenarios, --pki, --out, --baseline, ...), each an absolute path where it is a path. */
struct tq_runner_rerun {
    const char *const *argv; /* NULL: "tlsqual run" */
    size_t argc;
    const char *const *backend_args; /* per backend of the config, what --backend names it
                                           by (NAME, or exec:PATH); NULL: its name */
};

struct tq_runner_config {
    const struct tq_catalog *catalog;
    struct tq_backend *const *backends;
    size_t num_backends;
    const struct tq_manifest *pki;
    const char *pki_dir;
    const char *out_dir; /* broker log and events go here */
    struct tq_runner_selection selection;
    struct tq_runner_rerun rerun;       /* for the "rerun:" line of each case that did not pass */
    const struct tq_baseline *baseline; /* known deviations; NULL: none */
    int timeout_ms;                     /* each backend's own deadline; the runner adds grace */
    int jobs;                           /* cases run at once (>= 1) */
    bool isolate;                       /* a fresh backend process per case (else one process
                                       per worker and backend serves cases in turn) */
    unsigned shard_index;               /* run case i when i % shard_count == shard_index */
    unsigned shard_count;               /* 1: no sharding */
    FILE *console;
};

/* tq_runner_selects is true when scenario `s` of `group` is selected by `sel` (see struct
 * tq_runner_selection). */
bool tq_runner_selects(const struct tq_runner_selection *sel, const char *group,
                       const struct tq_scenario *s);

/* tq_runner_run starts one broker per distinct broker setting among the selected scenarios,
 * runs every selected case (`jobs` at a time), stops the brokers and appends one record per case
 * to `report`, in the deterministic order backend x scenario whatever the timing. A case that cannot run (crash, hang, protocol break) is an
 * error record, never a lost one. A case is judged only on its own result line
 * (docs/backend-protocol.md#one-line-per-case): when its backend wrote anything else for it, even
 * after its result was read, the case is an error ("protocol_error: ...") and that process serves
 * no other case. Fails only when the broker cannot start. SIGINT and SIGTERM
 * stop the run early: the remaining cases are recorded as errors ("interrupted"). */
TQ_MUST_USE tq_status tq_runner_run(struct tq_diag *diag, struct tq_report *report,
                                    const struct tq_runner_config *cfg);

#endif
