//! The end state of a run, as host/record.c writes it to state.json
//! (status, instructions, ergs left, pubdata, storage writes, raw events,
//! L2->L1 logs): read from the recording, taken from vm2, and compared field
//! by field.

use primitive_types::U256;
use zksync_vm2::{interface::StateInterface, VirtualMachine};

use crate::{
    json::{self, Json},
    transcript::word,
    world::{h160_to_u256, hex},
};

/// The EventWriter system contract; vm2 records only its events and keeps
/// no emitter address (zksync_vm2_interface::Event).
pub const EVENT_WRITER: u64 = 0x800d;

/// An event or L2->L1 log: address, key, value, is_first / is_service, tx number.
pub type Log = (U256, U256, U256, bool, u16);

#[derive(Debug, Clone)]
pub struct EndState {
    pub status: String,
    pub instructions: u64,
    pub ergs_left: u32,
    pub pubdata: i64,
    /// (address, key, final value), sorted by (address, key)
    pub storage_writes: Vec<(U256, U256, U256)>,
    pub events: Vec<Log>,
    pub l2_l1_logs: Vec<Log>,
    /// How many storage writes hold their slot's initial value again (vm2's
    /// get_storage_changes() would leave them out); None when read from JSON.
    pub writes_back_to_initial: Option<usize>,
}

impl EndState {
    pub fn from_vm<T, W>(vm: &VirtualMachine<T, W>, status: &str, instructions: u64, ergs_left: u32) -> Self
    where
        T: zksync_vm2::interface::Tracer,
        W: zksync_vm2::World<T>,
    {
        // Every slot written and not rolled back, including slots whose value
        // went back to the initial one: get_storage_state(), not
        // get_storage_changes() (which leaves those out).
        let mut storage_writes: Vec<_> = vm
            .world_diff()
            .get_storage_state()
            .iter()
            .map(|((a, k), e)| (h160_to_u256(*a), *k, e.value))
            .collect();
        storage_writes.sort();
        let diff = vm.world_diff();
        let back = diff
            .get_storage_state()
            .iter()
            .filter(|((a, k), e)| diff.initial_storage_value(*a, *k).is_some_and(|s| s.value == e.value))
            .count();
        let writer = U256::from(EVENT_WRITER);
        EndState {
            status: status.to_string(),
            instructions,
            ergs_left,
            pubdata: i64::from(vm.pubdata()),
            storage_writes,
            events: vm
                .events()
                .map(|e| (writer, e.key, e.value, e.is_first, e.tx_number))
                .collect(),
            l2_l1_logs: vm
                .l2_to_l1_logs()
                .map(|l| (h160_to_u256(l.address), l.key, l.value, l.is_service, l.tx_number))
                .collect(),
            writes_back_to_initial: Some(back),
        }
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        let j = json::parse(text)?;
        let field = |k: &str| j.get(k).ok_or_else(|| format!("no \"{k}\""));
        let int = |k: &str| match field(k)? {
            Json::Int(v) => Ok(*v),
            _ => Err(format!("\"{k}\" is not an integer")),
        };
        let status = match field("status")? {
            Json::Str(s) => s.clone(),
            _ => return Err("\"status\" is not a string".into()),
        };
        let mut storage_writes = Vec::new();
        for item in array(field("storage_writes")?, "storage_writes")? {
            match item {
                Json::Array(v) if v.len() == 3 => {
                    storage_writes.push((jword(&v[0])?, jword(&v[1])?, jword(&v[2])?))
                }
                _ => return Err("a storage write is not [address, key, value]".into()),
            }
        }
        Ok(EndState {
            status,
            instructions: u64::try_from(int("instructions")?).map_err(|e| e.to_string())?,
            ergs_left: u32::try_from(int("ergs_left")?).map_err(|e| e.to_string())?,
            pubdata: int("pubdata")?,
            storage_writes,
            events: logs(field("events")?, "events")?,
            l2_l1_logs: logs(field("l2_l1_logs")?, "l2_l1_logs")?,
            writes_back_to_initial: None,
        })
    }
}

fn array<'a>(j: &'a Json, what: &str) -> Result<&'a [Json], String> {
    match j {
        Json::Array(v) => Ok(v),
        _ => Err(format!("\"{what}\" is not an array")),
    }
}

