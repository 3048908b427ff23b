#!/bin/sh
# tests/test_engine.sh — the engine's structure, beyond its results (which
# test_bench.sh and the corpora check on every engine):
#  - handlers tail-call each other: a 5-million-instruction run fits in a
#    1 MiB stack on every engine (one host frame per instruction would not);
#  - vm/engine.gen.h is exactly what tools/gen-engine makes of the committed
#    profiles/fusion.csv (CI fails when they drift apart);
#  - golden records: `eravm disasm --predecoded` of each tests/predecode/*.zasm
#    snippet equals its .golden file (after changing the predecoder or the
#    profile, `make golden` rewrites them; review the diff).
BUILD=${BUILD:-build}
if [ "$BUILD" = build ]; then B=bin/eravm-bench; else B=$BUILD/bin/eravm-bench; fi
E=${ERAVM:-bin/eravm}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

for build in fast counting simple; do
    if (ulimit -s 1024 && "$B" --workload port/decode_shl_sub --mode call --runs 1 --warmup 0 \
        --build $build --check) >"$T/out" 2>&1; then
        echo "ok $build engine: 5,000,001 instructions on a 1 MiB stack (handlers tail-call)"
    else
        tail -3 "$T/out" | sed 's/^/  # /'
        echo "FAIL $build engine: a long run does not fit a 1 MiB stack (a handler call is not a tail call)"
    fi
done

if ${CC:-cc} -std=gnu11 -O1 -Ivm -o "$T/gen-engine" tools/gen-engine.c vm/opcode.c 2>"$T/cc" &&
    "$T/gen-engine" profiles/fusion.csv profiles/fusion-keyed.csv >"$T/engine.gen.h" 2>>"$T/cc"; then
    if cmp -s "$T/engine.gen.h" vm/engine.gen.h; then
        echo "ok vm/engine.gen.h is what tools/gen-engine makes of profiles/fusion.csv and fusion-keyed.csv"
    else
        diff "$T/engine.gen.h" vm/engine.gen.h | head -10 | sed 's/^/  # /'
        echo "FAIL vm/engine.gen.h differs from tools/gen-engine's output (make gen-engine, commit both)"
    fi
else
    sed 's/^/  # /' "$T/cc"
    echo "FAIL tools/gen-engine did not build or run"
fi

for snippet in tests/predecode/*.zasm; do
    golden=${snippet%.zasm}.golden
    if "$E" disasm --predecoded "$snippet" >"$T/records" 2>&1 && cmp -s "$T/records" "$golden"; then
        echo "ok pre-decoded records of $snippet match $golden"
    else
        diff "$golden" "$T/records" | head -10 | sed 's/^/  # /'
        echo "FAIL pre-decoded records of $snippet differ from $golden (make golden rewrites it)"
    fi
done
