/* config_cache_test.c: tests backends/driver/config_cache.c (the configured context a backend
 * process keeps from one case to the next) with a fake backend that counts its calls. Cases are
 * real case lines (tq_case_parse) naming files in a temporary folder. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_case.h"
#include "config_cache.h"

struct fake_config {
    int serial;
};

/* Each test runs in its own process: the counters start at zero. */
static int num_configure, num_release;

static tq_status fake_configure(void *config, struct tq_outcome *out,
                                const struct tq_client_config *cfg)
{
    struct fake_config *k = config;
    k->serial = ++num_configure;
    if (cfg->cert != NULL && strstr(cfg->cert, "bad") != NULL)
        return tq_outcome_fail(out, TQ_OUT_CONFIG_ERROR, "cannot load %s", cfg->cert);
    return TQ_SUCCESS;
}

static void fake_release(void *config)
{
    (void)config;
    num_release++;
}

static const struct tq_tls_client_ops fake_ops = {
    .name = "fake",
    .config_size = sizeof(struct fake_config),
    .conn_size = 1,
    .configure = fake_configure,
    .release = fake_release,
};

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tq-config-cache.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    const char *names[] = {"trust1.pem", "trust2.pem", "cert.pem",  "cert2.pem",
                           "key.pem",    "key2.pem",   "chain.pem", "crl.pem"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        write_file(names[i], names[i]);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            cr_expect_eq(unlinkat(dirfd(d), e->d_name, 0), 0, "%s", e->d_name);
    }
    if (d != NULL)
        closedir(d);
    cr_expect_eq(rmdir(dir), 0);
}

TestSuite(config_cache, .init = setup, .fini = teardown);

/* Every [context] member set, so that each variant below changes exactly one thing. */
#define BASE_MEMBERS                                                                               \
    "\"trust\":[\"@/trust1.pem\"],\"cert\":\"@/cert.pem\",\"key\":\"@/key.pem\","                  \
    "\"chain\":\"@/chain.pem\",\"crl\":[\"@/crl.pem\"],\"versions\":{\"min\":\"1.2\","             \
    "\"max\":\"1.3\"},\"suites\":[\"TLS_AES_128_GCM_SHA256\"],\"groups\":[\"x25519\"],"            \
    "\"sigalgs\":[\"ed25519\"],\"alpn\":[\"mqtt\"],\"max_fragment_length\":1024"

/* parse_case parses a case with members `members` ("@/" stands for the temporary folder). */
static void parse_case(struct tq_client_config *cfg, const char *id, const char *members)
{
    char line[4096];
    size_t used = (size_t)snprintf(line, sizeof(line),
                                   "{\"id\":\"%s\",\"host\":\"127.0.0.1\",\"port\":8883", id);
    if (members[0] != '\0')
        used += (size_t)snprintf(line + used, sizeof(line) - used, ",");
    for (const char *p = members; *p != '\0' && used + 80 < sizeof(line); p++) {
        if (p[0] == '@' && p[1] == '/')
            used += (size_t)snprintf(line + used, sizeof(line) - used, "%s", dir);
        else
            line[used++] = *p;
    }
    snprintf(line + used, sizeof(line) - used, "}");
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_case_parse(&diag, cfg, line, strlen(line))), "%s: %s", line, diag.msg);
}

/* get runs one case through the cache and returns its context's serial (0: failed). */
static int get(struct tq_config_cache *cache, const char *id, const char *members)
{
    struct tq_client_config cfg;
    parse_case(&cfg, id, members);
    struct tq_outcome out = {0};
    void *config = NULL;
    tq_status st = tq_config_cache_get(cache, &out, &config, &cfg);
    tq_case_cleanup(&cfg);
    if (!tq_ok(st)) {
        cr_expect_null(config);
        cr_expect_eq(out.code, TQ_OUT_CONFIG_ERROR, "%s", id);
        return 0;
    }
    cr_assert_not_null(config);
    return ((struct fake_config *)config)->serial;
}

Test(config_cache, same_case_reuses_the_context)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    cr_expect_eq(get(&cache, "a", BASE_MEMBERS), 1);
    cr_expect_eq(get(&cache, "b", BASE_MEMBERS), 1);
    cr_expect_eq(get(&cache, "c", BASE_MEMBERS), 1);
    cr_expect_eq(num_configure, 1);
    cr_expect_eq(cache.num_reused, 2u);
    tq_config_cache_cleanup(&cache);
    cr_expect_eq(num_release, 1);
}

