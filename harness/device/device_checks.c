/* Passive ClientHello checks: one table row per check; each check judges one hello and says
 * why, and the runner below folds the hellos of every connection into one case per check. */
#include "device_checks.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "device_plan.h"
#include "event_schema.h"
#include "policy.h"

enum { MAX_TEXT = 2048, MAX_GROUPS = TQ_DEVICE_PLAN_MAX_CASES };

/* struct finding is what one check says about one hello. */
struct finding {
    enum tq_verdict verdict;
    char message[MAX_TEXT];  /* why, in one line */
    char evidence[MAX_TEXT]; /* what was offered */
};

struct check_env {
    const struct tq_device_check_input *in;
    const struct tq_policy *policy;
};

/* A check reads the members of one client_hello event through the schema's getters
 * (event_schema.h). */
typedef void (*check_fn)(const struct check_env *env, const struct tq_event *hello,
                         struct finding *out);

struct check {
    const char *name; /* the case name in the report */
    check_fn judge;
    bool alpn_listener_only; /* judged on hellos sent to the 443-style listener only */
};

static bool has(json_t *list, const char *word)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (json_is_string(v) &&
                                       strcmp(json_string_value(v), word) == 0) return true;
    return false;
}

static bool has_any(json_t *list, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (has(list, words[i]))
            return true;
    return false;
}

/* join writes the strings of `list` for which `keep` is true (NULL: all) as "a, b, c". */
static void join(char *out, size_t out_len, json_t *list, bool (*keep)(const void *, const char *),
                 const void *ctx)
{
    size_t used = 0, i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(list, i, v)
    {
        const char *s = json_is_string(v) ? json_string_value(v) : "?";
        if ((keep == NULL || keep(ctx, s)) && used < out_len)
            used += (size_t)snprintf(out + used, out_len - used, "%s%s", used ? ", " : "", s);
    }
    if (used == 0)
        snprintf(out, out_len, "none");
}

static void set(struct finding *f, enum tq_verdict v, const char *fmt, ...) TQ_PRINTF(3, 4);

static void set(struct finding *f, enum tq_verdict v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof(f->message), fmt, ap);
    va_end(ap);
    f->verdict = v;
}

/* docs/aws-iot/tls.md#versions: "AWS IoT Core supports the following versions of the TLS protocol:
 * TLS 1.3, TLS 1.2." */
static void judge_versions(const struct check_env *env, const struct tq_event *hello,
                           struct finding *f)
{
    static const char *const old[] = {"SSLv3", "TLSv1", "TLSv1.1", NULL};
    json_t *versions = tq_event_json(hello, "versions");
    join(f->evidence, sizeof(f->evidence), versions, NULL, NULL);
    bool v12 = has(versions, "TLSv1.2") && env->policy->min_version <= 0x0303;
    bool v13 = has(versions, "TLSv1.3") && env->policy->max_version >= 0x0304;
    if (!v12 && !v13)
        return set(f, TQ_VERDICT_FAIL, "offers no version policy %s allows (offered: %s)",
                   env->policy->id, f->evidence);
    if (has_any(versions, old))
        return set(f, TQ_VERDICT_WARN,
                   "also offers versions below TLS 1.2, which AWS IoT does not "
                   "support (offered: %s)",
                   f->evidence);
    set(f, TQ_VERDICT_PASS, "offers %s", f->evidence);
}

static bool signalling(const char *suite)
{
    static const char *const words[] = {
        "GREASE", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", "TLS_FALLBACK_SCSV", "0x00ff", "0x5600",
        NULL};
    for (size_t i = 0; words[i] != NULL; i++)
        if (strcmp(suite, words[i]) == 0)
            return true;
    return false;
}

static bool in_policy(const void *ctx, const char *suite)
{
    const struct tq_policy *p = ctx;
    for (size_t i = 0; i < tq_policy_num_suites(p); i++)
        if (strcmp(tq_policy_suite(p, i)->iana, suite) == 0)
            return true;
    return false;
}

