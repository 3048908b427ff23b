//! vm2-replay: replays an eravm-bench full-tier recording (host/record.h:
//! transcript, code/, state.json) on matter-labs/vm2, performing the host's
//! actions in order with answers from the recording, and compares every stop
//! (status, hook id, instruction count, ergs left) and the end state with
//! what our VM recorded. The VM semantics come from vm2; the precompile
//! arithmetic comes from the project's C library (see world.rs).
//!
//! Usage: vm2-replay DIR [--trace FROM:TO]
//! Exit status: 0 all equal, 1 a difference (printed), 2 bad input or vm2
//! could not run the recording.

mod json;
mod state;
mod transcript;
mod world;

use std::{
    cell::Cell,
    panic::{catch_unwind, AssertUnwindSafe},
    path::Path,
    process::exit,
    rc::Rc,
};

use primitive_types::U256;
use zksync_vm2::{
    interface::{CallframeInterface, GlobalStateInterface, HeapId, OpcodeType, StateInterface, Tracer},
    ExecutionEnd, Program, Settings, VirtualMachine,
};

use crate::{
    state::EndState,
    transcript::{Action, Transcript},
    world::{h160_to_u256, hex, u256_to_h160, ReplayWorld},
};

/// Counts instructions (before_instruction, the project's convention) and,
/// for instructions FROM..=TO (1-based, counted over the whole recording),
/// prints one line each: number, frame address, pc, opcode, ergs, depth.
/// The count is shared with the world, which notes it with each question
/// the recording cannot answer.
struct Counter {
    n: u64,
    clock: Rc<Cell<u64>>,
    trace: Option<(u64, u64)>,
}

impl Tracer for Counter {
    #[inline(always)]
    fn before_instruction<OP: OpcodeType, S: GlobalStateInterface>(&mut self, state: &mut S) {
        self.n += 1;
        self.clock.set(self.n);
        if let Some((from, to)) = self.trace {
            if self.n >= from && self.n <= to {
                let depth = state.number_of_callframes();
                let f = state.current_frame();
                println!(
                    "trace #{} {} pc {} {:?} ergs {} depth {} sp {}",
                    self.n,
                    hex(h160_to_u256(f.address())),
                    f.program_counter().map_or(-1, i64::from),
                    OP::VALUE,
                    f.gas(),
                    depth,
                    f.stack_pointer()
                );
            }
        }
    }
}

type Vm = VirtualMachine<Counter, ReplayWorld<Counter>>;

fn status_name(end: &ExecutionEnd) -> &'static str {
    match end {
        ExecutionEnd::ProgramFinished(_) => "ok",
        ExecutionEnd::Reverted(_) => "revert",
        ExecutionEnd::Panicked => "panic",
        ExecutionEnd::SuspendedOnHook(_) => "suspended",
        ExecutionEnd::StoppedByTracer => "stopped",
    }
}

/// Host write of arbitrary bytes to the bootloader's heap, through vm2's
/// word-sized write_heap_u256: a partial word keeps the bytes around it.
fn write_heap(vm: &mut Vm, offset: u32, bytes: &[u8]) {
    let mut done = 0usize;
    while done < bytes.len() {
        let at = offset.wrapping_add(done as u32);
        let n = (bytes.len() - done).min(32);
        let mut w = [0u8; 32];
        if n < 32 {
            for (i, b) in w.iter_mut().enumerate() {
                *b = vm.read_heap_byte(HeapId::FIRST, at.wrapping_add(i as u32));
            }
        }
        w[..n].copy_from_slice(&bytes[done..done + n]);
        vm.write_heap_u256(HeapId::FIRST, at, U256::from_big_endian(&w));
        done += n;
    }
}

/// What a replay found.
struct Outcome {
    stops: usize,
    instructions: u64,
    /// differences, the first one first; empty if all equal
    diffs: Vec<String>,
    notes: Vec<String>,
    end: Option<EndState>,
}

struct Replay<'a> {
    dir: &'a Path,
    world: ReplayWorld<Counter>,
    tracer: Counter,
    vm: Option<Vm>,
    settings: Option<(Settings, bool)>,
    last: Option<(String, u32, u32)>, // status, hook, ergs after the latest run
    stops: usize,
    last_good: String,
}

