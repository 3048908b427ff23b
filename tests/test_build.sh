#!/bin/sh
# tests/test_build.sh — the other compiler: a clang build of everything with
# -Werror (gcc is the default build; `make test-asan` runs the whole suite
# under clang's AddressSanitizer + UndefinedBehaviorSanitizer).
OUT=${BUILD:-build}
if make --no-print-directory CC=clang BUILD="$OUT/clang" BIN="$OUT/clang/bin" all tests >"$OUT/clang.log" 2>&1; then
    echo "ok clang build of the library, tools and tests is warning-free (-Wall -Wextra -Werror)"
else
    tail -20 "$OUT/clang.log" | sed 's/^/  # /'
    echo "FAIL clang build"
fi
