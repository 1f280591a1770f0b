/* Tests for broker/broker_cli.c: configuration errors exit 2 without serving. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_cli.h"
#include "broker_options.h"
#include "outcome_vocab.h"
#include "policy.h"
#include "tls.h"

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
    {"bad chain variant", {"broker", "--pki", DATA, "--chain", "long", NULL}},
    {"bad listener", {"broker", "--pki", DATA, "--listener", "443", NULL}},
    {"bad validity", {"broker", "--pki", DATA, "--validity", "lenient", NULL}},
    {"bad crl", {"broker", "--pki", DATA, "--crl", "yes", NULL}},
    {"bad shared-cert", {"broker", "--pki", DATA, "--shared-cert", "deny", NULL}},
    {"bad profile", {"broker", "--pki", DATA, "--profile", "lax", NULL}},
    {"keepalive-min 0", {"broker", "--pki", DATA, "--keepalive-min", "0", NULL}},
    {"keepalive-min not a number", {"broker", "--pki", DATA, "--keepalive-min", "5s", NULL}},
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

/* parse runs tq_broker_cli_parse on copies of `argv` (NULL-terminated) into `cfg`, which starts
 * from the defaults; the copies are leaked into `keep` so cfg's strings stay valid. */
static int parse(struct tq_broker_config *cfg, const char *const *argv, char **keep)
{
    int argc = 0;
    while (argv[argc] != NULL) {
        keep[argc] = strdup(argv[argc]);
        argc++;
    }
    tq_broker_config_defaults(cfg);
    return tq_broker_cli_parse(cfg, argc, keep);
}

static void free_all(char **keep)
{
    for (size_t i = 0; keep[i] != NULL; i++)
        free(keep[i]);
}

Test(broker_cli, defaults_are_the_aws_profile)
{
    struct tq_broker_config cfg;
    char *keep[8] = {0};
    const char *const argv[] = {"broker", "--pki", "x", NULL};
    cr_assert_eq(parse(&cfg, argv, keep), 0);
    cr_expect_str_eq(cfg.profile, "aws");
    cr_expect_str_eq(cfg.endpoint, "ats");
    cr_expect_eq(cfg.chain, TQ_CHAIN_SHORT);
    cr_expect_null(cfg.server_cert);
    cr_expect_eq(cfg.listener, TQ_LISTENER_MQTT);
    cr_expect_eq(cfg.validity, TQ_VALIDITY_STRICT);
    cr_expect_eq(cfg.crl, TQ_CRL_OFF);
    cr_expect_eq(cfg.shared_cert, TQ_SHARED_CERT_ALLOW);
    cr_expect_eq(cfg.sni, TQ_SNI_OPTIONAL);
    cr_expect_eq(cfg.keepalive_min_s, 30);
    cr_expect_not(cfg.allow_remote);
    free_all(keep);
}

Test(broker_cli, every_new_option_is_read)
{
    struct tq_broker_config cfg;
    char *keep[24] = {0};
    const char *const argv[] = {"broker",
                                "--endpoint",
                                "legacy",
                                "--chain",
                                "cross-g2",
                                "--server-cert",
                                "server-expired",
                                "--listener",
                                "alpn",
                                "--validity",
                                "ignore",
                                "--crl",
                                "on",
                                "--shared-cert",
                                "refuse",
                                "--keepalive-min",
                                "2",
                                NULL};
    cr_assert_eq(parse(&cfg, argv, keep), 0);
    cr_expect_str_eq(cfg.endpoint, "legacy");
    cr_expect_eq(cfg.chain, TQ_CHAIN_CROSS_G2);
    cr_expect_str_eq(cfg.server_cert, "server-expired");
    cr_expect_eq(cfg.listener, TQ_LISTENER_ALPN);
    cr_expect_eq(cfg.validity, TQ_VALIDITY_IGNORE);
    cr_expect_eq(cfg.crl, TQ_CRL_ON);
    cr_expect_eq(cfg.shared_cert, TQ_SHARED_CERT_REFUSE);
    cr_expect_eq(cfg.keepalive_min_s, 2);
    free_all(keep);
}

