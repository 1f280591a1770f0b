/* A chained hash table of intrusive nodes (FNV-1a, power-of-two buckets, load factor <= 1). */
#include "index.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { FIRST_BUCKETS = 64 };

static size_t hash_of(const char *key)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 32));
}

/* see index.h */
void tq_index_init(struct tq_index *ix)
{
    *ix = (struct tq_index){0};
}

/* see index.h */
void tq_index_cleanup(struct tq_index *ix)
{
    free(ix->buckets);
    tq_index_init(ix);
}

/* grow rehashes into twice the buckets (FIRST_BUCKETS at first); false without memory. */
static bool grow(struct tq_index *ix)
{
    size_t num = ix->num_buckets ? 2 * ix->num_buckets : FIRST_BUCKETS;
    struct tq_index_node **buckets = calloc(num, sizeof(*buckets));
    if (buckets == NULL)
        return false;
    for (size_t i = 0; i < ix->num_buckets; i++) {
        for (struct tq_index_node *n = ix->buckets[i], *next; n != NULL; n = next) {
            next = n->next;
            n->next = buckets[n->hash & (num - 1)];
            buckets[n->hash & (num - 1)] = n;
        }
    }
    free(ix->buckets);
    ix->buckets = buckets;
    ix->num_buckets = num;
    return true;
}

/* see index.h */
tq_status tq_index_insert(struct tq_index *ix, struct tq_index_node *node, const char *key)
{
    if (ix->num >= ix->num_buckets && !grow(ix) && ix->num_buckets == 0)
        return TQ_STATUS(TQ_ERR_NOMEM);
    node->key = key;
    node->hash = hash_of(key);
    struct tq_index_node **head = &ix->buckets[node->hash & (ix->num_buckets - 1)];
    node->next = *head;
    *head = node;
    ix->num++;
    return TQ_SUCCESS;
}

/* see index.h */
struct tq_index_node *tq_index_find(const struct tq_index *ix, const char *key)
{
    if (ix->num == 0)
        return NULL;
    size_t h = hash_of(key);
    for (struct tq_index_node *n = ix->buckets[h & (ix->num_buckets - 1)]; n; n = n->next)
        if (n->hash == h && strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

/* see index.h */
void tq_index_remove(struct tq_index *ix, struct tq_index_node *node)
{
    if (ix->num_buckets == 0)
        return;
    struct tq_index_node **p = &ix->buckets[node->hash & (ix->num_buckets - 1)];
    while (*p != NULL && *p != node)
        p = &(*p)->next;
    if (*p == NULL)
        return; /* not indexed here: nothing to take out */
    *p = node->next;
    node->next = NULL;
    ix->num--;
}
