/* backend_case.c: see backend_case.h. Every member is read through a field table; the parsers below are the
 * only code that touches jansson values. */
#include "backend_case.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt.h"

#define MAX_STRING_LEN 4096u   /* paths, names, topics */
#define MAX_PAYLOAD_LEN 60000u /* fits in a case line anyway */
#define MAX_LIST_ITEMS 256u
#define MAX_MQTT_STEPS 64u

struct field;
typedef tq_status (*field_parse_fn)(struct tq_diag *diag, void *dst, const json_t *value,
                                    const struct field *f, const char *where);

/* struct field describes one member: where it goes and its bounds. For strings and list items
 * `min`/`max` bound the length in bytes; for integers they bound the value. */
struct field {
    const char *name;
    field_parse_fn parse;
    size_t offset;
    bool required;
    long long min;
    long long max;
};

static const char *json_kind(const json_t *v)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "an object",   [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
        [JSON_INTEGER] = "an integer", [JSON_REAL] = "a number",  [JSON_TRUE] = "true",
        [JSON_FALSE] = "false",        [JSON_NULL] = "null",
    };
    return names[json_typeof(v)];
}

static tq_status want(struct tq_diag *diag, const char *where, const char *wanted,
                      const json_t *got)
{
    return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "case member `%s`: want %s, got %s", where,
                        wanted, json_kind(got));
}

/* copy_string checks a JSON string's type, length and absence of NUL, and copies it. */
static tq_status copy_string(struct tq_diag *diag, char **out, const json_t *v, size_t min_len,
                             size_t max_len, const char *where)
{
    if (!json_is_string(v))
        return want(diag, where, "a string", v);
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, '\0', len) != NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "case member `%s`: contains NUL", where);
    if (len < min_len || len > max_len)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                            "case member `%s`: want %zu..%zu bytes, got %zu", where, min_len,
                            max_len, len);
    *out = strdup(s);
    TQ_ENSURE(*out != NULL, TQ_ERR_NOMEM);
    return TQ_SUCCESS;
}

static tq_status parse_string(struct tq_diag *diag, void *dst, const json_t *v,
                              const struct field *f, const char *where)
{
    char **out = dst;
    free(*out);
    *out = NULL;
    return copy_string(diag, out, v, (size_t)f->min, (size_t)f->max, where);
}

static tq_status parse_bool(struct tq_diag *diag, void *dst, const json_t *v, const struct field *f,
                            const char *where)
{
    (void)f;
    if (!json_is_boolean(v))
        return want(diag, where, "true or false", v);
    *(bool *)dst = json_is_true(v);
    return TQ_SUCCESS;
}

/* get_int reads an integer within the field's bounds. */
static tq_status get_int(struct tq_diag *diag, long long *out, const json_t *v,
                         const struct field *f, const char *where)
{
    if (!json_is_integer(v))
        return want(diag, where, "an integer", v);
    long long n = json_integer_value(v);
    if (n < f->min || n > f->max)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                            "case member `%s`: want %lld..%lld, got %lld", where, f->min, f->max,
                            n);
    *out = n;
    return TQ_SUCCESS;
}

static tq_status parse_u16(struct tq_diag *diag, void *dst, const json_t *v, const struct field *f,
                           const char *where)
{
    long long n = 0;
    TQ_GUARD(get_int(diag, &n, v, f, where));
    *(uint16_t *)dst = (uint16_t)n;
    return TQ_SUCCESS;
}

static tq_status parse_u32(struct tq_diag *diag, void *dst, const json_t *v, const struct field *f,
                           const char *where)
{
    long long n = 0;
    TQ_GUARD(get_int(diag, &n, v, f, where));
    *(uint32_t *)dst = (uint32_t)n;
    return TQ_SUCCESS;
}

static tq_status parse_u8(struct tq_diag *diag, void *dst, const json_t *v, const struct field *f,
                          const char *where)
{
    long long n = 0;
    TQ_GUARD(get_int(diag, &n, v, f, where));
    *(uint8_t *)dst = (uint8_t)n;
    return TQ_SUCCESS;
}

