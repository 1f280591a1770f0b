# Thin wrapper over CMake. The README documents exactly two commands: `make run` and `make test`.
#   make run   install missing packages, build into build/, run the default suite on every backend
#   make test  install missing packages, build with ASan+UBSan into build/asan/, run every test
# Extra arguments for `tlsqual run` go in RUN_ARGS, e.g. make run RUN_ARGS="--backend openssl".

BUILD_DIR  ?= build
ASAN_DIR   ?= $(BUILD_DIR)/asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
RUN_ARGS   ?=
CMAKE_GEN  := -G "Unix Makefiles"

.PHONY: run test deps build build-asan clean

run: build
	./$(BUILD_DIR)/tlsqual run $(RUN_ARGS)

test: build-asan
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)

deps:
	@tools/install-deps

build: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN_DIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=ASan >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
