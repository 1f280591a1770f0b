/* policy.h: the AWS IoT security policies (docs/aws-iot/tls.md#security-policies) as const
 * data.
 *
 * Each policy is one column of the AWS table: the TLS versions and the cipher suites it allows.
 * The table is data, guarded by snapshots (tests/golden/policy/<id>.txt, policy_test.c): any
 * change to a policy shows up as a reviewed diff. Policy ids are unique and stable; the 2016_01
 * and 2015_01 policies are two entries each, because AWS allows different suites on port 443
 * and on 8443/8883. */
#ifndef TQ_BROKER_POLICY_H
#define TQ_BROKER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "status.h"

/* struct tq_policy_suite is one row of the AWS table. */
struct tq_policy_suite {
    const char *openssl; /* OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256" */
    const char *iana;    /* IANA name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
    uint16_t code;       /* IANA code point, e.g. 0xc02f */
    bool tls13;          /* a TLS 1.3 suite (set with SSL_CTX_set_ciphersuites) */
};

struct tq_policy {
    const char *id;       /* unique, e.g. "TLS13_1_2_2022_10" or "TLS12_1_0_2016_01-8883" */
    const char *aws_name; /* e.g. "IoTSecurityPolicy_TLS13_1_2_2022_10" */
    const char *ports;    /* where AWS applies it, e.g. "443, 8443, 8883" */
    const char *note;     /* one line from docs/aws-iot/tls.md; "" when none */
    uint16_t min_version; /* TLS1_2_VERSION (0x0303) or TLS1_3_VERSION (0x0304) */
    uint16_t max_version;
    uint32_t column; /* the bit of this policy in the suite table */
};

/* TQ_POLICY_DEFAULT_ID is the default AWS policy (docs/aws-iot/tls.md#default-policy). */
#define TQ_POLICY_DEFAULT_ID "TLS13_1_2_2022_10"

/* tq_policy_count and tq_policy_at enumerate the policies in the table's order. */
size_t tq_policy_count(void);
const struct tq_policy *tq_policy_at(size_t i);

/* tq_policy_find returns the policy whose id or aws_name is `name`, or NULL. For an AWS name
 * shared by two port variants, the 8443/8883 one is returned (the broker serves MQTT). */
const struct tq_policy *tq_policy_find(const char *name);

/* tq_policy_num_suites and tq_policy_suite enumerate the suites of `p` in the AWS table's
 * order (TLS 1.3 suites first). `i` counts only the policy's own suites. */
size_t tq_policy_num_suites(const struct tq_policy *p);
const struct tq_policy_suite *tq_policy_suite(const struct tq_policy *p, size_t i);

/* tq_policy_cipher_list writes the policy's TLS 1.2 suites (`tls13` false) or TLS 1.3 suites
 * (`tls13` true) as an OpenSSL colon-separated list into `out`; "" when there are none.
 * Fails with TQ_ERR_LIMIT when `out` is too small. */
TQ_MUST_USE tq_status tq_policy_cipher_list(char *out, size_t out_len, const struct tq_policy *p,
                                            bool tls13);

/* tq_policy_snapshot appends the human-readable description of `p` that the golden files hold. */
TQ_MUST_USE tq_status tq_policy_snapshot(struct tq_buf *out, const struct tq_policy *p);

#endif
