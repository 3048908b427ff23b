#!/bin/sh
# tests/test_pass_model.sh — scripts/pass-model from the outside: a fused
# record's pass closes on its handler with as many EraVM instructions as the
# record has components (the engine's icount read at both ends), every host
# instruction of it inside fast_ handlers, and a model with at least one uop
# an instruction; the counting engine's pass of the same record has the same
# EraVM instructions and more host ones; without --handler it finds a hot
# handler itself (perf's cpu-clock samples) and its pass closes too; bad
# input is one line on stderr. It runs pinned to one CPU (the last it may
# use) unless told --pin none. Where perf cannot sample or gdb cannot trace
# (ptrace refused) the tool says so in one line, and so does this test. The
# model's accuracy is a measurement (README "What bounds a pass"), not a
# test.
B=${ERAVM_BENCH:-bin/eravm-bench}
PM=scripts/pass-model
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh

# the optimised build's handlers inline their helpers and keep icount where
# DWARF finds it; a sanitizer build's (make test-asan) call out and may not
STRICT=1
[ "${BUILD:-build}" = build ] || STRICT=0

# Runs pass-model into $T/NAME.json; true if it ran. Where it could not
# trace or sample here it says why (a comment line), else the case fails.
pm() { # name, pass-model options...
    name=$1
    shift
    "$PM" --bench "$B" "$@" --format json >"$T/$name.json" 2>"$T/$name.err" && return 0
    if grep -q "cannot trace here\|perf" "$T/$name.err"; then
        echo "  # $(cat "$T/$name.err")"
    else
        note "$name: $(head -c 300 "$T/$name.err")"
    fi
    return 1
}
# Runs the python on stdin with ARGS; what it prints is a failure.
check() { # label, args...
    label=$1
    shift
    $PY - "$@" >"$T/check" 2>&1 || echo "python failed" >>"$T/check"
    [ -s "$T/check" ] && note "$label: $(cat "$T/check")"
}

# the quickened twin of decode_shl_sub's fused pass (its keyed twin's, where
# the generator keys it), if the generator still fuses it (vm/engine.gen.h);
# else the hottest handler
H=$( (grep -o 'X(K[0-9]*_708_768_152_314,' vm/engine.gen.h; grep -o 'X(F_708_768_152_314,' vm/engine.gen.h) |
    head -1 | sed 's/X(\(.*\),/fast_\1_e/')

begin
if pm fast --workload decode_shl_sub --mode call ${H:+--handler "$H"} --warm 100 --listing "$T/listing"; then
    check decode_shl_sub "$T/fast.json" "$H" "$STRICT" "$T/listing" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
h, strict = sys.argv[2], sys.argv[3] == "1"
bad = []
if h and r["handler"] != h:
    bad.append("handler %s, want %s" % (r["handler"], h))
if strict and h and r["eravm_instructions"] != len(h.split("_")) - 3:  # fast_F_a_b_c_d_e: 4
    bad.append("%s EraVM instructions a pass, want %d" % (r["eravm_instructions"], len(h.split("_")) - 3))
if not 20 <= r["host_instructions"] <= 2000:
    bad.append("%d host instructions" % r["host_instructions"])
if sum(r["functions"].values()) != r["host_instructions"]:
    bad.append("functions add up to %d" % sum(r["functions"].values()))
if strict and any(not f.startswith("fast_") for f in r["functions"]):
    bad.append("functions outside the fast engine: %s" % sorted(r["functions"]))
if not (r["model_cycles"] > 0 and r["model_uops"] >= r["host_instructions"]):
    bad.append("model: %s cycles, %s uops" % (r["model_cycles"], r["model_uops"]))
if r["dispatch_bound_cycles"] > r["model_cycles"] * 1.01 or r["busiest_port_cycles"] > r["model_cycles"] * 1.01:
    bad.append("a bound above the model's cycles")
if not (r["fused_uops_estimate"] or 0) <= r["model_uops"] or not r["fused_uops_estimate"] >= r["host_instructions"] / 2:
    bad.append("fused-domain estimate %s of %s uops" % (r["fused_uops_estimate"], r["model_uops"]))
