/* error_table.c: see error_table.h. */
#include "error_table.h"

/* see error_table.h */
enum tq_outcome_code tq_error_map_lookup(const struct tq_error_map *map, size_t num_rows, long code)
{
    for (size_t i = 0; i < num_rows; i++) {
        if (map[i].code == code)
            return map[i].outcome;
    }
    return TQ_OUT_UNMAPPED;
}

/* see error_table.h */
enum tq_outcome_code tq_error_map_lookup_bits(const struct tq_error_map *map, size_t num_rows,
                                              unsigned long bits)
{
    for (size_t i = 0; i < num_rows; i++) {
        if ((bits & (unsigned long)map[i].code) != 0)
            return map[i].outcome;
    }
    return TQ_OUT_UNMAPPED;
}
