//! Secrets from the operating system's random source.

use std::io;

/// Letters and digits that cannot be mistaken for one another when read aloud or
/// typed from a console (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A one-time code like `K7QX-M2PA-W9TR-C4HE` (80 bits).
pub fn secret_code() -> io::Result<String> {
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[uniform(ALPHABET.len())?] as char);
    }
    Ok(out)
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `n` random bytes as lowercase hex: session ids, tokens.
pub fn hex_token(n: usize) -> io::Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(io::Error::other)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A uniformly random index below `n` (rejection sampling, no modulo bias).
fn uniform(n: usize) -> io::Result<usize> {
    let limit = 256 - (256 % n);
    loop {
        let mut b = [0u8; 1];
        getrandom::fill(&mut b).map_err(io::Error::other)?;
        if (b[0] as usize) < limit {
            return Ok(b[0] as usize % n);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_have_the_expected_shape_and_differ() {
        let a = super::secret_code().expect("random");
        let b = super::secret_code().expect("random");
        assert_eq!(a.len(), 19);
        assert_eq!(a.matches('-').count(), 3);
        assert_ne!(a, b);
        assert_eq!(super::hex_token(16).expect("random").len(), 32);
    }
}
