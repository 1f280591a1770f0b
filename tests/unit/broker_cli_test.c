/* Tests for broker/broker_cli.c: configuration errors exit 2 without serving. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "broker_cli.h"

#define DATA TQ_TEST_DATA_DIR "/broker/"

/* run passes copies: getopt_long may permute argv, and literals are const. */
static int run(int argc, const char *const *argv)
{
    char *copy[8] = {0};
    cr_assert_lt(argc, 8);
    for (int i = 0; i < argc; i++)
        copy[i] = strdup(argv[i]);
    int rc = tq_broker_cli(argc, copy);
    for (int i = 0; i < argc; i++)
        free(copy[i]);
    return rc;
}

static const struct {
    const char *name;
    const char *argv[6];
} bad_cases[] = {
    {"no --pki", {"broker", NULL}},
    {"unknown option", {"broker", "--bogus", NULL}},
    {"missing PKI folder", {"broker", "--pki", "/nonexistent-pki", NULL}},
    {"bad listen address", {"broker", "--pki", DATA, "--listen", "localhost", NULL}},
    {"bad qos2 mode", {"broker", "--pki", DATA, "--qos2", "downgrade", NULL}},
    {"bad ready fd", {"broker", "--pki", DATA, "--ready-fd", "-3", NULL}},
    {"stray argument", {"broker", "--pki", DATA, "extra", NULL}},
};

Test(broker_cli, configuration_errors_exit_2, .init = cr_redirect_stderr)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        int argc = 0;
        while (bad_cases[i].argv[argc] != NULL)
            argc++;
        cr_expect_eq(run(argc, bad_cases[i].argv), 2, "%s", bad_cases[i].name);
    }
}

Test(broker_cli, help_exits_0, .init = cr_redirect_stdout)
{
    const char *const argv[] = {"broker", "--help", NULL};
    cr_expect_eq(run(2, argv), 0);
}
