/* fuzz_check.h: what every target in tests/fuzz shares.
 *
 * A target is one C file defining LLVMFuzzerTestOneInput (libFuzzer's entry point). It feeds the
 * input to one parser, then checks the parser's contract (what its header promises on success
 * and on failure) with TQ_FUZZ_CHECK: a broken promise aborts, so libFuzzer records it as a
 * crash exactly like a sanitizer report. Inputs are never NUL-terminated; a target that needs a
 * C string copies them. */
#ifndef TQ_FUZZ_CHECK_H
#define TQ_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry points, declared here because the targets build with -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* TQ_FUZZ_CHECK aborts with the broken condition's text and location when `cond` is false. */
#define TQ_FUZZ_CHECK(cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
