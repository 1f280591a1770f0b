#include "backend_session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "result.h"

enum { CLOSE_GRACE_MS = 2000, MAX_DRAIN_READS = 64 };

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

/* abandon kills a process that must not serve another case, reaps it and resets the session. */
static void abandon(struct tq_backend_session *s)
{
    struct tq_proc_output ignored = {.exit_code = -1};
    kill(-s->pid, SIGKILL);
    kill(s->pid, SIGKILL);
    close_fds(s);
    tq_proc_reap(s->pid, &ignored, tq_now_ms() + CLOSE_GRACE_MS);
    reset(s);
}

static tq_status start(struct tq_diag *diag, struct tq_backend_session *s, size_t max_output)
{
    char flag[] = "--run";
    char *argv[] = {s->exe, flag, NULL};
    tq_buf_init(&s->pending, max_output);
    return tq_proc_spawn_piped(diag, &s->pid, argv, &s->in_fd, &s->out_fd, &s->err_fd);
}

/* write_line writes all of `line` before `deadline`; false when the process is gone or stuck.
 * `*out_unread` is set when it was gone before it could read a byte of the line. */
static bool write_line(struct tq_backend_session *s, const char *line, double deadline,
                       bool *out_unread)
{
    size_t len = strlen(line), left = len;
    *out_unread = false;
    while (left > 0) {
        ssize_t n = write(s->in_fd, line, left);
        if (n > 0) {
            line += n, left -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            *out_unread = errno == EPIPE && left == len;
            return false;
        }
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

/* take_pending moves everything still buffered into out->out (an unfinished line, what followed
 * a result): it is evidence of this case. */
static void take_pending(struct tq_backend_session *s, struct tq_proc_output *out)
{
    if (s->pending.len > 0 && !tq_ok(tq_buf_append(&out->out, s->pending.data, s->pending.len)))
        out->out_truncated = true;
    s->pending.len = 0;
}

/* read_now reads, without waiting, what stdout already holds into s->pending. False when stdout
 * ended. A bounded number of reads: a process that writes without pause is caught next time. */
static bool read_now(struct tq_backend_session *s, bool *truncated)
{
    for (int i = 0; i < MAX_DRAIN_READS; i++) {
        struct pollfd p = {s->out_fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0)
            return true;
        if (!tq_proc_drain(s->out_fd, &s->pending, truncated))
            return false;
    }
    return true;
}

/* drain_stderr keeps what stderr already holds: it belongs to the case that just ended. */
static void drain_stderr(struct tq_backend_session *s, struct tq_proc_output *out)
{
    for (int i = 0; i < MAX_DRAIN_READS && s->err_fd >= 0; i++) {
        struct pollfd p = {s->err_fd, POLLIN, 0};
        if (poll(&p, 1, 0) <= 0)
            return;
        if (!tq_proc_drain(s->err_fd, &out->err, &out->err_truncated))
            tq_close_fd(&s->err_fd);
    }
}

enum got { GOT_LINE, GOT_EOF, GOT_TIMEOUT, GOT_OVERFLOW };

/* wait_line reads stdout and stderr until a complete line, end of file, or the deadline. */
static enum got wait_line(struct tq_backend_session *s, struct tq_proc_output *out, double deadline)
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
    take_pending(s, out);
    bool timed_out = out->timed_out;
    tq_proc_reap(s->pid, out, tq_now_ms() + CLOSE_GRACE_MS);
    out->timed_out = timed_out || out->timed_out;
    reset(s);
}

/* settle_answer decides whether the process that just wrote a line serves the next case: only
 * when that line, and nothing after it, is this case's result. Otherwise the process is ended
 * and `out` keeps reading as answered ("exited 0"): the verdict comes from `out->out`. */
static void settle_answer(struct tq_backend_session *s, struct tq_proc_output *out,
                          const char *want_id)
{
    bool open = read_now(s, &out->out_truncated);
    drain_stderr(s, out);
    take_pending(s, out);
    struct tq_result ignored;
    bool answered =
        tq_ok(tq_result_parse(NULL, &ignored, want_id, (const char *)out->out.data, out->out.len));
    if (!answered || !open || out->out_truncated)
        abandon(s); /* a process that closed stdout cannot answer the next case either */
    out->exited = true;
    out->exit_code = 0;
}

/* see backend_session.h */
tq_status tq_backend_session_run(struct tq_diag *diag, struct tq_backend_session *s,
                                 struct tq_proc_output *out, const char *line, int timeout_ms,
                                 size_t max_output)
{
    *out = (struct tq_proc_output){.exit_code = -1};
    tq_buf_init(&out->out, max_output);
    tq_buf_init(&out->err, max_output);
    char want_id[TQ_RESULT_ID_MAX + 1];
    if (!tq_result_case_id(want_id, sizeof(want_id), line))
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "the case line has no usable \"id\"");
    bool reused = s->pid >= 0, unread = false;
    if (!reused)
        TQ_GUARD(start(diag, s, max_output));
    s->num_runs++;
    double begin = tq_now_ms(), deadline = begin + timeout_ms;
    bool written = write_line(s, line, deadline, &unread);
    if (!written && unread && reused) {
        /* The process ended after its last result, too late for tq_backend_session_stray to
         * see, and never read this case: a fresh process gets it, as for any other case. */
        abandon(s);
        TQ_GUARD(start(diag, s, max_output));
        written = write_line(s, line, deadline, &unread);
    }
    enum got got = written ? wait_line(s, out, deadline) : GOT_EOF;
    if (got == GOT_LINE) {
        settle_answer(s, out, want_id);
    } else if (got == GOT_OVERFLOW) {
        /* Broke the protocol: stop it now (it may be blocked writing) and say so. */
        abandon(s);
        out->out_truncated = true;
        out->exited = true;
        out->exit_code = 0;
    } else {
        finish_dead(s, out, got == GOT_TIMEOUT || tq_now_ms() >= deadline, deadline);
    }
    out->elapsed_ms = tq_now_ms() - begin;
    return TQ_SUCCESS;
}

