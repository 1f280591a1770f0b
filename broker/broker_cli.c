/* `tlsqual broker`: the command line, read from one option table. */
#include "broker_cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_CONFIG = 2 };

enum option_kind {
    OPT_STRING, OPT_UINT, OPT_FD, OPT_CHOICE, OPT_PROFILE, OPT_FLAG, OPT_HELP, OPT_HELP_POLICIES
};

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
static const struct choice chain_choices[] = {
    {"short", TQ_CHAIN_SHORT}, {"cross", TQ_CHAIN_CROSS}, {"cross-g2", TQ_CHAIN_CROSS_G2}, {0}};
static const struct choice listener_choices[] = {
    {"mqtt", TQ_LISTENER_MQTT}, {"alpn", TQ_LISTENER_ALPN}, {0}};
static const struct choice validity_choices[] = {
    {"strict", TQ_VALIDITY_STRICT}, {"ignore", TQ_VALIDITY_IGNORE}, {0}};
static const struct choice crl_choices[] = {{"off", TQ_CRL_OFF}, {"on", TQ_CRL_ON}, {0}};
static const struct choice shared_cert_choices[] = {
    {"allow", TQ_SHARED_CERT_ALLOW}, {"refuse", TQ_SHARED_CERT_REFUSE}, {0}};

/* A profile is a bundle of option values. It only fills options that the command line does not
 * set itself, wherever --profile appears. */
struct profile_setting {
    const char *option;
    const char *value;
};

static const struct {
    const char *name;
    const char *help;
    struct profile_setting settings[4];
} profiles[] = {
    {"aws", "what AWS IoT Core is documented or observed to do (the defaults)",
     {{"validity", "strict"}, {"crl", "off"}, {"shared-cert", "allow"}, {"sni", "optional"}}},
    {"strict", "RFC-strict: validity strict, crl on, shared-cert refuse, sni required",
     {{"validity", "strict"}, {"crl", "on"}, {"shared-cert", "refuse"}, {"sni", "required"}}},
};

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
    {"allow-remote", OPT_FLAG, CFG(allow_remote), NULL, NULL,
     "let --listen and --api bind a non-loopback address (refused otherwise: the control "
     "plane has no authentication, the PKI's keys are test keys)"},
    {"api", OPT_STRING, CFG(api), NULL, "HOST:PORT",
     "serve the AWS IoT certificate API (aws iot ... --endpoint-url http://HOST:PORT) there, "
     "loopback only unless --allow-remote; port 0 picks one (event broker_started.api); off by "
     "default"},
    {"chain", OPT_CHOICE, CFG(chain), chain_choices, "VARIANT",
     "ATS chain sent: short (leaf+intermediate, default), cross (+ cross-signed root), "
     "cross-g2 (4 deep, + cross-signed Starfield G2)"},
    {"crl", OPT_CHOICE, CFG(crl), crl_choices, "on|off",
     "check device certificates against their CA's CRL (default off, as AWS)"},
    {"endpoint", OPT_STRING, CFG(endpoint), NULL, "TYPE",
     "server chain set: ats (default), legacy (VeriSign-like RSA chain for every suite)"},
    {"events", OPT_STRING, CFG(events_path), NULL, "FILE",
     "append JSON-lines events to FILE (default: stdout)"},
    {"handshake-timeout", OPT_UINT, CFG(handshake_timeout_s), NULL, "SECONDS",
     "deadline for the TLS handshake, then for CONNECT (default 10)"},
    {"help", OPT_HELP, 0, NULL, NULL, "print this help and exit"},
    {"help-policies", OPT_HELP_POLICIES, 0, NULL, NULL, "list the security policies and exit"},
    {"keepalive-min", OPT_UINT, CFG(keepalive_min_s), NULL, "SECONDS",
     "smallest effective keep-alive (default 30, as AWS); lower values are for tests"},
    {"listen", OPT_STRING, CFG(listen), NULL, "HOST:PORT",
     "listen address, loopback only unless --allow-remote; port 0 picks one (default "
     TQ_BROKER_DEFAULT_LISTEN ")"},
    {"listener", OPT_CHOICE, CFG(listener), listener_choices, "MODE",
     "mqtt (8883-style, default); alpn (443-style: ALPN x-amzn-mqtt-ca required, else "
     "no_application_protocol)"},
    {"pki", OPT_STRING, CFG(pki_dir), NULL, "DIR", "the PKI from `tlsqual certs` (required)"},
    {"policy", OPT_STRING, CFG(policy), NULL, "NAME",
     "AWS IoT security policy, id or IoTSecurityPolicy_ name (default " TQ_POLICY_DEFAULT_ID
     "; list: --help-policies)"},
    {"profile", OPT_PROFILE, CFG(profile), NULL, "NAME",
     "aws (default) or strict: bundles of settings (below); explicit options win"},
    {"qos2", OPT_CHOICE, CFG(qos2), qos2_choices, "MODE",
     "SUBSCRIBE asking QoS 2: ignore (no SUBACK, as AWS documents), grant1, reject"},
    {"parent-pid", OPT_UINT, CFG(parent_pid), NULL, "PID",
     "stop (as on SIGTERM) when process PID, the one that started the broker, is gone; "
     "tlsqual run passes it so that no broker outlives a run that died"},
    {"ready-fd", OPT_FD, CFG(ready_fd), NULL, "FD",
     "write the bound HOST:PORT and a newline to FD, then close it"},
    {"refusal", OPT_CHOICE, CFG(refusal), refusal_choices, "STYLE",
     "refuse a certificate the registry rejects: alert (default), close, after-connect"},
    {"refusal-alert", OPT_STRING, CFG(refusal_alert), NULL, "ALERT",
     "alert for --refusal alert: certificate_unknown (default), bad_certificate, "
     "certificate_revoked, handshake_failure"},
    {"registry", OPT_STRING, CFG(registry_path), NULL, "FILE",
     "the registry file to serve and change (default: the PKI's registry.json); its cert "
     "files stay relative to the PKI"},
    {"server-cert", OPT_STRING, CFG(server_cert), NULL, "NAME",
     "serve artifact NAME's chain and key for every suite (e.g. server-expired)"},
    {"shared-cert", OPT_CHOICE, CFG(shared_cert), shared_cert_choices, "MODE",
     "one certificate, two client IDs at once: allow (default, event only), refuse"},
    {"sni", OPT_CHOICE, CFG(sni), sni_choices, "MODE",
     "optional (default), required, endpoint (required and equal to the ATS endpoint name)"},
    {"validity", OPT_CHOICE, CFG(validity), validity_choices, "MODE",
     "device certificate expired or not yet valid: strict (refuse, default), ignore (accept)"},
};

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
                 "MQTT 3.1.1)\nuntil SIGINT or SIGTERM. Events: docs/broker-events.md.\n\n");
    for (size_t i = 0; i < ARRAY_LEN(option_specs); i++) {
        const struct option_spec *o = &option_specs[i];
        char left[48];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-28s ", left);
        print_wrapped(out, o->help);
    }
    fprintf(out, "\nProfiles (--profile):\n");
    for (size_t i = 0; i < ARRAY_LEN(profiles); i++)
        fprintf(out, "  %-28s %s\n", profiles[i].name, profiles[i].help);
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

