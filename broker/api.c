/* The control-plane HTTP server: routing, request decoding, replies, and what the resource
 * files share. Shapes follow the AWS IoT service model (botocore data/iot/2015-05-28), which
 * the awscli package ships and uses to build each request and parse each reply. */
#include "api.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "broker_internal.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
    API_MAX_BODY = 1 << 20, /* a PEM is a few KB; nothing the API takes comes close */
    API_MAX_HEADERS = 16 << 10,
    API_TIMEOUT_S = 30,
    PAGE_DEFAULT = 25, /* ListCertificates: "The default value is 25" */
    PAGE_MAX = 250,    /* PageSize: "max: 250" */
};

struct tq_api {
    struct tq_broker *broker;
    struct evhttp *http;
    char addr[64];
};

/* The route table: one row per operation, as the service model's "http" member names it. */
static const struct tq_api_route routes[] = {
    {"GET", "/endpoint", "DescribeEndpoint", tq__api_describe_endpoint},
    {"GET", "/certificates", "ListCertificates", tq__api_list_certificates},
    {"GET", "/certificates/{certificateId}", "DescribeCertificate", tq__api_describe_certificate},
    {"PUT", "/certificates/{certificateId}", "UpdateCertificate", tq__api_update_certificate},
    {"DELETE", "/certificates/{certificateId}", "DeleteCertificate", tq__api_delete_certificate},
    {"POST", "/certificate/register", "RegisterCertificate", tq__api_register_certificate},
    {"POST", "/certificate/register-no-ca", "RegisterCertificateWithoutCA",
     tq__api_register_certificate_without_ca},
    {"POST", "/cacertificate", "RegisterCACertificate", tq__api_register_ca_certificate},
    {"GET", "/cacertificates", "ListCACertificates", tq__api_list_ca_certificates},
    {"GET", "/cacertificate/{caCertificateId}", "DescribeCACertificate",
     tq__api_describe_ca_certificate},
    {"PUT", "/cacertificate/{caCertificateId}", "UpdateCACertificate",
     tq__api_update_ca_certificate},
    {"POST", "/audit/tasks", "StartOnDemandAuditTask", tq__api_start_audit_task},
    {"POST", "/audit/findings", "ListAuditFindings", tq__api_list_audit_findings},
};

static const struct {
    const char *name;
    int http;
} api_errors[] = {
#define TQ_X_API_ROW(code, name, http) [code] = {name, http},
    TQ_API_ERRORS(TQ_X_API_ROW)
#undef TQ_X_API_ROW
};

/* see api.h */
size_t tq_api_num_routes(void)
{
    return ARRAY_LEN(routes);
}

/* see api.h */
const struct tq_api_route *tq_api_route(size_t i)
{
    return i < ARRAY_LEN(routes) ? &routes[i] : NULL;
}

/* segment_len returns the length of the path segment at `p` (up to '/' or the end). */
static size_t segment_len(const char *p)
{
    return strcspn(p, "/");
}

/* match_pattern compares `path` with `pattern` segment by segment. */
static bool match_pattern(const char *pattern, const char *path, char *out_param, size_t param_len)
{
    while (*pattern == '/' && *path == '/') {
        pattern++, path++;
        size_t pl = segment_len(pattern), sl = segment_len(path);
        if (pl > 0 && pattern[0] == '{') {
            if (sl == 0 || sl >= param_len)
                return false;
            memcpy(out_param, path, sl);
            out_param[sl] = '\0';
        } else if (pl != sl || strncmp(pattern, path, pl) != 0) {
            return false;
        }
        pattern += pl, path += sl;
    }
    return *pattern == '\0' && *path == '\0';
}

/* see api.h */
const struct tq_api_route *tq_api_match(const char *method, const char *path, char *out_param,
                                        size_t param_len)
{
    for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
        if (param_len > 0)
            out_param[0] = '\0';
        if (strcmp(routes[i].method, method) == 0 &&
            match_pattern(routes[i].pattern, path, out_param, param_len))
            return &routes[i];
    }
    if (param_len > 0)
        out_param[0] = '\0';
    return NULL;
}

/* see api_internal.h */
void tq__api_ok(struct tq_api_call *call, json_t *body)
{
    json_decref(call->reply);
    call->status = 200;
    call->error = NULL;
    call->reply = body ? body : json_object();
}

/* see api_internal.h */
void tq__api_fail(struct tq_api_call *call, enum tq_api_error err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_decref(call->reply);
    call->status = api_errors[err].http;
    call->error = api_errors[err].name;
    call->reply = json_pack("{s:s, s:s}", "message", msg, "__type", call->error);
}

/* see api_internal.h */
const char *tq__api_query(const struct tq_api_call *call, const char *name)
{
    return evhttp_find_header(&call->query, name);
}

