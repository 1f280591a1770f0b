/* spec: citations resolved by the rule of docs/aws-iot/README.md, byte for byte, so that what
 * lint accepts is exactly what a reviewer (and GitHub's heading links) would. */
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

static const char ref_prefix[] = "docs/aws-iot/";

static bool lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* well_formed_anchor: [a-z0-9]+(-[a-z0-9]+)* in full. */
static bool well_formed_anchor(const char *a)
{
    if (!lower_alnum(a[0]))
        return false;
    for (const char *p = a + 1; *p; p++)
        if (!lower_alnum(*p) && !(*p == '-' && lower_alnum(p[1])))
            return false;
    return true;
}

/* split_citation finds FILE ("tls") and ANCHOR of "docs/aws-iot/FILE.md#ANCHOR"; false when the
 * value has another form. */
static bool split_citation(const char *spec, const char **out_file, size_t *out_file_len,
                           const char **out_anchor)
{
    if (strncmp(spec, ref_prefix, sizeof(ref_prefix) - 1) != 0)
        return false;
    const char *file = spec + sizeof(ref_prefix) - 1;
    const char *end = strstr(file, ".md#"); /* FILE has no '.', so the first one ends it */
    if (end == NULL || end == file || !lower_alnum(file[0]))
        return false;
    for (const char *p = file; p < end; p++)
        if (!lower_alnum(*p) && *p != '-')
            return false;
    *out_file = file;
    *out_file_len = (size_t)(end - file);
    *out_anchor = end + 4;
    return well_formed_anchor(*out_anchor);
}

/* see spec.h */
void tq_spec_ref_init(struct tq_spec_ref *r, const char *dir)
{
    snprintf(r->dir, sizeof(r->dir), "%s", dir);
    r->dir_exists = tq_fs_exists(dir);
    r->num_files = 0;
}

/* see spec.h */
void tq_spec_ref_cleanup(struct tq_spec_ref *r)
{
    for (size_t i = 0; i < r->num_files; i++) {
        free(r->files[i].name);
        free(r->files[i].text);
    }
    r->num_files = 0;
}

/* file_text returns the text of reference file `name` ("tls.md"), read on first use; NULL when
 * it cannot be read. */
static const char *file_text(struct tq_spec_ref *r, const char *name)
{
    for (size_t i = 0; i < r->num_files; i++)
        if (strcmp(r->files[i].name, name) == 0)
            return r->files[i].text;
    char path[4096 + 64];
    snprintf(path, sizeof(path), "%s/%s", r->dir, name);
    char *text = NULL;
    size_t len = 0;
    struct tq_diag ignored;
    if (!tq_ok(tq_fs_read_all(&ignored, &text, &len, path, TQ_SPEC_FILE_MAX)))
        text = NULL;
    if (r->num_files < TQ_SPEC_FILES_MAX && (r->files[r->num_files].name = strdup(name))) {
        r->files[r->num_files++].text = text;
        return text;
    }
    free(text); /* not kept: read again next time */
    return NULL;
}

/* see spec.h */
size_t tq_spec_count_anchor(const char *text, const char *anchor)
{
    size_t count = 0, anchor_len = strlen(anchor);
    bool fenced = false;
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (strncmp(line, "```", 3) == 0)
            fenced = !fenced;
        else if (!fenced && len == 4 + anchor_len && strncmp(line, "### ", 4) == 0 &&
                 memcmp(line + 4, anchor, anchor_len) == 0)
            count++;
        line = nl ? nl + 1 : NULL;
    }
    return count;
}

/* see spec.h */
const char *tq_spec_ref_check(struct tq_spec_ref *r, const char *spec, char *why, size_t why_len)
{
    const char *file, *anchor;
    size_t file_len;
    if (strncmp(spec, "RFC ", 4) == 0 && spec[4] >= '0' && spec[4] <= '9')
        return NULL;
    if (!split_citation(spec, &file, &file_len, &anchor)) {
        snprintf(why, why_len,
                 "want 'docs/aws-iot/<file>.md#<anchor>' (lower-case letters, "
                 "digits, single hyphens) or 'RFC <number> ...' (docs/aws-iot/README.md, "
                 "\"The resolution rule\")");
        return why;
    }
    char name[256];
    snprintf(name, sizeof(name), "%.*s.md", (int)(file_len < 200 ? file_len : 200), file);
    size_t count = 0;
    const char *text = NULL;
    /* Clause 2's "not README" holds already: the form wants FILE in lower case. */
    if (!r->dir_exists)
        snprintf(why, why_len, "the AWS IoT reference folder %s does not exist", r->dir);
    else if ((text = file_text(r, name)) == NULL)
        snprintf(why, why_len, "no file %s/%s", r->dir, name);
    else if ((count = tq_spec_count_anchor(text, anchor)) == 0)
        snprintf(why, why_len,
                 "no line '### %s' in %s/%s (`grep '^### ' %s/%s` lists its "
                 "anchors)",
                 anchor, r->dir, name, r->dir, name);
    else if (count > 1)
        snprintf(why, why_len, "'### %s' is in %s/%s %zu times: an anchor must be unique", anchor,
                 r->dir, name, count);
    return count == 1 ? NULL : why;
}