/* quote_first quotes the first line of what the process wrote out of turn. */
static void quote_first(const struct tq_buf *b, char *quote, size_t quote_len)
{
    const uint8_t *nl = memchr(b->data, '\n', b->len);
    tq_result_quote(quote, quote_len, (const char *)b->data, nl ? (size_t)(nl - b->data) : b->len);
}

/* see backend_session.h */
bool tq_backend_session_stray(struct tq_backend_session *s, char *quote, size_t quote_len)
{
    if (s->pid < 0)
        return false;
    bool truncated = false;
    bool open = read_now(s, &truncated);
    bool stray = s->pending.len > 0;
    if (stray)
        quote_first(&s->pending, quote, quote_len);
    if (stray || !open)
        abandon(s);
    return stray;
}

/* see backend_session.h */
bool tq_backend_session_close(struct tq_backend_session *s, char *quote, size_t quote_len)
{
    if (s->pid < 0)
        return false;
    struct tq_proc_output end = {.exit_code = -1};
    tq_buf_init(&end.err, 64 * 1024);
    tq_close_fd(&s->in_fd); /* end of input: the backend exits 0 */
    double deadline = tq_now_ms() + CLOSE_GRACE_MS;
    bool truncated = false;
    /* Read to the end of stdout: whatever comes now followed the last result. stderr is read
     * only so that a chatty process cannot block on it. */
    while (s->out_fd >= 0 && tq_now_ms() < deadline) {
        struct pollfd fds[2] = {{s->out_fd, POLLIN, 0}, {s->err_fd, POLLIN, 0}};
        if (poll(fds, s->err_fd >= 0 ? 2 : 1, 100) < 0 && errno != EINTR)
            break;
        if (fds[1].revents && !tq_proc_drain(s->err_fd, &end.err, &end.err_truncated))
            tq_close_fd(&s->err_fd);
        if (fds[0].revents && !tq_proc_drain(s->out_fd, &s->pending, &truncated))
            tq_close_fd(&s->out_fd);
    }
    bool stray = s->pending.len > 0;
    if (stray)
        quote_first(&s->pending, quote, quote_len);
    tq_proc_reap(s->pid, &end, deadline);
    tq_proc_output_cleanup(&end);
    reset(s);
    return stray;
}