static bool outside_policy(const void *ctx, const char *suite)
{
    return !signalling(suite) && !in_policy(ctx, suite);
}

/* recommended: the two suites the 2021 AWS docs marked "recommended"
 * (docs/aws-iot/tls.md#recommended-suites), and, by inference (docs/device-mode.md), the
 * policy's TLS 1.3 suites. */
static bool recommended(const void *ctx, const char *suite)
{
    static const char *const marked[] = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                         "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", NULL};
    for (size_t i = 0; marked[i] != NULL; i++)
        if (strcmp(suite, marked[i]) == 0)
            return in_policy(ctx, suite);
    return strncmp(suite, "TLS_AES_", 8) == 0 || strncmp(suite, "TLS_CHACHA20_", 13) == 0
               ? in_policy(ctx, suite)
               : false;
}

/* docs/aws-iot/device-advisor.md#tls-support-aws-iot-cipher-suites: "Pass: >=1 recommended
 * suite and no unsupported suites. Warn: supported but no recommended suite, or extra
 * unsupported suites. Fail: no supported suite." */
static void judge_suites(const struct check_env *env, const struct tq_event *hello,
                         struct finding *f)
{
    char allowed[900], outside[900], best[200];
    json_t *suites = tq_event_json(hello, "suites");
    const struct tq_policy *p = env->policy;
    join(allowed, sizeof(allowed), suites, in_policy, p);
    join(outside, sizeof(outside), suites, outside_policy, p);
    join(best, sizeof(best), suites, recommended, p);
    snprintf(f->evidence, sizeof(f->evidence), "allowed by %s: %s; outside the policy: %s", p->id,
             allowed, outside);
    if (strcmp(allowed, "none") == 0)
        return set(f, TQ_VERDICT_FAIL, "offers no suite policy %s allows (outside the policy: %s)",
                   p->id, outside);
    if (strcmp(best, "none") == 0)
        return set(f, TQ_VERDICT_WARN, "offers no recommended suite (allowed: %s)", allowed);
    if (strcmp(outside, "none") != 0)
        return set(f, TQ_VERDICT_WARN, "also offers suites outside policy %s: %s", p->id, outside);
    set(f, TQ_VERDICT_PASS, "offers recommended %s, nothing outside policy %s", best, p->id);
}

/* docs/aws-iot/endpoints.md#sni: SNI "not required but highly recommended";
 * docs/aws-iot/endpoints.md#sni-host-name: "Connections attempted by devices with the incorrect
 * or invalid host_name value will fail." */
static void judge_sni(const struct check_env *env, const struct tq_event *hello, struct finding *f)
{
    const char *sni = tq_event_string(hello, "sni");
    const char *want = env->in->endpoint_host ? env->in->endpoint_host : "";
    snprintf(f->evidence, sizeof(f->evidence), "sni: %s; endpoint: %s", sni ? sni : "none", want);
    if (sni == NULL)
        return set(f, TQ_VERDICT_WARN,
                   "sends no SNI: AWS IoT refuses such connections for "
                   "SNI_ONLY certificates, custom domains and configured TLS policies");
    if (strcmp(sni, want) != 0)
        return set(f, TQ_VERDICT_FAIL, "want SNI '%s' (the endpoint), got '%s'", want, sni);
    set(f, TQ_VERDICT_PASS, "SNI is the endpoint name %s", sni);
}

/* docs/aws-iot/endpoints.md#alpn-443: on 443 a client "must implement the ALPN TLS extension
 * and use the ALPN protocol name listed" (x-amzn-mqtt-ca for MQTT with an X.509 client
 * certificate). */
static void judge_alpn(const struct check_env *env, const struct tq_event *hello, struct finding *f)
{
    (void)env;
    json_t *alpn = tq_event_json(hello, "alpn");
    join(f->evidence, sizeof(f->evidence), alpn, NULL, NULL);
    if (!has(alpn, "x-amzn-mqtt-ca"))
        return set(f, TQ_VERDICT_FAIL,
                   "on the 443-style listener want ALPN x-amzn-mqtt-ca, "
                   "got %s",
                   f->evidence);
    set(f, TQ_VERDICT_PASS, "offers ALPN %s", f->evidence);
}

