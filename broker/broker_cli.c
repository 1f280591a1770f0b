/* `tlsqual broker`: the command line, read from one option table. */
#include "broker_cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_options.h"
#include "exit_codes.h"
#include "policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The most options getopt_long is given: the table's, with room to grow. */
enum { MAX_OPTIONS = 48 };

/* print_wrapped prints `text` in the help column (from column 32), wrapped before column 100. */
static void print_wrapped(FILE *out, const char *text)
{
    enum { INDENT = 31, WIDTH = 100 - INDENT };
    while (strlen(text) > WIDTH) {
        int cut = WIDTH;
        while (cut > 0 && text[cut] != ' ')
            cut--;
        if (cut == 0)
            break;
        fprintf(out, "%.*s\n%*s", cut, text, INDENT, "");
        text += cut + 1;
    }
    fprintf(out, "%s\n", text);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: tlsqual broker --pki DIR [options]\n\n"
                 "Serve the mock AWS-IoT-like MQTT broker (TLS with client certificates, "
                 "MQTT 3.1.1 and 5)\nuntil SIGINT or SIGTERM. Events: docs/broker-events.md.\n\n");
    for (size_t i = 0; i < tq_broker_option_count(); i++) {
        const struct tq_broker_option *o = tq_broker_option_at(i);
        char left[48];
        snprintf(left, sizeof(left), "%s%s%s", o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-28s ", left);
        print_wrapped(out, o->help);
    }
    fprintf(out, "\nProfiles (--profile):\n");
    for (size_t i = 0; i < tq_broker_profile_count(); i++)
        fprintf(out, "  %-28s %s\n", tq_broker_profile_at(i)->name, tq_broker_profile_at(i)->help);
}

static void list_policies(FILE *out)
{
    for (size_t i = 0; i < tq_policy_count(); i++) {
        const struct tq_policy *p = tq_policy_at(i);
        fprintf(out, "%-24s %s (ports %s)%s%s\n", p->id, p->aws_name, p->ports,
                p->note[0] ? ": " : "", p->note);
    }
}

static int set_choice(const struct tq_broker_option *o, int *field, const char *value)
{
    for (const struct tq_broker_choice *c = o->choices; c->name != NULL; c++) {
        if (strcmp(c->name, value) == 0) {
            *field = c->value;
            return TQ_EXIT_OK;
        }
    }
    return TQ_EXIT_USAGE; /* tq_broker_option_check refused it first */
}

static void set_number(const struct tq_broker_option *o, char *field, const char *value)
{
    unsigned long n = strtoul(value, NULL, 10); /* checked: 0 to INT_MAX */
    if (o->kind == TQ_BROKER_OPT_FD)
        *(int *)(void *)field = (int)n;
    else
        *(unsigned *)(void *)field = (unsigned)n;
}

/* apply checks `value` of option `o` with the option table, then stores it into `cfg`; returns
 * an exit code, TQ_EXIT_OK to go on, -1 when a help was printed. */
static int apply(const struct tq_broker_option *o, struct tq_broker_config *cfg, const char *value)
{
    const char *want = o->arg != NULL ? tq_broker_option_check(o, value) : NULL;
    if (want != NULL) {
        fprintf(stderr, "tlsqual broker: %s: want %s, got '%s'\n", o->flag, want, value);
        return TQ_EXIT_USAGE;
    }
    char *field = (char *)cfg + o->offset;
    switch (o->kind) {
    case TQ_BROKER_OPT_STRING:
    case TQ_BROKER_OPT_NAME:
        *(const char **)(void *)field = value;
        return TQ_EXIT_OK;
    case TQ_BROKER_OPT_UINT:
    case TQ_BROKER_OPT_FD:
        set_number(o, field, value);
        return TQ_EXIT_OK;
    case TQ_BROKER_OPT_CHOICE:
        return set_choice(o, (int *)(void *)field, value);
    case TQ_BROKER_OPT_FLAG:
        *(bool *)(void *)field = true;
        return TQ_EXIT_OK;
    case TQ_BROKER_OPT_HELP:
        usage(stdout);
        return -1;
    case TQ_BROKER_OPT_HELP_POLICIES:
        list_policies(stdout);
        return -1;
    }
    return TQ_EXIT_FAILED;
}

