//! The rules for what a subscriber sets on the services and forwarding pages
//! (SPEC W8, W9): each typed value is checked here before anything is stored, and
//! the same checks serve the portal, the JSON API and the CTI server.

use super::number::{dial_on_behalf, forward_target, NumberProblem, TollProblem};
use super::program::{ExtensionProgram, ForwardRule, RuleCalls, RulePresentation, RuleTarget, RuleWhen};

/// Advanced rules one extension may have.
pub const MAX_RULES: usize = 20;
/// The no-answer time a subscriber may choose, in seconds.
pub const NO_ANSWER_SECS: std::ops::RangeInclusive<u16> = 5..=120;

/// Why a forwarding change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ForwardingProblem {
    #[error("not a number that can be dialled")]
    BadNumber,
    #[error("forwarding to the extension itself")]
    ToSelf,
    #[error("the no-answer time must be 5 to 120 seconds")]
    BadSecs,
    #[error("not an extension of this exchange")]
    UnknownExtension,
    #[error("no such announcement")]
    BadAnnouncement,
    #[error("no MobilePhone number is set")]
    NoMobile,
    #[error("a rule is incomplete")]
    BadRule,
    #[error("a rule that forwards to a number needs the number")]
    RuleNeedsNumber,
    #[error("too many rules")]
    TooManyRules,
    /// A target the extension's outgoing restriction does not allow.
    #[error("the extension may not call this number")]
    Restricted,
    /// A target outside the exchange while the phone is locked.
    #[error("the phone is locked: nothing is forwarded outside")]
    Locked,
}

impl From<TollProblem> for ForwardingProblem {
    fn from(p: TollProblem) -> Self {
        match p {
            TollProblem::Locked => ForwardingProblem::Locked,
            TollProblem::Restricted => ForwardingProblem::Restricted,
        }
    }
}

impl From<NumberProblem> for ForwardingProblem {
    fn from(p: NumberProblem) -> Self {
        match p {
            NumberProblem::NotDialable => ForwardingProblem::BadNumber,
            NumberProblem::OwnNumber => ForwardingProblem::ToSelf,
        }
    }
}

/// Why a change of the services page is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ServicesProblem {
    #[error("not a time of day (HH:MM)")]
    BadTime,
    #[error("not a number to call as")]
    BadCallAs,
    /// "Call as" offers only the numbers assigned to the extension.
    #[error("the number is not assigned to the extension")]
    NotAssigned,
    #[error("the account is up to 16 digits")]
    BadAccount,
    #[error("the PIN is four digits")]
    BadPin,
    #[error("a new account needs a PIN")]
    PinNeeded,
}

/// A rule as typed: the words of a form or a JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleDraft {
    pub active: bool,
    pub when: String,
    pub calls: String,
    pub presentation: String,
    pub kind: String,
    pub target: String,
}

/// The rule a draft describes, for the extension `own`.
pub fn rule_from_draft(d: &RuleDraft, own: &str) -> Result<ForwardRule, ForwardingProblem> {
    let when = RuleWhen::from_code(&d.when).ok_or(ForwardingProblem::BadRule)?;
    let calls = RuleCalls::from_code(&d.calls).ok_or(ForwardingProblem::BadRule)?;
    let presentation = RulePresentation::from_code(&d.presentation).ok_or(ForwardingProblem::BadRule)?;
    let number = match d.kind.as_str() {
        "number" => Some(forward_target(&d.target, own)?.ok_or(ForwardingProblem::RuleNeedsNumber)?),
        _ => None,
    };
    let target = RuleTarget::from_kind(&d.kind, number).ok_or(ForwardingProblem::BadRule)?;
    Ok(ForwardRule { active: d.active, when, calls, presentation, target })
}

/// Every number a program has the exchange dial on the extension's behalf:
/// forwarding targets, rules' numbers, "I am here", and the MobilePhone when a
/// fallback uses it.
pub fn numbers_dialled(p: &ExtensionProgram) -> Vec<&str> {
    let mut out: Vec<&str> =
        [&p.forward_always, &p.forward_busy, &p.forward_no_answer, &p.forward_unreachable]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
    out.extend(p.rules.iter().filter_map(|r| match &r.target {
        RuleTarget::Number(n) => Some(n.as_str()),
        _ => None,
    }));
    out.extend(p.follow_me.as_deref());
    if p.mobile_on_no_answer || p.mobile_on_dnd || p.mobile_on_unreachable {
        out.extend(p.mobile.as_deref());
    }
    out
}

/// Whether every number the program dials passes the extension's restriction
/// and phone lock (SPEC X4: a hijacked or restricted extension must not forward
/// to premium or foreign numbers and then call itself).
pub fn check_toll(p: &ExtensionProgram, outside_prefix: &str) -> Result<(), ForwardingProblem> {
    for n in numbers_dialled(p) {
        dial_on_behalf(p.restriction, p.phone_lock, n, outside_prefix)?;
    }
    Ok(())
}

/// The no-answer time as typed.
pub fn no_answer_secs(raw: &str) -> Result<u16, ForwardingProblem> {
    raw.trim().parse::<u16>().ok().filter(|s| NO_ANSWER_SECS.contains(s)).ok_or(ForwardingProblem::BadSecs)
}

/// A wake-up time as typed (`HH:MM`, board time) in minutes after midnight;
/// empty for none.
pub fn wakeup(raw: &str) -> Result<Option<u16>, ServicesProblem> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let (h, m) = s.split_once(':').ok_or(ServicesProblem::BadTime)?;
    let h: u16 = h.parse().map_err(|_| ServicesProblem::BadTime)?;
    let m: u16 = m.parse().map_err(|_| ServicesProblem::BadTime)?;
    if h < 24 && m < 60 {
        Ok(Some(h * 60 + m))
    } else {
        Err(ServicesProblem::BadTime)
    }
}

