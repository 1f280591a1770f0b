#include "case.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The trust store when a scenario names none: every root of the endpoint it talks to, as AWS
 * asks of devices ("install all Amazon roots",
 * docs/aws-iot/server-chains.md#trust-store-guidance). */
static const char *const ats_roots[] = {"ats-root-ca-1", "ats-root-ca-2", "ats-root-ca-3",
                                        "ats-root-ca-4", NULL};
static const char *const legacy_roots[] = {"legacy-root-ca-g5", NULL};

static const char *const *default_trust(const struct tq_scenario *s)
{
    return s->broker.endpoint && strcmp(s->broker.endpoint, "legacy") == 0 ? legacy_roots
                                                                           : ats_roots;
}

static tq_status need(struct tq_diag *diag, const struct tq_scenario *s, tq_artifact_known_fn known,
                      const void *ctx, const char *source, const char *name)
{
    if (known(ctx, name))
        return TQ_SUCCESS;
    return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, s->path, tq_scenario_line_of(s, name),
                        "scenario '%s' names certificate '%s', which %s lacks (docs/pki.md "
                        "lists every name)",
                        s->name, name, source);
}

/* see case.h */
tq_status tq_case_check_names(struct tq_diag *diag, const struct tq_scenario *s,
                              tq_artifact_known_fn known, const void *ctx, const char *source)
{
    if (s->client.certificate)
        TQ_GUARD(need(diag, s, known, ctx, source, s->client.certificate));
    for (size_t i = 0; i < s->client.trust.num; i++)
        TQ_GUARD(need(diag, s, known, ctx, source, s->client.trust.items[i]));
    for (const char *const *root = default_trust(s); s->client.trust.num == 0 && *root; root++)
        TQ_GUARD(need(diag, s, known, ctx, source, *root));
    if (s->expect.server_certificate)
        TQ_GUARD(need(diag, s, known, ctx, source, s->expect.server_certificate));
    if (s->companion.certificate)
        TQ_GUARD(need(diag, s, known, ctx, source, s->companion.certificate));
    const struct tq_strlist *lists[] = {&s->client.crl, &s->expect.chain_includes,
                                        &s->expect.chain_excludes};
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
        for (size_t i = 0; i < lists[l]->num; i++)
            TQ_GUARD(need(diag, s, known, ctx, source, lists[l]->items[i]));
    if (s->broker.server_cert)
        TQ_GUARD(need(diag, s, known, ctx, source, s->broker.server_cert));
    for (size_t i = 0; i < s->num_steps; i++) {
        if (s->steps[i].certificate)
            TQ_GUARD(need(diag, s, known, ctx, source, s->steps[i].certificate));
        if (s->steps[i].ca)
            TQ_GUARD(need(diag, s, known, ctx, source, s->steps[i].ca));
    }
    return TQ_SUCCESS;
}

/* find writes the artifact called `name` into `*out`, or fails naming the scenario's line. */
static tq_status find(struct tq_diag *diag, const struct tq_artifact **out,
                      const struct tq_scenario *s, const struct tq_manifest *pki, const char *name)
{
    *out = name ? tq_manifest_find(pki, name) : NULL;
    if (name == NULL || *out != NULL)
        return TQ_SUCCESS;
    return tq_diag_fail(diag, TQ_ERR_NOT_FOUND, s->path, tq_scenario_line_of(s, name),
                        "scenario '%s' names certificate '%s', which %s lacks (docs/pki.md "
                        "lists every name)",
                        s->name, name, tq_manifest_dir(pki));
}

/* find_list resolves every name of `l` into `out`. */
static tq_status find_list(struct tq_diag *diag, const struct tq_artifact **out, size_t *out_num,
                           const struct tq_scenario *s, const struct tq_manifest *pki,
                           const struct tq_strlist *l)
{
    for (*out_num = 0; *out_num < l->num; (*out_num)++)
        TQ_GUARD(find(diag, &out[*out_num], s, pki, l->items[*out_num]));
    return TQ_SUCCESS;
}

