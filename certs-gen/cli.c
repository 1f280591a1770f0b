/* cli.c: `tlsqual certs`, a thin command line over tq_certs_generate. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "certs.h"
#include "exit_codes.h"

struct cli_args {
    const char *out;
    bool help;
    struct tq_certs_options options;
};

enum cli_kind { CLI_FLAG, CLI_VALUE };

struct cli_option {
    const char *name;
    enum cli_kind kind;
    size_t offset;          /* of a bool (CLI_FLAG) or a const char * (CLI_VALUE) */
    const char *help;
};

static const struct cli_option cli_options[] = {
    {.name = "--out", .kind = CLI_VALUE, .offset = offsetof(struct cli_args, out),
     .help = "DIR   the folder to fill (required; created if missing)"},
    {.name = "--force", .kind = CLI_FLAG, .offset = offsetof(struct cli_args, options.force),
     .help = "      issue every certificate again (keys are still reused)"},
    {.name = "--quiet", .kind = CLI_FLAG, .offset = offsetof(struct cli_args, options.quiet),
     .help = "      print nothing on success"},
    {.name = "--help", .kind = CLI_FLAG, .offset = offsetof(struct cli_args, help),
     .help = "      print this help"},
};

enum { NUM_CLI_OPTIONS = sizeof(cli_options) / sizeof(cli_options[0]) };

static void usage(FILE *out)
{
    fprintf(out, "usage: tlsqual certs --out DIR [--force] [--quiet]\n\n"
                 "Generates (or brings up to date) the mock AWS-IoT-like PKI in DIR: keys,\n"
                 "certificates, chains, CRLs, manifest.json and registry.json (docs/pki.md).\n"
                 "Existing keys and still-valid certificates are kept.\n\noptions:\n");
    for (size_t k = 0; k < NUM_CLI_OPTIONS; k++)
        fprintf(out, "  %-8s %s\n", cli_options[k].name, cli_options[k].help);
    fprintf(out, "\nexit status: 0 done, 1 failed, 2 usage error\n");
}

static const struct cli_option *find_option(const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    if (strcmp(arg, "-h") == 0)
        arg = "--help";
    for (size_t k = 0; k < NUM_CLI_OPTIONS; k++) {
        size_t len = strlen(cli_options[k].name);
        if (strncmp(arg, cli_options[k].name, len) != 0)
            continue;
        if (arg[len] == '\0')
            return &cli_options[k];
        if (arg[len] == '=' && cli_options[k].kind == CLI_VALUE) {
            *inline_value = arg + len + 1;
            return &cli_options[k];
        }
    }
    return NULL;
}

static tq_status parse_args(struct tq_diag *diag, struct cli_args *args, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        const struct cli_option *opt = find_option(argv[i], &value);
        if (opt == NULL)
            return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "unknown argument '%s'", argv[i]);
        char *field = (char *)args + opt->offset;
        if (opt->kind == CLI_FLAG) {
            *(bool *)field = true;
            continue;
        }
        if (value == NULL && i + 1 < argc)
            value = argv[++i];
        if (value == NULL || value[0] == '\0')
            return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "%s needs a value", opt->name);
        *(const char **)field = value;
    }
    if (!args->help && args->out == NULL)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "--out DIR is required");
    return TQ_SUCCESS;
}

/* see certs.h */
int tq_certs_cli(int argc, char **argv)
{
    struct cli_args args = {0};
    struct tq_diag diag = {0};
    char text[sizeof(diag.path) + sizeof(diag.msg) + 8];
    if (!tq_ok(parse_args(&diag, &args, argc, argv))) {
        tq_diag_format(text, sizeof(text), &diag);
        fprintf(stderr, "tlsqual certs: %s\n\n", text);
        usage(stderr);
        return TQ_EXIT_USAGE;
    }
    if (args.help) {
        usage(stdout);
        return TQ_EXIT_OK;
    }
    if (!tq_ok(tq_certs_generate(&diag, args.out, &args.options))) {
        tq_diag_format(text, sizeof(text), &diag);
        fprintf(stderr, "tlsqual certs: %s\n", text);
        return TQ_EXIT_FAILED;
    }
    return TQ_EXIT_OK;
}
