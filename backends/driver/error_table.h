/* error_table.h: the one engine behind every backend's error tables.
 *
 * A backend maps its library's codes to the canonical outcomes (outcome.h) with `const` arrays
 * of `struct tq_error_map` rows, one array per kind of code (verification codes, error codes,
 * status bits), and looks codes up here. A code with no row is TQ_OUT_UNMAPPED: never guessed.
 * The rows live in the backend; only the lookup is shared, so a table reads as the library's
 * list of codes and nothing else. */
#ifndef TQ_ERROR_TABLE_H
#define TQ_ERROR_TABLE_H

#include <stddef.h>

#include "outcome.h"

/* struct tq_error_map is one row: a library code (or, for tq_error_map_lookup_bits, one bit
 * of a status word) and the outcome it means. `long` holds every library's codes: OpenSSL's
 * and BoringSSL's `long` verify codes and `int` reasons, the negative `int` codes of Mbed TLS,
 * wolfSSL and GnuTLS, and the 32-bit status words of Mbed TLS and GnuTLS. */
struct tq_error_map {
    long code;
    enum tq_outcome_code outcome;
};

/* tq_error_map_lookup returns the outcome of the first of the `num_rows` rows of `map` whose
 * code is `code`, or TQ_OUT_UNMAPPED when none is. */
enum tq_outcome_code tq_error_map_lookup(const struct tq_error_map *map, size_t num_rows,
                                         long code);

/* tq_error_map_lookup_bits returns the outcome of the first of the `num_rows` rows of `map`
 * whose code shares a bit with `bits`, or TQ_OUT_UNMAPPED when none does (also for `bits`
 * 0). Rows are in order of precedence: a status word can carry several bits. */
enum tq_outcome_code tq_error_map_lookup_bits(const struct tq_error_map *map, size_t num_rows,
                                              unsigned long bits);

#endif
