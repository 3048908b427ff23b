//! The world vm2 runs in during a replay: storage reads, write costs,
//! free-slot answers and decommits come from the recording (as host/record.c's
//! replay world gives them), and precompile arithmetic comes from the
//! project's C library (eravm_precompile_run, over FFI), because the
//! vm2-anchor build stubs vm2's own precompiles out. The recording's
//! `ecrecover` shortcut is answered as host/record.c answers it.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    ffi::{c_int, c_void},
    path::PathBuf,
    rc::Rc,
};

use primitive_types::{H160, U256};
use zksync_vm2::{
    interface::Tracer,
    precompiles::{PrecompileMemoryReader, PrecompileOutput, Precompiles},
    Program, StorageInterface, StorageSlot, World,
};

use crate::transcript::Answers;

pub fn h160_to_u256(a: H160) -> U256 {
    U256::from_big_endian(a.as_bytes())
}

pub fn u256_to_h160(v: U256) -> H160 {
    let mut b = [0u8; 32];
    v.to_big_endian(&mut b);
    H160::from_slice(&b[12..])
}

pub fn hex(v: U256) -> String {
    format!("{v:#x}")
}

/* ---- precompiles through the C library ---- */

/// vm/precompile.h: eravm_precompile_abi
#[repr(C)]
struct CPrecompileAbi {
    input_offset: u32,
    input_length: u32,
    output_offset: u32,
    output_length: u32,
    read_page: u32,
    write_page: u32,
    aux: u64,
}

type CMemRead = extern "C" fn(ctx: *mut c_void, page: u32, offset: u64, dst: *mut u8, n: usize);

extern "C" {
    fn eravm_precompile_run(
        address_low: u16,
        abi: *const CPrecompileAbi,
        rd: CMemRead,
        ctx: *mut c_void,
        out: *mut [u64; 4],
    ) -> c_int;
}

/// The precompile's input as vm2's memory reader yields it, and whether the
/// C code asked for bytes outside it (which the reader cannot give).
struct InputWindow {
    bytes: Vec<u8>,
    read_outside: bool,
}

extern "C" fn window_read(ctx: *mut c_void, _page: u32, offset: u64, dst: *mut u8, n: usize) {
    // SAFETY: ctx is the &mut InputWindow passed to eravm_precompile_run
    // below, and dst has room for n bytes (the C caller's contract).
    let w = unsafe { &mut *(ctx as *mut InputWindow) };
    let out = unsafe { std::slice::from_raw_parts_mut(dst, n) };
    for (i, b) in out.iter_mut().enumerate() {
        let at = offset as usize + i;
        *b = match w.bytes.get(at) {
            Some(v) => *v,
            None => {
                w.read_outside = true;
                0
            }
        };
    }
}

const KECCAK256: u16 = 0x8010;
const ECRECOVER: u16 = 0x0001;

#[derive(Default)]
pub struct CPrecompiles {
    /// The recording's ecrecover shortcut: input bytes and the address.
    pub ecrecover: Option<(Box<[u8; 128]>, U256)>,
    /// Problems the precompile hook met (it cannot fail the VM itself).
    pub problems: RefCell<Vec<String>>,
    pub calls: RefCell<u64>,
}

impl Precompiles for CPrecompiles {
    fn call_precompile(
        &self,
        address_low: u16,
        memory: PrecompileMemoryReader<'_>,
        aux_input: u64,
    ) -> PrecompileOutput {
        *self.calls.borrow_mut() += 1;
        // keccak256 takes byte offsets, every other precompile word offsets
        // (vm/precompile.c, zk_evm_abstractions). The C code is handed the
        // input window with offset 0 and its length in the same unit.
        let (bytes, length): (Vec<u8>, u32) = if address_low == KECCAK256 {
            let b: Vec<u8> = memory.collect();
            let n = b.len() as u32;
            (b, n)
        } else {
            let b: Vec<u8> = memory.assume_offset_in_words().collect();
            let n = (b.len() / 32) as u32;
            (b, n)
        };
        if address_low == ECRECOVER && length == 4 {
            if let Some((input, address)) = &self.ecrecover {
                if bytes[..] == input[..] {
                    return PrecompileOutput::from([U256::one(), *address]);
                }
            }
        }
        let abi = CPrecompileAbi {
            input_offset: 0,
            input_length: length,
            output_offset: 0,
            output_length: 0,
            read_page: 0,
            write_page: 0,
            aux: aux_input,
        };
        let mut window = InputWindow { bytes, read_outside: false };
        let mut out = [[0u64; 4]; 4];
        // SAFETY: abi, window and out outlive the call; window_read matches
        // eravm_mem_read_fn; out has ERAVM_PRECOMPILE_MAX_OUT (4) words.
        let n = unsafe {
            eravm_precompile_run(
                address_low,
                &abi,
                window_read,
                &mut window as *mut InputWindow as *mut c_void,
                out.as_mut_ptr(),
            )
        };
        if window.read_outside {
            self.problems.borrow_mut().push(format!(
                "precompile {address_low:#x} read memory outside its stated input \
                 ({length} {}); those bytes were taken as zero",
                if address_low == KECCAK256 { "bytes" } else { "words" }
            ));
        }
        let w: Vec<U256> = out.iter().map(|limbs| U256(*limbs)).collect();
        match n {
            0 => PrecompileOutput::default(),
            1 => PrecompileOutput::from(w[0]),
            2 => PrecompileOutput::from([w[0], w[1]]),
            3 => PrecompileOutput::from([w[0], w[1], w[2]]),
            _ => {
                self.problems.borrow_mut().push(format!(
                    "precompile {address_low:#x} returned {n} words; vm2 takes at most 3"
                ));
                PrecompileOutput::from([w[0], w[1], w[2]])
            }
        }
    }
}

