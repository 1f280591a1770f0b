/* The canonical outcome vocabulary of docs/backend-protocol.md. */
#include <string.h>

#include "scenario.h"

static const char *const outcomes[] = {
    "ok",           "cert_expired",     "cert_not_yet_valid", "cert_untrusted",
    "cert_revoked", "hostname_mismatch", "bad_signature",     "unsupported_algorithm",
    "cert_invalid", "protocol_version", "no_shared_cipher",   "handshake_failure",
    "closed_by_peer", "connack_refused", "suback_refused",    "mqtt_error",
    "connect_failed", "config_error",
    "timeout",      "unsupported",      "unmapped",           "backend_crashed",
    "protocol_error",
};

/* TLS alert descriptions by their RFC 8446 section 6 names (plus RFC 6066 and RFC 7301 ones). */
static const char *const alerts[] = {
    "close_notify",           "unexpected_message",     "bad_record_mac",
    "record_overflow",        "handshake_failure",      "bad_certificate",
    "unsupported_certificate", "certificate_revoked",   "certificate_expired",
    "certificate_unknown",    "illegal_parameter",      "unknown_ca",
    "access_denied",          "decode_error",           "decrypt_error",
    "protocol_version",       "insufficient_security",  "internal_error",
    "inappropriate_fallback", "user_canceled",          "missing_extension",
    "unsupported_extension",  "unrecognized_name",      "bad_certificate_status_response",
    "unknown_psk_identity",   "certificate_required",   "no_application_protocol",
    "no_renegotiation",
};

static bool in_list(const char *word, const char *const *list, size_t num)
{
    for (size_t i = 0; i < num; i++)
        if (strcmp(word, list[i]) == 0)
            return true;
    return false;
}

/* see scenario.h */
bool tq_outcome_known(const char *outcome)
{
    static const char prefix[] = "alert_received:";
    if (strncmp(outcome, prefix, sizeof(prefix) - 1) == 0)
        return in_list(outcome + sizeof(prefix) - 1, alerts, sizeof(alerts) / sizeof(alerts[0]));
    return in_list(outcome, outcomes, sizeof(outcomes) / sizeof(outcomes[0]));
}
