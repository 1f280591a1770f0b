/* run_case.c: one case end to end: feature check, configured context (kept from the previous
 * case when it fits), connection, TCP connect, handshake, MQTT, close, describe. See
 * driver_internal.h. */
#include <stdlib.h>
#include <unistd.h>

#include "driver_internal.h"

#define DRAIN_MS 1000.0 /* how long a handshake-only case waits for the server's answer */

static bool needs_sni(const struct tq_client_config *c)
{
    return c->server_name && c->send_sni;
}
static bool needs_no_sni(const struct tq_client_config *c)
{
    return c->server_name && !c->send_sni;
}
static bool needs_alpn(const struct tq_client_config *c)
{
    return c->alpn.present;
}
static bool needs_crl(const struct tq_client_config *c)
{
    return c->crl.present;
}
static bool needs_cert(const struct tq_client_config *c)
{
    return c->cert != NULL;
}
static bool needs_time(const struct tq_client_config *c)
{
    return c->has_verify_time;
}
static bool needs_mfl(const struct tq_client_config *c)
{
    return c->max_fragment_length != 0;
}
static bool needs_groups(const struct tq_client_config *c)
{
    return c->groups.present;
}
static bool needs_sigalgs(const struct tq_client_config *c)
{
    return c->sigalgs.present;
}
static bool needs_suites(const struct tq_client_config *c)
{
    return c->suites.present;
}
static bool needs_no_verify(const struct tq_client_config *c)
{
    return !c->verify_peer;
}

/* Which case members need which declared feature. */
static const struct {
    uint32_t bit;
    bool (*needed)(const struct tq_client_config *cfg);
} feature_rules[] = {
    {TQ_FEAT_SNI, needs_sni},
    {TQ_FEAT_NO_SNI, needs_no_sni},
    {TQ_FEAT_ALPN, needs_alpn},
    {TQ_FEAT_CRL, needs_crl},
    {TQ_FEAT_CLIENT_CERT, needs_cert},
    {TQ_FEAT_VERIFY_TIME, needs_time},
    {TQ_FEAT_MFL, needs_mfl},
    {TQ_FEAT_GROUPS, needs_groups},
    {TQ_FEAT_SIGALGS, needs_sigalgs},
    {TQ_FEAT_SUITES, needs_suites},
    {TQ_FEAT_NO_VERIFY, needs_no_verify},
};

static tq_status check_version(struct tq_outcome *out, const struct tq_tls_client_ops *ops,
                               enum tq_tls_version v)
{
    if (v == TQ_TLS_ANY || (ops->versions & TQ_VERSION_BIT(v)))
        return TQ_SUCCESS;
    return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "backend lacks TLS %s", tq_tls_version_name(v));
}

/* see driver_internal.h */
tq_status tq__check_features(struct tq_outcome *out, const struct tq_tls_client_ops *ops,
                             const struct tq_client_config *cfg)
{
    TQ_GUARD(check_version(out, ops, cfg->min_version));
    TQ_GUARD(check_version(out, ops, cfg->max_version));
    for (size_t i = 0; i < sizeof(feature_rules) / sizeof(feature_rules[0]); i++) {
        if (feature_rules[i].needed(cfg) && !(ops->features & feature_rules[i].bit))
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "backend lacks feature %s",
                                   tq__feature_name(feature_rules[i].bit));
    }
    if ((cfg->cert == NULL) != (cfg->key == NULL) || (cfg->chain != NULL && cfg->cert == NULL))
        return tq_outcome_fail(out, TQ_OUT_CONFIG_ERROR,
                               "cert and key go together, and chain needs cert");
    return TQ_SUCCESS;
}

/* drain waits briefly, after our close_notify, for the server's answer: in TLS 1.3 a server
 * that rejects the client certificate says so only after the client's handshake completed. */
static void drain(struct tq_case_result *r, const struct tq_link *link)
{
    double until = tq__now_ms() + DRAIN_MS;
    if (until > link->deadline_ms)
        until = link->deadline_ms;
    for (int i = 0; i < 64 && tq__now_ms() < until; i++) {
        uint8_t buf[4096];
        size_t n = 0;
        struct tq_outcome scratch = {.code = TQ_OUT_NOT_RUN};
        tq__arm_deadline(link->fd, until);
        if (!tq_ok(link->ops->read(link->conn, &scratch, buf, sizeof(buf), &n))) {
            if (scratch.code == TQ_OUT_ALERT_RECEIVED)
                r->outcome = scratch;
            return;
        }
        if (n == 0)
            return;
    }
}

