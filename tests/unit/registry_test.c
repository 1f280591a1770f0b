/* Tests for broker/registry.c: loading registry.json and the refusal reasons. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

#define DATA TQ_TEST_DATA_DIR "/broker/"
#define ID(ch)                                                                                     \
    ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch   \
        ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch ch  \
            ch ch ch

static struct tq_registry *load_good(void)
{
    struct tq_diag diag = {0};
    struct tq_registry *reg = NULL;
    cr_assert(tq_ok(tq_registry_load(&diag, &reg, DATA "registry-good")), "%s", diag.msg);
    return reg;
}

Test(registry, loads_cas_and_certificates)
{
    struct tq_registry *reg = load_good();
    cr_assert_eq(tq_registry_num_cas(reg), 1);
    const struct tq_registry_entry *ca = tq_registry_ca(reg, 0);
    cr_expect_str_eq(ca->name, "device-ca");
    cr_expect_str_eq(ca->cert, DATA "registry-good/device-ca.pem");
    cr_expect_null(tq_registry_ca(reg, 1));
    const struct tq_registry_entry *dev = tq_registry_find(reg, ID("b"));
    cr_assert_not_null(dev);
    cr_expect_str_eq(dev->name, "device-rsa-2048");
    cr_expect_str_eq(dev->mode, "DEFAULT");
    cr_expect_str_eq(dev->ca, ID("a"));
    cr_expect_null(tq_registry_find(reg, ID("f")));
    tq_registry_free(reg);
}

static const struct {
    const char *id;
    const char *want; /* NULL: may connect */
} refusal_cases[] = {
    {ID("b"), NULL},
    {ID("c"), "inactive"},
    {ID("e"), "revoked"},
    {ID("f"), "unregistered"},
};

Test(registry, refusal_reasons)
{
    struct tq_registry *reg = load_good();
    for (size_t i = 0; i < sizeof(refusal_cases) / sizeof(refusal_cases[0]); i++) {
        const char *got = tq_registry_refusal(tq_registry_find(reg, refusal_cases[i].id));
        if (refusal_cases[i].want == NULL)
            cr_expect_null(got, "case %zu: want NULL, got %s", i, got);
        else
            cr_expect_str_eq(got, refusal_cases[i].want, "case %zu", i);
    }
    tq_registry_free(reg);
}

Test(registry, every_non_active_status_is_refused)
{
    static const char *const statuses[] = {"PENDING_TRANSFER", "PENDING_ACTIVATION",
                                           "REGISTER_INACTIVE", "SOMETHING_NEW"};
    static const char *const want[] = {"pending_transfer", "pending_activation",
                                       "register_inactive", "unknown_status"};
    for (size_t i = 0; i < 4; i++) {
        struct tq_registry_entry e = {.id = ID("1"), .status = statuses[i]};
        cr_expect_str_eq(tq_registry_refusal(&e), want[i], "status %s", statuses[i]);
    }
}

static const struct {
    const char *dir;
    tq_status_code want;
    const char *msg_has;
} bad_cases[] = {
    {"registry-bad-id", TQ_ERR_PARSE, "certificates[0]"},
    {"registry-bad-format", TQ_ERR_PARSE, "tlsqual-registry/1"},
    {"registry-no-cas", TQ_ERR_PARSE, "\"cas\""},
    {"registry-slash", TQ_ERR_PARSE, "plain file name"},
    {"does-not-exist", TQ_ERR_NOT_FOUND, "does not exist"},
};

Test(registry, bad_files_say_what_and_where)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct tq_diag diag = {0};
        struct tq_registry *reg = NULL;
        char dir[512];
        snprintf(dir, sizeof(dir), DATA "%s", bad_cases[i].dir);
        tq_status st = tq_registry_load(&diag, &reg, dir);
        cr_expect_null(reg, "%s: no registry on failure", bad_cases[i].dir);
        cr_expect_eq(st.code, bad_cases[i].want, "%s: want %s, got %s", bad_cases[i].dir,
                     tq_status_name(bad_cases[i].want), tq_status_name(st.code));
        cr_expect(strstr(diag.msg, bad_cases[i].msg_has) != NULL, "%s: message '%s'",
                  bad_cases[i].dir, diag.msg);
        cr_expect(strstr(diag.path, "registry.json") != NULL, "%s: path '%s'", bad_cases[i].dir,
                  diag.path);
    }
}

