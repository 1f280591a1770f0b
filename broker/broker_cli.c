#include <stdio.h>
#include "broker_cli.h"
/* Development scaffold: the broker helper replaces this file. */
int tq_broker_cli(int argc, char **argv) { (void)argc, (void)argv; fprintf(stderr, "broker: under construction\n"); return 1; }
