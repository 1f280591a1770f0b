/* broker_proc.h: a `tlsqual broker` child process of the harness, started and stopped.
 *
 * The runner starts one broker per distinct set of scenario settings (shared by every case that
 * asks for them) and, for a lifecycle scenario, a private one per case whose registry the case
 * may change and which it may kill and restart; device mode starts one per plan case on the
 * operator's address. Brokers bind 127.0.0.1 unless told otherwise, and every one stops when the
 * process that started it is gone (--parent-pid), even after a SIGKILL of that process. */
#ifndef TQ_BROKER_PROC_H
#define TQ_BROKER_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"
#include "status.h"

/* The most setting arguments ("--option", "value" pairs) passed to one broker. */
#define TQ_BROKER_PROC_MAX_ARGS 24

struct tq_broker_proc_options {
    const char *pki_dir;
    const char *events_path; /* events are appended there */
    const char *log_path;    /* the broker's stderr */
    const char *const *args; /* scenario settings (tq_scenario_broker_args), borrowed */
    size_t num_args;
    int port;                  /* 0: any free port; with 127.0.0.1 when `listen` is NULL */
    const char *listen;        /* HOST:PORT to bind instead (device mode), or NULL */
    bool allow_remote;         /* pass --allow-remote: `listen` is the user's explicit word */
    bool api;                  /* serve the control plane (--api) too */
    int api_port;              /* 0: any free port */
    const char *registry_path; /* NULL: the PKI's registry.json */
};

struct tq_broker_proc {
    struct tq_proc_child child;
    char host[96]; /* as it listens, without [] around an IPv6 address */
    int port;
    int api_port; /* 0: no control plane */
};

/* tq_broker_proc_start starts a broker with `opts` and waits until it listens. The events file
 * is not truncated: a restarted broker appends to the same file. A broker that does not start
 * fails with the last line it wrote to its log in the message. */
TQ_MUST_USE tq_status tq_broker_proc_start(struct tq_diag *diag, struct tq_broker_proc *out,
                                           const struct tq_broker_proc_options *opts);

/* tq_broker_proc_stop stops the broker (SIGTERM, then SIGKILL after `grace_ms`). */
void tq_broker_proc_stop(struct tq_broker_proc *b, int grace_ms);

/* tq_broker_proc_kill ends the broker with SIGKILL, as a crash would, and reaps it. */
void tq_broker_proc_kill(struct tq_broker_proc *b);

#endif
