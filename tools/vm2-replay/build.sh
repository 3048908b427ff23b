#!/bin/sh
# tools/vm2-replay/build.sh — builds vm2-replay against the vm2-anchor build
# tree (../shared/tools/vm2-anchor/RECIPE.md), offline, with Debian's vendored
# crates, and copies the binary to $OUT.
#   VM2_BUILD   the vm2-anchor build tree ($BUILD of the recipe; it holds
#               src/vm2, src/parity-common, ..., .cargo/config.toml)
#   ERAVM_LIB_DIR  directory with the project's liberavm.a (default: build/)
#   CARGO_TARGET_DIR  cargo's output (default: $VM2_BUILD/target-vm2-replay)
#   OUT         where the binary goes (default: bin/vm2-replay)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${VM2_BUILD:?set VM2_BUILD to the vm2-anchor build tree (e.g. /work/vm2build)}"
VM2_BUILD=$(cd "$VM2_BUILD" && pwd)
src=$VM2_BUILD/src
for d in "$src/vm2/crates/vm2" "$src/parity-common/primitive-types" "$VM2_BUILD/.cargo/config.toml"; do
    [ -e "$d" ] || { echo "build.sh: $d missing: is VM2_BUILD a vm2-anchor build tree?" >&2; exit 1; }
done
export ERAVM_LIB_DIR="${ERAVM_LIB_DIR:-$root/build}"
[ -f "$ERAVM_LIB_DIR/liberavm.a" ] || { echo "build.sh: $ERAVM_LIB_DIR/liberavm.a missing: run make first" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$VM2_BUILD/target-vm2-replay}"
OUT=${OUT:-$root/bin/vm2-replay}
p() { printf 'patch.crates-io.%s.path="%s"' "$1" "$2"; }
cd "$here"
cargo build --release --offline \
    --config "$VM2_BUILD/.cargo/config.toml" \
    --config "$(p zksync_vm2 "$src/vm2/crates/vm2")" \
    --config "$(p primitive-types "$src/parity-common/primitive-types")" \
    --config "$(p uint "$src/parity-common/uint")" \
    --config "$(p fixed-hash "$src/parity-common/fixed-hash")" \
    --config "$(p impl-serde "$src/parity-common/primitive-types/impls/serde")" \
    --config "$(p enum_dispatch "$src/enum_dispatch")" \
    --config "$(p bitflags "$src/bitflags")" \
    --config "$(p ethereum-types "$src/ethereum-types")"
mkdir -p "$(dirname "$OUT")"
cp "$CARGO_TARGET_DIR/release/vm2-replay" "$OUT"
echo "built $OUT"
