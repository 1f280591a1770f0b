/* status.h: tlsqual's one error idiom.
 *
 * Conventions for every module:
 * - A function that can fail returns `tq_status` (a struct, so it cannot be confused with an int)
 *   and is marked TQ_MUST_USE. Outputs come first after the context, inputs after them.
 * - Failures carry a `struct tq_diag`: the machine-readable code plus a human message that says
 *   where (file and line of the *input*, when there is one), what was wanted and what was got.
 * - Four control-flow macros keep the happy path straight: TQ_GUARD, TQ_ENSURE, TQ_BAIL, TQ_DEFER.
 * - Every status and verdict starts as a failure ("not run"), never as success. */
#ifndef TQ_STATUS_H
#define TQ_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#define TQ_MUST_USE __attribute__((warn_unused_result))
#define TQ_PRINTF(fmt_idx, args_idx) __attribute__((format(printf, fmt_idx, args_idx)))

/* The code table: one line per code, its name and its meaning. */
#define TQ_STATUS_TABLE(X)                                                                         \
    X(TQ_OK, "success")                                                                            \
    X(TQ_ERR_USAGE, "invalid argument or call order")                                              \
    X(TQ_ERR_IO, "operating-system I/O failure")                                                   \
    X(TQ_ERR_PARSE, "input does not follow its format")                                            \
    X(TQ_ERR_LIMIT, "input exceeds a configured bound")                                            \
    X(TQ_ERR_TIMEOUT, "peer did not answer before the deadline")                                   \
    X(TQ_ERR_PROTOCOL, "a backend or peer broke its protocol")                                     \
    X(TQ_ERR_CRYPTO, "the cryptographic library reported an error")                                \
    X(TQ_ERR_NOT_FOUND, "a named thing does not exist")                                            \
    X(TQ_ERR_UNSUPPORTED, "the request needs something not supported here")                        \
    X(TQ_ERR_NOMEM, "out of memory")                                                               \
    X(TQ_ERR_INTERNAL, "internal invariant broken")

typedef enum {
#define TQ_X_ENUM(code, text) code,
    TQ_STATUS_TABLE(TQ_X_ENUM)
#undef TQ_X_ENUM
} tq_status_code;

typedef struct {
    tq_status_code code;
} tq_status;

#define TQ_STATUS(c) ((tq_status){.code = (c)})
#define TQ_SUCCESS TQ_STATUS(TQ_OK)

/* tq_ok is true when `st` is success. */
static inline int tq_ok(tq_status st)
{
    return st.code == TQ_OK;
}

/* tq_status_name returns the code's symbolic name, e.g. "TQ_ERR_PARSE". Never NULL. */
const char *tq_status_name(tq_status_code code);

/* tq_status_text returns a one-line description of `code`. Never NULL. */
const char *tq_status_text(tq_status_code code);

/* struct tq_diag carries the details of a failure. `path` and `line` locate the input that was
 * wrong (line 0: no line applies; empty path: no file applies). `msg` is a full sentence. */
struct tq_diag {
    tq_status_code code;
    char path[512];
    unsigned line;
    char msg[1024];
};

/* tq_diag_fail records a failure in `diag` (which may be NULL) and returns it as a status, so
 * callers write `return tq_diag_fail(diag, TQ_ERR_PARSE, path, line, "want %s, got %s", a, b);`.
 * `path` may be NULL. */
TQ_MUST_USE tq_status tq_diag_fail(struct tq_diag *diag, tq_status_code code, const char *path,
                                   unsigned line, const char *fmt, ...) TQ_PRINTF(5, 6);

/* tq_diag_vfail is tq_diag_fail with a va_list. */
TQ_MUST_USE tq_status tq_diag_vfail(struct tq_diag *diag, tq_status_code code, const char *path,
                                    unsigned line, const char *fmt, va_list ap) TQ_PRINTF(5, 0);

/* tq_diag_format writes "path:line: message" (or the parts that exist) into `out`. */
void tq_diag_format(char *out, size_t out_len, const struct tq_diag *diag);

/* TQ_GUARD propagates a failed status from `expr` to the caller. */
#define TQ_GUARD(expr)                                                                             \
    do {                                                                                           \
        tq_status tq_guard_st_ = (expr);                                                           \
        if (!tq_ok(tq_guard_st_))                                                                  \
            return tq_guard_st_;                                                                   \
    } while (0)

/* TQ_ENSURE returns status `code` (without a message) when `cond` is false. Use tq_diag_fail
 * instead where a reader of the error needs to know more. */
#define TQ_ENSURE(cond, code)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return TQ_STATUS(code);                                                                \
    } while (0)

/* TQ_BAIL returns status `code` at once. */
#define TQ_BAIL(code) return TQ_STATUS(code)

/* TQ_DEFER declares a variable whose cleanup function runs when it goes out of scope. The
 * function takes a pointer to the variable and must accept its zero state. */
#define TQ_DEFER(cleanup_fn) __attribute__((cleanup(cleanup_fn)))

/* Ready-made cleanup functions for TQ_DEFER. */
void tq_free_ptr(void *pointer_to_pointer); /* free(*p) */
void tq_close_fd(int *fd);                  /* close(*fd) if >= 0 */

#endif
