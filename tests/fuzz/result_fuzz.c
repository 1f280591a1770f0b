/* result_fuzz: tq_result_parse (harness/result.h) over arbitrary bytes.
 *
 * A result line is written by a backend, which may be a third-party program or a crashing one,
 * so the harness must survive anything on its stdout. On success every copied string is
 * NUL-terminated inside its field, the outcome is canonical, the chain is bounded and its first
 * entry is the leaf; on failure the status is one of the three result.h allows and the
 * diagnostic says why. Empty input is passed as NULL, which result.h allows for length 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "result.h"
#include "scenario.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static void check_result(const struct tq_result *r)
{
    TQ_FUZZ_CHECK(TERMINATED(r->id) && TERMINATED(r->outcome) && TERMINATED(r->reason));
    TQ_FUZZ_CHECK(TERMINATED(r->handshake) && TERMINATED(r->version) && TERMINATED(r->suite));
    TQ_FUZZ_CHECK(TERMINATED(r->error) && TERMINATED(r->leaf_sha256));
    TQ_FUZZ_CHECK(tq_outcome_known(r->outcome));
    TQ_FUZZ_CHECK(r->num_chain <= TQ_RESULT_CHAIN_MAX);
    for (size_t i = 0; i < r->num_chain; i++)
        TQ_FUZZ_CHECK(TERMINATED(r->chain_sha256[i]));
    TQ_FUZZ_CHECK(strcmp(r->leaf_sha256, r->num_chain ? r->chain_sha256[0] : "") == 0);
}

/* see fuzz_check.h */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tq_diag diag = {.code = TQ_OK};
    struct tq_result r;
    /* The case the output is read for: the input's own id for even sizes (so that the members
     * after "id" are reached), "fuzz" for odd ones (so that other ids are refused). */
    char want[TQ_RESULT_ID_MAX + 1] = "fuzz";
    char *text = malloc(size + 1);
    TQ_FUZZ_CHECK(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    if (size % 2 == 0 && !tq_result_case_id(want, sizeof(want), text))
        snprintf(want, sizeof(want), "fuzz");
    free(text);
    tq_status st = tq_result_parse(&diag, &r, want, size ? (const char *)data : NULL, size);
    if (tq_ok(st)) {
        check_result(&r);
        TQ_FUZZ_CHECK(strcmp(r.id, want) == 0); /* only the case's own result is accepted */
    } else {
        TQ_FUZZ_CHECK(st.code == TQ_ERR_PROTOCOL || st.code == TQ_ERR_LIMIT ||
                      st.code == TQ_ERR_NOMEM);
        TQ_FUZZ_CHECK(diag.code == st.code && diag.msg[0] != '\0');
    }
    return 0;
}