/* The ATS endpoint serves an RSA (sha256WithRSAEncryption) or an ECDSA P-256 chain
 * (docs/aws-iot/server-chains.md#chain-selection): the device must offer a signature algorithm
 * for one of them. */
static void judge_sigalgs(const struct check_env *env, const struct tq_event *hello,
                          struct finding *f)
{
    static const char *const usable[] = {"rsa_pkcs1_sha256", "rsa_pss_rsae_sha256",
                                         "ecdsa_secp256r1_sha256", NULL};
    (void)env;
    json_t *sigalgs = tq_event_json(hello, "sigalgs");
    join(f->evidence, sizeof(f->evidence), sigalgs, NULL, NULL);
    if (json_array_size(sigalgs) == 0)
        return set(f, TQ_VERDICT_WARN,
                   "no signature_algorithms extension: a TLS 1.2 server then "
                   "assumes SHA-1 (RFC 5246 section 7.4.1.4.1)");
    if (!has_any(sigalgs, usable))
        return set(f, TQ_VERDICT_FAIL,
                   "offers no signature algorithm the ATS chains use "
                   "(rsa_pkcs1_sha256, rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256); got %s",
                   f->evidence);
    set(f, TQ_VERDICT_PASS, "offers a signature algorithm for the ATS chains");
}

static void judge_groups(const struct check_env *env, const struct tq_event *hello,
                         struct finding *f)
{
    static const char *const common[] = {"x25519", "secp256r1", "secp384r1", "secp521r1", NULL};
    (void)env;
    json_t *groups = tq_event_json(hello, "groups");
    join(f->evidence, sizeof(f->evidence), groups, NULL, NULL);
    if (json_array_size(groups) == 0)
        return set(
            f, has(tq_event_json(hello, "versions"), "TLSv1.3") ? TQ_VERDICT_FAIL : TQ_VERDICT_WARN,
            "no supported_groups extension (RFC 8446 requires it for TLS 1.3; without "
            "it a TLS 1.2 server may pick any curve)");
    if (!has_any(groups, common))
        return set(f, TQ_VERDICT_FAIL,
                   "offers none of x25519, secp256r1, secp384r1, secp521r1; "
                   "got %s",
                   f->evidence);
    set(f, TQ_VERDICT_PASS, "offers %s", f->evidence);
}

/* docs/aws-iot/tls.md#max-fragment-length: the server does not support max_fragment_length
 * (RFC 6066 section 4, extension 1): a device that offers it must still take 16 KB records. */
static void judge_mfl(const struct check_env *env, const struct tq_event *hello, struct finding *f)
{
    (void)env;
    size_t i;
    json_t *v;
    bool offered = false;
    json_array_foreach(tq_event_json(hello, "extensions"), i, v) offered |=
        json_integer_value(v) == 1;
    snprintf(f->evidence, sizeof(f->evidence), "max_fragment_length %s",
             offered ? "offered" : "not offered");
    if (offered)
        return set(f, TQ_VERDICT_WARN,
                   "offers max_fragment_length, which AWS IoT ignores: the "
                   "device must still accept 16 KB records");
    set(f, TQ_VERDICT_PASS, "does not rely on max_fragment_length");
}

static void judge_ja3(const struct check_env *env, const struct tq_event *hello, struct finding *f)
{
    const char *md5 = tq_event_string(hello, "ja3_md5");
    const char *ja3 = tq_event_string(hello, "ja3");
    snprintf(f->evidence, sizeof(f->evidence), "ja3_md5 %s; ja3 %s", md5 ? md5 : "none",
             ja3 ? ja3 : "none");
    const char *want = env->in->expect_ja3;
    if (want != NULL && (md5 == NULL || strcmp(want, md5) != 0))
        return set(f, TQ_VERDICT_FAIL, "want fingerprint %s (--expect-ja3), got %s", want,
                   md5 ? md5 : "none");
    set(f, TQ_VERDICT_PASS, "fingerprint %s", md5 ? md5 : "none");
}

