#!/bin/sh
# tests/test_profile.sh — eravm-bench's profiler reports from the outside:
# per-opcode host time adds up to the fast build's measured time within
# ±10% on decode_shl_sub (call), fibonacci_rec (ctor) and call_far (call)
# (best of three attempts: the machine is shared and noisy); the JSON
# "profile" object carries the documented keys (and opcodes timed only as a
# fused group are reported as one); the fusion CSV has the
# superinstruction generator's header; the flamegraphs' instruction and
# ergs weights add up to the run's; the no-PMU path says so once.
B=${ERAVM_BENCH:-bin/eravm-bench}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# ---- it adds up -------------------------------------------------------------
for wm in "decode_shl_sub call" "fibonacci_rec ctor" "call_far call"; do
    set -- $wm
    got=""
    for attempt in 1 2 3; do
        "$B" --workload "$1" --mode "$2" --runs 1 --profile --profile-time 0.3 --format json >"$T/p.json" 2>"$T/p.err" || {
            got="$got run failed: $(head -c 300 "$T/p.err");"
            continue
        }
        r=$($PY - "$T/p.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))[0]["profile"]
print("%.3f %.3f %.3f" % (p["sum_estimated_ns"] / 1e6, p["measured_ns"] / 1e6, p["sum_estimated_ns"] / p["measured_ns"]))
EOF
)
        got="$got attempt $attempt: sum $(echo "$r" | cut -d' ' -f1) ms, measured $(echo "$r" | cut -d' ' -f2) ms, ratio $(echo "$r" | cut -d' ' -f3);"
        if echo "$r" | awk '{ exit !($3 >= 0.9 && $3 <= 1.1) }'; then
            ok=1
            break
        fi
        ok=0
    done
    if [ "$ok" = 1 ]; then
        echo "ok profile adds up: $1 $2:$got"
    else
        echo "FAIL profile does not add up within 10%: $1 $2:$got"
    fi
done

# ---- the JSON profile object, the fusion CSV -----------------------------------
fails=0
note() { echo "  # $*"; fails=$((fails + 1)); }
# 0.6 s of timed blocks: with fibonacci_rec's instructions at about 1.5 ns,
# at 0.1 s some runs resolved no opcode at all, and at 0.3 s still 1 run of 8
# (0-3 of 19 resolved, the build before this change as well); at 0.6 s 2-3
# of 19 in 12 runs of 12. Which opcodes resolve is statistics: under ASan on
# a noisy host (Zen 5) one 0.6 s run in six resolved none, so that property
# gets three attempts (the rest must hold on every one).
resolved=
for attempt in 1 2 3; do
    "$B" --workload fibonacci_rec --mode ctor --runs 1 --profile --profile-time 0.6 --format json \
        --csv-dir "$T" --fusion-csv "$T/fusion.csv" >"$T/p.json" 2>"$T/p.err" || note "profile run failed: $(cat "$T/p.err")"
    $PY - "$T/p.json" >"$T/keys" 2>&1 <<'EOF' || { note "profile json: $(cat "$T/keys")"; break; }
import json, sys
p = json.load(open(sys.argv[1]))[0]["profile"]
for k in ("measured_ns", "sum_estimated_ns", "opcodes"):
    assert k in p, "no " + k
ops = p["opcodes"]
assert ops, "no opcodes"
for o in ops:
    for k in ("name", "count", "ns_mean", "ns_stderr", "resolved"):
        assert k in o, "opcode without " + k
assert sum(o["count"] for o in ops) == 2185075, "counts add up to %d" % sum(o["count"] for o in ops)
# opcodes the blocks cannot tell apart (block columns with cosine >= 0.999:
# one fused record, or a call and the instructions around it): timed counts
# within 1% of each other, and the group's cost is the sum of its members'
groups = {}
for o in ops:
    if "group" in o:
        groups.setdefault(o["group"]["first"], []).append(o)
for first, m in groups.items():
    g = m[0]["group"]
    assert g["members"] == len(m), "group %s: %d members listed, %d found" % (first, g["members"], len(m))
    t = [o["timed"] for o in m]
    assert max(t) <= 1.01 * min(t), "group %s: timed counts differ: %s" % (first, t)
    s = sum(o["ns_mean"] for o in m)
    assert abs(g["ns"] - s) <= 1e-6 * max(1, abs(s)), "group %s: %f ns, members sum to %f" % (first, g["ns"], s)
