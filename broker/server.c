/* The broker: configuration checks, the listener, signals and the event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "broker_internal.h"

/* see broker.h */
void tq_broker_config_defaults(struct tq_broker_config *cfg)
{
    *cfg = (struct tq_broker_config){
        .listen = TQ_BROKER_DEFAULT_LISTEN,
        .ready_fd = -1,
        .endpoint = "ats",
        .chain = TQ_CHAIN_SHORT,
        .policy = TQ_POLICY_DEFAULT_ID,
        .profile = "aws",
        .handshake_timeout_s = 10,
        .keepalive_min_s = TQ_BROKER_KEEPALIVE_MIN_S,
        .qos2 = TQ_QOS2_IGNORE,
        .refusal = TQ_REFUSE_ALERT,
        .refusal_alert = "certificate_unknown",
        .listener = TQ_LISTENER_MQTT,
        .validity = TQ_VALIDITY_STRICT,
        .crl = TQ_CRL_OFF,
        .shared_cert = TQ_SHARED_CERT_ALLOW,
        .max_client_id = TQ_BROKER_MAX_CLIENT_ID,
        .max_topic_length = 256,
        .max_topic_slashes = 7,
        .max_filters = 8,
        .max_subscriptions = 50,
        .max_packet = TQ_BROKER_MAX_PACKET,
        .session_expiry = 3600,
        .session_queue = 1000,
        .topic_alias_max = 8,
        .receive_max = 100,
    };
}

/* see broker.h */
bool tq_broker_host_is_loopback(const char *host_port)
{
    const char *colon = strrchr(host_port, ':');
    char host[INET6_ADDRSTRLEN + 2];
    size_t n = colon ? (size_t)(colon - host_port) : 0;
    if (n >= 2 && host_port[0] == '[' && host_port[n - 1] == ']')
        host_port++, n -= 2;
    if (n == 0 || n >= sizeof(host))
        return false;
    snprintf(host, sizeof(host), "%.*s", (int)n, host_port);
    struct in_addr in;
    struct in6_addr in6;
    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &in) == 1)
        return (ntohl(in.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &in6) != 1)
        return false;
    if (IN6_IS_ADDR_LOOPBACK(&in6))
        return true;
    return IN6_IS_ADDR_V4MAPPED(&in6) && in6.s6_addr[12] == 127;
}

/* The project's rule: the broker binds to loopback unless told otherwise. Neither listener
 * authenticates its operator side (the control plane has no authentication at all), and the
 * mock PKI's keys are public test keys. */
static tq_status check_loopback(struct tq_diag *diag, const char *option, const char *address)
{
    if (tq_broker_host_is_loopback(address))
        return TQ_SUCCESS;
    return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                        "%s %s: not a loopback address (want 127.0.0.0/8, ::1 or localhost); "
                        "give --allow-remote to bind it anyway",
                        option, address);
}

static tq_status check_range(struct tq_diag *diag, const char *flag, unsigned value, unsigned min,
                             unsigned max)
{
    if (value >= min && value <= max)
        return TQ_SUCCESS;
    return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "%s: want %u to %u, got %u", flag, min, max,
                        value);
}

/* check_mqtt_limits bounds the MQTT limits by what the codec and the broker's buffers hold. */
static tq_status check_mqtt_limits(struct tq_diag *diag, const struct tq_broker_config *cfg)
{
    TQ_GUARD(
        check_range(diag, "--max-client-id", cfg->max_client_id, 1, TQ_MSESSION_CLIENT_ID_CAP));
    TQ_GUARD(check_range(diag, "--max-topic-length", cfg->max_topic_length, 0, UINT16_MAX));
    TQ_GUARD(check_range(diag, "--max-topic-slashes", cfg->max_topic_slashes, 0, UINT16_MAX));
    TQ_GUARD(check_range(diag, "--max-filters", cfg->max_filters, 1, TQ_MQTT5_MAX_FILTERS));
    TQ_GUARD(check_range(diag, "--max-subscriptions", cfg->max_subscriptions, 1, 100000));
    TQ_GUARD(check_range(diag, "--max-packet", cfg->max_packet, 64, TQ_BROKER_MAX_PACKET_CAP));
    /* docs/aws-iot/mqtt.md#session-expiry: "AWS allows at most 7 days". */
    TQ_GUARD(check_range(diag, "--session-expiry", cfg->session_expiry, 0, 7 * 24 * 3600));
    TQ_GUARD(check_range(diag, "--session-queue", cfg->session_queue, 1, 100000));
    TQ_GUARD(check_range(diag, "--topic-alias-max", cfg->topic_alias_max, 0, UINT16_MAX));
    return check_range(diag, "--receive-max", cfg->receive_max, 1, UINT16_MAX - 1);
}