/* The strict profile, and explicit options winning over it on either side of --profile. */
static const struct {
    const char *name;
    const char *argv[8];
    enum tq_validity_mode validity;
    enum tq_crl_mode crl;
    enum tq_shared_cert_mode shared_cert;
    enum tq_sni_mode sni;
} profile_cases[] = {
    {"strict alone",
     {"broker", "--profile", "strict", NULL},
     TQ_VALIDITY_STRICT,
     TQ_CRL_ON,
     TQ_SHARED_CERT_REFUSE,
     TQ_SNI_REQUIRED},
    {"option after the profile wins",
     {"broker", "--profile", "strict", "--crl", "off", NULL},
     TQ_VALIDITY_STRICT,
     TQ_CRL_OFF,
     TQ_SHARED_CERT_REFUSE,
     TQ_SNI_REQUIRED},
    {"option before the profile wins",
     {"broker", "--crl", "off", "--profile", "strict", NULL},
     TQ_VALIDITY_STRICT,
     TQ_CRL_OFF,
     TQ_SHARED_CERT_REFUSE,
     TQ_SNI_REQUIRED},
    {"two options around it",
     {"broker", "--sni", "endpoint", "--profile", "strict", "--validity", "ignore", NULL},
     TQ_VALIDITY_IGNORE,
     TQ_CRL_ON,
     TQ_SHARED_CERT_REFUSE,
     TQ_SNI_ENDPOINT},
    {"the last profile counts",
     {"broker", "--profile", "strict", "--profile", "aws", NULL},
     TQ_VALIDITY_STRICT,
     TQ_CRL_OFF,
     TQ_SHARED_CERT_ALLOW,
     TQ_SNI_OPTIONAL},
    {"aws profile keeps an explicit refuse",
     {"broker", "--shared-cert", "refuse", "--profile", "aws", NULL},
     TQ_VALIDITY_STRICT,
     TQ_CRL_OFF,
     TQ_SHARED_CERT_REFUSE,
     TQ_SNI_OPTIONAL},
};

Test(broker_cli, profiles_fill_only_unset_options)
{
    for (size_t i = 0; i < sizeof(profile_cases) / sizeof(profile_cases[0]); i++) {
        struct tq_broker_config cfg;
        char *keep[9] = {0};
        cr_assert_eq(parse(&cfg, profile_cases[i].argv, keep), 0, "%s", profile_cases[i].name);
        cr_expect_eq(cfg.validity, profile_cases[i].validity, "%s", profile_cases[i].name);
        cr_expect_eq(cfg.crl, profile_cases[i].crl, "%s", profile_cases[i].name);
        cr_expect_eq(cfg.shared_cert, profile_cases[i].shared_cert, "%s", profile_cases[i].name);
        cr_expect_eq(cfg.sni, profile_cases[i].sni, "%s", profile_cases[i].name);
        free_all(keep);
    }
}

