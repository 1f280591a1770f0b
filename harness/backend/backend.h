/* backend.h: what the harness knows of a backend: a name, an executable, and the capabilities
 * it declared at start-up (docs/backend-protocol.md). The harness never links a TLS client. */
#ifndef TQ_BACKEND_H
#define TQ_BACKEND_H

#include <stddef.h>

#include "scenario.h"
#include "status.h"

struct tq_backend;

/* tq_backend_probe runs `path --capabilities` and stores a new backend in `*out`. `name` is how
 * reports call it (NULL: the name the backend declares). Fails with a message naming the path
 * when the executable does not start, exits non-zero or prints something that is not the
 * documented capabilities object. */
TQ_MUST_USE tq_status tq_backend_probe(struct tq_diag *diag, struct tq_backend **out,
                                       const char *path, const char *name);

/* tq_backend_free releases `b`; NULL is a no-op. */
void tq_backend_free(struct tq_backend *b);

const char *tq_backend_name(const struct tq_backend *b);
const char *tq_backend_path(const struct tq_backend *b);
/* tq_backend_library returns the library version string the backend declared. */
const char *tq_backend_library(const struct tq_backend *b);

/* tq_backend_missing checks what scenario `s` needs against the capabilities. `client_key_type`
 * is the key type of the client certificate from the PKI manifest ("DSA-2048"; NULL: none);
 * it is checked against the backend's "key_types" (family names: rsa, ec, dsa) when the backend
 * declares them. It returns NULL when the backend can run the case, else writes the reason into
 * `reason` and returns it. */
const char *tq_backend_missing(const struct tq_backend *b, const struct tq_scenario *s,
                               const char *client_key_type, char *reason, size_t reason_len);

/* tq_backend_discover lists the executables named tlsqual-backend-* in `dir`, sorted, into
 * `paths` (at most `max_paths`, each malloc'd; the caller frees them) and sets `*out_num`. */
TQ_MUST_USE tq_status tq_backend_discover(struct tq_diag *diag, char **paths, size_t max_paths,
                                          size_t *out_num, const char *dir);

#endif