/* mqtt_limits is the codec's view of the configuration (mqtt5.h): AWS IoT Core's capabilities
 * (docs/aws-iot/mqtt.md#mqtt5-properties) with the configured sizes. */
static struct tq_mqtt5_limits mqtt_limits(const struct tq_broker_config *cfg)
{
    struct tq_mqtt5_limits limits = tq_mqtt5_aws_limits;
    limits.maximum_packet_size = cfg->max_packet;
    limits.max_client_id_len = (uint16_t)cfg->max_client_id;
    limits.max_topic_len = (uint16_t)cfg->max_topic_length;
    limits.max_topic_slashes = (uint16_t)cfg->max_topic_slashes;
    limits.max_filters = (uint16_t)cfg->max_filters;
    limits.topic_alias_maximum = (uint16_t)cfg->topic_alias_max;
    return limits;
}

static tq_status check_config(struct tq_diag *diag, const struct tq_broker_config *cfg)
{
    if (cfg->pki_dir == NULL)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "--pki DIR is required");
    if (!tq_tls_endpoint_known(cfg->endpoint))
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "--endpoint: want ats or legacy, got '%s'",
                            cfg->endpoint);
    if (cfg->server_cert != NULL && cfg->chain != TQ_CHAIN_SHORT)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                            "--chain %s and --server-cert %s exclude each other: the artifact "
                            "names its own chain",
                            tq_tls_chain_variant_name(cfg->chain), cfg->server_cert);
    if (cfg->keepalive_min_s == 0 || cfg->keepalive_min_s > TQ_BROKER_KEEPALIVE_MAX_S)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                            "--keepalive-min: want 1 to %d seconds, got %u",
                            TQ_BROKER_KEEPALIVE_MAX_S, cfg->keepalive_min_s);
    if (tq_policy_find(cfg->policy) == NULL)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                            "--policy: unknown security policy '%s' (see --help)", cfg->policy);
    if (tq_tls_refusal_alert_code(cfg->refusal_alert) < 0)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "--refusal-alert: unknown alert '%s'",
                            cfg->refusal_alert);
    if (cfg->handshake_timeout_s == 0)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "--handshake-timeout must be > 0");
    if (cfg->ready_fd >= 0 && fcntl(cfg->ready_fd, F_GETFD) < 0)
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0, "--ready-fd %d is not an open file",
                            cfg->ready_fd);
    TQ_GUARD(check_mqtt_limits(diag, cfg));
    if (!cfg->allow_remote)
        TQ_GUARD(check_loopback(diag, "--listen", cfg->listen));
    if (!cfg->allow_remote && cfg->api != NULL)
        TQ_GUARD(check_loopback(diag, "--api", cfg->api));
    return TQ_SUCCESS;
}

static void sockaddr_text(char *out, size_t out_len, const struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        snprintf(out, out_len, "[%s]:%u", host, ntohs(in6->sin6_port));
        return;
    }
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    snprintf(out, out_len, "%s:%u", host, ntohs(in->sin_port));
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
                      int addr_len, void *arg)
{
    (void)l, (void)addr_len;
    tq__session_accept(arg, fd, addr);
}

