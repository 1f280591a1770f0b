/* run_cli.h: the harness's subcommands: `tlsqual run` and `tlsqual lint`. */
#ifndef TQ_RUN_CLI_H
#define TQ_RUN_CLI_H

#include "exit_codes.h" /* enum tq_exit: the exit codes of every subcommand */

/* tq_run_cli is `tlsqual run`: argv[0] is "run". Returns an enum tq_exit. */
int tq_run_cli(int argc, char **argv);

/* tq_lint_cli is `tlsqual lint`: argv[0] is "lint". Returns an enum tq_exit. */
int tq_lint_cli(int argc, char **argv);

/* tq_merge_cli is `tlsqual merge`: argv[0] is "merge". Returns an enum tq_exit. */
int tq_merge_cli(int argc, char **argv);

#endif
