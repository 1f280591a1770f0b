/* gnutls_config.c: a `struct tq_client_config` turned into GnuTLS credentials and priorities
 * (its [context] members) and a session per connection (the [connection] members). The verify
 * function lives in the shared credentials but reads everything per connection from the
 * session's pointer. */
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnutls_internal.h"

/* The verification time of the case being verified. GnuTLS reads "now" through one global
 * time function (gnutls_global_set_time_function); the backend runs one case at a time and
 * installs it only around its own verification call. */
static time_t pinned_time;

static time_t pinned_clock(time_t *t)
{
    if (t != NULL)
        *t = pinned_time;
    return pinned_time;
}

/* verify_peer is the credentials' verify function: it verifies the chain, the purpose and the
 * name (DNS name or IP literal) as of the case's time, and keeps the verdict for describe. */
static int verify_peer(gnutls_session_t session)
{
    static char server_auth[] = GNUTLS_KP_TLS_WWW_SERVER;
    struct gtls_client *c = gnutls_session_get_ptr(session);
    gnutls_typed_vdata_st data[2] = {
        {.type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (unsigned char *)server_auth},
        {.type = GNUTLS_DT_DNS_HOSTNAME, .data = (unsigned char *)c->server_name},
    };
    unsigned num = c->server_name != NULL ? 2 : 1;
    if (c->has_verify_time) {
        pinned_time = c->verify_time;
        gnutls_global_set_time_function(pinned_clock);
    }
    unsigned status = 0;
    int ret = gnutls_certificate_verify_peers(session, data, num, &status);
    if (c->has_verify_time)
        gnutls_global_set_time_function(time);
    c->verify_ran = true;
    c->verify_status = status;
    c->verify_error = ret < 0 ? ret : 0;
    return ret < 0 || status != 0 ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR : 0;
}

static tq_status set_trust(struct gtls_config *k, struct tq_outcome *out,
                           const struct tq_client_config *cfg)
{
    for (size_t i = 0; i < cfg->trust.num; i++) {
        int n = gnutls_certificate_set_x509_trust_file(k->cred, cfg->trust.items[i],
                                                       GNUTLS_X509_FMT_PEM);
        if (n <= 0)
            return gtls_config_fail(out, TQ_OUT_CONFIG_ERROR,
                                    n ? n : GNUTLS_E_BASE64_DECODING_ERROR, cfg->trust.items[i]);
    }
    for (size_t i = 0; i < cfg->crl.num; i++) {
        int n =
            gnutls_certificate_set_x509_crl_file(k->cred, cfg->crl.items[i], GNUTLS_X509_FMT_PEM);
        if (n <= 0)
            return gtls_config_fail(out, TQ_OUT_CONFIG_ERROR,
                                    n ? n : GNUTLS_E_BASE64_DECODING_ERROR, cfg->crl.items[i]);
    }
    if (cfg->verify_peer)
        gnutls_certificate_set_verify_function(k->cred, verify_peer);
    return TQ_SUCCESS;
}

static void datum_free(gnutls_datum_t *d)
{
    gnutls_free(d->data);
    d->data = NULL;
}

/* load_pem_pair reads `cert` (and `chain`, appended after it) and `key` into memory. */
static tq_status load_client_files(struct tq_outcome *out, gnutls_datum_t *out_certs,
                                   gnutls_datum_t *out_key, const struct tq_client_config *cfg)
{
    int ret = gnutls_load_file(cfg->cert, out_certs);
    if (ret < 0)
        return gtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->cert);
    if ((ret = gnutls_load_file(cfg->key, out_key)) < 0)
        return gtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->key);
    if (cfg->chain == NULL)
        return TQ_SUCCESS;
    gnutls_datum_t chain TQ_DEFER(datum_free) = {0};
    if ((ret = gnutls_load_file(cfg->chain, &chain)) < 0)
        return gtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->chain);
    unsigned char *both = gnutls_malloc(out_certs->size + 1 + chain.size);
    if (both == NULL)
        return gtls_config_fail(out, TQ_OUT_CONFIG_ERROR, GNUTLS_E_MEMORY_ERROR, cfg->chain);
    memcpy(both, out_certs->data, out_certs->size);
    both[out_certs->size] = '\n';
    memcpy(both + out_certs->size + 1, chain.data, chain.size);
    gnutls_free(out_certs->data);
    out_certs->data = both;
    out_certs->size += 1 + chain.size;
    return TQ_SUCCESS;
}

