/* broker_options.c: see broker_options.h. */
#include "broker_options.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "policy.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CFG(field) offsetof(struct tq_broker_config, field)

static const struct tq_broker_choice qos2_choices[] = {
    {"ignore", TQ_QOS2_IGNORE}, {"grant1", TQ_QOS2_GRANT1}, {"reject", TQ_QOS2_REJECT}, {0}};
static const struct tq_broker_choice sni_choices[] = {{"optional", TQ_SNI_OPTIONAL},
                                                      {"required", TQ_SNI_REQUIRED},
                                                      {"endpoint", TQ_SNI_ENDPOINT},
                                                      {0}};
static const struct tq_broker_choice refusal_choices[] = {
    {"alert", TQ_REFUSE_ALERT},
    {"close", TQ_REFUSE_CLOSE},
    {"after-connect", TQ_REFUSE_AFTER_CONNECT},
    {0}};
static const struct tq_broker_choice chain_choices[] = {
    {"short", TQ_CHAIN_SHORT}, {"cross", TQ_CHAIN_CROSS}, {"cross-g2", TQ_CHAIN_CROSS_G2}, {0}};
static const struct tq_broker_choice listener_choices[] = {
    {"mqtt", TQ_LISTENER_MQTT}, {"alpn", TQ_LISTENER_ALPN}, {0}};
static const struct tq_broker_choice validity_choices[] = {
    {"strict", TQ_VALIDITY_STRICT}, {"ignore", TQ_VALIDITY_IGNORE}, {0}};
static const struct tq_broker_choice crl_choices[] = {{"off", TQ_CRL_OFF}, {"on", TQ_CRL_ON}, {0}};
static const struct tq_broker_choice shared_cert_choices[] = {
    {"allow", TQ_SHARED_CERT_ALLOW}, {"refuse", TQ_SHARED_CERT_REFUSE}, {0}};
/* tls.c's endpoint table and refusal-alert table (tq_tls_endpoint_known,
 * tq_tls_refusal_alert_code) serve these names; tests/unit/broker_cli_test.c checks that the
 * two agree. */
static const struct tq_broker_choice endpoint_choices[] = {{"ats", 0}, {"legacy", 0}, {0}};
static const struct tq_broker_choice refusal_alert_choices[] = {{"certificate_unknown", 0},
                                                                {"bad_certificate", 0},
                                                                {"certificate_revoked", 0},
                                                                {"handshake_failure", 0},
                                                                {0}};
static const struct tq_broker_choice profile_choices[] = {{"aws", 0}, {"strict", 0}, {0}};

static const struct tq_broker_profile profiles[] = {
    {"aws",
     "what AWS IoT Core is documented or observed to do (the defaults)",
     {{"--validity", "strict"},
      {"--crl", "off"},
      {"--shared-cert", "allow"},
      {"--sni", "optional"},
      /* AWS IoT Core's MQTT limits: docs/aws-iot/mqtt.md#client-id-limits, #topic-limits,
       * #subscribe-limits, #packet-size, #session-expiry, #topic-aliases, #receive-maximum. */
      {"--max-client-id", "128"},
      {"--max-topic-length", "256"},
      {"--max-topic-slashes", "7"},
      {"--max-filters", "8"},
      {"--max-subscriptions", "50"},
      {"--max-packet", "131072"},
      {"--session-expiry", "3600"},
      {"--topic-alias-max", "8"},
      {"--receive-max", "100"}}},
    {"strict",
     "RFC-strict: validity strict, crl on, shared-cert refuse, sni required",
     {{"--validity", "strict"},
      {"--crl", "on"},
      {"--shared-cert", "refuse"},
      {"--sni", "required"}}},
};

static bool policy_known(const char *value)
{
    return tq_policy_find(value) != NULL;
}

