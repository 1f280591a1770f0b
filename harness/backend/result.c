#include "result.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static tq_status copy_string(struct tq_diag *diag, char *out, size_t out_len, json_t *obj,
                             const char *key, bool required)
{
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (v == NULL || json_is_null(v)) {
        if (required)
            return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "result lacks \"%s\"", key);
        return TQ_SUCCESS;
    }
    if (!json_is_string(v))
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "result member \"%s\" is not a string",
                            key);
    snprintf(out, out_len, "%s", json_string_value(v));
    return TQ_SUCCESS;
}

static long opt_integer(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static tq_status read_object(struct tq_diag *diag, struct tq_result *out, json_t *obj)
{
    TQ_GUARD(copy_string(diag, out->id, sizeof(out->id), obj, "id", false));
    TQ_GUARD(copy_string(diag, out->outcome, sizeof(out->outcome), obj, "outcome", true));
    TQ_GUARD(copy_string(diag, out->reason, sizeof(out->reason), obj, "reason", false));
    TQ_GUARD(copy_string(diag, out->handshake, sizeof(out->handshake), obj, "handshake", false));
    TQ_GUARD(copy_string(diag, out->version, sizeof(out->version), obj, "version", false));
    TQ_GUARD(copy_string(diag, out->suite, sizeof(out->suite), obj, "suite", false));
    TQ_GUARD(copy_string(diag, out->error, sizeof(out->error), obj, "error", false));
    if (!tq_outcome_known(out->outcome))
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "result outcome '%s' is not in the canonical vocabulary",
                            out->outcome);
    json_t *chain = json_object_get(obj, "peer_chain");
    for (size_t i = 0; i < json_array_size(chain) && i < TQ_RESULT_CHAIN_MAX; i++) {
        char *slot = out->chain_sha256[out->num_chain++];
        TQ_GUARD(copy_string(diag, slot, 65, json_array_get(chain, i), "sha256", false));
    }
    snprintf(out->leaf_sha256, sizeof(out->leaf_sha256), "%s",
             out->num_chain ? out->chain_sha256[0] : "");
    out->connack = opt_integer(json_object_get(obj, "mqtt"), "connack");
    out->local_port = opt_integer(obj, "local_port");
    return TQ_SUCCESS;
}

/* see result.h */
tq_status tq_result_parse(struct tq_diag *diag, struct tq_result *out, const char *text,
                          size_t len)
{
    *out = (struct tq_result){.connack = -1, .local_port = -1};
    if (text == NULL || len == 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "the backend wrote no result line");
    const char *nl = memchr(text, '\n', len);
    size_t line_len = nl ? (size_t)(nl - text) : len;
    if (line_len == 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "the backend wrote no result line");
    if (line_len > TQ_RESULT_LINE_MAX)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0, "result line of %zu bytes exceeds %d",
                            line_len, TQ_RESULT_LINE_MAX);
    json_error_t err;
    json_t *obj = json_loadb(text, line_len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "result line is not a JSON object: %s", obj ? "other type" : err.text);
    }
    tq_status st = read_object(diag, out, obj);
    json_decref(obj);
    return st;
}
