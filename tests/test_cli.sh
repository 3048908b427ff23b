#!/bin/sh
# tests/test_cli.sh — the `eravm` command from the outside: versioned hashes
# against every hash listed in the data's provenance, container checks, and
# one clear error line (with file:line:col for the assembler) on bad input.
D=${ERAVM_DATA:-../shared/data}
E=${ERAVM:-bin/eravm}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

case_ok=0
case_fail=0
note() { echo "  # $*"; case_fail=$((case_fail + 1)); }
begin() { case_fail=0; }
end() { if [ "$case_fail" -eq 0 ]; then echo "ok $*"; else echo "FAIL $* ($case_fail failures)"; fi; }

# Exactly one line on stderr, non-zero exit, matching a pattern.
expect_error() { # pattern, command...
    pat=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    n=$(wc -l <"$T/err")
    if [ "$rc" -eq 0 ]; then note "'$*' exited 0"; return; fi
    if [ "$rc" -gt 125 ]; then note "'$*' crashed (status $rc)"; return; fi
    if [ "$n" -ne 1 ]; then note "'$*' printed $n lines on stderr: $(head -c 300 "$T/err")"; return; fi
    grep -q -- "$pat" "$T/err" || note "'$*': '$(cat "$T/err")' does not match '$pat'"
}

# --- hashes: vm-benchmark provenance table -------------------------------
begin
n=0
grep -E '^\| [a-z_/]+ \| [0-9]+ \| [0-9]+ \| 0x[0-9a-f]{64} \|' "$D/vm-benchmark/PROVENANCE.md" |
    awk -F'|' '{gsub(/ /,"",$2); gsub(/ /,"",$5); print $2, $5}' >"$T/bench-hashes"
while read -r f h; do
    got=$("$E" hash --truncate "$D/vm-benchmark/$f")
    [ "$got" = "$h" ] || note "$f: $got != $h"
    n=$((n + 1))
done <"$T/bench-hashes"
[ "$n" -eq 14 ] || note "expected 14 benchmark hashes, found $n"
end "hash: $n vm-benchmark bytecodes (raw and hex text, truncated) match PROVENANCE.md"

# --- hashes: zksolc contracts (index.json) --------------------------------
begin
n=0
awk -F'"' '/"file":/ {f=$4} /"bytecode_hash":/ {print f, $4}' \
    "$D/conformance/era-compiler-tester/index.json" >"$T/ct-hashes"
while read -r f h; do
    got=$("$E" hash "$D/conformance/era-compiler-tester/contracts/$f.zbin")
    [ "$got" = "$h" ] || note "$f: $got != $h"
    n=$((n + 1))
done <"$T/ct-hashes"
[ "$n" -eq 22 ] || note "expected 22 contract hashes, found $n"
end "hash: $n zksolc contracts match index.json"

# --- hashes: JSON artifacts (their own "hash" field) -----------------------
begin
n=0
find "$D/system-contracts/anvil-zksync/builtin-contracts-v29" "$D/conformance/anvil-zksync" \
    -name '*.json' | sort >"$T/json-list"
while read -r f; do
    want=$(grep -o '"hash": *"[0-9a-fx]*"' "$f" | head -1 | sed 's/.*"\(0x\)\{0,1\}\([0-9a-f]*\)"$/0x\2/')
    [ -n "$want" ] || continue
    got=$("$E" hash "$f")
    [ "$got" = "$want" ] || note "$f: $got != $want"
    n=$((n + 1))
done <"$T/json-list"
[ "$n" -ge 50 ] || note "expected at least 50 artifacts, found $n"
end "hash: $n foundry JSON artifacts match their \"hash\" field"

# --- container rules and bad input ---------------------------------------
begin
expect_error "not a multiple of 32" "$E" hash "$D/vm-benchmark/call_far"
head -c 64 /dev/zero >"$T/even.bin"
expect_error "even number" "$E" hash "$T/even.bin"
h1=$("$E" hash --truncate "$T/even.bin")
head -c 32 /dev/zero >"$T/one.bin"
h2=$("$E" hash "$T/one.bin")
[ "$h1" = "$h2" ] || note "--truncate of 64 zero bytes should equal 32 zero bytes"
head -c $((65537 * 32)) /dev/zero >"$T/huge.bin"
expect_error "exceeds the limit" "$E" hash "$T/huge.bin"
: >"$T/empty.bin"
expect_error "empty" "$E" hash "$T/empty.bin"
printf '0x00112' >"$T/odd.hex"
expect_error "bad hex" "$E" hash "$T/odd.hex"
printf '0x0011zz' >"$T/bad.hex"
expect_error "bad hex" "$E" hash "$T/bad.hex"
printf '{"abi": []}' >"$T/nobc.json"
expect_error "no \"bytecode\"" "$E" hash "$T/nobc.json"
printf '{"bytecode": ' >"$T/broken.json"
expect_error "bad JSON" "$E" hash "$T/broken.json"
expect_error "No such file" "$E" hash "$T/missing"
expect_error "is a directory" "$E" hash "$T"
expect_error "unknown option" "$E" hash --frobnicate "$T/one.bin"
expect_error "unknown command" "$E" frobnicate
expect_error "not a multiple of 32" "$E" disasm "$D/vm-benchmark/call_far"
end "bad bytecode input: one clear line on stderr and a non-zero exit"

