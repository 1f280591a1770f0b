#include "result.h"

#include <jansson.h>
#include <stdarg.h>
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

/* check_id: the result answers the case sent, compared in full (never a truncated copy), so a
 * late or repeated answer to another case cannot be taken for this one's. */
static tq_status check_id(struct tq_diag *diag, json_t *obj, const char *want_id)
{
    json_t *id = json_object_get(obj, "id");
    if (!json_is_string(id))
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "want a result with \"id\": \"%s\", got one without a string id",
                            want_id);
    /* Lengths first: a JSON string may hold "\u0000", and "a\u0000b" is not "a". */
    if (json_string_length(id) != strlen(want_id) ||
        memcmp(json_string_value(id), want_id, json_string_length(id)) != 0) {
        char got[120];
        tq_result_quote(got, sizeof(got), json_string_value(id), json_string_length(id));
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "want the result of case '%s', got a result with id %s", want_id, got);
    }
    return TQ_SUCCESS;
}

static tq_status read_object(struct tq_diag *diag, struct tq_result *out, json_t *obj,
                             const char *want_id)
{
    TQ_GUARD(check_id(diag, obj, want_id));
    TQ_GUARD(copy_string(diag, out->id, sizeof(out->id), obj, "id", true));
    TQ_GUARD(copy_string(diag, out->outcome, sizeof(out->outcome), obj, "outcome", true));
    TQ_GUARD(copy_string(diag, out->reason, sizeof(out->reason), obj, "reason", false));
    TQ_GUARD(copy_string(diag, out->handshake, sizeof(out->handshake), obj, "handshake", false));
    TQ_GUARD(copy_string(diag, out->version, sizeof(out->version), obj, "version", false));
    TQ_GUARD(copy_string(diag, out->suite, sizeof(out->suite), obj, "suite", false));
    TQ_GUARD(copy_string(diag, out->error, sizeof(out->error), obj, "error", false));
    if (!tq_outcome_known(out->outcome))
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0,
                            "result outcome '%s' is not in the canonical vocabulary", out->outcome);
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

/* quoted appends the offending line, quoted, to the message of a failure: the evidence a
 * reader needs to see what the backend wrote instead of its result. */
static tq_status quoted(struct tq_diag *diag, tq_status st, const char *line, size_t len)
{
    if (diag == NULL)
        return st;
    char quote[TQ_RESULT_QUOTE_SIZE], msg[sizeof(diag->msg)];
    tq_result_quote(quote, sizeof(quote), line, len);
    snprintf(msg, sizeof(msg), "%s", diag->msg);
    return tq_diag_fail(diag, st.code, NULL, 0, "%.700s: %s", msg, quote);
}

static tq_status fail_quoted(struct tq_diag *diag, tq_status_code code, const char *line,
                             size_t len, const char *fmt, ...) TQ_PRINTF(5, 6);

/* fail_quoted fails with `code` and the message `fmt`, followed by the quoted line. */
static tq_status fail_quoted(struct tq_diag *diag, tq_status_code code, const char *line,
                             size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_status st = tq_diag_vfail(diag, code, NULL, 0, fmt, ap);
    va_end(ap);
    return quoted(diag, st, line, len);
}

static json_t *load_object(const char *line, size_t len, json_error_t *err)
{
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, err);
    if (json_is_object(obj))
        return obj;
    const char *kind = json_is_array(obj) ? "array" : json_is_string(obj) ? "string" : "scalar";
    if (obj != NULL)
        snprintf(err->text, sizeof(err->text), "a JSON %s, not an object", kind);
    json_decref(obj);
    return NULL;
}

static tq_status parse_line(struct tq_diag *diag, struct tq_result *out, const char *want_id,
                            const char *line, size_t len)
{
    if (len > TQ_RESULT_LINE_MAX)
        return fail_quoted(diag, TQ_ERR_LIMIT, line, len, "result line of %zu bytes exceeds %d",
                           len, TQ_RESULT_LINE_MAX);
    json_error_t err;
    json_t *obj = len ? load_object(line, len, &err) : NULL;
    if (obj == NULL)
        return fail_quoted(diag, TQ_ERR_PROTOCOL, line, len,
                           "want a JSON result object, got a line that is not one (%s)",
                           len ? err.text : "empty line");
    tq_status st = read_object(diag, out, obj, want_id);
    json_decref(obj);
    return tq_ok(st) ? st : quoted(diag, st, line, len);
}

