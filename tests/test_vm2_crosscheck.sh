#!/bin/sh
# tests/test_vm2_crosscheck.sh — scripts/vm2-crosscheck says so and exits 0
# when VM2_REPLAY is unset (CI cannot build vm2) and fails clearly on a bad
# VM2_REPLAY. When VM2_REPLAY names a built tools/vm2-replay, also: the full
# cross-check passes, and vm2-replay catches a changed stop, a changed world
# answer and a changed end state in a recording (it can fail).
E=${ERAVM:-bin/eravm}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=scripts/vm2-crosscheck

fails=0
note() { echo "  # $*"; fails=$((fails + 1)); }
end() { if [ "$fails" -eq 0 ]; then echo "ok $*"; else echo "FAIL $* ($fails failures)"; fi; fails=0; }

env -u VM2_REPLAY "$S" >"$T/out" 2>"$T/err"
[ $? -eq 0 ] || note "exit status without VM2_REPLAY is not 0"
grep -q "VM2_REPLAY is not set: nothing was compared" "$T/out" || note "no clear message: $(cat "$T/out")"
[ ! -s "$T/err" ] || note "stderr not empty: $(cat "$T/err")"
VM2_REPLAY=$T/none "$S" >"$T/out" 2>"$T/err"
[ $? -eq 2 ] || note "a missing VM2_REPLAY binary does not exit 2"
[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "is not an executable" "$T/err" || note "bad VM2_REPLAY: $(cat "$T/err")"
end "vm2-crosscheck: without VM2_REPLAY it says nothing was compared and exits 0; a bad VM2_REPLAY is one line, exit 2"

if [ -z "${VM2_REPLAY:-}" ]; then
    echo "# VM2_REPLAY not set: the cross-check against vm2 itself was skipped"
    exit 0
fi

VM2_REPLAY=$VM2_REPLAY "$S" >"$T/cc" 2>&1 || note "cross-check: $(cat "$T/cc")"
end "vm2-crosscheck: $(grep -c '^| deploy\|^| batch' "$T/cc") full-tier runs equal on vm2 and on our VM"

D=${ERAVM_DATA:-../shared/data}
"$E" deploy "$D/vm-benchmark/deploy_simple_contract" --record "$T/r" >/dev/null 2>&1 || note "record failed"
"$VM2_REPLAY" "$T/r" >/dev/null 2>&1 || note "the unchanged recording does not match"
mutate() { # name, sed program, file
    rm -rf "$T/m" && cp -r "$T/r" "$T/m" && sed -i "$2" "$T/m/$3"
    cmp -s "$T/r/$3" "$T/m/$3" && note "$1: the mutation changed nothing"
    "$VM2_REPLAY" "$T/m" >"$T/m.out" 2>&1
    [ $? -eq 1 ] && grep -q '^MISMATCH' "$T/m.out" || note "$1 went unnoticed: $(cat "$T/m.out")"
}
mutate "a stop's ergs" '0,/^stop suspended 0x5 \(0x[0-9a-f]*\) 0x\([0-9a-f]*\)[0-9a-f]$/s//stop suspended 0x5 \1 0x\20/' transcript
mutate "a write cost" '0,/^cost \(.*\) 0x[0-9a-f]*$/s//cost \1 0x7777/' transcript
mutate "the pubdata" 's/"pubdata": \([0-9]*\)/"pubdata": 1\1/' state.json
"$VM2_REPLAY" "$T/nothing" >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] || note "a missing recording: $(cat "$T/err")"
end "vm2-replay: notices a changed stop, write cost and end state; a missing recording is one line, exit 2"