print(sum(1 for o in ops if o["resolved"]), len(ops))
EOF
    read -r nres nops <"$T/keys"
    resolved="$resolved $nres/$nops"
    [ "$nres" -gt 0 ] && [ "$nres" -lt "$nops" ] && break
    [ "$attempt" = 3 ] && note "no attempt resolved some opcodes and not others (resolved/opcodes:$resolved)"
done
head -1 "$T/fusion.csv" | grep -qx 'a_index,b_index,c_index,a_name,b_name,c_name,count,saving_ns' ||
    note "fusion csv header: $(head -1 "$T/fusion.csv")"
# fib's hottest pair: nop.reg.push -> sub.imm.reg.s!, 242785 times per run
grep -q '^[0-9]*,[0-9]*,,nop.reg.push,sub.imm.reg.s!,,242785,[1-9]' "$T/fusion.csv" || note "fusion csv lacks nop.reg.push -> sub.imm.reg.s!: $(head -3 "$T/fusion.csv")"
grep -q '^[0-9]*,[0-9]*,[0-9][0-9]*,nop.reg.push,sub.imm.reg.s!,jump.imm,242785,' "$T/fusion.csv" || note "fusion csv lacks the triple nop.reg.push -> sub.imm.reg.s! -> jump.imm"
# sequences run in code order: a call and its callee's first instruction are none
! grep -q ',call,nop.reg.push,' "$T/fusion.csv" || note "fusion csv pairs a call with its callee"
[ -s "$T/fusion-fibonacci_rec-ctor.csv" ] || note "no per-workload fusion csv"
if [ "$fails" = 0 ]; then echo "ok profile: json object (measured_ns, sum_estimated_ns, opcodes), fusion csv by variant"; else echo "FAIL profile json / fusion csv"; fi

# ---- flamegraphs ------------------------------------------------------------------
fails=0
"$B" --workload fibonacci_rec --mode ctor --runs 1 --flamegraph "$T/fl" >/dev/null 2>"$T/f.err" || note "flamegraph run failed: $(cat "$T/f.err")"
base=$T/fl/eravm-fibonacci_rec-ctor
for k in instr ergs time; do
    [ -s "$base.$k.folded" ] && [ -s "$base.$k.svg" ] || note "no $k graph"
done
[ "$(awk '{ s += $NF } END { print s }' "$base.instr.folded")" = 2185075 ] || note "instructions do not add up"
[ "$(awk '{ s += $NF } END { print s }' "$base.ergs.folded")" = 17486104 ] || note "ergs do not add up"
grep -q '^0x1234567890abcdef;near@[0-9]*;near@[0-9]*;add ' "$base.time.folded" || note "time graph: no contract;near;near;add stack: $(head -2 "$base.time.folded")"
if [ "$fails" = 0 ]; then echo "ok flamegraph: instruction, ergs and host-time graphs, contract;function;opcode stacks, weights add up"; else echo "FAIL flamegraphs"; fi

# ---- counters without a PMU --------------------------------------------------------
fails=0
ERAVM_BENCH_NO_PMU=1 "$B" --workload synth/nop --workload synth/add_reg --workload deploy_simple --runs 1 --counters --format json >"$T/k.json" 2>"$T/k.err" || note "counters run failed"
[ "$(grep -c 'no hardware performance counters' "$T/k.err")" = 1 ] || note "the no-PMU note is not there exactly once: $(cat "$T/k.err")"
$PY - "$T/k.json" >"$T/kk" 2>&1 <<'EOF' || note "counters json: $(cat "$T/kk")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert sorted(r["tier"] for r in rows) == ["bare", "bare", "full"], [r["tier"] for r in rows]
for row in rows:
    c = row["counters"]
    assert c["hardware"] is False
    assert "task-clock-ns" in c and c["per_instruction"]["task-clock-ns"] > 0
    # the counters count the timed runs alone: their task clock is not far
    # from the measured time (the full tier's resets between runs excluded)
    assert c["task-clock-ns"] < 3 * row["wall_ns"]["max"] + 1e6, (row["workload"], c["task-clock-ns"], row["wall_ns"])
EOF
if [ "$fails" = 0 ]; then echo "ok counters: the forced no-PMU path says so once and counts software events per run and per EraVM instruction, on both tiers"; else echo "FAIL counters without a PMU"; fi
