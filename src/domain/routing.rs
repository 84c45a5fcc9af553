//! Where a call to an extension goes, under its DND, forwarding, follow-me,
//! MobilePhone and advanced rules (SPEC W9). The simulator routes by exactly this
//! function, and the "why would my phone ring?" preview (SPEC Y1) asks it too, so
//! the two cannot disagree.
//!
//! Order: "I am here" first (the call follows the subscriber), then advanced rules
//! and unconditional forwarding, then DND, then the line's state (unreachable,
//! busy), and finally, after ringing unanswered, the no-answer fallbacks.

use super::program::{ExtensionProgram, RuleCalls, RulePresentation, RuleTarget, RuleWhen};

/// What the caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerInfo {
    pub external: bool,
    pub withheld: bool,
}

/// The state of the called line when the call arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineCondition {
    Free,
    Busy,
    Unreachable,
}

/// Where the call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Ring the extension (with the no-answer timer running).
    Ring,
    /// Go to another extension: "I am here".
    FollowMe(String),
    /// Forward to a number (internal or external).
    Forward(String),
    Voicemail,
    FaxToMail,
    /// Do not disturb: the caller hears this announcement.
    Announcement(u16),
    /// The caller hears busy.
    BusyTone,
    /// Nobody answered and nothing else is set: the call is missed.
    Missed,
}

/// The decision when the call arrives.
pub fn on_arrival(p: &ExtensionProgram, caller: CallerInfo, line: LineCondition) -> Decision {
    if let Some(ext) = &p.follow_me {
        return Decision::FollowMe(ext.clone());
    }
    if let Some(d) = rule(p, RuleWhen::Always, caller) {
        return d;
    }
    if let Some(to) = &p.forward_always {
        return Decision::Forward(to.clone());
    }
    if let Some(announcement) = p.dnd {
        if let Some(d) = rule(p, RuleWhen::Dnd, caller) {
            return d;
        }
        if p.mobile_on_dnd {
            if let Some(m) = &p.mobile {
                return Decision::Forward(m.clone());
            }
        }
        return Decision::Announcement(announcement);
    }
    match line {
        LineCondition::Free => Decision::Ring,
        LineCondition::Busy if p.call_waiting => Decision::Ring,
        LineCondition::Busy => rule(p, RuleWhen::Busy, caller)
            .or_else(|| p.forward_busy.clone().map(Decision::Forward))
            .or_else(|| p.voicemail.then_some(Decision::Voicemail))
            .unwrap_or(Decision::BusyTone),
        LineCondition::Unreachable => rule(p, RuleWhen::Unreachable, caller)
            .or_else(|| p.forward_unreachable.clone().map(Decision::Forward))
            .or_else(|| mobile(p, p.mobile_on_unreachable))
            .or_else(|| p.voicemail.then_some(Decision::Voicemail))
            .unwrap_or(Decision::Missed),
    }
}

/// The decision when the extension rang for `no_answer_secs` without an answer.
pub fn on_no_answer(p: &ExtensionProgram, caller: CallerInfo) -> Decision {
    rule(p, RuleWhen::NoAnswer, caller)
        .or_else(|| p.forward_no_answer.clone().map(Decision::Forward))
        .or_else(|| mobile(p, p.mobile_on_no_answer))
        .or_else(|| p.voicemail.then_some(Decision::Voicemail))
        .unwrap_or(Decision::Missed)
}

fn mobile(p: &ExtensionProgram, enabled: bool) -> Option<Decision> {
    if enabled {
        p.mobile.clone().map(Decision::Forward)
    } else {
        None
    }
}

