/* The security-policy table: which columns of docs/aws-iot/tls.md#security-policies contain
 * each suite. */
#include "policy.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One bit per column of the AWS table. */
enum {
    A = 1u << 0,  /* TLS13_1_3_2022_10 */
    B = 1u << 1,  /* TLS13_1_2_2022_10 (default) */
    C = 1u << 2,  /* TLS12_1_2_2022_10 */
    D1 = 1u << 3, /* TLS12_1_0_2016_01 on 443 */
    D2 = 1u << 4, /* TLS12_1_0_2016_01 on 8443/8883 */
    E1 = 1u << 5, /* TLS12_1_0_2015_01 on 443 */
    E2 = 1u << 6, /* TLS12_1_0_2015_01 on 8443/8883 */
    G = 1u << 7,  /* TLS13_1_2_2022_01 (GovCloud) */
    LEGACY = D1 | D2 | E1 | E2,
};

static const struct {
    struct tq_policy_suite suite;
    uint32_t columns;
} suites[] = {
    {{"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", 0x1301, true}, A | B | G},
    {{"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", 0x1302, true}, A | B | G},
    {{"TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", 0x1303, true}, A | B},
    {{"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f, false},
     B | C | LEGACY | G},
    {{"ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027, false},
     B | C | LEGACY | G},
    {{"ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013, false},
     B | C | LEGACY | G},
    {{"ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030, false},
     B | C | LEGACY | G},
    {{"ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xc028, false},
     B | C | LEGACY | G},
    {{"ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 0xc014, false},
     B | C | LEGACY | G},
    {{"AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c, false}, B | C | LEGACY},
    /* AES128-SHA256 is absent for the 2016_01 policy on 8443/8883
     * (docs/aws-iot/tls.md#policy-quirks). */
    {{"AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003c, false}, B | C | D1 | E1 | E2},
    {{"AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f, false}, B | C | LEGACY | G},
    {{"AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d, false}, B | C | LEGACY},
    {{"AES256-SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA256", 0x003d, false}, B | C | LEGACY},
    {{"AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035, false}, B | C | LEGACY | G},
    /* "DHE-RSA-AES256-SHA exists only in the 2015_01 policy". */
    {{"DHE-RSA-AES256-SHA", "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 0x0039, false}, E1 | E2},
    {{"ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b, false},
     B | C | LEGACY | G},
    {{"ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023, false},
     B | C | LEGACY | G},
    {{"ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009, false},
     B | C | LEGACY | G},
    {{"ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c, false},
     B | C | LEGACY | G},
    {{"ECDHE-ECDSA-AES256-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0xc024, false},
     B | C | LEGACY | G},
    {{"ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 0xc00a, false},
     B | C | LEGACY | G},
};

enum { V12 = 0x0303, V13 = 0x0304 };

/* The legacy TLS12_1_0 names suggest a TLS 1.0 minimum, but the AWS table lists only TLS 1.2
 * for them (docs/aws-iot/tls.md#tls10-tls11): the table wins here, and 1.0/1.1 get
 * protocol_version everywhere. */
static const struct tq_policy policies[] = {
    {.id = "TLS13_1_3_2022_10",
     .aws_name = "IoTSecurityPolicy_TLS13_1_3_2022_10",
     .ports = "443, 8443, 8883",
     .note = "",
     .min_version = V13,
     .max_version = V13,
     .column = A},
    {.id = "TLS13_1_2_2022_10",
     .aws_name = "IoTSecurityPolicy_TLS13_1_2_2022_10",
     .ports = "443, 8443, 8883",
     .note = "the default policy",
     .min_version = V12,
     .max_version = V13,
     .column = B},
    {.id = "TLS12_1_2_2022_10",
     .aws_name = "IoTSecurityPolicy_TLS12_1_2_2022_10",
     .ports = "443, 8443, 8883",
     .note = "",
     .min_version = V12,
     .max_version = V12,
     .column = C},
    {.id = "TLS12_1_0_2016_01-443",
     .aws_name = "IoTSecurityPolicy_TLS12_1_0_2016_01",
     .ports = "443",
     .note = "",
     .min_version = V12,
     .max_version = V12,
     .column = D1},
    {.id = "TLS12_1_0_2016_01-8883",
     .aws_name = "IoTSecurityPolicy_TLS12_1_0_2016_01",
     .ports = "8443, 8883",
     .note = "no AES128-SHA256 on these ports",
     .min_version = V12,
     .max_version = V12,
     .column = D2},
    {.id = "TLS12_1_0_2015_01-443",
     .aws_name = "IoTSecurityPolicy_TLS12_1_0_2015_01",
     .ports = "443",
     .note = "",
     .min_version = V12,
     .max_version = V12,
     .column = E1},
    {.id = "TLS12_1_0_2015_01-8883",
     .aws_name = "IoTSecurityPolicy_TLS12_1_0_2015_01",
     .ports = "8443, 8883",
     .note = "",
     .min_version = V12,
     .max_version = V12,
     .column = E2},
    {.id = "TLS13_1_2_2022_01",
     .aws_name = "IoTSecurityPolicy_TLS13_1_2_2022_01",
     .ports = "443, 8443, 8883",
     .note = "GovCloud only (its default)",
     .min_version = V12,
     .max_version = V13,
     .column = G},
};

/* see policy.h */
size_t tq_policy_count(void)
{
    return ARRAY_LEN(policies);
}

/* see policy.h */
const struct tq_policy *tq_policy_at(size_t i)
{
    return i < ARRAY_LEN(policies) ? &policies[i] : NULL;
}

/* see policy.h */
const struct tq_policy *tq_policy_find(const char *name)
{
    const struct tq_policy *found = NULL;
    for (size_t i = 0; i < ARRAY_LEN(policies); i++)
        if (strcmp(policies[i].id, name) == 0 || strcmp(policies[i].aws_name, name) == 0)
            found = &policies[i]; /* the later entry of a pair is the 8443/8883 one */
    return found;
}

/* see policy.h */
size_t tq_policy_num_suites(const struct tq_policy *p)
{
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(suites); i++)
        n += (suites[i].columns & p->column) != 0;
    return n;
}

/* see policy.h */
const struct tq_policy_suite *tq_policy_suite(const struct tq_policy *p, size_t i)
{
    for (size_t k = 0; k < ARRAY_LEN(suites); k++)
        if ((suites[k].columns & p->column) && i-- == 0)
            return &suites[k].suite;
    return NULL;
}

/* see policy.h */
tq_status tq_policy_cipher_list(char *out, size_t out_len, const struct tq_policy *p, bool tls13)
{
    TQ_ENSURE(out_len > 0, TQ_ERR_LIMIT);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < tq_policy_num_suites(p); i++) {
        const struct tq_policy_suite *s = tq_policy_suite(p, i);
        if (s->tls13 != tls13)
            continue;
        int n = snprintf(out + used, out_len - used, "%s%s", used ? ":" : "", s->openssl);
        TQ_ENSURE(n > 0 && (size_t)n < out_len - used, TQ_ERR_LIMIT);
        used += (size_t)n;
    }
    return TQ_SUCCESS;
}

static const char *version_name(uint16_t v)
{
    return v == V13 ? "TLS 1.3" : v == V12 ? "TLS 1.2" : "?";
}

/* append adds `line`, just formatted by snprintf into a 256-byte buffer, `n` its result. */
static tq_status append(struct tq_buf *out, const char *line, int n)
{
    TQ_ENSURE(n > 0 && n < 256, TQ_ERR_LIMIT);
    return tq_buf_append(out, line, (size_t)n);
}

/* see policy.h */
tq_status tq_policy_snapshot(struct tq_buf *out, const struct tq_policy *p)
{
    char line[256];
    TQ_GUARD(append(
        out, line,
        snprintf(line, sizeof(line), "policy %s (%s)\nports %s\n", p->id, p->aws_name, p->ports)));
    TQ_GUARD(append(out, line,
                    snprintf(line, sizeof(line), "versions %s to %s\n",
                             version_name(p->min_version), version_name(p->max_version))));
    if (p->note[0] != '\0')
        TQ_GUARD(append(out, line, snprintf(line, sizeof(line), "note %s\n", p->note)));
    for (size_t i = 0; i < tq_policy_num_suites(p); i++) {
        const struct tq_policy_suite *s = tq_policy_suite(p, i);
        TQ_GUARD(append(out, line,
                        snprintf(line, sizeof(line), "suite 0x%02X,0x%02X %s (%s)\n", s->code >> 8,
                                 s->code & 0xff, s->iana, s->openssl)));
    }
    return TQ_SUCCESS;
}
