#!/bin/sh
# tests/test_cli.sh — the `eravm` command from the outside: versioned hashes
# against every hash listed in the data's provenance, container checks, and
# one clear error line (with file:line:col for the assembler) on bad input.
D=${ERAVM_DATA:-../shared/data}
E=${ERAVM:-bin/eravm}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

. tests/lib.sh

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

# --- format detection --------------------------------------------------------
begin
printf '\357\273\2770x%064x\n' 0 >"$T/bom.hex"
printf '0x%064x\n' 0 >"$T/plain.hex"
h_plain=$("$E" hash "$T/plain.hex")
[ "$("$E" hash "$T/bom.hex")" = "$h_plain" ] || note "a UTF-8 BOM before hex text is not skipped"
printf '\357\273\277{"bytecode": "0x%064x"}' 0 >"$T/bom.json"
[ "$("$E" hash "$T/bom.json")" = "$h_plain" ] || note "a UTF-8 BOM before a JSON artifact is not skipped"
# padded to 96 bytes, a BOM-prefixed artifact once passed as raw bytecode
cp "$T/bom.json" "$T/bom96.json"
printf '%*s' $((96 - $(wc -c <"$T/bom.json"))) '' >>"$T/bom96.json"
[ "$("$E" hash "$T/bom96.json" 2>&1)" = "$h_plain" ] || note "a padded BOM artifact is not read as JSON"
printf '["0x%064x"]' 0 >"$T/arr.json"
expect_error "arr.json: top-level JSON is an array" "$E" hash "$T/arr.json"
printf '"0x%064x"' 0 >"$T/str.json"
expect_error "str.json: top-level JSON is a string" "$E" hash "$T/str.json"
printf '{"bytecode": "0x00zz"}' >"$T/badhex.json"
expect_error "badhex.json: the artifact's bytecode: bad hex" "$E" run "$T/badhex.json"
printf 'xyz' >"$T/short.bin"
expect_error "shorter than one 32-byte word" "$E" hash "$T/short.bin"
grep -q truncate "$T/err" && note "--truncate suggested for a file under 32 bytes"
end "format detection: a UTF-8 BOM is skipped, JSON that is not an object is refused, errors name the file"

