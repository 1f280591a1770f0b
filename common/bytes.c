#include "bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* see bytes.h */
void tq_cursor_init(struct tq_cursor *c, const void *data, size_t len)
{
    c->p = data;
    c->len = len;
}

/* see bytes.h */
tq_status tq_cursor_bytes(struct tq_cursor *c, const uint8_t **out, size_t len)
{
    TQ_ENSURE(len <= c->len, TQ_ERR_PARSE);
    *out = c->p;
    c->p += len;
    c->len -= len;
    return TQ_SUCCESS;
}

/* see bytes.h */
tq_status tq_cursor_u8(struct tq_cursor *c, uint8_t *out)
{
    const uint8_t *p;
    TQ_GUARD(tq_cursor_bytes(c, &p, 1));
    *out = p[0];
    return TQ_SUCCESS;
}

/* see bytes.h */
tq_status tq_cursor_u16(struct tq_cursor *c, uint16_t *out)
{
    const uint8_t *p;
    TQ_GUARD(tq_cursor_bytes(c, &p, 2));
    *out = (uint16_t)((p[0] << 8) | p[1]);
    return TQ_SUCCESS;
}

/* see bytes.h */
tq_status tq_cursor_u16_prefixed(struct tq_cursor *c, const uint8_t **out, size_t *out_len)
{
    struct tq_cursor saved = *c;
    uint16_t len;
    TQ_GUARD(tq_cursor_u16(c, &len));
    tq_status st = tq_cursor_bytes(c, out, len);
    if (!tq_ok(st)) {
        *c = saved;
        return st;
    }
    *out_len = len;
    return TQ_SUCCESS;
}

/* see bytes.h */
void tq_buf_init(struct tq_buf *b, size_t max_len)
{
    *b = (struct tq_buf){.max_len = max_len};
}

/* see bytes.h */
void tq_buf_cleanup(struct tq_buf *b)
{
    free(b->data);
    tq_buf_init(b, b->max_len);
}

/* see bytes.h */
tq_status tq_buf_append(struct tq_buf *b, const void *data, size_t len)
{
    TQ_ENSURE(len <= b->max_len - b->len, TQ_ERR_LIMIT);
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + len)
            cap *= 2;
        if (cap > b->max_len)
            cap = b->max_len;
        uint8_t *grown = realloc(b->data, cap);
        TQ_ENSURE(grown != NULL, TQ_ERR_NOMEM);
        b->data = grown;
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return TQ_SUCCESS;
}

/* see bytes.h */
tq_status tq_buf_u8(struct tq_buf *b, uint8_t v)
{
    return tq_buf_append(b, &v, 1);
}

/* see bytes.h */
tq_status tq_buf_u16(struct tq_buf *b, uint16_t v)
{
    uint8_t be[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return tq_buf_append(b, be, 2);
}

/* see bytes.h */
tq_status tq_buf_u16_prefixed(struct tq_buf *b, const void *data, size_t len)
{
    TQ_ENSURE(len <= UINT16_MAX, TQ_ERR_LIMIT);
    TQ_ENSURE(2 + len <= b->max_len - b->len, TQ_ERR_LIMIT);
    TQ_GUARD(tq_buf_u16(b, (uint16_t)len));
    return tq_buf_append(b, data, len);
}

/* see bytes.h */
void tq_hex(char *out, const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0xf];
    }
    out[2 * len] = '\0';
}

/* see bytes.h */
tq_status tq_buf_vappendf(struct tq_buf *b, const char *fmt, va_list ap)
{
    char small[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    tq_status st = TQ_STATUS(TQ_ERR_USAGE); /* n < 0: an encoding error in the format */
    if (n >= 0 && (size_t)n < sizeof(small)) {
        st = tq_buf_append(b, small, (size_t)n);
    } else if (n >= 0) { /* longer than the stack buffer: format it again at its length */
        char *text = malloc((size_t)n + 1);
        st = TQ_STATUS(TQ_ERR_NOMEM);
        if (text != NULL) {
            vsnprintf(text, (size_t)n + 1, fmt, again);
            st = tq_buf_append(b, text, (size_t)n);
            free(text);
        }
    }
    va_end(again);
    return st;
}

/* see bytes.h */
tq_status tq_buf_appendf(struct tq_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return st;
}
