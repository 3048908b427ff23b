#!/usr/bin/env python3
"""scripts/gen-scenarios.py — writes the conformance scenarios in
tests/scenarios/ whose expectations come from the contracts' ABIs and
Solidity semantics (Counter, Primary/Secondary) and from standard vectors
(precompile wrappers). The JSON files are committed; rerun this after
changing it:  python3 scripts/gen-scenarios.py  (reads $ERAVM_DATA).

Selectors are keccak256 of the signatures (`bin/eravm keccak 'set(uint256)'`).
"""
import hashlib
import json
import os
import sys

DATA = os.environ.get("ERAVM_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "scenarios")

SEL = {
    "get()": "6d4ce63c",
    "set(uint256)": "60fe47b1",
    "increment(uint256)": "7cf5dab0",
    "incrementWithRevert(uint256,bool)": "0436dad6",
    "incrementWithRevertPayable(uint256,bool)": "8f9c4749",
    "multiply(uint256)": "c6888fa1",
    "calculate(uint256)": "b9d92de8",
    "shouldRevert()": "d3072d82",
    "name()": "06fdde03",
    "Error(string)": "08c379a0",
    "Panic(uint256)": "4e487b71",
}
MAX = (1 << 256) - 1


def word(x):
    return "%064x" % x


def call(sig, *args):
    return "0x" + SEL[sig] + "".join(word(a) for a in args)


def abi_string(s):
    b = s.encode()
    pad = (32 - len(b) % 32) % 32
    return word(0x20) + word(len(b)) + b.hex() + "00" * pad


def error(msg):
    return "0x" + SEL["Error(string)"] + abi_string(msg)


def panic(code):
    return "0x" + SEL["Panic(uint256)"] + word(code)


# zksolc constructors return the immutables as abi.encode(ImmutableData[]): none here
CTOR_RET = "0x" + word(0x20) + word(0)


def step(to, calldata="0x", expect=None, **kw):
    s = {"to": to, "calldata": calldata}
    s.update(kw)
    s["expect"] = expect or {}
    return s


def counter():
    art = "conformance/anvil-zksync/Counter.json"
    C = "Counter"
    steps = [
        step(C, "0x", {"status": "ok", "returndata": CTOR_RET}, constructor=True),
        step(C, call("get()"), {"status": "ok", "returndata": "0x" + word(0)}),
        step(C, call("set(uint256)", 42), {"status": "ok", "returndata": "0x", "storage": {C: {"0x0": "0x2a"}}}),
        step(C, call("get()"), {"status": "ok", "returndata": "0x" + word(42)}),
        step(C, call("increment(uint256)", 8), {"status": "ok", "storage": {C: {"0x0": "0x32"}}}),
        # Error(string) revert: the increment is rolled back with the transaction
        step(C, call("incrementWithRevert(uint256,bool)", 5, 1),
             {"status": "revert", "returndata": error("This method always reverts"), "storage": {C: {"0x0": "0x32"}}}),
        step(C, call("incrementWithRevert(uint256,bool)", 5, 0),
             {"status": "ok", "returndata": "0x" + word(55), "storage": {C: {"0x0": "0x37"}}}),
        # checked arithmetic: Panic(0x11) on overflow, state kept
        step(C, call("set(uint256)", MAX), {"status": "ok"}),
        step(C, call("increment(uint256)", 1),
             {"status": "revert", "returndata": panic(0x11), "storage": {C: {"0x0": hex(MAX)}}}),
        # no fallback / receive: unknown selector, empty and short calldata revert with no data
        step(C, "0xdeadbeef", {"status": "revert", "returndata": "0x"}),
        step(C, "0x", {"status": "revert", "returndata": "0x"}),
        step(C, "0x6d4c", {"status": "revert", "returndata": "0x"}),
        # value sent to a non-payable function reverts; the payable one accepts it
        step(C, call("set(uint256)", 1), {"status": "revert", "returndata": "0x", "storage": {C: {"0x0": hex(MAX)}}}, value=1),
        step(C, call("set(uint256)", 7), {"status": "ok"}),
        step(C, call("incrementWithRevertPayable(uint256,bool)", 3, 0),
             {"status": "ok", "returndata": "0x" + word(10), "storage": {C: {"0x0": "0xa"}}}, value=5),
        step(C, call("incrementWithRevertPayable(uint256,bool)", 3, 1),
             {"status": "revert", "returndata": error("This method always reverts"), "storage": {C: {"0x0": "0xa"}}}, value=5),
    ]
    return {
        "description": "Counter (anvil-zksync, zksolc): set/get/increment, Error(string) revert with rollback, Panic(0x11), unknown selector, value to non-payable",
        "contracts": [{"name": C, "address": "0x1000000000000000000000000000000000000001", "bytecode": art}],
        "steps": steps,
    }


def primary_secondary():
    P, S = "Primary", "Secondary"
    sec_addr = 0x1000000000000000000000000000000000000002
    steps = [
        step(S, "0x" + word(7), {"status": "ok", "returndata": CTOR_RET, "storage": {S: {"0x0": "0x7"}}}, constructor=True),
        step(S, call("multiply(uint256)", 6), {"status": "ok", "returndata": "0x" + word(42)}),
        step(S, call("name()"), {"status": "ok", "returndata": "0x" + abi_string("Secondary")}),
        step(S, call("shouldRevert()"), {"status": "revert", "returndata": error("This should revert")}),
        step(P, "0x" + word(sec_addr), {"status": "ok", "returndata": CTOR_RET, "storage": {P: {"0x0": hex(sec_addr)}}}, constructor=True),
        step(P, call("name()"), {"status": "ok", "returndata": "0x" + abi_string("Primary")}),
        # a far call into Secondary, and its revert data bubbling up through Primary
        step(P, call("calculate(uint256)", 6), {"status": "ok", "returndata": "0x" + word(42)}),
        step(P, call("calculate(uint256)", 10), {"status": "ok", "returndata": "0x" + word(70)}),
        step(P, call("shouldRevert()"), {"status": "revert", "returndata": error("This should revert")}),
        # checked multiplication inside the callee: Panic(0x11) bubbles up
        step(P, call("calculate(uint256)", MAX), {"status": "revert", "returndata": panic(0x11)}),
    ]
    return {
        "description": "Primary -> Secondary (anvil-zksync, zksolc): constructor arguments, string returns, a cross-contract call, revert data bubbling",
        "contracts": [
            {"name": P, "address": "0x1000000000000000000000000000000000000001", "bytecode": "conformance/anvil-zksync/Primary.json"},
            {"name": S, "address": hex(sec_addr), "bytecode": "conformance/anvil-zksync/Secondary.json"},
        ],
        "steps": steps,
    }


def precompile_wrappers():
    ct = "conformance/era-compiler-tester/contracts/"
    contracts = [
        {"name": "Ecrecover", "address": "0x1", "bytecode": ct + "Ecrecover.zbin"},
        {"name": "SHA256", "address": "0x2", "bytecode": ct + "SHA256.zbin"},
        {"name": "Identity", "address": "0x4", "bytecode": ct + "Identity.zbin"},
        {"name": "EcAdd", "address": "0x6", "bytecode": ct + "EcAdd.zbin"},
        {"name": "EcMul", "address": "0x7", "bytecode": ct + "EcMul.zbin"},
        {"name": "Keccak256", "address": "0x8010", "bytecode": ct + "Keccak256.zbin"},
        {"name": "Modexp", "address": "0x5",
         "bytecode": "system-contracts/anvil-zksync/builtin-contracts-v29/contracts/system-contracts/zkout/Modexp.yul/Modexp.json"},
    ]
    steps = []
    with open(os.path.join(DATA, "conformance/era-compiler-tester/expected-precompile-wrappers.derived.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, _, cd, st, rd = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
            steps.append(step(name, "0x" + cd, {"status": st, "returndata": "0x" + rd}))
    # sha256 and identity of larger inputs, computed here with hashlib
    big = bytes(range(256)) * 5
    steps.append(step("SHA256", "0x" + big.hex(), {"status": "ok", "returndata": "0x" + hashlib.sha256(big).hexdigest()}))
    steps.append(step("Identity", "0x" + big.hex(), {"status": "ok", "returndata": "0x" + big.hex()}))
    # ecrecover: the go-ethereum precompile test vector (v = 28), and v outside 27/28
    h = 0x456e9aea5e197a1f1af7a3e85a3212fa4049a3ba34c2289b4c860fc0b0c64ef3
    r = 0x9242685bf161793cc25603c231bc2f568eb630ea16aa137d2664ac8038825608
    s = 0x4f8ae3bd7535248d0bd448298cc2e2071e56992d0774dc340c368ae950852ada
    addr = 0x7156526fbd7a3c72969b54f64e42c10fbb768c8a
    steps.append(step("Ecrecover", "0x" + word(h) + word(28) + word(r) + word(s),
                      {"status": "ok", "returndata": "0x" + word(addr)}))
    steps.append(step("Ecrecover", "0x" + word(h) + word(29) + word(r) + word(s), {"status": "ok", "returndata": "0x"}))
    # bn254 add / mul: the zksync-protocol vectors
    with open(os.path.join(DATA, "conformance/zksync-protocol/ecadd_tests.json")) as f:
        for t in json.load(f)["tests"]:
            p1, p2, e = t["point_1"], t["point_2"], t["expected"]
            cd = "".join(word(int(v)) for v in (p1["x"], p1["y"], p2["x"], p2["y"]))
            steps.append(step("EcAdd", "0x" + cd, {"status": "ok", "returndata": "0x" + word(int(e["x"])) + word(int(e["y"]))}))
    with open(os.path.join(DATA, "conformance/zksync-protocol/ecmul_tests.json")) as f:
        for t in json.load(f)["tests"]:
            p, e = t["point"], t["expected"]
            cd = word(int(p["x"])) + word(int(p["y"])) + word(int(t["scalar"]))
            steps.append(step("EcMul", "0x" + cd, {"status": "ok", "returndata": "0x" + word(int(e["x"])) + word(int(e["y"]))}))
    # a point not on the curve is refused (Ethereum semantics: the call fails)
    steps.append(step("EcAdd", "0x" + word(1) + word(3) + word(1) + word(2), {"status": "revert"}))
    # modexp (EIP-198 input: three 32-byte lengths, then base, exponent, modulus)
    with open(os.path.join(DATA, "conformance/zksync-protocol/modexp_32-32-32_tests.json")) as f:
        for t in json.load(f)["tests"]:
            cd = word(32) * 3 + word(int(t["base"], 16)) + word(int(t["exponent"], 16)) + word(int(t["modulus"], 16))
            steps.append(step("Modexp", "0x" + cd, {"status": "ok", "returndata": "0x" + word(int(t["expected"], 16))}))
    return {
        "description": "zksolc precompile wrappers calling the VM's precompiles: identity, sha256, keccak256, ecrecover, bn254 add/mul, modexp",
        "contracts": contracts,
        "steps": steps,
    }


def main():
    for name, fn in (("counter", counter), ("primary_secondary", primary_secondary),
                     ("precompile_wrappers", precompile_wrappers)):
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(fn(), f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