static tq_status parse_verify_time(struct tq_diag *diag, void *dst, const json_t *v,
                                   const struct field *f, const char *where)
{
    long long n = 0;
    TQ_GUARD(get_int(diag, &n, v, f, where));
    struct tq_client_config *cfg = dst;
    cfg->has_verify_time = true;
    cfg->verify_time = n;
    return TQ_SUCCESS;
}

static tq_status parse_mfl(struct tq_diag *diag, void *dst, const json_t *v, const struct field *f,
                           const char *where)
{
    long long n = 0;
    TQ_GUARD(get_int(diag, &n, v, f, where));
    if (n != 512 && n != 1024 && n != 2048 && n != 4096)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                            "case member `%s`: want 512, 1024, 2048 or 4096, got %lld", where, n);
    *(unsigned *)dst = (unsigned)n;
    return TQ_SUCCESS;
}

static void str_list_cleanup(struct tq_str_list *list)
{
    for (size_t i = 0; i < list->num; i++)
        free(list->items[i]);
    free(list->items);
    *list = (struct tq_str_list){.present = false};
}

static tq_status parse_str_list(struct tq_diag *diag, void *dst, const json_t *v,
                                const struct field *f, const char *where)
{
    struct tq_str_list *list = dst;
    str_list_cleanup(list);
    if (!json_is_array(v))
        return want(diag, where, "an array of strings", v);
    size_t n = json_array_size(v);
    if (n > MAX_LIST_ITEMS)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0,
                            "case member `%s`: want at most %u "
                            "items, got %zu",
                            where, MAX_LIST_ITEMS, n);
    list->present = true;
    list->items = calloc(n > 0 ? n : 1, sizeof(char *));
    TQ_ENSURE(list->items != NULL, TQ_ERR_NOMEM);
    for (size_t i = 0; i < n; i++) {
        char item_where[160];
        snprintf(item_where, sizeof(item_where), "%s[%zu]", where, i);
        TQ_GUARD(copy_string(diag, &list->items[i], json_array_get(v, i), (size_t)f->min,
                             (size_t)f->max, item_where));
        list->num = i + 1;
    }
    return TQ_SUCCESS;
}

/* The version names of the protocol, indexed by enum tq_tls_version. */
static const char *const version_names[] = {
    [TQ_TLS_ANY] = "default", [TQ_TLS_1_0] = "1.0", [TQ_TLS_1_1] = "1.1",
    [TQ_TLS_1_2] = "1.2",     [TQ_TLS_1_3] = "1.3",
};

/* see backend_ops.h */
const char *tq_tls_version_name(enum tq_tls_version v)
{
    if ((size_t)v >= sizeof(version_names) / sizeof(version_names[0]))
        return "default";
    return version_names[v];
}

static tq_status parse_version_name(struct tq_diag *diag, enum tq_tls_version *out, const json_t *v,
                                    const char *where)
{
    if (!json_is_string(v))
        return want(diag, where, "\"1.0\", \"1.1\", \"1.2\" or \"1.3\"", v);
    for (enum tq_tls_version i = TQ_TLS_1_0; i <= TQ_TLS_1_3; i++) {
        if (strcmp(json_string_value(v), version_names[i]) == 0) {
            *out = i;
            return TQ_SUCCESS;
        }
    }
    return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                        "case member `%s`: want \"1.0\", \"1.1\", "
                        "\"1.2\" or \"1.3\", got \"%.40s\"",
                        where, json_string_value(v));
}

static tq_status parse_versions(struct tq_diag *diag, void *dst, const json_t *v,
                                const struct field *f, const char *where)
{
    (void)f;
    struct tq_client_config *cfg = dst;
    if (!json_is_object(v))
        return want(diag, where, "an object {\"min\", \"max\"}", v);
    const char *key = NULL;
    const json_t *value = NULL;
    json_object_foreach((json_t *)(uintptr_t)v, key, value)
    {
        char member[64];
        snprintf(member, sizeof(member), "%s.%.20s", where, key);
        if (strcmp(key, "min") == 0)
            TQ_GUARD(parse_version_name(diag, &cfg->min_version, value, member));
        else if (strcmp(key, "max") == 0)
            TQ_GUARD(parse_version_name(diag, &cfg->max_version, value, member));
        else
            return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                                "case member `%s`: unknown; valid "
                                "members are min, max",
                                member);
    }
    if (cfg->min_version != TQ_TLS_ANY && cfg->max_version != TQ_TLS_ANY &&
        cfg->min_version > cfg->max_version)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                            "case member `%s`: min %s is above "
                            "max %s",
                            where, tq_tls_version_name(cfg->min_version),
                            tq_tls_version_name(cfg->max_version));
    return TQ_SUCCESS;
}

