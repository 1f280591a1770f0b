/* tq_test.h: helpers every unit test may use (tests/README.md), in the static library tq_testlib
 * that tests/CMakeLists.txt links into each tests/unit/X_test.c and into nothing else.
 *
 * Conventions: a helper that cannot do its job fails the running Criterion test on the spot
 * (cr_assert, with what it was doing), so a test reads as its checks only; include this header
 * after <criterion/criterion.h>. Strings a helper
 * returns are new (the caller frees them) unless said otherwise. Temporary folders live under
 * /tmp and are removed by tq_test_dir_remove, from a suite's .fini or the test's end. */
#ifndef TQ_TEST_H
#define TQ_TEST_H

#include <stddef.h>
#include <stdio.h>

#include "manifest.h"
#include "report.h"
#include "scenario.h"
#include "status.h"

/* TQ_TEST_OK asserts that the tq_status `expr` succeeded, printing `diag`'s message if not. */
#define TQ_TEST_OK(expr, diag)                                                                     \
    cr_assert(tq_ok(expr), "%s: %s:%u: %s", #expr, (diag)->path, (diag)->line, (diag)->msg)

/* The room a tq_test_dir_make path needs. */
#define TQ_TEST_DIR_LEN 64

/* tq_test_dir_make makes a new empty folder /tmp/tq-`tag`-XXXXXX and writes its path into `out`
 * (TQ_TEST_DIR_LEN bytes). */
void tq_test_dir_make(char *out, const char *tag);

/* tq_test_dir_remove removes the folder `dir` and everything under it. "" is a no-op. */
void tq_test_dir_remove(const char *dir);

/* tq_test_write_file writes `text` to `dir`/`rel`, making the folders of `rel` on the way, and
 * returns the file's path in a buffer of the caller's (`out`, `out_len` bytes; NULL: not kept). */
const char *tq_test_write_file(char *out, size_t out_len, const char *dir, const char *rel,
                               const char *text);

/* tq_test_read_file returns the whole file at `path`, NUL-terminated, and its length in
 * `*out_len` (may be NULL). */
char *tq_test_read_file(const char *path, size_t *out_len);

/* tq_test_scenario parses the YAML text `yaml` as the scenario file "test.yaml" and returns it
 * (release with tq_scenario_free). The test fails, with the parser's message, if it does not
 * parse. */
struct tq_scenario *tq_test_scenario(const char *yaml);

/* tq_test_scenario_error parses `yaml` as "test.yaml", wants it refused, and returns the
 * "path:line: message" the parser gave, in a static buffer (valid until the next call). */
const char *tq_test_scenario_error(const char *yaml);

/* TQ_TEST_ROOTS: the roots a case line trusts when its scenario names none (the four ATS roots)
 * and the legacy endpoint's root, as words for tq_test_manifest. */
#define TQ_TEST_ROOTS "ats-root-ca-1 ats-root-ca-2 ats-root-ca-3 ats-root-ca-4 legacy-root-ca-g5"

/* The endpoint names of a tq_test_manifest PKI. */
#define TQ_TEST_ATS_HOST "d1-ats.iot.test"
#define TQ_TEST_LEGACY_HOST "d1.iot.test"

/* tq_test_manifest writes `dir`/manifest.json (format tlsqual-pki/1, docs/pki.md) for a PKI
 * whose artifacts are the space-separated words of `names`, and loads it (release with
 * tq_manifest_free). Each artifact NAME has cert NAME.pem and key NAME.key; a word "NAME+crl"
 * also signs a CRL, NAME.crl.pem; a word "NAME=KEYTYPE" has that key_type ("EC-P256"), else
 * "RSA-2048". Endpoints: TQ_TEST_ATS_HOST and TQ_TEST_LEGACY_HOST. Only the manifest is written:
 * nothing that reads a manifest opens the files it names. */
struct tq_manifest *tq_test_manifest(const char *dir, const char *names);

/* tq_test_report returns a new report holding copies of the `num` records (release with
 * tq_report_free). */
struct tq_report *tq_test_report(const struct tq_case_record *records, size_t num);

/* tq_test_result_line returns a backend's result line (docs/backend-protocol.md) for case `id`
 * with outcome `outcome`, ending in '\n'; `members` is NULL or more members as JSON text without
 * braces (`"version":"TLSv1.2","local_port":4000`). `id` and `outcome` are JSON-escaped. */
char *tq_test_result_line(const char *id, const char *outcome, const char *members);

/* struct tq_test_capture collects what a function writes to a FILE *. */
struct tq_test_capture {
    FILE *file; /* pass this to the function under test */
    char *text; /* after tq_test_capture_end: everything written, NUL-ended */
    size_t len;
};

/* tq_test_capture_begin opens `c->file`; tq_test_capture_end closes it and returns `c->text`,
 * which the caller frees. */
void tq_test_capture_begin(struct tq_test_capture *c);
char *tq_test_capture_end(struct tq_test_capture *c);

#endif
