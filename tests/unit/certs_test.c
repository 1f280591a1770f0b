/* certs_test.c: certs-gen (tq_certs_generate, tq_certs_cli) read back through manifest.c.
 * Each test fills its own mkdtemp folder. To keep the suite fast, the folder is seeded with the
 * keys of a cache folder beside this executable (keys are reused by design, so a seeded run
 * still issues every certificate). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs.h"
#include "fs.h"
#include "manifest.h"
#include "tq_test.h"

enum { MAX_FILES = 512, DAY = 24 * 60 * 60 };

struct file_stamp {
    char name[NAME_MAX + 1];
    ino_t ino;
    struct timespec mtime;
};

struct snapshot {
    size_t num;
    struct file_stamp files[MAX_FILES];
};

static void must(tq_status st, const struct tq_diag *diag, const char *what)
{
    char text[2048];
    tq_diag_format(text, sizeof(text), diag);
    cr_assert(tq_ok(st), "%s failed: %s: %s", what, tq_status_name(st.code), text);
}

static void generate(const char *dir, struct tq_certs_options options,
                     struct tq_certs_counts *out_counts)
{
    struct tq_diag diag = {0};
    options.quiet = true;
    options.counts = out_counts;
    must(tq_certs_generate(&diag, dir, &options), &diag, "tq_certs_generate");
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    struct tq_diag diag = {0};
    char *data = NULL;
    size_t len = 0;
    must(tq_fs_read_all(&diag, &data, &len, from, 1 << 20), &diag, "read");
    must(tq_fs_write_atomic(&diag, to, data, len, mode), &diag, "write");
    free(data);
}

/* seed_keys copies every key of the cache folder (generated once) into `dir`. */
static void seed_keys(const char *dir)
{
    struct tq_diag diag = {0};
    char cache[PATH_MAX];
    must(tq_fs_self_dir(&diag, cache, sizeof(cache)), &diag, "self dir");
    strncat(cache, "/certs_test-key-cache", sizeof(cache) - strlen(cache) - 1);
    char manifest[PATH_MAX + 32];
    snprintf(manifest, sizeof(manifest), "%s/manifest.json", cache);
    if (!tq_fs_exists(manifest))
        generate(cache, (struct tq_certs_options){0}, NULL);
    DIR *d = opendir(cache);
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".key") != 0)
            continue;
        char from[PATH_MAX * 2], to[PATH_MAX * 2];
        snprintf(from, sizeof(from), "%s/%s", cache, e->d_name);
        snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
        copy_file(from, to, 0600);
    }
    closedir(d);
}

static void new_dir(char *out, size_t out_len, bool seeded)
{
    snprintf(out, out_len, "/tmp/tq-certs-test-XXXXXX");
    cr_assert_not_null(mkdtemp(out));
    if (seeded)
        seed_keys(out);
}

static void take_snapshot(struct snapshot *s, const char *dir)
{
    s->num = 0;
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        cr_assert_lt(s->num, MAX_FILES);
        struct file_stamp *f = &s->files[s->num++];
        char path[PATH_MAX * 2];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat sb;
        cr_assert_eq(stat(path, &sb), 0);
        snprintf(f->name, sizeof(f->name), "%s", e->d_name);
        f->ino = sb.st_ino;
        f->mtime = sb.st_mtim;
    }
    closedir(d);
}

static const struct file_stamp *find_stamp(const struct snapshot *s, const char *name)
{
    for (size_t k = 0; k < s->num; k++)
        if (strcmp(s->files[k].name, name) == 0)
            return &s->files[k];
    return NULL;
}

/* same_stamp is true when `name` has the same inode and mtime in both snapshots. */
static bool same_stamp(const struct snapshot *a, const struct snapshot *b, const char *name)
{
    const struct file_stamp *x = find_stamp(a, name);
    const struct file_stamp *y = find_stamp(b, name);
    return x && y && x->ino == y->ino && x->mtime.tv_sec == y->mtime.tv_sec &&
           x->mtime.tv_nsec == y->mtime.tv_nsec;
}

