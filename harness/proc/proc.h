/* proc.h: runs child processes directly (posix_spawn, never a shell) under a deadline.
 * Children get their own process group, so a deadline kills a backend and anything it started. */
#ifndef TQ_PROC_H
#define TQ_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bytes.h"
#include "status.h"

struct tq_proc_output {
    bool exited; /* exited normally: exit_code is valid */
    int exit_code;
    int term_signal;   /* killed by this signal (0: none) */
    bool timed_out;    /* the deadline passed and the runner killed it */
    struct tq_buf out; /* stdout, at most the limit given; more is dropped */
    struct tq_buf err; /* stderr, likewise */
    bool out_truncated, err_truncated;
    double elapsed_ms;
};

/* tq_proc_run runs argv[0] with `argv`, writes `input` to its stdin and closes it, collects
 * stdout and stderr (each up to `max_output` bytes) and waits for it to end, at most
 * `timeout_ms`; then it is killed (SIGKILL to its group) and `timed_out` is set. Failure to
 * start is an error status; anything the child does is reported in `out`, which the caller
 * releases with tq_proc_output_cleanup. */
TQ_MUST_USE tq_status tq_proc_run(struct tq_diag *diag, struct tq_proc_output *out,
                                  char *const argv[], const char *input, size_t input_len,
                                  int timeout_ms, size_t max_output);

/* tq_proc_output_cleanup frees the buffers of `out`. */
void tq_proc_output_cleanup(struct tq_proc_output *out);

/* tq_proc_describe writes how the process ended: "exit 0", "killed by signal 11 (SIGSEGV)",
 * "timed out after 15000 ms". */
void tq_proc_describe(char *buf, size_t buf_len, const struct tq_proc_output *out, int timeout_ms);

/* struct tq_proc_child is a long-running child (the broker). */
struct tq_proc_child {
    pid_t pid;
};

/* tq_proc_start starts argv[0] in the background with stdin from /dev/null and stderr to
 * `stderr_path` (created 0600). When `ready_fd_child` >= 0, a pipe is passed as that fd number
 * and the first line written to it (within `timeout_ms`) is stored in `ready_line`. */
TQ_MUST_USE tq_status tq_proc_start(struct tq_diag *diag, struct tq_proc_child *out,
                                    char *const argv[], const char *stderr_path, int ready_fd_child,
                                    char *ready_line, size_t ready_len, int timeout_ms);

/* tq_proc_stop sends SIGTERM, waits up to `grace_ms`, then SIGKILLs. Stores the wait status. */
void tq_proc_stop(struct tq_proc_child *child, int grace_ms, int *out_wait_status);

/* tq_proc_spawn_piped starts argv[0] in a process group of its own with pipes for stdin,
 * stdout and stderr, returned (close-on-exec) in `in_fd` (non-blocking), `out_fd`, `err_fd`. */
TQ_MUST_USE tq_status tq_proc_spawn_piped(struct tq_diag *diag, pid_t *out_pid, char *const argv[],
                                          int *in_fd, int *out_fd, int *err_fd);

/* tq_proc_reap waits for `pid` until `deadline_ms` (tq_now_ms clock), then kills its group
 * and waits; the end is recorded in `out` (exited, exit_code, term_signal, timed_out). */
void tq_proc_reap(pid_t pid, struct tq_proc_output *out, double deadline_ms);

/* tq_proc_drain reads what is available on `fd` into `b` (bytes past its limit are dropped
 * and `*truncated` set). Returns false at end of file or on an error other than EAGAIN/EINTR. */
bool tq_proc_drain(int fd, struct tq_buf *b, bool *truncated);

/* tq_proc_stop_all ends every process started by tq_proc_spawn_piped (so every backend of
 * tq_proc_run and of sessions) that has not been reaped yet, with SIGKILL to its group, and
 * refuses to start new ones from then on. Async-signal-safe: a SIGINT/SIGTERM handler calls it
 * so that a stopped run does not wait for the deadlines of the cases in flight. */
void tq_proc_stop_all(void);

/* tq_proc_stopping is true once tq_proc_stop_all was called. */
bool tq_proc_stopping(void);

/* tq_now_ms returns a monotonic clock in milliseconds. */
double tq_now_ms(void);

#endif
