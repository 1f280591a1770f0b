/* index.h: a hash index from strings to the caller's own records.
 *
 * The index is intrusive: a record embeds a struct tq_index_node and is found back from it with
 * TQ_INDEX_ENTRY. The index owns only its bucket array; it never allocates or frees a record,
 * and the key string belongs to the record (it must not change while the record is indexed).
 * Keys are unique: inserting a key already present is the caller's error. Every operation is
 * O(1) on average, so a broker with N connections does not pay O(N) per CONNECT. */
#ifndef TQ_BROKER_INDEX_H
#define TQ_BROKER_INDEX_H

#include <stddef.h>

#include "status.h"

struct tq_index_node {
    struct tq_index_node *next; /* the bucket's chain */
    const char *key;
    size_t hash;
};

struct tq_index {
    struct tq_index_node **buckets;
    size_t num_buckets; /* 0, or a power of two */
    size_t num;         /* indexed records */
};

/* TQ_INDEX_ENTRY returns the record of type `type` whose member `member` is `node`. */
#define TQ_INDEX_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* tq_index_init makes `ix` an empty index (no allocation). */
void tq_index_init(struct tq_index *ix);

/* tq_index_cleanup releases the bucket array; the records are the caller's. `ix` is then empty. */
void tq_index_cleanup(struct tq_index *ix);

/* tq_index_insert indexes `node` under `key`. It fails with TQ_ERR_NOMEM only, and then `node`
 * is not indexed. A failed growth of the bucket array is not a failure (chains get longer). */
TQ_MUST_USE tq_status tq_index_insert(struct tq_index *ix, struct tq_index_node *node,
                                      const char *key);

/* tq_index_find returns the node indexed under `key`, or NULL. */
struct tq_index_node *tq_index_find(const struct tq_index *ix, const char *key);

/* tq_index_remove takes `node`, which must be indexed in `ix`, out of it. */
void tq_index_remove(struct tq_index *ix, struct tq_index_node *node);

#endif