/// Checks an account recall as typed: an account of up to 16 digits, a PIN of
/// four, and a PIN whenever the account is new (the old one's PIN stays).
pub fn check_recall(
    account: &str,
    pin: &str,
    old_account: &str,
    pin_set: bool,
) -> Result<(), ServicesProblem> {
    if !account.is_empty() && (account.len() > 16 || !account.bytes().all(|b| b.is_ascii_digit())) {
        return Err(ServicesProblem::BadAccount);
    }
    if !pin.is_empty() && (pin.len() != 4 || !pin.bytes().all(|b| b.is_ascii_digit())) {
        return Err(ServicesProblem::BadPin);
    }
    if !account.is_empty() && pin.is_empty() && !(pin_set && account == old_account) {
        return Err(ServicesProblem::PinNeeded);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::program::Restriction;

    #[test]
    fn every_number_dialled_on_the_extensions_behalf_is_checked() {
        let internal_only = ExtensionProgram { restriction: Restriction::InternalOnly, ..Default::default() };
        let rule_to = |n: &str| ForwardRule {
            active: false,
            when: RuleWhen::Busy,
            calls: RuleCalls::All,
            presentation: RulePresentation::Any,
            target: RuleTarget::Number(n.into()),
        };
        let cases: Vec<(&str, ExtensionProgram, Result<(), ForwardingProblem>)> = vec![
            ("nothing set", internal_only.clone(), Ok(())),
            (
                "internal forward",
                ExtensionProgram { forward_always: Some("101".into()), ..internal_only.clone() },
                Ok(()),
            ),
            (
                "always outside",
                ExtensionProgram { forward_always: Some("0900".into()), ..internal_only.clone() },
                Err(ForwardingProblem::Restricted),
            ),
            (
                "busy outside",
                ExtensionProgram { forward_busy: Some("0048".into()), ..internal_only.clone() },
                Err(ForwardingProblem::Restricted),
            ),
            (
                "no answer",
                ExtensionProgram { forward_no_answer: Some("+44".into()), ..internal_only.clone() },
                Err(ForwardingProblem::Restricted),
            ),
            (
                "unreachable",
                ExtensionProgram { forward_unreachable: Some("0601".into()), ..internal_only.clone() },
                Err(ForwardingProblem::Restricted),
            ),
            (
                "an inactive rule too",
                ExtensionProgram { rules: vec![rule_to("0601")], ..internal_only.clone() },
                Err(ForwardingProblem::Restricted),
            ),
            (
                "mobile unused",
                ExtensionProgram { mobile: Some("0601".into()), ..internal_only.clone() },
                Ok(()),
            ),
            (
                "mobile on DND",
                ExtensionProgram {
                    mobile: Some("0601".into()),
                    mobile_on_dnd: true,
                    ..internal_only.clone()
                },
                Err(ForwardingProblem::Restricted),
            ),
            (
                "locked",
                ExtensionProgram {
                    forward_always: Some("0601".into()),
                    phone_lock: true,
                    ..Default::default()
                },
                Err(ForwardingProblem::Locked),
            ),
            (
                "locked, internal",
                ExtensionProgram { follow_me: Some("102".into()), phone_lock: true, ..Default::default() },
                Ok(()),
            ),
        ];
        for (what, p, expect) in cases {
            assert_eq!(check_toll(&p, "0"), expect, "{what}");
        }
    }

    fn draft(when: &str, kind: &str, target: &str) -> RuleDraft {
        RuleDraft {
            active: true,
            when: when.into(),
            calls: "all".into(),
            presentation: "any".into(),
            kind: kind.into(),
            target: target.into(),
        }
    }

    #[test]
    fn rules_as_typed() {
        let cases = [
            (draft("busy", "voicemail", ""), Ok(RuleTarget::Voicemail)),
            (draft("always", "number", "0600 100 200"), Ok(RuleTarget::Number("0600100200".into()))),
            (draft("always", "number", ""), Err(ForwardingProblem::RuleNeedsNumber)),
            (draft("always", "number", "100"), Err(ForwardingProblem::ToSelf)),
            (draft("always", "number", "x"), Err(ForwardingProblem::BadNumber)),
            (draft("sometimes", "voicemail", ""), Err(ForwardingProblem::BadRule)),
            (draft("dnd", "pager", ""), Err(ForwardingProblem::BadRule)),
        ];
        for (d, expect) in cases {
            assert_eq!(rule_from_draft(&d, "100").map(|r| r.target), expect, "{d:?}");
        }
    }

    #[test]
    fn times_and_recall() {
        assert_eq!(wakeup("06:30"), Ok(Some(390)));
        assert_eq!(wakeup(""), Ok(None));
        assert_eq!(wakeup("24:00"), Err(ServicesProblem::BadTime));
        assert_eq!(wakeup("6.30"), Err(ServicesProblem::BadTime));
        assert_eq!(no_answer_secs("20"), Ok(20));
        assert_eq!(no_answer_secs("4"), Err(ForwardingProblem::BadSecs));
        assert_eq!(check_recall("", "", "", false), Ok(()));
        assert_eq!(check_recall("123", "1234", "", false), Ok(()));
        assert_eq!(check_recall("123", "", "123", true), Ok(()), "the old PIN stays");
        assert_eq!(check_recall("124", "", "123", true), Err(ServicesProblem::PinNeeded));
        assert_eq!(check_recall("12a", "1234", "", false), Err(ServicesProblem::BadAccount));
        assert_eq!(check_recall("123", "12345", "", false), Err(ServicesProblem::BadPin));
    }
}
