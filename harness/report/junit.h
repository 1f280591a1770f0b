/* junit.h: writes a report as JUnit XML, valid against the Jenkins xUnit schema (junit-10.xsd
 * of jenkinsci/xunit-plugin) and shaped for GitLab, GitHub and Jenkins consumers:
 * one <testsuite> per backend; classname "tlsqual.<backend>.<group>"; a failure is <failure>,
 * a case that could not run is <error>, a skip is <skipped message="reason">; the backend's
 * stderr of a failed case goes in <system-err>. */
#ifndef TQ_JUNIT_H
#define TQ_JUNIT_H

#include "bytes.h"
#include "report.h"
#include "status.h"

/* tq_junit_render appends the XML document for `r` to `out`. `timestamp` (ISO 8601) and
 * `hostname` go on every <testsuite>. Any byte that XML 1.0 cannot carry is replaced by '?'. */
TQ_MUST_USE tq_status tq_junit_render(struct tq_buf *out, const struct tq_report *r,
                                      const char *timestamp, const char *hostname);

/* tq_junit_write renders `r` and writes it to `path` atomically (mode 0644). */
TQ_MUST_USE tq_status tq_junit_write(struct tq_diag *diag, const char *path,
                                     const struct tq_report *r, const char *timestamp,
                                     const char *hostname);

#endif
