//! Time-based one-time passwords (RFC 6238) as every authenticator app expects
//! them: HMAC-SHA1, 30-second steps, 6 digits, the secret in base32. Pure: the
//! time is handed in. A code is accepted for its step and the one before and
//! after (clocks drift), and never for a step at or before the last one used,
//! so a code cannot be replayed within its window.

use ring::hmac;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Secret bytes (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// Why a code is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeProblem {
    #[error("not six digits")]
    Malformed,
    #[error("wrong or expired code")]
    Wrong,
    #[error("the code was used already")]
    Replayed,
}

/// RFC 4648 base32 without padding, as authenticator apps read secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Base32 back to bytes (spaces and case ignored); `None` if it is not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The step a moment falls in.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code for `step` (RFC 4226's HOTP with the step as the counter).
pub fn code(secret: &[u8], step: i64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &(step as u64).to_be_bytes());
    let h = tag.as_ref();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(DIGITS)
}

/// The step a typed code belongs to, if it is right now and newer than
/// `last_used` (the step of the last code accepted).
pub fn check(secret: &[u8], typed: &str, unix_secs: i64, last_used: i64) -> Result<i64, CodeProblem> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeProblem::Malformed);
    }
    let wanted: u32 = typed.parse().map_err(|_| CodeProblem::Malformed)?;
    let now = step_of(unix_secs);
    let matched = [now - 1, now, now + 1].into_iter().find(|s| code(secret, *s) == wanted);
    match matched {
        Some(s) if s <= last_used => Err(CodeProblem::Replayed),
        Some(s) => Ok(s),
        None => Err(CodeProblem::Wrong),
    }
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let esc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        esc(issuer),
        esc(account),
        base32(secret),
        esc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret and the 8-digit values' last six.
    #[test]
    fn the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, expect) in [
            (59, 94_287_082 % 1_000_000),
            (1_111_111_109, 7_081_804 % 1_000_000),
            (1_111_111_111, 14_050_471 % 1_000_000),
            (1_234_567_890, 89_005_924 % 1_000_000),
            (2_000_000_000, 69_279_037 % 1_000_000),
        ] {
            assert_eq!(code(secret, step_of(t)), expect, "t={t}");
        }
    }

    #[test]
    fn base32_as_rfc_4648() {
        for (bytes, text) in
            [(&b""[..], ""), (b"f", "MY"), (b"fo", "MZXQ"), (b"foo", "MZXW6"), (b"foobar", "MZXW6YTBOI")]
        {
            assert_eq!(base32(bytes), text);
            assert_eq!(from_base32(text).as_deref(), Some(bytes));
        }
        assert_eq!(from_base32("mzxw 6ytb oi").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(from_base32("MZ1"), None);
    }

    #[test]
    fn codes_are_accepted_once_within_their_window() {
        let secret = b"12345678901234567890";
        let t = 1_111_111_109;
        let now = format!("{:06}", code(secret, step_of(t)));
        assert_eq!(check(secret, &now, t, 0), Ok(step_of(t)));
        assert_eq!(check(secret, &now, t, step_of(t)), Err(CodeProblem::Replayed));
        assert_eq!(check(secret, &now, t + STEP_SECS, 0), Ok(step_of(t)), "a step of drift");
        assert_eq!(check(secret, &now, t + 3 * STEP_SECS, 0), Err(CodeProblem::Wrong), "expired");
        assert_eq!(check(secret, "12345", t, 0), Err(CodeProblem::Malformed));
        assert_eq!(check(secret, "abcdef", t, 0), Err(CodeProblem::Malformed));
        let spaced = format!("{} {}", &now[..3], &now[3..]);
        assert!(check(secret, &spaced, t, 0).is_ok(), "as apps show it");
    }

    #[test]
    fn the_uri_names_the_account() {
        let u = uri("WebCTI pbx", "120", b"12345678901234567890");
        assert_eq!(
            u,
            "otpauth://totp/WebCTI%20pbx:120?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=WebCTI%20pbx&algorithm=SHA1&digits=6&period=30"
        );
    }
}