/* Sorted by flag, but for --parent-pid, where the usage has always listed it. */
static const struct tq_broker_option options[] = {
    {.flag = "--allow-remote",
     .kind = TQ_BROKER_OPT_FLAG,
     .offset = CFG(allow_remote),
     .help = "let --listen and --api bind a non-loopback address (refused otherwise: the "
             "control plane has no authentication, the PKI's keys are test keys)"},
    {.flag = "--api",
     .kind = TQ_BROKER_OPT_STRING,
     .offset = CFG(api),
     .arg = "HOST:PORT",
     .help = "serve the AWS IoT certificate API (aws iot ... --endpoint-url http://HOST:PORT) "
             "there, loopback only unless --allow-remote; port 0 picks one (event "
             "broker_started.api); off by default"},
    {.flag = "--chain",
     .key = "chain",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(chain),
     .choices = chain_choices,
     .arg = "VARIANT",
     .help = "ATS chain sent: short (leaf+intermediate, default), cross (+ cross-signed root), "
             "cross-g2 (4 deep, + cross-signed Starfield G2)"},
    {.flag = "--crl",
     .key = "crl",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(crl),
     .choices = crl_choices,
     .arg = "on|off",
     .help = "check device certificates against their CA's CRL (default off, as AWS)"},
    {.flag = "--endpoint",
     .key = "endpoint",
     .kind = TQ_BROKER_OPT_NAME,
     .offset = CFG(endpoint),
     .choices = endpoint_choices,
     .arg = "TYPE",
     .help = "server chain set: ats (default), legacy (VeriSign-like RSA chain for every "
             "suite)"},
    {.flag = "--events",
     .kind = TQ_BROKER_OPT_STRING,
     .offset = CFG(events_path),
     .arg = "FILE",
     .help = "append JSON-lines events to FILE (default: stdout)"},
    {.flag = "--handshake-timeout",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(handshake_timeout_s),
     .arg = "SECONDS",
     .help = "deadline for the TLS handshake, then for CONNECT (default 10)"},
    {.flag = "--help", .kind = TQ_BROKER_OPT_HELP, .help = "print this help and exit"},
    {.flag = "--help-policies",
     .kind = TQ_BROKER_OPT_HELP_POLICIES,
     .help = "list the security policies and exit"},
    {.flag = "--keepalive-min",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(keepalive_min_s),
     .arg = "SECONDS",
     .help = "smallest effective keep-alive (default 30, as AWS); lower values are for tests"},
    {.flag = "--listen",
     .kind = TQ_BROKER_OPT_STRING,
     .offset = CFG(listen),
     .arg = "HOST:PORT",
     .help = "listen address, loopback only unless --allow-remote; port 0 picks one "
             "(default " TQ_BROKER_DEFAULT_LISTEN ")"},
    {.flag = "--listener",
     .key = "listener",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(listener),
     .choices = listener_choices,
     .arg = "MODE",
     .help = "mqtt (8883-style, default); alpn (443-style: ALPN x-amzn-mqtt-ca required, else "
             "no_application_protocol)"},
    {.flag = "--max-client-id",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(max_client_id),
     .arg = "BYTES",
     .help = "longest client ID (aws: 128; at most 256); longer: CONNACK rc 2 / 0x85"},
    {.flag = "--max-filters",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(max_filters),
     .arg = "N",
     .help = "topic filters per SUBSCRIBE (aws: 8; at most 32); the excess is refused "
             "(SUBACK 0x80 / 0x97)"},
    {.flag = "--max-packet",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(max_packet),
     .arg = "BYTES",
     .help = "largest packet accepted, and the MQTT 5 Maximum Packet Size (aws: 131072)"},
    {.flag = "--max-subscriptions",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(max_subscriptions),
     .arg = "N",
     .help = "subscriptions per connection (aws: 50); the excess is refused (SUBACK 0x80 / 0x97)"},
    {.flag = "--max-topic-length",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(max_topic_length),
     .arg = "BYTES",
     .help = "longest topic name (aws: 256; 0: no limit)"},
    {.flag = "--max-topic-slashes",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(max_topic_slashes),
     .arg = "N",
     .help = "most '/' in a topic name or filter (aws: 7, that is 8 levels; 0: no limit)"},
    {.flag = "--pki",
     .kind = TQ_BROKER_OPT_STRING,
     .offset = CFG(pki_dir),
     .arg = "DIR",
     .help = "the PKI from `tlsqual certs` (required)"},
    {.flag = "--policy",
     .key = "policy",
     .kind = TQ_BROKER_OPT_NAME,
     .offset = CFG(policy),
     .known = policy_known,
     .want = "a security policy id or IoTSecurityPolicy_ name (tlsqual broker --help-policies)",
     .arg = "NAME",
     .help = "AWS IoT security policy, id or IoTSecurityPolicy_ name (default " TQ_POLICY_DEFAULT_ID
             "; list: --help-policies)"},
    {.flag = "--profile",
     .key = "profile",
     .kind = TQ_BROKER_OPT_NAME,
     .offset = CFG(profile),
     .choices = profile_choices,
     .arg = "NAME",
     .help = "aws (default) or strict: bundles of settings (below); explicit options win"},
    {.flag = "--qos2",
     .key = "qos2",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(qos2),
     .choices = qos2_choices,
     .arg = "MODE",
     .help = "SUBSCRIBE asking QoS 2: ignore (no SUBACK, as AWS documents), grant1, reject"},
    {.flag = "--parent-pid",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(parent_pid),
     .arg = "PID",
     .help = "stop (as on SIGTERM) when process PID, the one that started the broker, is gone; "
             "tlsqual run passes it so that no broker outlives a run that died"},
    {.flag = "--ready-fd",
     .kind = TQ_BROKER_OPT_FD,
     .offset = CFG(ready_fd),
     .arg = "FD",
     .help = "write the bound HOST:PORT and a newline to FD, then close it"},
    {.flag = "--receive-max",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(receive_max),
     .arg = "N",
     .help = "MQTT 5 Receive Maximum, and the QoS 1 messages in flight to a client (aws: 100)"},
    {.flag = "--refusal",
     .key = "refusal",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(refusal),
     .choices = refusal_choices,
     .arg = "STYLE",
     .help = "refuse a certificate the registry rejects: alert (default), close, after-connect"},
    {.flag = "--refusal-alert",
     .key = "refusal_alert",
     .kind = TQ_BROKER_OPT_NAME,
     .offset = CFG(refusal_alert),
     .choices = refusal_alert_choices,
     .arg = "ALERT",
     .help = "alert for --refusal alert: certificate_unknown (default), bad_certificate, "
             "certificate_revoked, handshake_failure"},
    {.flag = "--registry",
     .kind = TQ_BROKER_OPT_STRING,
     .offset = CFG(registry_path),
     .arg = "FILE",
     .help = "the registry file to serve and change (default: the PKI's registry.json); its "
             "cert files stay relative to the PKI"},
    {.flag = "--server-cert",
     .key = "server_cert",
     .kind = TQ_BROKER_OPT_STRING,
     .offset = CFG(server_cert),
     .arg = "NAME",
     .help = "serve artifact NAME's chain and key for every suite (e.g. server-expired)"},
    {.flag = "--session-expiry",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(session_expiry),
     .arg = "SECONDS",
     .help = "longest session expiry, and that of MQTT 3.1.1 persistent sessions (aws: 3600, "
             "the account default; at most 604800)"},
    {.flag = "--session-queue",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(session_queue),
     .arg = "N",
     .help = "QoS 1 messages kept for an offline session; further ones are dropped (default "
             "1000)"},
    {.flag = "--shared-cert",
     .key = "shared_cert",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(shared_cert),
     .choices = shared_cert_choices,
     .arg = "MODE",
     .help = "one certificate, two client IDs at once: allow (default, event only), refuse"},
    {.flag = "--sni",
     .key = "sni",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(sni),
     .choices = sni_choices,
     .arg = "MODE",
     .help = "optional (default), required, endpoint (required and equal to the ATS endpoint "
             "name)"},
    {.flag = "--topic-alias-max",
     .kind = TQ_BROKER_OPT_UINT,
     .offset = CFG(topic_alias_max),
     .arg = "N",
     .help = "MQTT 5 Topic Alias Maximum (aws: 8; 0: none)"},
    {.flag = "--validity",
     .key = "validity",
     .kind = TQ_BROKER_OPT_CHOICE,
     .offset = CFG(validity),
     .choices = validity_choices,
     .arg = "MODE",
     .help = "device certificate expired or not yet valid: strict (refuse, default), ignore "
             "(accept)"},
};

