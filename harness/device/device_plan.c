/* Device plans: YAML read into struct tq_device_plan by the field tables of
 * harness/yaml_table.h, then checked case by case. The same tables drive parsing, freeing and
 * the broker options, so a new key is one table row. */
#include "device_plan.h"

#include <stdlib.h>
#include <string.h>

#include "broker_options.h"
#include "fs.h"
#include "yaml_table.h"

static const char *check_one_of(const char *v, const char *const *words, const char *wanted)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (strcmp(v, words[i]) == 0)
            return NULL;
    return wanted;
}

static const char *check_must(const char *v)
{
    static const char *const words[] = {"connect_and_connect", "abort_before_connect",
                                        "receive_max_publish", NULL};
    return check_one_of(v, words,
                        "connect_and_connect, abort_before_connect or "
                        "receive_max_publish");
}

static const char *check_verdict(const char *v)
{
    static const char *const words[] = {"pass", "warn", "fail", NULL};
    return check_one_of(v, words, "pass, warn or fail");
}

/* check_name keeps a case name on one line: it names a JUnit case and the console's prompt. */
static const char *check_name(const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "a name without control characters (tabs, line breaks)";
    return NULL;
}

static const char *check_topic(const char *v)
{
    return v[0] != '\0' && strpbrk(v, "+#") == NULL ? NULL : "a topic name without wildcards";
}

/* F: the row for member k of struct S, of kind TQ_YAML_<kind>. Optional designated members
 * follow. */
#define F(S, k, kind, ...) TQ_YAML_FIELD(S, k, TQ_YAML_##kind, __VA_ARGS__)

/* The broker settings of a plan's defaults and of a case. Each key is the `tlsqual broker`
 * option of the broker's own table (broker/broker_options.h) that has that key: the table maps
 * it to its option and checks its value, so a plan names the values the broker takes. */
#define BROKER_SETTINGS(X) X(endpoint) X(server_cert) X(chain) X(policy) X(sni) X(listener)
BROKER_SETTINGS(TQ_BROKER_SETTING_CHECK)
#define BROKER_FIELD(k) F(struct tq_device_broker, k, STRING, .check = check_broker_##k),
TQ_YAML_TABLE(broker_table, "broker", BROKER_SETTINGS(BROKER_FIELD));

#define RULE(k) F(struct tq_device_verdict_rules, k, STRING, .check = check_verdict)
TQ_YAML_TABLE(verdict_table, "verdict", RULE(alert), RULE(close), RULE(handshake), RULE(connect));

TQ_YAML_TABLE(publish_table, "publish", F(struct tq_device_publish, payload_size, LONG),
              F(struct tq_device_publish, ack_topic, STRING, .check = check_topic));

TQ_YAML_TABLE(case_table, "case",
              F(struct tq_device_case, name, STRING, .required = true, .check = check_name),
              F(struct tq_device_case, spec, STRING),
              F(struct tq_device_case, description, STRING, .required = true),
              F(struct tq_device_case, device_must, STRING, .required = true, .check = check_must),
              F(struct tq_device_case, broker, MAP, .sub = &broker_table),
              F(struct tq_device_case, verdict, MAP, .sub = &verdict_table),
              F(struct tq_device_case, publish, MAP, .sub = &publish_table));

/* case_init keeps where a case starts, for check_case's errors. */
static void case_init(void *item, unsigned line)
{
    ((struct tq_device_case *)item)->line = line;
}

/* DIGITS(N): the number N as a string literal, for a message fixed when compiling. */
#define DIGITS(n) DIGITS_(n)
#define DIGITS_(n) #n
TQ_YAML_TABLE(plan_table, "top level", F(struct tq_device_plan, name, STRING, .required = true),
              F(struct tq_device_plan, spec, STRING), F(struct tq_device_plan, description, STRING),
              F(struct tq_device_plan, defaults, MAP, .sub = &broker_table),
              F(struct tq_device_plan, cases, SEQ, .sub = &case_table, .required = true,
                .count_offset = offsetof(struct tq_device_plan, num_cases),
                .elem_size = sizeof(struct tq_device_case), .max_items = TQ_DEVICE_PLAN_MAX_CASES,
                .init = case_init,
                .too_many = "a plan has at most " DIGITS(TQ_DEVICE_PLAN_MAX_CASES) " cases",
                .min_items = 1, .too_few = "'cases' must hold at least one case"));

