#include "catalog.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case.h"
#include "certs.h"
#include "expand.h"
#include "fs.h"

struct walk {
    char *paths[TQ_CATALOG_MAX];
    size_t num;
};

static bool is_yaml(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

static tq_status walk_dir(struct tq_diag *diag, struct walk *w, const char *dir, int depth)
{
    if (depth > 8)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, dir, 0, "scenario folders nest too deep");
    DIR *d = opendir(dir);
    if (d == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, dir, 0, "cannot open scenario folder");
    tq_status st = TQ_SUCCESS;
    for (struct dirent *e; tq_ok(st) && (e = readdir(d)) != NULL;) {
        char path[PATH_MAX];
        struct stat sb;
        if (e->d_name[0] == '.' || !tq_ok(st = tq_fs_join(diag, path, sizeof(path), dir,
                                                           e->d_name)))
            continue;
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            st = walk_dir(diag, w, path, depth + 1);
        else if (is_yaml(e->d_name) && w->num == TQ_CATALOG_MAX)
            st = tq_diag_fail(diag, TQ_ERR_LIMIT, dir, 0, "more than %d scenarios",
                              TQ_CATALOG_MAX);
        else if (is_yaml(e->d_name) && (w->paths[w->num++] = strdup(path)) == NULL)
            st = TQ_STATUS(TQ_ERR_NOMEM);
    }
    closedir(d);
    return st;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *group_of(const char *root, const char *path)
{
    const char *rel = path + strlen(root);
    while (*rel == '/')
        rel++;
    const char *slash = strchr(rel, '/');
    return slash ? strndup(rel, (size_t)(slash - rel)) : strdup("default");
}

static tq_status add_one(struct tq_diag *diag, struct tq_catalog *c, const char *dir,
                         struct tq_scenario *s)
{
    if (c->num == TQ_CATALOG_MAX) {
        tq_scenario_free(s);
        return tq_diag_fail(diag, TQ_ERR_LIMIT, s->path, 0, "more than %d cases", TQ_CATALOG_MAX);
    }
    c->groups[c->num] = group_of(dir, s->path);
    c->items[c->num++] = s;
    return TQ_SUCCESS;
}

/* add_file loads one scenario file, expanding it into its family when it asks for that. */
static tq_status add_file(struct tq_diag *diag, struct tq_catalog *c, const char *dir,
                         const char *path)
{
    struct tq_scenario *s = NULL;
    TQ_GUARD(tq_scenario_load(diag, &s, path));
    if (s->expand == NULL)
        return add_one(diag, c, dir, s);
    static __thread struct tq_scenario *family[256];
    size_t num = 0;
    tq_status st = tq_expand_scenario(diag, family, 256, &num, s);
    tq_scenario_free(s);
    for (size_t i = 0; i < num; i++) {
        if (tq_ok(st))
            st = add_one(diag, c, dir, family[i]);
        else
            tq_scenario_free(family[i]);
    }
    return st;
}

static void report(FILE *errors, const struct tq_diag *d)
{
    char line[2048];
    tq_diag_format(line, sizeof(line), d);
    fprintf(errors, "%s\n", line);
}

static size_t check_unique(const struct tq_catalog *c, FILE *errors)
{
    size_t problems = 0;
    for (size_t i = 0; i < c->num; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->items[i]->name, c->items[k]->name) == 0) {
                fprintf(errors, "%s:%u: name '%s' is already used by %s:%u\n",
                        c->items[i]->path, c->items[i]->name_line, c->items[i]->name,
                        c->items[k]->path, c->items[k]->name_line);
                problems++;
            }
    return problems;
}

/* see catalog.h */
tq_status tq_catalog_load(struct tq_catalog *out, size_t *out_num_errors, const char *dir,
                          FILE *errors)
{
    struct tq_diag diag = {0};
    struct walk w = {.num = 0};
    *out_num_errors = 0;
    out->num = 0;
    tq_status st = walk_dir(&diag, &w, dir, 0);
    if (!tq_ok(st)) {
        report(errors, &diag);
        (*out_num_errors)++;
    }
    qsort(w.paths, w.num, sizeof(*w.paths), compare_paths);
    for (size_t i = 0; i < w.num; i++) {
        if (!tq_ok(add_file(&diag, out, dir, w.paths[i]))) {
            report(errors, &diag);
            (*out_num_errors)++;
        }
        free(w.paths[i]);
    }
    *out_num_errors += check_unique(out, errors);
    return *out_num_errors ? TQ_STATUS(TQ_ERR_PARSE) : TQ_SUCCESS;
}

static bool known_to_certs_gen(const void *ctx, const char *name)
{
    (void)ctx;
    return tq_certs_artifact_known(name);
}

/* see catalog.h */
size_t tq_catalog_check_pki(const struct tq_catalog *c, const struct tq_manifest *pki,
                            FILE *errors)
{
    size_t problems = 0;
    for (size_t i = 0; i < c->num; i++) {
        struct tq_diag diag = {0};
        tq_status st = pki ? tq_case_check_names(&diag, c->items[i], tq_case_known_in_manifest,
                                                 pki, tq_manifest_dir(pki))
                           : tq_case_check_names(&diag, c->items[i], known_to_certs_gen, NULL,
                                                 "tlsqual certs");
        if (!tq_ok(st)) {
            report(errors, &diag);
            problems++;
        }
    }
    return problems;
}

/* see catalog.h */
void tq_catalog_cleanup(struct tq_catalog *c)
{
    for (size_t i = 0; i < c->num; i++) {
        tq_scenario_free(c->items[i]);
        free(c->groups[i]);
    }
    c->num = 0;
}

enum { MAX_FACTS_BYTES = 4 << 20 };

/* heading_exists is true when `facts` has a markdown heading line whose text is `heading`. */
static bool heading_exists(const char *facts, const char *heading)
{
    size_t want = strlen(heading);
    for (const char *line = facts; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *text = line;
        while (text < line + len && *text == '#')
            text++;
        bool is_heading = text > line && text < line + len && *text == ' ';
        if (is_heading && (size_t)(line + len - (text + 1)) == want &&
            strncmp(text + 1, heading, want) == 0)
            return true;
        line = end ? end + 1 : NULL;
    }
    return false;
}

static const char *spec_problem(const char *spec, const char *facts)
{
    static const char prefix[] = "aws-iot-facts.md#";
    if (strncmp(spec, "RFC ", 4) == 0 && spec[4] >= '0' && spec[4] <= '9')
        return NULL;
    if (strncmp(spec, prefix, sizeof(prefix) - 1) != 0)
        return "want 'aws-iot-facts.md#<heading>' or 'RFC <number> ...'";
    if (facts != NULL && !heading_exists(facts, spec + sizeof(prefix) - 1))
        return "no such heading in aws-iot-facts.md";
    return NULL;
}

/* see catalog.h */
size_t tq_catalog_check_specs(const struct tq_catalog *c, const char *facts_path, FILE *errors)
{
    char *facts = NULL;
    size_t len = 0, problems = 0;
    struct tq_diag ignored;
    if (facts_path && !tq_ok(tq_fs_read_all(&ignored, &facts, &len, facts_path,
                                            MAX_FACTS_BYTES)))
        facts = NULL;
    for (size_t i = 0; i < c->num; i++) {
        const struct tq_scenario *s = c->items[i];
        const char *problem = spec_problem(s->spec, facts);
        if (problem == NULL)
            continue;
        fprintf(errors, "%s:%u: spec '%s': %s\n", s->path, tq_scenario_line_of(s, s->spec),
                s->spec, problem);
        problems++;
    }
    free(facts);
    return problems;
}