/* apply_profile fills the options of profile cfg->profile that `set` (by option index) does not
 * mark as given. */
static int apply_profile(struct tq_broker_config *cfg, const bool *set)
{
    const struct tq_broker_profile *p = tq_broker_profile_find(cfg->profile);
    for (size_t k = 0; p != NULL && k < ARRAY_LEN(p->settings) && p->settings[k].flag; k++) {
        const struct tq_broker_option *o = tq_broker_option_find(p->settings[k].flag);
        if (o == NULL)
            return TQ_EXIT_FAILED; /* the profile table names an option that is gone */
        if (set[o - tq_broker_option_at(0)])
            continue;
        int rc = apply(o, cfg, p->settings[k].value);
        if (rc != TQ_EXIT_OK)
            return rc;
    }
    return TQ_EXIT_OK;
}

/* see broker_cli.h */
int tq_broker_cli_parse(struct tq_broker_config *cfg, int argc, char **argv)
{
    size_t num = tq_broker_option_count();
    if (num > MAX_OPTIONS)
        return TQ_EXIT_FAILED;
    struct option longopts[MAX_OPTIONS + 1];
    bool set[MAX_OPTIONS] = {0};
    for (size_t i = 0; i < num; i++) {
        const struct tq_broker_option *o = tq_broker_option_at(i);
        longopts[i] =
            (struct option){o->flag + 2, o->arg ? required_argument : no_argument, NULL, (int)i};
    }
    longopts[num] = (struct option){0};
    optind = 1;
    opterr = 0;
    int index;
    while ((index = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (index == '?' || index == ':') {
            fprintf(stderr,
                    "tlsqual broker: unknown option or missing value: '%s' "
                    "(see --help)\n",
                    argv[optind - 1]);
            return TQ_EXIT_USAGE;
        }
        int rc = apply(tq_broker_option_at((size_t)index), cfg, optarg);
        if (rc != TQ_EXIT_OK)
            return rc;
        set[index] = true;
    }
    if (optind < argc) {
        fprintf(stderr, "tlsqual broker: unexpected argument '%s'\n", argv[optind]);
        return TQ_EXIT_USAGE;
    }
    return apply_profile(cfg, set);
}

static int exit_code_of(tq_status st)
{
    return st.code == TQ_ERR_NOMEM || st.code == TQ_ERR_INTERNAL ? TQ_EXIT_FAILED : TQ_EXIT_USAGE;
}

/* see broker_cli.h */
int tq_broker_cli(int argc, char **argv)
{
    struct tq_broker_config cfg;
    tq_broker_config_defaults(&cfg);
    int rc = tq_broker_cli_parse(&cfg, argc, argv);
    if (rc != TQ_EXIT_OK)
        return rc < 0 ? TQ_EXIT_OK : rc;
    struct tq_diag diag = {0};
    char text[2048];
    struct tq_broker *broker = NULL;
    tq_status st = tq_broker_new(&diag, &broker, &cfg);
    if (!tq_ok(st)) {
        tq_diag_format(text, sizeof(text), &diag);
        fprintf(stderr, "tlsqual broker: %s\n", text);
        return exit_code_of(st);
    }
    st = tq_broker_serve(&diag, broker);
    tq_broker_free(broker);
    if (!tq_ok(st)) {
        tq_diag_format(text, sizeof(text), &diag);
        fprintf(stderr, "tlsqual broker: %s\n", text);
        return TQ_EXIT_FAILED;
    }
    return TQ_EXIT_OK;
}