/* The context of the checks on the plan as a whole: where their errors point. */
struct ctx {
    struct tq_diag *diag;
    const char *path;
    unsigned root_line; /* where the top-level mapping starts */
    struct tq_device_plan *plan;
};

/* see device_plan.h */
void tq_device_plan_free(struct tq_device_plan *plan)
{
    if (plan == NULL)
        return;
    tq_yaml_table_free(&plan_table, plan);
    free(plan->path);
    free(plan);
}

static enum tq_verdict verdict_word(const char *word, enum tq_verdict fallback)
{
    return word == NULL ? fallback : tq_verdict_from_name(word);
}

/* finish_case derives the enums of `dc` from the words it was written with. */
static void finish_case(struct tq_device_case *dc)
{
    static const enum tq_device_must musts[] = {TQ_DEVICE_MUST_CONNECT, TQ_DEVICE_MUST_ABORT,
                                                TQ_DEVICE_MUST_RECEIVE_MAX};
    for (size_t i = 0; i < sizeof(musts) / sizeof(musts[0]); i++)
        if (strcmp(dc->device_must, tq_device_must_name(musts[i])) == 0)
            dc->must = musts[i];
    /* docs/aws-iot/device-advisor.md#tls-expired-server-cert: "Pass: device refuses and sends a TLS
     * alert before closing. Warn: refuses without an alert. Fail: handshake completes." */
    dc->on[TQ_DEVICE_OBS_ALERT] = verdict_word(dc->verdict.alert, TQ_VERDICT_PASS);
    dc->on[TQ_DEVICE_OBS_CLOSE] = verdict_word(dc->verdict.close, TQ_VERDICT_WARN);
    dc->on[TQ_DEVICE_OBS_HANDSHAKE] = verdict_word(dc->verdict.handshake, TQ_VERDICT_FAIL);
    dc->on[TQ_DEVICE_OBS_CONNECT] = verdict_word(dc->verdict.connect, TQ_VERDICT_FAIL);
}

/* The largest PUBLISH payload asked for: AWS IoT's whole packet is at most 128 KB. */
enum { MAX_PAYLOAD_SIZE = 128 * 1024 };

static tq_status check_case(struct ctx *c, size_t i)
{
    struct tq_device_case *dc = &c->plan->cases[i];
    unsigned line = dc->line;
    const char *path = c->path;
    if (dc->name[0] == '\0' || strlen(dc->name) > TQ_DEVICE_CASE_NAME_MAX)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "a case name must be 1 to %d characters, got %zu",
                            TQ_DEVICE_CASE_NAME_MAX, strlen(dc->name));
    for (size_t j = 0; j < i; j++)
        if (strcmp(c->plan->cases[j].name, dc->name) == 0)
            return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                                "case name '%s' is already used by the case at line %u", dc->name,
                                c->plan->cases[j].line);
    finish_case(dc);
    bool rules =
        dc->verdict.alert || dc->verdict.close || dc->verdict.handshake || dc->verdict.connect;
    if (rules && dc->must != TQ_DEVICE_MUST_ABORT)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "'verdict' applies to abort_before_connect cases only, got it in a "
                            "%s case",
                            dc->device_must);
    bool publish = dc->publish.payload_size != 0 || dc->publish.ack_topic != NULL;
    if (publish && dc->must != TQ_DEVICE_MUST_RECEIVE_MAX)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "'publish' applies to receive_max_publish cases only, got it in a "
                            "%s case",
                            dc->device_must);
    if (dc->publish.payload_size < 0 || dc->publish.payload_size > MAX_PAYLOAD_SIZE)
        return tq_diag_fail(c->diag, TQ_ERR_PARSE, path, line,
                            "'payload_size' must be 1 to %d bytes (0: the largest that fits), "
                            "got %ld",
                            MAX_PAYLOAD_SIZE, dc->publish.payload_size);
    return TQ_SUCCESS;
}

