#!/bin/sh
# tests/test_full.sh — the full tier from the outside: a deploy, a transfer,
# executes and calls through the real v29 bootloader with their effects on
# state, transaction snapshots (a halted transaction leaves no trace),
# record and replay, eravm-bench's full tier, and bad input.
D=${ERAVM_DATA:-../shared/data}
E=${ERAVM:-bin/eravm}
B=${ERAVM_BENCH:-bin/eravm-bench}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

. tests/lib.sh

# json FILE EXPR: a Python expression over the parsed file `j`
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

SENDER=0xb0e5863d0ddf7e105e409fee0ecc0123a362e14b
NONCE_KEY=0x4a5c21ce4574b996f82aa29c6d635a25f05fc93b3d61c5f4c6a5bec44d13ff00

# --- deploy_simple: the spec's address, hash, nonce and fee (bootloader.md §3.5, §8)
begin
if "$E" deploy --format json "$D/vm-benchmark/deploy_simple_contract" >"$T/d.json" 2>"$T/d.err"; then
    [ "$(json "$T/d.json" 'j["tx_status"]')" = success ] || note "status $(json "$T/d.json" 'j["tx_status"]')"
    [ "$(json "$T/d.json" 'j["deployed_address"]')" = 0xe48745e07f62f3700176f1b730ba59da36726118 ] ||
        note "deployed at $(json "$T/d.json" 'j["deployed_address"]')"
    acs=$(json "$T/d.json" 'j["storage_writes"]["0x0000000000000000000000000000000000008002"]["0xe48745e07f62f3700176f1b730ba59da36726118"]')
    [ "$acs" = 0x1000045fe9550fb8a7813001ed9bec49c132d55b5f764df6cee8650412e602b ] ||
        note "AccountCodeStorage holds $acs"
    nonce=$(json "$T/d.json" "j['storage_writes']['0x0000000000000000000000000000000000008003']['$NONCE_KEY']")
    [ "$nonce" = 0x100000000000000000000000000000001 ] || note "nonce $nonce, not 2^128 + 1"
    known=$(json "$T/d.json" 'j["storage_writes"]["0x0000000000000000000000000000000000008004"]["0x1000045fe9550fb8a7813001ed9bec49c132d55b5f764df6cee8650412e602b"]')
    [ "$known" = 0x1 ] || note "KnownCodesStorage holds $known"
    # the fee: 10^32 - gas used x base fee (0.25 gwei)
    ok=$(json "$T/d.json" "int(j['storage_writes']['0x000000000000000000000000000000000000800a']['$NONCE_KEY'],16) == 10**32 - j['gas_used']*250000000")
    [ "$ok" = True ] || note "the sender's balance is not 10^32 minus gas used x base fee"
    [ "$(json "$T/d.json" 'j["tx_hash"]')" = 0xe9f76fc4c108b4bc5c78ffd6fb199123bcfc1f56cdfee420693e5b1ae407b23e ] ||
        note "tx hash $(json "$T/d.json" 'j["tx_hash"]')"
    ev=$(json "$T/d.json" 'sum(1 for e in j["events"] if e["address"].endswith("8006") and e["topics"][3] == "0xe48745e07f62f3700176f1b730ba59da36726118")')
    [ "$ev" = 1 ] || note "no ContractDeployed event for the new address"
else
    note "eravm deploy failed: $(cat "$T/d.err")"
fi
end "full tier: deploy_simple succeeds at the CREATE address, with its hash known and constructed, nonce 2^128+1 and the fee debited"

# --- record and replay, on two engines; a tampered recording is caught
begin
if "$E" deploy --record "$T/rec" "$D/vm-benchmark/lambdaclass/fibonacci_it" >/dev/null 2>"$T/r.err"; then
    for eng in fast simple; do
        "$E" replay --engine $eng "$T/rec" >"$T/rp" 2>&1 || note "replay ($eng): $(cat "$T/rp")"
    done
    sed 's/^stop suspended 0x4 .*/stop suspended 0x4 0x1 0x0/' "$T/rec/transcript" >"$T/tr"
    cp "$T/tr" "$T/rec/transcript"
    "$E" replay "$T/rec" >/dev/null 2>"$T/rp"
    [ $? -eq 1 ] && grep -q MISMATCH "$T/rp" || note "a tampered transcript replayed without a mismatch"
else
    note "deploy --record failed: $(cat "$T/r.err")"
fi
echo "something else" >"$T/transcript"
expect_error "not an eravm-bench transcript" "$E" replay "$T"
end "full tier: a recorded deploy replays on the VM alone (fast and simple engines); a changed stop is a mismatch"

# --- a batch: deploy, executes, a read-only call, a transfer, halts rolled back
begin
"$E" batch --format json tests/batches/counter.json >"$T/b.json" 2>"$T/b.err" ||
    note "counter batch: $(cat "$T/b.err")"
