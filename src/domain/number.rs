//! Telephone numbers as the exchange treats them: what may be dialled and what a
//! subscriber may forward to. The portal, the preview, the phonebook and the
//! simulator all ask these functions, so a number one of them accepts is never
//! refused by another. (How numbers are compared: domain::dialplan.)

use super::program::Restriction;

/// The longest number the core dials.
pub const MAX_DIGITS: usize = 32;

/// Why a number is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberProblem {
    #[error("not a number that can be dialled")]
    NotDialable,
    #[error("the extension's own number")]
    OwnNumber,
}

/// A phone number as people write it: digits with spaces, dashes, dots, slashes,
/// brackets, a leading `+`; `*` and `#` for services.
pub fn is_phone_number(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (1..=MAX_DIGITS).contains(&digits)
        && s.len() <= 40
        && s.chars().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || " -./()*#".contains(c) || (c == '+' && s[..i].trim().is_empty())
        })
}

/// The number as it is dialled: what [`is_phone_number`] allows, without the
/// characters people write for readability.
pub fn dial_string(number: &str) -> String {
    number.chars().filter(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#')).collect()
}

/// Whether the core can dial this string as it is: digits, `*`, `#` and `+`.
pub fn is_dialable(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= MAX_DIGITS
        && n.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#' || b == b'+')
}

/// A number typed to be dialled (click-to-call), as the core will dial it.
pub fn to_dial(raw: &str) -> Result<String, NumberProblem> {
    let n = dial_string(raw);
    if is_phone_number(raw.trim()) && is_dialable(&n) {
        Ok(n)
    } else {
        Err(NumberProblem::NotDialable)
    }
}

/// The number a `tel:` link carries (RFC 3966), as written for people: the
/// scheme taken off (any case; a bare number is taken too), percent escapes
/// decoded, parameters after `;` (extensions, phone-context) left out, the
/// visual separators kept. `None` unless that is a phone number.
pub fn from_tel_uri(uri: &str) -> Option<String> {
    let uri = uri.trim();
    let rest = match uri.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => &uri[4..],
        _ => uri,
    };
    let rest = rest.trim_start_matches('/');
    let number = percent_decoded(rest.split(';').next().unwrap_or_default())?;
    let number = number.trim();
    is_phone_number(number).then(|| number.to_owned())
}

/// `%XX` escapes decoded; `None` where they do not make UTF-8 text.
fn percent_decoded(s: &str) -> Option<String> {
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            (b'%', Some(high), Some(low)) => {
                out.push(u8::try_from(high * 16 + low).ok()?);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A forwarding target typed by a subscriber of `own`: `None` when left empty,
/// otherwise the dial string, which must be dialable and not `own` itself.
pub fn forward_target(raw: &str, own: &str) -> Result<Option<String>, NumberProblem> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let n = to_dial(raw)?;
    if n == own {
        return Err(NumberProblem::OwnNumber);
    }
    Ok(Some(n))
}

/// Whether a number leaves the exchange: it starts with the outside prefix or `+`.
pub fn is_outside(number: &str, outside_prefix: &str) -> bool {
    (!outside_prefix.is_empty() && number.starts_with(outside_prefix)) || number.starts_with('+')
}

/// Why the exchange will not dial a number on an extension's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TollProblem {
    /// The phone is locked: nothing outside the exchange.
    #[error("the phone is locked")]
    Locked,
    /// The extension's outgoing restriction does not allow the number.
    #[error("the extension's outgoing calls are restricted")]
    Restricted,
}

/// Whether the exchange may dial `number` on behalf of an extension with this
/// restriction and phone lock: what its subscriber dials, and every number it
/// dials for him (forwarding, rules, follow-me, MobilePhone, callbacks,
/// click-to-call). A locked phone still reaches the exchange's own numbers.
/// The portal checks a setting by this before storing it, and the simulator
/// checks by it again when it routes a call, as a real exchange would.
pub fn dial_on_behalf(
    restriction: Restriction,
    phone_lock: bool,
    number: &str,
    outside_prefix: &str,
) -> Result<(), TollProblem> {
    if phone_lock && is_outside(number, outside_prefix) {
        return Err(TollProblem::Locked);
    }
    if !restriction_allows(restriction, number, outside_prefix) {
        return Err(TollProblem::Restricted);
    }
    Ok(())
}