/* see case.h */
tq_status tq_case_resolve(struct tq_diag *diag, struct tq_case_pki *out,
                          const struct tq_scenario *s, const struct tq_manifest *pki)
{
    *out = (struct tq_case_pki){.num_trust = 0};
    const struct tq_artifact *ignored;
    TQ_GUARD(find(diag, &out->client, s, pki, s->client.certificate));
    TQ_GUARD(find(diag, &out->companion, s, pki, s->companion.certificate));
    TQ_GUARD(find(diag, &out->server_certificate, s, pki, s->expect.server_certificate));
    TQ_GUARD(find(diag, &ignored, s, pki, s->broker.server_cert)); /* the broker's to load */
    if (s->client.trust.num > 0)
        TQ_GUARD(find_list(diag, out->trust, &out->num_trust, s, pki, &s->client.trust));
    for (const char *const *root = default_trust(s);
         s->client.trust.num == 0 && *root && out->num_trust < TQ_SCENARIO_LIST_MAX; root++)
        TQ_GUARD(find(diag, &out->trust[out->num_trust++], s, pki, *root));
    TQ_GUARD(find_list(diag, out->crl, &out->num_crl, s, pki, &s->client.crl));
    for (size_t i = 0; i < out->num_crl; i++)
        if (out->crl[i]->crl == NULL)
            return tq_diag_fail(diag, TQ_ERR_PARSE, s->path,
                                tq_scenario_line_of(s, s->client.crl.items[i]),
                                "'%s' signs no CRL; client.crl wants CA artifacts with one",
                                s->client.crl.items[i]);
    TQ_GUARD(find_list(diag, out->chain_includes, &out->num_chain_includes, s, pki,
                       &s->expect.chain_includes));
    TQ_GUARD(find_list(diag, out->chain_excludes, &out->num_chain_excludes, s, pki,
                       &s->expect.chain_excludes));
    for (size_t i = 0; i < s->num_steps; i++) {
        TQ_GUARD(find(diag, &out->step_certificate[i], s, pki, s->steps[i].certificate));
        TQ_GUARD(find(diag, &out->step_ca[i], s, pki, s->steps[i].ca));
    }
    return TQ_SUCCESS;
}

static json_t *string_list(const struct tq_strlist *l)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < l->num; i++)
        json_array_append_new(arr, json_string(l->items[i]));
    return arr;
}

static json_t *trust_paths(const struct tq_case_pki *art)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < art->num_trust; i++)
        json_array_append_new(arr, json_string(art->trust[i]->cert));
    return arr;
}

static json_t *steps(const struct tq_mqtt_step *list, size_t num, bool with_payload)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < num; i++) {
        json_t *step =
            json_pack("{s:s, s:I}", "topic", list[i].topic, "qos", (json_int_t)list[i].qos);
        if (with_payload)
            json_object_set_new(step, "payload",
                                json_string(list[i].payload ? list[i].payload : ""));
        json_array_append_new(arr, step);
    }
    return arr;
}

/* client_id derives a stable MQTT client ID from the scenario name when none is given: the
 * backend and the name's letters and digits, at most 120 bytes (AWS IoT allows 128). */
/* expand_backend writes `id` with "{backend}" replaced by the backend's name: a scenario that
 * fixes a client ID still gets one per backend, since backends run at once. */
static void expand_backend(char *out, size_t out_len, const char *id, const char *backend)
{
    const char *at = strstr(id, "{backend}");
    if (at == NULL)
        snprintf(out, out_len, "%s", id);
    else
        snprintf(out, out_len, "%.*s%s%s", (int)(at - id), id, backend ? backend : "",
                 at + strlen("{backend}"));
}

static void client_id(char *out, size_t out_len, const struct tq_scenario *s, const char *backend)
{
    if (s->client.mqtt.client_id) {
        expand_backend(out, out_len, s->client.mqtt.client_id, backend);
        return;
    }
    int written = snprintf(out, out_len, "tq-%.16s-", backend ? backend : "x");
    size_t n = written > 0 && (size_t)written < out_len ? (size_t)written : 0;
    for (const char *p = s->name; *p && n + 1 < out_len && n < 120; p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (keep || (n > 0 && out[n - 1] != '-'))
            out[n++] = keep ? ch : '-';
    }
    out[n] = '\0';
}