/// The first active advanced rule for this moment that matches the caller.
fn rule(p: &ExtensionProgram, when: RuleWhen, caller: CallerInfo) -> Option<Decision> {
    p.rules.iter().filter(|r| r.active && r.when == when).find_map(|r| {
        let calls_match = match r.calls {
            RuleCalls::All => true,
            RuleCalls::Internal => !caller.external,
            RuleCalls::External => caller.external,
        };
        let presentation_match = match r.presentation {
            RulePresentation::Any => true,
            RulePresentation::Presented => !caller.withheld,
            RulePresentation::Withheld => caller.withheld,
        };
        (calls_match && presentation_match).then(|| match &r.target {
            RuleTarget::Number(n) => Decision::Forward(n.clone()),
            RuleTarget::Voicemail => Decision::Voicemail,
            RuleTarget::FaxToMail => Decision::FaxToMail,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::program::ForwardRule;

    const INTERNAL: CallerInfo = CallerInfo { external: false, withheld: false };
    const EXTERNAL: CallerInfo = CallerInfo { external: true, withheld: false };
    const WITHHELD: CallerInfo = CallerInfo { external: true, withheld: true };

    fn rule(
        when: RuleWhen,
        calls: RuleCalls,
        presentation: RulePresentation,
        target: RuleTarget,
    ) -> ForwardRule {
        ForwardRule { active: true, when, calls, presentation, target }
    }

    #[test]
    fn arrival_decisions() {
        let base = ExtensionProgram { no_answer_secs: 20, ..Default::default() };
        let fwd = |f: fn(&mut ExtensionProgram)| {
            let mut p = base.clone();
            f(&mut p);
            p
        };
        use Decision::*;
        use LineCondition::*;
        let cases: Vec<(ExtensionProgram, CallerInfo, LineCondition, Decision)> = vec![
            (base.clone(), INTERNAL, Free, Ring),
            (base.clone(), INTERNAL, Busy, BusyTone),
            (fwd(|p| p.call_waiting = true), INTERNAL, Busy, Ring),
            (base.clone(), INTERNAL, Unreachable, Missed),
            (fwd(|p| p.voicemail = true), INTERNAL, Busy, Voicemail),
            (fwd(|p| p.forward_always = Some("200".into())), EXTERNAL, Free, Forward("200".into())),
            (fwd(|p| p.forward_busy = Some("201".into())), EXTERNAL, Busy, Forward("201".into())),
            (fwd(|p| p.forward_busy = Some("201".into())), EXTERNAL, Free, Ring),
            (
                fwd(|p| p.forward_unreachable = Some("202".into())),
                EXTERNAL,
                Unreachable,
                Forward("202".into()),
            ),
            (
                fwd(|p| {
                    p.mobile = Some("0601".into());
                    p.mobile_on_unreachable = true
                }),
                EXTERNAL,
                Unreachable,
                Forward("0601".into()),
            ),
            (fwd(|p| p.dnd = Some(3)), EXTERNAL, Free, Announcement(3)),
            (
                fwd(|p| {
                    p.dnd = Some(3);
                    p.mobile = Some("0601".into());
                    p.mobile_on_dnd = true
                }),
                EXTERNAL,
                Free,
                Forward("0601".into()),
            ),
            (
                fwd(|p| {
                    p.dnd = Some(3);
                    p.follow_me = Some("105".into())
                }),
                EXTERNAL,
                Free,
                FollowMe("105".into()),
            ),
            (
                fwd(|p| {
                    p.dnd = Some(3);
                    p.forward_always = Some("7".into())
                }),
                EXTERNAL,
                Free,
                Forward("7".into()),
            ),
            // Advanced rules: which calls.
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Always,
                        RuleCalls::External,
                        RulePresentation::Any,
                        RuleTarget::Voicemail,
                    )]
                }),
                INTERNAL,
                Free,
                Ring,
            ),
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Always,
                        RuleCalls::External,
                        RulePresentation::Any,
                        RuleTarget::Voicemail,
                    )]
                }),
                EXTERNAL,
                Free,
                Voicemail,
            ),
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Always,
                        RuleCalls::Internal,
                        RulePresentation::Any,
                        RuleTarget::FaxToMail,
                    )]
                }),
                INTERNAL,
                Free,
                FaxToMail,
            ),
            // Which presentation.
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Always,
                        RuleCalls::All,
                        RulePresentation::Withheld,
                        RuleTarget::Number("9".into()),
                    )]
                }),
                EXTERNAL,
                Free,
                Ring,
            ),
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Always,
                        RuleCalls::All,
                        RulePresentation::Withheld,
                        RuleTarget::Number("9".into()),
                    )]
                }),
                WITHHELD,
                Free,
                Forward("9".into()),
            ),
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Always,
                        RuleCalls::All,
                        RulePresentation::Presented,
                        RuleTarget::Number("9".into()),
                    )]
                }),
                WITHHELD,
                Free,
                Ring,
            ),
            // When.
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Busy,
                        RuleCalls::All,
                        RulePresentation::Any,
                        RuleTarget::Number("8".into()),
                    )]
                }),
                EXTERNAL,
                Busy,
                Forward("8".into()),
            ),
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Busy,
                        RuleCalls::All,
                        RulePresentation::Any,
                        RuleTarget::Number("8".into()),
                    )]
                }),
                EXTERNAL,
                Free,
                Ring,
            ),
            (
                fwd(|p| {
                    p.rules = vec![rule(
                        RuleWhen::Unreachable,
                        RuleCalls::All,
                        RulePresentation::Any,
                        RuleTarget::Voicemail,
                    )]
                }),
                EXTERNAL,
                Unreachable,
                Voicemail,
            ),
            (
                fwd(|p| {
                    p.dnd = Some(1);
                    p.rules = vec![rule(
                        RuleWhen::Dnd,
                        RuleCalls::Internal,
                        RulePresentation::Any,
                        RuleTarget::Number("5".into()),
                    )]
                }),
                INTERNAL,
                Free,
                Forward("5".into()),
            ),
            (
                fwd(|p| {
                    p.dnd = Some(1);
                    p.rules = vec![rule(
                        RuleWhen::Dnd,
                        RuleCalls::Internal,
                        RulePresentation::Any,
                        RuleTarget::Number("5".into()),
                    )]
                }),
                EXTERNAL,
                Free,
                Announcement(1),
            ),
            // Inactive rules and order.
            (
                fwd(|p| {
                    p.rules = vec![ForwardRule {
                        active: false,
                        ..rule(RuleWhen::Always, RuleCalls::All, RulePresentation::Any, RuleTarget::Voicemail)
                    }]
                }),
                EXTERNAL,
                Free,
                Ring,
            ),
            (
                fwd(|p| {
                    p.rules = vec![
                        rule(
                            RuleWhen::Always,
                            RuleCalls::All,
                            RulePresentation::Any,
                            RuleTarget::Number("1".into()),
                        ),
                        rule(
                            RuleWhen::Always,
                            RuleCalls::All,
                            RulePresentation::Any,
                            RuleTarget::Number("2".into()),
                        ),
                    ]
                }),
                EXTERNAL,
                Free,
                Forward("1".into()),
            ),
        ];
        for (i, (p, caller, line, want)) in cases.into_iter().enumerate() {
            assert_eq!(on_arrival(&p, caller, line), want, "case {i}");
        }
    }

    #[test]
    fn no_answer_decisions() {
        let mut p = ExtensionProgram::default();
        assert_eq!(on_no_answer(&p, EXTERNAL), Decision::Missed);
        p.voicemail = true;
        assert_eq!(on_no_answer(&p, EXTERNAL), Decision::Voicemail);
        p.mobile = Some("0601".into());
        assert_eq!(on_no_answer(&p, EXTERNAL), Decision::Voicemail, "MobilePhone only when enabled");
        p.mobile_on_no_answer = true;
        assert_eq!(on_no_answer(&p, EXTERNAL), Decision::Forward("0601".into()));
        p.forward_no_answer = Some("300".into());
        assert_eq!(on_no_answer(&p, EXTERNAL), Decision::Forward("300".into()));
        p.rules =
            vec![rule(RuleWhen::NoAnswer, RuleCalls::Internal, RulePresentation::Any, RuleTarget::FaxToMail)];
        assert_eq!(on_no_answer(&p, INTERNAL), Decision::FaxToMail);
        assert_eq!(on_no_answer(&p, EXTERNAL), Decision::Forward("300".into()));
    }
}
