//! The wire's own forms of the records the protocol carries: a finished call and
//! what the core keeps for an extension. They mirror `domain::cdr::Cdr` and
//! `domain::program::ExtensionProgram` field for field today, but they are the
//! protocol's: the conversions below are the one place the two meet, so a new
//! field in a domain type is a compile error here, never a protocol change by
//! accident. Their encoding is pinned by the golden tests.

use serde::{Deserialize, Serialize};

use crate::domain::cdr as d;
use crate::domain::program as p;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Outgoing,
    Incoming,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Disposition {
    Answered,
    Missed,
    Busy,
    AnsweredElsewhere,
    Voicemail,
    Failed,
}

/// A finished call, one subscriber's side of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cdr {
    pub core_id: u64,
    pub extension: String,
    pub direction: Direction,
    pub disposition: Disposition,
    pub peer: String,
    pub external: bool,
    pub withheld: bool,
    pub voicemail_listen: bool,
    pub answered_by: Option<String>,
    pub started_at: i64,
    pub ring_secs: u32,
    pub talk_secs: u32,
}

/// Everything the core keeps for one extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    pub dnd: Option<u16>,
    pub follow_me: Option<String>,
    pub rules: Vec<ForwardRule>,
    pub phone_lock: bool,
    pub clir: bool,
    pub call_waiting: bool,
    pub call_as: Option<String>,
    pub wakeup: Option<u16>,
    pub restriction: Restriction,
    pub language: Language,
    pub voicemail: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardRule {
    pub active: bool,
    pub when: RuleWhen,
    pub calls: RuleCalls,
    pub presentation: RulePresentation,
    pub target: RuleTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleWhen {
    Always,
    Busy,
    NoAnswer,
    Unreachable,
    Dnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleCalls {
    All,
    Internal,
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RulePresentation {
    Any,
    Presented,
    Withheld,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleTarget {
    Number(String),
    Voicemail,
    FaxToMail,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Restriction {
    #[default]
    None,
    InternalOnly,
    NoInternational,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    Polish,
    #[default]
    English,
    German,
}

/// Both ways between a wire enum and its domain twin, variant by variant.
macro_rules! twins {
    ($wire:ident, $domain:path, [$($v:ident),+ $(,)?]) => {
        impl From<$wire> for $domain {
            fn from(x: $wire) -> Self {
                use $domain as D;
                match x { $($wire::$v => D::$v),+ }
            }
        }
        impl From<$domain> for $wire {
            fn from(x: $domain) -> Self {
                use $domain as D;
                match x { $(D::$v => $wire::$v),+ }
            }
        }
    };
}

twins!(Direction, d::Direction, [Outgoing, Incoming]);
twins!(Disposition, d::Disposition, [Answered, Missed, Busy, AnsweredElsewhere, Voicemail, Failed]);
twins!(RuleWhen, p::RuleWhen, [Always, Busy, NoAnswer, Unreachable, Dnd]);
twins!(RuleCalls, p::RuleCalls, [All, Internal, External]);
twins!(RulePresentation, p::RulePresentation, [Any, Presented, Withheld]);
twins!(Restriction, p::Restriction, [None, InternalOnly, NoInternational]);
twins!(Language, p::Language, [Polish, English, German]);

impl From<RuleTarget> for p::RuleTarget {
    fn from(t: RuleTarget) -> Self {
        match t {
            RuleTarget::Number(n) => p::RuleTarget::Number(n),
            RuleTarget::Voicemail => p::RuleTarget::Voicemail,
            RuleTarget::FaxToMail => p::RuleTarget::FaxToMail,
        }
    }
}

impl From<p::RuleTarget> for RuleTarget {
    fn from(t: p::RuleTarget) -> Self {
        match t {
            p::RuleTarget::Number(n) => RuleTarget::Number(n),
            p::RuleTarget::Voicemail => RuleTarget::Voicemail,
            p::RuleTarget::FaxToMail => RuleTarget::FaxToMail,
        }
    }
}

impl From<ForwardRule> for p::ForwardRule {
    fn from(r: ForwardRule) -> Self {
        let ForwardRule { active, when, calls, presentation, target } = r;
        p::ForwardRule {
            active,
            when: when.into(),
            calls: calls.into(),
            presentation: presentation.into(),
            target: target.into(),
        }
    }
}

impl From<p::ForwardRule> for ForwardRule {
    fn from(r: p::ForwardRule) -> Self {
        let p::ForwardRule { active, when, calls, presentation, target } = r;
        ForwardRule {
            active,
            when: when.into(),
            calls: calls.into(),
            presentation: presentation.into(),
            target: target.into(),
        }
    }
}

impl From<Cdr> for d::Cdr {
    fn from(c: Cdr) -> Self {
        let Cdr {
            core_id,
            extension,
            direction,
            disposition,
            peer,
            external,
            withheld,
            voicemail_listen,
            answered_by,
            started_at,
            ring_secs,
            talk_secs,
        } = c;
        d::Cdr {
            core_id,
            extension,
            direction: direction.into(),
            disposition: disposition.into(),
            peer,
            external,
            withheld,
            voicemail_listen,
            answered_by,
            started_at,
            ring_secs,
            talk_secs,
        }
    }
}

impl From<d::Cdr> for Cdr {
    fn from(c: d::Cdr) -> Self {
        let d::Cdr {
            core_id,
            extension,
            direction,
            disposition,
            peer,
            external,
            withheld,
            voicemail_listen,
            answered_by,
            started_at,
            ring_secs,
            talk_secs,
        } = c;
        Cdr {
            core_id,
            extension,
            direction: direction.into(),
            disposition: disposition.into(),
            peer,
            external,
            withheld,
            voicemail_listen,
            answered_by,
            started_at,
            ring_secs,
            talk_secs,
        }
    }
}

/// The fields of an extension program, moved across with `.into()` where the
/// types differ.
macro_rules! program {
    ($from:ident => $to:path, $x:ident) => {{
        let $from {
            forward_always,
            forward_busy,
            forward_no_answer,
            no_answer_secs,
            forward_unreachable,
            mobile,
            mobile_on_no_answer,
            mobile_on_dnd,
            mobile_on_unreachable,
            dnd,
            follow_me,
            rules,
            phone_lock,
            clir,
            call_waiting,
            call_as,
            wakeup,
            restriction,
            language,
            voicemail,
        } = $x;
        $to {
            forward_always,
            forward_busy,
            forward_no_answer,
            no_answer_secs,
            forward_unreachable,
            mobile,
            mobile_on_no_answer,
            mobile_on_dnd,
            mobile_on_unreachable,
            dnd,
            follow_me,
            rules: rules.into_iter().map(Into::into).collect(),
            phone_lock,
            clir,
            call_waiting,
            call_as,
            wakeup,
            restriction: restriction.into(),
            language: language.into(),
            voicemail,
        }
    }};
}

impl From<ExtensionProgram> for p::ExtensionProgram {
    fn from(x: ExtensionProgram) -> Self {
        program!(ExtensionProgram => p::ExtensionProgram, x)
    }
}

impl From<p::ExtensionProgram> for ExtensionProgram {
    fn from(x: p::ExtensionProgram) -> Self {
        use p::ExtensionProgram as Domain;
        program!(Domain => ExtensionProgram, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_cross_to_the_domain_and_back_unchanged() {
        let program = p::ExtensionProgram {
            forward_busy: Some("102".into()),
            no_answer_secs: 25,
            dnd: Some(2),
            rules: vec![p::ForwardRule {
                active: true,
                when: p::RuleWhen::Dnd,
                calls: p::RuleCalls::External,
                presentation: p::RulePresentation::Withheld,
                target: p::RuleTarget::Number("0600100200".into()),
            }],
            restriction: p::Restriction::NoInternational,
            language: p::Language::German,
            ..Default::default()
        };
        let wire: ExtensionProgram = program.clone().into();
        assert_eq!(p::ExtensionProgram::from(wire), program);
        let cdr = d::Cdr {
            core_id: 9,
            extension: "100".into(),
            direction: d::Direction::Incoming,
            disposition: d::Disposition::AnsweredElsewhere,
            peer: "0221".into(),
            external: true,
            withheld: false,
            voicemail_listen: false,
            answered_by: Some("101".into()),
            started_at: 1_800_000_000,
            ring_secs: 3,
            talk_secs: 0,
        };
        assert_eq!(d::Cdr::from(Cdr::from(cdr.clone())), cdr);
    }
}

/// The tariff as the core is programmed with it (version 5): the board's time
/// zone by name (the off-peak bands are local times), what of the dialling
/// plan pricing needs, and the rates without their names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    pub zone: String,
    pub outside_prefix: String,
    pub emergency: Vec<String>,
    pub offpeak: Vec<Band>,
    pub rates: Vec<Rate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub days: u8,
    pub from: u16,
    pub to: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub prefix: String,
    pub setup: i64,
    pub peak: i64,
    pub offpeak: i64,
    pub first_secs: u32,
    pub step_secs: u32,
}

impl Tariff {
    /// The wire's form of a tariff in the zone `zone`.
    pub fn new(t: &crate::domain::tariff::Tariff, zone: &str) -> Tariff {
        Tariff {
            zone: zone.to_owned(),
            outside_prefix: t.outside_prefix.clone(),
            emergency: t.emergency.clone(),
            offpeak: t.offpeak.iter().map(|b| Band { days: b.days, from: b.from, to: b.to }).collect(),
            rates: t
                .rates
                .iter()
                .map(|r| Rate {
                    prefix: r.prefix.clone(),
                    setup: r.setup,
                    peak: r.peak,
                    offpeak: r.offpeak,
                    first_secs: r.first_secs,
                    step_secs: r.step_secs,
                })
                .collect(),
        }
    }

    /// The tariff the core meters by (rates named by their prefixes).
    pub fn rules(&self) -> crate::domain::tariff::Tariff {
        use crate::domain::tariff as t;
        t::Tariff {
            outside_prefix: self.outside_prefix.clone(),
            emergency: self.emergency.clone(),
            offpeak: self.offpeak.iter().map(|b| t::Band { days: b.days, from: b.from, to: b.to }).collect(),
            rates: self
                .rates
                .iter()
                .map(|r| t::Rate {
                    prefix: r.prefix.clone(),
                    name: r.prefix.clone(),
                    setup: r.setup,
                    peak: r.peak,
                    offpeak: r.offpeak,
                    first_secs: r.first_secs,
                    step_secs: r.step_secs,
                })
                .collect(),
        }
    }
}