impl Replay<'_> {
    fn start(&mut self, line: usize, a: &Action) -> Result<(), String> {
        let Action::Start { address, caller, ergs, heap_bound, exception_handler, program } = a else {
            unreachable!()
        };
        let (settings, hooks) = self
            .settings
            .clone()
            .ok_or_else(|| format!("transcript:{line}: start before settings"))?;
        let code = self
            .world
            .code(*program)
            .ok_or_else(|| format!("{}: the initial program is missing from code/", self.dir.display()))?;
        let mut vm = VirtualMachine::new(
            u256_to_h160(*address),
            Program::new(&code, hooks),
            u256_to_h160(*caller),
            &[],
            *ergs,
            settings,
        );
        // The initial frame as zksync-era's vm_fast sets it up.
        {
            let mut f = vm.current_frame();
            f.set_stack_pointer(0);
            f.set_heap_bound(*heap_bound);
            f.set_aux_heap_bound(*heap_bound);
            f.set_exception_handler(*exception_handler);
        }
        self.vm = Some(vm);
        Ok(())
    }

    fn vm(&mut self, line: usize) -> Result<&mut Vm, String> {
        self.vm
            .as_mut()
            .ok_or_else(|| format!("transcript:{line}: action before start"))
    }

    /// Compares a recorded stop; Some(difference) if it differs.
    fn stop(&mut self, line: usize, a: &Action) -> Result<Option<String>, String> {
        let Action::Stop { status, hook, instructions, ergs_left } = a else { unreachable!() };
        let (got_status, got_hook, got_ergs) = self
            .last
            .take()
            .ok_or_else(|| format!("transcript:{line}: stop without run"))?;
        self.stops += 1;
        let missing = self.world.missing.borrow().clone();
        if let Some(m) = missing.first() {
            return Ok(Some(format!(
                "transcript:{line}: vm2 asked the world for {m}, which the recording lacks \
                 (vm2's path differs from our VM's); {}",
                self.last_good
            )));
        }
        let got_n = self.tracer.n;
        if *status != got_status || *hook != got_hook || *instructions != got_n || *ergs_left != got_ergs {
            return Ok(Some(format!(
                "transcript:{line}: stop {}: recorded {status} hook {hook:#x} at instruction {instructions} \
                 (ergs {ergs_left}), vm2 {got_status} hook {got_hook:#x} at instruction {got_n} (ergs {got_ergs}); {}",
                self.stops, self.last_good
            )));
        }
        self.last_good = format!("stop {} (transcript:{line}, instruction {got_n}) was equal", self.stops);
        Ok(None)
    }

    fn step(&mut self, line: usize, a: &Action) -> Result<Option<String>, String> {
        match a {
            Action::Settings { default_aa, evm_interpreter, hook_address, hooks } => {
                let mut aa = [0u8; 32];
                let mut evm = [0u8; 32];
                default_aa.to_big_endian(&mut aa);
                evm_interpreter.to_big_endian(&mut evm);
                let s = Settings { default_aa_code_hash: aa, evm_interpreter_code_hash: evm, hook_address: *hook_address };
                self.settings = Some((s, *hooks));
            }
            Action::Start { .. } => {
                if self.vm.is_some() {
                    return Err(format!("transcript:{line}: a second start"));
                }
                self.start(line, a)?;
            }
            Action::Heap { offset, bytes } => write_heap(self.vm(line)?, *offset, bytes),
            Action::Run => {
                let vm = self.vm.as_mut().ok_or_else(|| format!("transcript:{line}: run before start"))?;
                let end = vm.run(&mut self.world, &mut self.tracer);
                let hook = match end {
                    ExecutionEnd::SuspendedOnHook(h) => h,
                    _ => 0,
                };
                let ergs = vm.current_frame().gas();
                self.last = Some((status_name(&end).to_string(), hook, ergs));
            }
            Action::Stop { .. } => return self.stop(line, a),
            Action::Ergs(e) => self.vm(line)?.current_frame().set_gas(*e),
            Action::Snapshot => self.vm(line)?.make_snapshot(),
            Action::Rollback => self.vm(line)?.rollback(),
            Action::Pop => self.vm(line)?.pop_snapshot(),
            Action::Ecrecover { input, address } => {
                self.world.precompiles.ecrecover = Some((input.clone(), *address));
            }
        }
        Ok(None)
    }
}

