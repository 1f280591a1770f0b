/* catalog.h: every scenario under a folder, loaded and checked together (names unique). */
#ifndef TQ_CATALOG_H
#define TQ_CATALOG_H

#include <stdio.h>

#include "manifest.h"
#include "scenario.h"
#include "status.h"

/* The most scenario files one catalog holds. */
#define TQ_CATALOG_MAX 4096

struct tq_catalog {
    size_t num;
    struct tq_scenario *items[TQ_CATALOG_MAX];
    char *groups[TQ_CATALOG_MAX];    /* first folder under the root: "client-certificate" */
};

/* tq_catalog_load reads every *.yaml file under `dir` (recursively, in sorted order). Every
 * problem is printed to `errors` as "file:line: message", one per line, and counted in
 * `*out_num_errors`; the load fails when there is at least one. Names must be unique. */
TQ_MUST_USE tq_status tq_catalog_load(struct tq_catalog *out, size_t *out_num_errors,
                                      const char *dir, FILE *errors);

/* tq_catalog_check_pki prints (to `errors`) every artifact name a scenario uses that `pki`
 * lacks (NULL `pki`: that certs-gen does not generate), and returns the number of problems. */
size_t tq_catalog_check_pki(const struct tq_catalog *c, const struct tq_manifest *pki,
                            FILE *errors);

/* tq_catalog_check_specs prints (to `errors`) every scenario whose `spec` is neither
 * "aws-iot-facts.md#<heading>" naming a heading of the facts file at `facts_path`, nor an RFC
 * section ("RFC 5280 section 6.3"), and returns the number of problems. When `facts_path` is
 * NULL or unreadable only the form is checked. */
size_t tq_catalog_check_specs(const struct tq_catalog *c, const char *facts_path, FILE *errors);

/* tq_catalog_cleanup frees every scenario. */
void tq_catalog_cleanup(struct tq_catalog *c);

#endif
