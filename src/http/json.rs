//! The JSON shapes pages receive, defined here at the edge and nowhere else: a
//! change of a domain or wire type does not change them by accident. Words are
//! the `code()`s of the domain's enumerations, in snake case.

use serde_json::{json, Value};

use crate::domain::cdr::Cdr;
use crate::services::bus::{Changed, Live};

/// The event's name in the stream and its data.
pub fn event(live: &Live) -> (&'static str, Value) {
    match live {
        Live::Line { ext, state } => ("line", json!({ "ext": ext, "state": state.code() })),
        Live::Call { call, progress, from, to, at, .. } => {
            ("call", json!({ "call": call, "progress": progress.code(), "from": from, "to": to, "at": at }))
        }
        Live::CallRecord { cdr } => ("call_record", call_record(cdr)),
        Live::Voicemail { ext, caller, at } => {
            ("voicemail", json!({ "ext": ext, "caller": caller, "at": at }))
        }
        Live::CoreLink { up } => ("core_link", json!({ "up": up })),
        Live::Costs { ext } => ("costs", json!({ "ext": ext })),
        Live::Credit { ext, call, credit } => {
            ("credit", json!({ "ext": ext, "call": call, "credit": credit, "cleared": credit.is_none() }))
        }
        Live::Callbacks { department } => ("callbacks", json!({ "department": department })),
        Live::Groups => ("groups", json!({})),
        Live::InUse { account, device } => ("in_use", json!({ "account": account, "device": device })),
        Live::Changed { ext, what } => {
            let what = match what {
                Changed::Profile => "profile",
                Changed::Program => "program",
                Changed::Presence => "presence",
            };
            ("settings", json!({ "ext": ext, "what": what }))
        }
    }
}

pub fn call_record(c: &Cdr) -> Value {
    json!({
        "id": c.core_id,
        "extension": c.extension,
        "direction": c.direction.word(),
        "disposition": c.disposition.word(),
        "kind": c.kind().code(),
        "peer": c.peer,
        "external": c.external,
        "withheld": c.withheld,
        "answered_by": c.answered_by,
        "started_at": c.started_at,
        "ring_secs": c.ring_secs,
        "talk_secs": c.talk_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::line::LineState;

    #[test]
    fn shapes_are_stable() {
        let (name, data) = event(&Live::Line { ext: "100".into(), state: LineState::Ringing });
        assert_eq!(name, "line");
        assert_eq!(data.to_string(), r#"{"ext":"100","state":"ringing"}"#);
        let (name, data) = event(&Live::CoreLink { up: true });
        assert_eq!((name, data.to_string().as_str()), ("core_link", r#"{"up":true}"#));
    }
}
