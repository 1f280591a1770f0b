/* outcome_vocab.c: see outcome_vocab.h. */
#include "outcome_vocab.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *word;
    enum tq_outcome_writer writer;
} outcomes[] = {
#define TQ_X_ROW(code, word, writer) [code] = {word, writer},
    TQ_OUTCOME_TABLE(TQ_X_ROW)
#undef TQ_X_ROW
};

_Static_assert(sizeof(outcomes) / sizeof(outcomes[0]) == TQ_OUT_COUNT, "one row per code");

/* The IANA TLS Alerts registry: RFC 8446 section 6, plus the descriptions TLS 1.3 reserved
 * (21, 30, 41, 60, 100, 111, 114: RFC 5246 and RFC 6066 still define them, and a TLS 1.2 peer
 * may send them). */
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

/* "alert_<N>" for every N, made when compiling: W10(t) spells the ten numbers t0 to t9. */
#define W(n) [n] = "alert_" #n
#define W10(t)                                                                                     \
    W(t##0), W(t##1), W(t##2), W(t##3), W(t##4), W(t##5), W(t##6), W(t##7), W(t##8), W(t##9)
static const char *const unnamed_words[256] = {
    W(0),    W(1),    W(2),    W(3),    W(4),    W(5),    W(6),    W(7),    W(8),    W(9),
    W10(1),  W10(2),  W10(3),  W10(4),  W10(5),  W10(6),  W10(7),  W10(8),  W10(9),  W10(10),
    W10(11), W10(12), W10(13), W10(14), W10(15), W10(16), W10(17), W10(18), W10(19), W10(20),
    W10(21), W10(22), W10(23), W10(24), W(250),  W(251),  W(252),  W(253),  W(254),  W(255),
};
#undef W10
#undef W

static const char alert_prefix[] = "alert_received:";
static const char unnamed_prefix[] = "alert_";

/* see outcome_vocab.h */
const char *tq_alert_name(int code)
{
    return code >= 0 && code <= 255 ? alert_names[code] : NULL;
}

/* see outcome_vocab.h */
const char *tq_alert_word(int code)
{
    if (code < 0 || code > 255)
        return NULL;
    return alert_names[code] != NULL ? alert_names[code] : unnamed_words[code];
}

/* unnamed_code reads the N of "alert_<N>": decimal, no sign, no leading zero, at most 255. */
static int unnamed_code(const char *digits)
{
    size_t n = strspn(digits, "0123456789");
    if (n == 0 || n > 3 || digits[n] != '\0' || (digits[0] == '0' && n > 1))
        return -1;
    int code = 0;
    for (size_t i = 0; i < n; i++)
        code = code * 10 + (digits[i] - '0');
    return code <= 255 ? code : -1;
}

/* see outcome_vocab.h */
int tq_alert_code(const char *word)
{
    for (int code = 0; code <= 255; code++)
        if (alert_names[code] != NULL && strcmp(alert_names[code], word) == 0)
            return code;
    if (strncmp(word, unnamed_prefix, sizeof(unnamed_prefix) - 1) != 0)
        return -1;
    int code = unnamed_code(word + sizeof(unnamed_prefix) - 1);
    /* a named alert has one spelling: its name */
    return code >= 0 && alert_names[code] == NULL ? code : -1;
}

/* see outcome_vocab.h */
const char *tq_outcome_word(enum tq_outcome_code code)
{
    return (unsigned)code < TQ_OUT_COUNT ? outcomes[code].word : NULL;
}

/* see outcome_vocab.h */
enum tq_outcome_writer tq_outcome_writer_of(enum tq_outcome_code code)
{
    return (unsigned)code < TQ_OUT_COUNT ? outcomes[code].writer : TQ_OUTCOME_NOWHERE;
}

/* see outcome_vocab.h */
void tq_outcome_write(char *out, size_t out_len, enum tq_outcome_code code, int alert)
{
    const char *word = tq_outcome_word(code);
    if (code != TQ_OUT_ALERT_RECEIVED) {
        snprintf(out, out_len, "%s", word != NULL ? word : "");
        return;
    }
    const char *alert_word = tq_alert_word(alert);
    snprintf(out, out_len, "%s%s", alert_prefix, alert_word != NULL ? alert_word : "");
}

/* see outcome_vocab.h */
bool tq_outcome_parse(const char *text, enum tq_outcome_code *out_code, int *out_alert)
{
    enum tq_outcome_code code = TQ_OUT_COUNT;
    int alert = -1;
    if (strncmp(text, alert_prefix, sizeof(alert_prefix) - 1) == 0) {
        alert = tq_alert_code(text + sizeof(alert_prefix) - 1);
        code = alert >= 0 ? TQ_OUT_ALERT_RECEIVED : TQ_OUT_COUNT;
    } else {
        for (unsigned i = 0; i < TQ_OUT_COUNT && code == TQ_OUT_COUNT; i++)
            if (i != TQ_OUT_ALERT_RECEIVED && strcmp(outcomes[i].word, text) == 0)
                code = (enum tq_outcome_code)i;
    }
    if (code == TQ_OUT_COUNT || outcomes[code].writer == TQ_OUTCOME_NOWHERE)
        return false;
    if (out_code != NULL)
        *out_code = code;
    if (out_alert != NULL)
        *out_alert = alert;
    return true;
}

/* see outcome_vocab.h */
bool tq_outcome_known(const char *text)
{
    return tq_outcome_parse(text, NULL, NULL);
}
