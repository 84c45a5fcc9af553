//! A department's callback list (SPEC Y5): the external callers its members
//! (and its hunt groups) missed, until someone of the department reaches them.
//! Which call records put a caller on the list and which take him off is
//! decided here, once, for the store's intake; the list itself is the store's.

use super::cdr::{Cdr, Direction, Disposition};
use super::codes::codes;
use super::dialplan::DiallingPlan;

/// How an entry left the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Someone of the department called the number and was answered.
    CalledBack,
    /// The caller called again and someone of the department answered.
    CalledAgain,
    /// A member marked it done.
    ByHand,
}

codes!(Resolution { CalledBack => "called_back", CalledAgain => "called_again", ByHand => "by_hand" });

/// What a stored call record does to the list of its extension's department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// An external caller was not reached: he goes on the list (once per
    /// number; a call that rang several members counts once).
    Missed { number: String, key: String },
    /// The number was reached: its open entry, if any, is resolved.
    Reached { key: String, how: Resolution },
}

/// One caller on a department's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub id: i64,
    /// The number as the exchange presented it last.
    pub number: String,
    /// The extension he called last.
    pub called: String,
    /// How many calls of his were missed (0: put on the list by hand).
    pub calls: u32,
    pub first_at: i64,
    pub last_at: i64,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub resolution: Option<Resolution>,
}

/// A department's list: the open entries, oldest call first, and the newest
/// resolved ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackList {
    pub open: Vec<Callback>,
    pub done: Vec<Callback>,
}

/// What a member does with an open entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// "I will call back": the others see who took it.
    Claim,
    /// Gives his claim up.
    Release,
    /// Done without a call the records show.
    Resolve,
}

/// Why a step was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such open entry on this department's list (resolved meanwhile).
    Gone,
    /// Another member claimed it.
    ClaimedBy(String),
}

/// Open entries one department's list keeps; a caller beyond them is not
/// added (the list is for people to work through, not an archive).
pub const MAX_OPEN: u32 = 500;
/// How long resolved entries stay on the list, for who called back when.
pub const KEEP_DONE_SECS: i64 = 30 * 24 * 3600;

/// The record's effect on the list, if it has one. Only external numbers that
/// were presented count: an internal caller is on the same exchange, and a
/// withheld one cannot be called back. A caller and the number dialled back
/// meet in their canonical form by the board's dialling plan.
pub fn effect(cdr: &Cdr, plan: &DiallingPlan) -> Option<Effect> {
    if !cdr.external || cdr.withheld || cdr.peer.is_empty() || cdr.voicemail_listen {
        return None;
    }
    let key = plan.canonical(&cdr.peer, cdr.peer_form());
    if key.is_empty() {
        return None;
    }
    match (cdr.direction, cdr.disposition) {
        (Direction::Incoming, Disposition::Missed | Disposition::Busy | Disposition::Voicemail) => {
            Some(Effect::Missed { number: cdr.peer.clone(), key })
        }
        (Direction::Incoming, Disposition::Answered) => {
            Some(Effect::Reached { key, how: Resolution::CalledAgain })
        }
        (Direction::Outgoing, Disposition::Answered) => {
            Some(Effect::Reached { key, how: Resolution::CalledBack })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdr(direction: Direction, disposition: Disposition, peer: &str, external: bool) -> Cdr {
        Cdr {
            core_id: 1,
            extension: "100".into(),
            direction,
            disposition,
            peer: peer.into(),
            external,
            withheld: false,
            voicemail_listen: false,
            answered_by: None,
            started_at: 0,
            ring_secs: 5,
            talk_secs: 0,
        }
    }

    #[test]
    fn what_puts_a_caller_on_the_list_and_what_takes_him_off() {
        use Direction::*;
        use Disposition::*;
        let poland =
            DiallingPlan { country_code: "48".into(), national_digits: 9, ..DiallingPlan::default() };
        let missed = |n: &str| Some(Effect::Missed { number: n.into(), key: "+48221234567".into() });
        let reached = |how| Some(Effect::Reached { key: "+48221234567".into(), how });
        let cases: &[(Cdr, Option<Effect>)] = &[
            (cdr(Incoming, Missed, "0221234567", true), missed("0221234567")),
            (cdr(Incoming, Busy, "0221234567", true), missed("0221234567")),
            (cdr(Incoming, Voicemail, "+48221234567", true), missed("+48221234567")),
            (cdr(Incoming, Answered, "0048221234567", true), reached(Resolution::CalledAgain)),
            // Dialled back with the outside line first, with the trunk prefix or without.
            (cdr(Outgoing, Answered, "00221234567", true), reached(Resolution::CalledBack)),
            (cdr(Outgoing, Answered, "0221234567", true), reached(Resolution::CalledBack)),
            // A colleague took the group call; an attempt nobody answered; internal calls.
            (cdr(Incoming, AnsweredElsewhere, "0221234567", true), None),
            (cdr(Outgoing, Missed, "0221234567", true), None),
            (cdr(Incoming, Missed, "101", false), None),
            (cdr(Incoming, Missed, "", true), None),
        ];
        for (c, want) in cases {
            assert_eq!(effect(c, &poland), *want, "{c:?}");
        }
        let withheld = Cdr { withheld: true, ..cdr(Incoming, Missed, "0221234567", true) };
        assert_eq!(effect(&withheld, &poland), None);
    }
}
