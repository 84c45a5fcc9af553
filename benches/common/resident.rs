//! A process's resident memory, as the benchmarks report it.
#![allow(dead_code)]

/// The process's resident memory in KiB, and under qemu the guest's part of it:
/// without the emulator's own binary, heap and translated code (anonymous
/// executable mappings), which a board running the binary natively does not have.
pub fn resident_kib(pid: u32) -> (u64, u64) {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let emulated = std::env::var("WEBCTI_TEST_RUNNER").is_ok_and(|r| !r.is_empty());
    let (mut total, mut guest) = (0, 0);
    let mut emulator = false;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            let perms = words.next().unwrap_or("");
            let name = line.split_whitespace().nth(5).unwrap_or("");
            emulator = emulated
                && (name.contains("qemu") || name == "[heap]" || (name.is_empty() && perms.contains('x')));
        } else if first == "Rss:" {
            let kib: u64 = words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            total += kib;
            if !emulator {
                guest += kib;
            }
        }
    }
    (total, guest)
}

pub fn mib((total, guest): (u64, u64)) -> String {
    let m = |k: u64| k as f64 / 1024.0;
    if total == guest {
        format!("{:.1} MiB", m(total))
    } else {
        format!("{:.1} MiB (the service {:.1} MiB, qemu {:.1} MiB)", m(total), m(guest), m(total - guest))
    }
}