/* see case.h */
void tq_case_companion_topic(char *out, size_t out_len, const struct tq_scenario *s,
                             const struct tq_case_context *ctx)
{
    char id[128];
    client_id(id, sizeof(id), s, ctx->backend);
    snprintf(out, out_len, "tlsqual/companion/%s", id);
}

static json_t *mqtt_object(const struct tq_scenario *s, const struct tq_case_context *ctx)
{
    const struct tq_scenario_mqtt *m = &s->client.mqtt;
    char id[128];
    client_id(id, sizeof(id), s, ctx->backend);
    json_t *publish = steps(m->publish, m->num_publish, true);
    if (s->companion.enabled) {
        char topic[200];
        tq_case_companion_topic(topic, sizeof(topic), s, ctx);
        json_array_append_new(
            publish, json_pack("{s:s, s:i, s:s}", "topic", topic, "qos", 0, "payload", "release"));
    }
    json_t *obj = json_pack("{s:s, s:o, s:o, s:I}", "client_id", id, "subscribe",
                            steps(m->subscribe, m->num_subscribe, false), "publish", publish,
                            "expect_messages", (json_int_t)m->expect_messages);
    if (m->keep_alive > 0)
        json_object_set_new(obj, "keep_alive", json_integer(m->keep_alive));
    return obj;
}

static const char *server_name(const struct tq_scenario *s, const struct tq_manifest *pki)
{
    const char *type = s->broker.endpoint ? s->broker.endpoint : "ats";
    if (s->client.server_name == NULL || strcmp(s->client.server_name, "endpoint") == 0)
        return tq_manifest_endpoint(pki, type);
    return s->client.server_name;
}

/* add_client_options adds the client's settings to case `c`; false when a member could not
 * be built (out of memory, or a bug in a json_pack format: never dropped silently). */
static bool add_client_options(json_t *c, const struct tq_scenario *s,
                               const struct tq_case_context *ctx)
{
    const struct tq_scenario_client *cl = &s->client;
    if (ctx->art->client) {
        json_object_set_new(c, "cert", json_string(ctx->art->client->cert));
        json_object_set_new(c, "key", json_string(ctx->art->client->key));
    }
    if (cl->versions.min || cl->versions.max) {
        json_t *v = json_object();
        if (cl->versions.min)
            json_object_set_new(v, "min", json_string(cl->versions.min));
        if (cl->versions.max)
            json_object_set_new(v, "max", json_string(cl->versions.max));
        json_object_set_new(c, "versions", v);
    }
    if (cl->suites.num)
        json_object_set_new(c, "suites", string_list(&cl->suites));
    if (cl->alpn.num)
        json_object_set_new(c, "alpn", string_list(&cl->alpn));
    if (ctx->art->num_crl) {
        json_t *crls = json_array();
        for (size_t i = 0; i < ctx->art->num_crl; i++)
            json_array_append_new(crls, json_string(ctx->art->crl[i]->crl));
        json_object_set_new(c, "crl", crls);
    }
    json_t *mqtt = cl->mqtt.enabled ? mqtt_object(s, ctx) : NULL;
    if (cl->mqtt.enabled && mqtt == NULL)
        return false;
    if (mqtt != NULL)
        json_object_set_new(c, "mqtt", mqtt);
    return true;
}

