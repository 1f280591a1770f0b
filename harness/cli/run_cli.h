/* run_cli.h: the harness's subcommands: `tlsqual run` and `tlsqual lint`. */
#ifndef TQ_RUN_CLI_H
#define TQ_RUN_CLI_H

/* Exit codes shared by every subcommand. */
enum tq_exit {
    TQ_EXIT_OK = 0,        /* everything passed */
    TQ_EXIT_FAILED = 1,    /* a case failed, or the work could not be done */
    TQ_EXIT_USAGE = 2,     /* bad command line or configuration (a scenario, a file) */
};

/* tq_run_cli is `tlsqual run`: argv[0] is "run". Returns an enum tq_exit. */
int tq_run_cli(int argc, char **argv);

/* tq_lint_cli is `tlsqual lint`: argv[0] is "lint". Returns an enum tq_exit. */
int tq_lint_cli(int argc, char **argv);

/* tq_merge_cli is `tlsqual merge`: argv[0] is "merge". Returns an enum tq_exit. */
int tq_merge_cli(int argc, char **argv);

#endif
