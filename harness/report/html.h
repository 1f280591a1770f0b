/* html.h: report.html, one self-contained page a vendor can attach to a qualification: the
 * summary, a scenario x backend grid coloured by verdict, each case's evidence on click, and
 * the run's properties (PKI, backend libraries). No network: styles, script and data are
 * inside the file. */
#ifndef TQ_HTML_H
#define TQ_HTML_H

#include "report.h"
#include "status.h"

/* tq_html_write writes the page for `r` to `path` atomically. */
TQ_MUST_USE tq_status tq_html_write(struct tq_diag *diag, const char *path,
                                    const struct tq_report *r);

#endif
