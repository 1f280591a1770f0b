/* Tests for harness/junit.c: counts, escaping, and the shape CI consumers read. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "junit.h"

static struct tq_report *sample_report(void)
{
    struct tq_report *r = NULL;
    cr_assert(tq_ok(tq_report_new(&r)));
    const struct tq_case_record records[] = {
        {.name = "a passes",
         .backend = "openssl",
         .group = "smoke",
         .verdict = TQ_VERDICT_PASS,
         .seconds = 0.0125},
        {.name = "b <fails> & \"quotes\"",
         .backend = "openssl",
         .group = "versions",
         .verdict = TQ_VERDICT_FAIL,
         .message = "want outcome ok, got cert_expired",
         .details = "line1\nline2 <x>",
         .stderr_text = "bad\x01 byte \xff end"},
        {.name = "c skipped",
         .backend = "gnutls",
         .group = "smoke",
         .verdict = TQ_VERDICT_SKIP,
         .message = "backend lacks TLS 1.1"},
        {.name = "d crashed",
         .backend = "gnutls",
         .group = "smoke",
         .verdict = TQ_VERDICT_ERROR,
         .message = "backend_crashed: killed by signal 9 (KILL)"},
        {.name = "e never ran", .backend = "gnutls", .group = "smoke"},
    };
    for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
        cr_assert(tq_ok(tq_report_add(r, &records[i])));
    cr_assert(tq_ok(tq_report_set_property(r, "tlsqual.version", "0.1.0")));
    return r;
}

static char *render(const struct tq_report *r)
{
    struct tq_buf b;
    tq_buf_init(&b, 1 << 20);
    cr_assert(tq_ok(tq_junit_render(&b, r, "2026-11-23T00:00:00Z", "host")));
    cr_assert(tq_ok(tq_buf_u8(&b, '\0')));
    return (char *)b.data;
}

Test(junit, counts_per_suite_and_total)
{
    struct tq_report *r = sample_report();
    char *xml = render(r);
    cr_expect(strstr(xml, "<testsuites name=\"tlsqual\" tests=\"5\" failures=\"1\" errors=\"2\""));
    cr_expect(strstr(xml, "<testsuite name=\"openssl\" tests=\"2\" failures=\"1\" errors=\"0\" "
                          "skipped=\"0\""));
    cr_expect(strstr(xml, "<testsuite name=\"gnutls\" tests=\"3\" failures=\"0\" errors=\"2\" "
                          "skipped=\"1\""));
    free(xml);
    tq_report_free(r);
}

Test(junit, escapes_markup_and_replaces_bytes_xml_cannot_hold)
{
    struct tq_report *r = sample_report();
    char *xml = render(r);
    cr_expect(strstr(xml, "name=\"b &lt;fails&gt; &amp; &quot;quotes&quot;\""), "%s", xml);
    cr_expect(strstr(xml, "line2 &lt;x&gt;</failure>"));
    cr_expect(strstr(xml, "<system-err>bad? byte ? end</system-err>"), "%s", xml);
    free(xml);
    tq_report_free(r);
}

Test(junit, verdicts_map_to_elements)
{
    struct tq_report *r = sample_report();
    char *xml = render(r);
    cr_expect(strstr(xml, "classname=\"tlsqual.openssl.smoke\" time=\"0.013\"/>"), "%s", xml);
    cr_expect(strstr(xml, "<failure type=\"wrong_behaviour\" message=\"want outcome ok, got "
                          "cert_expired\">"));
    cr_expect(strstr(xml, "<skipped message=\"backend lacks TLS 1.1\"/>"));
    cr_expect(strstr(xml, "<error type=\"could_not_run\" message=\"backend_crashed"));
    cr_expect(strstr(xml, "message=\"the case never ran\""), "not_run is reported as an error");
    cr_expect(strstr(xml, "<property name=\"tlsqual.version\" value=\"0.1.0\"/>"));
    free(xml);
    tq_report_free(r);
}

Test(junit, write_is_atomic_and_complete)
{
    char dir[] = "/tmp/tq-junit-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof(path), "%s/junit.xml", dir);
    struct tq_report *r = sample_report();
    struct tq_diag diag = {0};
    cr_assert(tq_ok(tq_junit_write(&diag, path, r, "t", "h")), "%s", diag.msg);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    cr_expect(strstr(buf, "</testsuites>\n") != NULL);
    unlink(path);
    rmdir(dir);
    tq_report_free(r);
}