static struct tq_manifest *load(const char *dir)
{
    struct tq_diag diag = {0};
    struct tq_manifest *m = NULL;
    must(tq_manifest_load(&diag, &m, dir), &diag, "tq_manifest_load");
    return m;
}

static mode_t mode_of(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "%s is missing", path);
    return sb.st_mode & 07777;
}

/* The artifacts docs/pki.md names first; scenarios rely on these names and roles. */
static const struct {
    const char *name;
    const char *role;
    const char *issuer;
} required[] = {
    {.name = "ats-root-ca-1", .role = "server-root", .issuer = "ats-root-ca-1"},
    {.name = "ats-server-ca-rsa", .role = "server-intermediate", .issuer = "ats-root-ca-1"},
    {.name = "ats-server-rsa", .role = "server-leaf", .issuer = "ats-server-ca-rsa"},
    {.name = "device-ca", .role = "device-ca", .issuer = "device-ca"},
    {.name = "device-rsa-2048", .role = "device", .issuer = "device-ca"},
    {.name = "unregistered-ca", .role = "device-ca", .issuer = "unregistered-ca"},
    {.name = "device-unregistered-ca", .role = "device", .issuer = "unregistered-ca"},
};

Test(certs, generates_every_artifact_with_its_files)
{
    char dir[64];
    new_dir(dir, sizeof(dir), true);
    struct tq_certs_counts counts = {0};
    generate(dir, (struct tq_certs_options){0}, &counts);
    struct tq_manifest *m = load(dir);
    cr_assert_gt(tq_manifest_count(m), 50u);
    cr_assert_eq(counts.certs_kept, 0u, "a fresh folder keeps no certificate");
    cr_assert_str_eq(tq_manifest_endpoint(m, "ats"),
                     "d000000000000000-ats.iot.us-east-1.amazonaws.test");
    for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
        const struct tq_artifact *a = tq_manifest_find(m, required[k].name);
        cr_assert_not_null(a, "%s is missing", required[k].name);
        cr_assert_str_eq(a->role, required[k].role, "%s", required[k].name);
        cr_assert_str_eq(a->issuer, required[k].issuer, "%s", required[k].name);
    }
    for (size_t i = 0; i < tq_manifest_count(m); i++) {
        const struct tq_artifact *a = tq_manifest_at(m, i);
        cr_assert_eq(mode_of(a->key), 0600, "%s: key mode", a->name);
        cr_assert_eq(mode_of(a->cert), 0644, "%s: cert mode", a->name);
        cr_assert_eq(strlen(a->sha256), 64u, "%s: sha256", a->name);
        if (a->chain)
            cr_assert_eq(mode_of(a->chain), 0644, "%s: chain", a->name);
        if (a->crl)
            cr_assert_eq(mode_of(a->crl), 0644, "%s: crl", a->name);
    }
    cr_assert_not_null(tq_manifest_find(m, "ats-server-rsa")->chain);
    cr_assert_not_null(tq_manifest_find(m, "device-ca")->crl);
    tq_manifest_free(m);
    tq_test_dir_remove(dir);
}

Test(certs, second_run_rewrites_nothing)
{
    char dir[64];
    new_dir(dir, sizeof(dir), true);
    generate(dir, (struct tq_certs_options){0}, NULL);
    struct snapshot *before = calloc(1, sizeof(*before));
    struct snapshot *after = calloc(1, sizeof(*after));
    take_snapshot(before, dir);
    struct tq_certs_counts counts = {0};
    generate(dir, (struct tq_certs_options){0}, &counts);
    take_snapshot(after, dir);
    cr_assert_eq(counts.files_written, 0u);
    cr_assert_eq(counts.keys_generated + counts.certs_issued, 0u);
    cr_assert_eq(before->num, after->num);
    for (size_t k = 0; k < before->num; k++)
        cr_assert(same_stamp(before, after, before->files[k].name), "%s was rewritten",
                  before->files[k].name);
    free(before);
    free(after);
    tq_test_dir_remove(dir);
}