fn replay(dir: &Path, trace: Option<(u64, u64)>) -> Result<Outcome, String> {
    let tpath = dir.join("transcript");
    let text = std::fs::read_to_string(&tpath).map_err(|e| format!("{}: {e}", tpath.display()))?;
    let Transcript { actions, answers } = transcript::parse(&text, &tpath.display().to_string())?;
    let spath = dir.join("state.json");
    let stext = std::fs::read_to_string(&spath).map_err(|e| format!("{}: {e}", spath.display()))?;
    let want = EndState::from_json(&stext).map_err(|e| format!("{}: {e}", spath.display()))?;

    let clock = Rc::new(Cell::new(0));
    let mut r = Replay {
        dir,
        world: ReplayWorld::new(dir.join("code"), answers, clock.clone()),
        tracer: Counter { n: 0, clock, trace },
        vm: None,
        settings: None,
        last: None,
        stops: 0,
        last_good: "no earlier stop".into(),
    };
    let mut final_status = String::from("none");
    let mut final_ergs = 0u32;
    for (line, a) in &actions {
        let diff = r.step(*line, a)?;
        if let Some((s, _, e)) = &r.last {
            final_status = s.clone();
            final_ergs = *e;
        }
        if let Some(d) = diff {
            let notes = r.world.precompiles.problems.borrow().clone();
            return Ok(Outcome { stops: r.stops, instructions: r.tracer.n, diffs: vec![d], notes, end: None });
        }
    }
    let vm = r.vm.as_ref().ok_or_else(|| format!("{}: no start line", tpath.display()))?;
    if r.last.is_some() {
        return Err(format!("{}: the last run has no stop line", tpath.display()));
    }
    let got = EndState::from_vm(vm, &final_status, r.tracer.n, final_ergs);
    let mut diffs = state::compare(&want, &got);
    if let Some(m) = r.world.missing.borrow().first() {
        diffs.insert(0, format!("vm2 asked the world for {m}, which the recording lacks"));
    }
    let mut notes = r.world.precompiles.problems.borrow().clone();
    notes.push(format!("{} precompile calls answered by eravm_precompile_run", r.world.precompiles.calls.borrow()));
    Ok(Outcome { stops: r.stops, instructions: r.tracer.n, diffs, notes, end: Some(got) })
}

fn usage() -> ! {
    eprintln!("usage: vm2-replay DIR [--trace FROM:TO]");
    exit(2)
}

fn parse_range(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = None;
    let mut trace = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--trace" => {
                i += 1;
                trace = Some(args.get(i).and_then(|s| parse_range(s)).unwrap_or_else(|| {
                    eprintln!("vm2-replay: --trace needs FROM:TO (instruction numbers)");
                    exit(2)
                }));
            }
            "-h" | "--help" => usage(),
            a if a.starts_with("--") => {
                eprintln!("vm2-replay: unknown option {a}");
                exit(2)
            }
            a if dir.is_none() => dir = Some(a.to_string()),
            a => {
                eprintln!("vm2-replay: unexpected argument {a}");
                exit(2)
            }
        }
        i += 1;
    }
    let dir = dir.unwrap_or_else(|| usage());
    // vm2 asserts its own invariants with Rust panics (e.g. a snapshot outside
    // the bootloader); report those as "could not run", not as a crash.
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(|| replay(Path::new(&dir), trace)));
    let outcome = match result {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            eprintln!("vm2-replay: {e}");
            exit(2)
        }
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            eprintln!("vm2-replay: {dir}: vm2 panicked (a Rust panic, not an EraVM panic): {msg}");
            exit(2)
        }
    };
    for n in &outcome.notes {
        println!("note: {n}");
    }
    if outcome.diffs.is_empty() {
        let e = outcome.end.as_ref().expect("end state");
        println!(
            "match {dir}: {} stops, {} instructions, status {}, ergs left {}, pubdata {}, \
             {} storage writes ({} back at their initial value), {} events, {} L2->L1 logs",
            outcome.stops,
            outcome.instructions,
            e.status,
            e.ergs_left,
            e.pubdata,
            e.storage_writes.len(),
            e.writes_back_to_initial.unwrap_or(0),
            e.events.len(),
            e.l2_l1_logs.len()
        );
        exit(0)
    }
    println!("MISMATCH {dir}: {} stops compared, {} instructions on vm2", outcome.stops, outcome.instructions);
    for d in &outcome.diffs {
        println!("  {d}");
    }
    exit(1)
}