if len(open(sys.argv[4]).read().splitlines()) != r["host_instructions"]:
    bad.append("--listing does not have a line an instruction")
# pinned by default to the last CPU it may use, the clock read on both sides of the runs
import os
if r["pinned_cpu"] != max(os.sched_getaffinity(0)):
    bad.append("pinned to %s, want CPU %d" % (r["pinned_cpu"], max(os.sched_getaffinity(0))))
if r["core_ghz"] and not (r["core_ghz_before"] > 0 and r["core_ghz_after"] > 0 and
                          min(r["core_ghz_before"], r["core_ghz_after"]) <= r["core_ghz"] <= max(r["core_ghz_before"], r["core_ghz_after"])):
    bad.append("clock %s, before %s, after %s" % (r["core_ghz"], r["core_ghz_before"], r["core_ghz_after"]))
if bad:
    print("; ".join(bad))
EOF
fi
end "pass-model: decode_shl_sub's fused pass closes with its components' EraVM instructions"

# the counting engine's twin of the same pass: the profiler's records in it
begin
if [ -n "$H" ] && [ "$STRICT" = 1 ] && [ -s "$T/fast.json" ] &&
    pm count --workload decode_shl_sub --mode call --engine counting --warm 100 \
        --handler "$(echo "$H" | sed 's/^fast_/count_/')"; then
    check counting "$T/count.json" "$T/fast.json" <<'EOF'
import json, sys
c, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
if c["eravm_instructions"] != f["eravm_instructions"]:
    bad.append("%s EraVM instructions, the fast pass %s" % (c["eravm_instructions"], f["eravm_instructions"]))
if any(not fn.startswith("count_") for fn in c["functions"]):
    bad.append("functions outside the counting engine: %s" % sorted(c["functions"]))
if not c["host_instructions"] > f["host_instructions"]:
    bad.append("the counting pass (%d) is not longer than the fast one (%d)" % (c["host_instructions"], f["host_instructions"]))
if bad:
    print("; ".join(bad))
EOF
fi
end "pass-model: the counting engine's pass of the same record, longer by the profiler's records"

begin
if pm auto --workload fibonacci_rec --mode ctor --warm 100 --pin none; then
    check fibonacci_rec "$T/auto.json" "$STRICT" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
strict = sys.argv[2] == "1"
bad = []
if not r["handler"].startswith("fast_") or not (r["handler_cpu_share"] or 0) > 0:
    bad.append("handler %s (%s%%)" % (r["handler"], r["handler_cpu_share"]))
if strict and not (r["eravm_instructions"] or 0) > 0:
    bad.append("%s EraVM instructions a pass" % r["eravm_instructions"])
if r["handler"] not in r["functions"]:
    bad.append("the pass never ran its own handler")
if r["pinned_cpu"] is not None:
    bad.append("--pin none pinned to CPU %s" % r["pinned_cpu"])
if bad:
    print("; ".join(bad))
EOF
fi
end "pass-model: finds the hottest handler itself and closes its pass"

begin
expect_error "invalid choice" "$PM" --bench "$B" --workload decode_shl_sub --engine bogus
expect_error "no symbol 'no_such_handler'" "$PM" --bench "$B" --workload decode_shl_sub --mode call --handler no_such_handler
expect_error "unknown workload" "$PM" --bench "$B" --workload no_such_workload --handler fast_S_1039
expect_error "ran fewer than\|cannot trace here" "$PM" --bench "$B" --workload fibonacci_rec --mode call --handler fast_S_1039 --warm 1000
expect_error "not reached again\|cannot trace here" "$PM" --bench "$B" --workload decode_shl_sub --mode call ${H:+--handler "$H"} --max-steps 5
expect_error "unrecognized arguments" "$PM" --workload decode_shl_sub --bogus
expect_error "symbol name" "$PM" --bench "$B" --workload decode_shl_sub --mode call --handler 'a;b'
expect_error "wants a CPU number" "$PM" --bench "$B" --workload decode_shl_sub --pin first
expect_error "not a CPU this process may run on" "$PM" --bench "$B" --workload decode_shl_sub --pin 99999
end "pass-model: bad input is one line on stderr"
