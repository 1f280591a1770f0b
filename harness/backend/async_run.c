#include "async_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_OUTPUT = 1 << 20 };

static void *async_main(void *arg)
{
    struct tq_async_run *r = arg;
    char flag[] = "--run";
    char *argv[] = {r->exe, flag, NULL};
    struct tq_diag ignored;
    r->st =
        tq_proc_run(&ignored, &r->out, argv, r->line, strlen(r->line), r->deadline_ms, MAX_OUTPUT);
    __atomic_store_n(&r->ended, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* see async_run.h */
tq_status tq_async_run_start(struct tq_async_run *r, const char *exe, char *line, int deadline_ms)
{
    *r = (struct tq_async_run){
        .line = line, .deadline_ms = deadline_ms, .st = TQ_STATUS(TQ_ERR_INTERNAL)};
    snprintf(r->exe, sizeof(r->exe), "%s", exe);
    if (pthread_create(&r->thread, NULL, async_main, r) != 0) {
        free(r->line);
        r->line = NULL;
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    r->joinable = true;
    return TQ_SUCCESS;
}

/* see async_run.h */
bool tq_async_run_ended(struct tq_async_run *r)
{
    return __atomic_load_n(&r->ended, __ATOMIC_ACQUIRE) != 0;
}

/* see async_run.h */
void tq_async_run_join(struct tq_async_run *r)
{
    if (!r->joinable)
        return;
    pthread_join(r->thread, NULL);
    r->joinable = false;
}

/* see async_run.h */
void tq_async_run_cleanup(struct tq_async_run *r)
{
    tq_async_run_join(r);
    if (tq_ok(r->st))
        tq_proc_output_cleanup(&r->out);
    r->st = TQ_STATUS(TQ_ERR_INTERNAL);
    free(r->line);
    r->line = NULL;
}