static tq_status to_line(char **out_line, json_t *c)
{
    char *text = c ? json_dumps(c, JSON_COMPACT) : NULL;
    json_decref(c);
    TQ_ENSURE(text != NULL, TQ_ERR_NOMEM);
    size_t len = strlen(text);
    *out_line = realloc(text, len + 2);
    if (*out_line == NULL) {
        free(text);
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    memcpy(*out_line + len, "\n", 2);
    return TQ_SUCCESS;
}

static json_t *case_object(const struct tq_scenario *s, const struct tq_case_context *ctx)
{
    json_t *c = json_pack("{s:s, s:s, s:i, s:s?, s:b, s:o, s:i}", "id", s->name, "host", ctx->host,
                          "port", ctx->port, "server_name", server_name(s, ctx->pki), "send_sni",
                          s->client.send_sni, "trust", trust_paths(ctx->art), "timeout_ms",
                          ctx->timeout_ms);
    if (c != NULL && !add_client_options(c, s, ctx)) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* see case.h */
tq_status tq_case_build(struct tq_diag *diag, char **out_line, const struct tq_scenario *s,
                        const struct tq_case_context *ctx)
{
    (void)diag; /* kept for the idiom: building fails only without memory */
    *out_line = NULL;
    return to_line(out_line, case_object(s, ctx));
}

/* see case.h */
tq_status tq_case_build_companion(struct tq_diag *diag, char **out_line, char *client_id_out,
                                  size_t client_id_len, const struct tq_scenario *s,
                                  const struct tq_case_context *ctx)
{
    (void)diag;
    *out_line = NULL;
    char topic[200];
    tq_case_companion_topic(topic, sizeof(topic), s, ctx);
    if (s->companion.client_id)
        expand_backend(client_id_out, client_id_len, s->companion.client_id, ctx->backend);
    else
        snprintf(client_id_out, client_id_len, "tq-%.16s-companion-%.80s", ctx->backend,
                 topic + strlen("tlsqual/companion/"));
    json_t *c = case_object(s, ctx);
    TQ_ENSURE(c != NULL, TQ_ERR_NOMEM);
    const struct tq_artifact *a = ctx->art->companion ? ctx->art->companion : ctx->art->client;
    if (a != NULL) {
        json_object_set_new(c, "cert", json_string(a->cert));
        json_object_set_new(c, "key", json_string(a->key));
    }
    json_object_set_new(c, "id", json_sprintf("%s (companion)", s->name));
    json_object_set_new(c, "mqtt",
                        json_pack("{s:s, s:[{s:s, s:i}], s:i}", "client_id", client_id_out,
                                  "subscribe", "topic", topic, "qos", 0, "expect_messages", 1));
    return to_line(out_line, c);
}

/* step_client_id writes the MQTT client ID of connect step `step`: its own, else one derived
 * from the scenario's and the connection's names. */
static void step_client_id(char *out, size_t out_len, const struct tq_scenario *s,
                           const struct tq_scenario_step *step, const char *backend)
{
    if (step->client_id) {
        expand_backend(out, out_len, step->client_id, backend);
        return;
    }
    char base[128];
    client_id(base, sizeof(base), s, backend);
    snprintf(out, out_len, "%.80s-%.40s", base, step->connect);
}

/* see case.h */
tq_status tq_case_build_step(struct tq_diag *diag, char **out_line, char *client_id_out,
                             size_t client_id_len, const struct tq_scenario *s,
                             const struct tq_scenario_step *step, const struct tq_case_context *ctx)
{
    (void)diag;
    *out_line = NULL;
    step_client_id(client_id_out, client_id_len, s, step, ctx->backend);
    json_t *c = case_object(s, ctx);
    TQ_ENSURE(c != NULL, TQ_ERR_NOMEM);
    const struct tq_artifact *a = ctx->art->step_certificate[step - s->steps];
    if (a != NULL) {
        json_object_set_new(c, "cert", json_string(a->cert));
        json_object_set_new(c, "key", json_string(a->key));
    }
    json_object_set_new(c, "id", json_sprintf("%s [%s]", s->name, step->connect));
    json_t *mqtt = json_object_get(c, "mqtt");
    if (step->hold) {
        char topic[200];
        snprintf(topic, sizeof(topic), "tlsqual/hold/%s", client_id_out);
        mqtt = json_pack("{s:[{s:s, s:i}], s:i}", "subscribe", "topic",
                         step->topic ? step->topic : topic, "qos", 0, "expect_messages", 1);
        json_object_set_new(c, "mqtt", mqtt);
    } else if (mqtt == NULL) {
        mqtt = json_object();
        json_object_set_new(c, "mqtt", mqtt);
    }
    if (mqtt == NULL || json_object_set_new(mqtt, "client_id", json_string(client_id_out)) != 0) {
        json_decref(c);
        TQ_BAIL(TQ_ERR_NOMEM);
    }
    return to_line(out_line, c);
}