static tq_status set_client_cert(struct gtls_config *k, struct tq_outcome *out,
                                 const struct tq_client_config *cfg)
{
    if (cfg->cert == NULL)
        return TQ_SUCCESS;
    gnutls_datum_t certs TQ_DEFER(datum_free) = {0};
    gnutls_datum_t key TQ_DEFER(datum_free) = {0};
    TQ_GUARD(load_client_files(out, &certs, &key, cfg));
    /* Checks that the key matches the leaf (GNUTLS_E_CERTIFICATE_KEY_MISMATCH). */
    int ret =
        gnutls_certificate_set_x509_key_mem2(k->cred, &certs, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (ret < 0)
        return gtls_config_fail(out, TQ_OUT_CONFIG_ERROR, ret, cfg->cert);
    return TQ_SUCCESS;
}

static tq_status set_alpn(struct gtls_client *c, struct tq_outcome *out,
                          const struct tq_str_list *alpn)
{
    gnutls_datum_t protos[64];
    if (alpn->num > sizeof(protos) / sizeof(protos[0]))
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "alpn: more than 64 names");
    for (size_t i = 0; i < alpn->num; i++)
        protos[i] = (gnutls_datum_t){.data = (unsigned char *)alpn->items[i],
                                     .size = (unsigned)strlen(alpn->items[i])};
    int ret = gnutls_alpn_set_protocols(c->session, protos, (unsigned)alpn->num, 0);
    if (ret < 0)
        return gtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "alpn");
    return TQ_SUCCESS;
}

static tq_status set_session_options(struct gtls_client *c, struct tq_outcome *out,
                                     const struct tq_client_config *cfg)
{
    const char *name = cfg->server_name;
    /* RFC 6066 section 3: "Literal IPv4 and IPv6 addresses are not permitted in HostName". */
    if (name != NULL && cfg->send_sni && !tq_is_ip_literal(name)) {
        int ret = gnutls_server_name_set(c->session, GNUTLS_NAME_DNS, name, strlen(name));
        if (ret < 0)
            return gtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "server_name as SNI");
    }
    if (cfg->alpn.present)
        TQ_GUARD(set_alpn(c, out, &cfg->alpn));
    if (cfg->max_fragment_length != 0) {
        /* As a client this offers max_fragment_length (and record_size_limit). */
        ssize_t ret = gnutls_record_set_max_size(c->session, cfg->max_fragment_length);
        if (ret < 0)
            return gtls_config_fail(out, TQ_OUT_UNSUPPORTED, (int)ret, "max_fragment_length");
    }
    return TQ_SUCCESS;
}

/* add_verify_profile makes verification demand 112 bits of security, as a careful device does:
 * no RSA or DSA key under 2048 bits in the chain (NIST SP 800-131A, CA/B Forum BR 6.1.5; the
 * real ATS leaves are RSA 2048, docs/aws-iot/server-chains.md#example-leaf). Under NORMAL alone
 * GnuTLS 3.7.9 took an RSA 1024 leaf; SHA-1 signatures it refuses at every profile. The
 * profile goes in the priority string, not in gnutls_certificate_set_verify_flags: the session
 * ORs the credentials' flags with the priority's, and a profile is a number in the top byte, so
 * two profiles OR-ed make a third (tried: every RSA 2048 chain then failed as "insecure
 * algorithm"). */
static tq_status add_verify_profile(struct tq_outcome *out, char *prio, size_t prio_len)
{
    size_t used = strlen(prio);
    int n = snprintf(prio + used, prio_len - used, ":%%PROFILE_MEDIUM");
    if (n < 0 || (size_t)n >= prio_len - used)
        return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "priority string too long");
    return TQ_SUCCESS;
}

/* see gnutls_internal.h */
tq_status gtls_configure(void *config, struct tq_outcome *out, const struct tq_client_config *cfg)
{
    struct gtls_config *k = config;
    int ret = gnutls_certificate_allocate_credentials(&k->cred);
    if (ret < 0)
        return gtls_config_fail(out, TQ_OUT_UNMAPPED, ret, "credentials");
    TQ_GUARD(set_trust(k, out, cfg));
    TQ_GUARD(set_client_cert(k, out, cfg));
    char prio[8192];
    TQ_GUARD(gtls_priority_string(out, prio, sizeof(prio), cfg));
    TQ_GUARD(add_verify_profile(out, prio, sizeof(prio)));
    const char *err_pos = NULL;
    if ((ret = gnutls_priority_init(&k->priority, prio, &err_pos)) < 0)
        return gtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret,
                                "versions, suites, groups or sigalgs");
    return TQ_SUCCESS;
}

/* see gnutls_internal.h */
tq_status gtls_open(void *conn, void *config, struct tq_outcome *out,
                    const struct tq_client_config *cfg)
{
    struct gtls_client *c = conn;
    const struct gtls_config *k = config;
    if (cfg->server_name != NULL && (c->server_name = strdup(cfg->server_name)) == NULL)
        return gtls_config_fail(out, TQ_OUT_UNMAPPED, GNUTLS_E_MEMORY_ERROR, "server_name");
    c->has_verify_time = cfg->has_verify_time;
    c->verify_time = (time_t)cfg->verify_time;
    /* A session never resumes: nothing ever calls gnutls_session_set_data. */
    int ret = gnutls_init(&c->session, GNUTLS_CLIENT);
    if (ret < 0)
        return gtls_config_fail(out, TQ_OUT_UNMAPPED, ret, "gnutls_init");
    gnutls_session_set_ptr(c->session, c);
    if ((ret = gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, k->cred)) < 0)
        return gtls_config_fail(out, TQ_OUT_UNMAPPED, ret, "credentials");
    if ((ret = gnutls_priority_set(c->session, k->priority)) < 0)
        return gtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "priority");
    return set_session_options(c, out, cfg);
}
