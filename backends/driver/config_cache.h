/* config_cache.h: the configured context a backend process keeps from one case to the next.
 *
 * Building a library context (parsing the trust store, the client certificate and its key,
 * CRLs; setting versions, suites, groups) costs more than the handshake of the smoke case, and
 * the cases of one session mostly ask for the same one. The cache keeps the context of the last
 * case, with its *key*: every [context] member of the case (backend_ops.h) and, for each file
 * member, the file's identity (stat: device, inode, size, mtime, ctime) taken *before* the files
 * were loaded, so a file replaced or rewritten during or after the load never matches again. A
 * later case whose key is byte-for-byte equal gets the same context; any other case releases
 * it and configures a new one. A context is kept only when `configure` succeeded and every file
 * could be stat'ed: a failure never carries over to the next case.
 *
 * Limit: a file rewritten in place with the same size within one tick of the file system's
 * timestamp clock (a few ms on Linux) keeps its identity. tlsqual's PKI is written atomically
 * (a new inode per file), which never has that problem. */
#ifndef TQ_CONFIG_CACHE_H
#define TQ_CONFIG_CACHE_H

#include <stdbool.h>

#include "backend_ops.h"
#include "bytes.h"

/* struct tq_config_cache holds at most one configured context. Caller storage: initialise it
 * with tq_config_cache_init and release it with tq_config_cache_cleanup. */
struct tq_config_cache {
    const struct tq_tls_client_ops *ops;
    void *config;                 /* ops->config_size bytes; NULL: nothing kept */
    bool reusable;                /* `key` describes `config` (all files could be stat'ed) */
    struct tq_buf key;            /* the encoded [context] members and file identities */
    unsigned long num_configured; /* `configure` calls, failed ones included */
    unsigned long num_reused;     /* cases that got the kept context */
};

/* tq_config_cache_init prepares an empty cache for the backend `ops`. No allocation. */
void tq_config_cache_init(struct tq_config_cache *cache, const struct tq_tls_client_ops *ops);

/* tq_config_cache_get stores in `*out_config` a configured context for `cfg`: the kept one when
 * its key equals that of `cfg`, else a new one from ops->configure (the kept one is released
 * first). The context stays owned by the cache and is valid until the next call or the cleanup.
 * On failure `*out_config` is NULL, `out` holds the outcome of `configure` (or `unmapped` when
 * memory ran out) and nothing is kept. */
TQ_MUST_USE tq_status tq_config_cache_get(struct tq_config_cache *cache, struct tq_outcome *out,
                                          void **out_config, const struct tq_client_config *cfg);

/* tq_config_cache_cleanup releases the kept context (ops->release) and returns the cache to the
 * empty state. It accepts an initialised or zeroed cache. */
void tq_config_cache_cleanup(struct tq_config_cache *cache);

#endif
