/* Tests for backends/driver/error_table.c: the lookup every backend's error tables go through.
 * An exact code finds its row's outcome, the first row wins, a code without a row is unmapped
 * (never the outcome of a neighbour); a status word finds the first row whose bit it carries.
 * The codes are shaped like the libraries' own: negative (Mbed TLS, wolfSSL, GnuTLS), `long`
 * verify codes (OpenSSL), single bits (Mbed TLS flags, GnuTLS status). */
#include <criterion/criterion.h>
#include <limits.h>

#include "error_table.h"

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* Rows count from 0. Row 4 repeats the code of row 2: a later row for the same code never
 * wins. */
static const struct tq_error_map codes[] = {
    {-0x7200, TQ_OUT_PROTOCOL_VERSION}, {-0x7780, TQ_OUT_CLOSED_BY_PEER},
    {10, TQ_OUT_CERT_EXPIRED},          {LONG_MAX, TQ_OUT_CERT_INVALID},
    {10, TQ_OUT_CERT_REVOKED},          {0, TQ_OUT_HANDSHAKE_FAILURE},
};

static const struct tq_error_map bits[] = {
    {1u << 3, TQ_OUT_CERT_UNTRUSTED},
    {1u << 5, TQ_OUT_CERT_REVOKED},
    {1u << 0, TQ_OUT_CERT_EXPIRED},
    {1u << 31, TQ_OUT_CERT_INVALID},
};

Test(error_table, exact_code_finds_its_row)
{
    struct {
        long code;
        enum tq_outcome_code want;
    } cases[] = {
        {-0x7200, TQ_OUT_PROTOCOL_VERSION}, {-0x7780, TQ_OUT_CLOSED_BY_PEER},
        {10, TQ_OUT_CERT_EXPIRED},          {LONG_MAX, TQ_OUT_CERT_INVALID},
        {0, TQ_OUT_HANDSHAKE_FAILURE},
    };
    for (size_t i = 0; i < NUM(cases); i++)
        cr_expect_eq(tq_error_map_lookup(codes, NUM(codes), cases[i].code), cases[i].want,
                     "code %ld", cases[i].code);
}

Test(error_table, code_without_row_is_unmapped)
{
    const long missing[] = {-0x7201, 9, 11, 0x7200, LONG_MIN, -1};
    for (size_t i = 0; i < NUM(missing); i++)
        cr_expect_eq(tq_error_map_lookup(codes, NUM(codes), missing[i]), TQ_OUT_UNMAPPED,
                     "code %ld", missing[i]);
}

Test(error_table, only_the_given_rows_are_read)
{
    /* Row 3 holds LONG_MAX: a count of 3 must not reach it, a count of 0 reads nothing. */
    cr_expect_eq(tq_error_map_lookup(codes, 3, LONG_MAX), TQ_OUT_UNMAPPED);
    cr_expect_eq(tq_error_map_lookup(codes, 0, -0x7200), TQ_OUT_UNMAPPED);
    cr_expect_eq(tq_error_map_lookup(NULL, 0, 0), TQ_OUT_UNMAPPED);
}

Test(error_table, first_row_with_a_bit_set_wins)
{
    struct {
        unsigned long word;
        enum tq_outcome_code want;
    } cases[] = {
        {1u << 3, TQ_OUT_CERT_UNTRUSTED},
        {(1u << 5) | (1u << 3), TQ_OUT_CERT_UNTRUSTED}, /* row order, not bit order */
        {(1u << 5) | (1u << 0), TQ_OUT_CERT_REVOKED},
        {1u << 0, TQ_OUT_CERT_EXPIRED},
        {(1u << 31) | (1u << 2), TQ_OUT_CERT_INVALID}, /* the top bit of a 32-bit word */
        {1ul << 32, TQ_OUT_UNMAPPED},                  /* a bit no row has */
        {(1u << 1) | (1u << 2), TQ_OUT_UNMAPPED},
        {0, TQ_OUT_UNMAPPED},
    };
    for (size_t i = 0; i < NUM(cases); i++)
        cr_expect_eq(tq_error_map_lookup_bits(bits, NUM(bits), cases[i].word), cases[i].want,
                     "word %#lx", cases[i].word);
}

Test(error_table, a_bit_row_is_no_exact_match)
{
    /* The same table read the other way: 0x28 has two of its bits but is no row's code. */
    cr_expect_eq(tq_error_map_lookup(bits, NUM(bits), 0x28), TQ_OUT_UNMAPPED);
    cr_expect_eq(tq_error_map_lookup(bits, NUM(bits), 1 << 5), TQ_OUT_CERT_REVOKED);
}
