/* backend_session.h: a backend process kept alive across cases (docs/backend-protocol.md allows a
 * backend to read many case lines in turn). Starting a process per case costs more than the
 * handshake it runs; a session pays it once. Isolation is kept: a case that crashes, hangs or
 * breaks the protocol ends the session, fails only itself, and the next case starts a fresh
 * process. Each case's stderr is what the process wrote while that case ran. */
#ifndef TQ_BACKEND_SESSION_H
#define TQ_BACKEND_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

#include "proc.h"
#include "status.h"

struct tq_backend_session {
    pid_t pid;                 /* -1: no process */
    int in_fd, out_fd, err_fd;
    struct tq_buf pending;     /* stdout bytes read past the last result line */
    char exe[4096];
};

/* tq_backend_session_init prepares an empty session for the backend executable `exe`. */
void tq_backend_session_init(struct tq_backend_session *s, const char *exe);

/* tq_backend_session_run sends one case line (ending in '\n') and waits up to `timeout_ms` for one
 * result line. `out` receives it the way tq_proc_run reports a whole process: `out->out` holds
 * the result line, `out->err` what the backend wrote to stderr meanwhile; when the process died,
 * hung (then it is killed) or closed stdout, `out` says how (exited, exit_code, term_signal,
 * timed_out) and the session is reset. Fails only when no process can be started. The caller
 * releases `out` with tq_proc_output_cleanup. */
TQ_MUST_USE tq_status tq_backend_session_run(struct tq_diag *diag, struct tq_backend_session *s,
                                     struct tq_proc_output *out, const char *line,
                                     int timeout_ms, size_t max_output);

/* tq_backend_session_close ends the process (closes its stdin, waits briefly, then kills it). */
void tq_backend_session_close(struct tq_backend_session *s);

#endif
