#!/bin/sh
# tests/test_build.sh — the other compiler: a gcc build of everything with
# -Werror (clang is the default build where installed; `make test-asan` runs
# the whole suite under clang's AddressSanitizer + UndefinedBehaviorSanitizer).
OUT=${BUILD:-build}
if make --no-print-directory CC=gcc BUILD="$OUT/gcc" BIN="$OUT/gcc/bin" all tests >"$OUT/gcc.log" 2>&1; then
    echo "ok gcc build of the library, tools and tests is warning-free (-Wall -Wextra -Werror)"
else
    tail -20 "$OUT/gcc.log" | sed 's/^/  # /'
    echo "FAIL gcc build"
fi