/* [connection] members: a case that differs only in one of them gets the kept context. */
static const struct {
    const char *name;
    const char *extra;
} connection_variants[] = {
    {"server_name", ",\"server_name\":\"other.example\""},
    {"send_sni", ",\"server_name\":\"n.example\",\"send_sni\":false"},
    {"verify_time", ",\"verify_time\":1700000000"},
    {"timeout_ms", ",\"timeout_ms\":500"},
    {"mqtt", ",\"mqtt\":{\"client_id\":\"x\",\"publish\":[{\"topic\":\"t\",\"payload\":\"p\"}]}"},
};

Test(config_cache, connection_members_keep_the_context)
{
    for (size_t i = 0; i < sizeof(connection_variants) / sizeof(connection_variants[0]); i++) {
        struct tq_config_cache cache;
        tq_config_cache_init(&cache, &fake_ops);
        int first = get(&cache, "a", BASE_MEMBERS);
        char members[2048];
        snprintf(members, sizeof(members), "%s%s", BASE_MEMBERS, connection_variants[i].extra);
        cr_expect_eq(get(&cache, "other id", members), first, "%s", connection_variants[i].name);
        tq_config_cache_cleanup(&cache);
    }
}

Test(config_cache, host_and_port_keep_the_context)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    struct tq_client_config cfg;
    parse_case(&cfg, "a", BASE_MEMBERS);
    struct tq_outcome out = {0};
    void *first = NULL, *second = NULL;
    cr_assert(tq_ok(tq_config_cache_get(&cache, &out, &first, &cfg)));
    free(cfg.host);
    cfg.host = strdup("127.0.0.2");
    cfg.port = 9000;
    cr_assert(tq_ok(tq_config_cache_get(&cache, &out, &second, &cfg)));
    cr_expect_eq(first, second);
    tq_case_cleanup(&cfg);
    tq_config_cache_cleanup(&cache);
}

/* [context] members: BASE_MEMBERS with one of them changed, dropped or emptied. */
static const struct {
    const char *name;
    const char *from; /* text of BASE_MEMBERS to replace */
    const char *to;
} context_variants[] = {
    {"verify_peer", "\"trust\":", "\"verify_peer\":false,\"trust\":"},
    {"trust other file", "trust1", "trust2"},
    {"trust one more", "[\"@/trust1.pem\"]", "[\"@/trust1.pem\",\"@/trust2.pem\"]"},
    {"trust empty", "[\"@/trust1.pem\"]", "[]"},
    {"trust absent", "\"trust\":[\"@/trust1.pem\"],", ""},
    {"cert", "cert.pem", "cert2.pem"},
    {"key", "key.pem", "key2.pem"},
    {"chain absent", "\"chain\":\"@/chain.pem\",", ""},
    {"crl empty", "[\"@/crl.pem\"]", "[]"},
    {"crl absent", "\"crl\":[\"@/crl.pem\"],", ""},
    {"versions.min", "\"min\":\"1.2\"", "\"min\":\"1.3\""},
    {"versions.max", "\"max\":\"1.3\"", "\"max\":\"1.2\""},
    {"suites", "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"},
    {"suites empty", "[\"TLS_AES_128_GCM_SHA256\"]", "[]"},
    {"suites absent", "\"suites\":[\"TLS_AES_128_GCM_SHA256\"],", ""},
    {"groups", "x25519", "secp256r1"},
    {"sigalgs", "ed25519", "ed448"},
    {"alpn", "\"mqtt\"", "\"x-amzn-mqtt-ca\""},
    {"alpn absent", "\"alpn\":[\"mqtt\"],", ""},
    {"max_fragment_length", "1024", "512"},
};

