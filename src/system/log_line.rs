//! The log's writer: every event is one line (SPEC X2). A field that carries
//! what somebody typed (a CR or LF in a form value, a terminal escape) cannot
//! start a forged line or repaint the operator's terminal: control characters
//! inside an event are written as escapes (`\r`, `\n`, `\x1b`).
//!
//! The formatter hands each event over in one write, ending with its newline.

use std::io::{self, Write};

/// Writes each event as one line to the wrapped writer.
pub struct OneLine<W> {
    inner: W,
    /// The formatter's own colours are let through (a terminal), else every
    /// escape character is escaped too.
    ansi: bool,
}

impl<W: Write> OneLine<W> {
    pub fn new(inner: W, ansi: bool) -> OneLine<W> {
        OneLine { inner, ansi }
    }
}

/// `event` with its control characters escaped, and its one newline at the end.
pub fn one_line(event: &[u8], ansi: bool) -> Vec<u8> {
    let body = event.strip_suffix(b"\n").unwrap_or(event);
    let mut out = Vec::with_capacity(body.len() + 1);
    for &b in body {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.push(b),
            0x1b if ansi => out.push(b),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'\n');
    out
}

impl<W: Write> Write for OneLine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_all(&one_line(buf, self.ansi))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Standard error, one line per event.
pub struct Stderr {
    pub ansi: bool,
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Stderr {
    type Writer = OneLine<io::StderrLock<'static>>;

    fn make_writer(&'a self) -> Self::Writer {
        OneLine::new(io::stderr().lock(), self.ansi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_line_break_cannot_forge_a_line() {
        let cases: &[(&[u8], bool, &[u8])] = &[
            (b"INFO login failed extension=100\n", false, b"INFO login failed extension=100\n"),
            (b"INFO x=100\r\nINFO forged\n", false, b"INFO x=100\\r\\nINFO forged\n"),
            (b"INFO x=\x1b[2J\n", false, b"INFO x=\\x1b[2J\n"),
            (b"\x1b[32mINFO\x1b[0m x\n", true, b"\x1b[32mINFO\x1b[0m x\n"),
            (b"no newline", false, b"no newline\n"),
            (b"tab\tkept\n", false, b"tab\tkept\n"),
        ];
        for (event, ansi, expect) in cases {
            assert_eq!(one_line(event, *ansi), *expect, "{:?}", String::from_utf8_lossy(event));
        }
    }
}
