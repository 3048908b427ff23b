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
# unbounded or non-finite values: refused, never allocated or looped on
one_line "--runs wants a number from 1 to 1000000" --workload deploy_simple --runs 1000000000
one_line "--warmup wants a number from 0 to 1000000" --workload deploy_simple --warmup 2000000000
for t in inf 1e308 nan "" 0 -1 3601 5x; do
    one_line "--min-time wants seconds, more than 0 and at most 3600, not '$t'" --workload deploy_simple --min-time "$t"
done
one_line "--engine (--build) is fast, counting or simple, not 'turbo'" --engine turbo
ERAVM_ENGINE=turbo "$B" --list >/dev/null 2>"$T/err" && note "ERAVM_ENGINE=turbo was accepted"
grep -q "ERAVM_ENGINE is fast, counting or simple, not 'turbo'" "$T/err" || note "ERAVM_ENGINE=turbo: $(cat "$T/err")"
one_line "--max-memory wants a size" --max-memory lots
one_line "cannot read the manifest $T: is a directory" --manifest "$T"
mkdir -p "$T/ro" && chmod 555 "$T/ro"
if [ ! -w "$T/ro" ]; then # root writes anywhere: use a path under a file instead
    one_line "--csv-dir: cannot create or write to the directory" --workload deploy_simple --histogram --csv-dir "$T/ro/x"
fi
: >"$T/afile"
one_line "--csv-dir: cannot create or write to the directory" --workload deploy_simple --pairs --csv-dir "$T/afile/x"
one_line "--flamegraph: cannot create or write to the directory" --workload deploy_simple --flamegraph "$T/afile/x"
if [ -c /dev/full ]; then
    one_line "cannot write /dev/full" --workload deploy_simple --runs 1 --output /dev/full
    "$B" --list >/dev/full 2>"$T/err" && note "--list >/dev/full exited 0"
    grep -q "cannot write standard output" "$T/err" || note "--list >/dev/full: $(cat "$T/err")"
fi
if [ "$fails" = 0 ]; then echo "ok eravm-bench: bad options give one clear line and a non-zero exit"; else echo "FAIL eravm-bench option errors"; fi

# --- the manifest: every field checked -------------------------------------------
fails=0
row() { printf 'synth/nop\tbare\tcall\tsynth:nop\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >"$T/m.tsv"; }
"$B" --list | awk '$1 == "synth/nop" && $3 == "call" {print $4, $5, $6}' >"$T/nop"
read -r nop_status nop_instr nop_used <"$T/nop"
row 30000000 "$nop_status" "$nop_used" "$nop_instr"
"$B" --manifest "$T/m.tsv" --check >/dev/null 2>&1 || note "a hand-written manifest row does not check"
row 0 "$nop_status" "$nop_used" "$nop_instr" # ergs 0 = the default 30,000,000: used must not wrap
"$B" --manifest "$T/m.tsv" --check >"$T/out" 2>&1 || note "ergs 0 (the default): $(cat "$T/out")"
for bad in "abc ergs" "-5 ergs" "4294967296 ergs" "30000000x ergs"; do
    set -- $bad
    row "$1" "$nop_status" "$nop_used" "$nop_instr"
    one_line "m.tsv:1: ergs is a decimal number below 2^32 (got '$1')" --manifest "$T/m.tsv" --check
done
row 30000000 fine "$nop_used" "$nop_instr"
one_line "m.tsv:1: a bare workload's status is ok, revert, panic or -" --manifest "$T/m.tsv" --check
printf 'nop\tfull\tcall\tsynth:nop\t0\tsuccess\t1\t1\n' >"$T/m.tsv"
one_line "m.tsv:1: a full-tier workload's mode is deploy, transfer or execute" --manifest "$T/m.tsv" --check
row 30000000 "$nop_status" -7 "$nop_instr"
one_line "m.tsv:1: ergs used is a decimal number" --manifest "$T/m.tsv" --check
row 30000000 "$nop_status" "$nop_used" 99999999999999999999999
one_line "m.tsv:1: instructions is a decimal number" --manifest "$T/m.tsv" --check
printf '%s\tbare\tcall\tsynth:nop\t1\tok\t1\t1\n' "$(printf 'n%.0s' $(seq 70))" >"$T/m.tsv"
one_line "m.tsv:1: name is empty or longer than 63 characters" --manifest "$T/m.tsv" --check
# a run that fails leaves no half-written --output behind
row 30000000 "$nop_status" 1 "$nop_instr"
"$B" --manifest "$T/m.tsv" --runs 1 --output "$T/report.json" >/dev/null 2>&1 && note "a mismatching workload was timed"
[ ! -e "$T/report.json" ] || note "a failed run left --output behind"
if [ "$fails" = 0 ]; then echo "ok eravm-bench: manifest numbers, statuses and names are checked; ergs 0 means the default"; else echo "FAIL eravm-bench manifest checks"; fi

# --- engine names, run counts ------------------------------------------------------
fails=0
"$B" --workload synth/nop --mode call --engine simple --runs 1 >"$T/out" 2>&1 || note "--engine simple failed"
grep -q '^build: simple; 1 timed runs' "$T/out" || note "--engine simple: $(tail -1 "$T/out")"
ERAVM_ENGINE=counting "$B" --workload synth/nop --mode call --runs 1 >"$T/out" 2>&1 || note "ERAVM_ENGINE=counting failed"
grep -q '^build: counting;' "$T/out" || note "ERAVM_ENGINE=counting: $(tail -1 "$T/out")"
"$B" --workload synth/nop --mode call --runs 2 --min-time 0.3 >"$T/out" 2>&1 || note "--min-time run failed"
n=$(sed -n 's/^build: fast; \([0-9]*\) timed runs.*/\1/p' "$T/out")
[ -n "$n" ] && [ "$n" -gt 2 ] || note "--min-time 0.3 reports $(tail -1 "$T/out"), not the runs it made"
if [ "$fails" = 0 ]; then echo "ok eravm-bench: --engine (alias --build, default \$ERAVM_ENGINE); the footer counts the runs made"; else echo "FAIL eravm-bench engine names and run counts"; fi

# --- keyed twins: on by default, counted in the report; --no-keyed decodes
# without them and the results stay the manifest's ---------------------------
fails=0
keyed() { # options...: the report's keyed_twins
    "$B" --workload decode_shl_sub --mode call --runs 1 --warmup 0 --format json "$@" 2>"$T/err" |
        sed -n 's/.*"keyed_twins": *\([0-9]*\).*/\1/p' | head -1
}
k=$(keyed)
[ -n "$k" ] && [ "$k" -gt 0 ] || note "default: keyed_twins '$k', want some ($(head -c 200 "$T/err"))"
k=$(keyed --no-keyed)
[ "$k" = 0 ] || note "--no-keyed: keyed_twins '$k', want 0"
"$B" --workload decode_shl_sub --workload access_memory --check --no-keyed >"$T/out" 2>&1 ||
    note "--no-keyed --check: $(tail -2 "$T/out")"
"$B" --workload synth/nop --mode call --runs 1 --no-keyed >"$T/out" 2>&1 && grep -q '^keyed twins: 0$' "$T/out" ||
    note "--no-keyed: the footer says '$(grep keyed "$T/out")'"
if [ "$fails" = 0 ]; then echo "ok eravm-bench: keyed twins on by default (keyed_twins in the report), --no-keyed without them, same results"; else echo "FAIL eravm-bench --no-keyed"; fi
