/* device_checks.h: passive checks on the ClientHellos a device sends in `tlsqual device`.
 *
 * The broker writes every ClientHello it reads as a `client_hello` event (docs/broker-events.md).
 * Each check here reads those events and becomes one case of the report (group "clienthello"),
 * with its evidence: offered versions, cipher suites against the security policy (the allowed
 * suites offered, and the suites outside the policy, named), SNI against the endpoint name,
 * ALPN on the 443-style listener, signature algorithms, groups, max_fragment_length and the JA3
 * fingerprint. The rules are listed in docs/device-mode.md#passive-checks. */
#ifndef TQ_DEVICE_CHECKS_H
#define TQ_DEVICE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"
#include "status.h"

/* struct tq_device_hello is one ClientHello seen, and where it was seen. */
struct tq_device_hello {
    const char *event;     /* the client_hello event line (JSON), borrowed */
    const char *case_name; /* the plan case whose connection sent it */
    bool alpn_listener;    /* sent to the 443-style listener (--listener alpn) */
};

struct tq_device_check_input {
    const struct tq_device_hello *hellos;
    size_t num_hellos;
    const char *policy;        /* security policy id the suites are checked against */
    const char *endpoint_host; /* the name SNI must carry */
    const char *expect_ja3;    /* JA3 MD5 of a reference firmware build; NULL: none */
};

/* tq_device_checks_run appends one record per check to `report` (backend "device", group
 * "clienthello"), numbered from `first_seq`, and returns how many it appended in `*out_num`.
 * With no ClientHello at all, every check is an error ("did not run"). Fails only when a
 * record cannot be stored, or the policy is unknown. */
TQ_MUST_USE tq_status tq_device_checks_run(struct tq_diag *diag, size_t *out_num,
                                           struct tq_report *report,
                                           const struct tq_device_check_input *in,
                                           size_t first_seq);

/* tq_device_checks_ja3 writes the JA3 MD5 of the first ClientHello in `in` into `out` ("" when
 * there is none). */
void tq_device_checks_ja3(char *out, size_t out_len, const struct tq_device_check_input *in);

#endif
