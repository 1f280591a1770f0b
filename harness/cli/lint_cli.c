/* `tlsqual lint`: every scenario file checked, nothing run. */
#include "run_cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>

#include "catalog.h"
#include "cli_common.h"
#include "fs.h"

static const char lint_usage[] =
    "usage: tlsqual lint [--scenarios DIR] [--pki DIR] [--docs DIR]\n"
    "Checks every scenario file (*.yaml, *.yml: syntax, keys, values, unique names of at\n"
    "most 66 characters; certificate names: those of the PKI given with --pki, else those\n"
    "`tlsqual certs` generates; each spec: an anchor of the AWS IoT reference, by the rule\n"
    "of docs/aws-iot/README.md, or an RFC section) and the cases that DIR/known-deviations.txt\n"
    "names, and prints file:line: problem. Needs no PKI, no network.\n\n"
    "  --scenarios DIR   scenario folder (default: ./scenarios, else the suite of the source\n"
    "                    tree tlsqual was built from; the first line says which)\n"
    "  --pki DIR         check certificate names against this PKI's manifest\n"
    "  --docs DIR        the AWS IoT reference that spec: cites as docs/aws-iot/ (default:\n"
    "                    docs/aws-iot beside the scenario folder)\n"
    "Exit 0: all good; 2: a problem was found, or no scenario file at all.\n";

struct lint_options {
    const char *dir, *why, *pki_dir, *docs;
};

static int parse_lint_options(struct lint_options *o, int argc, char **argv)
{
    static const struct option longopts[] = {{"scenarios", required_argument, NULL, 's'},
                                             {"pki", required_argument, NULL, 'p'},
                                             {"docs", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *o = (struct lint_options){.dir = NULL};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        if (c == 's')
            o->dir = optarg;
        else if (c == 'p')
            o->pki_dir = optarg;
        else if (c == 'd')
            o->docs = optarg;
        else {
            fputs(lint_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? -1 : TQ_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tlsqual lint: unexpected argument '%s'\n%s", argv[optind], lint_usage);
        return TQ_EXIT_USAGE;
    }
    o->why = "given with --scenarios";
    if (o->dir == NULL && (o->dir = tq_cli_default_scenarios_dir(&o->why)) == NULL) {
        tq_cli_scenarios_missing("lint");
        return TQ_EXIT_USAGE;
    }
    return TQ_EXIT_OK;
}

/* check_baseline checks the cases the scenario folder's known-deviations.txt names (not its
 * backends: lint runs none, and a vendor's exec: backend is known only to the run). */
static size_t check_baseline(const struct tq_catalog *cat, const char *dir)
{
    char path[PATH_MAX];
    struct tq_diag diag = {0};
    struct tq_baseline *b = NULL;
    if (!tq_ok(tq_fs_join(&diag, path, sizeof(path), dir, "known-deviations.txt")) ||
        !tq_fs_exists(path))
        return 0;
    if (!tq_ok(tq_baseline_load(&diag, &b, path))) {
        tq_cli_print_diag("tlsqual lint", &diag);
        return 1;
    }
    size_t problems = tq_cli_check_baseline(b, cat, false, NULL, 0);
    tq_baseline_free(b);
    return problems;
}

/* see run_cli.h */
int tq_lint_cli(int argc, char **argv)
{
    struct lint_options o;
    int rc = parse_lint_options(&o, argc, argv);
    if (rc != TQ_EXIT_OK)
        return rc < 0 ? TQ_EXIT_OK : rc;
    printf("tlsqual lint: scenarios from %s (%s)\n", o.dir, o.why);
    static struct tq_catalog cat;
    size_t problems = 0;
    if (tq_ok(tq_catalog_load(&cat, &problems, o.dir, stderr))) {
        problems += tq_cli_check_specs("lint", &cat, o.docs, o.dir);
        problems += check_baseline(&cat, o.dir);
    }
    struct tq_manifest *pki = NULL;
    struct tq_diag diag = {0};
    if (o.pki_dir && !tq_ok(tq_manifest_load(&diag, &pki, o.pki_dir))) {
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