/* parse_listen reads "IPv4:PORT", "[IPv6]:PORT" or "localhost:PORT" (127.0.0.1; port 0
 * allowed: libevent's own parser refuses it). */
static bool parse_listen(const char *text, struct sockaddr_storage *ss, int *out_len)
{
    const char *colon = strrchr(text, ':');
    char host[INET6_ADDRSTRLEN + 2];
    if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
        return false;
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port > 65535)
        return false;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
    if (strcasecmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        host[n - 1] = '\0';
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *out_len = sizeof(*in6);
        return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1;
    }
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    *out_len = sizeof(*in);
    return inet_pton(AF_INET, host, &in->sin_addr) == 1;
}

enum { ACCEPT_PAUSE_MS = 100 };

static void resume_accepting(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    struct tq_broker *b = arg;
    evconnlistener_enable(b->listener);
}

/* on_accept_error: accept() failed, typically EMFILE when connections exceed the open-file
 * limit. libevent would retry at once, forever, printing a warning each time; the broker
 * pauses accepting briefly instead (connections wait in the backlog) and records it once per
 * pause, so it stays responsive and its memory stays bounded under a flood. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
    struct tq_broker *b = arg;
    int err = EVUTIL_SOCKET_ERROR();
    evconnlistener_disable(l);
    if (b->accept_resume == NULL)
        b->accept_resume = evtimer_new(b->base, resume_accepting, b);
    struct timeval pause = {0, ACCEPT_PAUSE_MS * 1000};
    if (b->accept_resume == NULL || evtimer_add(b->accept_resume, &pause) != 0)
        evconnlistener_enable(l); /* no timer: keep accepting rather than stop for good */
    tq_events_emit(b->events, "accept_paused", 0, NULL,
                   json_pack("{s:s, s:i}", "error", evutil_socket_error_to_string(err), "pause_ms",
                             ACCEPT_PAUSE_MS));
}

static tq_status bind_listener(struct tq_diag *diag, struct tq_broker *b)
{
    struct sockaddr_storage ss;
    int len = 0;
    if (!parse_listen(b->cfg->listen, &ss, &len))
        return tq_diag_fail(diag, TQ_ERR_USAGE, NULL, 0,
                            "--listen: want IP:PORT or localhost:PORT (e.g. 127.0.0.1:18883), "
                            "got '%s'",
                            b->cfg->listen);
    b->listener = evconnlistener_new_bind(
        b->base, on_accept, b, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        -1, (struct sockaddr *)&ss, len);
    if (b->listener == NULL)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "--listen %s: cannot bind: %s",
                            b->cfg->listen, strerror(errno));
    evconnlistener_set_error_cb(b->listener, on_accept_error);
    socklen_t bound_len = sizeof(ss);
    getsockname(evconnlistener_get_fd(b->listener), (struct sockaddr *)&ss, &bound_len);
    sockaddr_text(b->listen_addr, sizeof(b->listen_addr), &ss);
    return TQ_SUCCESS;
}

static const char *sni_mode_name(enum tq_sni_mode mode)
{
    static const char *const names[] = {[TQ_SNI_OPTIONAL] = "optional",
                                        [TQ_SNI_REQUIRED] = "required",
                                        [TQ_SNI_ENDPOINT] = "endpoint"};
    return names[mode];
}

static json_t *served_chains(const struct tq_broker *b)
{
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof(b->tls.served) / sizeof(b->tls.served[0]); i++)
        if (b->tls.served[i] != NULL)
            json_array_append_new(list, json_string(b->tls.served[i]));
    return list;
}

