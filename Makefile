# Makefile — builds liberavm.a, the tools and the tests; `make bench` and
# `make test` first install the Debian packages the project needs.
#
#   make            build/liberavm.a, bin/eravm
#   make test       install deps, build, run every test (tests/run)
#   make bench      install deps, build, run the main benchmark job
#   make CC=clang   the same with clang (objects go to build/clang/)

CC      ?= cc
BUILD   ?= build
BIN     ?= bin
ERAVM_DATA ?= ../shared/data
export ERAVM_DATA

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -Ivm -Itools -MMD -MP
LDLIBS  := -ljansson -lsecp256k1 -lcrypto -lgmp

VM_SRC  := $(sort $(wildcard vm/*.c)) $(if $(wildcard vm/precompile.c),,tools/precompile_stub.c)
VM_OBJ  := $(VM_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/liberavm.a

TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all deps test bench clean tests

all: $(LIB) $(BIN)/eravm

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(VM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

TOOL_OBJ := $(BUILD)/tools/eravm.o $(BUILD)/tools/run.o $(BUILD)/tools/scenario.o $(BUILD)/tools/tool_util.o

$(BIN)/eravm: $(TOOL_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -c $< -o $@

tests: all $(TEST_BIN)

deps:
	@scripts/install-deps

test: deps
	@$(MAKE) --no-print-directory tests
	@tests/run

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench

clean:
	rm -rf $(BUILD) $(BIN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
