/* Scenario files: YAML read into struct tq_scenario by the field tables of harness/yaml_table.h,
 * then checked as a whole (lifecycle steps, names). The same tables drive parsing and freeing,
 * so a new key is one table row. */
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#include "broker_options.h"
#include "event_match.h"
#include "fs.h"
#include "yaml_table.h"

static const char *check_outcome(const char *v)
{
    return tq_outcome_known(v) ? NULL
                               : "an outcome of docs/backend-protocol.md (e.g. ok, cert_expired, "
                                 "alert_received:protocol_version, alert_received:alert_<N> for "
                                 "an alert without a name)";
}

static const char *check_version(const char *v)
{
    static const char *const names[] = {"1.0", "1.1", "1.2", "1.3"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0)
            return NULL;
    return "a TLS version: 1.0, 1.1, 1.2 or 1.3";
}

static const char *check_qos(const char *v)
{
    return strcmp(v, "0") == 0 || strcmp(v, "1") == 0 ? NULL
                                                      : "0 or 1 (AWS IoT does not support QoS 2)";
}

static const char *check_tls_name(const char *v)
{
    return strncmp(v, "TLSv1.", 6) == 0 && strlen(v) == 7 && v[6] >= '0' && v[6] <= '3'
               ? NULL
               : "TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3";
}

static const char *check_connack(const char *v)
{
    return strlen(v) == 1 && v[0] >= '0' && v[0] <= '5' ? NULL
                                                        : "a CONNACK return code from 0 to 5";
}

static const char *check_event_pattern(const char *v)
{
    return tq_event_pattern_valid(v) ? NULL
                                     : "an event of docs/broker-events.md then field=value words "
                                       "naming its members, e.g. "
                                       "'client_certificate_rejected reason=inactive'";
}

/* check_name keeps a name printable on one line: it is a case ID in `--case` and in reports,
 * and a baseline line ("backend: group/name  # reason") must be able to name it. */
static const char *check_name(const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "a name without control characters (tabs, line breaks)";
    return strstr(v, " #") == NULL ? NULL
                                   : "a name without ' #' (a baseline line reads it as the start "
                                     "of its reason)";
}

static const char *check_expand(const char *v)
{
    return strcmp(v, "policy_suites") == 0 ? NULL : "policy_suites";
}

/* F: the row for member k of struct S, of kind TQ_YAML_<kind>; L: the same for a
 * struct tq_strlist member. Optional designated members follow. */
#define F(S, k, kind, ...) TQ_YAML_FIELD(S, k, TQ_YAML_##kind, __VA_ARGS__)
#define L(S, k, ...)                                                                               \
    {                                                                                              \
        .key = #k, .kind = TQ_YAML_LIST, .offset = offsetof(S, k.items),                           \
        .count_offset = offsetof(S, k.num), .max_items = TQ_SCENARIO_LIST_MAX, __VA_ARGS__         \
    }

TQ_YAML_TABLE(step_table, "mqtt step", F(struct tq_mqtt_step, topic, STRING, .required = true),
              F(struct tq_mqtt_step, qos, LONG, .check = check_qos),
              F(struct tq_mqtt_step, payload, STRING));

