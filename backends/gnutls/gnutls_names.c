/* gnutls_names.c: IANA names <-> GnuTLS priority strings, and the capability lists.
 *
 * GnuTLS has no call that pins one cipher suite: a priority string enables key exchanges,
 * ciphers and MACs, and every suite in their product is offered. So a requested suite list is
 * turned into those three lists, the priority is built, and the suites it really enables are
 * read back (gnutls_priority_get_cipher_suite_index) and compared with the request. Anything
 * more or less is `unsupported` with a reason, never a silent change of the offer. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "gnutls_internal.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_SUITE_TABLE 1000 /* gnutls_cipher_suite_info indexes; 3.7.9 has about 200 */

/* Key exchanges a case can use: PSK, SRP, anonymous and GOST need what a case cannot give. */
static const gnutls_kx_algorithm_t usable_kx[] = {
    GNUTLS_KX_UNKNOWN, /* TLS 1.3 suites name no key exchange */
    GNUTLS_KX_RSA,       GNUTLS_KX_DHE_RSA,     GNUTLS_KX_DHE_DSS,
    GNUTLS_KX_ECDHE_RSA, GNUTLS_KX_ECDHE_ECDSA,
};

/* IANA signature scheme -> GnuTLS sign algorithm names (TLS 1.2 and TLS 1.3 spellings). */
static const struct {
    const char *iana;
    const char *gnutls[2];
} sigalg_names[] = {
    {"rsa_pkcs1_sha1", {"RSA-SHA1"}},
    {"ecdsa_sha1", {"ECDSA-SHA1"}},
    {"rsa_pkcs1_sha256", {"RSA-SHA256"}},
    {"rsa_pkcs1_sha384", {"RSA-SHA384"}},
    {"rsa_pkcs1_sha512", {"RSA-SHA512"}},
    {"ecdsa_secp256r1_sha256", {"ECDSA-SHA256", "ECDSA-SECP256R1-SHA256"}},
    {"ecdsa_secp384r1_sha384", {"ECDSA-SHA384", "ECDSA-SECP384R1-SHA384"}},
    {"ecdsa_secp521r1_sha512", {"ECDSA-SHA512", "ECDSA-SECP521R1-SHA512"}},
    {"rsa_pss_rsae_sha256", {"RSA-PSS-RSAE-SHA256"}},
    {"rsa_pss_rsae_sha384", {"RSA-PSS-RSAE-SHA384"}},
    {"rsa_pss_rsae_sha512", {"RSA-PSS-RSAE-SHA512"}},
    {"rsa_pss_pss_sha256", {"RSA-PSS-SHA256"}},
    {"rsa_pss_pss_sha384", {"RSA-PSS-SHA384"}},
    {"rsa_pss_pss_sha512", {"RSA-PSS-SHA512"}},
    {"ed25519", {"EdDSA-Ed25519"}},
    {"ed448", {"EdDSA-Ed448"}},
};

/* struct suite is one entry of GnuTLS's suite table. */
struct suite {
    const char *name; /* GnuTLS's spelling */
    char iana[128];
    gnutls_kx_algorithm_t kx;
    gnutls_cipher_algorithm_t cipher;
    gnutls_mac_algorithm_t mac;
    bool tls13;
};

static bool kx_usable(gnutls_kx_algorithm_t kx)
{
    for (size_t i = 0; i < NUM(usable_kx); i++) {
        if (usable_kx[i] == kx)
            return true;
    }
    return false;
}

