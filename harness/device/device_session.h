/* device_session.h: plays a device plan against one device under test, one server-side case per
 * incoming connection, in order.
 *
 * For each case the session starts `tlsqual broker` (this executable) with the case's options on
 * the operator's listen address, tells the operator what is live and what the device must do,
 * waits for the device's next connection (one that sends a ClientHello) for at most the idle
 * deadline, judges that connection from the broker's events (docs/broker-events.md) by the case's
 * rules, stops the broker and goes on. A case whose connection never came is an error, and so is
 * every case after it: a device that stopped connecting will not resume, and nothing waits
 * longer than one idle deadline for it. Verdict rules: docs/device-mode.md. */
#ifndef TQ_DEVICE_SESSION_H
#define TQ_DEVICE_SESSION_H

#include <stdio.h>

#include "device_checks.h"
#include "device_plan.h"
#include "manifest.h"
#include "report.h"
#include "status.h"

struct tq_device_session_config {
    const struct tq_device_plan *plan;
    const struct tq_manifest *pki;
    const char *pki_dir;
    const char *listen;                  /* HOST:PORT; port 0: the first broker picks one, and every
                                     later case listens on that same port */
    const char *run_dir;                 /* each case's broker events and log go here */
    const char *policy;                  /* overrides every case's policy; NULL: the plan's */
    const char *listener;                /* overrides every case's listener; NULL: the plan's */
    int idle_timeout_ms;                 /* the longest wait for the device's next connection */
    int case_timeout_ms;                 /* the longest a connection may take to settle its case */
    const struct tq_artifact *publisher; /* the max-size PUBLISH helper's certificate, looked
                                            up once by the CLI */
    FILE *console;                       /* what is live, what the device must do, each verdict */
};

/* struct tq_device_observed is what the session saw of the device across every case: its
 * ClientHellos (for device_checks.h) and the identity its certificate gave. */
struct tq_device_observed {
    struct tq_device_hello hellos[TQ_DEVICE_PLAN_MAX_CASES];
    char *owned[TQ_DEVICE_PLAN_MAX_CASES]; /* the event lines hellos[i].event points at */
    size_t num_hellos;
    char client_cert_id[65]; /* "" when the device never completed a handshake */
    char client_subject[512];
    char listen[128]; /* where the brokers listened (HOST:PORT, port resolved) */
};

/* tq_device_observed_cleanup frees the event lines `o` holds and empties it. */
void tq_device_observed_cleanup(struct tq_device_observed *o);

/* tq_device_session_run plays every case of the plan and appends one record per case to
 * `report` (backend "device", group "tls" or "mqtt", seq 0, 1, ...), in plan order. What it saw
 * goes in `observed`, which the caller cleans up even on failure. Fails only when no broker could
 * be started for the first case (the listen address is unusable, the PKI is missing), or a
 * record cannot be stored; a case that cannot run is an error record. SIGINT and SIGTERM stop
 * the session: the remaining cases are errors ("interrupted"). */
TQ_MUST_USE tq_status tq_device_session_run(struct tq_diag *diag, struct tq_report *report,
                                            struct tq_device_observed *observed,
                                            const struct tq_device_session_config *cfg);

#endif
