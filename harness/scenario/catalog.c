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
#include "spec.h"

struct walk {
    char *paths[TQ_CATALOG_MAX];
    size_t num;
};

/* is_yaml: *.yaml and *.yml alike, the two names YAML files go by; skipping one silently
 * would lose its cases without a word. */
static bool is_yaml(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
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
        if (e->d_name[0] == '.' ||
            !tq_ok(st = tq_fs_join(diag, path, sizeof(path), dir, e->d_name)))
            continue;
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode))
            st = walk_dir(diag, w, path, depth + 1);
        else if (is_yaml(e->d_name) && w->num == TQ_CATALOG_MAX)
            st = tq_diag_fail(diag, TQ_ERR_LIMIT, dir, 0, "more than %d scenarios", TQ_CATALOG_MAX);
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
                fprintf(errors, "%s:%u: name '%s' is already used by %s:%u\n", c->items[i]->path,
                        c->items[i]->name_line, c->items[i]->name, c->items[k]->path,
                        c->items[k]->name_line);
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
    if (tq_ok(st) && w.num == 0) {
        fprintf(errors, "%s: no scenario file (*.yaml, *.yml) in this folder or below it\n", dir);
        (*out_num_errors)++;
    }
    return *out_num_errors ? TQ_STATUS(TQ_ERR_PARSE) : TQ_SUCCESS;
}

/* see catalog.h */
bool tq_catalog_id_is(const char *group, const char *name, const char *id)
{
    size_t group_len = strlen(group);
    return strncmp(id, group, group_len) == 0 && id[group_len] == '/' &&
           strcmp(id + group_len + 1, name) == 0;
}

/* see catalog.h */
size_t tq_catalog_find(const struct tq_catalog *c, const char *id)
{
    for (size_t i = 0; i < c->num; i++)
        if (tq_catalog_id_is(c->groups[i], c->items[i]->name, id))
            return i;
    return c->num;
}

static bool known_to_certs_gen(const void *ctx, const char *name)
{
    (void)ctx;
    return tq_certs_artifact_known(name);
}

/* see catalog.h */
size_t tq_catalog_check_pki(const struct tq_catalog *c, const struct tq_manifest *pki, FILE *errors)
{
    size_t problems = 0;
    for (size_t i = 0; i < c->num; i++) {
        struct tq_diag diag = {0};
        struct tq_case_pki art;
        tq_status st = pki ? tq_case_resolve(&diag, &art, c->items[i], pki)
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

/* see catalog.h */
size_t tq_catalog_check_specs(const struct tq_catalog *c, const char *ref_dir, FILE *errors)
{
    struct tq_spec_ref ref;
    size_t problems = 0;
    char why[1024];
    tq_spec_ref_init(&ref, ref_dir);
    for (size_t i = 0; i < c->num; i++) {
        const struct tq_scenario *s = c->items[i];
        if (tq_spec_ref_check(&ref, s->spec, why, sizeof(why)) == NULL)
            continue;
        fprintf(errors, "%s:%u: spec '%s': %s\n", s->path, tq_scenario_line_of(s, s->spec), s->spec,
                why);
        problems++;
    }
    tq_spec_ref_cleanup(&ref);
    return problems;
}
