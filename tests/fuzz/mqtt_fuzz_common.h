/* mqtt_fuzz_common.h: what the MQTT 3.1.1 and MQTT 5 fuzz targets and seed writers share.
 * Header-only (static functions): each target is one translation unit. */
#ifndef TQ_MQTT_FUZZ_COMMON_H
#define TQ_MQTT_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "mqtt.h"

/* tq_fuzz_str_eq compares two MQTT strings byte for byte. */
static inline bool tq_fuzz_str_eq(struct tq_mqtt_str a, struct tq_mqtt_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

#ifdef TQ_FUZZ_CHECK
/* tq_fuzz_reframe parses the single packet a writer put in `b`: it must frame completely and
 * exactly, as a packet of `want_type` (the frames at most `max_frame` bytes). */
static inline struct tq_mqtt_frame tq_fuzz_reframe(const struct tq_buf *b, uint8_t want_type,
                                                   size_t max_frame)
{
    struct tq_mqtt_frame f;
    bool complete = false;
    TQ_FUZZ_CHECK(tq_ok(tq_mqtt_frame_parse(NULL, &f, &complete, b->data, b->len, max_frame)));
    TQ_FUZZ_CHECK(complete && f.frame_len == b->len && f.type == want_type);
    return f;
}
#endif

/* tq_fuzz_save_seed writes `b` to DIR/NAME and releases it; 1 (with a message) on failure. */
static inline int tq_fuzz_save_seed(const char *dir, const char *name, struct tq_buf *b)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    tq_buf_cleanup(b);
    return 0;
}

#endif
