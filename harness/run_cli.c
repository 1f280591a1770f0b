#include <stdio.h>

#include "run_cli.h"

/* Development scaffold, replaced by the runner before the first commit. */
int tq_run_cli(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "tlsqual run: under construction\n");
    return TQ_EXIT_FAILED;
}

int tq_lint_cli(int argc, char **argv)
{
    (void)argc, (void)argv;
    return TQ_EXIT_FAILED;
}
