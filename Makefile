# Makefile — builds liberavm.a, the tools and the tests; `make bench` and
# `make test` first install the Debian packages the project needs.
#
#   make            build/liberavm.a, bin/eravm
#   make test       install deps, build, run every test (tests/run)
#   make bench      install deps, build, run the main benchmark job
#   make CC=gcc     the same with gcc (tests/test_build.sh builds it too)

# clang 19 where it is installed (scripts/install-deps installs it), else
# clang, else cc: clang's code for the engine is faster than gcc's on the
# memory, heap and 256-bit workloads, and clang 19 adds preserve_none for
# the handlers (vm/handlers.h); the README's "Why it is fast" has the
# numbers. `make CC=gcc` builds with gcc.
ifeq ($(origin CC),default)
CC := $(or $(shell command -v clang-19 2>/dev/null),$(shell command -v clang 2>/dev/null),cc)
endif
BUILD   ?= build
BIN     ?= bin
ERAVM_DATA ?= ../shared/data
export ERAVM_DATA

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# DWARF 4: valgrind 3.19 (the gate's callgrind) cannot read clang 19's DWARF 5
CFLAGS  ?= -O2 -g -gdwarf-4
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -Ivm -Ihost -Itools -MMD -MP
LDLIBS  := -ljansson -lsecp256k1 -lcrypto -lgmp -lm
# symbols bound at load time: a lazily bound one costs its first call a
# thousand-odd instructions in the dynamic linker, which the gate counted
# against whichever run first called it (full RELRO besides)
ALL_LDFLAGS := -Wl,-z,relro -Wl,-z,now $(LDFLAGS)

