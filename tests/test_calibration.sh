#!/bin/sh
# tests/test_calibration.sh — the three calibration runs against the
# reference fast VM (issue 3): `eravm run` with address 0x1234567890abcdef,
# caller 0, empty calldata, 30,000,000 ergs, bytecode truncated to an odd
# word count as the upstream benchmark does.
D=${ERAVM_DATA:-../shared/data}
E=${ERAVM:-bin/eravm}
check() { # name, mode flag, file, status, ergs_left, instructions[, storage check]
    name=$1 mode=$2 file=$3
    out=$("$E" run --truncate $mode --address 0x1234567890abcdef --caller 0 --ergs 30000000 \
        --format json "$D/vm-benchmark/$file" 2>&1)
    st=$(echo "$out" | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p')
    el=$(echo "$out" | sed -n 's/.*"ergs_left": \([0-9]*\).*/\1/p')
    ni=$(echo "$out" | sed -n 's/.*"instructions": \([0-9]*\).*/\1/p')
    extra=ok
    if [ -n "${7:-}" ] && ! echo "$out" | grep -q "$7"; then extra="missing $7"; fi
    if [ "$st" = "$4" ] && [ "$el" = "$5" ] && [ "$ni" = "$6" ] && [ "$extra" = ok ]; then
        echo "ok calibration $name: $st, $el ergs left, $ni instructions"
    else
        echo "  # got status=$st ergs_left=$el instructions=$ni ($extra); want $4 $5 $6"
        echo "FAIL calibration $name"
    fi
}
check decode_shl_sub "" decode_shl_sub panic 0 5000001
# fib(25) = 75025 = 0x12511 stored in slot 0 by the constructor
check fibonacci_rec --constructor lambdaclass/fibonacci_rec ok 12513896 2185075 '"0x0": "0x12511"'
check call_far "" call_far panic 0 327869
