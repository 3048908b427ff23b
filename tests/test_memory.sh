#!/bin/sh
# tests/test_memory.sh — memory is bounded by what a run pays, and running
# out ends a run cleanly: the per-resource bounds the README documents hold
# for the programs of tests/memory/ (peak RSS with GNU time, at budgets that
# keep this quick); `--format json` streams; --max-memory and a host that
# refuses memory both end the run with one line, exit status 3 and nothing
# half-written (eravm run, eravm scenario, eravm-bench --output).
E=${ERAVM:-bin/eravm}
B=${ERAVM_BENCH:-bin/eravm-bench}
[ "${BUILD:-build}" = build ] || B=${ERAVM_BENCH:-$BUILD/bin/eravm-bench}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
note() { echo "  # $*"; fails=$((fails + 1)); }
result() { if [ "$fails" = 0 ]; then echo "ok $*"; else echo "FAIL $* ($fails failures)"; fi; fails=0; }
# ASan's shadow memory and quarantine make RSS meaningless, and it cannot
# start under a virtual-memory limit: those cases run in the plain build only
case "${BUILD:-build}" in *asan*) sanitized=1 ;; *) sanitized=0 ;; esac

for p in tests/memory/*.zasm; do
    "$E" asm "$p" -o "$T/$(basename "$p" .zasm).zbin" || note "cannot assemble $p"
done

# --- the documented bounds (README, "Memory"), with 8 MiB for the process itself ---
if [ "$sanitized" = 0 ] && [ -x /usr/bin/time ]; then
    printf '\t.text\n\tret\n' >"$T/ret.zasm"
    "$E" asm "$T/ret.zasm" -o "$T/ret.zbin"
    peak() { /usr/bin/time -f %M -o "$T/time" "$E" run "$T/$1.zbin" --address "$2" --ergs "$3" ${4:+--format $4} \
        >/dev/null 2>"$T/err"; tail -1 "$T/time"; }
    base=$(peak ret 0x1234 1000)
    bound() { # program address ergs bytes-per-erg [format]
        kb=$(peak "$1" "$2" "$3" "${5:-}")
        awk -v kb="$kb" -v b="$base" -v e="$3" -v per="$4" 'BEGIN { exit !((kb - b) * 1024 <= per * e + 8 * 1048576) }' ||
            note "$1${5:+ ($5)} at $3 ergs: peak RSS $kb KiB, over $4 bytes/erg above the $base KiB base"
    }
    bound heap 0x1234567890abcdef 20000000 1.1
    bound near 0x1234567890abcdef 20000000 2.5
    bound transient 0x1234567890abcdef 20000000 2.6
    bound events 0x800d 20000000 2.8
    bound events 0x800d 20000000 2.8 json
    bound l2l1 0x8001 20000000 1.0
    bound static 0x8001 5000000 12
    bound far_fill 0x1234567890abcdef 3000000 4
    result "memory: heap, near frames, transient storage, events (also as streamed JSON), logs, static memory and filled stacks stay within their documented bytes per erg"
else
    echo "  # memory bounds not measured in this build (sanitizers, or no /usr/bin/time)"
fi

# --- --max-memory: one line, exit status 3, nothing half-written ---------------------
"$E" run "$T/near.zbin" --ergs 4294967295 --max-memory 64M >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 3 ] || note "near-call recursion past --max-memory 64M exited $rc, not 3"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q '^eravm: out of memory: the run needs more than the memory limit of 64 MiB (raise it with --max-memory)$' "$T/err" ||
    note "the out-of-memory line: $(head -c 300 "$T/err")"
[ ! -s "$T/out" ] || note "a run that ran out of memory printed a result: $(head -2 "$T/out")"
"$E" run "$T/near.zbin" --ergs 4294967295 --max-memory 64M --format json >"$T/out" 2>/dev/null
[ ! -s "$T/out" ] || note "a run that ran out of memory printed half a JSON report"
"$E" run "$T/near.zbin" --ergs 100000 --max-memory 64M >/dev/null 2>&1 || note "a small run fails under --max-memory 64M"
for bad in lots 12Q -1 4.5G; do
    "$E" run "$T/near.zbin" --max-memory "$bad" >/dev/null 2>"$T/err" && note "--max-memory $bad accepted"
    grep -q "^eravm: run: --max-memory wants a size" "$T/err" || note "--max-memory $bad: $(cat "$T/err")"
done
# a scenario: the steps before are whole lines, then the one line
printf '{"contracts": [{"name": "N", "address": "0x10001", "bytecode": "near.zbin"}],
 "steps": [{"to": "N", "ergs": 1000, "expect": {"status": "panic"}}, {"to": "N", "ergs": 4294967295}]}' >"$T/sc.json"
"$E" scenario "$T/sc.json" --max-memory 64M >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 3 ] || note "scenario past --max-memory exited $rc"
[ "$(cat "$T/out")" = "step 1: panic, ergs_left 0, instructions 81" ] || note "scenario output: $(cat "$T/out")"
[ "$(wc -l <"$T/err")" = 1 ] || note "scenario stderr: $(cat "$T/err")"
# eravm-bench: the --output it had opened is removed
mkdir -p "$T/data/vm-benchmark"
cp "$T/near.zbin" "$T/data/vm-benchmark/near"
printf 'near\tbare\tcall\tdata:vm-benchmark/near\t4294967295\t-\t-\t-\n' >"$T/m.tsv"
ERAVM_DATA=$T/data "$B" --manifest "$T/m.tsv" --check --max-memory 64M --output "$T/report" >/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 3 ] || note "eravm-bench past --max-memory exited $rc: $(cat "$T/err")"
grep -q '^eravm-bench: out of memory: .*64 MiB' "$T/err" || note "eravm-bench out-of-memory line: $(cat "$T/err")"
[ ! -e "$T/report" ] || note "eravm-bench left its half-written --output behind"
result "memory: past --max-memory a run ends with one line and exit status 3 (eravm run, scenario, eravm-bench), leaving nothing half-written"

# --- the host refuses memory (a virtual-memory limit): the same clean end ----------
if [ "$sanitized" = 0 ]; then
    (ulimit -v 400000 && exec "$E" run "$T/near.zbin" --ergs 4294967295 --max-memory 0) >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" = 3 ] || note "near-call recursion under ulimit -v exited $rc, not 3 (134 = abort)"
    [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^eravm: out of memory: the host refused [0-9]* more bytes$' "$T/err" ||
        note "the host-refusal line: $(head -c 300 "$T/err")"
    [ ! -s "$T/out" ] || note "a run the host starved printed a result"
    result "memory: when the host refuses memory the run ends with one line and exit status 3, not an abort"
fi
exit 0