/* see api_internal.h */
bool tq__api_flag(const struct tq_api_call *call, const char *name)
{
    const char *v = tq__api_query(call, name);
    return v != NULL && strcmp(v, "true") == 0;
}

/* see api_internal.h */
const char *tq__api_string(const struct tq_api_call *call, const char *name)
{
    return json_string_value(json_object_get(call->body, name));
}

/* see api_internal.h */
void tq__api_arn(char *out, size_t out_len, const char *kind, const char *id)
{
    snprintf(out, out_len, "arn:aws:iot:%s:%s:%s/%s", TQ_API_REGION, TQ_API_ACCOUNT, kind, id);
}

static bool read_count(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long n = strtol(text, &end, 10);
    if (end == text || *end != '\0' || n < min || n > max)
        return false;
    *out = n;
    return true;
}

/* page selects a page of `num` items from the query parameters pageSize (1-250, default 25),
 * marker (where the last page stopped) and isAscendingOrder (false: newest first). It returns
 * false after replying InvalidRequestException. On success items [`*out_first`, `*out_end`) of
 * the ordered list are the page, and `*out_next` is the nextMarker or -1. */
static bool page(struct tq_api_call *call, size_t num, size_t *out_first, size_t *out_end,
                 long *out_next)
{
    long size = PAGE_DEFAULT, first = 0;
    const char *ps = tq__api_query(call, "pageSize"), *marker = tq__api_query(call, "marker");
    if (ps != NULL && !read_count(ps, 1, PAGE_MAX, &size)) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "pageSize: want 1 to %d, got '%s'", PAGE_MAX,
                     ps);
        return false;
    }
    if (marker != NULL && !read_count(marker, 0, (long)num, &first)) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "marker '%s' is not valid", marker);
        return false;
    }
    *out_first = (size_t)first;
    *out_end = (size_t)first + (size_t)size < num ? (size_t)first + (size_t)size : num;
    *out_next = *out_end < num ? (long)*out_end : -1;
    return true;
}

/* see api_internal.h */
void tq__api_list(struct tq_api_call *call, size_t num, tq__api_entry_at entry_at, const char *kind)
{
    size_t first = 0, end = 0;
    long next = -1;
    if (!page(call, num, &first, &end, &next))
        return;
    bool ascending = tq__api_flag(call, "isAscendingOrder");
    const struct tq_registry *reg = call->broker->registry;
    json_t *list = json_array();
    for (size_t k = first; k < end; k++)
        json_array_append_new(list,
                              tq__api_summary(entry_at(reg, ascending ? k : num - 1 - k), kind));
    json_t *reply = json_pack("{s:o}", "certificates", list);
    if (next >= 0)
        json_object_set_new(reply, "nextMarker", json_sprintf("%ld", next));
    tq__api_ok(call, reply);
}

static json_t *asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return json_null();
    return json_integer((json_int_t)timegm(&tm));
}

static json_t *validity(X509 *x)
{
    if (x == NULL)
        return json_null();
    return json_pack("{s:o, s:o}", "notBefore", asn1_time(X509_get0_notBefore(x)), "notAfter",
                     asn1_time(X509_get0_notAfter(x)));
}

static json_t *pem_text(const struct tq_registry_entry *e, X509 *x)
{
    if (e->pem != NULL)
        return json_string(e->pem);
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len = bio && x && PEM_write_bio_X509(bio, x) == 1 ? BIO_get_mem_data(bio, &data) : 0;
    json_t *out = len > 0 ? json_stringn(data, (size_t)len) : json_null();
    BIO_free(bio);
    return out;
}

/* A timestamp member: rest-json timestamps are seconds since the epoch. */
static void set_time(json_t *obj, const char *key, double t)
{
    if (t > 0)
        json_object_set_new(obj, key, json_integer((json_int_t)t));
}

/* see api_internal.h */
void tq__api_describe(json_t *obj, const struct tq_registry_entry *e, const char *kind)
{
    char arn[160];
    tq__api_arn(arn, sizeof(arn), kind, e->id);
    X509 *x = tq_tls_entry_x509(e);
    json_object_set_new(obj, "certificateArn", json_string(arn));
    json_object_set_new(obj, "certificateId", json_string(e->id));
    json_object_set_new(obj, "status", json_string(e->status));
    json_object_set_new(obj, "certificatePem", pem_text(e, x));
    json_object_set_new(obj, "ownedBy", json_string(TQ_API_ACCOUNT));
    set_time(obj, "creationDate", e->created);
    set_time(obj, "lastModifiedDate", e->modified);
    json_object_set_new(obj, "customerVersion", json_integer(1));
    json_object_set_new(obj, "generationId", json_string(e->id));
    json_object_set_new(obj, "validity", validity(x));
    json_object_set_new(obj, "certificateMode", json_string(e->mode ? e->mode : "DEFAULT"));
    X509_free(x);
}

