#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* see status.h */
const char *tq_status_name(tq_status_code code)
{
    switch (code) {
#define TQ_X_NAME(c, text)                                                                         \
    case c:                                                                                        \
        return #c;
        TQ_STATUS_TABLE(TQ_X_NAME)
#undef TQ_X_NAME
    }
    return "TQ_ERR_UNKNOWN";
}

/* see status.h */
const char *tq_status_text(tq_status_code code)
{
    switch (code) {
#define TQ_X_TEXT(c, text)                                                                         \
    case c:                                                                                        \
        return text;
        TQ_STATUS_TABLE(TQ_X_TEXT)
#undef TQ_X_TEXT
    }
    return "unknown status";
}

/* see status.h */
tq_status tq_diag_vfail(struct tq_diag *diag, tq_status_code code, const char *path, unsigned line,
                        const char *fmt, va_list ap)
{
    if (diag != NULL) {
        diag->code = code;
        snprintf(diag->path, sizeof(diag->path), "%s", path ? path : "");
        diag->line = line;
        vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
    }
    return TQ_STATUS(code);
}

/* see status.h */
tq_status tq_diag_fail(struct tq_diag *diag, tq_status_code code, const char *path, unsigned line,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_diag_vfail(diag, code, path, line, fmt, ap);
    va_end(ap);
    return st;
}

/* see status.h */
void tq_diag_format(char *out, size_t out_len, const struct tq_diag *diag)
{
    const char *msg = diag->msg[0] ? diag->msg : tq_status_text(diag->code);
    if (diag->path[0] && diag->line)
        snprintf(out, out_len, "%s:%u: %s", diag->path, diag->line, msg);
    else if (diag->path[0])
        snprintf(out, out_len, "%s: %s", diag->path, msg);
    else
        snprintf(out, out_len, "%s", msg);
}

/* see status.h */
void tq_free_ptr(void *pointer_to_pointer)
{
    void **p = pointer_to_pointer;
    free(*p);
    *p = NULL;
}

/* see status.h */
void tq_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}
