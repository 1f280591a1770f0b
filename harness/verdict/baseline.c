#include "baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

struct entry {
    char *backend;
    char *case_name; /* "group/name" */
    char *reason;
    unsigned line;
};

struct tq_baseline {
    char *path;
    size_t num;
    struct entry entries[];
};

static char *trimmed_dup(const char *start, const char *end)
{
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return strndup(start, (size_t)(end - start));
}

static tq_status parse_line(struct tq_diag *diag, struct entry *e, const char *path,
                            unsigned line_no, const char *line, const char *end)
{
    const char *colon = memchr(line, ':', (size_t)(end - line));
    const char *hash = strstr(line, " #");
    if (hash == NULL || hash > end)
        hash = end;
    if (colon == NULL || colon > hash)
        return tq_diag_fail(diag, TQ_ERR_PARSE, path, line_no,
                            "want 'backend: group/name  # reason', got '%.*s'", (int)(end - line),
                            line);
    e->backend = trimmed_dup(line, colon);
    e->case_name = trimmed_dup(colon + 1, hash);
    e->reason = trimmed_dup(hash < end ? hash + 2 : end, end);
    e->line = line_no;
    TQ_ENSURE(e->backend && e->case_name && e->reason, TQ_ERR_NOMEM);
    if (e->backend[0] == '\0' || strchr(e->case_name, '/') == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, path, line_no,
                            "want a backend name and a case as group/name");
    return TQ_SUCCESS;
}

static bool blank_or_comment(const char *line, const char *end)
{
    while (line < end && (*line == ' ' || *line == '\t' || *line == '\r'))
        line++;
    return line == end || *line == '#';
}

static tq_status parse_lines(struct tq_diag *diag, struct tq_baseline *b, const char *text,
                             size_t len)
{
    unsigned line_no = 0;
    for (const char *line = text, *stop = text + len; line < stop;) {
        const char *end = memchr(line, '\n', (size_t)(stop - line));
        end = end ? end : stop;
        line_no++;
        if ((size_t)(end - line) > TQ_BASELINE_LINE_MAX)
            return tq_diag_fail(diag, TQ_ERR_LIMIT, b->path, line_no, "line longer than %d bytes",
                                TQ_BASELINE_LINE_MAX);
        if (memchr(line, '\0', (size_t)(end - line)))
            return tq_diag_fail(diag, TQ_ERR_PARSE, b->path, line_no, "NUL byte in the line");
        if (!blank_or_comment(line, end)) {
            if (b->num == TQ_BASELINE_MAX)
                return tq_diag_fail(diag, TQ_ERR_LIMIT, b->path, line_no, "more than %d entries",
                                    TQ_BASELINE_MAX);
            TQ_GUARD(parse_line(diag, &b->entries[b->num++], b->path, line_no, line, end));
        }
        line = end + 1;
    }
    return TQ_SUCCESS;
}

/* see baseline.h */
tq_status tq_baseline_parse(struct tq_diag *diag, struct tq_baseline **out, const char *path,
                            const char *text, size_t len)
{
    *out = NULL;
    struct tq_baseline *b = calloc(1, sizeof(*b) + TQ_BASELINE_MAX * sizeof(struct entry));
    TQ_ENSURE(b != NULL, TQ_ERR_NOMEM);
    b->path = strdup(path);
    tq_status st = b->path ? parse_lines(diag, b, text, len) : TQ_STATUS(TQ_ERR_NOMEM);
    if (!tq_ok(st)) {
        tq_baseline_free(b);
        return st;
    }
    *out = b;
    return TQ_SUCCESS;
}

/* see baseline.h */
tq_status tq_baseline_load(struct tq_diag *diag, struct tq_baseline **out, const char *path)
{
    *out = NULL;
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq_fs_read_all(diag, &text, &len, path,
                            (size_t)TQ_BASELINE_MAX * (TQ_BASELINE_LINE_MAX + 1)));
    return tq_baseline_parse(diag, out, path, text, len);
}

/* see baseline.h */
void tq_baseline_free(struct tq_baseline *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->num; i++) {
        free(b->entries[i].backend);
        free(b->entries[i].case_name);
        free(b->entries[i].reason);
    }
    free(b->path);
    free(b);
}

static bool backend_known(const struct tq_baseline_known *known, const char *name)
{
    for (size_t i = 0; i < known->num_backends; i++)
        if (strcmp(known->backends[i], name) == 0)
            return true;
    return known->backends == NULL;
}

static void list_backends(FILE *errors, const struct tq_baseline_known *known)
{
    for (size_t i = 0; i < known->num_backends; i++)
        fprintf(errors, "%s%s", i ? ", " : "", known->backends[i]);
}

/* first_of returns the first entry before `e` that lists the same backend and case, or NULL. */
static const struct entry *first_of(const struct tq_baseline *b, const struct entry *e)
{
    for (const struct entry *p = b->entries; p < e; p++)
        if (strcmp(p->backend, e->backend) == 0 && strcmp(p->case_name, e->case_name) == 0)
            return p;
    return NULL;
}

/* see baseline.h */
size_t tq_baseline_check(const struct tq_baseline *b, const struct tq_baseline_known *known,
                         FILE *errors)
{
    size_t problems = 0;
    for (size_t i = 0; b && i < b->num; i++) {
        const struct entry *e = &b->entries[i], *earlier = first_of(b, e);
        if (!backend_known(known, e->backend)) {
            fprintf(errors, "%s:%u: no backend called '%s'; known: ", b->path, e->line, e->backend);
            list_backends(errors, known);
            fputc('\n', errors);
            problems++;
        }
        if (known->has_case && !known->has_case(known->ctx, e->case_name)) {
            fprintf(errors,
                    "%s:%u: no case '%s' in the scenarios (renamed or removed? "
                    "`tlsqual run --list` shows every case ID)\n",
                    b->path, e->line, e->case_name);
            problems++;
        }
        if (earlier) {
            fprintf(errors, "%s:%u: '%s: %s' is already listed at line %u\n", b->path, e->line,
                    e->backend, e->case_name, earlier->line);
            problems++;
        }
    }
    return problems;
}

/* see baseline.h */
const char *tq_baseline_path(const struct tq_baseline *b)
{
    return b->path;
}

static const struct entry *find(const struct tq_baseline *b, const struct tq_case_record *r)
{
    char full[512];
    snprintf(full, sizeof(full), "%s/%s", r->group ? r->group : "", r->name);
    for (size_t i = 0; i < b->num; i++)
        if (strcmp(b->entries[i].backend, r->backend) == 0 &&
            strcmp(b->entries[i].case_name, full) == 0)
            return &b->entries[i];
    return NULL;
}

/* see baseline.h */
enum tq_verdict tq_baseline_apply(const struct tq_baseline *b, const struct tq_case_record *r,
                                  char *message, size_t message_len)
{
    const struct entry *e = b ? find(b, r) : NULL;
    if (e == NULL)
        return r->verdict;
    if (r->verdict == TQ_VERDICT_FAIL) {
        snprintf(message, message_len, "known deviation (%s: %s): %s", b->path,
                 e->reason[0] ? e->reason : "no reason given", r->message ? r->message : "");
        return TQ_VERDICT_WARN;
    }
    if (r->verdict == TQ_VERDICT_PASS || r->verdict == TQ_VERDICT_WARN) {
        snprintf(message, message_len,
                 "listed as a known deviation in %s but passed: remove the line", b->path);
        return TQ_VERDICT_FAIL;
    }
    return r->verdict;
}
