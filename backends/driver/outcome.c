/* outcome.c: see outcome.h. */
#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const outcome_words[] = {
#define TQ_X_WORD(code, word) [code] = word,
    TQ_OUTCOME_TABLE(TQ_X_WORD)
#undef TQ_X_WORD
};

/* RFC 8446 section 6 and the IANA TLS Alerts registry (including the pre-1.3 names). */
static const char *const alert_names[256] = {
    [0] = "close_notify",
    [10] = "unexpected_message",
    [20] = "bad_record_mac",
    [21] = "decryption_failed",
    [22] = "record_overflow",
    [30] = "decompression_failure",
    [40] = "handshake_failure",
    [41] = "no_certificate",
    [42] = "bad_certificate",
    [43] = "unsupported_certificate",
    [44] = "certificate_revoked",
    [45] = "certificate_expired",
    [46] = "certificate_unknown",
    [47] = "illegal_parameter",
    [48] = "unknown_ca",
    [49] = "access_denied",
    [50] = "decode_error",
    [51] = "decrypt_error",
    [60] = "export_restriction",
    [70] = "protocol_version",
    [71] = "insufficient_security",
    [80] = "internal_error",
    [86] = "inappropriate_fallback",
    [90] = "user_canceled",
    [100] = "no_renegotiation",
    [109] = "missing_extension",
    [110] = "unsupported_extension",
    [111] = "certificate_unobtainable",
    [112] = "unrecognized_name",
    [113] = "bad_certificate_status_response",
    [114] = "bad_certificate_hash_value",
    [115] = "unknown_psk_identity",
    [116] = "certificate_required",
    [120] = "no_application_protocol",
};

/* see outcome.h */
const char *tq_outcome_word(enum tq_outcome_code code)
{
    size_t n = sizeof(outcome_words) / sizeof(outcome_words[0]);
    if ((size_t)code >= n || outcome_words[code] == NULL)
        return "unmapped";
    return outcome_words[code];
}

/* see outcome.h */
void tq_outcome_format(char *buf, size_t buf_len, const struct tq_outcome *out)
{
    if (out->code != TQ_OUT_ALERT_RECEIVED) {
        snprintf(buf, buf_len, "%s", tq_outcome_word(out->code));
        return;
    }
    const char *name = tq_alert_name(out->alert);
    if (name != NULL)
        snprintf(buf, buf_len, "alert_received:%s", name);
    else
        snprintf(buf, buf_len, "alert_received:alert_%d", out->alert);
}

/* see outcome.h */
tq_status tq_outcome_fail(struct tq_outcome *out, enum tq_outcome_code code, const char *fmt, ...)
{
    out->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
    va_end(ap);
    return TQ_STATUS(TQ_ERR_CRYPTO);
}

/* see outcome.h */
void tq_outcome_set_error(struct tq_outcome *out, const char *text)
{
    snprintf(out->error, sizeof(out->error), "%s", text != NULL ? text : "");
}

/* see outcome.h */
const char *tq_alert_name(int desc)
{
    if (desc < 0 || desc > 255)
        return NULL;
    return alert_names[desc];
}
