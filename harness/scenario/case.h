/* case.h: turns a scenario into the case line a backend reads (docs/backend-protocol.md):
 * artifact names become paths from the PKI manifest, "endpoint" becomes the endpoint's name.
 *
 * The names a scenario gives to PKI artifacts are looked up in one place only: tq_case_resolve,
 * which the catalog check runs for every scenario (a missing name is a file:line error there)
 * and the runner runs once per case. Everything after it (case lines, the expected server
 * leaf and chain, the client's key type, the certificates of lifecycle steps) reads the
 * resolved artifacts and cannot fail on a name. */
#ifndef TQ_CASE_H
#define TQ_CASE_H

#include "manifest.h"
#include "scenario.h"
#include "status.h"

/* struct tq_case_pki is every artifact one scenario names, resolved against one manifest.
 * Pointers are into the manifest; NULL where the scenario names none. */
struct tq_case_pki {
    const struct tq_artifact *client;                      /* client.certificate */
    const struct tq_artifact *companion;                   /* companion.certificate */
    const struct tq_artifact *server_certificate;          /* expect.server_certificate */
    const struct tq_artifact *trust[TQ_SCENARIO_LIST_MAX]; /* client.trust, or the endpoint's */
    size_t num_trust;
    const struct tq_artifact *crl[TQ_SCENARIO_LIST_MAX]; /* client.crl: each signs a CRL */
    size_t num_crl;
    const struct tq_artifact *chain_includes[TQ_SCENARIO_LIST_MAX];
    size_t num_chain_includes;
    const struct tq_artifact *chain_excludes[TQ_SCENARIO_LIST_MAX];
    size_t num_chain_excludes;
    const struct tq_artifact *step_certificate[TQ_SCENARIO_STEPS_MAX]; /* steps[i].certificate */
    const struct tq_artifact *step_ca[TQ_SCENARIO_STEPS_MAX];          /* steps[i].ca */
};

/* tq_case_resolve looks up every artifact `s` names in `pki` into `out`. It fails, naming the
 * scenario file and line, when a name is missing or a client.crl artifact signs no CRL. */
TQ_MUST_USE tq_status tq_case_resolve(struct tq_diag *diag, struct tq_case_pki *out,
                                      const struct tq_scenario *s, const struct tq_manifest *pki);

struct tq_case_context {
    const struct tq_manifest *pki;
    const struct tq_case_pki *art; /* the scenario's artifacts (tq_case_resolve) */
    const char *host;              /* the broker's listener */
    int port;
    int timeout_ms;      /* the backend's own deadline */
    const char *backend; /* part of derived MQTT client IDs: cases running at once on
                                  different backends must not share an ID (AWS IoT would drop
                                  the older connection,
                                  docs/aws-iot/devices.md#duplicate-client-id) */
};

/* tq_case_build writes the case for `s` as one JSON line (ending in '\n') into a new string in
 * `*out_line`, which the caller frees. `ctx->art` holds `s`'s artifacts; it fails only without
 * memory. */
TQ_MUST_USE tq_status tq_case_build(struct tq_diag *diag, char **out_line,
                                    const struct tq_scenario *s, const struct tq_case_context *ctx);

/* tq_case_companion_topic writes the topic the companion of `s` subscribes to, and the client
 * publishes to at the end of its exchange to release it. */
void tq_case_companion_topic(char *out, size_t out_len, const struct tq_scenario *s,
                             const struct tq_case_context *ctx);

/* tq_case_build_companion writes the companion's case line for `s` (which has a companion):
 * the client's TLS settings with the companion's certificate, an MQTT client that subscribes
 * to its topic and waits for one message. Its client ID is stored in `client_id`. */
TQ_MUST_USE tq_status tq_case_build_companion(struct tq_diag *diag, char **out_line,
                                              char *client_id, size_t client_id_len,
                                              const struct tq_scenario *s,
                                              const struct tq_case_context *ctx);

/* tq_case_build_step writes the case line of connect step `step` of the lifecycle scenario `s`:
 * the client's settings with the step's certificate and an MQTT client ID of its own (stored in
 * `client_id`). A held connection subscribes (to `step->topic`, else a topic of its own) and
 * waits for one message, so it stays connected until the broker closes it. */
TQ_MUST_USE tq_status tq_case_build_step(struct tq_diag *diag, char **out_line, char *client_id,
                                         size_t client_id_len, const struct tq_scenario *s,
                                         const struct tq_scenario_step *step,
                                         const struct tq_case_context *ctx);

/* tq_artifact_known_fn tells whether an artifact called `name` exists (in certs-gen's table,
 * when lint has no PKI at hand; with one, tq_case_resolve is the check). */
typedef bool (*tq_artifact_known_fn)(const void *ctx, const char *name);

/* tq_case_check_names checks that every artifact `s` names is known to `known` (called with
 * `ctx`); `source` names where the names come from, for the error message. */
TQ_MUST_USE tq_status tq_case_check_names(struct tq_diag *diag, const struct tq_scenario *s,
                                          tq_artifact_known_fn known, const void *ctx,
                                          const char *source);

#endif
