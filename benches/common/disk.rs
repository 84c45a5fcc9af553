//! What a process has written to storage, as the flash benchmarks count it.
#![allow(dead_code)]

/// Bytes this process has caused to be written to storage so far
/// (`/proc/self/io` write_bytes: whole blocks, as the flash sees them).
pub fn write_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("write_bytes: ").and_then(|v| v.trim().parse().ok()))
        })
        .unwrap_or(0)
}
