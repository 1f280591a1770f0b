#include "verdict.h"

#include "exit_codes.h"

#include <stdio.h>
#include <string.h>

static void join(char *out, size_t out_len, const struct tq_strlist *l)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l->num && used < out_len; i++)
        used += (size_t)snprintf(out + used, out_len - used, "%s%s", i ? " or " : "", l->items[i]);
}

static bool in_list(const struct tq_strlist *l, const char *word)
{
    for (size_t i = 0; i < l->num; i++)
        if (strcmp(l->items[i], word) == 0)
            return true;
    return false;
}

static bool outcome_accepted(const struct tq_scenario_expect *e, const char *outcome)
{
    return in_list(&e->outcome, outcome);
}

/* see verdict.h */
enum tq_verdict tq_verdict_judge(const struct tq_scenario_expect *e, const struct tq_result *r,
                                 const char *want_leaf_sha256, char *why, size_t why_len)
{
    char want[512];
    why[0] = '\0';
    if (strcmp(r->outcome, "unsupported") == 0 && !outcome_accepted(e, "unsupported")) {
        snprintf(why, why_len, "backend cannot run this case: %s",
                 r->reason[0] ? r->reason : "no reason given");
        return TQ_VERDICT_SKIP;
    }
    bool warned = !outcome_accepted(e, r->outcome) && in_list(&e->warn_outcome, r->outcome);
    if (!outcome_accepted(e, r->outcome) && !warned) {
        join(want, sizeof(want), &e->outcome);
        snprintf(why, why_len, "want outcome %s, got %s%s%s", want, r->outcome,
                 r->error[0] ? ": " : "", r->error);
        return TQ_VERDICT_FAIL;
    }
    if (e->connack >= 0 && r->connack != e->connack) {
        if (r->connack < 0)
            snprintf(why, why_len, "want CONNACK return code %ld, got no CONNACK", e->connack);
        else
            snprintf(why, why_len, "want CONNACK return code %ld, got %ld", e->connack, r->connack);
        return TQ_VERDICT_FAIL;
    }
    if (e->version && strcmp(e->version, r->version) != 0) {
        snprintf(why, why_len, "want version %s, got %s", e->version,
                 r->version[0] ? r->version : "none");
        return TQ_VERDICT_FAIL;
    }
    if (e->suite && strcmp(e->suite, r->suite) != 0) {
        snprintf(why, why_len, "want suite %s, got %s", e->suite, r->suite[0] ? r->suite : "none");
        return TQ_VERDICT_FAIL;
    }
    if (want_leaf_sha256 && strcmp(want_leaf_sha256, r->leaf_sha256) != 0) {
        snprintf(why, why_len, "want server certificate %s (sha256 %.16s...), got sha256 %.16s...",
                 e->server_certificate, want_leaf_sha256,
                 r->leaf_sha256[0] ? r->leaf_sha256 : "none");
        return TQ_VERDICT_FAIL;
    }
    if (warned) {
        join(want, sizeof(want), &e->outcome);
        snprintf(why, why_len, "outcome %s is accepted with a warning; best practice is %s",
                 r->outcome, want);
        return TQ_VERDICT_WARN;
    }
    return TQ_VERDICT_PASS;
}

/* last_line writes the last non-empty line of `len` bytes at `data` (at most 200 bytes). */
static void last_line(char *out, size_t out_len, const uint8_t *data, size_t len)
{
    size_t end = len;
    while (end > 0 && (data[end - 1] == '\n' || data[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start > 0 && data[start - 1] != '\n' && end - start < 200)
        start--;
    snprintf(out, out_len, "%.*s", (int)(end - start), end ? (const char *)data + start : "");
    if (out[0] == '\0')
        snprintf(out, out_len, "no reason given");
}

/* first_line quotes the first line of what the backend wrote on stdout. */
static void first_line(char *out, size_t out_len, const struct tq_buf *b)
{
    const uint8_t *nl = b->len ? memchr(b->data, '\n', b->len) : NULL;
    tq_result_quote(out, out_len, b->len ? (const char *)b->data : "",
                    nl ? (size_t)(nl - b->data) : b->len);
}

/* see verdict.h */
enum tq_verdict tq_verdict_of_run(const struct tq_proc_output *run, int deadline_ms,
                                  const char *want_id, const struct tq_scenario_expect *e,
                                  const char *want_leaf_sha256, struct tq_result *result,
                                  bool *has_result, char *why, size_t why_len)
{
    char how[160], line[201], quote[TQ_RESULT_QUOTE_SIZE];
    *has_result = false;
    tq_proc_describe(how, sizeof(how), run, deadline_ms);
    if (run->out_truncated) {
        first_line(quote, sizeof(quote), &run->out);
        snprintf(why, why_len,
                 "protocol_error: the backend wrote more than %zu bytes on stdout "
                 "for this case (a result line is at most %d), starting %s",
                 run->out.max_len, TQ_RESULT_LINE_MAX, quote);
        return TQ_VERDICT_ERROR;
    }
    if (run->timed_out) {
        first_line(quote, sizeof(quote), &run->out);
        snprintf(why, why_len, "timeout: backend %s without its result line%s%s", how,
                 run->out.len ? "; stdout held " : "", run->out.len ? quote : "");
        return TQ_VERDICT_ERROR;
    }
    if (run->exited && run->exit_code == TQ_BACKEND_EXIT_UNIMPLEMENTED) {
        last_line(line, sizeof(line), run->err.data, run->err.len);
        snprintf(why, why_len, "backend cannot run this case: %s", line);
        return TQ_VERDICT_SKIP;
    }
    if (!run->exited || run->exit_code != 0) {
        snprintf(why, why_len, "backend_crashed: %s", how);
        return TQ_VERDICT_ERROR;
    }
    struct tq_diag diag = {0};
    if (!tq_ok(
            tq_result_parse(&diag, result, want_id, (const char *)run->out.data, run->out.len))) {
        snprintf(why, why_len, "protocol_error: %s", diag.msg);
        return TQ_VERDICT_ERROR;
    }
    *has_result = true;
    enum tq_verdict v = tq_verdict_judge(e, result, want_leaf_sha256, why, why_len);
    if (v == TQ_VERDICT_PASS && why_len > 0)
        why[0] = '\0';
    return v;
}
