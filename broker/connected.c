/* The CONNECTED sessions, indexed by client ID (takeover,
 * docs/aws-iot/devices.md#duplicate-client-id) and grouped by client certificate
 * (shared-certificate check), so that a CONNECT costs O(1), not a scan of every connection. */
#include <stdlib.h>
#include <string.h>

#include "broker_internal.h"

static struct tq_cert_group *group_of(struct tq_broker *b, const char *cert_id)
{
    struct tq_index_node *n = tq_index_find(&b->cert_groups, cert_id);
    return n ? TQ_INDEX_ENTRY(n, struct tq_cert_group, node) : NULL;
}

/* join_group puts `s` into its certificate's group (made when missing), where the sessions
 * are ordered by connection number, highest first, as the session list is. */
static tq_status join_group(struct tq_session *s)
{
    struct tq_broker *b = s->broker;
    struct tq_cert_group *g = group_of(b, s->tls.cert_id);
    if (g == NULL) {
        g = calloc(1, sizeof(*g));
        TQ_ENSURE(g != NULL, TQ_ERR_NOMEM);
        memcpy(g->cert_id, s->tls.cert_id, sizeof(g->cert_id));
        if (!tq_ok(tq_index_insert(&b->cert_groups, &g->node, g->cert_id))) {
            free(g);
            return TQ_STATUS(TQ_ERR_NOMEM);
        }
    }
    struct tq_session *prev = NULL, *next = g->newest;
    while (next != NULL && next->conn > s->conn) { /* usually the newest: no step at all */
        prev = next;
        next = next->group_next;
    }
    s->group_prev = prev;
    s->group_next = next;
    if (prev)
        prev->group_next = s;
    else
        g->newest = s;
    if (next)
        next->group_prev = s;
    s->group = g;
    g->num++;
    g->num_unnamed += s->client_id[0] == '\0';
    return TQ_SUCCESS;
}

static void leave_group(struct tq_session *s)
{
    struct tq_cert_group *g = s->group;
    if (s->group_prev)
        s->group_prev->group_next = s->group_next;
    else
        g->newest = s->group_next;
    if (s->group_next)
        s->group_next->group_prev = s->group_prev;
    s->group_prev = s->group_next = NULL;
    s->group = NULL;
    g->num--;
    g->num_unnamed -= s->client_id[0] == '\0';
    if (g->num == 0) {
        tq_index_remove(&s->broker->cert_groups, &g->node);
        free(g);
    }
}

/* see broker_internal.h */
tq_status tq__connected_add(struct tq_session *s)
{
    if (s->indexed)
        return TQ_SUCCESS;
    if (s->client_id[0] != '\0')
        TQ_GUARD(tq_index_insert(&s->broker->client_ids, &s->id_node, s->client_id));
    tq_status st = join_group(s);
    if (!tq_ok(st)) {
        if (s->client_id[0] != '\0')
            tq_index_remove(&s->broker->client_ids, &s->id_node);
        return st;
    }
    s->indexed = true;
    return TQ_SUCCESS;
}

/* see broker_internal.h */
void tq__connected_remove(struct tq_session *s)
{
    if (!s->indexed)
        return;
    if (s->client_id[0] != '\0')
        tq_index_remove(&s->broker->client_ids, &s->id_node);
    leave_group(s);
    s->indexed = false;
}

/* see broker_internal.h */
struct tq_session *tq__connected_by_client_id(struct tq_broker *b, const char *client_id)
{
    struct tq_index_node *n = client_id[0] ? tq_index_find(&b->client_ids, client_id) : NULL;
    return n ? TQ_INDEX_ENTRY(n, struct tq_session, id_node) : NULL;
}

/* see broker_internal.h */
const struct tq_cert_group *tq__cert_group(struct tq_broker *b, const char *cert_id)
{
    return group_of(b, cert_id);
}