# --- assembler errors ------------------------------------------------------
begin
asm_error() { # source, expected line:col, pattern
    printf '%b' "$1" >"$T/e.zasm"
    rm -f "$T/e.zbin"
    expect_error "e.zasm:$2: error: .*$3" "$E" asm "$T/e.zasm" -o "$T/e.zbin"
    [ ! -e "$T/e.zbin" ] || note "output written despite error for: $1"
}
asm_error '\t.text\n\tfrob\tr1, r2, r3\n' 2:2 "unknown mnemonic 'frob'"
asm_error '\tadd\tr1, r2, 5\n' 1:14 "cannot be a destination"
asm_error '\tadd\tr1, 5, r3\n' 1:10 "expects a register"
asm_error '\tadd\t65536, r2, r3\n' 1:6 "out of range"
asm_error '\tjump\t@nowhere\n' 1:7 "undefined label 'nowhere'"
asm_error 'a:\n\tret\na:\n' 3:1 "duplicate label 'a'"
asm_error '\tldp\t42, r1\n' 1:6 "immediate not allowed"
asm_error '\tadd.s\tr1, r2, r3\n' 1:2 "no such form"
asm_error '\tsub.zz\tr1, r2, r3\n' 1:2 "unknown modifier"
asm_error '\t.bogus\n' 1:2 "unknown directive"
awk 'BEGIN { print "\t.text"; for (i = 0; i < 65537; i++) print "\tnop" }' >"$T/big.zasm"
rm -f "$T/big.zbin"
expect_error "big.zasm:65538:2: error: more than 65536 instructions" "$E" asm "$T/big.zasm" -o "$T/big.zbin"
[ ! -e "$T/big.zbin" ] || note "output written for too many instructions"
end "assembler errors name file:line:col and what is wrong; nothing is written"

# --- assembler layout ------------------------------------------------------
begin
printf '\t.text\n\tadd\t@c, r0, r1\n\tret\n\t.rodata\nc:\n\t.cell\t-1\n' >"$T/l.zasm"
"$E" asm "$T/l.zasm" -o "$T/l.zbin" || note "asm failed"
[ "$(wc -c <"$T/l.zbin")" -eq 96 ] || note "layout: want 3 words (code, cell, odd pad), got $(wc -c <"$T/l.zbin") bytes"
want="0x0000000101000039000000000001042d$(printf '0%.0s' $(seq 32))$(printf 'f%.0s' $(seq 64))$(printf '0%.0s' $(seq 64))"
got=$("$E" asm "$T/l.zasm" --hex)
[ "$got" = "$want" ] || note "layout bytes: $got"
end "assembler layout: code, padding to a word, constants, odd word count"

# --- disassembler --------------------------------------------------------------
begin
"$E" disasm --raw "$D/conformance/era-compiler-tester/contracts/Identity.zbin" >"$T/raw" || note "disasm --raw failed"
grep -q '^     0  0000000100200190  and! 1, r2, r0$' "$T/raw" || note "raw listing lacks index + bytes: $(head -1 "$T/raw")"
"$E" disasm "$D/conformance/era-compiler-tester/contracts/Identity.zbin" >"$T/id.zasm"
grep -q 'jump.ne	@.L28' "$T/id.zasm" || note "no code label for jump target"
grep -q 'and!	code\[@CPI_11\], r4, r2' "$T/id.zasm" || note "no constant label"
"$E" asm "$T/id.zasm" -o "$T/id.zbin" && cmp -s "$T/id.zbin" "$D/conformance/era-compiler-tester/contracts/Identity.zbin" || note "round trip differs"
end "disasm: labels, constants, --raw listing, round trip"

# --- run and scenario: bad input --------------------------------------------
begin
expect_error "not a multiple of 32" "$E" run "$D/vm-benchmark/call_far"
expect_error "no \"bytecode\"" "$E" run "$T/nobc.json"
expect_error "bad hex" "$E" run "$T/bad.hex"
expect_error "calldata" "$E" run "$T/one.bin" --calldata 0xzz
expect_error "ergs" "$E" run "$T/one.bin" --ergs 99999999999
expect_error "bad address" "$E" run "$T/one.bin" --address 0x1234567890123456789012345678901234567890ff
expect_error "unknown option" "$E" run "$T/one.bin" --frobnicate
expect_error "format" "$E" run "$T/one.bin" --format xml
expect_error "bad JSON" "$E" scenario "$T/broken.json"
printf '{"contracts": 5, "steps": []}' >"$T/s1.json"
expect_error "contracts" "$E" scenario "$T/s1.json"
printf '{"contracts": [{"address": "0x10", "bytecode": "nothere.zbin"}], "steps": []}' >"$T/s2.json"
expect_error "nothere" "$E" scenario "$T/s2.json"
printf '{"contracts": [], "steps": [{"calldata": "0x"}]}' >"$T/s3.json"
expect_error "to" "$E" scenario "$T/s3.json"
end "run and scenario: bad input gives one clear line and a non-zero exit"

# --- run: JSON and trace output -------------------------------------------------
begin
printf '\t.text\n\tadd\t5, r0, r2\n\tsts\tr0, r2\n\tadd\tr0, r0, r1\n\tret\n' >"$T/r.zasm"
"$E" asm "$T/r.zasm" -o "$T/r.zbin"
"$E" run "$T/r.zbin" --format json >"$T/r.json" || note "run failed"
for k in '"status": "ok"' '"instructions": 4' '"skipped": 0' '"returndata": "0x"' '"0x0": "0x5"' '"events": \[\]' '"l2_l1_logs": \[\]'; do
    grep -q "$k" "$T/r.json" || note "json lacks $k"
done
"$E" run "$T/r.zbin" --trace >"$T/r.trace"
grep -q '^    0  add 5, r0, r2 .*ergs=30000000$' "$T/r.trace" || note "trace line 0: $(head -1 "$T/r.trace")"
grep -q '^    -> r2=0x5$' "$T/r.trace" || note "trace lacks the r2 change"
end "run: JSON result and --trace lines"

exit 0