/* A "cert" member is joined to the certificate folder: anything but a plain file name would
 * point at the folder itself, its parent or elsewhere (found by fuzzing review). */
static const struct {
    const char *cert;
    bool ok;
} cert_name_cases[] = {
    {"device-ca.pem", true},
    {"..pem", true},
    {".hidden.pem", true},
    {"", false},
    {".", false},
    {"..", false},
    {"sub/device-ca.pem", false},
    {"/etc/passwd", false},
    {"../device-ca.pem", false},
    {"device-ca.pem/", false},
};

Test(registry, cert_must_be_a_plain_file_name)
{
    for (size_t i = 0; i < sizeof(cert_name_cases) / sizeof(cert_name_cases[0]); i++) {
        const char *cert = cert_name_cases[i].cert;
        char text[512];
        int len = snprintf(text, sizeof(text),
                           "{\"format\": \"tlsqual-registry/1\", \"cas\": [{\"id\": \"%s\", "
                           "\"name\": \"device-ca\", \"cert\": \"%s\", \"status\": \"ACTIVE\"}], "
                           "\"certificates\": []}",
                           ID("a"), cert);
        struct tq_diag diag = {0};
        struct tq_registry *reg = NULL;
        tq_status st =
            tq_registry_parse(&diag, &reg, "/tmp/tq-pki/registry.json", text, (size_t)len);
        if (cert_name_cases[i].ok) {
            cr_expect(tq_ok(st), "cert '%s': want accepted, got %s", cert, diag.msg);
            tq_registry_free(reg);
            continue;
        }
        char want[128];
        snprintf(want, sizeof(want), "cas[0]: cert '%s' must be a plain file name", cert);
        cr_expect_eq(st.code, TQ_ERR_PARSE, "cert '%s': want parse error, got %s", cert,
                     tq_status_name(st.code));
        cr_expect_null(reg, "cert '%s': no registry on failure", cert);
        cr_expect_str_eq(diag.msg, want, "cert '%s'", cert);
        cr_expect_str_eq(diag.path, "/tmp/tq-pki/registry.json", "cert '%s'", cert);
    }
}

/* Registry changes: each is written to the file before it returns, and a reload (or a new
 * process) reads exactly what was acknowledged. */
#include <stdlib.h>
#include <unistd.h>

#include "fs.h"