#define MQTT_STEPS(k)                                                                              \
    F(struct tq_scenario_mqtt, k, SEQ, .sub = &step_table,                                         \
      .count_offset = offsetof(struct tq_scenario_mqtt, num_##k),                                  \
      .elem_size = sizeof(struct tq_mqtt_step), .max_items = TQ_SCENARIO_MQTT_MAX)
TQ_YAML_TABLE(mqtt_table, "client.mqtt", F(struct tq_scenario_mqtt, client_id, STRING),
              F(struct tq_scenario_mqtt, keep_alive, LONG), MQTT_STEPS(subscribe),
              MQTT_STEPS(publish), F(struct tq_scenario_mqtt, expect_messages, LONG));

TQ_YAML_TABLE(versions_table, "client.versions",
              F(struct tq_scenario_versions, min, STRING, .check = check_version),
              F(struct tq_scenario_versions, max, STRING, .check = check_version));

TQ_YAML_TABLE(client_table, "client", F(struct tq_scenario_client, certificate, STRING),
              L(struct tq_scenario_client, trust),
              F(struct tq_scenario_client, server_name, STRING),
              F(struct tq_scenario_client, send_sni, BOOL),
              F(struct tq_scenario_client, versions, MAP, .sub = &versions_table),
              L(struct tq_scenario_client, suites), L(struct tq_scenario_client, alpn),
              L(struct tq_scenario_client, crl),
              F(struct tq_scenario_client, mqtt, MAP, .sub = &mqtt_table, .has_present = true,
                .present_offset = offsetof(struct tq_scenario_client, mqtt.enabled)));

/* The broker settings a scenario may choose. Each key is the `tlsqual broker` option of the
 * broker's own table (broker/broker_options.h) that has that key: the table maps it to its
 * option and checks its value, so a value the broker would refuse is refused here, at its line
 * (`sni: requird` names the allowed values at lint time). */
/* (clang-format packs an X-macro list differently on every pass: laid out by hand.) */
/* clang-format off */
#define SCENARIO_BROKER_KEYS(X) \
    X(endpoint) X(refusal) X(refusal_alert) X(qos2) X(policy) X(sni) X(chain) X(server_cert) \
    X(listener) X(validity) X(crl) X(shared_cert) X(profile)
/* clang-format on */
SCENARIO_BROKER_KEYS(TQ_BROKER_SETTING_CHECK)
#define BROKER_ROW(k) F(struct tq_scenario_broker, k, STRING, .check = check_broker_##k),
TQ_YAML_TABLE(broker_table, "broker", SCENARIO_BROKER_KEYS(BROKER_ROW));

TQ_YAML_TABLE(expect_table, "expect",
              L(struct tq_scenario_expect, outcome, .required = true, .check = check_outcome,
                .min_items = 1,
                .too_few = "'outcome' must name at least one outcome: an empty list expects "
                           "nothing, so no result could pass"),
              L(struct tq_scenario_expect, warn_outcome, .check = check_outcome),
              F(struct tq_scenario_expect, connack, LONG, .check = check_connack),
              F(struct tq_scenario_expect, version, STRING, .check = check_tls_name),
              F(struct tq_scenario_expect, suite, STRING),
              F(struct tq_scenario_expect, server_certificate, STRING),
              L(struct tq_scenario_expect, broker_events, .check = check_event_pattern),
              L(struct tq_scenario_expect, chain_includes),
              L(struct tq_scenario_expect, chain_excludes));

TQ_YAML_TABLE(companion_table, "companion", F(struct tq_scenario_companion, certificate, STRING),
              F(struct tq_scenario_companion, client_id, STRING));

static const char *check_operation(const char *v)
{
    static const char *const names[] = {"UpdateCertificate",   "DescribeCertificate",
                                        "RegisterCertificate", "RegisterCertificateWithoutCA",
                                        "DeleteCertificate",   "UpdateCACertificate"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v, names[i]) == 0)
            return NULL;
    return "an operation of docs/broker-api.md: UpdateCertificate, DescribeCertificate, "
           "RegisterCertificate, RegisterCertificateWithoutCA, DeleteCertificate or "
           "UpdateCACertificate";
}

static const char *check_restart(const char *v)
{
    return strcmp(v, "kill") == 0 || strcmp(v, "stop") == 0 ? NULL
                                                            : "kill (SIGKILL) or stop (SIGTERM)";
}

static const char *check_status(const char *v)
{
    static const char *const names[] = {
        "ACTIVE",           "INACTIVE",          "REVOKED",
        "PENDING_TRANSFER", "REGISTER_INACTIVE", "PENDING_ACTIVATION"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v, names[i]) == 0)
            return NULL;
    return "a certificate status: ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, "
           "REGISTER_INACTIVE or PENDING_ACTIVATION";
}

static const char *check_auto_registration(const char *v)
{
    return strcmp(v, "ENABLE") == 0 || strcmp(v, "DISABLE") == 0 ? NULL : "ENABLE or DISABLE";
}

static void step_init(void *elem, unsigned line)
{
    struct tq_scenario_step *step = elem;
    step->expect.connack = -1;
    step->line = line;
}

