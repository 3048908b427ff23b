#!/usr/bin/env python3
"""scripts/gen-loadnext.py — writes tests/batches/loadnext.json (the full
tier: upstream's LoadnextContract port deployed and executed through the real
v29 bootloader and system contracts) and tests/scenarios/loadnext.json (the
bare tier: the port's checks, reverts and panics on preset storage). Every
expectation comes from a model of the Solidity source below, not from running
the VM. The JSON files are committed; rerun this after changing the contracts
or the model:  python3 scripts/gen-loadnext.py  (needs bin/eravm for keccak256,
the assembler and the versioned hash); --out DIR writes them to DIR instead.

Source: zksync-era core/lib/test_contracts/contracts/loadnext/loadnext_contract.sol;
the port: workloads/contracts/loadnext.zasm and loadnext_foo.zasm.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
ERAVM = os.path.join(ROOT, "bin", "eravm")
CONTRACTS = "../../workloads/contracts/"   # relative to tests/batches and tests/scenarios
MAX = (1 << 256) - 1

SENDER = 0xb0e5863d0ddf7e105e409fee0ecc0123a362e14b   # funded key 0 (0x2a x 32)
DEPLOYER, ACCOUNT_CODE, NONCE_HOLDER, KNOWN_CODES = 0x8006, 0x8002, 0x8003, 0x8004

SIG_EXECUTE = "execute(uint256,uint256,uint256,uint256,uint256,uint256,uint256)"
SIG_BURN = "burnGas(uint256)"

# upstream's parameter sets (core/tests/vm-benchmark/src/transaction.rs and
# LoadnextContractExecutionParams::default), in execute's argument order:
# reads, initialWrites, repeatedWrites, hashes, events, maxRecursion, deploys
LOAD_TEST = (10, 10, 10, 10, 10, 1, 1)
LOAD_TEST_REALISTIC = (243, 1, 11, 10, 6, 0, 0)
LOAD_TEST_HEAVY = (296, 13, 92, 100, 140, 20, 5)
LOAD_TEST_MAX_READS = 3000         # the deploy's constructor argument
DEPLOY_GAS_LIMIT = 500_000_000     # get_load_test_deploy_tx
EXECUTE_GAS_LIMIT = 10_000_000     # get_load_test_tx


def eravm(*args):
    return subprocess.run([ERAVM, *args], check=True, capture_output=True, text=True).stdout.strip()


def keccak(data: bytes) -> int:
    return int(eravm("keccak", "--hex", data.hex() or "0x"), 16)


def keccak_text(s: str) -> int:
    return int(eravm("keccak", s), 16)


def code_hash(zasm):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "code.zbin")
        eravm("asm", os.path.join(ROOT, "workloads", "contracts", zasm), "-o", out)
        return int(eravm("hash", out), 16)


def word(x):
    return "%064x" % x


def h(x):
    return hex(x)


def create_address(sender, nonce):
    """ContractDeployer.getNewAddressCreate: keccak256(keccak256("zksyncCreate") ‖ sender ‖ nonce)."""
    prefix = keccak_text("zksyncCreate")
    return keccak(bytes.fromhex(word(prefix) + word(sender) + word(nonce))) & ((1 << 160) - 1)


def nonce_key(address):
    """NonceHolder keeps the raw nonce of an address in mapping slot 0."""
    return keccak(bytes.fromhex(word(address) + word(0)))


READ_DATA = keccak(bytes.fromhex(word(0)))     # readArray[i] lives at keccak256(0) + i
WRITE_DATA = keccak(bytes.fromhex(word(1)))    # writeArray[i] at keccak256(1) + i
TOPIC_EVENT = keccak_text("Event(uint256)")
TOPIC_DEPLOYED = keccak_text("ContractDeployed(address,bytes32,address)")
HASH_BYTE = keccak(b"Message for encoding") >> 248   # uint8(keccak256(...)[0])
FOO_NAME = int(b"Foo".hex() + "00" * 28 + "06", 16)  # short string: bytes, 2 * length
SEL = {s: keccak_text(s) >> 224 for s in (SIG_EXECUTE, SIG_BURN, "name()", "Panic(uint256)")}


def calldata(sig, *args):
    return "0x%08x" % SEL[sig] + "".join(word(a) for a in args)


def panic(code):
    return calldata("Panic(uint256)", code)


def abi_string(b: bytes):
    pad = (32 - len(b) % 32) % 32
    return "0x" + word(0x20) + word(len(b)) + b.hex() + "00" * pad


class Loadnext:
    """The Solidity contract's state and execute(), written out plainly."""

    def __init__(self, address, reads):
        self.address = address
        self.read = list(range(reads))
        self.write = []
        self.children = []          # Foo addresses, in creation order

    def execute(self, reads, initial_writes, repeated_writes, hashes, events, max_recursion, deploys):
        """(status, return or revert data, effects). The recursion only forwards
        the same arguments with maxRecursion - 1, so the innermost call has all
        the effects. State changes only on success."""
        if repeated_writes > len(self.read):
            return "revert", "0x", None
        total = 0
        read = list(self.read)
        for i in range(repeated_writes):
            value = read[i]
            total += value
            if total > MAX or value + 1 > MAX:
                return "revert", panic(0x11), None
            read[i] = value + 1
        for i in range(repeated_writes, reads):
            if i >= len(read):
                return "revert", panic(0x32), None
            total += read[i]
            if total > MAX:
                return "revert", panic(0x11), None
        write = self.write + list(range(initial_writes))
        total += hashes * HASH_BYTE
        if total > MAX:
            return "revert", panic(0x11), None
        children = [create_address(self.address, len(self.children) + k) for k in range(deploys)]
        effects = {"read": read, "write": write, "touched": repeated_writes,
                   "pushed": initial_writes, "events": list(range(events)), "children": children}
        return "success", "0x" + word(total), effects

    def commit(self, effects):
        self.read, self.write = effects["read"], effects["write"]
        self.children += effects["children"]