Test(certs, force_reissues_certificates_but_keeps_keys)
{
    char dir[64];
    new_dir(dir, sizeof(dir), true);
    generate(dir, (struct tq_certs_options){0}, NULL);
    struct snapshot *before = calloc(1, sizeof(*before));
    take_snapshot(before, dir);
    struct tq_certs_counts counts = {0};
    generate(dir, (struct tq_certs_options){.force = true}, &counts);
    struct snapshot *after = calloc(1, sizeof(*after));
    take_snapshot(after, dir);
    cr_assert_eq(counts.keys_generated, 0u);
    cr_assert_eq(counts.certs_kept, 0u);
    cr_assert(same_stamp(before, after, "ats-root-ca-2.key"));
    cr_assert_not(same_stamp(before, after, "ats-root-ca-2.pem"));
    free(before);
    free(after);
    tq_test_dir_remove(dir);
}

Test(certs, renews_what_expires_within_the_margin)
{
    char dir[64];
    new_dir(dir, sizeof(dir), true);
    time_t now = time(NULL);
    generate(dir, (struct tq_certs_options){.now = now}, NULL);
    struct tq_manifest *m = load(dir);
    char root[65], leaf[65], expired[65];
    snprintf(root, sizeof(root), "%s", tq_manifest_find(m, "ats-root-ca-1")->sha256);
    snprintf(leaf, sizeof(leaf), "%s", tq_manifest_find(m, "ats-server-rsa")->sha256);
    snprintf(expired, sizeof(expired), "%s", tq_manifest_find(m, "device-expired")->sha256);
    tq_manifest_free(m);

    /* 340 days on, the one-year leaves expire within 30 days: they, and the "not yet valid"
     * ones (valid from day 365), are renewed; roots and expired certificates are kept. */
    struct tq_certs_counts counts = {0};
    generate(dir, (struct tq_certs_options){.now = now + 340 * (time_t)DAY}, &counts);
    m = load(dir);
    cr_assert_gt(counts.certs_issued, 0u);
    cr_assert_eq(counts.keys_generated, 0u);
    cr_assert_str_eq(tq_manifest_find(m, "ats-root-ca-1")->sha256, root);
    cr_assert_str_eq(tq_manifest_find(m, "device-expired")->sha256, expired);
    cr_assert_str_neq(tq_manifest_find(m, "ats-server-rsa")->sha256, leaf);
    tq_manifest_free(m);
    tq_test_dir_remove(dir);
}