# --- output errors ------------------------------------------------------------
begin
if [ -c /dev/full ]; then
    for cmd in "hash $T/one.bin" "disasm $T/one.bin" "keccak abc" "run $T/one.bin" "run $T/one.bin --format json"; do
        # shellcheck disable=SC2086
        "$E" $cmd >/dev/full 2>"$T/err"
        rc=$?
        [ "$rc" -ne 0 ] && [ "$rc" -lt 126 ] || note "eravm $cmd >/dev/full exited $rc"
        [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "cannot write standard output" "$T/err" || note "eravm $cmd >/dev/full: $(cat "$T/err")"
    done
    printf '{"contracts": [{"address": "0x10", "bytecode": "one.bin"}], "steps": [{"to": "0x10"}]}' >"$T/ok.json"
    "$E" scenario "$T/ok.json" >/dev/full 2>"$T/err" && note "scenario >/dev/full exited 0"
    printf '\tret\n' >"$T/ret.zasm"
    "$E" asm "$T/ret.zasm" -o /dev/full 2>"$T/err" && note "asm -o /dev/full exited 0"
    [ -c /dev/full ] || note "asm -o /dev/full removed the device"
else
    echo "  # no /dev/full character device here; output-error cases skipped"
fi
end "output: a report that cannot be written is an error (one line, non-zero exit)"

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
printf '' >"$T/empty.zasm"
expect_error "empty.zasm:1:1: error: no instructions" "$E" asm "$T/empty.zasm" --hex
printf '; nothing\n\t.rodata\nA:\n\t.cell\t5\n' >"$T/cells.zasm"
expect_error "cells.zasm:1:1: error: no instructions" "$E" asm "$T/cells.zasm" --hex
printf '\tret\n' >"$T/src.zasm"
cp "$T/src.zasm" "$T/src.copy"
expect_error "^eravm: asm: -o needs a file name" "$E" asm "$T/src.zasm" -o ""
expect_error "^eravm: asm: -o .* is the source file" "$E" asm "$T/src.zasm" -o "$T/src.zasm"
expect_error "^eravm: asm: -o .* is the source file" "$E" asm "$T/src.zasm" -o "$T/../$(basename "$T")/src.zasm"
cmp -s "$T/src.zasm" "$T/src.copy" || note "asm -o overwrote its source"
expect_error "^eravm: asm: cannot write" "$E" asm "$T/src.zasm" -o "$T/no/such/dir/x.zbin"
end "assembler errors name file:line:col and what is wrong; nothing is written"

# --- assembler scale: labels are hashed, not scanned ------------------------------
begin
# 65,536 labels (the instruction limit), each jumped to from elsewhere; a
# linear label scan took ~20 s here, the hash index takes milliseconds
awk 'BEGIN { print "\t.text"; for (i = 0; i < 65536; i++) printf "L%d:\n\tjump\t@L%d\n", i, (i * 7919) % 65536 }' >"$T/labels.zasm"
if timeout 10 "$E" asm "$T/labels.zasm" -o "$T/labels.zbin"; then
    [ "$(wc -c <"$T/labels.zbin")" -eq $((16385 * 32)) ] || note "65,536 jumps: want 16,385 words, got $(wc -c <"$T/labels.zbin") bytes"
    "$E" disasm --raw "$T/labels.zbin" | sed -n 2p | grep -q '^     1  00001eef0000013d ' || note "label L1 does not resolve to instruction 7919"
else
    note "assembling 65,536 labels did not finish within 10 s"
fi
end "assembler: 65,536 labels assemble within seconds (hash index)"

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

# --- scenario: nothing passes unchecked ------------------------------------------
begin
printf '\t.text\n\tadd\t5, r0, r2\n\tsts\tr0, r2\n\tadd\tr0, r0, r1\n\tret\n' >"$T/c.zasm"
C='"contracts": [{"name": "A", "address": "0x10001", "bytecode": "c.zasm"}]'
scen() { # pattern, steps JSON
    printf '{%s, "steps": [%s]}' "$C" "$2" >"$T/sc.json"
    expect_error "sc.json: $1" "$E" scenario "$T/sc.json"
    [ ! -s "$T/out" ] || note "scenario ran steps before refusing: $(head -1 "$T/out")"
}
printf '{%s, "steps": [{"to": "A", "expect": {"status": "ok", "storage": {"A": {"0x0": "0x5"}}}}]}' "$C" >"$T/sc.json"
"$E" scenario "$T/sc.json" >"$T/out" 2>&1 || note "a good scenario failed: $(cat "$T/out")"
scen 'steps\[0\].expect.storage\["B"\]: .B. is neither a contract name nor an address' '{"to": "A", "expect": {"storage": {"B": {"0x0": "0x5"}}}}'
scen 'steps\[0\].expect.storage\["A"\]\["zz"\]: the key is not a number' '{"to": "A", "expect": {"storage": {"A": {"zz": "0x5"}}}}'
scen 'steps\[0\].expect.storage\["A"\]\["0x0"\]: want a number, not an array' '{"to": "A", "expect": {"storage": {"A": {"0x0": ["0x5"]}}}}'
scen 'steps\[0\].expect.storage\["A"\]: want an object, not an integer' '{"to": "A", "expect": {"storage": {"A": 5}}}'
scen 'steps\[0\].expect.storage: want an object, not a string' '{"to": "A", "expect": {"storage": "A"}}'
scen 'steps\[0\].expct: unknown key' '{"to": "A", "expct": {}}'
scen 'steps\[1\].expect.stauts: unknown key' '{"to": "A"}, {"to": "A", "expect": {"stauts": "ok"}}'
scen 'steps\[0\].constructor: want true or false, not a string' '{"to": "A", "constructor": "yes"}'
scen 'steps\[0\].expect.storage_writes: want an object, not a string' '{"to": "A", "expect": {"storage_writes": "none"}}'
scen 'steps\[0\].expect.transient: want an object, not a string' '{"to": "A", "expect": {"transient": "none"}}'
scen 'steps\[0\].expect.instructions: 0x10000000000000005 is out of range' '{"to": "A", "expect": {"instructions": "0x10000000000000005"}}'
scen "steps\\[0\\].expect.ergs_left: 'abc' is not a number" '{"to": "A", "expect": {"ergs_left": "abc"}}'
scen 'steps\[0\].expect.ergs_left: -1 is negative' '{"to": "A", "expect": {"ergs_left": -1}}'
scen 'steps\[0\].expect.ergs_left: 0x100000000 is out of range' '{"to": "A", "expect": {"ergs_left": 4294967296}}'
scen 'steps\[0\].expect.status: want "ok", "revert" or "panic"' '{"to": "A", "expect": {"status": "okay"}}'
scen 'steps\[0\].expect.returndata: bad hex' '{"to": "A", "expect": {"returndata": "0x1"}}'
scen 'steps\[0\].expect.events\[0\].value: missing' '{"to": "A", "expect": {"events": [{"key": 1}]}}'
scen 'steps\[0\].expect.l2_l1_logs\[0\].first: unknown key' '{"to": "A", "expect": {"l2_l1_logs": [{"key": 1, "value": 2, "first": true}]}}'
scen 'steps\[0\].value: 0x100000000000000000000000000000000 is out of range' '{"to": "A", "value": "0x100000000000000000000000000000000"}'
scen 'steps\[0\].ergs: want a number, not a real number' '{"to": "A", "ergs": 1.5}'
scen 'steps\[0\].to: missing' '{"calldata": "0x"}'
scen 'steps\[0\].caller: .C. is neither' '{"to": "A", "caller": "C"}'
contracts() { # pattern, contracts JSON
    printf '{"contracts": [%s], "steps": []}' "$2" >"$T/sc.json"
    expect_error "sc.json: $1" "$E" scenario "$T/sc.json"
}
contracts 'contracts\[1\].address: 0x010001 is also the address of contracts\[0\]' \
    '{"name": "A", "address": "0x10001", "bytecode": "c.zasm"}, {"name": "B", "address": "0x010001", "bytecode": "c.zasm"}'
contracts "contracts\\[1\\].name: 'A' names another contract too" \
    '{"name": "A", "address": "0x10001", "bytecode": "c.zasm"}, {"name": "A", "address": "0x10002", "bytecode": "c.zasm"}'
contracts "contracts\\[0\\].name: '0x10002' reads as an address" '{"name": "0x10002", "address": "0x10001", "bytecode": "c.zasm"}'
contracts 'contracts\[0\].truncate: want true or false' '{"address": "0x10001", "bytecode": "c.zasm", "truncate": 1}'
contracts 'contracts\[0\].bytecode: .*nothere' '{"address": "0x10001", "bytecode": "nothere.zbin"}'
printf '{"contracts": [], "steps": [], "steps": []}' >"$T/sc.json"
expect_error "bad JSON: duplicate object key" "$E" scenario "$T/sc.json"
printf '{"contracts": [], "steps": [], "stesp": []}' >"$T/sc.json"
expect_error "sc.json: stesp: unknown key" "$E" scenario "$T/sc.json"
printf '[]' >"$T/sc.json"
expect_error "sc.json: want an object, not an array" "$E" scenario "$T/sc.json"
expect_error "is a directory" "$E" scenario "$T"
end "scenario: unknown keys, wrong types, out-of-range numbers and ambiguous contracts are errors naming their JSON path"

# --- the engine switch: --engine everywhere, ERAVM_ENGINE as its default ------------
begin
printf '{%s, "steps": [{"to": "A", "expect": {"status": "ok", "instructions": 4}}]}' "$C" >"$T/sc.json"
for eng in fast counting simple; do
    "$E" scenario --engine $eng "$T/sc.json" >"$T/out" 2>&1 || note "scenario --engine $eng: $(cat "$T/out")"
    ERAVM_ENGINE=$eng "$E" scenario "$T/sc.json" >"$T/out" 2>&1 || note "ERAVM_ENGINE=$eng scenario: $(cat "$T/out")"
    "$E" run --engine $eng "$T/one.bin" >/dev/null 2>&1 || note "run --engine $eng failed"
done
expect_error "scenario: --engine is fast, counting or simple, not 'turbo'" "$E" scenario --engine turbo "$T/sc.json"
expect_error "run: --engine is fast, counting or simple, not 'turbo'" "$E" run --engine turbo "$T/one.bin"
expect_error "ERAVM_ENGINE is fast, counting or simple, not 'turbo'" env ERAVM_ENGINE=turbo "$E" scenario "$T/sc.json"
expect_error "ERAVM_ENGINE is fast, counting or simple, not 'turbo'" env ERAVM_ENGINE=turbo "$E" run "$T/one.bin"
end "engine switch: --engine for run and scenario, ERAVM_ENGINE as the default, bad names refused"

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