static tq_status parse_object(struct tq_diag *diag, void *base, const json_t *obj,
                              const struct field *fields, size_t num_fields, const char *where);

#define FIELD(type, member, fn, req, lo, hi)                                                       \
    {                                                                                              \
        .name = #member, .parse = (fn), .offset = offsetof(type, member), .required = (req),       \
        .min = (lo), .max = (hi),                                                                  \
    }

static const struct field subscribe_fields[] = {
    FIELD(struct tq_mqtt_sub_spec, topic, parse_string, true, 1, 65535),
    FIELD(struct tq_mqtt_sub_spec, qos, parse_u8, false, 0, 1),
};

static const struct field publish_fields[] = {
    FIELD(struct tq_mqtt_pub_spec, payload, parse_string, false, 0, MAX_PAYLOAD_LEN),
    FIELD(struct tq_mqtt_pub_spec, qos, parse_u8, false, 0, 1),
    FIELD(struct tq_mqtt_pub_spec, topic, parse_string, true, 1, 65535),
};

/* parse_steps reads an array of objects of `elem_size` bytes each through `fields`. */
static tq_status parse_steps(struct tq_diag *diag, void **out_items, size_t *out_num,
                             const json_t *v, size_t elem_size, const struct field *fields,
                             size_t num_fields, const char *where)
{
    if (!json_is_array(v))
        return want(diag, where, "an array of objects", v);
    size_t n = json_array_size(v);
    if (n > MAX_MQTT_STEPS)
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0,
                            "case member `%s`: want at most %u "
                            "items, got %zu",
                            where, MAX_MQTT_STEPS, n);
    uint8_t *items = calloc(n > 0 ? n : 1, elem_size);
    TQ_ENSURE(items != NULL, TQ_ERR_NOMEM);
    *out_items = items;
    for (size_t i = 0; i < n; i++) {
        char item_where[96];
        snprintf(item_where, sizeof(item_where), "%s[%zu]", where, i);
        *out_num = i + 1;
        TQ_GUARD(parse_object(diag, items + i * elem_size, json_array_get(v, i), fields, num_fields,
                              item_where));
    }
    return TQ_SUCCESS;
}

static tq_status parse_subscribe(struct tq_diag *diag, void *dst, const json_t *v,
                                 const struct field *f, const char *where)
{
    (void)f;
    struct tq_mqtt_spec *m = dst;
    TQ_GUARD(parse_steps(diag, (void **)&m->subscribe, &m->num_subscribe, v,
                         sizeof(struct tq_mqtt_sub_spec), subscribe_fields,
                         sizeof(subscribe_fields) / sizeof(subscribe_fields[0]), where));
    for (size_t i = 0; i < m->num_subscribe; i++) {
        if (!tq_mqtt_topic_filter_valid(tq_mqtt_str_of(m->subscribe[i].topic)))
            return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                                "case member `%s[%zu].topic`: "
                                "not a valid MQTT topic filter",
                                where, i);
    }
    return TQ_SUCCESS;
}

static tq_status parse_publish(struct tq_diag *diag, void *dst, const json_t *v,
                               const struct field *f, const char *where)
{
    (void)f;
    struct tq_mqtt_spec *m = dst;
    TQ_GUARD(parse_steps(diag, (void **)&m->publish, &m->num_publish, v,
                         sizeof(struct tq_mqtt_pub_spec), publish_fields,
                         sizeof(publish_fields) / sizeof(publish_fields[0]), where));
    for (size_t i = 0; i < m->num_publish; i++) {
        if (strpbrk(m->publish[i].topic, "+#") != NULL)
            return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                                "case member `%s[%zu].topic`: "
                                "wildcards are not allowed in a topic name",
                                where, i);
    }
    return TQ_SUCCESS;
}

