#!/bin/sh
# tests/test_scenarios.sh — every tests/scenarios/*.json through
# `eravm scenario`, on each engine (the simple one is an independent
# implementation); each must report that all its steps match.
E=${ERAVM:-bin/eravm}
for f in tests/scenarios/*.json; do
    name=$(basename "$f" .json)
    desc=$(sed -n 's/.*"description": *"\([^"]\{0,110\}\).*/\1/p' "$f" | head -1)
    failed=
    for engine in fast counting simple; do
        if ! out=$(ERAVM_ENGINE=$engine "$E" scenario "$f" 2>&1); then
            echo "$out" | sed "s/^/  # $engine: /" | tail -20
            failed="$failed $engine"
        fi
    done
    if [ -z "$failed" ]; then
        echo "ok scenario $name${desc:+: $desc}"
    else
        echo "FAIL scenario $name (on:$failed)"
    fi
done
