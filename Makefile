# chainsweep: a thin wrapper over CMake. `make demo` and `make test` are the
# two commands of the README; both install missing Debian packages first.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
REAL_WORLD ?= $(abspath ../shared/real-world)
FUZZ_SECONDS ?= 5

.PHONY: all deps build test test-unit test-asan fuzz fuzz-smoke demo fleet-demo bench format clean

all: build

deps:
	@./scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/CMakeCache.txt: | deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCS_SANITIZE=ON

$(FUZZ_BUILD)/CMakeCache.txt: | deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCS_FUZZ=ON -DCS_TESTS=OFF

# The README's test command: unit and CLI golden tests on the normal build,
# the same under ASan+UBSan, then every fuzz target for a few seconds.
test: build $(ASAN_BUILD)/CMakeCache.txt $(FUZZ_BUILD)/CMakeCache.txt
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-smoke
	@echo "all test stages passed"

fuzz: $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz-smoke: fuzz
	./scripts/fuzz-smoke.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

demo: build
	./scripts/demo.sh $(BUILD)/chainsweep

# The fleet on one machine: NATS JetStream x3, PostgreSQL and 50 agents on
# loopback, one hunt, the answer and the fleet report (docs/fleet.md).
fleet-demo: build
	./scripts/fleet-demo.sh $(BUILD)/chainsweep

bench: build
	./bench/run.sh $(BUILD)/chainsweep $(REAL_WORLD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
