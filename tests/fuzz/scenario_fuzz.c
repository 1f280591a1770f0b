/* scenario_fuzz: tq_scenario_parse (harness/scenario.h) over arbitrary text.
 *
 * Scenario files come from the repository and from users' own suites, so a malformed one must
 * fail with a located message, never crash. On success the target checks what the runner relies
 * on: the bounds of scenario.h (name length, list and step counts), a name on one printable line
 * that a baseline can hold, at least one known outcome wherever an expectation is (top level and
 * steps) and a known word for every alternative, a companion only with MQTT, value lines inside
 * the file, broker arguments in option/value pairs, and for a lifecycle scenario: one kind per
 * step, an expectation exactly where the engine judges one, and every wait naming an earlier
 * held connection. Each of these is a parser check with a file:line error (scenario_test.c has
 * a bad file for each). On failure `*out` is NULL and the diagnostic names the input. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "scenario.h"

static const char path[] = "fuzz/scenario.yaml";

static void check_list(const struct tq_strlist *l)
{
    TQ_FUZZ_CHECK(l->num <= TQ_SCENARIO_LIST_MAX);
    for (size_t i = 0; i < l->num; i++)
        TQ_FUZZ_CHECK(l->items[i] != NULL);
}

static void check_steps(const struct tq_mqtt_step *steps, size_t num)
{
    TQ_FUZZ_CHECK(num <= TQ_SCENARIO_MQTT_MAX);
    for (size_t i = 0; i < num; i++)
        TQ_FUZZ_CHECK(steps[i].topic != NULL);
}

static void check_expect(const struct tq_scenario_expect *e)
{
    TQ_FUZZ_CHECK(e->outcome.num >= 1);
    check_list(&e->outcome);
    for (size_t i = 0; i < e->outcome.num; i++)
        TQ_FUZZ_CHECK(tq_outcome_known(e->outcome.items[i]));
    check_list(&e->warn_outcome);
    for (size_t i = 0; i < e->warn_outcome.num; i++)
        TQ_FUZZ_CHECK(tq_outcome_known(e->warn_outcome.items[i]));
}

/* check_name: one printable line that a baseline line can name (case IDs, docs). */
static void check_name(const char *name)
{
    for (const char *p = name; *p; p++)
        TQ_FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    TQ_FUZZ_CHECK(strstr(name, " #") == NULL);
}

/* check_lifecycle_step checks step `i` of `s` as harness/lifecycle.c relies on it. */
static void check_lifecycle_step(const struct tq_scenario *s, size_t i, size_t max_lines)
{
    const struct tq_scenario_step *step = &s->steps[i];
    TQ_FUZZ_CHECK(!!step->connect + !!step->api + !!step->wait + !!step->restart == 1);
    TQ_FUZZ_CHECK(step->line >= 1 && step->line <= max_lines);
    TQ_FUZZ_CHECK(step->has_expect == ((step->connect && !step->hold) || step->wait != NULL));
    if (step->has_expect)
        check_expect(&step->expect);
    if (step->api && strcmp(step->api, "UpdateCACertificate") != 0)
        TQ_FUZZ_CHECK(step->certificate != NULL);
    bool held = false;
    for (size_t j = 0; step->wait && j < i; j++)
        held |=
            s->steps[j].connect && s->steps[j].hold && strcmp(s->steps[j].connect, step->wait) == 0;
    TQ_FUZZ_CHECK(!step->wait || held);
}

/* check_scenario checks `s`, parsed from a file of at most `max_lines` lines. */
static void check_scenario(const struct tq_scenario *s, size_t max_lines)
{
    TQ_FUZZ_CHECK(strcmp(s->path, path) == 0 && s->name != NULL && s->spec != NULL);
    size_t name_len = strlen(s->name);
    TQ_FUZZ_CHECK(name_len >= 1 && (s->expand != NULL || name_len <= TQ_SCENARIO_NAME_MAX));
    check_name(s->name);
    TQ_FUZZ_CHECK(s->num_steps <= TQ_SCENARIO_STEPS_MAX);
    TQ_FUZZ_CHECK(s->num_steps > 0 ? !s->has_expect : s->has_expect);
    if (s->has_expect)
        check_expect(&s->expect);
    for (size_t i = 0; i < s->num_steps; i++)
        check_lifecycle_step(s, i, max_lines);
    check_list(&s->tags);
    check_list(&s->client.trust);
    check_list(&s->client.suites);
    check_list(&s->client.alpn);
    check_steps(s->client.mqtt.subscribe, s->client.mqtt.num_subscribe);
    check_steps(s->client.mqtt.publish, s->client.mqtt.num_publish);
    TQ_FUZZ_CHECK(!s->companion.enabled || s->client.mqtt.enabled);
    TQ_FUZZ_CHECK(tq_scenario_line_of(s, s->name) <= max_lines);
    TQ_FUZZ_CHECK(tq_scenario_line_of(s, s->spec) <= max_lines);
    const char *argv[64];
    size_t n = tq_scenario_broker_args(&s->broker, argv, sizeof(argv) / sizeof(argv[0]));
    TQ_FUZZ_CHECK(n % 2 == 0 && n <= sizeof(argv) / sizeof(argv[0]));
    for (size_t i = 0; i < n; i += 2)
        TQ_FUZZ_CHECK(strncmp(argv[i], "--", 2) == 0 && argv[i + 1] != NULL);
}

/* see fuzz_check.h */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tq_diag diag = {.code = TQ_OK};
    struct tq_scenario *s = (struct tq_scenario *)1; /* must be overwritten either way */
    tq_status st = tq_scenario_parse(&diag, &s, path, (const char *)data, size);
    if (tq_ok(st)) {
        check_scenario(s, size + 1); /* every line break takes at least one byte */
    } else {
        TQ_FUZZ_CHECK(s == NULL && diag.code == st.code);
        TQ_FUZZ_CHECK(st.code == TQ_ERR_NOMEM ||
                      (diag.msg[0] != '\0' && strcmp(diag.path, path) == 0));
    }
    tq_scenario_free(s);
    return 0;
}