/* see gnutls_internal.h */
void gtls_suite_iana(char *buf, size_t buf_len, const char *name, gnutls_kx_algorithm_t kx,
                     gnutls_protocol_t min_version)
{
    snprintf(buf, buf_len, "%s", name);
    if (min_version == GNUTLS_TLS1_3 || kx == GNUTLS_KX_UNKNOWN || strncmp(name, "TLS_", 4))
        return;
    /* "TLS_" + key exchange (GnuTLS's name with '-' -> '_') + "_WITH_" + the rest. */
    char kx_name[64];
    snprintf(kx_name, sizeof(kx_name), "%s", gnutls_kx_get_name(kx));
    for (char *p = kx_name; *p; p++)
        *p = *p == '-' ? '_' : *p;
    size_t kx_len = strlen(kx_name);
    if (strncmp(name + 4, kx_name, kx_len) != 0 || name[4 + kx_len] != '_')
        return;
    const char *rest = name + 4 + kx_len + 1;
    const char *head = "";
    if (strncmp(rest, "ARCFOUR_", 8) == 0) {
        head = "RC4_"; /* IANA: TLS_RSA_WITH_RC4_128_SHA */
        rest += 8;
    }
    size_t rest_len = strlen(rest);
    const char *tail = "";
    if (rest_len > 5 && strcmp(rest + rest_len - 5, "_SHA1") == 0)
        rest_len -= 1; /* IANA's MAC name is "SHA" */
    else if (rest_len >= 17 && strcmp(rest + rest_len - 17, "CHACHA20_POLY1305") == 0)
        tail = "_SHA256"; /* RFC 7905 names carry the PRF hash */
    snprintf(buf, buf_len, "TLS_%s_WITH_%s%.*s%s", kx_name, head, (int)rest_len, rest, tail);
}

/* suite_at fills `s` with entry `idx` of GnuTLS's suite table; false past the end. */
static bool suite_at(struct suite *s, size_t idx)
{
    unsigned char id[2];
    gnutls_protocol_t min_version = GNUTLS_VERSION_UNKNOWN;
    s->name = gnutls_cipher_suite_info(idx, id, &s->kx, &s->cipher, &s->mac, &min_version);
    if (s->name == NULL)
        return false;
    s->tls13 = min_version == GNUTLS_TLS1_3;
    gtls_suite_iana(s->iana, sizeof(s->iana), s->name, s->kx, min_version);
    return true;
}

/* find_suite looks `iana` up in GnuTLS's suite table (usable key exchanges only). */
static bool find_suite(struct suite *out, const char *iana)
{
    for (size_t i = 0; i < MAX_SUITE_TABLE && suite_at(out, i); i++) {
        if (strcmp(out->iana, iana) == 0 && kx_usable(out->kx))
            return true;
    }
    return false;
}

/* append writes ":" + prefix + name at the end of `buf`; false when it does not fit. */
static bool append(char *buf, size_t buf_len, const char *prefix, const char *name)
{
    size_t used = strlen(buf);
    int n = snprintf(buf + used, buf_len - used, ":%s%s", prefix, name);
    return n >= 0 && (size_t)n < buf_len - used;
}

/* append_once appends prefix+name unless it is already in `buf`. */
static bool append_once(char *buf, size_t buf_len, const char *prefix, const char *name)
{
    char item[96];
    snprintf(item, sizeof(item), ":%s%s:", prefix, name);
    size_t used = strlen(buf);
    if (used + 1 < buf_len) {
        buf[used] = ':'; /* so the last item also ends with ':' while searching */
        buf[used + 1] = '\0';
    }
    bool found = strstr(buf, item) != NULL;
    buf[used] = '\0';
    return found || append(buf, buf_len, prefix, name);
}

static const char *mac_keyword(gnutls_mac_algorithm_t mac)
{
    return mac == GNUTLS_MAC_AEAD ? "AEAD" : gnutls_mac_get_name(mac);
}

/* suite_keywords appends the kx, cipher and MAC keywords of each requested suite. */
static tq_status suite_keywords(struct tq_outcome *out, char *buf, size_t buf_len, bool *out_any13,
                                const struct tq_str_list *suites)
{
    bool ok = append(buf, buf_len, "", "-KX-ALL:-CIPHER-ALL:-MAC-ALL");
    *out_any13 = false;
    for (size_t i = 0; i < suites->num && ok; i++) {
        struct suite s;
        if (!find_suite(&s, suites->items[i]))
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "suites %s", suites->items[i]);
        *out_any13 = *out_any13 || s.tls13;
        if (!s.tls13)
            ok = append_once(buf, buf_len, "+", gnutls_kx_get_name(s.kx));
        ok = ok && append_once(buf, buf_len, "+", gnutls_cipher_get_name(s.cipher)) &&
             append_once(buf, buf_len, "+", mac_keyword(s.mac));
    }
    return ok ? TQ_SUCCESS : tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "too many suites");
}

