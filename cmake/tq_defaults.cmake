# tq_defaults: the one place where compiler flags and build types are decided.

option(TQ_WERROR "Treat compiler warnings as errors" ON)
option(TQ_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only; instruments every target)"
       OFF)

# TQ_FUZZ: libFuzzer only learns from code built with its coverage instrumentation, and the
# parsers live in the project's libraries, so every target gets it (plus ASan+UBSan, every
# finding fatal). The fuzz targets add -fsanitize=fuzzer themselves (tests/fuzz/CMakeLists.txt).
if(TQ_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "TQ_FUZZ needs clang (libFuzzer): configure with CC=clang")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                        -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
endif()

# ASan: AddressSanitizer + UndefinedBehaviorSanitizer, every finding fatal. CI builds this type.
set(CMAKE_C_FLAGS_ASAN
    "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
    CACHE STRING "C flags for the ASan build type" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_ASAN "-fsanitize=address,undefined"
    CACHE STRING "Linker flags for the ASan build type" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_ASAN "-fsanitize=address,undefined"
    CACHE STRING "Shared linker flags for the ASan build type" FORCE)
mark_as_advanced(CMAKE_C_FLAGS_ASAN CMAKE_EXE_LINKER_FLAGS_ASAN CMAKE_SHARED_LINKER_FLAGS_ASAN)

if(NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
set_property(CACHE CMAKE_BUILD_TYPE PROPERTY STRINGS Debug Release RelWithDebInfo ASan)

# tq_target_defaults applies tlsqual's warning set to `target`. Call it for every target.
function(tq_target_defaults target)
    target_compile_options(${target} PRIVATE
        -Wall -Wextra -Wformat=2 -Wshadow -Wvla -Wwrite-strings -Wmissing-prototypes
        -Wstrict-prototypes -Wimplicit-fallthrough -Wmissing-field-initializers
        -Wpointer-arith -Wundef -Wcast-qual)
    if(TQ_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
    target_compile_definitions(${target} PRIVATE _GNU_SOURCE
        TQ_VERSION="${PROJECT_VERSION}")
endfunction()
