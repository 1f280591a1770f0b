/* tlsqual: one executable, one subcommand per job. */
#include <stdio.h>
#include <string.h>

#include "broker_cli.h"
#include "certs.h"
#include "device.h"
#include "run_cli.h"

struct subcommand {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"run", tq_run_cli, "run scenarios through backends against the mock broker"},
    {"lint", tq_lint_cli, "check every scenario file without running anything"},
    {"merge", tq_merge_cli, "combine the reports of several shards into one"},
    {"certs", tq_certs_cli, "generate the mock PKI (AWS-IoT-like chains, device certificates)"},
    {"broker", tq_broker_cli, "serve the mock AWS-IoT-like MQTT broker"},
    {"device", tq_device_cli, "qualify a real device: play a test plan, one case per connection"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: tlsqual <command> [options]\n       tlsqual --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\n'tlsqual <command> --help' describes one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TQ_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tlsqual %s\n", TQ_VERSION);
        return TQ_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return TQ_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "tlsqual: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return TQ_EXIT_USAGE;
}