def array_expectations(m, touched, pushed):
    """Slots to check after a transaction: both lengths, the read array's
    elements written (and the one after them), the write array's new
    elements (and the slot past its end, never written)."""
    s = {"0x0": h(len(m.read)), "0x1": h(len(m.write))}
    for i in range(touched + 1):
        if i < len(m.read):
            s[h(READ_DATA + i)] = h(m.read[i])
    for i in range(len(m.write) - pushed, len(m.write) + 1):
        s[h(WRITE_DATA + i)] = h(m.write[i] if i < len(m.write) else 0)
    return s


def execute_tx(m, params, foo_hash):
    """A read-only call that checks the sum, then the transaction that checks
    the effects: storage slot by slot, every Event, every child (its
    ContractDeployed event, code hash, name, and the deployment nonce)."""
    status, out, eff = m.execute(*params)
    txs = [{"kind": "call", "to": "loadnext", "calldata": calldata(SIG_EXECUTE, *params),
            "expect": {"status": status, "return_data": out}}]
    tx = {"kind": "execute", "to": "loadnext", "gas_limit": EXECUTE_GAS_LIMIT,
          "calldata": calldata(SIG_EXECUTE, *params)}
    if status != "success":
        tx["expect"] = {"status": status, "return_data": out,
                        "storage": {"loadnext": array_expectations(m, 1, 0)}}
        if out != "0x":
            tx["expect"]["reason"] = "Panic(0x%x)" % int(out[10:], 16)
        txs.append(tx)
        return txs
    m.commit(eff)
    storage = {"loadnext": array_expectations(m, eff["touched"], eff["pushed"])}
    events = [{"address": "loadnext", "topics": [h(TOPIC_EVENT)], "data": "0x" + word(i)}
              for i in eff["events"]]
    for child in eff["children"]:
        events.append({"address": h(DEPLOYER),
                       "topics": [h(TOPIC_DEPLOYED), h(m.address), h(foo_hash), h(child)], "data": "0x"})
        storage.setdefault(h(ACCOUNT_CODE), {})[h(child)] = h(foo_hash)
        storage[h(child)] = {"0x0": h(FOO_NAME)}
    storage.setdefault(h(NONCE_HOLDER), {})[h(nonce_key(m.address))] = h(len(m.children) << 128)
    tx["expect"] = {"status": "success", "storage": storage}
    if events:
        tx["expect"]["events"] = events
    txs.append(tx)
    return txs


