#include "broker_proc.h"

#include <jansson.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"

enum {
    READY_FD = 3,
    READY_MS = 15000,
    MAX_EVENTS_BYTES = 64 << 20,
};

/* api_port_from_events reads the control plane's port from the last broker_started event
 * (written before the ready line); 0 when there is none. */
static int api_port_from_events(const char *events_path)
{
    char *text = NULL;
    size_t len = 0;
    struct tq_diag ignored;
    if (!tq_ok(tq_fs_read_all(&ignored, &text, &len, events_path, MAX_EVENTS_BYTES)))
        return 0;
    int port = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, "\"broker_started\"") == NULL)
            continue;
        json_t *event = json_loads(line, 0, NULL);
        const char *api = json_string_value(json_object_get(event, "api"));
        const char *colon = api ? strrchr(api, ':') : NULL;
        port = colon ? atoi(colon + 1) : 0;
        json_decref(event);
    }
    free(text);
    return port;
}

static tq_status parse_ready(struct tq_diag *diag, struct tq_broker_proc *b, const char *ready,
                             const char *exe)
{
    const char *colon = strrchr(ready, ':');
    if (colon == NULL || (b->port = atoi(colon + 1)) <= 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, exe, 0,
                            "broker's ready line '%s' is not HOST:PORT", ready);
    snprintf(b->host, sizeof(b->host), "%.*s", (int)(colon - ready), ready);
    return TQ_SUCCESS;
}

/* see broker_proc.h */
tq_status tq_broker_proc_start(struct tq_diag *diag, struct tq_broker_proc *out,
                               const struct tq_broker_proc_options *opts)
{
    char self[4096], exe[4200], listen[64], api[64], parent[32], ready[128];
    TQ_GUARD(tq_fs_self_dir(diag, self, sizeof(self)));
    TQ_GUARD(tq_fs_join(diag, exe, sizeof(exe), self, "tlsqual"));
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", opts->port);
    snprintf(api, sizeof(api), "127.0.0.1:%d", opts->api_port);
    snprintf(parent, sizeof(parent), "%ld", (long)getpid());
    /* --parent-pid: a run that dies (a crash, SIGKILL) must not leave its brokers behind. */
    const char *argv[16 + TQ_BROKER_PROC_MAX_ARGS + 1] = {
        exe, "broker", "--pki", opts->pki_dir, "--listen", listen, "--events",
        opts->events_path, "--ready-fd", "3", "--parent-pid", parent};
    size_t n = 12;
    if (opts->api) {
        argv[n++] = "--api";
        argv[n++] = api;
    }
    if (opts->registry_path) {
        argv[n++] = "--registry";
        argv[n++] = opts->registry_path;
    }
    for (size_t i = 0; i < opts->num_args && i < TQ_BROKER_PROC_MAX_ARGS; i++)
        argv[n++] = opts->args[i];
    *out = (struct tq_broker_proc){.child.pid = -1};
    char *const *args = (char *const *)(void *)argv; /* posix_spawn's argv is not const */
    TQ_GUARD(tq_proc_start(diag, &out->child, args, opts->log_path, READY_FD, ready,
                           sizeof(ready), READY_MS));
    tq_status st = parse_ready(diag, out, ready, exe);
    if (!tq_ok(st)) {
        tq_broker_proc_stop(out, 1000);
        return st;
    }
    out->api_port = opts->api ? api_port_from_events(opts->events_path) : 0;
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