static const struct check checks[] = {
    {.name = "clienthello offers TLS 1.2 or 1.3 only", .judge = judge_versions},
    {.name = "clienthello cipher suites against the policy", .judge = judge_suites},
    {.name = "clienthello SNI is the endpoint name", .judge = judge_sni},
    {.name = "clienthello ALPN on the 443-style listener",
     .judge = judge_alpn,
     .alpn_listener_only = true},
    {.name = "clienthello signature algorithms", .judge = judge_sigalgs},
    {.name = "clienthello key exchange groups", .judge = judge_groups},
    {.name = "clienthello max_fragment_length", .judge = judge_mfl},
    {.name = "clienthello JA3 fingerprint", .judge = judge_ja3},
};

static int severity(enum tq_verdict v)
{
    return v == TQ_VERDICT_FAIL ? 3 : v == TQ_VERDICT_WARN ? 2 : v == TQ_VERDICT_PASS ? 1 : 0;
}

/* struct fold gathers one check over every hello: the worst finding, and the distinct evidence
 * with the cases it was seen in. */
struct fold {
    struct finding worst;
    const char *worst_case;
    size_t num_distinct, num_judged;
    size_t num_ja3;
    struct {
        char evidence[MAX_TEXT];
        char cases[MAX_TEXT];
    } distinct[MAX_GROUPS];
};

static void fold_add(struct fold *fd, const struct finding *f, const char *case_name)
{
    fd->num_judged++;
    if (severity(f->verdict) > severity(fd->worst.verdict)) {
        fd->worst = *f;
        fd->worst_case = case_name;
    }
    size_t i = 0;
    while (i < fd->num_distinct && strcmp(fd->distinct[i].evidence, f->evidence) != 0)
        i++;
    if (i == fd->num_distinct && i < MAX_GROUPS) {
        snprintf(fd->distinct[i].evidence, MAX_TEXT, "%s", f->evidence);
        fd->distinct[i].cases[0] = '\0';
        fd->num_distinct++;
    }
    if (i < fd->num_distinct) {
        size_t used = strlen(fd->distinct[i].cases);
        snprintf(fd->distinct[i].cases + used, MAX_TEXT - used, "%s'%s'", used ? ", " : "",
                 case_name);
    }
}

static void append(struct tq_buf *b, const char *s)
{
    if (!tq_ok(tq_buf_append(b, s, strlen(s))))
        return; /* evidence is bounded; past the bound it is cut */
}

static tq_status fold_record(struct tq_report *report, const struct check *ck,
                             const struct fold *fd, size_t seq)
{
    char message[MAX_TEXT + 128];
    struct tq_buf details;
    tq_buf_init(&details, 64 * 1024);
    for (size_t i = 0; i < fd->num_distinct; i++) {
        append(&details, fd->distinct[i].evidence);
        append(&details, "\n  seen in: ");
        append(&details, fd->distinct[i].cases);
        append(&details, "\n");
    }
    enum tq_verdict v = fd->worst.verdict;
    if (v == TQ_VERDICT_PASS && ck->judge == judge_ja3 && fd->num_distinct > 1)
        v = TQ_VERDICT_WARN; /* one firmware, one fingerprint: a change means a change */
    if (v == TQ_VERDICT_PASS)
        message[0] = '\0';
    else if (v != fd->worst.verdict)
        snprintf(message, sizeof(message), "%zu different fingerprints across the connections",
                 fd->num_distinct);
    else
        snprintf(message, sizeof(message), "%s (case '%s')", fd->worst.message, fd->worst_case);
    struct tq_case_record r = {.name = ck->name,
                               .backend = "device",
                               .group = "clienthello",
                               .verdict = v,
                               .message = message,
                               .seq = seq};
    tq_status st = tq_buf_u8(&details, '\0');
    r.details = tq_ok(st) ? (const char *)details.data : NULL;
    st = tq_report_add(report, &r);
    tq_buf_cleanup(&details);
    return st;
}

