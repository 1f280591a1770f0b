# Thin wrapper over CMake. The README documents exactly two commands: `make run` and `make test`.
#   make run   install missing packages, build into build/, run the default suite on every backend
#   make test  install missing packages, build with ASan+UBSan into build/asan/, run every test
#   make bench build RelWithDebInfo into build/ and print every figure of bench/run-all next to
#              its reference (bench/README.md); writes only to temporary folders
#   make fuzz  build the libFuzzer targets with clang into build/fuzz/, run each FUZZ_SECONDS
#              (default 60; tests/fuzz/README.md); `make test` ends with `make fuzz-smoke`
# Extra arguments for `tlsqual run` go in RUN_ARGS, e.g. make run RUN_ARGS="--backend openssl".

BUILD_DIR  ?= build
ASAN_DIR   ?= $(BUILD_DIR)/asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
RUN_ARGS   ?=
CMAKE_GEN  := -G "Unix Makefiles"
FUZZ_DIR   ?= $(BUILD_DIR)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS  ?= 1
FUZZ_SMOKE_SECONDS ?= 15

.PHONY: run test deps build build-asan clean build-fuzz fuzz fuzz-smoke bench

run: build
	./$(BUILD_DIR)/tlsqual run $(RUN_ARGS)

test: build-asan
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-smoke

deps:
	@tools/install-deps

build: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=ASan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)

# The fuzz tree: clang, every library instrumented for libFuzzer (cmake/tq_defaults.cmake).
build-fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_DIR) $(CMAKE_GEN) -DTQ_FUZZ=ON \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target tq_fuzz_targets

# Each target runs over its checked-in corpus; new inputs and crash reproducers go to
# $(FUZZ_DIR)/fuzz-work/<target>/, never to tests/fuzz/corpus/. A crash fails the target.
fuzz: build-fuzz
	cd $(FUZZ_DIR) && TQ_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest -L fuzz --output-on-failure \
	    -j $(FUZZ_JOBS) --timeout $$(( $(FUZZ_SECONDS) + 300 ))
	@cat $(FUZZ_DIR)/fuzz-work/*/summary

fuzz-smoke: build-fuzz
	cd $(FUZZ_DIR) && TQ_FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) ctest -L fuzz --output-on-failure \
	    -j $(JOBS) --timeout 300
	@cat $(FUZZ_DIR)/fuzz-work/*/summary

# Benchmarks print figures, never pass or fail (bench/README.md). BENCH_ARGS: environment for
# bench/run-all, e.g. make bench BENCH_ARGS="TQ_BENCH_IDLE=2000 TQ_BENCH_SKIP=suite".
BENCH_ARGS ?=
bench: build
	$(BENCH_ARGS) bench/run-all $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
