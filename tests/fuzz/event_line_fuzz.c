/* event_line_fuzz: tq_event_parse (common/event_schema.h) over arbitrary bytes.
 *
 * The harness reads the broker's events file with this one reader, and much of a line comes from
 * the peer (an SNI, ALPN names, a client ID, a topic: whatever a device under test sends), so the
 * reader must survive anything. On success the event is one of the schema's, its conn and port
 * are in range, and every member the schema gives it reads through its getter without breaking
 * the getters' promise (a member of another type never reaches them); on failure the status is
 * one of the three event_schema.h allows, the diagnostic says why and the event is empty. */
#include <string.h>

#include "event_schema.h"
#include "fuzz_check.h"

static void check_members(const struct tq_event *ev)
{
    const char *name;
    for (size_t i = 0; (name = tq_event_member_at(ev->id, i)) != NULL; i++) {
        enum tq_event_type type;
        TQ_FUZZ_CHECK(tq_event_member_type(ev->id, name, &type, NULL));
        switch (type) {
        case TQ_EVENT_STRING: {
            const char *s = tq_event_string(ev, name);
            TQ_FUZZ_CHECK(s == NULL || strlen(s) <= TQ_EVENT_LINE_MAX);
            break;
        }
        case TQ_EVENT_INTEGER:
            (void)tq_event_integer(ev, name, -1);
            break;
        case TQ_EVENT_BOOL:
            (void)tq_event_bool(ev, name);
            break;
        case TQ_EVENT_ARRAY:
        case TQ_EVENT_OBJECT: {
            json_t *v = tq_event_json(ev, name);
            TQ_FUZZ_CHECK(v == NULL || json_is_array(v) || json_is_object(v));
            break;
        }
        }
    }
}

/* see fuzz_check.h */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tq_diag diag = {.code = TQ_OK};
    struct tq_event ev;
    tq_status st = tq_event_parse(&diag, &ev, (const char *)data, size);
    if (tq_ok(st)) {
        TQ_FUZZ_CHECK(ev.id < TQ_EVENT_COUNT && json_is_object(ev.obj));
        TQ_FUZZ_CHECK(ev.conn >= 0 && ev.port >= 0 && ev.port <= 65535);
        TQ_FUZZ_CHECK(ev.ts != NULL && ev.peer != NULL);
        TQ_FUZZ_CHECK(ev.port == tq_event_port(ev.peer));
        check_members(&ev);
    } else {
        TQ_FUZZ_CHECK(st.code == TQ_ERR_PARSE || st.code == TQ_ERR_PROTOCOL ||
                      st.code == TQ_ERR_LIMIT);
        TQ_FUZZ_CHECK(diag.code == st.code && diag.msg[0] != '\0');
        TQ_FUZZ_CHECK(ev.obj == NULL);
    }
    tq_event_cleanup(&ev);
    return 0;
}
