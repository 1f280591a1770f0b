/* `tlsqual broker`: the command line, read from one option table. */
#include "broker_cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_CONFIG = 2 };

enum option_kind { OPT_STRING, OPT_UINT, OPT_FD, OPT_CHOICE, OPT_HELP, OPT_HELP_POLICIES };

struct choice {
    const char *name;
    int value;
};

static const struct choice qos2_choices[] = {
    {"ignore", TQ_QOS2_IGNORE}, {"grant1", TQ_QOS2_GRANT1}, {"reject", TQ_QOS2_REJECT}, {0}};
static const struct choice sni_choices[] = {
    {"optional", TQ_SNI_OPTIONAL}, {"required", TQ_SNI_REQUIRED}, {"endpoint", TQ_SNI_ENDPOINT},
    {0}};
static const struct choice refusal_choices[] = {
    {"alert", TQ_REFUSE_ALERT}, {"close", TQ_REFUSE_CLOSE},
    {"after-connect", TQ_REFUSE_AFTER_CONNECT}, {0}};

struct option_spec {
    const char *name;
    enum option_kind kind;
    size_t offset;                 /* into struct tq_broker_config */
    const struct choice *choices;  /* OPT_CHOICE only */
    const char *arg;               /* shown in the usage, NULL: no argument */
    const char *help;
};

#define CFG(field) offsetof(struct tq_broker_config, field)

static const struct option_spec option_specs[] = {
    {"endpoint", OPT_STRING, CFG(endpoint), NULL, "TYPE", "server chain set: ats (default)"},
    {"events", OPT_STRING, CFG(events_path), NULL, "FILE",
     "append JSON-lines events to FILE (default: stdout)"},
    {"handshake-timeout", OPT_UINT, CFG(handshake_timeout_s), NULL, "SECONDS",
     "deadline for the TLS handshake, then for CONNECT (default 10)"},
    {"help", OPT_HELP, 0, NULL, NULL, "print this help and exit"},
    {"help-policies", OPT_HELP_POLICIES, 0, NULL, NULL, "list the security policies and exit"},
    {"listen", OPT_STRING, CFG(listen), NULL, "HOST:PORT",
     "listen address, port 0 picks one (default " TQ_BROKER_DEFAULT_LISTEN ")"},
    {"pki", OPT_STRING, CFG(pki_dir), NULL, "DIR", "the PKI from `tlsqual certs` (required)"},
    {"policy", OPT_STRING, CFG(policy), NULL, "NAME",
     "AWS IoT security policy, id or IoTSecurityPolicy_ name (default " TQ_POLICY_DEFAULT_ID
     "; list: --help-policies)"},
    {"qos2", OPT_CHOICE, CFG(qos2), qos2_choices, "MODE",
     "SUBSCRIBE asking QoS 2: ignore (no SUBACK, as AWS documents), grant1, reject"},
    {"ready-fd", OPT_FD, CFG(ready_fd), NULL, "FD",
     "write the bound HOST:PORT and a newline to FD, then close it"},
    {"refusal", OPT_CHOICE, CFG(refusal), refusal_choices, "STYLE",
     "refuse a certificate the registry rejects: alert (default), close, after-connect"},
    {"refusal-alert", OPT_STRING, CFG(refusal_alert), NULL, "ALERT",
     "alert for --refusal alert: certificate_unknown (default), bad_certificate, "
     "certificate_revoked, handshake_failure"},
    {"sni", OPT_CHOICE, CFG(sni), sni_choices, "MODE",
     "optional (default), required, endpoint (required and equal to the ATS endpoint name)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: tlsqual broker --pki DIR [options]\n\n"
                 "Serve the mock AWS-IoT-like MQTT broker (TLS with client certificates, "
                 "MQTT 3.1.1)\nuntil SIGINT or SIGTERM. Events: docs/broker-events.md.\n\n");
    for (size_t i = 0; i < ARRAY_LEN(option_specs); i++) {
        const struct option_spec *o = &option_specs[i];
        char left[48];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-28s %s\n", left, o->help);
    }
}

static void list_policies(FILE *out)
{
    for (size_t i = 0; i < tq_policy_count(); i++) {
        const struct tq_policy *p = tq_policy_at(i);
        fprintf(out, "%-24s %s (ports %s)%s%s\n", p->id, p->aws_name, p->ports,
                p->note[0] ? ": " : "", p->note);
    }
}

static int bad_value(const struct option_spec *o, const char *value, const char *want)
{
    fprintf(stderr, "tlsqual broker: --%s: want %s, got '%s'\n", o->name, want, value);
    return EXIT_CONFIG;
}

static int set_choice(const struct option_spec *o, int *field, const char *value)
{
    for (const struct choice *c = o->choices; c->name != NULL; c++) {
        if (strcmp(c->name, value) == 0) {
            *field = c->value;
            return EXIT_OK;
        }
    }
    return bad_value(o, value, "one of the values listed by --help");
}

static int set_number(const struct option_spec *o, char *field, const char *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || n > INT_MAX)
        return bad_value(o, value, "a non-negative integer");
    if (o->kind == OPT_FD)
        *(int *)(void *)field = (int)n;
    else
        *(unsigned *)(void *)field = (unsigned)n;
    return EXIT_OK;
}

/* apply stores `value` of option `o` into `cfg`; returns an exit code, EXIT_OK to go on. */
static int apply(const struct option_spec *o, struct tq_broker_config *cfg, const char *value)
{
    char *field = (char *)cfg + o->offset;
    switch (o->kind) {
    case OPT_STRING:
        *(const char **)(void *)field = value;
        return EXIT_OK;
    case OPT_UINT:
    case OPT_FD:
        return set_number(o, field, value);
    case OPT_CHOICE:
        return set_choice(o, (int *)(void *)field, value);
    case OPT_HELP:
        usage(stdout);
        return -1;
    case OPT_HELP_POLICIES:
        list_policies(stdout);
        return -1;
    }
    return EXIT_RUNTIME;
}

static int parse(int argc, char **argv, struct tq_broker_config *cfg)
{
    struct option longopts[ARRAY_LEN(option_specs) + 1];
    for (size_t i = 0; i < ARRAY_LEN(option_specs); i++)
        longopts[i] = (struct option){option_specs[i].name,
                                      option_specs[i].arg ? required_argument : no_argument,
                                      NULL, (int)i};
    longopts[ARRAY_LEN(option_specs)] = (struct option){0};
    optind = 1;
    opterr = 0;
    int index;
    while ((index = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (index == '?' || index == ':') {
            fprintf(stderr, "tlsqual broker: unknown option or missing value: '%s' "
                            "(see --help)\n", argv[optind - 1]);
            return EXIT_CONFIG;
        }
        int rc = apply(&option_specs[index], cfg, optarg);
        if (rc != EXIT_OK)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "tlsqual broker: unexpected argument '%s'\n", argv[optind]);
        return EXIT_CONFIG;
    }
    return EXIT_OK;
}

static int exit_code_of(tq_status st)
{
    return st.code == TQ_ERR_NOMEM || st.code == TQ_ERR_INTERNAL ? EXIT_RUNTIME : EXIT_CONFIG;
}

/* see broker_cli.h */
int tq_broker_cli(int argc, char **argv)
{
    struct tq_broker_config cfg;
    tq_broker_config_defaults(&cfg);
    int rc = parse(argc, argv, &cfg);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
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
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