fn jword(j: &Json) -> Result<U256, String> {
    match j {
        Json::Str(s) => word(s).ok_or_else(|| format!("bad word {s}")),
        _ => Err("expected a 0x-hex string".into()),
    }
}

fn logs(j: &Json, what: &str) -> Result<Vec<Log>, String> {
    let mut out = Vec::new();
    for item in array(j, what)? {
        match item {
            Json::Array(v) if v.len() == 5 => {
                let first = match v[3] {
                    Json::Bool(b) => b,
                    _ => return Err(format!("{what}: flag is not a boolean")),
                };
                let tx = match v[4] {
                    Json::Int(n) => u16::try_from(n).map_err(|e| e.to_string())?,
                    _ => return Err(format!("{what}: tx number is not an integer")),
                };
                out.push((jword(&v[0])?, jword(&v[1])?, jword(&v[2])?, first, tx));
            }
            _ => return Err(format!("{what}: an entry is not [address, key, value, flag, tx]")),
        }
    }
    Ok(out)
}

fn show_log(l: &Log) -> String {
    format!("[{}, {}, {}, {}, {}]", hex(l.0), hex(l.1), hex(l.2), l.3, l.4)
}

fn show_write(w: &(U256, U256, U256)) -> String {
    format!("[{}, {}, {}]", hex(w.0), hex(w.1), hex(w.2))
}

/// Differences between two lists, reported at the first index where they
/// part and by count.
fn diff_list<X: PartialEq>(what: &str, want: &[X], got: &[X], show: impl Fn(&X) -> String, out: &mut Vec<String>) {
    if want == got {
        return;
    }
    let i = want.iter().zip(got).take_while(|(a, b)| a == b).count();
    let w = want.get(i).map_or("(none)".to_string(), &show);
    let g = got.get(i).map_or("(none)".to_string(), &show);
    out.push(format!(
        "{what}: recorded {} entries, vm2 {}; first difference at index {i}: recorded {w}, vm2 {g}",
        want.len(),
        got.len()
    ));
}

/// Storage writes compared as maps: slots only one side wrote, and slots
/// both wrote with different final values.
fn diff_storage(want: &[(U256, U256, U256)], got: &[(U256, U256, U256)], out: &mut Vec<String>) {
    if want == got {
        return;
    }
    let key = |w: &(U256, U256, U256)| (w.0, w.1);
    for w in want {
        match got.iter().find(|g| key(g) == key(w)) {
            None => out.push(format!("storage write only in the recording: {}", show_write(w))),
            Some(g) if g.2 != w.2 => out.push(format!(
                "storage slot {} of {}: recorded final value {}, vm2 {}",
                hex(w.1),
                hex(w.0),
                hex(w.2),
                hex(g.2)
            )),
            Some(_) => {}
        }
    }
    for g in got {
        if !want.iter().any(|w| key(w) == key(g)) {
            out.push(format!("storage write only in vm2: {}", show_write(g)));
        }
    }
}

/// Every difference between the recorded end state and vm2's, one line each.
pub fn compare(want: &EndState, got: &EndState) -> Vec<String> {
    let mut out = Vec::new();
    if want.status != got.status {
        out.push(format!("status: recorded {}, vm2 {}", want.status, got.status));
    }
    if want.instructions != got.instructions {
        out.push(format!("instructions: recorded {}, vm2 {}", want.instructions, got.instructions));
    }
    if want.ergs_left != got.ergs_left {
        out.push(format!("ergs_left: recorded {}, vm2 {}", want.ergs_left, got.ergs_left));
    }
    if want.pubdata != got.pubdata {
        out.push(format!("pubdata: recorded {}, vm2 {}", want.pubdata, got.pubdata));
    }
    diff_storage(&want.storage_writes, &got.storage_writes, &mut out);
    let writer = U256::from(EVENT_WRITER);
    for (i, e) in want.events.iter().enumerate() {
        if e.0 != writer {
            out.push(format!(
                "event {i} was emitted by {}, not the EventWriter: vm2 records only \
                 EventWriter events (zksync_vm2_interface::Event has no address)",
                hex(e.0)
            ));
        }
    }
    diff_list("events", &want.events, &got.events, show_log, &mut out);
    diff_list("l2_l1_logs", &want.l2_l1_logs, &got.l2_l1_logs, show_log, &mut out);
    out
}