static void replace(char *buf, size_t buf_len, const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    cr_assert_not_null(at, "%s not in the base case", from);
    snprintf(buf, buf_len, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

Test(config_cache, each_context_member_builds_a_new_context)
{
    for (size_t i = 0; i < sizeof(context_variants) / sizeof(context_variants[0]); i++) {
        struct tq_config_cache cache;
        tq_config_cache_init(&cache, &fake_ops);
        int first = get(&cache, "a", BASE_MEMBERS);
        char members[2048];
        replace(members, sizeof(members), BASE_MEMBERS, context_variants[i].from,
                context_variants[i].to);
        int second = get(&cache, "b", members);
        cr_expect_neq(second, first, "%s", context_variants[i].name);
        cr_expect_eq(get(&cache, "c", members), second, "%s kept", context_variants[i].name);
        tq_config_cache_cleanup(&cache);
        cr_expect_eq(num_release, num_configure, "%s released", context_variants[i].name);
    }
}

Test(config_cache, list_boundaries_are_part_of_the_key)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    int two = get(&cache, "a", "\"suites\":[\"AB\",\"C\"]");
    cr_expect_neq(get(&cache, "b", "\"suites\":[\"A\",\"BC\"]"), two);
    cr_expect_neq(get(&cache, "c", "\"groups\":[\"A\",\"BC\"]"), two);
    tq_config_cache_cleanup(&cache);
}

static void file_path(char *buf, size_t buf_len, const char *name)
{
    snprintf(buf, buf_len, "%s/%s", dir, name);
}

Test(config_cache, touched_file_builds_a_new_context)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    int first = get(&cache, "a", BASE_MEMBERS);
    char path[128];
    file_path(path, sizeof(path), "trust1.pem");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    times[1].tv_sec += 10; /* same size, same inode, another mtime */
    cr_assert_eq(utimensat(AT_FDCWD, path, times, 0), 0);
    cr_expect_neq(get(&cache, "b", BASE_MEMBERS), first);
    tq_config_cache_cleanup(&cache);
}

Test(config_cache, replaced_file_builds_a_new_context)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    int first = get(&cache, "a", BASE_MEMBERS);
    /* Same name, same content, same size: a new inode, as tq_fs_write_atomic makes. */
    write_file("key.pem.new", "key.pem");
    char from[128], to[128];
    file_path(from, sizeof(from), "key.pem.new");
    file_path(to, sizeof(to), "key.pem");
    cr_assert_eq(rename(from, to), 0);
    cr_expect_neq(get(&cache, "b", BASE_MEMBERS), first);
    tq_config_cache_cleanup(&cache);
}

Test(config_cache, grown_file_builds_a_new_context)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    int first = get(&cache, "a", BASE_MEMBERS);
    char path[128];
    file_path(path, sizeof(path), "crl.pem");
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f);
    fputs("more", f);
    fclose(f);
    cr_expect_neq(get(&cache, "b", BASE_MEMBERS), first);
    tq_config_cache_cleanup(&cache);
}

Test(config_cache, missing_file_is_never_reused)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    const char *members = "\"trust\":[\"@/no-such-file.pem\"]";
    int first = get(&cache, "a", members);
    int second = get(&cache, "b", members);
    cr_expect_neq(second, first, "a file that cannot be stat'ed gives no key");
    cr_expect_eq(num_release, 1, "the previous context was released");
    tq_config_cache_cleanup(&cache);
    cr_expect_eq(num_release, 2);
}

Test(config_cache, failed_configure_keeps_nothing)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    write_file("bad-cert.pem", "x");
    const char *bad = "\"cert\":\"@/bad-cert.pem\",\"key\":\"@/key.pem\"";
    int good = get(&cache, "a", BASE_MEMBERS);
    cr_expect_eq(get(&cache, "b", bad), 0);
    cr_expect_null(cache.config, "nothing kept after a failed configure");
    cr_expect_eq(num_release, 2, "the good context and the failed one were released");
    cr_expect_eq(get(&cache, "c", bad), 0, "a failure is never reused: configure runs again");
    cr_expect_eq(num_configure, 3);
    int again = get(&cache, "d", BASE_MEMBERS);
    cr_expect(again != 0 && again != good, "the next good case builds a fresh context");
    tq_config_cache_cleanup(&cache);
    cr_expect_eq(num_release, num_configure);
}

Test(config_cache, cleanup_accepts_an_empty_cache)
{
    struct tq_config_cache cache;
    tq_config_cache_init(&cache, &fake_ops);
    tq_config_cache_cleanup(&cache);
    tq_config_cache_cleanup(&cache);
    struct tq_config_cache zeroed = {0};
    tq_config_cache_cleanup(&zeroed);
    cr_expect_eq(num_release, 0);
}
