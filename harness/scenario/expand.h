/* expand.h: turns one scenario template into many scenarios, so families of cases come from
 * data instead of being written out by hand. The only expansion today is `policy_suites`: one
 * case per cipher suite of the broker's security policy (broker/policy.h, the same table the
 * broker enforces), each pinned to that suite and its version, expecting the server chain whose
 * key type fits the suite (docs/aws-iot/server-chains.md#chain-selection: ECDSA suites and
 * TLS 1.3 get the EC chain, everything else the RSA chain). */
#ifndef TQ_EXPAND_H
#define TQ_EXPAND_H

#include <stddef.h>

#include "scenario.h"
#include "status.h"

/* tq_expand_scenario expands `tmpl` (which has `expand` set) into new scenarios stored in
 * `out` (at most `max_out`), setting `*out_num`. "{suite}" in the name becomes the suite's
 * OpenSSL name; an expanded name over 66 characters is an error naming the file. The caller
 * owns the new scenarios and still owns `tmpl`. */
TQ_MUST_USE tq_status tq_expand_scenario(struct tq_diag *diag, struct tq_scenario **out,
                                         size_t max_out, size_t *out_num,
                                         const struct tq_scenario *tmpl);

#endif