[ "$(json "$T/b.json" 'len(j["transactions"])')" = 11 ] || note "not 11 results"
[ "$(json "$T/b.json" 'j["batch_finished"]')" = True ] || note "the batch did not finish"
# the same batch without its halting transactions ends in the same state
python3 - tests/batches/counter.json "$T/nohalt.json" <<'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
b["transactions"] = [t for t in b["transactions"] if t.get("expect", {}).get("status") != "halt"]
json.dump(b, open(sys.argv[2], "w"))
EOF
"$E" batch --record "$T/r1" tests/batches/counter.json >/dev/null 2>&1
"$E" batch --record "$T/r2" "$T/nohalt.json" >/dev/null 2>"$T/b2.err" || note "batch without halts: $(cat "$T/b2.err")"
same=$(python3 -c "
import json,sys
a=json.load(open('$T/r1/state.json')); b=json.load(open('$T/r2/state.json'))
for k in ('instructions','ergs_left'): a.pop(k); b.pop(k)
print(a==b)")
[ "$same" = True ] || note "halted transactions left a trace in the final state"
"$E" replay "$T/r1" >/dev/null 2>"$T/rp" || note "replay of a batch with rollbacks: $(cat "$T/rp")"
end "full tier: a batch of 11 (deploy, executes, a call, transfers, 4 halts) meets its expectations; halts leave no trace; it replays"

# --- every batch file in tests/batches meets its expectations
begin
n=0
for f in tests/batches/*.json; do
    "$E" batch "$f" >/dev/null 2>"$T/bf.err" || note "$f: $(head -3 "$T/bf.err")"
    n=$((n + 1))
done
end "full tier: all $n batch files in tests/batches meet their expectations (ERC-20 included: 2^128 - 5 after five transfers)"

# --- the LoadnextContract port (workloads/contracts/): its child's hash, the
# generated expectations, and no event beyond the ones they list
begin
"$E" asm workloads/contracts/loadnext_foo.zasm -o "$T/foo.zbin" 2>"$T/ln.err" || note "$(cat "$T/ln.err")"
foo=$("$E" hash "$T/foo.zbin" 2>>"$T/ln.err")
grep -qi "^	\.cell	$foo	; versioned hash of loadnext_foo.zasm" workloads/contracts/loadnext.zasm ||
    note "FOO_HASH in loadnext.zasm is not loadnext_foo.zasm's hash $foo"
if python3 scripts/gen-loadnext.py --out "$T" 2>"$T/gen.err"; then
    cmp -s "$T/batches-loadnext.json" tests/batches/loadnext.json &&
        cmp -s "$T/scenarios-loadnext.json" tests/scenarios/loadnext.json ||
        note "tests/batches or tests/scenarios loadnext.json differ from scripts/gen-loadnext.py's output"
else
    note "gen-loadnext.py: $(head -c 300 "$T/gen.err")"
fi
if "$E" batch --format json tests/batches/loadnext.json >"$T/ln.json" 2>"$T/ln.err"; then
    extra=$(python3 - tests/batches/loadnext.json "$T/ln.json" <<'EOF2'
import json, sys
want, got = json.load(open(sys.argv[1]))["transactions"], json.load(open(sys.argv[2]))["transactions"]
me = got[0]["deployed_address"]
for i, (w, g) in enumerate(zip(want, got)):
    if g["kind"] != "execute":
        continue
    ev = w.get("expect", {}).get("events", [])
    mine = sum(1 for e in g["events"] if e["address"] == me)
    made = sum(1 for e in g["events"] if e["address"].endswith("8006") and e["topics"][1] == me)
    if (mine, made) != (sum(e["address"] == "loadnext" for e in ev), sum(e["address"] == "0x8006" for e in ev)):
        print("transactions[%d]: %d events and %d deploys, not the %d listed" % (i, mine, made, len(ev)))
EOF2
)
    [ -z "$extra" ] || note "$(echo "$extra" | tr "\n" " ")"
else
    note "$(head -c 600 "$T/ln.err" | tr "\n" " ")"
fi
end "loadnext port: Foo's hash is the one it deploys; expectations regenerate unchanged; no unlisted Event or deploy"

# --- expectations that fail, and bad batch files
begin
cat >"$T/bad.json" <<'EOF'
{"transactions": [{"kind": "transfer", "expect": {"status": "revert"}}]}
EOF
"$E" batch "$T/bad.json" >/dev/null 2>"$T/err"
[ $? -eq 1 ] && grep -q 'expected revert, got success' "$T/err" || note "a failed expectation: $(cat "$T/err")"
printf '{"transactions": [{"kind": "transfer", "expct": {}}]}' >"$T/k.json"
expect_error 'transactions\[0\]\.expct: unknown key' "$E" batch "$T/k.json"
printf '{"transactions": [{"kind": "execute", "to": "nobody"}]}' >"$T/n.json"
expect_error "transactions\[0\].to: 'nobody'" "$E" batch "$T/n.json"
printf '{"transactions": [' >"$T/j.json"
expect_error 'batch: .*j.json' "$E" batch "$T/j.json"
printf '{"transactions": [{"kind": "deploy", "bytecode": "missing.zbin"}]}' >"$T/m.json"
expect_error 'missing.zbin' "$E" batch "$T/m.json"
# a changed artifact (hash against its provenance) and an artifact without bytecode
printf '{"transactions": [{"kind": "deploy", "bytecode": {"bytecode": "contracts/uniswap-v3-zksync/artifacts/TestERC20.json", "code_hash": "0x010000d9f64802aecdc8257a855405c4ec90751d5c38cb3f4476b5b6df0aa21d"}}]}' >"$T/h.json"
expect_error "TestERC20.json has versioned hash 0x10000d9f64802aecdc8257a855405c4ec90751d5c38cb3f4476b5b6df0aa21c, not" "$E" batch "$T/h.json"
printf '{"abi": []}' >"$T/nobytecode.json"
printf '{"transactions": [{"kind": "deploy", "bytecode": "nobytecode.json"}]}' >"$T/nb.json"
expect_error "nobytecode.json" "$E" batch "$T/nb.json"
printf '{"transactions": [{"kind": "transfer", "factory_deps": ["x"]}]}' >"$T/td.json"
expect_error "a transfer carries no factory_deps" "$E" batch "$T/td.json"
end "full tier: a failed expectation exits 1 naming it; unknown keys, names, bad JSON, missing files, a changed or bytecode-less artifact get one line"

# --- bad environment: no data, a corrupt bootloader
begin
expect_error "Bootloader.zbin" env ERAVM_DATA="$T/none" "$E" deploy "$D/vm-benchmark/deploy_simple_contract"
mkdir -p "$T/data/system-contracts/zksync-era-multivm_bootloaders/vm_interop/proved_batch.yul"
ln -s "$(cd "$D" && pwd)/system-contracts/anvil-zksync" "$T/data/system-contracts/anvil-zksync"
f=system-contracts/zksync-era-multivm_bootloaders/vm_interop/proved_batch.yul/Bootloader.zbin
python3 -c "
import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[1000]^=1; open(sys.argv[2],'wb').write(b)" "$D/$f" "$T/data/$f"
expect_error "Bootloader.zbin: versioned hash .* expected" env ERAVM_DATA="$T/data" "$E" deploy "$D/vm-benchmark/deploy_simple_contract"
expect_error "deploy: no file given" "$E" deploy
expect_error "unknown option" "$E" deploy --bogus "$D/vm-benchmark/deploy_simple_contract"
end "full tier: a missing data directory or a corrupt bootloader is one line naming the file"

# --- eravm-bench: the full tier is the default for deploy_simple, batches, no signatures
begin
"$B" --workload deploy_simple --runs 2 --warmup 0 --format json >"$T/e.json" 2>"$T/e.err" || note "deploy_simple: $(cat "$T/e.err")"
[ "$(json "$T/e.json" 'j[0]["tier"] + " " + j[0]["status"]')" = "full success" ] || note "deploy_simple is not a successful full-tier run"
[ "$(json "$T/e.json" 'len(j)')" = 1 ] || note "deploy_simple ran $(json "$T/e.json" 'len(j)') rows"
"$B" --workload deploy_simple --tier bare --runs 1 --warmup 0 --format json >"$T/e2.json" 2>/dev/null
[ "$(json "$T/e2.json" 'j[0]["tier"]')" = bare ] || note "--tier bare is not the bare run"
"$B" --workload transfer --batch 10 --runs 1 --warmup 0 --format json >"$T/e3.json" 2>"$T/e3.err" || note "transfer batch: $(cat "$T/e3.err")"
[ "$(json "$T/e3.json" 'j[0]["batch"]')" = 10 ] || note "batch of 10 not reported"
"$B" --workload deploy_simple --no-signatures --runs 1 --warmup 0 --format json >"$T/e4.json" 2>"$T/e4.err" || note "no signatures: $(cat "$T/e4.err")"
[ "$(json "$T/e4.json" 'j[0]["signatures"]')" = False ] || note "--no-signatures not reported"
[ "$(json "$T/e4.json" 'j[0]["instructions"]')" = "$(json "$T/e.json" 'j[0]["instructions"]')" ] ||
    note "skipping signature checks changed the instruction count"
expect_error "batch wants 1 to 5000" "$B" --workload transfer --batch 5001
expect_error "needs the data directory" env ERAVM_DATA="$T/none" "$B" --workload deploy_simple
end "eravm-bench: deploy_simple runs the verified full tier by default (--tier bare the bare run); a batch of 10 transfers; --no-signatures"
