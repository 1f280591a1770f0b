/* spec.h: the `spec:` citation of a scenario, resolved inside the repository.
 *
 * A citation is either an anchor of the AWS IoT reference, "docs/aws-iot/<file>.md#<anchor>",
 * or an RFC section, "RFC <number> ..." (checked for form only). The rule is the one of
 * docs/aws-iot/README.md ("The resolution rule"), applied byte for byte:
 *   1. the whole value matches ^docs/aws-iot/([a-z0-9][a-z0-9-]*)\.md#([a-z0-9]+(-[a-z0-9]+)*)$;
 *   2. FILE is not README and docs/aws-iot/FILE.md exists;
 *   3. that file has exactly one line "### ANCHOR" (nothing after it, not even a '\r'), not
 *      counting lines inside fenced code blocks (between lines that start with three backticks).
 * A citation is never skipped: when the reference folder is missing, a citation of it fails
 * and says so. */
#ifndef TQ_SPEC_H
#define TQ_SPEC_H

#include <stdbool.h>
#include <stddef.h>

/* The most reference files one check reads (each is read once, then kept). */
#define TQ_SPEC_FILES_MAX 32
/* The largest reference file read (bytes). */
#define TQ_SPEC_FILE_MAX (4 << 20)

/* struct tq_spec_ref is the reference folder a citation's "docs/aws-iot/" names, and the files
 * read from it so far. Caller storage: tq_spec_ref_init, then tq_spec_ref_cleanup. */
struct tq_spec_ref {
    char dir[4096];
    bool dir_exists;
    size_t num_files;
    struct {
        char *name; /* "tls.md" */
        char *text; /* NULL: the file could not be read */
    } files[TQ_SPEC_FILES_MAX];
};

/* tq_spec_ref_init prepares `r` for the reference folder `dir` (docs/aws-iot of a repository);
 * nothing is read yet. */
void tq_spec_ref_init(struct tq_spec_ref *r, const char *dir);

/* tq_spec_ref_cleanup releases the files `r` read. */
void tq_spec_ref_cleanup(struct tq_spec_ref *r);

/* tq_spec_ref_check returns NULL when `spec` resolves by the rule above; else it writes what is
 * wrong into `why` (a phrase: "no line '### x' in DIR/tls.md") and returns `why`. */
const char *tq_spec_ref_check(struct tq_spec_ref *r, const char *spec, char *why, size_t why_len);

/* tq_spec_count_anchor returns how many lines of the markdown `text` are exactly "### anchor",
 * outside fenced code blocks: 1 is a resolving anchor, 0 none, more an ambiguous one. */
size_t tq_spec_count_anchor(const char *text, const char *anchor);

#endif
