//! Call records as the core reports them, and how a subscriber's history sorts them.

use super::codes::codes;

/// Which way a call went, seen from the subscriber's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Outgoing,
    Incoming,
}

/// How a call ended, seen from the subscriber's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Answered,
    Missed,
    Busy,
    /// A group call taken by another member.
    AnsweredElsewhere,
    /// Not answered; the caller left a message.
    Voicemail,
    Failed,
}

/// One finished call, one subscriber's side of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cdr {
    /// The core's record id: the same record sent twice is stored once.
    pub core_id: u64,
    pub extension: String,
    pub direction: Direction,
    pub disposition: Disposition,
    /// The other party's number, as the core gave it (empty when withheld).
    pub peer: String,
    pub external: bool,
    pub withheld: bool,
    /// A call made to the voicemail system to listen to messages.
    pub voicemail_listen: bool,
    /// Who took the call, when it was answered elsewhere.
    pub answered_by: Option<String>,
    /// Unix seconds.
    pub started_at: i64,
    pub ring_secs: u32,
    pub talk_secs: u32,
}

/// The types the history shows and filters by (SPEC W5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryKind {
    Outgoing,
    Incoming,
    Missed,
    AnsweredElsewhere,
}

/// What a history page asks for (SPEC W5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct HistoryQuery {
    pub extension: String,
    pub kind: Option<HistoryKind>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    /// Digits the other party's number contains.
    pub number: Option<String>,
    /// Keyset paging: only calls older than this `(started_at, id)` of the last row seen.
    pub before: Option<(i64, i64)>,
    pub limit: u32,
}

/// One history row: its id (the core's record id; for paging) and the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub id: i64,
    pub cdr: Cdr,
    /// What the call cost (`domain::tariff`), in cents: priced when stored.
    pub cost: i64,
    /// The note kept with the call (SPEC C13).
    pub note: Option<String>,
}

codes!(HistoryKind { Outgoing => "outgoing", Incoming => "incoming", Missed => "missed", AnsweredElsewhere => "answered_elsewhere" });

impl Cdr {
    /// How the other party's number is written: as dialled on an outgoing
    /// call, as presented on an incoming one.
    pub fn peer_form(&self) -> super::dialplan::Form {
        match self.direction {
            Direction::Outgoing => super::dialplan::Form::Dialled,
            Direction::Incoming => super::dialplan::Form::Written,
        }
    }

    /// Where this call belongs in the history.
    pub fn kind(&self) -> HistoryKind {
        kind_of(self.direction, self.disposition)
    }

    /// The duration to show: only for connected calls, never for listening to
    /// voicemail.
    pub fn shown_duration(&self) -> Option<u32> {
        let connected = self.disposition == Disposition::Answered;
        (connected && !self.voicemail_listen).then_some(self.talk_secs)
    }
}

/// A short mark of a call's note as a page showed it (the empty string for
/// none): a note changed elsewhere since the page was shown is told from one
/// the page still shows, without sending every note back (FNV-1a: a change
/// marker, not a defence against anyone).
pub fn note_mark(note: &str) -> String {
    let h = note.trim().bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    if note.trim().is_empty() {
        String::new()
    } else {
        format!("{h:08x}")
    }
}

/// One note to keep on a call of the history's page: its record, the text
/// (`None`: the note goes) and, unless it was the one asked for, the mark
/// ([`note_mark`]) of the note the page showed: it is kept only if the stored
/// note is still that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteEdit {
    pub id: u64,
    pub text: Option<String>,
    pub shown: Option<String>,
}

/// The history type of a direction and disposition.
pub fn kind_of(direction: Direction, disposition: Disposition) -> HistoryKind {
    match (direction, disposition) {
        (Direction::Outgoing, _) => HistoryKind::Outgoing,
        (Direction::Incoming, Disposition::Answered) => HistoryKind::Incoming,
        (Direction::Incoming, Disposition::AnsweredElsewhere) => HistoryKind::AnsweredElsewhere,
        (Direction::Incoming, _) => HistoryKind::Missed,
    }
}

impl Direction {
    pub fn code(self) -> i64 {
        match self {
            Direction::Outgoing => 0,
            Direction::Incoming => 1,
        }
    }
    /// The word the API uses.
    pub fn word(self) -> &'static str {
        match self {
            Direction::Outgoing => "outgoing",
            Direction::Incoming => "incoming",
        }
    }
    pub fn from_code(c: i64) -> Option<Direction> {
        match c {
            0 => Some(Direction::Outgoing),
            1 => Some(Direction::Incoming),
            _ => None,
        }
    }
}