/* The "want" texts of the options with choices ("optional, required or endpoint"), made once
 * from the choices so that they cannot disagree. */
static char want_texts[ARRAY_LEN(options)][160];
static pthread_once_t want_once = PTHREAD_ONCE_INIT;

static void join_choices(char *out, size_t out_len, const struct tq_broker_choice *choices)
{
    size_t num = 0, used = 0;
    while (choices[num].name != NULL)
        num++;
    out[0] = '\0';
    for (size_t i = 0; i < num && used < out_len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == num ? " or " : ", ";
        used += (size_t)snprintf(out + used, out_len - used, "%s%s", sep, choices[i].name);
    }
}

static void make_want_texts(void)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++)
        if (options[i].choices != NULL)
            join_choices(want_texts[i], sizeof(want_texts[i]), options[i].choices);
}

/* see broker_options.h */
size_t tq_broker_option_count(void)
{
    return ARRAY_LEN(options);
}

/* see broker_options.h */
const struct tq_broker_option *tq_broker_option_at(size_t i)
{
    return i < ARRAY_LEN(options) ? &options[i] : NULL;
}

/* see broker_options.h */
const struct tq_broker_option *tq_broker_option_find(const char *flag)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++)
        if (strcmp(options[i].flag, flag) == 0)
            return &options[i];
    return NULL;
}

