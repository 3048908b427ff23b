#!/bin/sh
# tests/test_timing_scripts.sh — the timing scripts that compare builds or
# engines run every run on one CPU: scripts/counting-overhead names the CPU
# it pinned (the last it may use, or the one --pin gives) and still gives a
# ratio for each of its workloads; it and scripts/ablation refuse a CPU they
# may not use, a missing value and an unknown option with one line on stderr
# (ablation's come before it builds anything). What the ratios are is a
# measurement (README), not a test.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. tests/lib.sh
CO=scripts/counting-overhead
LAST=$(awk '/^Cpus_allowed_list/ { n = split($2, c, /[-,]/); print c[n] }' /proc/self/status)

# The table's seven rows each with a positive ratio, and the CPU line.
table_ok() { # file, cpu
    rows=$(grep -c '^| [a-z_/]* ([a-z]*) | [0-9.]* | [0-9.]* | [0-9.]*x |$' "$1")
    [ "$rows" -eq 7 ] || note "$rows rows with a ratio, want 7: $(head -c 300 "$1")"
    grep -q '| 0.00 |\| 0.00x |' "$1" && note "a zero time: $(grep '| 0.00' "$1")"
    tail -1 "$1" | grep -q "; CPU: $2\$" || note "last line '$(tail -1 "$1")' does not name CPU $2"
}

begin
if $CO --rounds 1 --runs 1 >"$T/default" 2>"$T/err"; then
    table_ok "$T/default" "$LAST"
else
    note "counting-overhead failed: $(head -c 300 "$T/err")"
fi
end "counting-overhead: a ratio for each workload, all runs on the last CPU it may use"

begin
if $CO --rounds 1 --runs 1 --pin 0 >"$T/pin0" 2>"$T/err"; then
    table_ok "$T/pin0" 0
else
    note "counting-overhead --pin 0 failed: $(head -c 300 "$T/err")"
fi
end "counting-overhead --pin 0: the same table, on CPU 0"

begin
expect_error "cannot pin to CPU '99999'" $CO --pin 99999
expect_error "--pin wants a value" $CO --pin
expect_error "unknown option '--bogus'" $CO --bogus
expect_error "cannot pin to CPU '99999'" scripts/ablation --pin 99999
expect_error "--rounds wants a value" scripts/ablation --rounds
expect_error "unknown option '--bogus'" scripts/ablation --bogus
end "counting-overhead and ablation: bad options are one line on stderr"