/* Sorted by name. Pseudo-members whose parser fills several fields use offset 0 (the struct). */
static const struct field mqtt_fields[] = {
    FIELD(struct tq_mqtt_spec, client_id, parse_string, false, 0, 65535),
    {.name = "expect_messages",
     .parse = parse_u32,
     .offset = offsetof(struct tq_mqtt_spec, expect_messages),
     .min = 0,
     .max = 10000},
    FIELD(struct tq_mqtt_spec, keep_alive, parse_u16, false, 0, 65535),
    {.name = "publish", .parse = parse_publish, .offset = 0},
    {.name = "subscribe", .parse = parse_subscribe, .offset = 0},
};

static tq_status parse_mqtt(struct tq_diag *diag, void *dst, const json_t *v, const struct field *f,
                            const char *where)
{
    (void)f;
    struct tq_mqtt_spec *m = dst;
    m->present = true;
    return parse_object(diag, m, v, mqtt_fields, sizeof(mqtt_fields) / sizeof(mqtt_fields[0]),
                        where);
}

#define CFG_FIELD(member, fn, req, lo, hi) FIELD(struct tq_client_config, member, fn, req, lo, hi)

/* The case members of docs/backend-protocol.md, sorted by name. */
static const struct field case_fields[] = {
    CFG_FIELD(alpn, parse_str_list, false, 1, 255),
    CFG_FIELD(cert, parse_string, false, 1, MAX_STRING_LEN),
    CFG_FIELD(chain, parse_string, false, 1, MAX_STRING_LEN),
    CFG_FIELD(crl, parse_str_list, false, 1, MAX_STRING_LEN),
    CFG_FIELD(groups, parse_str_list, false, 1, 64),
    CFG_FIELD(host, parse_string, true, 1, 255),
    CFG_FIELD(id, parse_string, true, 1, 1024),
    CFG_FIELD(key, parse_string, false, 1, MAX_STRING_LEN),
    CFG_FIELD(max_fragment_length, parse_mfl, false, 0, 65535),
    CFG_FIELD(mqtt, parse_mqtt, false, 0, 0),
    CFG_FIELD(port, parse_u16, true, 1, 65535),
    CFG_FIELD(send_sni, parse_bool, false, 0, 0),
    CFG_FIELD(server_name, parse_string, false, 1, 255),
    CFG_FIELD(sigalgs, parse_str_list, false, 1, 64),
    CFG_FIELD(suites, parse_str_list, false, 1, 128),
    CFG_FIELD(timeout_ms, parse_u32, false, 1, 600000),
    CFG_FIELD(trust, parse_str_list, false, 1, MAX_STRING_LEN),
    {.name = "verify_peer",
     .parse = parse_bool,
     .offset = offsetof(struct tq_client_config, verify_peer)},
    {.name = "verify_time",
     .parse = parse_verify_time,
     .offset = 0,
     .min = 0,
     .max = 253402300799LL}, /* 9999-12-31T23:59:59Z */
    {.name = "versions", .parse = parse_versions, .offset = 0},
};

static const struct field *find_field(const struct field *fields, size_t num_fields,
                                      const char *name)
{
    for (size_t i = 0; i < num_fields; i++) {
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    }
    return NULL;
}

