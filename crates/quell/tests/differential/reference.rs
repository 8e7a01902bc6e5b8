//! What both differential tests (`differential.rs`: sysdig on captures vs quell on their JSON
//! Lines twins; `differential_scap.rs`: sysdig vs quell on the same captures) share: running the
//! reference, and the fields a compiled condition reads.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use quell_rules::syntax::{Check, Expr, Operand, Rhs, TArg};

pub type EvtNums = BTreeSet<u64>;

/// `sysdig --version`, or a panic saying how to install it: a differential that cannot run
/// the reference fails.
pub fn require_sysdig() -> String {
    match Command::new("sysdig").arg("--version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        other => panic!("the reference implementation is missing: `sysdig --version` failed ({other:?}); install it with `apt-get install -y sysdig`"),
    }
}

/// A field as a condition reads it: `proc.name`, `proc.aname[2]`, `proc.aname` (no index).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldUse {
    pub name: String,
    pub arg: Option<String>,
}

impl FieldUse {
    /// The flat-event key (`proc.aname[2]`).
    pub fn key(&self) -> String {
        match &self.arg {
            Some(a) => format!("{}[{a}]", self.name),
            None => self.name.clone(),
        }
    }
}

/// Every field an expression reads, transformer arguments and `val()` right-hand sides included.
pub fn fields_read(expr: &Expr) -> BTreeSet<FieldUse> {
    let mut out = BTreeSet::new();
    expr.walk_checks(&mut |check: &Check| {
        walk_operand(&check.lhs, &mut out);
        if let Rhs::Operand(op) = &check.rhs {
            walk_operand(op, &mut out);
        }
    });
    out
}

fn walk_operand(op: &Operand, out: &mut BTreeSet<FieldUse>) {
    match op {
        Operand::Field { name, arg, .. } => {
            out.insert(FieldUse {
                name: name.clone(),
                arg: arg.clone(),
            });
        }
        Operand::Transformer { args, .. } => args.iter().for_each(|a| walk_targ(a, out)),
    }
}

fn walk_targ(arg: &TArg, out: &mut BTreeSet<FieldUse>) {
    match arg {
        TArg::Operand(op) => walk_operand(op, out),
        TArg::Value(_) => {}
        TArg::List(items) => items.iter().for_each(|a| walk_targ(a, out)),
    }
}

/// Runs the reference on a capture with `(<filter>) and evt.dir=<`; returns the matching evt.num
/// set, or the reference's error text.
pub fn sysdig(scap: &Path, filter: &str) -> Result<EvtNums, String> {
    let full = format!("({filter}) and evt.dir=<");
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(scap)
        .args(["-p", "*%evt.num"])
        .arg(&full)
        .output()
        .map_err(|e| format!("cannot run sysdig: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut nums = EvtNums::new();
    let mut junk = String::new();
    for line in stdout.lines() {
        match line.trim().parse::<u64>() {
            Ok(n) => {
                nums.insert(n);
            }
            Err(_) => {
                junk.push_str(line.trim());
                junk.push(' ');
            }
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = format!("{} {}", stderr.trim(), junk.trim())
        .trim()
        .to_string();
    if !out.status.success() || !message.is_empty() {
        return Err(if message.is_empty() {
            format!("sysdig exited with {}", out.status)
        } else {
            message
        });
    }
    Ok(nums)
}

/// Runs every (capture index, filter) job on a few threads; results are keyed by the job.
pub fn run_sysdig_jobs(
    jobs: BTreeSet<(usize, String)>,
    scaps: &[PathBuf],
) -> HashMap<(usize, String), Result<EvtNums, String>> {
    let jobs: Vec<(usize, String)> = jobs.into_iter().collect();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(HashMap::new());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((cap, filter)) = jobs.get(i) else {
                    break;
                };
                let r = sysdig(&scaps[*cap], filter);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert((*cap, filter.clone()), r);
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}