#define STEP(k, ...) F(struct tq_scenario_step, k, __VA_ARGS__)
TQ_YAML_TABLE(lifecycle_step_table, "steps", STEP(connect, STRING),
              STEP(api, STRING, .check = check_operation), STEP(wait, STRING),
              STEP(restart, STRING, .check = check_restart), STEP(certificate, STRING),
              STEP(client_id, STRING), STEP(hold, BOOL), STEP(topic, STRING), STEP(ca, STRING),
              STEP(status, STRING, .check = check_status),
              STEP(auto_registration, STRING, .check = check_auto_registration),
              STEP(http_status, LONG),
              STEP(expect, MAP, .sub = &expect_table, .has_present = true,
                   .present_offset = offsetof(struct tq_scenario_step, has_expect)));

TQ_YAML_TABLE(scenario_table, "top level",
              F(struct tq_scenario, name, STRING, .required = true, .check = check_name,
                .has_line = true, .line_offset = offsetof(struct tq_scenario, name_line)),
              F(struct tq_scenario, spec, STRING, .required = true),
              F(struct tq_scenario, description, STRING),
              F(struct tq_scenario, expand, STRING, .check = check_expand),
              L(struct tq_scenario, tags), F(struct tq_scenario, broker, MAP, .sub = &broker_table),
              F(struct tq_scenario, client, MAP, .sub = &client_table),
              F(struct tq_scenario, companion, MAP, .sub = &companion_table, .has_present = true,
                .present_offset = offsetof(struct tq_scenario, companion.enabled)),
              F(struct tq_scenario, expect, MAP, .sub = &expect_table, .has_present = true,
                .present_offset = offsetof(struct tq_scenario, has_expect)),
              F(struct tq_scenario, steps, SEQ, .sub = &lifecycle_step_table,
                .count_offset = offsetof(struct tq_scenario, num_steps),
                .elem_size = sizeof(struct tq_scenario_step), .max_items = TQ_SCENARIO_STEPS_MAX,
                .init = step_init, .min_items = 1,
                .too_few = "'steps' must hold at least one step (or remove it and give "
                           "'expect')"));

/* see scenario.h */
void tq_scenario_free(struct tq_scenario *s)
{
    if (s == NULL)
        return;
    tq_yaml_table_free(&scenario_table, s);
    free(s->path);
    free(s);
}

static void set_defaults(struct tq_scenario *s)
{
    s->client.send_sni = true;
    s->expect.connack = -1;
}

/* The context of the checks on the scenario as a whole: where their errors point. */
struct ctx {
    struct tq_diag *diag;
    const char *path;
    unsigned root_line; /* where the top-level mapping starts */
};

/* doc_fail points at the top-level mapping. */
static tq_status doc_fail(struct ctx *c, const char *fmt, ...) TQ_PRINTF(2, 3);

static tq_status doc_fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_diag_vfail(c->diag, TQ_ERR_PARSE, c->path, c->root_line, fmt, ap);
    va_end(ap);
    return st;
}

/* step_fail points at the step's line. */
static tq_status step_fail(struct ctx *c, const struct tq_scenario_step *step, const char *fmt, ...)
    TQ_PRINTF(3, 4);

static tq_status step_fail(struct ctx *c, const struct tq_scenario_step *step, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_diag_vfail(c->diag, TQ_ERR_PARSE, c->path, step->line, fmt, ap);
    va_end(ap);
    return st;
}

static const char *step_kind(const struct tq_scenario_step *step)
{
    return step->connect ? "connect" : step->api ? "api" : step->wait ? "wait" : "restart";
}

/* held_before returns the index of the held connection named `name` among steps [0, end), or
 * -1 when there is none. */
static long held_before(const struct tq_scenario *s, size_t end, const char *name)
{
    for (size_t i = 0; i < end; i++)
        if (s->steps[i].connect && s->steps[i].hold && strcmp(s->steps[i].connect, name) == 0)
            return (long)i;
    return -1;
}

static bool waited_after(const struct tq_scenario *s, size_t start, const char *name)
{
    for (size_t i = start; i < s->num_steps; i++)
        if (s->steps[i].wait && strcmp(s->steps[i].wait, name) == 0)
            return true;
    return false;
}

