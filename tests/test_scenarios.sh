#!/bin/sh
# tests/test_scenarios.sh — every tests/scenarios/*.json through
# `eravm scenario`; each must report that all its steps match.
E=${ERAVM:-bin/eravm}
for f in tests/scenarios/*.json; do
    name=$(basename "$f" .json)
    desc=$(sed -n 's/.*"description": *"\([^"]\{0,110\}\).*/\1/p' "$f" | head -1)
    if out=$("$E" scenario "$f" 2>&1); then
        echo "ok scenario $name${desc:+: $desc}"
    else
        echo "$out" | sed 's/^/  # /' | tail -20
        echo "FAIL scenario $name"
    fi
done