/* Checked before the PKI is read (an unknown --server-cert: tests/e2e/broker_settings_test.sh). */
Test(broker_cli, configuration_checks_of_new_settings_exit_2, .init = cr_redirect_stderr)
{
    static const struct {
        const char *name;
        const char *argv[8];
    } cases[] = {
        {"chain with server-cert",
         {"broker", "--pki", DATA, "--chain", "cross", "--server-cert", "server-expired", NULL}},
        {"unknown endpoint", {"broker", "--pki", DATA, "--endpoint", "iot", NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int argc = 0;
        while (cases[i].argv[argc] != NULL)
            argc++;
        cr_expect_eq(run(argc, cases[i].argv), 2, "%s", cases[i].name);
    }
}

/* "The broker binds to loopback unless told otherwise": what counts as loopback. */
static const struct {
    const char *address;
    bool loopback;
} loopback_cases[] = {
    {"127.0.0.1:18883", true}, {"127.255.255.254:0", true},
    {"localhost:0", true},     {"LocalHost:0", true},
    {"[::1]:0", true},         {"[::ffff:127.0.0.1]:0", true},
    {"0.0.0.0:0", false},      {"[::]:0", false},
    {"128.0.0.1:0", false},    {"192.0.2.10:8883", false},
    {"[::2]:0", false},        {"[::ffff:192.0.2.1]:0", false},
    {"example.test:0", false}, {":8883", false},
    {"127.0.0.1", false},
};

Test(broker_cli, loopback_addresses)
{
    for (size_t i = 0; i < sizeof(loopback_cases) / sizeof(loopback_cases[0]); i++)
        cr_expect_eq(tq_broker_host_is_loopback(loopback_cases[i].address),
                     loopback_cases[i].loopback, "%s: want %s", loopback_cases[i].address,
                     loopback_cases[i].loopback ? "loopback" : "not loopback");
}

/* A non-loopback --listen or --api is a configuration error (exit 2) that names the option and
 * the flag, checked before anything is read or bound; --allow-remote lifts it. */
Test(broker_cli, non_loopback_needs_allow_remote)
{
    static const struct {
        const char *name;
        const char *argv[10];
        const char *want; /* in the message; NULL: no loopback refusal */
    } cases[] = {
        {"listen on every address",
         {"broker", "--pki", "/nonexistent-pki", "--listen", "0.0.0.0:18883", NULL},
         "--listen 0.0.0.0:18883: not a loopback address"},
        {"api on a LAN address",
         {"broker", "--pki", "/nonexistent-pki", "--api", "192.0.2.10:8080", NULL},
         "--api 192.0.2.10:8080: not a loopback address"},
        {"allowed",
         {"broker", "--pki", "/nonexistent-pki", "--listen", "0.0.0.0:18883", "--api", "[::]:0",
          "--allow-remote", NULL},
         NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tq_broker_config cfg;
        char *keep[11] = {0};
        cr_assert_eq(parse(&cfg, cases[i].argv, keep), 0, "%s", cases[i].name);
        cr_expect_eq(cfg.allow_remote, cases[i].want == NULL, "%s", cases[i].name);
        struct tq_diag diag = {0};
        struct tq_broker *b = NULL;
        tq_status st = tq_broker_new(&diag, &b, &cfg);
        cr_expect_not(tq_ok(st), "%s: the PKI does not exist", cases[i].name);
        cr_expect_null(b);
        if (cases[i].want != NULL) {
            cr_expect_eq(st.code, TQ_ERR_USAGE, "%s", cases[i].name);
            cr_expect(strstr(diag.msg, cases[i].want) != NULL, "%s: '%s'", cases[i].name, diag.msg);
            cr_expect(strstr(diag.msg, "--allow-remote") != NULL, "%s: '%s'", cases[i].name,
                      diag.msg);
        } else {
            cr_expect(strstr(diag.msg, "loopback") == NULL, "%s: '%s'", cases[i].name, diag.msg);
        }
        free_all(keep);
    }
}

/* A bad value names the option and the values the option table allows. */
Test(broker_cli, a_bad_value_names_the_allowed_values, .init = cr_redirect_stderr)
{
    const char *const argv[] = {"broker", "--pki", DATA, "--sni", "requird", NULL};
    cr_expect_eq(run(5, argv), 2);
    fflush(stderr);
    cr_expect_stderr_eq_str(
        "tlsqual broker: --sni: want optional, required or endpoint, got 'requird'\n");
}

/* The option table's closed sets agree with the tables that serve them (tls.c, the profiles),
 * and every key is its flag without the dashes, '_' for '-'. */
Test(broker_cli, option_table_agrees_with_what_serves_it)
{
    const struct tq_broker_option *endpoint = tq_broker_option_find("--endpoint");
    cr_assert_not_null(endpoint);
    for (const struct tq_broker_choice *c = endpoint->choices; c->name; c++)
        cr_expect(tq_tls_endpoint_known(c->name), "endpoint %s", c->name);
    cr_expect_not(tq_tls_endpoint_known("iot"));
    const struct tq_broker_option *alert = tq_broker_option_find("--refusal-alert");
    cr_assert_not_null(alert);
    size_t num_choices = 0;
    for (const struct tq_broker_choice *c = alert->choices; c->name; c++, num_choices++)
        cr_expect_geq(tq_tls_refusal_alert_code(c->name), 0, "refusal alert %s", c->name);
    size_t num_served = 0;
    for (int code = 0; code <= 255; code++) {
        const char *name = tq_alert_name(code);
        num_served += name != NULL && tq_tls_refusal_alert_code(name) >= 0;
    }
    cr_expect_eq(num_choices, num_served, "every refusal alert tls.c can send is a choice");
    const struct tq_broker_option *profile = tq_broker_option_find("--profile");
    cr_assert_not_null(profile);
    size_t num_profiles = 0;
    for (const struct tq_broker_choice *c = profile->choices; c->name; c++, num_profiles++)
        cr_expect_not_null(tq_broker_profile_find(c->name), "profile %s", c->name);
    cr_expect_eq(num_profiles, tq_broker_profile_count());
    for (size_t i = 0; i < tq_broker_profile_count(); i++) {
        const struct tq_broker_profile *p = tq_broker_profile_at(i);
        for (size_t k = 0; k < sizeof(p->settings) / sizeof(p->settings[0]) && p->settings[k].flag;
             k++) {
            const struct tq_broker_option *o =
                tq_broker_option_find(tq_broker_profile_at(i)->settings[k].flag);
            cr_assert_not_null(o, "profile %s", tq_broker_profile_at(i)->name);
            cr_expect_null(tq_broker_option_check(o, tq_broker_profile_at(i)->settings[k].value),
                           "profile %s: %s", tq_broker_profile_at(i)->name, o->flag);
        }
    }
    for (size_t i = 0; i < tq_broker_option_count(); i++) {
        const struct tq_broker_option *o = tq_broker_option_at(i);
        cr_expect(strncmp(o->flag, "--", 2) == 0, "%s", o->flag);
        if (o->key == NULL)
            continue;
        char want[64];
        snprintf(want, sizeof(want), "%s", o->flag + 2);
        for (char *p = want; *p; p++)
            *p = *p == '-' ? '_' : *p;
        cr_expect_str_eq(o->key, want);
        cr_expect_eq(tq_broker_option_for_key(o->key), o);
    }
    cr_expect_null(tq_broker_option_for_key("events"), "not a scenario setting");
    cr_expect_not_null(tq_broker_setting_check("sni", "requird"));
    cr_expect_null(tq_broker_setting_check("sni", "required"));
    cr_expect_not_null(tq_broker_setting_check("snx", "required"), "a key no option has");
    cr_expect_null(tq_broker_setting_check("policy", TQ_POLICY_DEFAULT_ID));
    cr_expect_not_null(tq_broker_setting_check("policy", "TLS99"));
}