/* see result.h */
tq_status tq_result_parse(struct tq_diag *diag, struct tq_result *out, const char *want_id,
                          const char *text, size_t len)
{
    *out = (struct tq_result){.connack = -1, .local_port = -1};
    if (text == NULL || len == 0)
        return tq_diag_fail(diag, TQ_ERR_PROTOCOL, NULL, 0, "the backend wrote no result line");
    const char *nl = memchr(text, '\n', len);
    size_t line_len = nl ? (size_t)(nl - text) : len;
    tq_status st = parse_line(diag, out, want_id, text, line_len);
    size_t rest = nl ? len - line_len - 1 : 0;
    if (tq_ok(st) && rest > 0) {
        /* One result line per case: a second line (another answer, a debug line) means the
         * backend and the harness no longer agree on which line answers which case. */
        const char *next = nl + 1, *next_nl = memchr(next, '\n', rest);
        size_t next_len = next_nl ? (size_t)(next_nl - next) : rest;
        st = fail_quoted(diag, TQ_ERR_PROTOCOL, next, next_len,
                         "want one result line for case '%s', got another line after it", want_id);
    }
    if (!tq_ok(st))
        *out = (struct tq_result){.connack = -1, .local_port = -1};
    return st;
}

/* see result.h */
bool tq_result_case_id(char *out, size_t out_len, const char *line)
{
    json_t *obj = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
    json_t *id = json_object_get(obj, "id");
    bool ok = json_is_string(id) && json_string_length(id) < out_len &&
              strlen(json_string_value(id)) == json_string_length(id);
    if (ok)
        memcpy(out, json_string_value(id), json_string_length(id) + 1);
    json_decref(obj);
    return ok;
}

/* see result.h */
const char *tq_result_line_with_id(const char *text, size_t len, const char *id, size_t *out_len)
{
    for (size_t at = 0; text != NULL && id[0] != '\0' && at < len;) {
        const char *line = text + at, *nl = memchr(line, '\n', len - at);
        size_t line_len = nl ? (size_t)(nl - line) : len - at;
        json_t *obj = json_loadb(line, line_len, 0, NULL);
        json_t *got = json_object_get(obj, "id");
        bool match = json_is_string(got) && json_string_length(got) == strlen(id) &&
                     memcmp(json_string_value(got), id, json_string_length(got)) == 0;
        json_decref(obj);
        if (match) {
            *out_len = line_len;
            return line;
        }
        at += line_len + 1;
    }
    return NULL;
}

/* see result.h */
void tq_result_quote(char *out, size_t out_len, const char *line, size_t len)
{
    enum { TAIL = 32 }; /* room for the closing quote and "... (N bytes)" */
    size_t used = 0, i = 0;
    if (out_len < TAIL + 8) {
        snprintf(out, out_len, "%s", "");
        return;
    }
    out[used++] = '\'';
    for (; i < len && i < TQ_RESULT_QUOTE_BYTES; i++) {
        unsigned char c = (unsigned char)line[i];
        char esc[8];
        int n = c == '\\' || c == '\''  ? snprintf(esc, sizeof(esc), "\\%c", c)
                : c >= 0x20 && c < 0x7f ? snprintf(esc, sizeof(esc), "%c", c)
                                        : snprintf(esc, sizeof(esc), "\\x%02x", c);
        if (used + (size_t)n + TAIL >= out_len)
            break;
        memcpy(out + used, esc, (size_t)n);
        used += (size_t)n;
    }
    out[used++] = '\'';
    out[used] = '\0';
    if (i < len)
        snprintf(out + used, out_len - used, "... (%zu bytes)", len);
}