static tq_status record_not_run(struct tq_report *report, const struct check *ck, size_t seq,
                                enum tq_verdict v, const char *why)
{
    struct tq_case_record r = {.name = ck->name,
                               .backend = "device",
                               .group = "clienthello",
                               .verdict = v,
                               .message = why,
                               .seq = seq};
    return tq_report_add(report, &r);
}

static tq_status run_check(struct tq_report *report, const struct check_env *env,
                           const struct check *ck, const struct tq_event *parsed, size_t seq)
{
    static struct fold fd; /* large; tq_device_checks_run is not reentrant */
    memset(&fd, 0, sizeof(fd));
    const struct tq_device_check_input *in = env->in;
    for (size_t i = 0; i < in->num_hellos; i++) {
        if (parsed[i].obj == NULL || (ck->alpn_listener_only && !in->hellos[i].alpn_listener))
            continue;
        struct finding f = {.verdict = TQ_VERDICT_NOT_RUN};
        ck->judge(env, &parsed[i], &f);
        fold_add(&fd, &f, in->hellos[i].case_name);
    }
    if (fd.num_judged > 0)
        return fold_record(report, ck, &fd, seq);
    if (in->num_hellos > 0 && ck->alpn_listener_only)
        return record_not_run(report, ck, seq, TQ_VERDICT_SKIP,
                              "no case of the plan used the 443-style listener (listener: alpn)");
    return record_not_run(report, ck, seq, TQ_VERDICT_ERROR,
                          "did not run: the device sent no ClientHello");
}

/* read_hello reads a client_hello line with the one reader of event lines; `*out` stays empty
 * (nothing to judge) for a line the schema refuses, another event, and a hello the broker could
 * not parse (it carries only `malformed`). */
static void read_hello(struct tq_event *out, const char *line)
{
    struct tq_diag ignored;
    if (!tq_ok(tq_event_parse(&ignored, out, line, strcspn(line, "\n"))))
        return;
    if (out->id != TQ_EVENT_CLIENT_HELLO || tq_event_string(out, "malformed") != NULL)
        tq_event_cleanup(out);
}

/* see device_checks.h */
tq_status tq_device_checks_run(struct tq_diag *diag, size_t *out_num, struct tq_report *report,
                               const struct tq_device_check_input *in, size_t first_seq)
{
    *out_num = 0;
    struct check_env env = {.in = in, .policy = tq_policy_find(in->policy)};
    if (env.policy == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, NULL, 0, "unknown security policy '%s'",
                            in->policy);
    struct tq_event parsed[MAX_GROUPS];
    size_t num = in->num_hellos < MAX_GROUPS ? in->num_hellos : MAX_GROUPS;
    for (size_t i = 0; i < num; i++)
        read_hello(&parsed[i], in->hellos[i].event);
    struct tq_device_check_input bounded = *in;
    bounded.num_hellos = num;
    env.in = &bounded;
    tq_status st = TQ_SUCCESS;
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]) && tq_ok(st); i++)
        if (tq_ok(st = run_check(report, &env, &checks[i], parsed, first_seq + i)))
            (*out_num)++;
    for (size_t i = 0; i < num; i++)
        tq_event_cleanup(&parsed[i]);
    if (!tq_ok(st))
        return tq_diag_fail(diag, st.code, NULL, 0, "cannot record a ClientHello check");
    return TQ_SUCCESS;
}

/* see device_checks.h */
void tq_device_checks_ja3(char *out, size_t out_len, const struct tq_device_check_input *in)
{
    out[0] = '\0';
    for (size_t i = 0; i < in->num_hellos && out[0] == '\0'; i++) {
        struct tq_event hello;
        read_hello(&hello, in->hellos[i].event);
        const char *md5 = hello.obj != NULL ? tq_event_string(&hello, "ja3_md5") : NULL;
        if (md5 != NULL)
            snprintf(out, out_len, "%s", md5);
        tq_event_cleanup(&hello);
    }
}