static int set_profile(const struct option_spec *o, const char **field, const char *value)
{
    for (size_t i = 0; i < ARRAY_LEN(profiles); i++) {
        if (strcmp(profiles[i].name, value) == 0) {
            *field = profiles[i].name;
            return EXIT_OK;
        }
    }
    return bad_value(o, value, "aws or strict");
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
    case OPT_PROFILE:
        return set_profile(o, (const char **)(void *)field, value);
    case OPT_FLAG:
        *(bool *)(void *)field = true;
        return EXIT_OK;
    case OPT_HELP:
        usage(stdout);
        return -1;
    case OPT_HELP_POLICIES:
        list_policies(stdout);
        return -1;
    }
    return EXIT_RUNTIME;
}

static const struct option_spec *find_spec(const char *name, size_t *out_index)
{
    for (size_t i = 0; i < ARRAY_LEN(option_specs); i++) {
        if (strcmp(option_specs[i].name, name) == 0) {
            *out_index = i;
            return &option_specs[i];
        }
    }
    return NULL;
}

/* apply_profile fills the options of profile cfg->profile that `set` does not mark as given. */
static int apply_profile(struct tq_broker_config *cfg, const bool *set)
{
    for (size_t i = 0; i < ARRAY_LEN(profiles); i++) {
        if (strcmp(profiles[i].name, cfg->profile) != 0)
            continue;
        for (size_t k = 0; k < ARRAY_LEN(profiles[i].settings); k++) {
            size_t index = 0;
            const struct option_spec *o = find_spec(profiles[i].settings[k].option, &index);
            if (o == NULL)
                return EXIT_RUNTIME;   /* the profile table names an option that is gone */
            if (set[index])
                continue;
            int rc = apply(o, cfg, profiles[i].settings[k].value);
            if (rc != EXIT_OK)
                return rc;
        }
    }
    return EXIT_OK;
}

/* see broker_cli.h */
int tq_broker_cli_parse(struct tq_broker_config *cfg, int argc, char **argv)
{
    struct option longopts[ARRAY_LEN(option_specs) + 1];
    bool set[ARRAY_LEN(option_specs)] = {0};
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
        set[index] = true;
    }
    if (optind < argc) {
        fprintf(stderr, "tlsqual broker: unexpected argument '%s'\n", argv[optind]);
        return EXIT_CONFIG;
    }
    return apply_profile(cfg, set);
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
    int rc = tq_broker_cli_parse(&cfg, argc, argv);
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