/* settings_event describes every setting that changes what a client sees. */
static json_t *settings_event(const struct tq_broker *b)
{
    const struct tq_broker_config *c = b->cfg;
    return json_pack("{s:s, s:s, s:s, s:s?, s:o, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:i, "
                     "s:s, s:i}",
                     "listener", b->listen_addr, "listener_mode",
                     c->listener == TQ_LISTENER_ALPN ? "alpn" : "mqtt", "endpoint", c->endpoint,
                     "endpoint_host", b->tls.endpoint_host, "server_chains", served_chains(b),
                     "server_cert", c->server_cert, "chain", tq_tls_chain_variant_name(c->chain),
                     "policy", b->tls.policy->id, "sni", sni_mode_name(c->sni), "validity",
                     c->validity == TQ_VALIDITY_IGNORE ? "ignore" : "strict", "crl",
                     c->crl == TQ_CRL_ON ? "on" : "off", "shared_cert",
                     c->shared_cert == TQ_SHARED_CERT_REFUSE ? "refuse" : "allow", "keepalive_min",
                     (int)c->keepalive_min_s, "profile", c->profile, "nofile", (int)b->nofile);
}

static tq_status announce(struct tq_diag *diag, struct tq_broker *b)
{
    json_t *fields = settings_event(b);
    json_object_set_new(fields, "pki", json_string(tq_manifest_dir(b->manifest)));
    json_object_set_new(fields, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(fields, "registry", json_string(tq_registry_path(b->registry)));
    json_object_set_new(fields, "api", b->api ? json_string(tq_api_address(b->api)) : json_null());
    const struct tq_broker_config *c = b->cfg;
    json_object_set_new(
        fields, "mqtt_limits",
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "max_client_id",
                  c->max_client_id, "max_topic_length", c->max_topic_length, "max_topic_slashes",
                  c->max_topic_slashes, "max_filters", c->max_filters, "max_subscriptions",
                  c->max_subscriptions, "max_packet", c->max_packet, "session_expiry",
                  c->session_expiry, "session_queue", c->session_queue, "topic_alias_max",
                  c->topic_alias_max, "receive_max", c->receive_max));
    tq_events_emit(b->events, "broker_started", 0, "", fields);
    if (b->cfg->ready_fd < 0)
        return TQ_SUCCESS;
    char line[80];
    int n = snprintf(line, sizeof(line), "%s\n", b->listen_addr);
    ssize_t w = write(b->cfg->ready_fd, line, (size_t)n);
    close(b->cfg->ready_fd);
    if (w != n)
        return tq_diag_fail(diag, TQ_ERR_IO, NULL, 0, "--ready-fd %d: write failed",
                            b->cfg->ready_fd);
    return TQ_SUCCESS;
}

/* raise_nofile lifts the soft limit on open files to the hard limit: every connection holds a
 * socket, and the default soft limit (often 1024) would cap the broker near 1000 clients. */
static void raise_nofile(struct tq_broker *b)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    b->nofile = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
}

/* see broker_internal.h */
size_t tq__broker_enforce(struct tq_broker *b)
{
    size_t closed = 0;
    for (struct tq_session *s = b->sessions; s != NULL; s = s->next) {
        if (s->state == TQ_SESSION_CLOSING || s->tls.refusal != NULL || s->tls.cert_id[0] == 0)
            continue;
        const char *why = tq_registry_refusal(tq_registry_find(b->registry, s->tls.cert_id));
        if (why == NULL)
            continue;
        tq__session_close(s, "certificate_status_changed", why, false);
        closed++;
    }
    return closed;
}

/* see broker_internal.h */
tq_status tq__broker_refresh_tls(struct tq_diag *diag, struct tq_broker *b)
{
    SSL_CTX *ctx = NULL;
    TQ_GUARD(tq_tls_server_new(diag, &ctx, b->manifest, &b->tls));
    SSL_CTX_free(b->ssl_ctx); /* live connections hold their own reference */
    b->ssl_ctx = ctx;
    return TQ_SUCCESS;
}

