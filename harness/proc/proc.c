#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* see proc.h */
double tq_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The backends running now (process group ids; 0: a free slot), so that a stop request can end
 * them at once: tq_proc_stop_all runs in a signal handler, hence the fixed array and atomics. */
enum { MAX_TRACKED = 256 };
static pid_t tracked[MAX_TRACKED];
static volatile sig_atomic_t stopping;

static void kill_group(pid_t pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

static void track(pid_t pid)
{
    for (size_t i = 0; i < MAX_TRACKED; i++) {
        pid_t free_slot = 0;
        if (__atomic_compare_exchange_n(&tracked[i], &free_slot, pid, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            break;
    }
    if (stopping) /* the stop came while it was being started */
        kill_group(pid);
}

static void untrack(pid_t pid)
{
    for (size_t i = 0; i < MAX_TRACKED; i++)
        if (__atomic_load_n(&tracked[i], __ATOMIC_SEQ_CST) == pid)
            __atomic_store_n(&tracked[i], 0, __ATOMIC_SEQ_CST);
}

/* see proc.h */
void tq_proc_stop_all(void)
{
    stopping = 1;
    for (size_t i = 0; i < MAX_TRACKED; i++) {
        pid_t pid = __atomic_load_n(&tracked[i], __ATOMIC_SEQ_CST);
        if (pid > 0)
            kill_group(pid);
    }
}

/* see proc.h */
bool tq_proc_stopping(void)
{
    return stopping != 0;
}

static void close_pipe(int p[2])
{
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]);
    p[0] = p[1] = -1;
}

static tq_status spawn(struct tq_diag *diag, pid_t *out_pid, char *const argv[],
                       posix_spawn_file_actions_t *fa)
{
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(out_pid, argv[0], fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        return tq_diag_fail(diag, TQ_ERR_IO, argv[0], 0, "cannot start: %s", strerror(rc));
    return TQ_SUCCESS;
}

/* see proc.h */
bool tq_proc_drain(int fd, struct tq_buf *b, bool *truncated)
{
    char chunk[16384];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    if (!tq_ok(tq_buf_append(b, chunk, (size_t)n)))
        *truncated = true;
    return true;
}

struct io_state {
    int in_fd, out_fd, err_fd;
    const char *input;
    size_t input_left;
};

static void feed_input(struct io_state *io)
{
    ssize_t n = write(io->in_fd, io->input, io->input_left);
    if (n > 0) {
        io->input += n;
        io->input_left -= (size_t)n;
    }
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || io->input_left == 0) {
        close(io->in_fd);
        io->in_fd = -1;
    }
}

/* pump moves bytes until both output pipes reach end of file or the deadline passes. */
static bool pump(struct io_state *io, struct tq_proc_output *out, double deadline)
{
    while (io->out_fd >= 0 || io->err_fd >= 0) {
        struct pollfd fds[3] = {
            {io->out_fd, POLLIN, 0}, {io->err_fd, POLLIN, 0}, {io->in_fd, POLLOUT, 0}};
        int left = (int)(deadline - tq_now_ms());
        if (left <= 0)
            return false;
        if (poll(fds, 3, left) < 0 && errno != EINTR)
            return false;
        if (fds[0].revents && !tq_proc_drain(io->out_fd, &out->out, &out->out_truncated))
            close(io->out_fd), io->out_fd = -1;
        if (fds[1].revents && !tq_proc_drain(io->err_fd, &out->err, &out->err_truncated))
            close(io->err_fd), io->err_fd = -1;
        if (fds[2].revents)
            feed_input(io);
    }
    return true;
}

/* see proc.h */
void tq_proc_reap(pid_t pid, struct tq_proc_output *out, double deadline)
{
    for (;;) {
        /* WNOWAIT: the process stays a zombie, so its id cannot be reused before untrack. */
        siginfo_t info = {0};
        int r = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
        if ((r == 0 && info.si_pid == pid) || (r < 0 && errno != EINTR))
            break;
        if (tq_now_ms() > deadline && !out->timed_out) {
            out->timed_out = true;
            kill_group(pid);
        }
        usleep(1000);
    }
    untrack(pid);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    out->exited = WIFEXITED(status);
    out->exit_code = out->exited ? WEXITSTATUS(status) : -1;
    out->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static tq_status make_pipes(struct tq_diag *diag, int in[2], int outp[2], int errp[2])
{
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "cannot create pipes: %s", strerror(errno));
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    return TQ_SUCCESS;
}

/* see proc.h */
tq_status tq_proc_spawn_piped(struct tq_diag *diag, pid_t *out_pid, char *const argv[], int *in_fd,
                              int *out_fd, int *err_fd)
{
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1};
    if (stopping)
        return tq_diag_fail(diag, TQ_ERR_USAGE, argv[0], 0,
                            "not started: the run is being stopped by a signal");
    tq_status st = make_pipes(diag, in, outp, errp);
    if (tq_ok(st)) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
        st = spawn(diag, out_pid, argv, &fa);
        posix_spawn_file_actions_destroy(&fa);
    }
    if (!tq_ok(st)) {
        close_pipe(in), close_pipe(outp), close_pipe(errp);
        return st;
    }
    close(in[0]), close(outp[1]), close(errp[1]);
    *in_fd = in[1], *out_fd = outp[0], *err_fd = errp[0];
    track(*out_pid);
    return TQ_SUCCESS;
}