impl Disposition {
    pub const ALL: [Disposition; 6] = [
        Disposition::Answered,
        Disposition::Missed,
        Disposition::Busy,
        Disposition::AnsweredElsewhere,
        Disposition::Voicemail,
        Disposition::Failed,
    ];
    pub fn code(self) -> i64 {
        match self {
            Disposition::Answered => 0,
            Disposition::Missed => 1,
            Disposition::Busy => 2,
            Disposition::AnsweredElsewhere => 3,
            Disposition::Voicemail => 4,
            Disposition::Failed => 5,
        }
    }
    /// The word the API uses.
    pub fn word(self) -> &'static str {
        match self {
            Disposition::Answered => "answered",
            Disposition::Missed => "missed",
            Disposition::Busy => "busy",
            Disposition::AnsweredElsewhere => "answered_elsewhere",
            Disposition::Voicemail => "voicemail",
            Disposition::Failed => "failed",
        }
    }
    pub fn from_code(c: i64) -> Option<Disposition> {
        Disposition::ALL.into_iter().find(|d| d.code() == c)
    }
}

/// Where a reader of every call record (the API's billing export) stands:
/// the records come in the order they arrived, and a reader that keeps the
/// cursor and asks again later gets exactly the ones that came since, never
/// one twice, never one skipped. Records stored before arrivals were numbered
/// (schema version 11) come first, by the core's record id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdrCursor {
    /// Nothing read yet.
    Start,
    /// Read up to this core record id, among the records without an arrival.
    Unnumbered(i64),
    /// Read up to this arrival.
    Arrived(i64),
}

impl CdrCursor {
    /// The cursor as the API gives it out: `s`, `u<id>` or `a<arrival>`.
    pub fn code(self) -> String {
        match self {
            CdrCursor::Start => "s".to_owned(),
            CdrCursor::Unnumbered(id) => format!("u{id}"),
            CdrCursor::Arrived(n) => format!("a{n}"),
        }
    }

    /// A cursor given back; `None` for what no cursor looks like.
    pub fn from_code(code: &str) -> Option<CdrCursor> {
        let number = |rest: &str| match rest.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            true => rest.parse::<i64>().ok(),
            false => None,
        };
        match code.split_at_checked(1)? {
            ("s", "") => Some(CdrCursor::Start),
            ("u", rest) => number(rest).map(CdrCursor::Unnumbered),
            ("a", rest) => number(rest).map(CdrCursor::Arrived),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notes_mark_tells_notes_apart_and_none_has_none() {
        for (a, b, same) in [
            ("", "   ", true),
            ("Offer sent", " Offer sent\n", true),
            ("Offer sent", "Offer sent.", false),
            ("Offer sent", "offer sent", false),
            ("", "x", false),
        ] {
            assert_eq!(note_mark(a) == note_mark(b), same, "{a:?} against {b:?}");
        }
        assert_eq!(note_mark(" "), "", "no note, no mark");
        assert_eq!(note_mark("Wants a demo").len(), 8);
    }

    #[test]
    fn history_kinds() {
        use Direction::*;
        use Disposition::*;
        let cases = [
            (Outgoing, Answered, HistoryKind::Outgoing),
            (Outgoing, Busy, HistoryKind::Outgoing),
            (Incoming, Answered, HistoryKind::Incoming),
            (Incoming, Missed, HistoryKind::Missed),
            (Incoming, Busy, HistoryKind::Missed),
            (Incoming, Voicemail, HistoryKind::Missed),
            (Incoming, AnsweredElsewhere, HistoryKind::AnsweredElsewhere),
        ];
        for (dir, disp, want) in cases {
            assert_eq!(kind_of(dir, disp), want, "{dir:?} {disp:?}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for d in Disposition::ALL {
            assert_eq!(Disposition::from_code(d.code()), Some(d));
        }
        assert_eq!(Disposition::from_code(9), None);
        assert_eq!(Direction::from_code(1), Some(Direction::Incoming));
        assert_eq!(Direction::from_code(2), None);
    }

    #[test]
    fn cursors() {
        let cases = [
            ("s", Some(CdrCursor::Start)),
            ("u42", Some(CdrCursor::Unnumbered(42))),
            ("u-3", Some(CdrCursor::Unnumbered(-3))),
            ("a1764892800000000", Some(CdrCursor::Arrived(1_764_892_800_000_000))),
            ("", None),
            ("a", None),
            ("a+1", None),
            ("a 1", None),
            ("x1", None),
            ("s1", None),
            ("u99999999999999999999", None),
            ("é1", None),
        ];
        for (code, want) in cases {
            assert_eq!(CdrCursor::from_code(code), want, "{code:?}");
            if let Some(c) = want {
                assert_eq!(c.code(), code);
            }
        }
    }
}