/* reload re-reads the registry file (SIGHUP) and applies it to new and live connections. */
static void reload(struct tq_broker *b)
{
    struct tq_diag diag = {0};
    char text[1200] = "";
    tq_status st = tq_registry_reload(&diag, b->registry);
    if (tq_ok(st))
        st = tq__broker_refresh_tls(&diag, b);
    if (!tq_ok(st))
        tq_diag_format(text, sizeof(text), &diag);
    size_t closed = tq_ok(st) ? tq__broker_enforce(b) : 0;
    tq_events_emit(b->events, "registry_reloaded", 0, "",
                   json_pack("{s:b, s:s?, s:I, s:I, s:I}", "ok", tq_ok(st), "error",
                             text[0] ? text : NULL, "cas",
                             (json_int_t)tq_registry_num_cas(b->registry), "certificates",
                             (json_int_t)tq_registry_num_certificates(b->registry),
                             "connections_closed", (json_int_t)closed));
}

static void on_sighup(evutil_socket_t sig, short what, void *arg)
{
    (void)sig, (void)what;
    struct tq_broker *b = arg;
    tq_events_emit(b->events, "signal_received", 0, "", json_pack("{s:s}", "signal", "SIGHUP"));
    reload(b);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct tq_broker *b = arg;
    tq_events_emit(b->events, "signal_received", 0, "",
                   json_pack("{s:s}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM"));
    event_base_loopbreak(b->base);
}

static tq_status load_pki(struct tq_diag *diag, struct tq_broker *b)
{
    TQ_GUARD(tq_manifest_load(diag, &b->manifest, b->cfg->pki_dir));
    if (b->cfg->registry_path != NULL)
        TQ_GUARD(tq_registry_open(diag, &b->registry, b->cfg->registry_path,
                                  tq_manifest_dir(b->manifest)));
    else
        TQ_GUARD(tq_registry_load(diag, &b->registry, tq_manifest_dir(b->manifest)));
    b->tls = (struct tq_tls_settings){
        .endpoint = b->cfg->endpoint,
        .chain = b->cfg->chain,
        .server_cert = b->cfg->server_cert,
        .listener = b->cfg->listener,
        .validity = b->cfg->validity,
        .crl = b->cfg->crl,
        .policy = tq_policy_find(b->cfg->policy),
        .sni_mode = b->cfg->sni,
        .endpoint_host = tq_manifest_endpoint(b->manifest, b->cfg->endpoint),
        .registry = b->registry,
        .refuse_in_handshake = b->cfg->refusal == TQ_REFUSE_ALERT,
        .refusal_alert = tq_tls_refusal_alert_code(b->cfg->refusal_alert),
    };
    return tq_tls_server_new(diag, &b->ssl_ctx, b->manifest, &b->tls);
}

/* new_event_base makes the loop with epoll's change list: libevent then applies the
 * add/remove changes of one loop iteration with one epoll_ctl per socket, not one per change
 * (bufferevent_openssl enables and disables reading and writing several times per handshake).
 * The change list misbehaves only for dup()ed descriptors, which the broker never has. */
static struct event_base *new_event_base(void)
{
    struct event_config *cfg = event_config_new();
    if (cfg == NULL)
        return NULL;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return base;
}

static void on_expiry_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    tq__mqtt_expire(arg);
}

static tq_status setup(struct tq_diag *diag, struct tq_broker *b)
{
    TQ_GUARD(check_config(diag, b->cfg));
    TQ_GUARD(load_pki(diag, b));
    raise_nofile(b);
    b->base = new_event_base();
    b->router = tq_router_new();
    b->audit = tq__audit_new();
    TQ_ENSURE(b->base != NULL && b->router != NULL && b->audit != NULL, TQ_ERR_NOMEM);
    b->limits = mqtt_limits(b->cfg);
    b->msessions = tq_msessions_new(b->cfg->session_queue, b->cfg->receive_max);
    b->expiry_timer = evtimer_new(b->base, on_expiry_timer, b);
    TQ_ENSURE(b->msessions != NULL && b->expiry_timer != NULL, TQ_ERR_NOMEM);
    b->drain = tq_drain_new(b->base, TQ_BROKER_DRAIN_MAX_BYTES, TQ_BROKER_DRAIN_MAX_MS);
    TQ_ENSURE(b->drain != NULL, TQ_ERR_NOMEM);
    b->sigint = evsignal_new(b->base, SIGINT, on_signal, b);
    b->sigterm = evsignal_new(b->base, SIGTERM, on_signal, b);
    b->sighup = evsignal_new(b->base, SIGHUP, on_sighup, b);
    TQ_ENSURE(b->sigint != NULL && b->sigterm != NULL && b->sighup != NULL, TQ_ERR_NOMEM);
    TQ_ENSURE(evsignal_add(b->sigint, NULL) == 0 && evsignal_add(b->sigterm, NULL) == 0 &&
                  evsignal_add(b->sighup, NULL) == 0,
              TQ_ERR_INTERNAL);
    TQ_GUARD(tq_events_open(diag, &b->events, b->cfg->events_path));
    TQ_GUARD(tq_events_defer(b->events, b->base));
    TQ_GUARD(bind_listener(diag, b));
    if (b->cfg->api != NULL)
        TQ_GUARD(tq_api_new(diag, &b->api, b, b->cfg->api));
    return announce(diag, b);
}

