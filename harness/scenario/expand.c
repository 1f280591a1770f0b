#include "expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static tq_status set_str(char **slot, const char *value)
{
    char *copy = strdup(value);
    TQ_ENSURE(copy != NULL, TQ_ERR_NOMEM);
    free(*slot);
    *slot = copy;
    return TQ_SUCCESS;
}

static tq_status expand_name(struct tq_diag *diag, struct tq_scenario *s, const char *suite)
{
    char name[256];
    const char *at = strstr(s->name, "{suite}");
    snprintf(name, sizeof(name), "%.*s%s%s", (int)(at - s->name), s->name, suite,
             at + strlen("{suite}"));
    if (strlen(name) > TQ_SCENARIO_NAME_MAX)
        return tq_diag_fail(diag, TQ_ERR_PARSE, s->path, s->name_line,
                            "expanded name '%s' is %zu characters, more than %d", name,
                            strlen(name), TQ_SCENARIO_NAME_MAX);
    return set_str(&s->name, name);
}

/* chain_for names the leaf the broker must serve for `suite`
 * (docs/aws-iot/server-chains.md#chain-selection). */
static const char *chain_for(const struct tq_scenario *s, const struct tq_policy_suite *suite)
{
    if (s->broker.endpoint && strcmp(s->broker.endpoint, "legacy") == 0)
        return "legacy-server-rsa";
    return suite->tls13 || strstr(suite->iana, "_ECDSA_") ? "ats-server-ecdsa" : "ats-server-rsa";
}

static tq_status pin_suite(struct tq_diag *diag, struct tq_scenario *s,
                           const struct tq_policy_suite *suite)
{
    const char *version = suite->tls13 ? "1.3" : "1.2";
    TQ_GUARD(expand_name(diag, s, suite->openssl));
    s->client.suites.num = 1;
    TQ_GUARD(set_str(&s->client.suites.items[0], suite->iana));
    if (s->client.versions.min == NULL && s->client.versions.max == NULL) {
        TQ_GUARD(set_str(&s->client.versions.min, version));
        TQ_GUARD(set_str(&s->client.versions.max, version));
    }
    if (s->expect.suite == NULL)
        TQ_GUARD(set_str(&s->expect.suite, suite->iana));
    if (s->expect.server_certificate == NULL)
        TQ_GUARD(set_str(&s->expect.server_certificate, chain_for(s, suite)));
    free(s->expand);
    s->expand = NULL;
    return TQ_SUCCESS;
}

/* see expand.h */
tq_status tq_expand_scenario(struct tq_diag *diag, struct tq_scenario **out, size_t max_out,
                             size_t *out_num, const struct tq_scenario *tmpl)
{
    *out_num = 0;
    const char *id = tmpl->broker.policy ? tmpl->broker.policy : TQ_POLICY_DEFAULT_ID;
    const struct tq_policy *policy = tq_policy_find(id);
    if (policy == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, tmpl->path, 0,
                            "unknown security policy '%s' (tlsqual broker --help-policies)", id);
    for (size_t i = 0; i < tq_policy_num_suites(policy); i++) {
        if (*out_num == max_out)
            return tq_diag_fail(diag, TQ_ERR_LIMIT, tmpl->path, 0, "expands to more than %zu",
                                max_out);
        struct tq_scenario *s = NULL;
        TQ_GUARD(tq_scenario_load(diag, &s, tmpl->path));
        out[(*out_num)++] = s;
        TQ_GUARD(pin_suite(diag, s, tq_policy_suite(policy, i)));
    }
    return TQ_SUCCESS;
}
