/* async_run.h: one backend run (a process fed one case line) in a thread of its own, for a
 * connection that must stay up while the runner goes on: a scenario's companion, a lifecycle
 * step's held connection. */
#ifndef TQ_ASYNC_RUN_H
#define TQ_ASYNC_RUN_H

#include <pthread.h>
#include <stdbool.h>

#include "proc.h"
#include "status.h"

struct tq_async_run {
    pthread_t thread;
    bool joinable; /* started and not yet joined */
    char exe[4096];
    char *line; /* owned */
    int deadline_ms;
    int ended;                 /* set (atomically) when the process is gone */
    tq_status st;              /* after join: whether the process could start */
    struct tq_proc_output out; /* after join, when `st` is success: how it ended, its output */
};

/* tq_async_run_start runs `exe --run` with `line` (which it takes, also on failure) in a new
 * thread, killed after `deadline_ms`. Fails only when the thread cannot start. */
TQ_MUST_USE tq_status tq_async_run_start(struct tq_async_run *r, const char *exe, char *line,
                                         int deadline_ms);

/* tq_async_run_ended is true once the process has ended (join then returns at once). */
bool tq_async_run_ended(struct tq_async_run *r);

/* tq_async_run_join waits for the thread; then `st` and `out` are set. Idempotent. */
void tq_async_run_join(struct tq_async_run *r);

/* tq_async_run_cleanup joins and releases everything the run holds. Idempotent. */
void tq_async_run_cleanup(struct tq_async_run *r);

#endif
