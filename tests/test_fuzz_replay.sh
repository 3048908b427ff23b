#!/bin/sh
# tests/test_fuzz_replay.sh — replays the saved fuzz crashers
# (tests/fuzz/regress), the committed seeds of a long run (tests/fuzz/seeds)
# and seeds made from the data through the fuzz target in the ordinary
# build: none may crash or trip the target's own checks.
B=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
scripts/fuzz-seeds "$T" >/dev/null
"$B/tests/fuzz_replay" $(ls tests/fuzz/regress/* tests/fuzz/seeds/* 2>/dev/null | grep -v '/\.keep$') "$T"/* 2>&1 | tail -5
