/* case.h: turns a scenario into the case line a backend reads (docs/backend-protocol.md):
 * artifact names become paths from the PKI manifest, "endpoint" becomes the endpoint's name. */
#ifndef TQ_CASE_H
#define TQ_CASE_H

#include "manifest.h"
#include "scenario.h"
#include "status.h"

struct tq_case_context {
    const struct tq_manifest *pki;
    const char *host; /* the broker's listener */
    int port;
    int timeout_ms;      /* the backend's own deadline */
    const char *backend; /* part of derived MQTT client IDs: cases running at once on
                                  different backends must not share an ID (AWS IoT would drop
                                  the older connection,
                                  docs/aws-iot/devices.md#duplicate-client-id) */
};

/* tq_case_build writes the case for `s` as one JSON line (ending in '\n') into a new string in
 * `*out_line`, which the caller frees. Fails, naming the scenario file, when it refers to an
 * artifact the PKI does not have. */
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

/* tq_artifact_known_fn tells whether an artifact called `name` exists (in a PKI manifest, or in
 * certs-gen's table when no PKI is at hand). */
typedef bool (*tq_artifact_known_fn)(const void *ctx, const char *name);

/* tq_case_check_names checks that every artifact `s` names is known to `known` (called with
 * `ctx`); `source` names where the names come from, for the error message. */
TQ_MUST_USE tq_status tq_case_check_names(struct tq_diag *diag, const struct tq_scenario *s,
                                          tq_artifact_known_fn known, const void *ctx,
                                          const char *source);

/* tq_case_known_in_manifest is a tq_artifact_known_fn over a struct tq_manifest. */
bool tq_case_known_in_manifest(const void *manifest, const char *name);

#endif
