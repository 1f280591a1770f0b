#include "backend_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { CLOSE_GRACE_MS = 2000 };

/* see backend_session.h */
void tq_backend_session_init(struct tq_backend_session *s, const char *exe)
{
    *s = (struct tq_backend_session){.pid = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1};
    snprintf(s->exe, sizeof(s->exe), "%s", exe);
}

static void close_fds(struct tq_backend_session *s)
{
    int *fds[] = {&s->in_fd, &s->out_fd, &s->err_fd};
    for (size_t i = 0; i < 3; i++)
        tq_close_fd(fds[i]);
}

/* reset forgets the process (already reaped or killed) and its buffered output. */
static void reset(struct tq_backend_session *s)
{
    close_fds(s);
    s->pid = -1;
    tq_buf_cleanup(&s->pending);
}

static tq_status start(struct tq_diag *diag, struct tq_backend_session *s, size_t max_output)
{
    char flag[] = "--run";
    char *argv[] = {s->exe, flag, NULL};
    tq_buf_init(&s->pending, max_output);
    return tq_proc_spawn_piped(diag, &s->pid, argv, &s->in_fd, &s->out_fd, &s->err_fd);
}

/* write_line writes all of `line` before `deadline`; false when the process is gone or stuck. */
static bool write_line(struct tq_backend_session *s, const char *line, double deadline)
{
    size_t left = strlen(line);
    while (left > 0) {
        ssize_t n = write(s->in_fd, line, left);
        if (n > 0) {
            line += n, left -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        struct pollfd p = {s->in_fd, POLLOUT, 0};
        int wait_ms = (int)(deadline - tq_now_ms());
        if (wait_ms <= 0 || (poll(&p, 1, wait_ms) < 0 && errno != EINTR))
            return false;
    }
    return true;
}

/* take_line moves one complete line from s->pending into out->out; false when none yet. */
static bool take_line(struct tq_backend_session *s, struct tq_proc_output *out)
{
    const uint8_t *nl = s->pending.len ? memchr(s->pending.data, '\n', s->pending.len) : NULL;
    if (nl == NULL)
        return false;
    size_t len = (size_t)(nl - s->pending.data) + 1;
    if (!tq_ok(tq_buf_append(&out->out, s->pending.data, len)))
        out->out_truncated = true;
    memmove(s->pending.data, s->pending.data + len, s->pending.len - len);
    s->pending.len -= len;
    return true;
}

/* wait_line reads stdout and stderr until a result line, end of file, or the deadline. */
static enum { GOT_LINE, GOT_EOF, GOT_TIMEOUT, GOT_OVERFLOW } wait_line(struct tq_backend_session *s,
                                                         struct tq_proc_output *out,
                                                         double deadline)
{
    for (;;) {
        if (take_line(s, out))
            return GOT_LINE;
        if (s->pending.len == s->pending.max_len || out->out_truncated)
            return GOT_OVERFLOW; /* a line longer than allowed: the protocol is broken */
        struct pollfd fds[2] = {{s->out_fd, POLLIN, 0}, {s->err_fd, POLLIN, 0}};
        int wait_ms = (int)(deadline - tq_now_ms());
        if (wait_ms <= 0)
            return GOT_TIMEOUT;
        if (poll(fds, s->err_fd >= 0 ? 2 : 1, wait_ms) < 0 && errno != EINTR)
            return GOT_EOF;
        if (fds[1].revents && !tq_proc_drain(s->err_fd, &out->err, &out->err_truncated))
            tq_close_fd(&s->err_fd);
        if (fds[0].revents && !tq_proc_drain(s->out_fd, &s->pending, &out->out_truncated))
            return take_line(s, out) ? GOT_LINE : GOT_EOF;
    }
}

/* finish_dead collects what a dying process still writes and how it ended, then resets. */
static void finish_dead(struct tq_backend_session *s, struct tq_proc_output *out, bool kill_it,
                        double deadline)
{
    if (kill_it) {
        out->timed_out = true;
        kill(-s->pid, SIGKILL);
        kill(s->pid, SIGKILL);
    }
    tq_close_fd(&s->in_fd);
    while (s->err_fd >= 0 && tq_now_ms() < deadline + CLOSE_GRACE_MS) {
        struct pollfd p = {s->err_fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0 || !tq_proc_drain(s->err_fd, &out->err, &out->err_truncated))
            break;
    }
    bool timed_out = out->timed_out;
    tq_proc_reap(s->pid, out, tq_now_ms() + CLOSE_GRACE_MS);
    out->timed_out = timed_out || out->timed_out;
    reset(s);
}

/* drain_stderr keeps what stderr already holds: it belongs to the case that just ended. */
static void drain_stderr(struct tq_backend_session *s, struct tq_proc_output *out)
{
    struct pollfd p = {s->err_fd, POLLIN, 0};
    while (s->err_fd >= 0 && poll(&p, 1, 0) > 0)
        if (!tq_proc_drain(s->err_fd, &out->err, &out->err_truncated))
            tq_close_fd(&s->err_fd);
}

/* see backend_session.h */
tq_status tq_backend_session_run(struct tq_diag *diag, struct tq_backend_session *s, struct tq_proc_output *out,
                         const char *line, int timeout_ms, size_t max_output)
{
    *out = (struct tq_proc_output){.exit_code = -1};
    tq_buf_init(&out->out, max_output);
    tq_buf_init(&out->err, max_output);
    if (s->pid < 0)
        TQ_GUARD(start(diag, s, max_output));
    double begin = tq_now_ms(), deadline = begin + timeout_ms;
    int got = write_line(s, line, deadline) ? (int)wait_line(s, out, deadline) : (int)GOT_EOF;
    if (got == GOT_LINE) {
        drain_stderr(s, out);
        out->exited = true; /* still running: "no failure so far" for the caller */
        out->exit_code = 0;
    } else if (got == GOT_OVERFLOW) {
        /* Broke the protocol: stop it now (it may be blocked writing) and say so. */
        out->out_truncated = true;
        kill(-s->pid, SIGKILL);
        kill(s->pid, SIGKILL);
        finish_dead(s, out, false, deadline);
        out->out_truncated = true;
    } else {
        finish_dead(s, out, got == GOT_TIMEOUT || tq_now_ms() >= deadline, deadline);
    }
    out->elapsed_ms = tq_now_ms() - begin;
    return TQ_SUCCESS;
}

/* see backend_session.h */
void tq_backend_session_close(struct tq_backend_session *s)
{
    if (s->pid < 0)
        return;
    struct tq_proc_output ignored = {.exit_code = -1};
    tq_close_fd(&s->in_fd);  /* end of input: the backend exits 0 */
    tq_proc_reap(s->pid, &ignored, tq_now_ms() + CLOSE_GRACE_MS);
    reset(s);
}