/* see api_internal.h */
json_t *tq__api_summary(const struct tq_registry_entry *e, const char *kind)
{
    char arn[160];
    tq__api_arn(arn, sizeof(arn), kind, e->id);
    json_t *item = json_pack("{s:s, s:s, s:s}", "certificateArn", arn, "certificateId", e->id,
                             "status", e->status);
    if (strcmp(kind, "cert") == 0)
        json_object_set_new(item, "certificateMode", json_string(e->mode ? e->mode : "DEFAULT"));
    set_time(item, "creationDate", e->created);
    return item;
}

/* key_too_weak: docs/aws-iot/client-certificates.md#key-types, registering an RSA-1024
 * certificate fails with "The key in the certificate is not valid". */
static bool key_too_weak(X509 *x)
{
    EVP_PKEY *key = X509_get0_pubkey(x);
    return key == NULL ||
           (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < 2048);
}

/* see api_internal.h */
X509 *tq__api_parse_pem(struct tq_api_call *call, const char *member, char out_id[65])
{
    const char *pem = tq__api_string(call, member);
    if (pem == NULL) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "%s is required", member);
        return NULL;
    }
    X509 *x = tq_tls_pem_x509(pem);
    const char *why = x == NULL ? "The certificate is not valid"
                      : X509_cmp_current_time(X509_get0_notBefore(x)) > 0 ||
                              X509_cmp_current_time(X509_get0_notAfter(x)) < 0
                          ? "The certificate is not within its validity period"
                      : key_too_weak(x) ? "The key in the certificate is not valid"
                                        : NULL;
    if (why != NULL) {
        X509_free(x);
        tq__api_fail(call, TQ_API_CERTIFICATE_VALIDATION, "%s: %s", member, why);
        return NULL;
    }
    tq_tls_cert_id(x, out_id);
    return x;
}

/* see api_internal.h */
void tq__api_registry_failed(struct tq_api_call *call, const struct tq_diag *diag)
{
    char text[1200];
    tq_diag_format(text, sizeof(text), diag);
    tq_events_emit(call->broker->events, "registry_write_failed", 0, "",
                   json_pack("{s:s, s:s}", "operation", call->route->operation, "detail", text));
    tq__api_fail(call, TQ_API_INTERNAL, "the registry could not be written; nothing changed");
}

/* see api_internal.h */
void tq__api_describe_endpoint(struct tq_api_call *call)
{
    /* DescribeEndpoint: "iot:Data - Returns a VeriSign signed data endpoint. iot:Data-ATS -
     * Returns an ATS signed data endpoint." Without endpointType AWS answers iot:Data. */
    static const struct {
        const char *type;
        const char *endpoint; /* the manifest's endpoint name */
    } types[] = {{"iot:Data", "legacy"}, {"iot:Data-ATS", "ats"}};
    const char *type = tq__api_query(call, "endpointType");
    type = type ? type : "iot:Data";
    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        if (strcmp(types[i].type, type) != 0)
            continue;
        const char *host = tq_manifest_endpoint(call->broker->manifest, types[i].endpoint);
        if (host == NULL)
            break;
        tq__api_ok(call, json_pack("{s:s}", "endpointAddress", host));
        return;
    }
    tq__api_fail(call, TQ_API_INVALID_REQUEST,
                 "Endpoint type %s is not served by this mock "
                 "(want iot:Data or iot:Data-ATS)",
                 type);
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    default:
        return "OTHER";
    }
}

/* read_body parses the request body into call->body: empty means {}; anything else must be a
 * JSON object. */
static bool read_body(struct tq_api_call *call, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *data = len ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : NULL;
    json_error_t err;
    call->body = data ? json_loadb(data, len, JSON_REJECT_DUPLICATES, &err) : json_object();
    if (json_is_object(call->body))
        return true;
    tq__api_fail(call, TQ_API_INVALID_REQUEST, "the request body is not a JSON object%s%s",
                 call->body ? "" : ": ", call->body ? "" : err.text);
    return false;
}

/* decode_request matches the route and decodes path, query and body; false after replying. */
static bool decode_request(struct tq_api_call *call, struct evhttp_request *req, const char *method,
                           char **out_path)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    *out_path = evhttp_uridecode(raw ? raw : "/", 0, NULL);
    if (*out_path == NULL || (query != NULL && evhttp_parse_query_str(query, &call->query) != 0)) {
        tq__api_fail(call, TQ_API_INVALID_REQUEST, "malformed request URI");
        return false;
    }
    call->route = tq_api_match(method, *out_path, call->param, sizeof(call->param));
    if (call->route == NULL) {
        tq__api_fail(call, TQ_API_UNKNOWN_OPERATION, "No operation for %s %s in this mock", method,
                     *out_path);
        return false;
    }
    return read_body(call, req);
}

