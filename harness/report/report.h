/* report.h: the results of one run, as every report writer sees them.
 *
 * A report is a list of case records in run order plus run-wide properties. It owns every
 * string in it. Writers (junit.h, ...) only read it. */
#ifndef TQ_REPORT_H
#define TQ_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* A case starts as NOT_RUN and must be set to one of the other four. */
enum tq_verdict {
    TQ_VERDICT_NOT_RUN, /* never set: reported as an error */
    TQ_VERDICT_PASS,
    TQ_VERDICT_FAIL,  /* ran, and the behaviour was wrong */
    TQ_VERDICT_ERROR, /* could not run: backend crashed, timed out, broke the protocol */
    TQ_VERDICT_SKIP,  /* not applicable: the backend lacks a capability (reason says which) */
    TQ_VERDICT_WARN,  /* passed, with a warning and its evidence (qualification programs'
                             "pass with warnings") */
};

/* struct tq_case_record describes one case. A record given to tq_report_add is copied; a record
 * returned by tq_report_at points at the report's own copies. */
struct tq_case_record {
    const char *name;    /* scenario name: unique within a backend */
    const char *backend; /* backend name: one JUnit testsuite each */
    const char *group;   /* scenario folder, e.g. "client-certificate" */
    const char *scenario_file;
    enum tq_verdict verdict;
    const char *message;     /* one line: why it failed, or the skip reason */
    const char *details;     /* multi-line evidence: want/got, events, rerun command */
    const char *stderr_text; /* the backend's stderr, kept for failures */
    const char *result_line; /* the backend's result line (JSON), when there was one */
    double seconds;
    size_t seq; /* position in the whole backend x scenario matrix: shards
                                   merged in this order give the unsharded report */
};

struct tq_report;

/* tq_report_new makes an empty report in `*out`. */
TQ_MUST_USE tq_status tq_report_new(struct tq_report **out);

/* tq_report_free releases `r`; NULL is a no-op. */
void tq_report_free(struct tq_report *r);

/* tq_report_add appends a copy of `record` (every string duplicated; NULL strings allowed). */
TQ_MUST_USE tq_status tq_report_add(struct tq_report *r, const struct tq_case_record *record);

/* tq_report_set_property records a run-wide name/value pair (backend versions, PKI, ...),
 * replacing the value of a property of that name. NULL `value` is recorded as "". */
TQ_MUST_USE tq_status tq_report_set_property(struct tq_report *r, const char *name,
                                             const char *value);

/* tq_report_get returns the value of property `name`, or NULL when `r` has none. */
const char *tq_report_get(const struct tq_report *r, const char *name);

/* TQ_REPORT_INCOMPLETE is the property that marks a report as incomplete: it lacks the verdict
 * of a case its run planned (the run was interrupted; a merge lacks a shard). Its value says
 * why. A report without it holds every planned case. JUnit carries it as a property,
 * results.json also as "complete": false, report.html as a banner (docs/report-format.md). */
#define TQ_REPORT_INCOMPLETE "incomplete"

/* tq_report_mark_incomplete marks `r` as incomplete for `reason` (one sentence), after any
 * reason already recorded ("; " between them). */
TQ_MUST_USE tq_status tq_report_mark_incomplete(struct tq_report *r, const char *reason);

/* tq_report_incomplete returns why `r` is incomplete, or NULL when it is complete. */
const char *tq_report_incomplete(const struct tq_report *r);

/* TQ_REPORT_INTERRUPTED begins the message of every case that a stop request (SIGINT, SIGTERM)
 * kept from reaching a verdict of its own: not started, or its backend ended (run/runner.c). */
#define TQ_REPORT_INTERRUPTED "interrupted"

/* tq_case_interrupted is true when `c` did not run to a verdict because the run was stopped: an
 * error whose message begins with TQ_REPORT_INTERRUPTED. */
bool tq_case_interrupted(const struct tq_case_record *c);

size_t tq_report_count(const struct tq_report *r);
const struct tq_case_record *tq_report_at(const struct tq_report *r, size_t i);
size_t tq_report_property_count(const struct tq_report *r);
/* tq_report_property returns the i-th property's name and sets `*out_value`. */
const char *tq_report_property(const struct tq_report *r, size_t i, const char **out_value);

/* tq_report_sort_by_seq orders the records by their matrix position (a stable sort). */
void tq_report_sort_by_seq(struct tq_report *r);

/* tq_verdict_name returns "pass", "warn", "fail", "error", "skip" or "not_run". */
const char *tq_verdict_name(enum tq_verdict v);

/* struct tq_report_counts: totals over a report (or one backend of it). */
struct tq_report_counts {
    size_t total, passed, warned, failed, errors, skipped; /* passed includes warned */
    double seconds;
};

/* tq_verdict_from_name is the inverse of tq_verdict_name; unknown names give NOT_RUN. */
enum tq_verdict tq_verdict_from_name(const char *name);

/* tq_report_counts_for adds up the records of `backend` (NULL: all records). */
struct tq_report_counts tq_report_counts_for(const struct tq_report *r, const char *backend);

#endif