/* check_api_step checks that an api step names what its operation needs. */
static tq_status check_api_step(struct ctx *c, const struct tq_scenario_step *step)
{
    const char *op = step->api;
    bool on_ca = strcmp(op, "UpdateCACertificate") == 0;
    if (!on_ca && step->certificate == NULL)
        return step_fail(c, step, "api %s needs 'certificate' (the artifact it is about)", op);
    if ((on_ca || strcmp(op, "RegisterCertificate") == 0) && step->ca == NULL)
        return step_fail(c, step, "api %s needs 'ca' (the CA certificate artifact)", op);
    if (on_ca && step->status == NULL && step->auto_registration == NULL)
        return step_fail(c, step,
                         "api UpdateCACertificate needs 'status' or "
                         "'auto_registration'");
    if (strcmp(op, "UpdateCertificate") == 0 && step->status == NULL)
        return step_fail(c, step, "api UpdateCertificate needs 'status' (the new status)");
    if (step->http_status != 0 && (step->http_status < 100 || step->http_status > 599))
        return step_fail(c, step, "'http_status' must be an HTTP status (100 to 599), got %ld",
                         step->http_status);
    return TQ_SUCCESS;
}

/* check_step checks step `i`: one kind, the members that kind takes, and the names it uses. */
static tq_status check_step(struct ctx *c, const struct tq_scenario *s, size_t i)
{
    const struct tq_scenario_step *step = &s->steps[i];
    int kinds = !!step->connect + !!step->api + !!step->wait + !!step->restart;
    if (kinds != 1)
        return step_fail(c, step,
                         "a step must have exactly one of connect, api, wait, "
                         "restart; got %d",
                         kinds);
    bool is_connect = step->connect != NULL, is_api = step->api != NULL;
    if (!is_connect && (step->client_id || step->hold || step->topic))
        return step_fail(c, step,
                         "client_id, hold and topic belong to a connect step, not "
                         "to %s",
                         step_kind(step));
    if (!is_api && (step->ca || step->status || step->auto_registration || step->http_status))
        return step_fail(c, step,
                         "ca, status, auto_registration and http_status belong to an "
                         "api step, not to %s",
                         step_kind(step));
    if (step->certificate && !is_connect && !is_api)
        return step_fail(c, step, "'certificate' belongs to a connect or api step");
    bool wants_expect = (is_connect && !step->hold) || step->wait;
    if (wants_expect != step->has_expect)
        return step_fail(c, step,
                         wants_expect ? "this %s step needs 'expect'"
                                      : "this %s step takes no 'expect'",
                         step->hold ? "held connect" : step_kind(step));
    if (step->topic && !step->hold)
        return step_fail(c, step,
                         "'topic' is what a held connection subscribes to: add "
                         "'hold: true'");
    if (is_connect && held_before(s, i, step->connect) >= 0)
        return step_fail(c, step, "a held connection is already called '%s'", step->connect);
    if (step->hold && !waited_after(s, i + 1, step->connect))
        return step_fail(c, step, "held connection '%s' needs a later 'wait: %s' step",
                         step->connect, step->connect);
    if (step->wait && held_before(s, i, step->wait) < 0)
        return step_fail(c, step,
                         "'wait: %s' names no earlier held connection (connect: %s "
                         "with hold: true)",
                         step->wait, step->wait);
    return is_api ? check_api_step(c, step) : TQ_SUCCESS;
}

static tq_status check_steps(struct ctx *c, const struct tq_scenario *s)
{
    if (s->has_expect)
        return doc_fail(c, "a lifecycle scenario (with 'steps') has its expectations in "
                           "its steps; remove the top-level 'expect'");
    if (s->companion.enabled || s->expand)
        return doc_fail(c, "a lifecycle scenario (with 'steps') takes no companion and no "
                           "expand: its steps make every connection");
    for (size_t i = 0; i < s->num_steps; i++) {
        TQ_GUARD(check_step(c, s, i));
        for (size_t j = 0; j < i; j++)
            if (s->steps[i].wait && s->steps[j].wait &&
                strcmp(s->steps[i].wait, s->steps[j].wait) == 0)
                return step_fail(c, &s->steps[i], "'%s' is waited for twice", s->steps[i].wait);
    }
    return TQ_SUCCESS;
}