VM_SRC  := $(sort $(wildcard vm/*.c))
VM_OBJ  := $(VM_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/liberavm.a
# host/: the full tier around the VM (bootloader host, transactions, genesis world)
HOST_SRC := $(sort $(wildcard host/*.c))
HOST_OBJ := $(HOST_SRC:%.c=$(BUILD)/%.o)
HOSTLIB := $(BUILD)/libhost.a

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all deps test test-asan bench clean tests synthetic plots gen-engine fusion-profile golden print-cc

all: $(LIB) $(HOSTLIB) $(BIN)/eravm $(BIN)/eravm-bench $(BIN)/eravm-gbench $(BIN)/eravm-flamegraph

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# the engine's handlers, each at a cache line of its own
$(BUILD)/vm/vm.o: ALL_CFLAGS += -falign-functions=64

$(LIB): $(VM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(HOSTLIB): $(HOST_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

TOOL_OBJ := $(BUILD)/tools/eravm.o $(BUILD)/tools/run.o $(BUILD)/tools/scenario.o $(BUILD)/tools/tool_util.o \
            $(BUILD)/tools/full.o

$(BIN)/eravm: $(TOOL_OBJ) $(HOSTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(HOSTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -c $< -o $@

$(BUILD)/tests/fuzz_replay: tests/fuzz/driver.c tests/fuzz/fuzz_vm.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ tests/fuzz/driver.c tests/fuzz/fuzz_vm.c $(LIB) $(LDLIBS)

# ---- eravm-bench ----
PORTS    := $(sort $(wildcard workloads/ports/*.zasm))
SYNTH    := $(sort $(wildcard workloads/synthetic/*.zasm))
EMBED_ZBIN := $(PORTS:workloads/ports/%.zasm=$(BUILD)/workloads/port/%.zbin) \
              $(SYNTH:workloads/synthetic/%.zasm=$(BUILD)/workloads/synth/%.zbin)
BENCH_SRC := $(filter-out bench/gbench.cc,$(sort $(wildcard bench/*.c)))
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/embedded.o $(BUILD)/tools/tool_util.o

$(BUILD)/workloads/port/%.zbin: workloads/ports/%.zasm $(BIN)/eravm
	@mkdir -p $(dir $@)
	$(BIN)/eravm asm $< -o $@

$(BUILD)/workloads/synth/%.zbin: workloads/synthetic/%.zasm $(BIN)/eravm
	@mkdir -p $(dir $@)
	$(BIN)/eravm asm $< -o $@

$(BUILD)/gen/embedded.c: scripts/embed-programs workloads/manifest.tsv $(EMBED_ZBIN)
	@mkdir -p $(dir $@)
	scripts/embed-programs $@ workloads/manifest.tsv $(EMBED_ZBIN)

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c bench/bench.h
	$(CC) $(ALL_CFLAGS) -Ibench -c $< -o $@

$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibench -c $< -o $@

$(BIN)/eravm-bench: $(BENCH_OBJ) $(HOSTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lpfm

$(BUILD)/gen-synthetic: tools/gen-synthetic.c $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

# ---- Google Benchmark shim (bench/gbench.cc, C++; the rest stays C) ----
CXX ?= c++
GBENCH_OBJ := $(filter-out $(BUILD)/bench/main.o,$(BENCH_OBJ)) $(BUILD)/bench/gbench.o

$(BUILD)/bench/gbench.o: bench/gbench.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -Wall -Wextra -Werror -Wshadow $(CFLAGS) -Ivm -Ihost -Itools -Ibench -MMD -MP -c $< -o $@

$(BIN)/eravm-gbench: $(GBENCH_OBJ) $(HOSTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lpfm -lbenchmark -lpthread

# ---- flamegraph renderer CLI ----
$(BIN)/eravm-flamegraph: $(BUILD)/tools/eravm-flamegraph.o $(BUILD)/bench/flamesvg.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

$(BUILD)/tools/eravm-flamegraph.o: tools/eravm-flamegraph.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibench -c $< -o $@

# tests that use bench/ code
$(BUILD)/tests/test_flamesvg: $(BUILD)/tests/test_flamesvg.o $(BUILD)/bench/flamesvg.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/test_flamesvg.o: tests/test_flamesvg.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -Ibench -c $< -o $@

plots: all
	scripts/plots

# ---- the engine's generated handlers (vm/engine.gen.h) ----
# gen-engine: the specialised and fused handlers chosen from the committed
# variant profiles; CI regenerates and fails on a diff (tests/test_engine.sh).
# fusion-profile: re-counts those profiles over the vm-benchmark bytecodes
# (variant sequences; instruction word sequences, for the keyed twins).
$(BUILD)/tools/gen-engine: tools/gen-engine.c vm/opcode.c vm/opcode.h vm/opcodes.def vm/engine_bits.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ tools/gen-engine.c vm/opcode.c

gen-engine: $(BUILD)/tools/gen-engine
	$(BUILD)/tools/gen-engine profiles/fusion.csv profiles/fusion-keyed.csv > $(BUILD)/engine.gen.h
	mv $(BUILD)/engine.gen.h vm/engine.gen.h

$(BUILD)/tools/fusion-profile: $(BUILD)/tools/fusion-profile.o $(BUILD)/bench/workload.o $(BUILD)/tools/tool_util.o $(BUILD)/gen/embedded.o $(HOSTLIB) $(LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tools/fusion-profile.o: tools/fusion-profile.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ibench -c $< -o $@

fusion-profile: $(BUILD)/tools/fusion-profile
	$(BUILD)/tools/fusion-profile > $(BUILD)/fusion.csv
	mv $(BUILD)/fusion.csv profiles/fusion.csv
	$(BUILD)/tools/fusion-profile --keyed > $(BUILD)/fusion-keyed.csv
	mv $(BUILD)/fusion-keyed.csv profiles/fusion-keyed.csv

# the golden pre-decoded records of tests/predecode/*.zasm (tests/test_engine.sh)
golden: $(BIN)/eravm
	for f in tests/predecode/*.zasm; do $(BIN)/eravm disasm --predecoded $$f > $${f%.zasm}.golden; done

# regenerates the committed synthetic workloads from the opcode table
synthetic: $(BUILD)/gen-synthetic
	@mkdir -p workloads/synthetic
	$(BUILD)/gen-synthetic workloads/synthetic

tests: all $(TEST_BIN) $(BUILD)/tests/fuzz_replay

deps:
	@scripts/install-deps

test: deps
	@$(MAKE) --no-print-directory tests
	@tests/run

# The whole suite again with clang's AddressSanitizer + UndefinedBehaviorSanitizer.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
test-asan: deps
	@$(MAKE) --no-print-directory CC=clang CXX=clang++ CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
	    BUILD=$(BUILD)/asan BIN=$(BUILD)/asan/bin tests
	@BUILD=$(BUILD)/asan ERAVM_SKIP_BUILD_TEST=1 tests/run

bench: deps
	@$(MAKE) --no-print-directory all
	$(BIN)/eravm-bench --workload deploy_simple

clean:
	rm -rf $(BUILD) $(BIN)

# the compiler the default build uses (scripts/ci-gate records it)
print-cc:
	@$(CC) --version | head -1

-include $(shell find $(BUILD) -path $(BUILD)/compare -prune -o -name '*.d' -print 2>/dev/null)

# ---- fuzzing (clang libFuzzer + ASan + UBSan) ----
# Starts from the seeds derived from the data (scripts/fuzz-seeds), the
# committed minimised corpus of a long run (tests/fuzz/seeds, regenerated with
# `make fuzz FUZZ_SECONDS=1080 && scripts/fuzz-minimise build/fuzz/corpus`)
# and the saved crashers (tests/fuzz/regress).
FUZZ_SECONDS ?= 60
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ivm -Itools

$(FUZZ_DIR)/fuzz_vm: tests/fuzz/fuzz_vm.c $(VM_SRC) $(wildcard vm/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_vm.c $(VM_SRC) $(LDLIBS)

fuzz: deps $(FUZZ_DIR)/fuzz_vm
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	@scripts/fuzz-seeds $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_vm -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/ -print_final_stats=1 \
	    $(FUZZ_DIR)/corpus tests/fuzz/seeds tests/fuzz/regress

.PHONY: fuzz
