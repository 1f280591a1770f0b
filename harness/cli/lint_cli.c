/* `tlsqual lint`: every scenario file checked, nothing run. */
#include "run_cli.h"

#include <getopt.h>
#include <stdio.h>

#include "catalog.h"
#include "cli_common.h"

static const char lint_usage[] =
    "usage: tlsqual lint [--scenarios DIR] [--pki DIR] [--facts FILE]\n"
    "Checks every scenario file (syntax, keys, values, unique names of at most 66\n"
    "characters, certificate names: those of the PKI given with --pki, else those\n"
    "`tlsqual certs` generates; each spec: a heading of the facts file (--facts, default\n"
    "../shared/aws-iot-facts.md beside the source) or an RFC section) and prints\n"
    "file:line: problem. Needs no PKI, no network.\n"
    "Exit 0: all good; 2: a problem was found.\n";

/* see run_cli.h */
int tq_lint_cli(int argc, char **argv)
{
    static const struct option longopts[] = {{"scenarios", required_argument, NULL, 's'},
                                             {"pki", required_argument, NULL, 'p'},
                                             {"facts", required_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *dir = tq_cli_default_scenarios_dir(), *pki_dir = NULL, *facts = tq_cli_default_facts_path();
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        if (c == 's')
            dir = optarg;
        else if (c == 'p')
            pki_dir = optarg;
        else if (c == 'f')
            facts = optarg;
        else {
            fputs(lint_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? TQ_EXIT_OK : TQ_EXIT_USAGE;
        }
    }
    static struct tq_catalog cat;
    size_t problems = 0;
    if (tq_ok(tq_catalog_load(&cat, &problems, dir, stderr)))
        problems += tq_catalog_check_specs(&cat, facts, stderr);
    struct tq_manifest *pki = NULL;
    struct tq_diag diag = {0};
    if (pki_dir && !tq_ok(tq_manifest_load(&diag, &pki, pki_dir))) {
        tq_cli_print_diag("tlsqual lint", &diag);
        problems++;
    } else {
        problems += tq_catalog_check_pki(&cat, pki, stderr);
    }
    printf("tlsqual lint: %zu scenario(s), %zu problem(s)\n", cat.num, problems);
    tq_manifest_free(pki);
    tq_catalog_cleanup(&cat);
    return problems ? TQ_EXIT_USAGE : TQ_EXIT_OK;
}