static tq_status check_whole(struct ctx *c, const struct tq_scenario *s)
{
    if (s->expand && strstr(s->name, "{suite}") == NULL)
        return doc_fail(c, "an expanded scenario's name must contain {suite}, got '%s'", s->name);
    if (s->name[0] == '\0' || (!s->expand && strlen(s->name) > TQ_SCENARIO_NAME_MAX))
        return doc_fail(c, "'name' must be 1 to %d characters, got %zu", TQ_SCENARIO_NAME_MAX,
                        strlen(s->name));
    if (s->num_steps > 0)
        return check_steps(c, s);
    if (s->companion.enabled && !s->client.mqtt.enabled)
        return doc_fail(c, "a scenario with a companion needs client.mqtt: the client "
                           "releases the companion with a PUBLISH");
    if (!s->has_expect)
        return doc_fail(c, "missing required key 'expect' in top level (or 'steps', for "
                           "a lifecycle scenario)");
    return TQ_SUCCESS;
}

/* remember_line keeps where each string value was written, for tq_scenario_line_of. */
static void remember_line(void *arg, const char *value, unsigned line)
{
    struct tq_scenario *s = arg;
    if (s->num_value_lines < sizeof(s->value_lines) / sizeof(s->value_lines[0])) {
        s->value_lines[s->num_value_lines].value = value;
        s->value_lines[s->num_value_lines++].line = line;
    }
}

static tq_status parse_text(struct tq_diag *diag, struct tq_scenario *s, const char *path,
                            const char *text, size_t len)
{
    const struct tq_yaml_options opts = {.path = path,
                                         .empty_want = "a mapping with name, spec, expect",
                                         .on_string = remember_line,
                                         .arg = s};
    struct ctx c = {.diag = diag, .path = path};
    TQ_GUARD(tq_yaml_table_parse(diag, &c.root_line, s, &scenario_table, &opts, text, len));
    return check_whole(&c, s);
}

/* see scenario.h */
tq_status tq_scenario_parse(struct tq_diag *diag, struct tq_scenario **out, const char *path,
                            const char *text, size_t text_len)
{
    *out = NULL;
    struct tq_scenario *s = calloc(1, sizeof(*s));
    TQ_ENSURE(s != NULL, TQ_ERR_NOMEM);
    set_defaults(s);
    s->path = strdup(path);
    tq_status st = s->path ? parse_text(diag, s, path, text, text_len) : TQ_STATUS(TQ_ERR_NOMEM);
    if (!tq_ok(st)) {
        tq_scenario_free(s);
        return st;
    }
    *out = s;
    return TQ_SUCCESS;
}

/* see scenario.h */
tq_status tq_scenario_load(struct tq_diag *diag, struct tq_scenario **out, const char *path)
{
    *out = NULL;
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq_fs_read_all(diag, &text, &len, path, TQ_SCENARIO_FILE_MAX));
    return tq_scenario_parse(diag, out, path, text, len);
}

/* see scenario.h */
size_t tq_scenario_broker_args(const struct tq_scenario_broker *b, const char **argv,
                               size_t max_args)
{
    size_t n = 0;
    for (size_t i = 0; i < broker_table.num_fields && n + 2 <= max_args; i++) {
        const struct tq_yaml_field *f = &broker_table.fields[i];
        const char *value = *(char *const *)((const char *)b + f->offset);
        /* every key has its option: check_broker_<key> refused any value of one that has not */
        const struct tq_broker_option *o = tq_broker_option_for_key(f->key);
        if (value != NULL && o != NULL) {
            argv[n++] = o->flag;
            argv[n++] = value;
        }
    }
    return n;
}

/* see scenario.h */
unsigned tq_scenario_line_of(const struct tq_scenario *s, const char *value)
{
    for (size_t i = s->num_value_lines; i-- > 0;)
        if (s->value_lines[i].value == value)
            return s->value_lines[i].line;
    return 0;
}
