#include "junit.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"

enum { JUNIT_MAX_BYTES = 256 << 20 };

static tq_status put(struct tq_buf *out, const char *s)
{
    return tq_buf_append(out, s, strlen(s));
}

/* utf8_len returns the length of the valid UTF-8 sequence at `s` (0 if invalid). */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || n > avail)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* escape appends `s` with XML's five special characters escaped and every byte XML 1.0 cannot
 * hold (control characters, invalid UTF-8) replaced, so the document always validates. */
static tq_status escape(struct tq_buf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)p);
    for (size_t i = 0; i < len;) {
        unsigned char ch = p[i];
        const char *rep = ch == '&'    ? "&amp;"
                          : ch == '<'  ? "&lt;"
                          : ch == '>'  ? "&gt;"
                          : ch == '"'  ? "&quot;"
                          : ch == '\'' ? "&apos;"
                                       : NULL;
        size_t n = 1;
        if (rep != NULL) {
            TQ_GUARD(put(out, rep));
        } else if (ch < 0x80) {
            bool allowed = ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r';
            TQ_GUARD(tq_buf_u8(out, allowed && ch != 0x7f ? ch : '?'));
        } else if ((n = utf8_len(p + i, len - i)) != 0) {
            TQ_GUARD(tq_buf_append(out, p + i, n));
        } else {
            n = 1;
            TQ_GUARD(tq_buf_u8(out, '?'));
        }
        i += n;
    }
    return TQ_SUCCESS;
}

static tq_status attr(struct tq_buf *out, const char *name, const char *value)
{
    TQ_GUARD(tq_buf_appendf(out, " %s=\"", name));
    TQ_GUARD(escape(out, value));
    return put(out, "\"");
}

static tq_status element(struct tq_buf *out, const char *tag, const char *type, const char *message,
                         const char *body)
{
    TQ_GUARD(tq_buf_appendf(out, "      <%s", tag));
    if (type)
        TQ_GUARD(attr(out, "type", type));
    TQ_GUARD(attr(out, "message", message ? message : ""));
    if (body == NULL || body[0] == '\0')
        return put(out, "/>\n");
    TQ_GUARD(put(out, ">"));
    TQ_GUARD(escape(out, body));
    return tq_buf_appendf(out, "</%s>\n", tag);
}

static tq_status testcase(struct tq_buf *out, const struct tq_case_record *c)
{
    char classname[256];
    snprintf(classname, sizeof(classname), "tlsqual.%s.%s", c->backend,
             c->group ? c->group : "default");
    TQ_GUARD(put(out, "    <testcase"));
    TQ_GUARD(attr(out, "name", c->name));
    TQ_GUARD(attr(out, "classname", classname));
    TQ_GUARD(tq_buf_appendf(out, " time=\"%.3f\"", c->seconds));
    if (c->verdict == TQ_VERDICT_PASS)
        return put(out, "/>\n");
    TQ_GUARD(put(out, ">\n"));
    switch (c->verdict) {
    case TQ_VERDICT_FAIL:
        TQ_GUARD(element(out, "failure", "wrong_behaviour", c->message, c->details));
        break;
    case TQ_VERDICT_SKIP:
        TQ_GUARD(element(out, "skipped", NULL, c->message, NULL));
        break;
    case TQ_VERDICT_ERROR:
    case TQ_VERDICT_NOT_RUN:
        TQ_GUARD(element(out, "error", "could_not_run",
                         c->message ? c->message : "the case never ran", c->details));
        break;
    case TQ_VERDICT_PASS:
    case TQ_VERDICT_WARN:
        break;
    }
    if (c->verdict == TQ_VERDICT_WARN) {
        TQ_GUARD(put(out, "      <system-out>warning: "));
        TQ_GUARD(escape(out, c->message));
        TQ_GUARD(put(out, "\n"));
        TQ_GUARD(escape(out, c->details));
        TQ_GUARD(put(out, "</system-out>\n"));
    }
    if (c->verdict != TQ_VERDICT_SKIP && c->verdict != TQ_VERDICT_WARN && c->stderr_text &&
        c->stderr_text[0]) {
        TQ_GUARD(put(out, "      <system-err>"));
        TQ_GUARD(escape(out, c->stderr_text));
        TQ_GUARD(put(out, "</system-err>\n"));
    }
    return put(out, "    </testcase>\n");
}

static tq_status properties(struct tq_buf *out, const struct tq_report *r, const char *backend)
{
    TQ_GUARD(put(out, "    <properties>\n"));
    TQ_GUARD(put(out, "      <property name=\"backend\""));
    TQ_GUARD(attr(out, "value", backend));
    TQ_GUARD(put(out, "/>\n"));
    for (size_t i = 0; i < tq_report_property_count(r); i++) {
        const char *value;
        const char *name = tq_report_property(r, i, &value);
        TQ_GUARD(put(out, "      <property"));
        TQ_GUARD(attr(out, "name", name));
        TQ_GUARD(attr(out, "value", value));
        TQ_GUARD(put(out, "/>\n"));
    }
    return put(out, "    </properties>\n");
}

static tq_status testsuite(struct tq_buf *out, const struct tq_report *r, const char *backend,
                           const char *timestamp, const char *hostname)
{
    struct tq_report_counts n = tq_report_counts_for(r, backend);
    TQ_GUARD(put(out, "  <testsuite"));
    TQ_GUARD(attr(out, "name", backend));
    TQ_GUARD(tq_buf_appendf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"",
                            n.total, n.failed, n.errors, n.skipped));
    TQ_GUARD(tq_buf_appendf(out, " time=\"%.3f\"", n.seconds));
    TQ_GUARD(attr(out, "timestamp", timestamp));
    TQ_GUARD(attr(out, "hostname", hostname));
    TQ_GUARD(put(out, ">\n"));
    TQ_GUARD(properties(out, r, backend));
    for (size_t i = 0; i < tq_report_count(r); i++)
        if (strcmp(tq_report_at(r, i)->backend, backend) == 0)
            TQ_GUARD(testcase(out, tq_report_at(r, i)));
    return put(out, "  </testsuite>\n");
}

static bool seen_before(const struct tq_report *r, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(tq_report_at(r, k)->backend, tq_report_at(r, i)->backend) == 0)
            return true;
    return false;
}

/* see junit.h */
tq_status tq_junit_render(struct tq_buf *out, const struct tq_report *r, const char *timestamp,
                          const char *hostname)
{
    struct tq_report_counts n = tq_report_counts_for(r, NULL);
    TQ_GUARD(put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    TQ_GUARD(
        tq_buf_appendf(out,
                       "<testsuites name=\"tlsqual\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
                       " time=\"%.3f\">\n",
                       n.total, n.failed, n.errors, n.seconds));
    for (size_t i = 0; i < tq_report_count(r); i++)
        if (!seen_before(r, i))
            TQ_GUARD(testsuite(out, r, tq_report_at(r, i)->backend, timestamp, hostname));
    return put(out, "</testsuites>\n");
}

/* see junit.h */
tq_status tq_junit_write(struct tq_diag *diag, const char *path, const struct tq_report *r,
                         const char *timestamp, const char *hostname)
{
    struct tq_buf xml;
    tq_buf_init(&xml, JUNIT_MAX_BYTES);
    tq_status st = tq_junit_render(&xml, r, timestamp, hostname);
    if (!tq_ok(st))
        st = tq_diag_fail(diag, st.code, path, 0, "cannot render the JUnit report: %s",
                          tq_status_text(st.code));
    else
        st = tq_fs_write_atomic(diag, path, xml.data, xml.len, 0644);
    tq_buf_cleanup(&xml);
    return st;
}