def batch():
    foo_hash = code_hash("loadnext_foo.zasm")
    loadnext_hash = code_hash("loadnext.zasm")
    address = create_address(SENDER, 0)
    m = Loadnext(address, LOAD_TEST_MAX_READS)
    samples = sorted(set(list(range(12)) + list(range(0, LOAD_TEST_MAX_READS, 250)) +
                         list(range(LOAD_TEST_MAX_READS - 3, LOAD_TEST_MAX_READS + 1))))
    ctor_slots = {"0x0": h(LOAD_TEST_MAX_READS), "0x1": "0x0"}
    for i in samples:
        ctor_slots[h(READ_DATA + i)] = h(i if i < LOAD_TEST_MAX_READS else 0)
    txs = [{
        "kind": "deploy", "name": "loadnext", "bytecode": CONTRACTS + "loadnext.zasm",
        "args": "0x" + word(LOAD_TEST_MAX_READS), "factory_deps": [CONTRACTS + "loadnext_foo.zasm"],
        "gas_limit": DEPLOY_GAS_LIMIT,
        "expect": {"status": "success",
                   "storage": {"loadnext": ctor_slots,
                               h(ACCOUNT_CODE): {h(address): h(loadnext_hash)},
                               h(KNOWN_CODES): {h(foo_hash): "0x1"}}}}]
    # hand-checkable: sum 0+1+2+3+4; then 2 repeated writes (0, 1 -> 1, 2), a
    # read of 2, 2 pushes, 1 event, 1 hash (0x6a), 1 Foo: 0+1+2+106 = 109
    txs += [{"kind": "call", "to": "loadnext", "calldata": calldata(SIG_EXECUTE, 5, 0, 0, 0, 0, 0, 0),
             "expect": {"status": "success", "return_data": "0x" + word(10)}}]
    txs += execute_tx(m, (3, 2, 2, 1, 1, 0, 1), foo_hash)
    # two levels of this.execute: readArray[0] 1 -> 2 (sum 1), + readArray[1] = 2
    txs += execute_tx(m, (2, 1, 1, 0, 0, 2, 0), foo_hash)
    # failures leave no trace: require() fails inside the recursion and its
    # empty revert bubbles up; a read past the end is Panic(0x32)
    txs += execute_tx(m, (0, 0, LOAD_TEST_MAX_READS + 1, 0, 0, 1, 0), foo_hash)
    txs += execute_tx(m, (LOAD_TEST_MAX_READS + 1, 0, 0, 0, 0, 0, 0), foo_hash)
    # not payable; arguments missing; a selector it does not have
    txs.append({"kind": "execute", "to": "loadnext", "gas_limit": EXECUTE_GAS_LIMIT, "value": "1",
                "calldata": calldata(SIG_EXECUTE, 1, 1, 1, 1, 1, 0, 0),
                "expect": {"status": "revert", "return_data": "0x",
                           "storage": {"loadnext": array_expectations(m, 1, 0)}}})
    for cd in ("0x%08x" % SEL[SIG_EXECUTE], "0x12345678"):
        txs.append({"kind": "execute", "to": "loadnext", "gas_limit": EXECUTE_GAS_LIMIT, "calldata": cd,
                    "expect": {"status": "revert", "return_data": "0x"}})
    txs.append({"kind": "execute", "to": "loadnext", "gas_limit": EXECUTE_GAS_LIMIT,
                "calldata": calldata(SIG_BURN, 100000), "expect": {"status": "success"}})
    txs.append({"kind": "call", "to": h(m.children[0]), "calldata": calldata("name()"),
                "expect": {"status": "success", "return_data": abi_string(b"Foo")}})
    # upstream's three transactions, in the order vm-benchmark lists them
    for params in (LOAD_TEST, LOAD_TEST_REALISTIC, LOAD_TEST_HEAVY):
        txs += execute_tx(m, params, foo_hash)
    txs.append({"kind": "call", "to": h(m.children[-1]), "calldata": calldata("name()"),
                "expect": {"status": "success", "return_data": abi_string(b"Foo")}})
    return {"keys": 1, "transactions": txs}