/* see broker_options.h */
const struct tq_broker_option *tq_broker_option_for_key(const char *key)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++)
        if (options[i].key != NULL && strcmp(options[i].key, key) == 0)
            return &options[i];
    return NULL;
}

static bool is_choice(const struct tq_broker_choice *choices, const char *value)
{
    for (const struct tq_broker_choice *c = choices; c->name != NULL; c++)
        if (strcmp(c->name, value) == 0)
            return true;
    return false;
}

static bool is_number(const char *value)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    return errno == 0 && end != value && *end == '\0' && value[0] != '-' && n <= INT_MAX;
}

/* see broker_options.h */
const char *tq_broker_option_check(const struct tq_broker_option *o, const char *value)
{
    pthread_once(&want_once, make_want_texts);
    const char *want_choices = want_texts[o - options];
    switch (o->kind) {
    case TQ_BROKER_OPT_NAME:
        if (o->known != NULL)
            return o->known(value) ? NULL : o->want;
        return is_choice(o->choices, value) ? NULL : want_choices;
    case TQ_BROKER_OPT_CHOICE:
        return is_choice(o->choices, value) ? NULL : want_choices;
    case TQ_BROKER_OPT_UINT:
    case TQ_BROKER_OPT_FD:
        return is_number(value) ? NULL : "a non-negative integer";
    case TQ_BROKER_OPT_STRING:
    case TQ_BROKER_OPT_FLAG:
    case TQ_BROKER_OPT_HELP:
    case TQ_BROKER_OPT_HELP_POLICIES:
        return NULL;
    }
    return "a value this broker knows";
}

/* see broker_options.h */
const char *tq_broker_setting_check(const char *key, const char *value)
{
    const struct tq_broker_option *o = tq_broker_option_for_key(key);
    return o != NULL ? tq_broker_option_check(o, value)
                     : "a setting of broker/broker_options.c (this key maps to no option)";
}

/* see broker_options.h */
const struct tq_broker_profile *tq_broker_profile_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(profiles); i++)
        if (strcmp(profiles[i].name, name) == 0)
            return &profiles[i];
    return NULL;
}

/* see broker_options.h */
size_t tq_broker_profile_count(void)
{
    return ARRAY_LEN(profiles);
}

/* see broker_options.h */
const struct tq_broker_profile *tq_broker_profile_at(size_t i)
{
    return i < ARRAY_LEN(profiles) ? &profiles[i] : NULL;
}
