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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    Outgoing,
    Incoming,
    Missed,
    AnsweredElsewhere,
}

/// What a history page asks for (SPEC W5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
}

codes!(HistoryKind { Outgoing => "outgoing", Incoming => "incoming", Missed => "missed", AnsweredElsewhere => "answered_elsewhere" });

impl Cdr {
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
    pub fn from_code(c: i64) -> Option<Disposition> {
        Disposition::ALL.into_iter().find(|d| d.code() == c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
