/* outcome.c: see outcome.h. */
#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* see outcome.h */
void tq_outcome_format(char *buf, size_t buf_len, const struct tq_outcome *out)
{
    /* run_case.c settles a case that set no outcome as unmapped before writing it; this keeps
     * every word this function can write inside the vocabulary the harness accepts. */
    enum tq_outcome_code code = out->code == TQ_OUT_NOT_RUN ? TQ_OUT_UNMAPPED : out->code;
    tq_outcome_write(buf, buf_len, code, out->alert);
}

/* see outcome.h */
tq_status tq_outcome_fail(struct tq_outcome *out, enum tq_outcome_code code, const char *fmt, ...)
{
    out->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
    return TQ_STATUS(TQ_ERR_CRYPTO);
}

/* see outcome.h */
void tq_outcome_set_error(struct tq_outcome *out, const char *text)
{
    snprintf(out->error, sizeof(out->error), "%s", text != NULL ? text : "");
}