static tq_status parse_text(struct ctx *c, const char *text, size_t len)
{
    const struct tq_yaml_options opts = {.path = c->path,
                                         .empty_want = "a mapping with name and cases"};
    TQ_GUARD(tq_yaml_table_parse(c->diag, &c->root_line, c->plan, &plan_table, &opts, text, len));
    for (size_t i = 0; i < c->plan->num_cases; i++)
        TQ_GUARD(check_case(c, i));
    return TQ_SUCCESS;
}

/* see device_plan.h */
tq_status tq_device_plan_parse(struct tq_diag *diag, struct tq_device_plan **out, const char *path,
                               const char *text, size_t text_len)
{
    *out = NULL;
    struct tq_device_plan *plan = calloc(1, sizeof(*plan));
    TQ_ENSURE(plan != NULL, TQ_ERR_NOMEM);
    plan->path = strdup(path);
    struct ctx c = {.diag = diag, .path = path, .plan = plan};
    tq_status st = plan->path ? parse_text(&c, text, text_len) : TQ_STATUS(TQ_ERR_NOMEM);
    if (!tq_ok(st)) {
        tq_device_plan_free(plan);
        return st;
    }
    *out = plan;
    return TQ_SUCCESS;
}

/* see device_plan.h */
tq_status tq_device_plan_load(struct tq_diag *diag, struct tq_device_plan **out, const char *path)
{
    *out = NULL;
    char *text TQ_DEFER(tq_free_ptr) = NULL;
    size_t len = 0;
    TQ_GUARD(tq_fs_read_all(diag, &text, &len, path, TQ_DEVICE_PLAN_FILE_MAX));
    return tq_device_plan_parse(diag, out, path, text, len);
}

static const char *broker_value(const struct tq_device_broker *b, const struct tq_yaml_field *f)
{
    return *(char *const *)((const char *)b + f->offset);
}

/* see device_plan.h */
const char *tq_device_plan_setting(const struct tq_device_plan *plan,
                                   const struct tq_device_case *c, const char *key)
{
    const struct tq_yaml_field *f = tq_yaml_table_find(&broker_table, key);
    if (f == NULL)
        return NULL;
    const char *own = c ? broker_value(&c->broker, f) : NULL;
    return own ? own : broker_value(&plan->defaults, f);
}

/* see device_plan.h */
size_t tq_device_plan_broker_args(const struct tq_device_plan *plan, const struct tq_device_case *c,
                                  const char **argv, size_t max_args)
{
    size_t n = 0;
    for (size_t i = 0; i < broker_table.num_fields && n + 2 <= max_args; i++) {
        const char *key = broker_table.fields[i].key;
        const char *value = tq_device_plan_setting(plan, c, key);
        /* every key has its option: check_broker_<key> refused any value of one that has not */
        const struct tq_broker_option *o = tq_broker_option_for_key(key);
        if (value != NULL && o != NULL) {
            argv[n++] = o->flag;
            argv[n++] = value;
        }
    }
    return n;
}

/* see device_plan.h */
const char *tq_device_must_name(enum tq_device_must must)
{
    switch (must) {
    case TQ_DEVICE_MUST_CONNECT:
        return "connect_and_connect";
    case TQ_DEVICE_MUST_ABORT:
        return "abort_before_connect";
    case TQ_DEVICE_MUST_RECEIVE_MAX:
        return "receive_max_publish";
    }
    return "unknown";
}

/* see device_plan.h */
const char *tq_device_observation_name(enum tq_device_observation obs)
{
    switch (obs) {
    case TQ_DEVICE_OBS_ALERT:
        return "alert";
    case TQ_DEVICE_OBS_CLOSE:
        return "close";
    case TQ_DEVICE_OBS_HANDSHAKE:
        return "handshake";
    case TQ_DEVICE_OBS_CONNECT:
        return "connect";
    case TQ_DEVICE_OBS_COUNT:
        break;
    }
    return "unknown";
}
