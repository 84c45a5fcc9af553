//! What a provisioning token must be when an administrator makes it: a name
//! people recognise, at least one scope, and an expiry in the future (if any)
//! and within [`MAX_LIFETIME_SECS`].

use super::access::Scope;

/// A name's length at most, in characters.
pub const MAX_NAME: usize = 64;
/// Scopes a token carries at most (there are 16 in all).
pub const MAX_SCOPES: usize = 16;
/// A token may be made to expire up to ten years ahead.
pub const MAX_LIFETIME_SECS: i64 = 10 * 366 * 86_400;
/// What a token's secret starts with, so that scanners of leaked secrets and
/// people reading a script know it for ours.
pub const PREFIX: &str = "wct_";

/// Why a token cannot be made as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    #[error("a token needs a name of at most 64 characters, without control characters")]
    BadName,
    #[error("a token needs at least one scope")]
    NoScope,
    #[error("no such scope")]
    BadScope,
    #[error("the expiry must be in the future, and at most ten years ahead")]
    BadExpiry,
}

/// The name, trimmed, if it is one.
pub fn check_name(name: &str) -> Result<&str, TokenProblem> {
    let name = name.trim();
    let fine = !name.is_empty() && name.chars().count() <= MAX_NAME && !name.chars().any(char::is_control);
    fine.then_some(name).ok_or(TokenProblem::BadName)
}

/// The scopes from their codes: each known, at least one, duplicates dropped.
pub fn parse_scopes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Result<Vec<Scope>, TokenProblem> {
    let mut scopes = Vec::new();
    for code in codes.into_iter().map(str::trim).filter(|c| !c.is_empty()) {
        let scope = Scope::from_code(code).ok_or(TokenProblem::BadScope)?;
        if !scopes.contains(&scope) {
            if scopes.len() == MAX_SCOPES {
                return Err(TokenProblem::BadScope);
            }
            scopes.push(scope);
        }
    }
    match scopes.is_empty() {
        true => Err(TokenProblem::NoScope),
        false => Ok(scopes),
    }
}

/// The scopes as stored: their codes separated by spaces.
pub fn scopes_code(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.code()).collect::<Vec<_>>().join(" ")
}

/// An expiry (Unix seconds) is acceptable at `now`.
pub fn check_expiry(expires_at: Option<i64>, now: i64) -> Result<(), TokenProblem> {
    match expires_at {
        Some(at) if at <= now || at - now > MAX_LIFETIME_SECS => Err(TokenProblem::BadExpiry),
        _ => Ok(()),
    }
}

/// Whether a token is in force at `now`.
pub fn in_force(expires_at: Option<i64>, revoked_at: Option<i64>, now: i64) -> bool {
    revoked_at.is_none() && expires_at.is_none_or(|at| at > now)
}

/// Whether `text` has the shape of one of our secrets (the prefix and 48 hex
/// digits): anything else is refused before the store is asked.
pub fn looks_like_secret(text: &str) -> bool {
    text.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == 48 && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::{Area, Level};

    #[test]
    fn names() {
        for (name, fine) in [
            ("billing export", true),
            ("  padded  ", true),
            ("", false),
            ("   ", false),
            ("tab\there", false),
            (&"x".repeat(64), true),
            (&"x".repeat(65), false),
            (&"ż".repeat(64), true),
        ] {
            assert_eq!(check_name(name).is_ok(), fine, "{name:?}");
        }
        assert_eq!(check_name("  padded  "), Ok("padded"));
    }

    #[test]
    fn scopes() {
        assert_eq!(parse_scopes(["read", " read ", ""]), Ok(vec![Scope::READ]));
        assert_eq!(
            parse_scopes(["read", "calls:write"]),
            Ok(vec![Scope::READ, Scope::of(Area::Calls, Level::Write)])
        );
        assert_eq!(parse_scopes([]), Err(TokenProblem::NoScope));
        assert_eq!(parse_scopes(["", " "]), Err(TokenProblem::NoScope));
        assert_eq!(parse_scopes(["read", "admin"]), Err(TokenProblem::BadScope));
        assert_eq!(scopes_code(&[Scope::READ, Scope::of(Area::Calls, Level::Write)]), "read calls:write");
    }

    #[test]
    fn expiry_and_force() {
        assert_eq!(check_expiry(None, 1000), Ok(()));
        assert_eq!(check_expiry(Some(1001), 1000), Ok(()));
        assert_eq!(check_expiry(Some(1000), 1000), Err(TokenProblem::BadExpiry));
        assert_eq!(check_expiry(Some(1000 + MAX_LIFETIME_SECS + 1), 1000), Err(TokenProblem::BadExpiry));
        assert!(in_force(None, None, 5));
        assert!(in_force(Some(6), None, 5));
        assert!(!in_force(Some(5), None, 5), "expired at its second");
        assert!(!in_force(None, Some(3), 5));
    }

    #[test]
    fn secrets_have_one_shape() {
        let good = format!("{PREFIX}{}", "0123456789abcdef".repeat(3));
        assert!(looks_like_secret(&good));
        assert!(!looks_like_secret(&good[..good.len() - 1]));
        assert!(!looks_like_secret(&good.to_uppercase()));
        assert!(!looks_like_secret(&format!("{good}0")));
        assert!(!looks_like_secret("Bearer"));
        assert!(!looks_like_secret(""));
    }
}
