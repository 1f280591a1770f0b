/* Test helpers (tq_test.h). Every failure is a cr_assert: the helper ends the running test. */
#include "tq_test.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"

/* see tq_test.h */
void tq_test_dir_make(char *out, const char *tag)
{
    int n = snprintf(out, TQ_TEST_DIR_LEN, "/tmp/tq-%.24s-XXXXXX", tag);
    cr_assert(n > 0 && n < TQ_TEST_DIR_LEN, "folder tag '%s' too long", tag);
    cr_assert_not_null(mkdtemp(out), "mkdtemp %s", out);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* see tq_test.h */
void tq_test_dir_remove(const char *dir)
{
    /* Only what tq_test_dir_make made: a slip here must not remove anything else. */
    if (dir[0] == '\0' || strncmp(dir, "/tmp/tq-", 8) != 0)
        return;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* see tq_test.h */
const char *tq_test_write_file(char *out, size_t out_len, const char *dir, const char *rel,
                               const char *text)
{
    static char path[4096];
    struct tq_diag diag = {0};
    int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cr_assert(n > 0 && (size_t)n < sizeof(path), "path too long: %s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    TQ_TEST_OK(tq_fs_mkdirs(&diag, path, 0755), &diag);
    *slash = '/';
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    size_t len = strlen(text);
    cr_assert_eq(fwrite(text, 1, len, f), len, "short write to %s", path);
    cr_assert_eq(fclose(f), 0, "cannot close %s", path);
    if (out != NULL) {
        cr_assert((size_t)n < out_len, "no room for the path %s", path);
        memcpy(out, path, (size_t)n + 1);
    }
    return out;
}

/* see tq_test.h */
char *tq_test_read_file(const char *path, size_t *out_len)
{
    struct tq_diag diag = {0};
    char *data = NULL;
    size_t len = 0;
    TQ_TEST_OK(tq_fs_read_all(&diag, &data, &len, path, 64 << 20), &diag);
    if (out_len != NULL)
        *out_len = len;
    return data;
}

/* see tq_test.h */
struct tq_scenario *tq_test_scenario(const char *yaml)
{
    struct tq_diag diag = {0};
    struct tq_scenario *s = NULL;
    TQ_TEST_OK(tq_scenario_parse(&diag, &s, "test.yaml", yaml, strlen(yaml)), &diag);
    return s;
}

/* see tq_test.h */
const char *tq_test_scenario_error(const char *yaml)
{
    static char text[2048];
    struct tq_diag diag = {0};
    struct tq_scenario *s = NULL;
    tq_status st = tq_scenario_parse(&diag, &s, "test.yaml", yaml, strlen(yaml));
    tq_scenario_free(s);
    cr_assert_not(tq_ok(st), "want the scenario refused, it parsed:\n%s", yaml);
    tq_diag_format(text, sizeof(text), &diag);
    return text;
}

/* artifact returns the manifest entry of one word of tq_test_manifest's `names`. */
static json_t *artifact(const char *word, size_t len)
{
    char name[128], file[160];
    const char *key_type = "RSA-2048";
    char type_buf[32];
    const char *eq = memchr(word, '=', len);
    if (eq != NULL) {
        snprintf(type_buf, sizeof(type_buf), "%.*s", (int)(word + len - eq - 1), eq + 1);
        key_type = type_buf;
        len = (size_t)(eq - word);
    }
    bool crl = len > 4 && memcmp(word + len - 4, "+crl", 4) == 0;
    len -= crl ? 4 : 0;
    cr_assert(len > 0 && len < sizeof(name), "bad artifact word '%.*s'", (int)len, word);
    snprintf(name, sizeof(name), "%.*s", (int)len, word);
    json_t *a = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "role", "test", "key_type",
                          key_type, "subject", name);
    snprintf(file, sizeof(file), "%s.pem", name);
    json_object_set_new(a, "cert", json_string(file));
    snprintf(file, sizeof(file), "%s.key", name);
    json_object_set_new(a, "key", json_string(file));
    snprintf(file, sizeof(file), "%s.crl.pem", name);
    json_object_set_new(a, "crl", crl ? json_string(file) : json_null());
    return a;
}

/* see tq_test.h */
struct tq_manifest *tq_test_manifest(const char *dir, const char *names)
{
    json_t *list = json_array();
    for (const char *p = names; *p != '\0';) {
        size_t len = strcspn(p, " ");
        if (len > 0)
            json_array_append_new(list, artifact(p, len));
        p += len + (p[len] == ' ');
    }
    json_t *root =
        json_pack("{s:s, s:{s:s, s:s}, s:o}", "format", "tlsqual-pki/1", "endpoints", "ats",
                  TQ_TEST_ATS_HOST, "legacy", TQ_TEST_LEGACY_HOST, "artifacts", list);
    char *text = json_dumps(root, JSON_INDENT(1));
    json_decref(root);
    cr_assert_not_null(text);
    tq_test_write_file(NULL, 0, dir, "manifest.json", text);
    free(text);
    struct tq_diag diag = {0};
    struct tq_manifest *m = NULL;
    TQ_TEST_OK(tq_manifest_load(&diag, &m, dir), &diag);
    return m;
}

/* see tq_test.h */
struct tq_report *tq_test_report(const struct tq_case_record *records, size_t num)
{
    struct tq_report *r = NULL;
    cr_assert(tq_ok(tq_report_new(&r)));
    for (size_t i = 0; i < num; i++)
        cr_assert(tq_ok(tq_report_add(r, &records[i])), "record %zu", i);
    return r;
}

/* see tq_test.h */
char *tq_test_result_line(const char *id, const char *outcome, const char *members)
{
    json_t *head = json_pack("{s:s, s:s}", "id", id, "outcome", outcome);
    char *text = json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(head);
    cr_assert_not_null(text);
    size_t len = strlen(text), more = members ? strlen(members) : 0;
    char *line = malloc(len + more + 3);
    cr_assert_not_null(line);
    memcpy(line, text, len - 1); /* without the closing brace */
    size_t at = len - 1;
    if (more > 0) {
        line[at++] = ',';
        memcpy(line + at, members, more);
        at += more;
    }
    memcpy(line + at, "}\n", 3);
    free(text);
    return line;
}

/* see tq_test.h */
void tq_test_capture_begin(struct tq_test_capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->file = open_memstream(&c->text, &c->len);
    cr_assert_not_null(c->file);
}

/* see tq_test.h */
char *tq_test_capture_end(struct tq_test_capture *c)
{
    cr_assert_eq(fclose(c->file), 0);
    c->file = NULL;
    return c->text;
}