/* run_connected runs handshake and MQTT on a connected socket; it fills timings and outcome. */
static tq_status run_connected(struct tq_case_result *r, const struct tq_link *link,
                               const struct tq_client_config *cfg)
{
    double t0 = tq__now_ms();
    tq__arm_deadline(link->fd, link->deadline_ms);
    tq_status st = link->ops->handshake(link->conn, &r->outcome, link->fd);
    r->t_handshake = tq__now_ms() - t0;
    r->handshake = tq_ok(st) ? "completed" : "failed";
    TQ_GUARD(st);
    if (cfg->mqtt.present) {
        t0 = tq__now_ms();
        st = tq__mqtt_exchange(&r->outcome, &r->mqtt, link, &cfg->mqtt);
        r->t_mqtt = tq__now_ms() - t0;
        TQ_GUARD(st);
    }
    r->outcome.code = TQ_OUT_OK;
    link->ops->close(link->conn);
    if (!cfg->mqtt.present)
        drain(r, link);
    return r->outcome.code == TQ_OUT_OK ? TQ_SUCCESS : TQ_STATUS(TQ_ERR_CRYPTO);
}

static void session_describe(struct tq_case_result *r, const struct tq_link *link)
{
    r->session = (struct tq_session_info){.alert_sent = -1, .alert_received = -1};
    link->ops->describe(link->conn, &r->session);
    r->has_session = true;
    /* Every case is a full handshake (docs/backend-protocol.md): a resumed session means state
     * survived from an earlier case, a backend bug the case must not pass on. */
    if (r->session.resumed) {
        r->outcome = (struct tq_outcome){.code = TQ_OUT_UNMAPPED};
        tq_outcome_set_error(&r->outcome, "the TLS library resumed a session: every case must be "
                                          "a full handshake");
    }
}

/* run_configured connects and runs the case on an opened connection. */
static void run_configured(struct tq_case_result *r, struct tq_link *link,
                           const struct tq_client_config *cfg)
{
    double t0 = tq__now_ms();
    uint16_t local_port = 0;
    tq_status st = tq__tcp_connect(&r->outcome, &link->fd, &local_port, cfg->host, cfg->port,
                                   link->deadline_ms);
    r->t_connect = tq__now_ms() - t0;
    if (!tq_ok(st))
        return;
    r->local_port = local_port;
    (void)run_connected(r, link, cfg);
    session_describe(r, link);
}

/* run_opened makes the case's connection from the configured context and runs the case. */
static void run_opened(struct tq_case_result *r, struct tq_link *link, void *config,
                       const struct tq_client_config *cfg)
{
    link->conn = calloc(1, link->ops->conn_size > 0 ? link->ops->conn_size : 1);
    if (link->conn == NULL) {
        r->outcome.code = TQ_OUT_UNMAPPED;
        tq_outcome_set_error(&r->outcome, "out of memory");
        return;
    }
    if (tq_ok(link->ops->open(link->conn, config, &r->outcome, cfg)))
        run_configured(r, link, cfg);
    link->ops->cleanup(link->conn);
    free(link->conn);
    link->conn = NULL;
}

static void finish_outcome(struct tq_case_result *r, double deadline_ms)
{
    if (r->outcome.code == TQ_OUT_OK)
        return;
    if (tq__now_ms() >= deadline_ms - 1.0 && r->outcome.code != TQ_OUT_UNSUPPORTED &&
        r->outcome.code != TQ_OUT_CONFIG_ERROR)
        r->outcome.code = TQ_OUT_TIMEOUT;
    if (r->outcome.code == TQ_OUT_NOT_RUN)
        r->outcome.code = TQ_OUT_UNMAPPED;
}

/* see driver_internal.h */
void tq__run_case(struct tq_case_result *r, struct tq_config_cache *cache,
                  const struct tq_client_config *cfg)
{
    const struct tq_tls_client_ops *ops = cache->ops;
    double start = tq__now_ms();
    *r = (struct tq_case_result){
        .id = cfg->id,
        .library = ops->library_version(),
        .handshake = "not_started",
        .local_port = -1,
        .mqtt = {.connack = -1},
    };
    struct tq_link link = {.ops = ops, .fd = -1, .deadline_ms = start + cfg->timeout_ms};
    void *config = NULL;
    if (tq_ok(tq__check_features(&r->outcome, ops, cfg)) &&
        tq_ok(tq_config_cache_get(cache, &r->outcome, &config, cfg)))
        run_opened(r, &link, config, cfg);
    if (link.fd >= 0)
        close(link.fd);
    r->t_total = tq__now_ms() - start;
    finish_outcome(r, link.deadline_ms);
}
