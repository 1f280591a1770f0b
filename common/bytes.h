/* bytes.h: bounded reading and writing of untrusted bytes.
 *
 * struct tq_cursor reads from a buffer it does not own; every getter checks the remaining length
 * first and fails with TQ_ERR_PARSE instead of reading past the end (BoringSSL CBS, s2n stuffer).
 * struct tq_buf is a growable output buffer whose maximum size is fixed when it is created, so
 * no peer can make it grow without bound. */
#ifndef TQ_BYTES_H
#define TQ_BYTES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct tq_cursor {
    const uint8_t *p;
    size_t len;
};

/* tq_cursor_init points `c` at `len` bytes at `data`. */
void tq_cursor_init(struct tq_cursor *c, const void *data, size_t len);

/* Getters: each consumes what it returns, or fails with TQ_ERR_PARSE and consumes nothing. */
TQ_MUST_USE tq_status tq_cursor_u8(struct tq_cursor *c, uint8_t *out);
TQ_MUST_USE tq_status tq_cursor_u16(struct tq_cursor *c, uint16_t *out); /* big-endian */
TQ_MUST_USE tq_status tq_cursor_bytes(struct tq_cursor *c, const uint8_t **out, size_t len);
/* tq_cursor_u16_prefixed reads a 16-bit big-endian length and that many bytes. */
TQ_MUST_USE tq_status tq_cursor_u16_prefixed(struct tq_cursor *c, const uint8_t **out,
                                             size_t *out_len);

struct tq_buf {
    uint8_t *data;
    size_t len;
    size_t cap;     /* allocated */
    size_t max_len; /* never grows past this */
};

/* tq_buf_init prepares an empty buffer that may hold at most `max_len` bytes. No allocation. */
void tq_buf_init(struct tq_buf *b, size_t max_len);

/* tq_buf_cleanup frees the buffer's memory and returns it to the empty state. */
void tq_buf_cleanup(struct tq_buf *b);

/* Appenders fail with TQ_ERR_LIMIT past max_len, or TQ_ERR_NOMEM; on failure nothing is added. */
TQ_MUST_USE tq_status tq_buf_append(struct tq_buf *b, const void *data, size_t len);
TQ_MUST_USE tq_status tq_buf_u8(struct tq_buf *b, uint8_t v);
TQ_MUST_USE tq_status tq_buf_u16(struct tq_buf *b, uint16_t v);
TQ_MUST_USE tq_status tq_buf_u16_prefixed(struct tq_buf *b, const void *data, size_t len);
/* tq_buf_appendf appends the printf-formatted text (no NUL), whatever its length. */
TQ_MUST_USE tq_status tq_buf_appendf(struct tq_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
TQ_MUST_USE tq_status tq_buf_vappendf(struct tq_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* tq_hex writes the lowercase hex of `len` bytes into `out` (2*len+1 bytes with the NUL). */
void tq_hex(char *out, const uint8_t *data, size_t len);

#endif