/* see broker.h */
tq_status tq_broker_new(struct tq_diag *diag, struct tq_broker **out,
                        const struct tq_broker_config *cfg)
{
    *out = NULL;
    struct tq_broker *b = calloc(1, sizeof(*b));
    TQ_ENSURE(b != NULL, TQ_ERR_NOMEM);
    b->cfg = cfg;
    /* A client that vanishes mid-write must not kill the broker: OpenSSL writes with write(2). */
    signal(SIGPIPE, SIG_IGN);
    tq_status st = setup(diag, b);
    if (!tq_ok(st)) {
        tq_broker_free(b);
        return st;
    }
    *out = b;
    return TQ_SUCCESS;
}

/* see broker.h */
/* follow_parent makes the kernel send SIGTERM when the parent dies (the broker's own handler
 * then stops cleanly), and covers a parent that died before the request. */
static void follow_parent(unsigned parent_pid)
{
    if (parent_pid == 0)
        return;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if ((unsigned)getppid() != parent_pid)
        raise(SIGTERM);
}

tq_status tq_broker_serve(struct tq_diag *diag, struct tq_broker *b)
{
    follow_parent(b->cfg->parent_pid);
    if (event_base_dispatch(b->base) < 0)
        return tq_diag_fail(diag, TQ_ERR_INTERNAL, NULL, 0, "the event loop failed");
    return TQ_SUCCESS;
}

/* see broker.h */
void tq_broker_free(struct tq_broker *b)
{
    if (b == NULL)
        return;
    while (b->sessions != NULL) {
        struct tq_session *s = b->sessions;
        if (s->state != TQ_SESSION_CLOSING) {
            s->close_reason = "broker_shutdown";
            tq__mqtt5_farewell(s, "broker_shutdown", NULL); /* 0x8B Server shutting down */
        }
        tq__session_free(s);
    }
    tq_drain_free(b->drain); /* stopping: what is still draining is closed at once */
    if (b->events != NULL && b->listener != NULL)
        tq_events_emit(b->events, "broker_stopped", 0, "", NULL);
    tq_api_free(b->api);
    if (b->accept_resume)
        event_free(b->accept_resume);
    if (b->listener)
        evconnlistener_free(b->listener);
    if (b->sighup)
        event_free(b->sighup);
    tq__audit_free(b->audit);
    if (b->sigint)
        event_free(b->sigint);
    if (b->sigterm)
        event_free(b->sigterm);
    if (b->expiry_timer)
        event_free(b->expiry_timer);
    tq_msessions_free(b->msessions);
    tq__mqtt_retained_free(b);
    tq_router_free(b->router);
    tq_index_cleanup(&b->client_ids);
    tq_index_cleanup(&b->cert_groups);
    SSL_CTX_free(b->ssl_ctx);
    tq_registry_free(b->registry);
    tq_manifest_free(b->manifest);
    tq_events_close(b->events);
    if (b->base)
        event_base_free(b->base);
    free(b);
}