/* ---- the world ---- */

pub struct ReplayWorld<T: Tracer> {
    pub code_dir: PathBuf,
    pub answers: Answers,
    programs: HashMap<U256, Program<T, Self>>,
    pub precompiles: CPrecompiles,
    /// Questions the recording cannot answer, in the order vm2 asked them.
    pub missing: RefCell<Vec<String>>,
    /// vm2's instruction count (the tracer's), to say when a question came.
    clock: Rc<Cell<u64>>,
}

impl<T: Tracer> ReplayWorld<T> {
    pub fn new(code_dir: PathBuf, answers: Answers, clock: Rc<Cell<u64>>) -> Self {
        Self {
            code_dir,
            answers,
            programs: HashMap::new(),
            precompiles: CPrecompiles::default(),
            missing: RefCell::new(Vec::new()),
            clock,
        }
    }

    fn miss(&self, what: String) {
        let at = self.clock.get();
        self.missing.borrow_mut().push(format!("{what} at instruction {at}"));
    }

    /// The bytes of code/<hash>.bin, if the recording has them.
    pub fn code(&self, hash: U256) -> Option<Vec<u8>> {
        std::fs::read(self.code_dir.join(format!("{}.bin", hex(hash)))).ok()
    }
}

impl<T: Tracer> World<T> for ReplayWorld<T> {
    fn decommit(&mut self, hash: U256) -> Program<T, Self> {
        if let Some(p) = self.programs.get(&hash) {
            return p.clone();
        }
        let code = self.code(hash).unwrap_or_else(|| {
            self.miss(format!("the code of {} (decommit)", hex(hash)));
            Vec::new()
        });
        let p = Program::new(&code, false);
        self.programs.insert(hash, p.clone());
        p
    }

    fn decommit_code(&mut self, hash: U256) -> Vec<u8> {
        self.code(hash).unwrap_or_else(|| {
            self.miss(format!("the code of {} (decommit opcode)", hex(hash)));
            Vec::new()
        })
    }

    fn precompiles(&self) -> &impl Precompiles {
        &self.precompiles
    }
}

impl<T: Tracer> StorageInterface for ReplayWorld<T> {
    fn read_storage(&mut self, contract: H160, key: U256) -> StorageSlot {
        let a = h160_to_u256(contract);
        match self.answers.storage.get(&(a, key)) {
            Some(&(value, is_write_initial)) => StorageSlot { value, is_write_initial },
            None => {
                self.miss(format!("storage slot {} of {}", hex(key), hex(a)));
                StorageSlot::EMPTY
            }
        }
    }

    fn cost_of_writing_storage(&mut self, initial: StorageSlot, new_value: U256) -> u32 {
        let k = (initial.value, initial.is_write_initial, new_value);
        match self.answers.cost.get(&k) {
            Some(&c) => c,
            None => {
                self.miss(format!(
                    "the cost of writing {} over {} (initial {})",
                    hex(new_value),
                    hex(initial.value),
                    initial.is_write_initial
                ));
                0
            }
        }
    }

    fn is_free_storage_slot(&self, contract: &H160, key: &U256) -> bool {
        let a = h160_to_u256(*contract);
        match self.answers.free.get(&(a, *key)) {
            Some(&f) => f,
            None => {
                self.miss(format!("whether slot {} of {} is free", hex(*key), hex(a)));
                false
            }
        }
    }
}
