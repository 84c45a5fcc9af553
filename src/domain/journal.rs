//! The change journal (SPEC Y2): what changed in an extension's settings, as
//! the journal keeps it: a topic, a field, the old and the new value. Secrets
//! are never values: a PIN or a password is only "set".
//!
//! "Who changed my forwarding?" is answered from these, so the diff of two
//! programs is computed here, field by field, once for every front end.

use super::codes::codes;
use super::program::{ExtensionProgram, RuleTarget};

/// What part of an extension's settings a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Forwarding,
    Services,
    Password,
    Profile,
    Phonebook,
    Rights,
    /// Cost limit, top-up, resets (SPEC W7).
    Costs,
}

codes!(Topic {
    Forwarding => "forwarding",
    Services => "services",
    Password => "password",
    Profile => "profile",
    Phonebook => "phonebook",
    Rights => "rights",
    Costs => "costs",
});

/// One entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub id: i64,
    pub at: i64,
    /// Whose settings changed.
    pub extension: String,
    pub actor: String,
    pub via: String,
    pub topic: Topic,
    pub field: String,
    pub old: String,
    pub new: String,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub topic: Topic,
    /// The field's code (`forward_busy`, `phone_lock`, ...).
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// The value a secret is shown as.
pub const SET: &str = "set";
pub const ON: &str = "on";
pub const OFF: &str = "off";

fn flag(b: bool) -> String {
    if b { ON } else { OFF }.to_owned()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

/// The rules as one line: each rule's moment and target, in order.
fn rules(p: &ExtensionProgram) -> String {
    p.rules
        .iter()
        .map(|r| {
            let target = match &r.target {
                RuleTarget::Number(n) => n.as_str(),
                RuleTarget::Voicemail => "voicemail",
                RuleTarget::FaxToMail => "fax",
            };
            let active = if r.active { "" } else { " (off)" };
            format!("{}:{}→{target}{active}", r.when.code(), r.calls.code())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn wakeup(m: &Option<u16>) -> String {
    m.map(|m| format!("{:02}:{:02}", m / 60, m % 60)).unwrap_or_default()
}

/// What differs between two programs of one extension, forwarding first.
pub fn program_changes(old: &ExtensionProgram, new: &ExtensionProgram) -> Vec<Change> {
    use Topic::{Forwarding as F, Services as S};
    let fields: [(Topic, &'static str, String, String); 18] = [
        (F, "forward_always", opt(&old.forward_always), opt(&new.forward_always)),
        (F, "forward_busy", opt(&old.forward_busy), opt(&new.forward_busy)),
        (F, "forward_no_answer", opt(&old.forward_no_answer), opt(&new.forward_no_answer)),
        (F, "no_answer_secs", old.no_answer_secs.to_string(), new.no_answer_secs.to_string()),
        (F, "forward_unreachable", opt(&old.forward_unreachable), opt(&new.forward_unreachable)),
        (F, "voicemail", flag(old.voicemail), flag(new.voicemail)),
        (F, "dnd", opt(&old.dnd), opt(&new.dnd)),
        (F, "follow_me", opt(&old.follow_me), opt(&new.follow_me)),
        (F, "mobile_on_no_answer", flag(old.mobile_on_no_answer), flag(new.mobile_on_no_answer)),
        (F, "mobile_on_dnd", flag(old.mobile_on_dnd), flag(new.mobile_on_dnd)),
        (F, "mobile_on_unreachable", flag(old.mobile_on_unreachable), flag(new.mobile_on_unreachable)),
        (F, "rules", rules(old), rules(new)),
        (S, "phone_lock", flag(old.phone_lock), flag(new.phone_lock)),
        (S, "clir", flag(old.clir), flag(new.clir)),
        (S, "call_waiting", flag(old.call_waiting), flag(new.call_waiting)),
        (S, "call_as", opt(&old.call_as), opt(&new.call_as)),
        (S, "wakeup", wakeup(&old.wakeup), wakeup(&new.wakeup)),
        (S, "mobile", opt(&old.mobile), opt(&new.mobile)),
    ];
    fields
        .into_iter()
        .filter(|(_, _, o, n)| o != n)
        .map(|(topic, field, old, new)| Change { topic, field, old, new })
        .collect()
}

/// The account recall's changes: the account's number, and the PIN only as "set".
pub fn recall_changes(old_account: &str, new_account: &str, new_pin: bool) -> Vec<Change> {
    let mut out = Vec::new();
    if old_account != new_account {
        out.push(Change {
            topic: Topic::Services,
            field: "recall_account",
            old: old_account.to_owned(),
            new: new_account.to_owned(),
        });
    }
    if new_pin {
        out.push(Change {
            topic: Topic::Services,
            field: "recall_pin",
            old: String::new(),
            new: SET.to_owned(),
        });
    }
    out
}

/// A password set or changed: never its value.
pub fn password_set() -> Change {
    Change { topic: Topic::Password, field: "password", old: String::new(), new: SET.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::program::{ForwardRule, RuleCalls, RulePresentation, RuleWhen};

    #[test]
    fn only_what_changed_is_recorded() {
        let old =
            ExtensionProgram { forward_busy: Some("101".into()), call_waiting: true, ..Default::default() };
        assert!(program_changes(&old, &old).is_empty(), "nothing changed, nothing recorded");
        let new = ExtensionProgram {
            forward_busy: Some("0600100100".into()),
            call_waiting: true,
            phone_lock: true,
            wakeup: Some(6 * 60 + 30),
            rules: vec![ForwardRule {
                active: false,
                when: RuleWhen::NoAnswer,
                calls: RuleCalls::External,
                presentation: RulePresentation::Any,
                target: RuleTarget::Voicemail,
            }],
            ..Default::default()
        };
        let got: Vec<(Topic, &str, String, String)> =
            program_changes(&old, &new).into_iter().map(|c| (c.topic, c.field, c.old, c.new)).collect();
        let want = [
            (Topic::Forwarding, "forward_busy", "101", "0600100100"),
            (Topic::Forwarding, "rules", "", "no_answer:external→voicemail (off)"),
            (Topic::Services, "phone_lock", "off", "on"),
            (Topic::Services, "wakeup", "", "06:30"),
        ];
        let want: Vec<(Topic, &str, String, String)> =
            want.iter().map(|(t, f, o, n)| (*t, *f, (*o).to_owned(), (*n).to_owned())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn secrets_are_only_set() {
        let c = recall_changes("4711", "4711", true);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].field, c[0].old.as_str(), c[0].new.as_str()), ("recall_pin", "", SET));
        assert_eq!(recall_changes("", "4711", false)[0].new, "4711");
        assert_eq!(password_set().new, SET);
    }
}
