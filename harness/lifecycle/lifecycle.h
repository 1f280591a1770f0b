/* lifecycle.h: runs a lifecycle scenario (one with `steps`, docs/scenario-format.md) for one
 * backend: certificate rotation, revocation of a connected device, just-in-time registration,
 * a broker restart that must keep the registry.
 *
 * Such a case changes the broker's registry, so it gets a broker of its own: a copy of the
 * PKI's registry.json in `work_dir`, the control plane (--api) on loopback, and the scenario's
 * broker settings. Its steps run in order: connections by the backend under test (a held one
 * runs in a process of its own while later steps go on), calls to the control plane as
 * `aws iot` would make them, waits for held connections to end, broker restarts. The first step
 * that does not pass decides the verdict; every step leaves its evidence in `details`. */
#ifndef TQ_LIFECYCLE_H
#define TQ_LIFECYCLE_H

#include "bytes.h"
#include "case.h"
#include "manifest.h"
#include "report.h"
#include "scenario.h"
#include "backend_session.h"
#include "result.h"

struct tq_lifecycle_case {
    const struct tq_scenario *scenario; /* with num_steps > 0 */
    const struct tq_manifest *pki;
    const struct tq_case_pki *art; /* the scenario's artifacts (case.h tq_case_resolve) */
    const char *pki_dir;
    const char *backend_name;
    const char *backend_path;
    struct tq_backend_session
        *session;         /* runs the connections that do not hold; NULL: one process each */
    int timeout_ms;       /* the backend's deadline per connection */
    int grace_ms;         /* on top of it, before the runner kills the backend */
    const char *work_dir; /* created; the broker's registry, events and log go there */
};

struct tq_lifecycle_verdict {
    enum tq_verdict verdict;
    char message[1024]; /* empty on a pass */
    double seconds;
    char stray_before[TQ_RESULT_QUOTE_SIZE]; /* what `session`'s process wrote after the result of
                                                the case before this one and before this case's
                                                first connection, quoted; "" when nothing. It is
                                                that case's protocol break, not this one's: this
                                                case ran on a fresh process */
};

/* tq_lifecycle_run runs case `c` and stores its verdict in `out`; evidence goes to `details`. */
void tq_lifecycle_run(const struct tq_lifecycle_case *c, struct tq_lifecycle_verdict *out,
                      struct tq_buf *details);

#endif