static bool requested(const struct tq_str_list *list, const char *name)
{
    for (size_t i = 0; i < list->num; i++) {
        if (strcmp(list->items[i], name) == 0)
            return true;
    }
    return false;
}

/* check_exact fails unless priority `prio` enables exactly the requested suites (TLS 1.3
 * suites are ignored when the priority has no TLS 1.3). */
static tq_status check_exact(struct tq_outcome *out, const char *prio, bool with13,
                             const struct tq_str_list *suites)
{
    gnutls_priority_t p = NULL;
    const char *err_pos = NULL;
    int ret = gnutls_priority_init(&p, prio, &err_pos);
    if (ret < 0)
        return gtls_config_fail(out, TQ_OUT_UNSUPPORTED, ret, "suites");
    tq_status st = TQ_SUCCESS;
    for (unsigned i = 0; i < MAX_SUITE_TABLE && tq_ok(st); i++) {
        unsigned sidx = 0;
        ret = gnutls_priority_get_cipher_suite_index(p, i, &sidx);
        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        struct suite s;
        if (ret < 0 || !suite_at(&s, sidx) || (s.tls13 && !with13))
            continue;
        if (!requested(suites, s.iana))
            st = tq_outcome_fail(out, TQ_OUT_UNSUPPORTED,
                                 "suites: a GnuTLS priority string cannot offer these without "
                                 "also offering %s",
                                 s.iana);
    }
    gnutls_priority_deinit(p);
    return st;
}

static tq_status set_versions(char *buf, size_t buf_len, struct tq_outcome *out,
                              const struct tq_client_config *cfg, bool allow13)
{
    static const char *const keywords[] = {
        [TQ_TLS_1_0] = "VERS-TLS1.0",
        [TQ_TLS_1_1] = "VERS-TLS1.1",
        [TQ_TLS_1_2] = "VERS-TLS1.2",
        [TQ_TLS_1_3] = "VERS-TLS1.3",
    };
    bool ok = true;
    for (int v = TQ_TLS_1_0; v <= TQ_TLS_1_3 && ok; v++) {
        bool in = (cfg->min_version == TQ_TLS_ANY || v >= (int)cfg->min_version) &&
                  (cfg->max_version == TQ_TLS_ANY || v <= (int)cfg->max_version) &&
                  (v != TQ_TLS_1_3 || allow13);
        if (!in)
            ok = append(buf, buf_len, "-", keywords[v]);
        else if (cfg->min_version != TQ_TLS_ANY) /* NORMAL may leave old versions out */
            ok = append(buf, buf_len, "+", keywords[v]);
    }
    return ok ? TQ_SUCCESS : tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "priority too long");
}

static tq_status set_groups(char *buf, size_t buf_len, struct tq_outcome *out,
                            const struct tq_str_list *groups)
{
    bool ok = append(buf, buf_len, "", "-GROUP-ALL");
    for (size_t i = 0; i < groups->num && ok; i++) {
        char upper[64];
        snprintf(upper, sizeof(upper), "%s", groups->items[i]);
        for (char *p = upper; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        if (gnutls_group_get_id(upper) == GNUTLS_GROUP_INVALID)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "groups %s", groups->items[i]);
        ok = append(buf, buf_len, "+GROUP-", upper);
    }
    return ok ? TQ_SUCCESS : tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "too many groups");
}

static int sigalg_index(const char *iana)
{
    for (size_t i = 0; i < NUM(sigalg_names); i++) {
        if (strcmp(sigalg_names[i].iana, iana) == 0)
            return (int)i;
    }
    return -1;
}

static tq_status set_sigalgs(char *buf, size_t buf_len, struct tq_outcome *out,
                             const struct tq_str_list *sigalgs)
{
    bool ok = append(buf, buf_len, "", "-SIGN-ALL");
    for (size_t i = 0; i < sigalgs->num && ok; i++) {
        int k = sigalg_index(sigalgs->items[i]);
        if (k < 0)
            return tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "sigalgs %s", sigalgs->items[i]);
        for (size_t j = 0; j < 2 && sigalg_names[k].gnutls[j] != NULL && ok; j++)
            ok = append(buf, buf_len, "+SIGN-", sigalg_names[k].gnutls[j]);
    }
    return ok ? TQ_SUCCESS : tq_outcome_fail(out, TQ_OUT_UNSUPPORTED, "too many sigalgs");
}