/// Whether the outgoing restriction lets this number through.
pub fn restriction_allows(r: Restriction, number: &str, outside_prefix: &str) -> bool {
    match r {
        Restriction::None => true,
        Restriction::InternalOnly => !is_outside(number, outside_prefix),
        Restriction::NoInternational => {
            let rest = number.strip_prefix(outside_prefix).unwrap_or(number);
            !(rest.starts_with("00") || number.starts_with('+'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_people_type() {
        let cases: &[(&str, Result<&str, NumberProblem>)] = &[
            ("0221 234-567", Ok("0221234567")),
            ("+48 (22) 123 45 67", Ok("+48221234567")),
            ("*21#", Ok("*21#")),
            ("102", Ok("102")),
            ("", Err(NumberProblem::NotDialable)),
            ("abc", Err(NumberProblem::NotDialable)),
            ("12+3", Err(NumberProblem::NotDialable)),
            ("1;DROP", Err(NumberProblem::NotDialable)),
            (&"9".repeat(33), Err(NumberProblem::NotDialable)),
        ];
        for (raw, expect) in cases {
            assert_eq!(to_dial(raw), expect.map(str::to_owned), "{raw:?}");
        }
    }

    #[test]
    fn tel_links() {
        let cases: &[(&str, Option<&str>)] = &[
            ("tel:+48-22-555-01-02", Some("+48-22-555-01-02")),
            ("TEL:+48%2022%20555%2001%2002", Some("+48 22 555 01 02")),
            ("tel:0221234567;phone-context=+49", Some("0221234567")),
            ("tel:+1-201-555-0123;ext=1234", Some("+1-201-555-0123")),
            ("tel://101", Some("101")),
            ("0600 100 200", Some("0600 100 200")),
            ("tel:*21%23", Some("*21#")),
            ("tel:", None),
            ("tel:call-me", None),
            ("tel:%C3%28", None),
            ("tel:%", None),
            ("mailto:a@example.com", None),
            ("javascript:alert(1)", None),
        ];
        for (uri, number) in cases {
            assert_eq!(from_tel_uri(uri).as_deref(), *number, "{uri}");
        }
    }

    #[test]
    fn forwarding_targets() {
        assert_eq!(forward_target("  ", "100"), Ok(None));
        assert_eq!(forward_target("0600 123 456", "100"), Ok(Some("0600123456".into())));
        assert_eq!(forward_target("100", "100"), Err(NumberProblem::OwnNumber));
        assert_eq!(forward_target("x1", "100"), Err(NumberProblem::NotDialable));
    }

    #[test]
    fn numbers_dialled_on_an_extensions_behalf() {
        use Restriction as R;
        let cases: &[(Restriction, bool, &str, Result<(), TollProblem>)] = &[
            (R::None, false, "0900123456", Ok(())),
            (R::None, true, "0900123456", Err(TollProblem::Locked)),
            (R::None, true, "+48221234567", Err(TollProblem::Locked)),
            (R::None, true, "101", Ok(())),
            (R::InternalOnly, false, "101", Ok(())),
            (R::InternalOnly, false, "0600100100", Err(TollProblem::Restricted)),
            (R::InternalOnly, false, "+48600100100", Err(TollProblem::Restricted)),
            (R::NoInternational, false, "0600100100", Ok(())),
            (R::NoInternational, false, "000491234567", Err(TollProblem::Restricted)),
            (R::NoInternational, true, "101", Ok(())),
        ];
        for (r, lock, n, expect) in cases {
            assert_eq!(dial_on_behalf(*r, *lock, n, "0"), *expect, "{r:?} lock={lock} {n}");
        }
    }

    #[test]
    fn restrictions() {
        let cases = [
            (Restriction::None, "00049301234", true),
            (Restriction::InternalOnly, "101", true),
            (Restriction::InternalOnly, "0221234567", false),
            (Restriction::InternalOnly, "+4930", false),
            (Restriction::NoInternational, "0221234567", true),
            (Restriction::NoInternational, "00049301234", false),
            (Restriction::NoInternational, "+4930", false),
        ];
        for (r, n, expect) in cases {
            assert_eq!(restriction_allows(r, n, "0"), expect, "{r:?} {n}");
        }
    }
}
