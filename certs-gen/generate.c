/* generate.c: one run of certs-gen, in the order the dependencies require: keys, then
 * certificates (table order: issuers first), then the files derived from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certs.h"
#include "certs_internal.h"
#include "fs.h"

/* see certs_internal.h */
void tq__run_cleanup(struct tq__run *run)
{
    for (size_t i = 0; run->items != NULL && i < run->num_rows; i++) {
        EVP_PKEY_free(run->items[i].key);
        X509_free(run->items[i].cert);
        json_decref(run->items[i].entry);
    }
    free(run->items);
    run->items = NULL;
    json_decref(run->old_manifest);
    run->old_manifest = NULL;
}

/* load_old_manifest keeps the previous manifest.json when it is readable and of our format;
 * anything else means no certificate can be trusted as current. */
static void load_old_manifest(struct tq__run *run)
{
    char path[PATH_MAX];
    if (!tq_ok(tq_fs_join(NULL, path, sizeof(path), run->dir, "manifest.json")))
        return;
    json_t *old = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    const char *format = json_string_value(json_object_get(old, "format"));
    if (format != NULL && strcmp(format, "tlsqual-pki/1") == 0)
        run->old_manifest = old;
    else
        json_decref(old);
}

static tq_status run_init(struct tq_diag *diag, struct tq__run *run, const char *dir,
                          const struct tq_certs_options *options)
{
    int n = snprintf(run->dir, sizeof(run->dir), "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof(run->dir))
        return tq_diag_fail(diag, TQ_ERR_LIMIT, dir, 0, "want a folder path, got %s",
                            n <= 0 ? "an empty one" : "one that is too long");
    run->now = options->now != 0 ? options->now : time(NULL);
    run->force = options->force;
    run->rows = tq__profiles(&run->num_rows);
    run->items = calloc(run->num_rows, sizeof(*run->items));
    TQ_ENSURE(run->items != NULL, TQ_ERR_NOMEM);
    TQ_GUARD(tq__profiles_check(diag));
    TQ_GUARD(tq_fs_mkdirs(diag, run->dir, 0755));
    struct stat sb;
    if (stat(run->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tq_diag_fail(diag, TQ_ERR_USAGE, run->dir, 0, "want a folder, got a file");
    load_old_manifest(run);
    return TQ_SUCCESS;
}

static void report(const struct tq__run *run)
{
    const struct tq_certs_counts *c = &run->counts;
    printf("certs: %zu artifacts in %s: %zu keys generated, %zu kept; %zu certificates issued, "
           "%zu kept; %zu files written\n",
           run->num_rows, run->dir, c->keys_generated, c->keys_kept, c->certs_issued, c->certs_kept,
           c->files_written);
}

/* see certs.h */
tq_status tq_certs_generate(struct tq_diag *diag, const char *dir,
                            const struct tq_certs_options *options)
{
    struct tq__run run TQ_DEFER(tq__run_cleanup) = {0};
    TQ_GUARD(run_init(diag, &run, dir, options));
    TQ_GUARD(tq__keys_prepare(diag, &run));
    TQ_GUARD(tq__certs_settle(diag, &run));
    TQ_GUARD(tq__crls_update(diag, &run));
    TQ_GUARD(tq__chains_update(diag, &run));
    TQ_GUARD(tq__registry_update(diag, &run));
    TQ_GUARD(tq__manifest_update(diag, &run));
    if (options->counts != NULL)
        *options->counts = run.counts;
    if (!options->quiet)
        report(&run);
    return TQ_SUCCESS;
}