static tq_status unknown_member(struct tq_diag *diag, const struct field *fields, size_t num_fields,
                                const char *member)
{
    char valid[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < num_fields && used < sizeof(valid); i++) {
        int n = snprintf(valid + used, sizeof(valid) - used, "%s%s", i ? ", " : "", fields[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
    return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                        "case member `%s`: unknown; valid members "
                        "are %s",
                        member, valid);
}

static tq_status parse_object(struct tq_diag *diag, void *base, const json_t *obj,
                              const struct field *fields, size_t num_fields, const char *where)
{
    if (!json_is_object(obj))
        return want(diag, where[0] ? where : "(case)", "an object", obj);
    const char *key = NULL;
    const json_t *value = NULL;
    json_object_foreach((json_t *)(uintptr_t)obj, key, value)
    {
        char member[160];
        snprintf(member, sizeof(member), "%s%s%.64s", where, where[0] ? "." : "", key);
        const struct field *f = find_field(fields, num_fields, key);
        if (f == NULL)
            return unknown_member(diag, fields, num_fields, member);
        TQ_GUARD(f->parse(diag, (uint8_t *)base + f->offset, value, f, member));
    }
    for (size_t i = 0; i < num_fields; i++) {
        if (fields[i].required && json_object_get(obj, fields[i].name) == NULL)
            return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                                "case member `%s%s%s`: required "
                                "but absent",
                                where, where[0] ? "." : "", fields[i].name);
    }
    return TQ_SUCCESS;
}

static void json_decref_ptr(json_t **v)
{
    json_decref(*v);
}

static tq_status parse_document(struct tq_diag *diag, struct tq_client_config *out,
                                const char *line, size_t line_len)
{
    json_error_t err;
    json_t *doc TQ_DEFER(json_decref_ptr) =
        json_loadb(line, line_len, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL)
        return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0,
                            "case line is not JSON: %s at column "
                            "%d",
                            err.text, err.column);
    return parse_object(diag, out, doc, case_fields, sizeof(case_fields) / sizeof(case_fields[0]),
                        "");
}

/* see case.h */
tq_status tq_case_parse(struct tq_diag *diag, struct tq_client_config *out, const char *line,
                        size_t line_len)
{
    *out = (struct tq_client_config){
        .send_sni = true,
        .verify_peer = true,
        .timeout_ms = 10000,
        .mqtt = {.keep_alive = 60},
    };
    if (line_len > TQ_CASE_MAX_LINE) {
        tq_case_cleanup(out);
        return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0,
                            "case line: want at most %u bytes, "
                            "got %zu",
                            TQ_CASE_MAX_LINE, line_len);
    }
    tq_status st = parse_document(diag, out, line, line_len);
    if (!tq_ok(st))
        tq_case_cleanup(out);
    return st;
}

static void mqtt_cleanup(struct tq_mqtt_spec *m)
{
    free(m->client_id);
    for (size_t i = 0; i < m->num_subscribe; i++)
        free(m->subscribe[i].topic);
    free(m->subscribe);
    for (size_t i = 0; i < m->num_publish; i++) {
        free(m->publish[i].topic);
        free(m->publish[i].payload);
    }
    free(m->publish);
}

/* see case.h */
void tq_case_cleanup(struct tq_client_config *cfg)
{
    char **strings[] = {&cfg->id,   &cfg->host, &cfg->server_name,
                        &cfg->cert, &cfg->key,  &cfg->chain};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    struct tq_str_list *lists[] = {&cfg->trust,  &cfg->crl,     &cfg->suites,
                                   &cfg->groups, &cfg->sigalgs, &cfg->alpn};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        str_list_cleanup(lists[i]);
    mqtt_cleanup(&cfg->mqtt);
    *cfg = (struct tq_client_config){.send_sni = false};
}

/* see case.h */
tq_status tq_case_read_line(struct tq_diag *diag, char *buf, size_t *out_len, bool *out_eof,
                            size_t buf_len, FILE *in)
{
    *out_len = 0;
    *out_eof = false;
    TQ_ENSURE(buf_len >= 2, TQ_ERR_USAGE);
    size_t len = 0;
    for (;;) {
        int c = getc(in);
        if (c == EOF) {
            if (ferror(in))
                return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "reading a case line failed");
            *out_eof = (len == 0);
            break;
        }
        if (c == '\n')
            break;
        if (c == '\0')
            return tq_diag_fail(diag, TQ_ERR_PARSE, NULL, 0, "case line holds a NUL byte");
        if (len == buf_len - 1)
            return tq_diag_fail(diag, TQ_ERR_LIMIT, NULL, 0,
                                "case line: want at most %zu "
                                "bytes, got more",
                                buf_len - 1);
        buf[len++] = (char)c;
    }
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    *out_len = len;
    return TQ_SUCCESS;
}
