#include "broker_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event_schema.h"
#include "fs.h"

enum {
    READY_FD = 3,
    READY_MS = 15000,
    MAX_EVENTS_BYTES = 64 << 20,
};

/* started_api_port returns the port of member `api` when `line` is the broker_started event of
 * the broker with process id `pid`; 0 otherwise (another line, another broker's start, no
 * control plane). */
static long started_api_port(const char *line, size_t len, long pid)
{
    struct tq_event ev;
    struct tq_diag ignored;
    if (!tq_ok(tq_event_parse(&ignored, &ev, line, len)))
        return 0;
    long port = 0;
    if (ev.id == TQ_EVENT_BROKER_STARTED && tq_event_integer(&ev, "pid", -1) == pid)
        port = tq_event_port(tq_event_string(&ev, "api"));
    tq_event_cleanup(&ev);
    return port;
}

/* api_port_from_events reads the control plane's port from the broker_started event of the
 * broker `pid` (written before its ready line); 0 when there is none. The events file may hold
 * the lines of earlier brokers (a restart appends): their starts do not count. */
static long api_port_from_events(const char *events_path, long pid)
{
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    struct tq_diag ignored;
    if (!tq_ok(tq_fs_read_all(&ignored, &text, &len, events_path, MAX_EVENTS_BYTES)))
        return 0;
    long port = 0;
    for (const char *line = text, *stop = text + len; line < stop && port == 0;) {
        const char *end = memchr(line, '\n', (size_t)(stop - line));
        end = end ? end : stop;
        port = started_api_port(line, (size_t)(end - line), pid);
        line = end + 1;
    }
    return port;
}

static tq_status parse_ready(struct tq_diag *diag, struct tq_broker_proc *b, const char *ready,
                             const char *exe)
{
    const char *colon = strrchr(ready, ':');
    if (colon == NULL || (b->port = (int)tq_event_port(ready)) <= 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, exe, 0,
                            "broker's ready line '%s' is not HOST:PORT", ready);
    const char *host = ready;
    size_t host_len = (size_t)(colon - ready);
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') { /* [::1]:8883 */
        host++;
        host_len -= 2;
    }
    snprintf(b->host, sizeof(b->host), "%.*s", (int)host_len, host);
    return TQ_SUCCESS;
}

/* last_log_line writes the last non-empty line of the log at `path` into `out`. */
static void last_log_line(char *out, size_t out_len, const char *path)
{
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    struct tq_diag ignored;
    out[0] = '\0';
    if (path == NULL || !tq_ok(tq_fs_read_all(&ignored, &text, &len, path, 1 << 20)))
        return;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    const char *start = strrchr(text, '\n');
    snprintf(out, out_len, "%s", start ? start + 1 : text);
}

/* spawn starts the broker of `argv` and reads its ready line, saying what the broker said when
 * it does not start. */
static tq_status spawn(struct tq_diag *diag, struct tq_broker_proc *out, char *const *argv,
                       const char *log_path, char *ready, size_t ready_len)
{
    tq_status st =
        tq_proc_start(diag, &out->child, argv, log_path, READY_FD, ready, ready_len, READY_MS);
    if (tq_ok(st))
        return st;
    char why[1024], said[512];
    snprintf(why, sizeof(why), "%s", diag->msg); /* diag->msg is about to be rewritten */
    last_log_line(said, sizeof(said), log_path);
    return tq_diag_fail(diag, st.code, log_path, 0, "the broker did not start: %s%s%s", why,
                        said[0] ? "; it said: " : "", said);
}

/* see broker_proc.h */
tq_status tq_broker_proc_start(struct tq_diag *diag, struct tq_broker_proc *out,
                               const struct tq_broker_proc_options *opts)
{
    char self[4096], exe[4200], listen[128], api[64], parent[32], ready[128];
    TQ_GUARD(tq_fs_self_dir(diag, self, sizeof(self)));
    TQ_GUARD(tq_fs_join(diag, exe, sizeof(exe), self, "tlsqual"));
    if (opts->listen != NULL)
        snprintf(listen, sizeof(listen), "%s", opts->listen);
    else
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", opts->port);
    snprintf(api, sizeof(api), "127.0.0.1:%d", opts->api_port);
    snprintf(parent, sizeof(parent), "%ld", (long)getpid());
    /* --parent-pid: a run that dies (a crash, SIGKILL) must not leave its brokers behind. */
    const char *argv[17 + TQ_BROKER_PROC_MAX_ARGS + 1] = {
        exe,        "broker",          "--pki",      opts->pki_dir, "--listen",     listen,
        "--events", opts->events_path, "--ready-fd", "3",           "--parent-pid", parent};
    size_t n = 12;
    if (opts->api) {
        argv[n++] = "--api";
        argv[n++] = api;
    }
    if (opts->allow_remote)
        argv[n++] = "--allow-remote";
    if (opts->registry_path) {
        argv[n++] = "--registry";
        argv[n++] = opts->registry_path;
    }
    for (size_t i = 0; i < opts->num_args && i < TQ_BROKER_PROC_MAX_ARGS; i++)
        argv[n++] = opts->args[i];
    *out = (struct tq_broker_proc){.child.pid = -1};
    char *const *args = (char *const *)(void *)argv; /* posix_spawn's argv is not const */
    TQ_GUARD(spawn(diag, out, args, opts->log_path, ready, sizeof(ready)));
    tq_status st = parse_ready(diag, out, ready, exe);
    if (!tq_ok(st)) {
        tq_broker_proc_stop(out, 1000);
        return st;
    }
    out->api_port = opts->api ? (int)api_port_from_events(opts->events_path, out->child.pid) : 0;
    if (opts->api && out->api_port <= 0) {
        tq_broker_proc_stop(out, 1000);
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, opts->events_path, 0,
                            "the broker started without reporting its control plane "
                            "(broker_started.api)");
    }
    return TQ_SUCCESS;
}

/* see broker_proc.h */
void tq_broker_proc_stop(struct tq_broker_proc *b, int grace_ms)
{
    int wait_status;
    if (b->child.pid > 0)
        tq_proc_stop(&b->child, grace_ms, &wait_status);
    b->child.pid = -1;
}

/* see broker_proc.h */
void tq_broker_proc_kill(struct tq_broker_proc *b)
{
    if (b->child.pid <= 0)
        return;
    kill(b->child.pid, SIGKILL);
    while (waitpid(b->child.pid, NULL, 0) < 0 && errno == EINTR) {
    }
    b->child.pid = -1;
}