Test(certs, replaces_a_missing_certificate_and_a_damaged_key)
{
    char dir[64];
    new_dir(dir, sizeof(dir), true);
    generate(dir, (struct tq_certs_options){0}, NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/device-rsa-2048.pem", dir);
    cr_assert_eq(unlink(path), 0);
    snprintf(path, sizeof(path), "%s/device-shared.key", dir);
    struct tq_diag diag = {0};
    must(tq_fs_write_atomic(&diag, path, "garbage", 7, 0600), &diag, "damage a key");
    struct tq_certs_counts counts = {0};
    generate(dir, (struct tq_certs_options){0}, &counts);
    cr_assert_eq(counts.keys_generated, 1u);
    cr_assert_eq(counts.certs_issued, 2u, "device-rsa-2048 and device-shared");
    cr_assert_eq(mode_of(path), 0600);
    snprintf(path, sizeof(path), "%s/device-rsa-2048.pem", dir);
    cr_assert(tq_fs_exists(path));
    tq_test_dir_remove(dir);
}

static json_t *registry_find(json_t *registry, const char *list, const char *name)
{
    json_t *entries = json_object_get(registry, list);
    for (size_t k = 0; k < json_array_size(entries); k++) {
        json_t *e = json_array_get(entries, k);
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return e;
    }
    return NULL;
}

static const struct {
    const char *name;
    const char *status; /* NULL: absent from the registry */
    const char *mode;
} registry_cases[] = {
    {.name = "device-rsa-2048", .status = "ACTIVE", .mode = "DEFAULT"},
    {.name = "device-ecdsa-p521-sha512", .status = "ACTIVE", .mode = "DEFAULT"},
    {.name = "device-inactive", .status = "INACTIVE", .mode = "DEFAULT"},
    {.name = "device-revoked", .status = "REVOKED", .mode = "DEFAULT"},
    {.name = "device-pending-transfer", .status = "PENDING_TRANSFER", .mode = "DEFAULT"},
    {.name = "device-pending-activation", .status = "PENDING_ACTIVATION", .mode = "DEFAULT"},
    {.name = "device-register-inactive", .status = "REGISTER_INACTIVE", .mode = "DEFAULT"},
    {.name = "device-sni-only", .status = "ACTIVE", .mode = "SNI_ONLY"},
    {.name = "device-unregistered", .status = NULL},
    {.name = "device-unregistered-ca", .status = NULL},
};

Test(certs, registry_lists_statuses_and_ids)
{
    char dir[64];
    new_dir(dir, sizeof(dir), true);
    generate(dir, (struct tq_certs_options){0}, NULL);
    struct tq_manifest *m = load(dir);
    char path[128];
    snprintf(path, sizeof(path), "%s/registry.json", dir);
    json_t *registry = json_load_file(path, 0, NULL);
    cr_assert_not_null(registry);
    cr_assert_str_eq(json_string_value(json_object_get(registry, "format")), "tlsqual-registry/1");
    json_t *ca = registry_find(registry, "cas", "device-ca");
    cr_assert_not_null(ca);
    cr_assert_str_eq(json_string_value(json_object_get(ca, "id")),
                     tq_manifest_find(m, "device-ca")->sha256);
    cr_assert_null(registry_find(registry, "cas", "unregistered-ca"));
    for (size_t k = 0; k < sizeof(registry_cases) / sizeof(registry_cases[0]); k++) {
        json_t *e = registry_find(registry, "certificates", registry_cases[k].name);
        if (registry_cases[k].status == NULL) {
            cr_assert_null(e, "%s must be absent", registry_cases[k].name);
            continue;
        }
        cr_assert_not_null(e, "%s is missing", registry_cases[k].name);
        cr_assert_str_eq(json_string_value(json_object_get(e, "status")), registry_cases[k].status,
                         "%s", registry_cases[k].name);
        cr_assert_str_eq(json_string_value(json_object_get(e, "mode")), registry_cases[k].mode,
                         "%s", registry_cases[k].name);
        cr_assert_str_eq(json_string_value(json_object_get(e, "id")),
                         tq_manifest_find(m, registry_cases[k].name)->sha256, "%s",
                         registry_cases[k].name);
    }
    json_decref(registry);
    tq_manifest_free(m);
    tq_test_dir_remove(dir);
}

/* cli runs `tlsqual certs` with up to three arguments (NULL ends the list). */
static int cli(const char *a, const char *b, const char *c)
{
    char *argv[] = {strdup("certs"), a ? strdup(a) : NULL, b ? strdup(b) : NULL,
                    c ? strdup(c) : NULL, NULL};
    int argc = 1;
    while (argc < 4 && argv[argc] != NULL)
        argc++;
    int code = tq_certs_cli(argc, argv);
    for (int k = 0; k < 4; k++)
        free(argv[k]);
    return code;
}

Test(certs, cli_exit_codes)
{
    cr_assert_eq(cli("--help", NULL, NULL), 0);
    cr_assert_eq(cli(NULL, NULL, NULL), 2, "--out is required");
    cr_assert_eq(cli("--out", NULL, NULL), 2, "--out needs a value");
    cr_assert_eq(cli("--bogus", NULL, NULL), 2);
    char dir[64];
    new_dir(dir, sizeof(dir), true);
    cr_assert_eq(cli("--out", dir, "--quiet"), 0);
    char file[128];
    snprintf(file, sizeof(file), "%s/manifest.json", dir);
    cr_assert_eq(cli("--out", file, "--quiet"), 1, "a file is not a folder");
    tq_test_dir_remove(dir);
}
