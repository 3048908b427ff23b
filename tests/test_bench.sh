#!/bin/sh
# tests/test_bench.sh — eravm-bench from the outside: every workload gives the
# manifest's status, ergs and instruction count on all three engines (fast,
# counting, simple); the report formats carry the documented keys; bad
# options give one clear line and a non-zero exit.
B=${ERAVM_BENCH:-bin/eravm-bench}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for build in fast counting simple; do
    if "$B" --check --build $build >"$T/check" 2>&1; then
        echo "ok eravm-bench: every workload matches the manifest on the $build engine ($(grep -o 'all [0-9]* workloads' "$T/check"))"
    else
        sed 's/^/  # /' "$T/check" | tail -20
        echo "FAIL eravm-bench: workloads differ from the manifest on the $build engine"
    fi
done

fails=0
note() { echo "  # $*"; fails=$((fails + 1)); }
"$B" --workload deploy_simple --runs 2 --format json >"$T/j" 2>"$T/e" || note "json run failed: $(cat "$T/e")"
for k in workload tier mode status instructions ergs_used ergs_left runs wall_ns min median max ns_per_instr minstr_per_s mgas_per_s peak_rss_kb; do
    grep -q "\"$k\"" "$T/j" || note "json lacks \"$k\""
done
grep -q '"workload": "deploy_simple_contract"' "$T/j" || note "alias deploy_simple did not select deploy_simple_contract"
"$B" --workload synth/add_reg --runs 1 --format csv >"$T/c" 2>/dev/null || note "csv run failed"
head -1 "$T/c" | grep -q '^workload,tier,mode,build,status,instructions,ergs_used,ergs_left,runs,wall_min_ns,wall_median_ns,wall_max_ns,ns_per_instr,minstr_per_s,mgas_per_s$' || note "csv header: $(head -1 "$T/c")"
"$B" --workload synth/add_reg --runs 1 --histogram --pairs --csv-dir "$T" --top 3 --format json >"$T/h" 2>/dev/null || note "histogram run failed"
grep -q '"histogram"' "$T/h" && grep -q '"pairs"' "$T/h" || note "histogram/pairs missing from json"
# 16 x 100000 loop adds + the final add r0, r0, r1
grep -q "^add.reg.reg,add,1600001," "$T/histogram-synth_add_reg-call.csv" || note "histogram csv: $(head -3 "$T/histogram-synth_add_reg-call.csv")"
"$B" --workload synth/add_reg --runs 1 --counters >"$T/k" 2>"$T/ke" || note "counters run failed"
grep -q "counters per run" "$T/k" || note "no counters line"
if [ "$fails" = 0 ]; then echo "ok eravm-bench: json, csv, histogram/pairs CSV and counters reports"; else echo "FAIL eravm-bench reports"; fi

fails=0
one_line() { # pattern, args...
    pat=$1
    shift
    "$B" "$@" >/dev/null 2>"$T/err" && { note "'$*' succeeded"; return; }
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$pat" "$T/err" || note "'$*': $(cat "$T/err")"
}
one_line "unknown option" --frobnicate
one_line "unknown workload" --workload nosuch
one_line "runs" --runs 0
one_line "build" --build turbo
one_line "format" --format xml
one_line "no workload matches" --tier full --mode call
one_line "tier is bare, full or all" --tier turbo
if [ "$fails" = 0 ]; then echo "ok eravm-bench: bad options give one clear line and a non-zero exit"; else echo "FAIL eravm-bench option errors"; fi
