/* result.c: the result line and the capabilities line, written with jansson.
 * See driver_internal.h. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "driver_internal.h"

#define MAX_RESULT_LINE (256u * 1024u)

static void json_decref_ptr(json_t **v)
{
    json_decref(*v);
}

/* str_or_null is a JSON string, or null for NULL or "". Invalid UTF-8 is replaced, so a library
 * error text can never make the line unwritable. */
static json_t *str_or_null(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return json_null();
    json_t *v = json_string(s);
    if (v != NULL)
        return v;
    char safe[1024];
    size_t n = 0;
    for (; s[n] != '\0' && n < sizeof(safe) - 1; n++)
        safe[n] = (s[n] & 0x80) ? '?' : s[n];
    safe[n] = '\0';
    return json_string(safe);
}

static json_t *ms(double v)
{
    return json_real((double)(long long)(v * 1000.0) / 1000.0);
}

static json_t *chain_json(const struct tq_session_info *info)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < info->num_chain && i < TQ_MAX_PEER_CHAIN; i++) {
        const struct tq_peer_cert *c = &info->chain[i];
        json_array_append_new(arr, json_pack("{s:o, s:o, s:o}", "subject", str_or_null(c->subject),
                                             "issuer", str_or_null(c->issuer), "sha256",
                                             str_or_null(c->sha256)));
    }
    return arr;
}

static json_t *alert_json(int desc)
{
    if (desc < 0)
        return json_null();
    const char *word = tq_alert_word(desc);
    return word != NULL ? json_string(word) : json_null();
}

static json_t *mqtt_json(const struct tq_mqtt_report *m)
{
    json_t *suback = json_array();
    for (size_t i = 0; i < m->num_suback; i++)
        json_array_append_new(suback, json_integer(m->suback[i]));
    return json_pack("{s:o, s:o, s:I, s:I}", "connack",
                     m->connack < 0 ? json_null() : json_integer(m->connack), "suback", suback,
                     "puback", (json_int_t)m->puback, "received", (json_int_t)m->received);
}

static void add_session(json_t *obj, const struct tq_case_result *r)
{
    const struct tq_session_info *s = &r->session;
    bool have = r->has_session;
    json_object_set_new(obj, "version", str_or_null(have ? s->version : NULL));
    json_object_set_new(obj, "suite", str_or_null(have ? s->suite : NULL));
    json_object_set_new(obj, "alpn", str_or_null(have ? s->alpn : NULL));
    json_object_set_new(obj, "local_port",
                        r->local_port < 0 ? json_null() : json_integer(r->local_port));
    json_object_set_new(obj, "peer_chain", have ? chain_json(s) : json_array());
    json_object_set_new(obj, "verify",
                        have && s->has_verify
                            ? json_pack("{s:b, s:s, s:o}", "ok", s->verify_ok, "code",
                                        s->verify_code, "text", str_or_null(s->verify_text))
                            : json_null());
    json_object_set_new(obj, "alert",
                        json_pack("{s:o, s:o}", "sent", alert_json(have ? s->alert_sent : -1),
                                  "received", alert_json(have ? s->alert_received : -1)));
}

static json_t *result_json(const struct tq_case_result *r)
{
    char outcome[TQ_OUTCOME_WIRE_MAX];
    tq_outcome_format(outcome, sizeof(outcome), &r->outcome);
    json_t *obj = json_object();
    json_object_set_new(obj, "id", str_or_null(r->id));
    json_object_set_new(obj, "outcome", json_string(outcome));
    if (r->outcome.reason[0] != '\0')
        json_object_set_new(obj, "reason", str_or_null(r->outcome.reason));
    json_object_set_new(obj, "handshake", json_string(r->handshake));
    add_session(obj, r);
    json_object_set_new(obj, "mqtt", r->mqtt.ran ? mqtt_json(&r->mqtt) : json_null());
    json_object_set_new(obj, "timings_ms",
                        json_pack("{s:o, s:o, s:o, s:o}", "connect", ms(r->t_connect), "handshake",
                                  ms(r->t_handshake), "mqtt", ms(r->t_mqtt), "total",
                                  ms(r->t_total)));
    json_object_set_new(obj, "library", str_or_null(r->library));
    json_object_set_new(obj, "error", str_or_null(r->outcome.error));
    return obj;
}