# ---- the bare tier: tests/scenarios/loadnext.json ---------------------------

CTOR_RET = "0x" + word(0x20) + word(0)   # the empty immutables array
ct = "conformance/era-compiler-tester/contracts/"


def step(to, cd="0x", expect=None, **kw):
    s = {"to": to, "calldata": cd}
    s.update(kw)
    s["expect"] = expect or {}
    return s


def scenario():
    L, P, F, G, B = "Loadnext", "Preset", "Foo", "FooLong", "FooBad"
    addr = {L: 0x1000000000000000000000000000000000000001, P: 0x1000000000000000000000000000000000000002,
            F: 0x1000000000000000000000000000000000000003, G: 0x1000000000000000000000000000000000000004,
            B: 0x1000000000000000000000000000000000000005}
    long_name = b"a name of forty bytes, kept out of place"
    assert len(long_name) == 40
    long_words = [int((long_name + b"\0" * 24)[k:k + 32].hex(), 16) for k in (0, 32)]
    storage = {
        # readArray = [MAX], writeArray.length = 2^64
        h(addr[P]): {"0x0": "0x1", h(READ_DATA): h(MAX), "0x1": h(1 << 64)},
        h(addr[G]): {"0x0": h(2 * 40 + 1), h(READ_DATA): h(long_words[0]), h(READ_DATA + 1): h(long_words[1])},
        h(addr[B]): {"0x0": h(2 * 5 + 1)},   # out of place, yet 5 bytes: corrupt
    }
    ex = lambda *a: calldata(SIG_EXECUTE, *a)
    ok = lambda rd, **kw: dict(status="ok", returndata=rd, **kw)
    rv = lambda rd="0x", **kw: dict(status="revert", returndata=rd, **kw)
    steps = [
        step(L, "0x" + word(5), rv(), constructor=True, value=1),     # not payable
        step(L, "0x", rv(), constructor=True),                        # no argument
        step(L, "0x" + word(5), ok(CTOR_RET, storage={L: {"0x0": "0x5", h(READ_DATA): "0x0",
                                                           h(READ_DATA + 4): "0x4"}}), constructor=True),
        step(L, ex(5, 0, 2, 0, 0, 0, 0), ok("0x" + word(10), storage={L: {h(READ_DATA): "0x1", h(READ_DATA + 1): "0x2",
                                                                          h(READ_DATA + 2): "0x2"}})),
        step(L, ex(5, 3, 0, 0, 0, 0, 0), ok("0x" + word(12), storage={L: {"0x1": "0x3", h(WRITE_DATA + 2): "0x2"}})),
        # the recursion calls the contract's own address: two levels, same answer
        step(L, ex(5, 0, 0, 0, 0, 2, 0), ok("0x" + word(12))),
        step(L, ex(6, 0, 0, 0, 0, 0, 0), rv(panic(0x32))),
        step(L, ex(6, 0, 0, 0, 0, 1, 0), rv(panic(0x32))),              # bubbles up through this.execute
        step(L, ex(0, 0, 6, 0, 0, 0, 0), rv()),                         # require(repeatedWrites <= length)
        # the real Keccak256 at 0x8010 and EventWriter at 0x800d
        step(L, ex(0, 0, 0, 2, 0, 0, 0), ok("0x" + word(2 * HASH_BYTE))),
        # (EventWriter's raw pairs: (data length << 32 | topics + 1, emitter), (topic, data word))
        step(L, ex(0, 0, 0, 0, 2, 0, 0), ok("0x" + word(0), events=[
            e for i in range(2) for e in (
                {"address": "0x800d", "key": h((32 << 32) | 2), "value": h(addr[L]), "first": True},
                {"address": "0x800d", "key": h(TOPIC_EVENT), "value": h(i), "first": False})])),
        # no ContractDeployer here: the failed call's empty revert is forwarded
        step(L, ex(0, 0, 0, 0, 0, 0, 1), rv()),
        step(L, ex(1, 0, 0, 0, 0, 0, 0), rv(), value=1),
        step(L, calldata(SIG_EXECUTE), rv()),
        step(L, "0x12345678", rv()),
        step(L, "0x", rv()),
        step(L, calldata(SIG_BURN, 1000), ok("0x")),
        # checked arithmetic on preset storage
        step(P, ex(1, 0, 1, 0, 0, 0, 0), rv(panic(0x11))),              # readArray[0] + 1 overflows
        step(P, ex(1, 0, 0, 0, 0, 0, 0), ok("0x" + word(MAX))),
        step(P, ex(0, 1, 0, 0, 0, 0, 0), rv(panic(0x41))),              # push past 2^64 elements
        # Foo: the constructor, the getter's short, long and corrupt paths
        step(F, "0x", rv(), constructor=True, value=1),
        step(F, "0x", ok(CTOR_RET, storage={F: {"0x0": h(FOO_NAME)}}), constructor=True),
        step(F, calldata("name()"), ok(abi_string(b"Foo"))),
        step(F, calldata("name()"), rv(), value=1),
        step(F, "0x06fdde", rv()),
        step(F, "0x12345678", rv()),
        step(G, calldata("name()"), ok(abi_string(long_name))),
        step(B, calldata("name()"), rv(panic(0x22))),
    ]
    return {
        "description": "LoadnextContract and Foo ports (bare tier): constructor, execute's loops, recursion, reverts, Panic(0x11/0x22/0x32/0x41), Foo.name() short/long/corrupt",
        "contracts": [
            {"name": L, "address": h(addr[L]), "bytecode": CONTRACTS + "loadnext.zasm"},
            {"name": P, "address": h(addr[P]), "bytecode": CONTRACTS + "loadnext.zasm"},
            {"name": F, "address": h(addr[F]), "bytecode": CONTRACTS + "loadnext_foo.zasm"},
            {"name": G, "address": h(addr[G]), "bytecode": CONTRACTS + "loadnext_foo.zasm"},
            {"name": B, "address": h(addr[B]), "bytecode": CONTRACTS + "loadnext_foo.zasm"},
            {"name": "Keccak256", "address": "0x8010", "bytecode": ct + "Keccak256.zbin"},
            {"name": "EventWriter", "address": "0x800d", "bytecode": ct + "EventWriter.zbin"},
        ],
        "storage": storage,
        "steps": steps,
    }


def main():
    # --out DIR writes both files to DIR instead (tests/test_full.sh compares them)
    out = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--out" else None
    if len(sys.argv) > 1 and not out:
        print("usage: scripts/gen-loadnext.py [--out DIR]", file=sys.stderr)
        return 2
    for sub, doc in (("batches", batch()), ("scenarios", scenario())):
        path = os.path.join(out, sub + "-loadnext.json") if out else \
            os.path.join(ROOT, "tests", sub, "loadnext.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