static struct tq_registry *open_copy(char *dir, size_t dir_len)
{
    snprintf(dir, dir_len, "/tmp/tq-registry-test.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char *text = NULL;
    size_t len = 0;
    struct tq_diag diag = {0};
    char src[512], dst[512];
    snprintf(src, sizeof(src), "%s", DATA "registry-good/registry.json");
    snprintf(dst, sizeof(dst), "%s/registry.json", dir);
    cr_assert(tq_ok(tq_fs_read_all(&diag, &text, &len, src, 1 << 20)), "%s", diag.msg);
    cr_assert(tq_ok(tq_fs_write_atomic(&diag, dst, text, len, 0644)), "%s", diag.msg);
    free(text);
    struct tq_registry *reg = NULL;
    cr_assert(tq_ok(tq_registry_open(&diag, &reg, dst, DATA "registry-good")), "%s", diag.msg);
    return reg;
}

static void remove_copy(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/registry.json", dir);
    unlink(path);
    rmdir(dir);
}

static struct tq_registry *reopen(const struct tq_registry *reg)
{
    struct tq_diag diag = {0};
    struct tq_registry *again = NULL;
    cr_assert(tq_ok(tq_registry_open(&diag, &again, tq_registry_path(reg), DATA "registry-good")),
              "%s", diag.msg);
    return again;
}

Test(registry, update_is_durable_and_cert_paths_follow_cert_dir)
{
    char dir[64];
    struct tq_registry *reg = open_copy(dir, sizeof(dir));
    cr_expect_str_eq(tq_registry_ca(reg, 0)->cert, DATA "registry-good/device-ca.pem");
    struct tq_diag diag = {0};
    cr_assert(
        tq_ok(tq_registry_update(&diag, reg, TQ_REGISTRY_CERTIFICATES, ID("b"), "INACTIVE", -1)),
        "%s", diag.msg);
    cr_expect_str_eq(tq_registry_refusal(tq_registry_find(reg, ID("b"))), "inactive");
    struct tq_registry *again = reopen(reg);
    cr_expect_str_eq(tq_registry_find(again, ID("b"))->status, "INACTIVE");
    cr_expect_str_eq(tq_registry_find(again, ID("b"))->thing, "device-rsa-2048");
    cr_expect_gt(tq_registry_find(again, ID("b"))->modified, 0);
    tq_registry_free(again);
    cr_expect_eq(
        tq_registry_update(&diag, reg, TQ_REGISTRY_CERTIFICATES, ID("f"), "ACTIVE", -1).code,
        TQ_ERR_NOT_FOUND);
    cr_expect_eq(
        tq_registry_update(&diag, reg, TQ_REGISTRY_CERTIFICATES, ID("b"), "BOGUS", -1).code,
        TQ_ERR_USAGE);
    cr_assert(tq_ok(tq_registry_update(&diag, reg, TQ_REGISTRY_CAS, ID("a"), NULL, 1)));
    cr_expect(tq_registry_find_ca(reg, ID("a"))->auto_registration);
    tq_registry_free(reg);
    remove_copy(dir);
}

Test(registry, add_and_remove_inline_certificates)
{
    char dir[64];
    struct tq_registry *reg = open_copy(dir, sizeof(dir));
    struct tq_diag diag = {0};
    struct tq_registry_entry e = {.id = ID("d"),
                                  .name = "api-device",
                                  .pem = "-----PEM-----\n",
                                  .status = "PENDING_ACTIVATION",
                                  .mode = "DEFAULT",
                                  .ca = ID("a")};
    cr_assert(tq_ok(tq_registry_add(&diag, reg, TQ_REGISTRY_CERTIFICATES, &e)), "%s", diag.msg);
    cr_expect_eq(tq_registry_add(&diag, reg, TQ_REGISTRY_CERTIFICATES, &e).code, TQ_ERR_USAGE);
    struct tq_registry *again = reopen(reg);
    const struct tq_registry_entry *got = tq_registry_find(again, ID("d"));
    cr_assert_not_null(got);
    cr_expect_str_eq(got->pem, "-----PEM-----\n");
    cr_expect_str_eq(got->status, "PENDING_ACTIVATION");
    cr_expect_str_eq(got->ca, ID("a"));
    cr_expect_gt(got->created, 0);
    tq_registry_free(again);
    cr_assert(tq_ok(tq_registry_remove(&diag, reg, TQ_REGISTRY_CERTIFICATES, ID("d"))));
    cr_expect_null(tq_registry_find(reg, ID("d")));
    cr_expect_eq(tq_registry_remove(&diag, reg, TQ_REGISTRY_CERTIFICATES, ID("d")).code,
                 TQ_ERR_NOT_FOUND);
    cr_assert(tq_ok(tq_registry_reload(&diag, reg)), "%s", diag.msg);
    cr_expect_null(tq_registry_find(reg, ID("d")));
    cr_expect_eq(tq_registry_num_certificates(reg), 3);
    tq_registry_free(reg);
    remove_copy(dir);
}

Test(registry, failed_write_leaves_the_registry_unchanged)
{
    char dir[64];
    struct tq_registry *reg = open_copy(dir, sizeof(dir));
    remove_copy(dir); /* the folder is gone: the atomic write cannot create its temp file */
    struct tq_diag diag = {0};
    cr_expect(
        !tq_ok(tq_registry_update(&diag, reg, TQ_REGISTRY_CERTIFICATES, ID("b"), "REVOKED", -1)));
    cr_expect_str_eq(tq_registry_find(reg, ID("b"))->status, "ACTIVE");
    tq_registry_free(reg);
}
