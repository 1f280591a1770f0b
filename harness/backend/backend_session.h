/* backend_session.h: a backend process kept alive across cases (docs/backend-protocol.md allows a
 * backend to read many case lines in turn). Starting a process per case costs more than the
 * handshake it runs; a session pays it once. Isolation is kept: a case that crashes, hangs or
 * breaks the protocol ends the session, fails only itself, and the next case starts a fresh
 * process. Each case's stderr is what the process wrote while that case ran.
 *
 * A result is matched to its case (docs/backend-protocol.md#one-line-per-case): a process is kept
 * for the next case only when, for this one, it wrote exactly one line on stdout and that line is
 * the result of this case (result.h: the case's id, the result's shape), with nothing after it.
 * Anything else (a debug line before the result, another case's id, a second answer in the same
 * read) ends the process; `out->out` then holds what it wrote, so that tq_result_parse on it
 * names the offending line. Output that arrives after a result was accepted is found before the
 * next case is sent (tq_backend_session_stray) or when the session closes; output that arrives
 * later still lands in the next case and fails it, since it cannot be that case's result.
 *
 * The process must ignore SIGPIPE (tlsqual does): a backend that is gone is a failed write. */
#ifndef TQ_BACKEND_SESSION_H
#define TQ_BACKEND_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

#include "proc.h"
#include "status.h"

struct tq_backend_session {
    pid_t pid; /* -1: no process */
    int in_fd, out_fd, err_fd;
    struct tq_buf pending;  /* stdout bytes read and not yet given to a case */
    unsigned long num_runs; /* cases sent over the session's life, whatever the process */
    char exe[4096];
};

/* tq_backend_session_init prepares an empty session for the backend executable `exe`. */
void tq_backend_session_init(struct tq_backend_session *s, const char *exe);

/* tq_backend_session_run sends one case line (a JSON object with an "id", ending in '\n') and
 * waits up to `timeout_ms` for one result line. `out` receives it the way tq_proc_run reports a
 * whole process: `out->out` holds what the process wrote on stdout for this case, `out->err`
 * what it wrote to stderr meanwhile. While the process lives on, `out` reads as "exited 0".
 * When the process died, hung (then it is killed) or closed stdout, `out` says how (exited,
 * exit_code, term_signal, timed_out), with any unfinished stdout line kept in `out->out`, and
 * the session is reset. When it broke the protocol (see above) it is killed, the session is reset
 * and `out` still reads as "exited 0": its output, not its end, is the evidence. Fails only when
 * no process can be started or `line` has no id. The caller releases `out` with
 * tq_proc_output_cleanup. */
TQ_MUST_USE tq_status tq_backend_session_run(struct tq_diag *diag, struct tq_backend_session *s,
                                             struct tq_proc_output *out, const char *line,
                                             int timeout_ms, size_t max_output);

/* tq_backend_session_stray checks, without waiting, whether the process wrote anything on stdout
 * since the result it last gave (a second or late answer, a debug line). If it did, the process
 * is killed, the session reset (the next case gets a fresh process), the first such line is
 * quoted into `quote` (tq_result_quote; `quote_len` bytes) and it returns true: the case whose
 * result was read last broke the protocol. A process that ended between cases is reaped and
 * replaced without blame. Call it before sending the next case. */
bool tq_backend_session_stray(struct tq_backend_session *s, char *quote, size_t quote_len);

/* tq_backend_session_close ends the process: closes its stdin (end of input: it exits 0), reads
 * its stdout until it ends (at most a short grace, then it is killed) and reaps it. Returns true
 * when it wrote anything on stdout after its last result, quoted into `quote` as
 * tq_backend_session_stray does. */
bool tq_backend_session_close(struct tq_backend_session *s, char *quote, size_t quote_len);

#endif
