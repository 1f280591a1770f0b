/* driver.c: tq_backend_main, the command line and the case loop. See backend_ops.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_case.h"
#include "driver_internal.h"

/* The most cases one --run reads: every loop in a backend is bounded. */
#define MAX_CASES 1000000

static int usage(const struct tq_tls_client_ops *ops, const char *why)
{
    fprintf(stderr,
            "tlsqual-backend-%s: %s\nusage: tlsqual-backend-%s --capabilities | --run\n"
            "  --capabilities  print the capabilities line and exit\n"
            "  --run           read cases (JSON lines) on stdin, write result lines on stdout\n"
            "protocol: docs/backend-protocol.md (version 1)\n",
            ops->name, why, ops->name);
    return TQ_BACKEND_EXIT_USAGE;
}

static int report_diag(const struct tq_tls_client_ops *ops, const struct tq_diag *diag,
                       int exit_code)
{
    char text[1600];
    tq_diag_format(text, sizeof(text), diag);
    fprintf(stderr, "tlsqual-backend-%s: %s\n", ops->name, text);
    return exit_code;
}

static int cmd_capabilities(const struct tq_tls_client_ops *ops)
{
    struct tq_diag diag = {0};
    if (!tq_ok(tq__write_capabilities(&diag, stdout, ops)))
        return report_diag(ops, &diag, TQ_BACKEND_EXIT_INTERNAL);
    return TQ_BACKEND_EXIT_OK;
}

/* run_one parses one case line, runs it and writes its result. */
static int run_one(struct tq_config_cache *cache, const char *line, size_t len, unsigned line_no)
{
    const struct tq_tls_client_ops *ops = cache->ops;
    struct tq_diag diag = {0};
    struct tq_client_config cfg;
    if (!tq_ok(tq_case_parse(&diag, &cfg, line, len))) {
        diag.line = line_no;
        snprintf(diag.path, sizeof(diag.path), "<stdin>");
        return report_diag(ops, &diag, TQ_BACKEND_EXIT_USAGE);
    }
    struct tq_case_result result;
    tq__run_case(&result, cache, &cfg);
    tq_status st = tq__write_result(&diag, stdout, &result);
    tq_case_cleanup(&cfg);
    if (!tq_ok(st))
        return report_diag(ops, &diag, TQ_BACKEND_EXIT_INTERNAL);
    return TQ_BACKEND_EXIT_OK;
}

static int cmd_run(const struct tq_tls_client_ops *ops)
{
    char *line TQ_DEFER(tq_free_ptr) = malloc(TQ_CASE_MAX_LINE + 1);
    if (line == NULL)
        return TQ_BACKEND_EXIT_INTERNAL;
    /* The configured context of the last case, reused while the cases ask for the same one. */
    struct tq_config_cache cache TQ_DEFER(tq_config_cache_cleanup);
    tq_config_cache_init(&cache, ops);
    for (unsigned line_no = 1; line_no <= MAX_CASES; line_no++) {
        struct tq_diag diag = {0};
        size_t len = 0;
        bool eof = false;
        if (!tq_ok(tq_case_read_line(&diag, line, &len, &eof, TQ_CASE_MAX_LINE + 1, stdin))) {
            diag.line = line_no;
            snprintf(diag.path, sizeof(diag.path), "<stdin>");
            return report_diag(ops, &diag, TQ_BACKEND_EXIT_USAGE);
        }
        if (eof)
            return TQ_BACKEND_EXIT_OK;
        if (len == 0)
            continue;
        int rc = run_one(&cache, line, len, line_no);
        if (rc != TQ_BACKEND_EXIT_OK)
            return rc;
    }
    fprintf(stderr, "tlsqual-backend-%s: more than %d cases\n", ops->name, MAX_CASES);
    return TQ_BACKEND_EXIT_USAGE;
}

/* The command table. */
static const struct {
    const char *flag;
    int (*run)(const struct tq_tls_client_ops *ops);
} commands[] = {
    {"--capabilities", cmd_capabilities},
    {"--run", cmd_run},
};

static bool ops_complete(const struct tq_tls_client_ops *ops)
{
    return ops->name != NULL && ops->global_init != NULL && ops->library_version != NULL &&
           ops->list_names != NULL && ops->configure != NULL && ops->release != NULL &&
           ops->open != NULL && ops->handshake != NULL && ops->read != NULL && ops->write != NULL &&
           ops->describe != NULL && ops->close != NULL && ops->cleanup != NULL;
}

/* see backend_ops.h */
int tq_backend_main(const struct tq_tls_client_ops *ops, int argc, char **argv)
{
    if (!ops_complete(ops)) {
        fprintf(stderr, "tlsqual backend: the ops table leaves a member NULL\n");
        return TQ_BACKEND_EXIT_INTERNAL;
    }
    if (argc != 2)
        return usage(ops, "want exactly one argument");
    signal(SIGPIPE, SIG_IGN); /* a peer that closes early is an outcome, not a signal */
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].flag) != 0)
            continue;
        struct tq_diag diag = {0};
        if (!tq_ok(ops->global_init(&diag)))
            return report_diag(ops, &diag, TQ_BACKEND_EXIT_INTERNAL);
        return commands[i].run(ops);
    }
    return usage(ops, "unknown argument");
}