static tq_status write_line(struct tq_diag *diag, FILE *out, const json_t *obj)
{
    char *text TQ_DEFER(tq_free_ptr) =
        json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text == NULL)
        return tq_diag_fail(diag, TQ_ERR_NOMEM, NULL, 0, "cannot encode the JSON line");
    size_t len = strlen(text);
    if (len > MAX_RESULT_LINE)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "line of %zu bytes exceeds %u", len,
                            MAX_RESULT_LINE);
    if (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) != 0)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "cannot write to stdout");
    return TQ_SUCCESS;
}

/* see driver_internal.h */
tq_status tq__write_result(struct tq_diag *diag, FILE *out, const struct tq_case_result *r)
{
    json_t *obj TQ_DEFER(json_decref_ptr) = result_json(r);
    TQ_ENSURE(obj != NULL, TQ_ERR_NOMEM);
    return write_line(diag, out, obj);
}

/* The feature names of the capabilities line, one per enum tq_feature bit. */
static const struct {
    uint32_t bit;
    const char *name;
} feature_names[] = {
    {TQ_FEAT_SNI, "sni"},
    {TQ_FEAT_NO_SNI, "no_sni"},
    {TQ_FEAT_ALPN, "alpn"},
    {TQ_FEAT_CRL, "crl"},
    {TQ_FEAT_CLIENT_CERT, "client_cert"},
    {TQ_FEAT_VERIFY_TIME, "verify_time"},
    {TQ_FEAT_MFL, "max_fragment_length"},
    {TQ_FEAT_GROUPS, "groups"},
    {TQ_FEAT_SIGALGS, "sigalgs"},
    {TQ_FEAT_SUITES, "suites"},
    {TQ_FEAT_NO_VERIFY, "no_verify"},
};

/* see driver_internal.h */
const char *tq__feature_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
        if (feature_names[i].bit == bit)
            return feature_names[i].name;
    }
    return "unknown";
}

struct tq_name_sink {
    json_t *array;
};

/* see backend_ops.h */
void tq_name_sink_add(struct tq_name_sink *sink, const char *name)
{
    for (size_t i = 0; i < json_array_size(sink->array); i++) {
        if (strcmp(json_string_value(json_array_get(sink->array, i)), name) == 0)
            return;
    }
    json_array_append_new(sink->array, json_string(name));
}

static json_t *names_json(const struct tq_tls_client_ops *ops, enum tq_name_kind kind)
{
    struct tq_name_sink sink = {.array = json_array()};
    ops->list_names(kind, &sink);
    return sink.array;
}

static json_t *features_json(const struct tq_tls_client_ops *ops)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
        if (ops->features & feature_names[i].bit)
            json_array_append_new(arr, json_string(feature_names[i].name));
    }
    json_array_append_new(arr, json_string("mqtt")); /* the driver's own */
    return arr;
}

static json_t *key_types_json(const struct tq_tls_client_ops *ops)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {{TQ_KEY_RSA, "rsa"}, {TQ_KEY_EC, "ec"}, {TQ_KEY_DSA, "dsa"}};
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (ops->client_key_types & names[i].bit)
            json_array_append_new(arr, json_string(names[i].name));
    return arr;
}

static json_t *versions_json(const struct tq_tls_client_ops *ops)
{
    json_t *arr = json_array();
    for (enum tq_tls_version v = TQ_TLS_1_0; v <= TQ_TLS_1_3; v++) {
        if (ops->versions & TQ_VERSION_BIT(v))
            json_array_append_new(arr, json_string(tq_tls_version_name(v)));
    }
    return arr;
}

/* see driver_internal.h */
tq_status tq__write_capabilities(struct tq_diag *diag, FILE *out,
                                 const struct tq_tls_client_ops *ops)
{
    json_t *obj TQ_DEFER(json_decref_ptr) = json_object();
    TQ_ENSURE(obj != NULL, TQ_ERR_NOMEM);
    json_object_set_new(obj, "protocol", json_integer(1));
    json_object_set_new(obj, "name", json_string(ops->name));
    json_object_set_new(obj, "library", str_or_null(ops->library_version()));
    json_object_set_new(obj, "versions", versions_json(ops));
    json_object_set_new(obj, "suites", names_json(ops, TQ_NAMES_SUITES));
    json_object_set_new(obj, "groups", names_json(ops, TQ_NAMES_GROUPS));
    json_object_set_new(obj, "sigalgs", names_json(ops, TQ_NAMES_SIGALGS));
    json_object_set_new(obj, "features", features_json(ops));
    if (ops->client_key_types != 0)
        json_object_set_new(obj, "key_types", key_types_json(ops));
    return write_line(diag, out, obj);
}
