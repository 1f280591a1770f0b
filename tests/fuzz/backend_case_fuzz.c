/* backend_case_fuzz: tq_case_parse (backends/driver/backend_case.h) over arbitrary bytes.
 *
 * Every backend reads its case lines with this parser, and a third-party harness (or a fuzzer of
 * the backends) may send anything. On success the required members are there and within their
 * bounds; on failure the config is in the cleaned-up (zeroed) state the header promises, which
 * is what makes tq_case_cleanup safe to call again. The same bytes also go through
 * tq_case_read_line, the stdin side of the protocol. */
#include <string.h>

#include "backend_case.h"
#include "fuzz_check.h"

static void check_list(const struct tq_str_list *l)
{
    TQ_FUZZ_CHECK(l->present || (l->num == 0 && l->items == NULL));
    for (size_t i = 0; i < l->num; i++)
        TQ_FUZZ_CHECK(l->items[i] != NULL && l->items[i][0] != '\0');
}

static void check_config(const struct tq_client_config *c)
{
    TQ_FUZZ_CHECK(c->id != NULL && c->host != NULL && c->port >= 1);
    TQ_FUZZ_CHECK(c->id[0] != '\0' && c->host[0] != '\0');
    const struct tq_str_list *lists[] = {&c->trust,  &c->crl,     &c->suites,
                                         &c->groups, &c->sigalgs, &c->alpn};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        check_list(lists[i]);
    TQ_FUZZ_CHECK(c->min_version == TQ_TLS_ANY || c->max_version == TQ_TLS_ANY ||
                  c->min_version <= c->max_version);
    for (size_t i = 0; i < c->mqtt.num_subscribe; i++)
        TQ_FUZZ_CHECK(c->mqtt.subscribe[i].topic != NULL && c->mqtt.subscribe[i].qos <= 1);
    for (size_t i = 0; i < c->mqtt.num_publish; i++)
        TQ_FUZZ_CHECK(c->mqtt.publish[i].topic != NULL && c->mqtt.publish[i].qos <= 1);
}

/* check_cleaned is the state tq_case_cleanup leaves: nothing owned, every list absent. */
static void check_cleaned(const struct tq_client_config *c)
{
    const char *strings[] = {c->id,  c->host,  c->server_name,   c->cert,
                             c->key, c->chain, c->mqtt.client_id};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        TQ_FUZZ_CHECK(strings[i] == NULL);
    const struct tq_str_list *lists[] = {&c->trust,  &c->crl,     &c->suites,
                                         &c->groups, &c->sigalgs, &c->alpn};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        TQ_FUZZ_CHECK(!lists[i]->present && lists[i]->num == 0 && lists[i]->items == NULL);
    TQ_FUZZ_CHECK(!c->mqtt.present && c->mqtt.subscribe == NULL && c->mqtt.publish == NULL);
    TQ_FUZZ_CHECK(c->mqtt.num_subscribe == 0 && c->mqtt.num_publish == 0);
}

static void read_lines(const uint8_t *data, size_t size)
{
    FILE *in = fmemopen((void *)(uintptr_t)data, size, "r");
    if (in == NULL)
        return;
    char buf[256];
    for (int lines = 0; lines < 64; lines++) {
        size_t len = 0;
        bool eof = false;
        if (!tq_ok(tq_case_read_line(NULL, buf, &len, &eof, sizeof(buf), in)) || eof)
            break;
        TQ_FUZZ_CHECK(len < sizeof(buf) && buf[len] == '\0' && strlen(buf) == len);
    }
    fclose(in);
}

/* see fuzz_check.h */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tq_diag diag = {.code = TQ_OK};
    struct tq_client_config cfg;
    tq_status st = tq_case_parse(&diag, &cfg, (const char *)data, size);
    if (tq_ok(st)) {
        check_config(&cfg);
    } else {
        TQ_FUZZ_CHECK(diag.code == st.code && (st.code == TQ_ERR_NOMEM || diag.msg[0] != '\0'));
        check_cleaned(&cfg);
    }
    tq_case_cleanup(&cfg);
    if (size > 0)
        read_lines(data, size);
    return 0;
}