/* see gnutls_internal.h */
tq_status gtls_priority_string(struct tq_outcome *out, char *buf, size_t buf_len,
                               const struct tq_client_config *cfg)
{
    snprintf(buf, buf_len, "NORMAL");
    bool with13 = true;
    if (cfg->suites.present)
        TQ_GUARD(suite_keywords(out, buf, buf_len, &with13, &cfg->suites));
    /* Exactly these suites: with no TLS 1.3 suite among them, TLS 1.3 cannot be negotiated. */
    TQ_GUARD(set_versions(buf, buf_len, out, cfg, with13));
    if (cfg->groups.present)
        TQ_GUARD(set_groups(buf, buf_len, out, &cfg->groups));
    if (cfg->sigalgs.present)
        TQ_GUARD(set_sigalgs(buf, buf_len, out, &cfg->sigalgs));
    if (cfg->suites.present)
        TQ_GUARD(check_exact(out, buf, with13, &cfg->suites));
    return TQ_SUCCESS;
}

/* accepted is true when `prio` is a priority string GnuTLS accepts. */
static bool accepted(const char *prio)
{
    gnutls_priority_t p = NULL;
    const char *err_pos = NULL;
    if (gnutls_priority_init(&p, prio, &err_pos) < 0)
        return false;
    gnutls_priority_deinit(p);
    return true;
}

static void list_suites(struct tq_name_sink *sink)
{
    struct suite s;
    for (size_t i = 0; i < MAX_SUITE_TABLE && suite_at(&s, i); i++) {
        if (!kx_usable(s.kx))
            continue;
        struct tq_client_config cfg = {0};
        char *items[] = {s.iana};
        cfg.suites = (struct tq_str_list){.present = true, .num = 1, .items = items};
        char prio[1024];
        struct tq_outcome scratch = {0};
        if (tq_ok(gtls_priority_string(&scratch, prio, sizeof(prio), &cfg)))
            tq_name_sink_add(sink, s.iana);
    }
}

static void list_groups(struct tq_name_sink *sink)
{
    const gnutls_group_t *g = gnutls_group_list();
    for (size_t i = 0; g != NULL && g[i] != 0 && i < 64; i++) {
        const char *name = gnutls_group_get_name(g[i]);
        char prio[128], lower[64];
        snprintf(prio, sizeof(prio), "NORMAL:-GROUP-ALL:+GROUP-%s", name);
        snprintf(lower, sizeof(lower), "%s", name);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        /* GOST groups have no IANA name in this spelling, and no usable suite here. */
        if (strncmp(lower, "gc", 2) != 0 && accepted(prio))
            tq_name_sink_add(sink, lower);
    }
}

static void list_sigalgs(struct tq_name_sink *sink)
{
    for (size_t i = 0; i < NUM(sigalg_names); i++) {
        char prio[256];
        snprintf(prio, sizeof(prio), "NORMAL:-SIGN-ALL");
        bool ok = true;
        for (size_t j = 0; j < 2 && sigalg_names[i].gnutls[j] != NULL && ok; j++)
            ok = gnutls_sign_get_id(sigalg_names[i].gnutls[j]) != GNUTLS_SIGN_UNKNOWN &&
                 append(prio, sizeof(prio), "+SIGN-", sigalg_names[i].gnutls[j]);
        if (ok && accepted(prio))
            tq_name_sink_add(sink, sigalg_names[i].iana);
    }
}

/* see gnutls_internal.h */
void gtls_list_names(enum tq_name_kind kind, struct tq_name_sink *sink)
{
    switch (kind) {
    case TQ_NAMES_SUITES:
        list_suites(sink);
        return;
    case TQ_NAMES_GROUPS:
        list_groups(sink);
        return;
    case TQ_NAMES_SIGALGS:
        list_sigalgs(sink);
        return;
    }
}