/* see proc.h */
tq_status tq_proc_run(struct tq_diag *diag, struct tq_proc_output *out, char *const argv[],
                      const char *input, size_t input_len, int timeout_ms, size_t max_output)
{
    *out = (struct tq_proc_output){.exit_code = -1};
    tq_buf_init(&out->out, max_output);
    tq_buf_init(&out->err, max_output);
    pid_t pid = -1;
    int in_fd, out_fd, err_fd;
    TQ_GUARD(tq_proc_spawn_piped(diag, &pid, argv, &in_fd, &out_fd, &err_fd));
    double start = tq_now_ms(), deadline = start + timeout_ms;
    struct io_state io = {in_fd, out_fd, err_fd, input, input_len};
    if (input_len == 0)
        close(io.in_fd), io.in_fd = -1;
    if (!pump(&io, out, deadline)) {
        out->timed_out = true;
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    for (int *fd = &io.in_fd; fd <= &io.err_fd; fd++)
        if (*fd >= 0)
            close(*fd);
    tq_proc_reap(pid, out, deadline);
    out->elapsed_ms = tq_now_ms() - start;
    return TQ_SUCCESS;
}

/* see proc.h */
void tq_proc_output_cleanup(struct tq_proc_output *out)
{
    tq_buf_cleanup(&out->out);
    tq_buf_cleanup(&out->err);
}

/* see proc.h */
void tq_proc_describe(char *buf, size_t buf_len, const struct tq_proc_output *out, int timeout_ms)
{
    if (out->timed_out)
        snprintf(buf, buf_len, "timed out after %d ms", timeout_ms);
    else if (out->term_signal)
        snprintf(buf, buf_len, "killed by signal %d (%s)", out->term_signal,
                 sigabbrev_np(out->term_signal) ? sigabbrev_np(out->term_signal) : "?");
    else
        snprintf(buf, buf_len, "exit %d", out->exit_code);
}

static tq_status read_ready(struct tq_diag *diag, int fd, const char *what, char *line,
                            size_t line_len, int timeout_ms)
{
    size_t got = 0;
    double deadline = tq_now_ms() + timeout_ms;
    while (got + 1 < line_len) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(deadline - tq_now_ms());
        int ready = left > 0 ? poll(&p, 1, left) : 0;
        if (ready < 0 && errno == EINTR)
            continue; /* a signal (SIGINT to the run) is the caller's to handle, not a timeout */
        if (ready <= 0)
            return tq_diag_fail(diag, TQ_ERR_TIMEOUT, what, 0, "not ready after %d ms", timeout_ms);
        ssize_t n = read(fd, line + got, 1);
        if (n <= 0)
            return tq_diag_fail(diag, TQ_ERR_PROTOCOL, what, 0,
                                "exited or closed its ready pipe before it was ready");
        if (line[got] == '\n')
            break;
        got++;
    }
    line[got] = '\0';
    return TQ_SUCCESS;
}

/* see proc.h */
tq_status tq_proc_start(struct tq_diag *diag, struct tq_proc_child *out, char *const argv[],
                        const char *stderr_path, int ready_fd_child, char *ready_line,
                        size_t ready_len, int timeout_ms)
{
    out->pid = -1;
    int ready[2] = {-1, -1};
    if (ready_fd_child >= 0 && pipe2(ready, O_CLOEXEC) != 0)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "cannot create a pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (ready_fd_child >= 0)
        posix_spawn_file_actions_adddup2(&fa, ready[1], ready_fd_child);
    tq_status st = spawn(diag, &out->pid, argv, &fa);
    posix_spawn_file_actions_destroy(&fa);
    if (ready[1] >= 0)
        close(ready[1]);
    if (tq_ok(st) && ready_fd_child >= 0)
        st = read_ready(diag, ready[0], argv[0], ready_line, ready_len, timeout_ms);
    if (ready[0] >= 0)
        close(ready[0]);
    if (!tq_ok(st) && out->pid > 0) {
        int ignored;
        tq_proc_stop(out, 0, &ignored);
    }
    return st;
}

/* see proc.h */
void tq_proc_stop(struct tq_proc_child *child, int grace_ms, int *out_wait_status)
{
    *out_wait_status = 0;
    if (child->pid <= 0)
        return;
    kill(child->pid, SIGTERM);
    double deadline = tq_now_ms() + grace_ms;
    while (waitpid(child->pid, out_wait_status, WNOHANG) == 0) {
        if (tq_now_ms() > deadline) {
            kill(-child->pid, SIGKILL);
            kill(child->pid, SIGKILL);
            waitpid(child->pid, out_wait_status, 0);
            break;
        }
        usleep(2000);
    }
    child->pid = -1;
}
