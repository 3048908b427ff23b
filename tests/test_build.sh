#!/bin/sh
# tests/test_build.sh — the other compiler and the sanitizers: a clang build
# with -Werror (gcc is the default build), and the decoder/assembler tests
# rebuilt and run under AddressSanitizer + UndefinedBehaviorSanitizer.
OUT=${BUILD:-build}
if make --no-print-directory CC=clang BUILD="$OUT/clang" BIN="$OUT/clang/bin" all tests >"$OUT/clang.log" 2>&1; then
    echo "ok clang build of the library, tools and tests is warning-free (-Wall -Wextra -Werror)"
else
    tail -20 "$OUT/clang.log" | sed 's/^/  # /'
    echo "FAIL clang build"
fi
SAN="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if make --no-print-directory CC=clang CFLAGS="$SAN" LDFLAGS="$SAN" BUILD="$OUT/asan" BIN="$OUT/asan/bin" \
    "$OUT/asan/tests/test_opcodes" "$OUT/asan/tests/test_conformance" "$OUT/asan/bin/eravm" >"$OUT/asan.log" 2>&1; then
    for t in test_opcodes test_conformance; do
        if "$OUT/asan/tests/$t" >"$OUT/asan-$t.log" 2>&1; then
            echo "ok $t under ASan+UBSan"
        else
            tail -20 "$OUT/asan-$t.log" | sed 's/^/  # /'
            echo "FAIL $t under ASan+UBSan"
        fi
    done
    if ERAVM="$OUT/asan/bin/eravm" sh tests/test_cli.sh >"$OUT/asan-cli.log" 2>&1 && ! grep -q '^FAIL' "$OUT/asan-cli.log"; then
        echo "ok test_cli.sh with eravm under ASan+UBSan"
    else
        grep -v '^ok' "$OUT/asan-cli.log" | tail -20 | sed 's/^/  # /'
        echo "FAIL test_cli.sh with eravm under ASan+UBSan"
    fi
else
    tail -20 "$OUT/asan.log" | sed 's/^/  # /'
    echo "FAIL ASan+UBSan build"
fi
