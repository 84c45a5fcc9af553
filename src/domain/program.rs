//! What the exchange keeps for one extension: forwarding, DND, follow-me,
//! MobilePhone fallbacks, advanced rules and services (SPEC W8, W9). The store
//! keeps it, the core is programmed with it (the wire protocol has its own form
//! of it, `hal::proto::ExtensionProgram`, pinned by golden tests), and
//! [`super::routing`] decides by it.

use super::codes::codes;

/// Everything the core keeps for one extension (SPEC W8, W9): the service
/// re-sends it after every reconnect, so the stored settings stay the truth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionProgram {
    pub forward_always: Option<String>,
    pub forward_busy: Option<String>,
    pub forward_no_answer: Option<String>,
    pub no_answer_secs: u16,
    pub forward_unreachable: Option<String>,
    pub mobile: Option<String>,
    pub mobile_on_no_answer: bool,
    pub mobile_on_dnd: bool,
    pub mobile_on_unreachable: bool,
    /// Do not disturb, with the announcement callers hear.
    pub dnd: Option<u16>,
    /// "I am here": calls follow to this extension.
    pub follow_me: Option<String>,
    pub rules: Vec<ForwardRule>,
    pub phone_lock: bool,
    pub clir: bool,
    pub call_waiting: bool,
    pub call_as: Option<String>,
    /// Minutes after midnight, board time.
    pub wakeup: Option<u16>,
    pub restriction: Restriction,
    pub language: Language,
    /// Where no-answer calls go when nothing else is set (voicemail).
    pub voicemail: bool,
}

/// An advanced forwarding rule (SPEC W9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRule {
    pub active: bool,
    pub when: RuleWhen,
    pub calls: RuleCalls,
    pub presentation: RulePresentation,
    pub target: RuleTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleWhen {
    Always,
    Busy,
    NoAnswer,
    Unreachable,
    Dnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleCalls {
    All,
    Internal,
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulePresentation {
    Any,
    Presented,
    Withheld,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleTarget {
    Number(String),
    Voicemail,
    FaxToMail,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Restriction {
    #[default]
    None,
    InternalOnly,
    NoInternational,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Language {
    Polish,
    #[default]
    English,
    German,
}

codes!(RuleWhen { Always => "always", Busy => "busy", NoAnswer => "no_answer", Unreachable => "unreachable", Dnd => "dnd" });
codes!(RuleCalls { All => "all", Internal => "internal", External => "external" });
codes!(RulePresentation { Any => "any", Presented => "presented", Withheld => "withheld" });
codes!(Restriction { None => "none", InternalOnly => "internal", NoInternational => "national" });

impl RuleTarget {
    /// The kind of target, as forms and the database name it.
    pub fn kind(&self) -> &'static str {
        match self {
            RuleTarget::Number(_) => "number",
            RuleTarget::Voicemail => "voicemail",
            RuleTarget::FaxToMail => "fax_to_mail",
        }
    }

    /// The target of a kind; a number needs one.
    pub fn from_kind(kind: &str, number: Option<String>) -> Option<RuleTarget> {
        match kind {
            "number" => number.map(RuleTarget::Number),
            "voicemail" => Some(RuleTarget::Voicemail),
            "fax_to_mail" => Some(RuleTarget::FaxToMail),
            _ => None,
        }
    }

    /// The number, for a number target.
    pub fn number(&self) -> Option<&str> {
        match self {
            RuleTarget::Number(n) => Some(n),
            _ => None,
        }
    }
}

/// A change a subscriber keys in at his phone (a service code), which the
/// exchange makes and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneChange {
    /// Forward every call to this number, or no longer.
    ForwardAlways(Option<String>),
    /// Do not disturb on or off.
    Dnd(bool),
}

impl PhoneChange {
    /// The exchange's service codes: `*21*NUMBER#` forwards every call,
    /// `#21#` ends that, `*26#` and `#26#` turn DND on and off. `None` for a
    /// number that is not a service code.
    pub fn from_code(keyed: &str) -> Option<PhoneChange> {
        match keyed {
            "#21#" => Some(PhoneChange::ForwardAlways(None)),
            "*26#" => Some(PhoneChange::Dnd(true)),
            "#26#" => Some(PhoneChange::Dnd(false)),
            _ => {
                let number = keyed.strip_prefix("*21*")?.strip_suffix('#')?;
                let plain = !number.is_empty() && number.len() <= 32;
                let digits = number.strip_prefix('+').unwrap_or(number).bytes().all(|b| b.is_ascii_digit());
                (plain && digits).then(|| PhoneChange::ForwardAlways(Some(number.to_owned())))
            }
        }
    }

    /// The program with this change made (DND with the announcement it had, else the first).
    pub fn applied_to(&self, p: &ExtensionProgram) -> ExtensionProgram {
        let mut p = p.clone();
        match self {
            PhoneChange::ForwardAlways(n) => p.forward_always = n.clone(),
            PhoneChange::Dnd(on) => p.dnd = on.then_some(p.dnd.unwrap_or(0)),
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_codes_as_keyed_in() {
        let fwd = |n: &str| Some(PhoneChange::ForwardAlways(Some(n.to_owned())));
        let cases = [
            ("*21*0221555123#", fwd("0221555123")),
            ("*21*+4922155#", fwd("+4922155")),
            ("*21*101#", fwd("101")),
            ("#21#", Some(PhoneChange::ForwardAlways(None))),
            ("*26#", Some(PhoneChange::Dnd(true))),
            ("#26#", Some(PhoneChange::Dnd(false))),
            ("*21*#", None),
            ("*21*12a#", None),
            ("*21*0221555123", None),
            ("0221555123", None),
            ("*99#", None),
        ];
        for (keyed, want) in cases {
            assert_eq!(PhoneChange::from_code(keyed), want, "{keyed}");
        }
    }

    #[test]
    fn a_phone_change_keeps_the_rest_of_the_program() {
        let p = ExtensionProgram { dnd: Some(3), forward_busy: Some("102".into()), ..Default::default() };
        let off = PhoneChange::Dnd(false).applied_to(&p);
        assert_eq!((off.dnd, off.forward_busy.as_deref()), (None, Some("102")));
        assert_eq!(PhoneChange::Dnd(true).applied_to(&off).dnd, Some(0));
        assert_eq!(PhoneChange::Dnd(true).applied_to(&p).dnd, Some(3), "its announcement kept");
        let fwd = PhoneChange::ForwardAlways(Some("0221".into())).applied_to(&p);
        assert_eq!(fwd.forward_always.as_deref(), Some("0221"));
    }

    #[test]
    fn every_code_names_one_value() {
        for w in RuleWhen::ALL {
            assert_eq!(RuleWhen::from_code(w.code()), Some(*w));
        }
        for c in RuleCalls::ALL {
            assert_eq!(RuleCalls::from_code(c.code()), Some(*c));
        }
        for p in RulePresentation::ALL {
            assert_eq!(RulePresentation::from_code(p.code()), Some(*p));
        }
        for r in Restriction::ALL {
            assert_eq!(Restriction::from_code(r.code()), Some(*r));
        }
        assert_eq!(RuleWhen::from_code("sometimes"), None);
        assert_eq!(RuleTarget::from_kind("number", None), None);
        assert_eq!(RuleTarget::from_kind("voicemail", None), Some(RuleTarget::Voicemail));
    }
}
