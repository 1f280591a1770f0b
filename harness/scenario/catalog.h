/* catalog.h: every scenario under a folder, loaded and checked together (names unique). */
#ifndef TQ_CATALOG_H
#define TQ_CATALOG_H

#include <stdbool.h>
#include <stdio.h>

#include "manifest.h"
#include "scenario.h"
#include "status.h"

/* The most scenario files one catalog holds. */
#define TQ_CATALOG_MAX 4096

struct tq_catalog {
    size_t num;
    struct tq_scenario *items[TQ_CATALOG_MAX];
    char *groups[TQ_CATALOG_MAX]; /* first folder under the root: "client-certificate";
                                        "default" for a file at the root itself */
};

/* tq_catalog_load reads every *.yaml and *.yml file under `dir` (recursively, in sorted order).
 * Every problem is printed to `errors` as "file:line: message", one per line, and counted in
 * `*out_num_errors`; the load fails when there is at least one. Names must be unique, and a
 * folder without any scenario file is a problem (a run of nothing is not a pass). */
TQ_MUST_USE tq_status tq_catalog_load(struct tq_catalog *out, size_t *out_num_errors,
                                      const char *dir, FILE *errors);

/* tq_catalog_check_pki prints (to `errors`) every artifact name a scenario uses that `pki`
 * lacks (NULL `pki`: that certs-gen does not generate), and returns the number of problems. */
size_t tq_catalog_check_pki(const struct tq_catalog *c, const struct tq_manifest *pki,
                            FILE *errors);

/* tq_catalog_check_specs prints (to `errors`) every scenario whose `spec` does not resolve by
 * docs/aws-iot/README.md's rule (spec.h): "docs/aws-iot/<file>.md#<anchor>" naming a file of
 * `ref_dir` (the folder that "docs/aws-iot/" stands for) and one "### <anchor>" line in it, or
 * an RFC section ("RFC 5280 section 6.3"). Returns the number of problems. Nothing is skipped:
 * a missing `ref_dir` fails every citation of it. */
size_t tq_catalog_check_specs(const struct tq_catalog *c, const char *ref_dir, FILE *errors);

/* A case ID names one scenario of a catalog: its group, a slash, its name, byte for byte
 * ("client-certificate/device certificate revoked is refused"; docs/scenario-format.md). Names
 * are unique in a catalog and a group has no slash, so an ID names at most one scenario; with a
 * backend it names one case. */

/* tq_catalog_id_is is true when `id` is the case ID of scenario `name` in `group`. */
bool tq_catalog_id_is(const char *group, const char *name, const char *id);

/* tq_catalog_find returns the index of the scenario whose case ID is `id`, or c->num. */
size_t tq_catalog_find(const struct tq_catalog *c, const char *id);

/* tq_catalog_cleanup frees every scenario. */
void tq_catalog_cleanup(struct tq_catalog *c);

#endif