static void send_reply(struct evhttp_request *req, const struct tq_api_call *call)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "application/json");
    evhttp_add_header(headers, "x-amzn-RequestId", "00000000-0000-0000-0000-000000000000");
    if (call->error != NULL)
        evhttp_add_header(headers, "x-amzn-ErrorType", call->error);
    struct evbuffer *out = evbuffer_new();
    char *text = call->reply ? json_dumps(call->reply, JSON_COMPACT) : NULL;
    if (out != NULL)
        evbuffer_add(out, text ? text : "{}", text ? strlen(text) : 2);
    evhttp_send_reply(req, call->status, call->error ? call->error : "OK", out);
    free(text);
    if (out != NULL)
        evbuffer_free(out);
}

static void peer_text(char *out, size_t out_len, struct evhttp_request *req)
{
    char *host = NULL;
    ev_uint16_t port = 0;
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    if (conn != NULL)
        evhttp_connection_get_peer(conn, &host, &port);
    snprintf(out, out_len, "%s:%u", host ? host : "?", port);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct tq_api *api = arg;
    struct tq_api_call call = {.broker = api->broker, .status = 500};
    call.query.tqh_first = NULL;
    call.query.tqh_last = &call.query.tqh_first;
    const char *method = method_name(evhttp_request_get_command(req));
    char *path = NULL;
    if (decode_request(&call, req, method, &path))
        call.route->handler(&call);
    if (call.reply == NULL)
        tq__api_fail(&call, TQ_API_INTERNAL, "no reply");
    char peer[80];
    peer_text(peer, sizeof(peer), req);
    tq_events_emit(api->broker->events, "api_request", 0, peer,
                   json_pack("{s:s?, s:s, s:s, s:i, s:s?}", "operation",
                             call.route ? call.route->operation : NULL, "method", method, "path",
                             path ? path : "", "status", call.status, "error", call.error));
    send_reply(req, &call);
    free(path);
    evhttp_clear_headers(&call.query);
    json_decref(call.body);
    json_decref(call.reply);
}

/* split_listen splits "HOST:PORT" / "[IPv6]:PORT" into `host` and `port`. */
static bool split_listen(const char *listen, char *host, size_t host_len, ev_uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    if (colon == NULL || colon[1] == '\0')
        return false;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || p > 65535)
        return false;
    size_t n = (size_t)(colon - listen);
    if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']')
        listen++, n -= 2;
    if (n == 0 || n >= host_len)
        return false;
    snprintf(host, host_len, "%.*s", (int)n, listen);
    *port = (ev_uint16_t)p;
    return true;
}

static void bound_text(char *out, size_t out_len, evutil_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(out, out_len, "?");
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, out_len, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        snprintf(out, out_len, "%s:%u", host, ntohs(in->sin_port));
    }
}

static tq_status bind_http(struct tq_diag *diag, struct tq_api *api, const char *listen)
{
    char host[64];
    ev_uint16_t port = 0;
    if (!split_listen(listen, host, sizeof(host), &port))
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                            "--api: want HOST:PORT (e.g. 127.0.0.1:0), got '%s'", listen);
    api->http = evhttp_new(api->broker->base);
    TQ_ENSURE(api->http != NULL, TQ_ERR_NOMEM);
    evhttp_set_allowed_methods(api->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                              EVHTTP_REQ_DELETE);
    evhttp_set_max_body_size(api->http, API_MAX_BODY);
    evhttp_set_max_headers_size(api->http, API_MAX_HEADERS);
    evhttp_set_timeout(api->http, API_TIMEOUT_S);
    evhttp_set_gencb(api->http, on_request, api);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(api->http, host, port);
    if (sock == NULL)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "--api %s: cannot bind", listen);
    bound_text(api->addr, sizeof(api->addr), evhttp_bound_socket_get_fd(sock));
    return TQ_SUCCESS;
}

/* see api.h */
tq_status tq_api_new(struct tq_diag *diag, struct tq_api **out, struct tq_broker *broker,
                     const char *listen)
{
    *out = NULL;
    struct tq_api *api = calloc(1, sizeof(*api));
    TQ_ENSURE(api != NULL, TQ_ERR_NOMEM);
    api->broker = broker;
    tq_status st = bind_http(diag, api, listen);
    if (!tq_ok(st)) {
        tq_api_free(api);
        return st;
    }
    *out = api;
    return TQ_SUCCESS;
}

/* see api.h */
const char *tq_api_address(const struct tq_api *api)
{
    return api->addr;
}

/* see api.h */
void tq_api_free(struct tq_api *api)
{
    if (api == NULL)
        return;
    if (api->http != NULL)
        evhttp_free(api->http);
    free(api);
}
