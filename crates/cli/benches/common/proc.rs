//! CPU time and memory of a process and all its descendants, read from `/proc` (Linux), so that
//! two programs built differently (one process, or a parent with workers) are measured the same
//! way. Shared by the benches that include it with `#[path = "common/proc.rs"] mod proc_tree;`.

use std::collections::HashMap;

/// Clock ticks per second of `utime`/`stime` in `/proc/PID/stat` (`getconf CLK_TCK`; 100 on
/// every Linux this runs on).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of a process tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct TreeSample {
    /// User + system CPU seconds of the live processes of the tree, plus what their reaped
    /// children used (`cutime`, `cstime`).
    pub cpu_seconds: f64,
    /// Sum of `VmRSS` (kB): shared pages count once per process.
    pub rss_kb: u64,
    /// Sum of `Pss` from `smaps_rollup` (kB): shared pages divided among their users.
    pub pss_kb: u64,
    pub processes: usize,
}

struct Stat {
    ppid: u32,
    ticks: f64,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is parenthesized and may contain spaces: fields start after the last ')'.
    let rest = text.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    Some(Stat {
        ppid: fields.get(1)?.parse().ok()?,
        ticks: num(11) + num(12) + num(13) + num(14),
    })
}

/// User + system CPU seconds of one process (and of its children it has reaped).
pub fn cpu_seconds(pid: u32) -> f64 {
    stat(pid).map_or(0.0, |s| s.ticks / TICKS_PER_SECOND)
}

/// One `kB` field of `/proc/PID/<file>` (`status`: `VmRSS:`, `VmHWM:`; `smaps_rollup`: `Pss:`).
pub fn status_kb(pid: u32, file: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// `root` and every process descended from it, `root` first.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(s) = stat(pid) {
                children.entry(s.ppid).or_default().push(pid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(kids) = children.get(&out[i]) {
            out.extend(kids);
        }
        i += 1;
    }
    out
}

/// CPU and memory of `root`'s tree now.
pub fn sample(root: u32) -> TreeSample {
    let mut s = TreeSample::default();
    for pid in tree(root) {
        if stat(pid).is_none() {
            continue;
        }
        s.cpu_seconds += cpu_seconds(pid);
        s.rss_kb += status_kb(pid, "status", "VmRSS:");
        s.pss_kb += status_kb(pid, "smaps_rollup", "Pss:");
        s.processes += 1;
    }
    s
}
