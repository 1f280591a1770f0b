#include <stdio.h>
#include "certs.h"
/* Development scaffold: the certs-gen helper replaces this file. */
int tq_certs_cli(int argc, char **argv) { (void)argc, (void)argv; fprintf(stderr, "certs: under construction\n"); return 1; }
