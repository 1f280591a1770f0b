# tq_defaults: the one place where compiler flags and build types are decided.

option(TQ_WERROR "Treat compiler warnings as errors" ON)

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
