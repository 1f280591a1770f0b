/* cli.c: `tlsqual certs`, a thin command line over tq_certs_generate. Options are parsed with
 * getopt_long, as every other tlsqual command does. */
#include <getopt.h>
#include <stdio.h>

#include "certs.h"
#include "exit_codes.h"

static const char usage_text[] =
    "usage: tlsqual certs --out DIR [--force] [--quiet]\n\n"
    "Generates (or brings up to date) the mock AWS-IoT-like PKI in DIR: keys,\n"
    "certificates, chains, CRLs, manifest.json and registry.json (docs/pki.md).\n"
    "Existing keys and still-valid certificates are kept.\n\n"
    "options:\n"
    "  --out DIR  the folder to fill (required; created if missing)\n"
    "  --force    issue every certificate again (keys are still reused)\n"
    "  --quiet    print nothing on success\n"
    "  --help     print this help\n\n"
    "exit status: 0 done, 1 failed, 2 usage error\n";

/* usage_error prints what was wrong with argument `arg` and the usage on stderr, and returns
 * the usage exit code. */
static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "tlsqual certs: %s%s%s%s\n\n%s", what, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "", usage_text);
    return TQ_EXIT_USAGE;
}

/* see certs.h */
int tq_certs_cli(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"force", no_argument, NULL, 'f'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *out = NULL;
    struct tq_certs_options options = {0};
    optind = 1;
    opterr = 0; /* the message below names the argument */
    for (int c; (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1;) {
        if (c == 'o')
            out = optarg;
        else if (c == 'f')
            options.force = true;
        else if (c == 'q')
            options.quiet = true;
        else if (c == 'h')
            return fputs(usage_text, stdout), TQ_EXIT_OK;
        else
            return usage_error(c == ':' ? "this option needs a value" : "unknown option",
                               argv[optind - 1]);
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if (out == NULL || out[0] == '\0')
        return usage_error("--out DIR is required", NULL);
    struct tq_diag diag = {0};
    if (!tq_ok(tq_certs_generate(&diag, out, &options))) {
        char text[sizeof(diag.path) + sizeof(diag.msg) + 8];
        tq_diag_format(text, sizeof(text), &diag);
        fprintf(stderr, "tlsqual certs: %s\n", text);
        return TQ_EXIT_FAILED;
    }
    return TQ_EXIT_OK;
}
