//! Reading a recording's transcript (format: host/record.h, version 1) into
//! the host's actions, in order, and the world's answers, keyed as
//! host/record.c's replay world keys them (the first answer to a question
//! is the one that counts).

use std::collections::HashMap;

use primitive_types::U256;

pub const MAGIC: &str = "eravm-bench transcript 1";

#[derive(Debug, Clone)]
pub enum Action {
    Settings { default_aa: U256, evm_interpreter: U256, hook_address: u32, hooks: bool },
    Start { address: U256, caller: U256, ergs: u32, heap_bound: u32, exception_handler: u16, program: U256 },
    Heap { offset: u32, bytes: Vec<u8> },
    Run,
    Stop { status: String, hook: u32, instructions: u64, ergs_left: u32 },
    Ergs(u32),
    Snapshot,
    Rollback,
    Pop,
    Ecrecover { input: Box<[u8; 128]>, address: U256 },
}

/// The world's recorded answers.
#[derive(Debug, Default)]
pub struct Answers {
    /// (address, key) -> (value, is_write_initial)
    pub storage: HashMap<(U256, U256), (U256, bool)>,
    /// (initial value, is_initial, new value) -> cost
    pub cost: HashMap<(U256, bool, U256), u32>,
    /// (address, key) -> is free
    pub free: HashMap<(U256, U256), bool>,
}

pub struct Transcript {
    /// (line number, action)
    pub actions: Vec<(usize, Action)>,
    pub answers: Answers,
}

pub fn word(s: &str) -> Option<U256> {
    let h = s.strip_prefix("0x")?;
    if h.is_empty() || h.len() > 64 {
        return None;
    }
    U256::from_str_radix(h, 16).ok()
}

fn num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn num32(s: &str) -> Option<u32> {
    num(s).and_then(|v| u32::try_from(v).ok())
}

fn flag(s: &str) -> Option<bool> {
    match s {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s == "-" {
        return Some(Vec::new());
    }
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn action(f: &[&str]) -> Option<Action> {
    Some(match (f[0], f.len()) {
        ("settings", 5) => Action::Settings {
            default_aa: word(f[1])?,
            evm_interpreter: word(f[2])?,
            hook_address: num32(f[3])?,
            hooks: flag(f[4])?,
        },
        ("start", 7) => Action::Start {
            address: word(f[1])?,
            caller: word(f[2])?,
            ergs: num32(f[3])?,
            heap_bound: num32(f[4])?,
            exception_handler: u16::try_from(num(f[5])?).ok()?,
            program: word(f[6])?,
        },
        ("heap", 3) => Action::Heap { offset: num32(f[1])?, bytes: unhex(f[2])? },
        ("run", 1) => Action::Run,
        ("stop", 5) => Action::Stop {
            status: f[1].to_string(),
            hook: num32(f[2])?,
            instructions: num(f[3])?,
            ergs_left: num32(f[4])?,
        },
        ("ergs", 2) => Action::Ergs(num32(f[1])?),
        ("snapshot", 1) => Action::Snapshot,
        ("rollback", 1) => Action::Rollback,
        ("pop", 1) => Action::Pop,
        ("ecrecover", 3) => Action::Ecrecover {
            input: Box::new(unhex(f[1])?.try_into().ok()?),
            address: word(f[2])?,
        },
        _ => return None,
    })
}

/// Records one world answer; false if the line is malformed.
fn answer(a: &mut Answers, f: &[&str]) -> bool {
    let parsed = match (f[0], f.len()) {
        ("storage", 5) => (|| {
            let k = (word(f[1])?, word(f[2])?);
            a.storage.entry(k).or_insert((word(f[3])?, flag(f[4])?));
            Some(())
        })(),
        ("cost", 5) => (|| {
            let k = (word(f[1])?, flag(f[2])?, word(f[3])?);
            a.cost.entry(k).or_insert(num32(f[4])?);
            Some(())
        })(),
        ("free", 4) => (|| {
            let k = (word(f[1])?, word(f[2])?);
            a.free.entry(k).or_insert(flag(f[3])?);
            Some(())
        })(),
        ("code", 3) => word(f[1]).and(flag(f[2])).map(|_| ()),
        _ => None,
    };
    parsed.is_some()
}

pub fn parse(text: &str, path: &str) -> Result<Transcript, String> {
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(format!("{path}: not an eravm-bench transcript (version 1)"));
    }
    let mut t = Transcript { actions: Vec::new(), answers: Answers::default() };
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let ok = if matches!(f[0], "storage" | "cost" | "free" | "code") {
            answer(&mut t.answers, &f)
        } else if let Some(a) = action(&f) {
            t.actions.push((n, a));
            true
        } else {
            false
        };
        if !ok {
            return Err(format!("{path}:{n}: malformed line"));
        }
    }
    Ok(t)
}
