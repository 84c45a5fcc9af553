//! Presence (SPEC C7, C8): the twelve states a subscriber shows his colleagues,
//! each with an info text, a start and an optional end, and who set it. The
//! states an extension holds form a stack: the one shown is the latest that
//! applies now (the later of when it starts and when it was set), so when a
//! status ends, the one it covered returns. A status may divert calls (to a
//! number, or DND); the core is programmed with the stored settings with that
//! divert laid over them ([`overlay`]), and it is undone when the status ends.
//! DND is one truth: DND switched on at the phone or on the forwarding page
//! shows as the DND state when no status is set, and a DND status switches the
//! phone's DND on.
//!
//! `PrmImport.csv` ([`parse_import`]) is read here from text (the caller
//! decodes the code page); its times are the board's local time, turned into
//! Unix seconds by [`local_time`] with the zone the caller gives. No clock is
//! read here: every function takes `now`.

use jiff::tz::TimeZone;

use super::number::{forward_target, NumberProblem};
use super::program::ExtensionProgram;

/// The states, numbered as the CTI server numbers them (its import file and
/// clients use the numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Available,
    LoggedOut,
    Away,
    Brb,
    Pause,
    Busy,
    Meeting,
    OffWork,
    ExtWork,
    Dnd,
    Holiday,
    Msg,
}

impl Status {
    pub const ALL: [Status; 12] = [
        Status::Available,
        Status::LoggedOut,
        Status::Away,
        Status::Brb,
        Status::Pause,
        Status::Busy,
        Status::Meeting,
        Status::OffWork,
        Status::ExtWork,
        Status::Dnd,
        Status::Holiday,
        Status::Msg,
    ];

    /// The CTI server's number of the state (0 AVAILABLE ... 11 MSG).
    pub fn id(self) -> u8 {
        Status::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    pub fn from_id(id: u8) -> Option<Status> {
        Status::ALL.get(usize::from(id)).copied()
    }

    /// The word for the state in JSON and forms.
    pub fn code(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::LoggedOut => "logged_out",
            Status::Away => "away",
            Status::Brb => "brb",
            Status::Pause => "pause",
            Status::Busy => "busy",
            Status::Meeting => "meeting",
            Status::OffWork => "off_work",
            Status::ExtWork => "ext_work",
            Status::Dnd => "dnd",
            Status::Holiday => "holiday",
            Status::Msg => "msg",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The key of the state's name in the portal's translations.
    pub fn label(self) -> &'static str {
        match self {
            Status::Available => "presence.available",
            Status::LoggedOut => "presence.logged_out",
            Status::Away => "presence.away",
            Status::Brb => "presence.brb",
            Status::Pause => "presence.pause",
            Status::Busy => "presence.busy",
            Status::Meeting => "presence.meeting",
            Status::OffWork => "presence.off_work",
            Status::ExtWork => "presence.ext_work",
            Status::Dnd => "presence.dnd",
            Status::Holiday => "presence.holiday",
            Status::Msg => "presence.msg",
        }
    }
}

/// Where a status sends the extension's calls while it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Divert {
    /// Forwarded to this number (as dialled).
    Number(String),
    /// The phone in DND.
    Dnd,
}

impl Divert {
    /// As the import file and the forms write it: the number, or `dnd`.
    pub fn text(&self) -> &str {
        match self {
            Divert::Number(n) => n,
            Divert::Dnd => "dnd",
        }
    }
}

/// One status of an extension's stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The store's id: of two statuses set in the same second, the later one wins.
    pub id: i64,
    pub status: Status,
    pub info: String,
    /// Unix seconds; a status set for now starts when it is set.
    pub start: i64,
    /// Unix seconds; `None`: until it is ended by hand.
    pub end: Option<i64>,
    pub set_at: i64,
    /// Who set it, as shown to the subscriber (a name, "phone", the import's SetBy).
    pub set_by: String,
    pub divert: Option<Divert>,
    /// The import file's record id, for a status the file set.
    pub import_id: Option<String>,
}

impl Entry {
    pub fn applies_at(&self, now: i64) -> bool {
        self.start <= now && self.end.is_none_or(|e| now < e)
    }

    /// Where it sends calls: its own divert, and DND for the DND state.
    pub fn divert(&self) -> Option<Divert> {
        match (&self.divert, self.status) {
            (Some(d), _) => Some(d.clone()),
            (None, Status::Dnd) => Some(Divert::Dnd),
            (None, _) => None,
        }
    }

    fn rank(&self) -> (i64, i64) {
        (self.start.max(self.set_at), self.id)
    }
}

/// The status shown now: the latest of those that apply (`None`: available).
pub fn current(entries: &[Entry], now: i64) -> Option<&Entry> {
    entries.iter().filter(|e| e.applies_at(now)).max_by_key(|e| e.rank())
}

/// When the status shown may next change by itself: the soonest start or end
/// after `now`.
pub fn next_change(entries: &[Entry], now: i64) -> Option<i64> {
    entries.iter().flat_map(|e| [Some(e.start), e.end]).flatten().filter(|t| *t > now).min()
}

/// The ids of statuses that are over at `now` (their end has come).
pub fn ended(entries: &[Entry], now: i64) -> Vec<i64> {
    entries.iter().filter(|e| e.end.is_some_and(|end| end <= now)).map(|e| e.id).collect()
}

/// The DND announcement a DND status plays when the subscriber has chosen none
/// (the core's first: "does not wish to be disturbed").
pub const DEFAULT_ANNOUNCEMENT: u16 = 0;

/// What the core is programmed with: the stored settings, with the divert of
/// the status shown laid over them.
pub fn overlay(stored: &ExtensionProgram, shown: Option<&Entry>) -> ExtensionProgram {
    let mut p = stored.clone();
    match shown.and_then(Entry::divert) {
        Some(Divert::Dnd) => p.dnd = Some(stored.dnd.unwrap_or(DEFAULT_ANNOUNCEMENT)),
        Some(Divert::Number(n)) => p.forward_always = Some(n),
        None => {}
    }
    p
}

/// What the core is programmed with at `now`: [`overlay`] of the status shown,
/// unless the divert is one the extension may no longer have dialled (its
/// restriction or phone lock changed since): then the stored program alone.
pub fn program_for(
    stored: &ExtensionProgram,
    entries: &[Entry],
    now: i64,
    outside_prefix: &str,
) -> ExtensionProgram {
    let p = overlay(stored, current(entries, now));
    match super::settings::check_toll(&p, outside_prefix) {
        Ok(()) => p,
        Err(_) => stored.clone(),
    }
}

/// The state as everyone sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub status: Status,
    pub info: String,
    pub end: Option<i64>,
    pub set_by: String,
    /// The status of the stack shown, if it is one (not the phone's DND).
    pub entry: Option<i64>,
    pub divert: Option<Divert>,
}

/// Who set DND when it was the phone or the forwarding page.
pub const SET_BY_PHONE: &str = "phone";

/// The state shown, from the status of the stack and the stored DND: DND set at
/// the phone (or on the forwarding page) shows as DND when no status is set.
pub fn shown(current: Option<&Entry>, stored_dnd: bool) -> Shown {
    match current {
        Some(e) => Shown {
            status: e.status,
            info: e.info.clone(),
            end: e.end,
            set_by: e.set_by.clone(),
            entry: Some(e.id),
            divert: e.divert(),
        },
        None if stored_dnd => Shown {
            status: Status::Dnd,
            info: String::new(),
            end: None,
            set_by: SET_BY_PHONE.to_owned(),
            entry: None,
            divert: Some(Divert::Dnd),
        },
        None => Shown {
            status: Status::Available,
            info: String::new(),
            end: None,
            set_by: String::new(),
            entry: None,
            divert: None,
        },
    }
}

/// The longest info text kept.
pub const MAX_INFO: usize = 100;
/// The most statuses one extension holds (now and to come).
pub const MAX_ENTRIES: usize = 20;
/// The longest "set by" kept.
pub const MAX_SET_BY: usize = 60;

/// Why a status is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PresenceProblem {
    #[error("no such presence state")]
    BadStatus,
    #[error("the info text is too long")]
    InfoTooLong,
    #[error("the end is not after the start")]
    EndsBeforeStart,
    #[error("the end has passed")]
    EndPassed,
    #[error("not a time")]
    BadTime,
    #[error("the number to forward to cannot be dialled")]
    BadForward,
    #[error("the number to forward to is the extension's own")]
    ForwardToSelf,
    #[error("too many statuses are set; end one first")]
    TooMany,
    #[error("the available state is not set; the statuses that apply are ended instead")]
    AvailableIsNotAStatus,
}

impl From<NumberProblem> for PresenceProblem {
    fn from(p: NumberProblem) -> Self {
        match p {
            NumberProblem::NotDialable => PresenceProblem::BadForward,
            NumberProblem::OwnNumber => PresenceProblem::ForwardToSelf,
        }
    }
}

/// A divert as typed (a number, `dnd` in any case, or empty for none) for `ext`.
pub fn divert_of(raw: &str, ext: &str) -> Result<Option<Divert>, PresenceProblem> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("dnd") {
        return Ok(Some(Divert::Dnd));
    }
    Ok(forward_target(raw, ext)?.map(Divert::Number))
}

/// A status as asked for, before the store gives it an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub status: Status,
    pub info: String,
    /// `None`: from now.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub set_by: String,
    pub divert: Option<Divert>,
}

/// Checks a draft at `now` and makes it a status (id 0 until stored).
pub fn entry_of(d: Draft, now: i64) -> Result<Entry, PresenceProblem> {
    if d.status == Status::Available {
        return Err(PresenceProblem::AvailableIsNotAStatus);
    }
    let info = d.info.trim().to_owned();
    if info.chars().count() > MAX_INFO || info.contains(['\r', '\n']) {
        return Err(PresenceProblem::InfoTooLong);
    }
    let start = d.start.unwrap_or(now);
    if let Some(end) = d.end {
        if end <= start {
            return Err(PresenceProblem::EndsBeforeStart);
        }
        if end <= now {
            return Err(PresenceProblem::EndPassed);
        }
    }
    let set_by: String = d.set_by.trim().chars().take(MAX_SET_BY).collect();
    Ok(Entry {
        id: 0,
        status: d.status,
        info,
        start,
        end: d.end,
        set_at: now,
        set_by,
        divert: d.divert,
        import_id: None,
    })
}

/// A local date and time as the import file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i16,
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
}

/// `2018-11-01 10:00`, `2018-11-01 10:00:00`, `2018-11-01` (midnight), or the
/// German `01.11.2018 10:00`.
pub fn parse_local(raw: &str) -> Option<LocalTime> {
    let raw = raw.trim();
    let (date, time) = match raw.split_once([' ', 'T']) {
        Some((d, t)) => (d, t.trim()),
        None => (raw, "00:00"),
    };
    let num = |s: &str| s.parse::<i16>().ok();
    let parts: Vec<&str> =
        if date.contains('-') { date.split('-').collect() } else { date.split('.').collect() };
    let [a, b, c] = parts[..] else { return None };
    let (year, month, day) =
        if date.contains('-') { (num(a)?, num(b)?, num(c)?) } else { (num(c)?, num(b)?, num(a)?) };
    let mut t = time.split(':');
    let hour = num(t.next()?)?;
    let minute = num(t.next()?)?;
    if let Some(s) = t.next() {
        num(s).filter(|s| (0..60).contains(s))?;
    }
    if t.next().is_some()
        || !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
    {
        return None;
    }
    Some(LocalTime { year, month: month as i8, day: day as i8, hour: hour as i8, minute: minute as i8 })
}

/// Unix seconds of a local time in `zone` (`None` for a day that does not exist,
/// such as 31 April). A time the clocks skip is taken as after the change.
pub fn local_time(t: LocalTime, zone: &TimeZone) -> Option<i64> {
    let dt = jiff::civil::DateTime::new(t.year, t.month, t.day, t.hour, t.minute, 0, 0).ok()?;
    dt.to_zoned(zone.clone()).ok().map(|z| z.timestamp().as_second())
}

/// One good line of `PrmImport.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLine {
    /// Its line number in the file (1 is the header).
    pub line: usize,
    pub id: String,
    pub client: String,
    pub status: Status,
    pub start: Option<LocalTime>,
    pub end: Option<LocalTime>,
    pub info: String,
    /// The CallForward column as written (checked against the extension later).
    pub forward: String,
    pub set_by: String,
}

/// Why a line of the import is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("it has {0} columns, not 10 (ID;Client;Status;Activity;StartTime;EndTime;Info;Caption;CallForward;SetBy)")]
    Columns(usize),
    #[error("no client is named")]
    NoClient,
    #[error("the status is not a number from 0 to 11")]
    BadStatus,
    #[error("the start time is not a date and time (YYYY-MM-DD HH:MM)")]
    BadStart,
    #[error("the end time is not a date and time (YYYY-MM-DD HH:MM)")]
    BadEnd,
    #[error("the info text is longer than 100 characters")]
    InfoTooLong,
    #[error("no such client on this exchange")]
    UnknownClient,
    #[error("the end is not after the start")]
    EndsBeforeStart,
    #[error("the number to forward to cannot be dialled")]
    BadForward,
    #[error("the extension may not forward to that number")]
    Toll,
    #[error("the client has more than 20 statuses")]
    TooMany,
    #[error("the file has more lines than the import reads; the rest is not read")]
    TooManyLines,
}

/// The most lines of the file read (beyond, one problem is reported).
pub const MAX_IMPORT_LINES: usize = 20_000;

/// The file's lines, good and bad (by line number). The header (a first line
/// starting `ID;`) and empty lines are passed over; AVAILABLE lines are kept
/// (they end the client's imported statuses at their start).
pub fn parse_import(text: &str) -> (Vec<ImportLine>, Vec<(usize, LineProblem)>) {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if n > MAX_IMPORT_LINES {
            bad.push((n, LineProblem::TooManyLines));
            break;
        }
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty()
            || (n == 1 && raw.trim_start_matches('\u{feff}').to_ascii_uppercase().starts_with("ID;"))
        {
            continue;
        }
        match import_line(n, raw) {
            Ok(l) => good.push(l),
            Err(p) => bad.push((n, p)),
        }
    }
    (good, bad)
}

fn import_line(n: usize, raw: &str) -> Result<ImportLine, LineProblem> {
    let cols: Vec<&str> = raw.split(';').map(|c| c.trim().trim_matches('"').trim()).collect();
    let [id, client, status, _activity, start, end, info, _caption, forward, set_by] = cols[..] else {
        return Err(LineProblem::Columns(cols.len()));
    };
    if client.is_empty() {
        return Err(LineProblem::NoClient);
    }
    let status = status.parse::<u8>().ok().and_then(Status::from_id).ok_or(LineProblem::BadStatus)?;
    let time = |s: &str, p| if s.is_empty() { Ok(None) } else { parse_local(s).map(Some).ok_or(p) };
    let start = time(start, LineProblem::BadStart)?;
    let end = time(end, LineProblem::BadEnd)?;
    if info.chars().count() > MAX_INFO {
        return Err(LineProblem::InfoTooLong);
    }
    Ok(ImportLine {
        line: n,
        id: id.to_owned(),
        client: client.to_owned(),
        status,
        start,
        end,
        info: info.to_owned(),
        forward: forward.to_owned(),
        set_by: set_by.chars().take(MAX_SET_BY).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, status: Status, start: i64, end: Option<i64>, set_at: i64) -> Entry {
        Entry {
            id,
            status,
            info: String::new(),
            start,
            end,
            set_at,
            set_by: "test".into(),
            divert: None,
            import_id: None,
        }
    }

    #[test]
    fn the_latest_status_that_applies_is_shown_and_the_one_it_covered_returns() {
        use Status::*;
        // Busy from 100 until ended; a meeting set at 150 from 200 to 300; a
        // holiday set at 160 from 250 (covers the meeting from then on).
        let busy = entry(1, Busy, 100, None, 100);
        let meeting = entry(2, Meeting, 200, Some(300), 150);
        let holiday = entry(3, Holiday, 250, Some(400), 160);
        let stack = [busy, meeting, holiday];
        let cases: &[(i64, Option<Status>)] = &[
            (50, None),
            (100, Some(Busy)),
            (199, Some(Busy)),
            (200, Some(Meeting)),
            (260, Some(Holiday)),
            (399, Some(Holiday)),
            (400, Some(Busy)),
        ];
        for (now, want) in cases {
            assert_eq!(current(&stack, *now).map(|e| e.status), *want, "at {now}");
        }
        assert_eq!(next_change(&stack, 100), Some(200));
        assert_eq!(next_change(&stack, 260), Some(300));
        assert_eq!(next_change(&stack, 400), None);
        assert_eq!(ended(&stack, 300), vec![2]);
    }

    #[test]
    fn a_status_set_now_covers_one_that_started_earlier_and_ties_go_to_the_later() {
        use Status::*;
        let holiday = entry(1, Holiday, 0, Some(1000), 0);
        let pause = entry(2, Pause, 500, Some(600), 500);
        let brb = entry(3, Brb, 500, None, 500);
        assert_eq!(current(&[holiday.clone(), pause.clone()], 550).map(|e| e.status), Some(Pause));
        assert_eq!(current(&[holiday.clone(), pause.clone()], 600).map(|e| e.status), Some(Holiday));
        assert_eq!(current(&[holiday, pause, brb], 550).map(|e| e.status), Some(Brb));
    }

    #[test]
    fn diverts_are_laid_over_the_stored_program_and_dnd_is_one_truth() {
        let stored = ExtensionProgram { forward_always: Some("105".into()), ..Default::default() };
        let mut meeting = entry(1, Status::Meeting, 0, None, 0);
        assert_eq!(overlay(&stored, Some(&meeting)), stored, "a status without divert changes nothing");
        meeting.divert = Some(Divert::Number("208".into()));
        assert_eq!(overlay(&stored, Some(&meeting)).forward_always.as_deref(), Some("208"));
        let dnd = entry(2, Status::Dnd, 0, None, 0);
        assert_eq!(overlay(&stored, Some(&dnd)).dnd, Some(DEFAULT_ANNOUNCEMENT));
        let chosen = ExtensionProgram { dnd: Some(3), ..Default::default() };
        let mut yoga = entry(3, Status::Pause, 0, None, 0);
        yoga.divert = Some(Divert::Dnd);
        assert_eq!(overlay(&chosen, Some(&yoga)).dnd, Some(3), "the subscriber's own announcement");
        assert_eq!(overlay(&stored, None), stored);

        assert_eq!(shown(None, true).status, Status::Dnd, "DND at the phone shows as DND");
        assert_eq!(shown(None, true).set_by, SET_BY_PHONE);
        assert_eq!(shown(None, false).status, Status::Available);
        assert_eq!(shown(Some(&yoga), false).divert, Some(Divert::Dnd));
    }

    #[test]
    fn drafts_are_checked() {
        let d = |status, start, end, info: &str| Draft {
            status,
            info: info.into(),
            start,
            end,
            set_by: "Anna".into(),
            divert: None,
        };
        let now = 1000;
        assert_eq!(entry_of(d(Status::Meeting, None, Some(2000), "Board"), now).map(|e| e.start), Ok(1000));
        assert_eq!(
            entry_of(d(Status::Available, None, None, ""), now),
            Err(PresenceProblem::AvailableIsNotAStatus)
        );
        assert_eq!(
            entry_of(d(Status::Away, Some(3000), Some(2000), ""), now),
            Err(PresenceProblem::EndsBeforeStart)
        );
        assert_eq!(entry_of(d(Status::Away, Some(0), Some(900), ""), now), Err(PresenceProblem::EndPassed));
        assert_eq!(
            entry_of(d(Status::Msg, None, None, &"x".repeat(101)), now),
            Err(PresenceProblem::InfoTooLong)
        );
        assert_eq!(entry_of(d(Status::Msg, None, None, "a\nb"), now), Err(PresenceProblem::InfoTooLong));
        assert_eq!(divert_of("DND", "100"), Ok(Some(Divert::Dnd)));
        assert_eq!(divert_of(" 208 ", "100"), Ok(Some(Divert::Number("208".into()))));
        assert_eq!(divert_of("", "100"), Ok(None));
        assert_eq!(divert_of("100", "100"), Err(PresenceProblem::ForwardToSelf));
        assert_eq!(divert_of("call me", "100"), Err(PresenceProblem::BadForward));
    }

    #[test]
    fn states_keep_their_numbers() {
        assert_eq!(Status::Available.id(), 0);
        assert_eq!(Status::Dnd.id(), 9);
        assert_eq!(Status::Msg.id(), 11);
        assert_eq!(Status::from_id(12), None);
        for s in Status::ALL {
            assert_eq!(Status::from_id(s.id()), Some(s));
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn local_times_as_files_write_them() {
        let t = |y, mo, d, h, mi| Some(LocalTime { year: y, month: mo, day: d, hour: h, minute: mi });
        let cases: &[(&str, Option<LocalTime>)] = &[
            ("2018-11-01 10:00", t(2018, 11, 1, 10, 0)),
            ("2018-11-01 10:00:59", t(2018, 11, 1, 10, 0)),
            ("2018-11-01T23:59", t(2018, 11, 1, 23, 59)),
            ("2018-11-03", t(2018, 11, 3, 0, 0)),
            ("01.11.2018 14:30", t(2018, 11, 1, 14, 30)),
            ("2018-13-01 10:00", None),
            ("2018-11-01 24:00", None),
            ("2018-11-01 10", None),
            ("yesterday", None),
            ("", None),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_local(raw), *want, "{raw}");
        }
        let warsaw = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").expect("zone");
        let winter = local_time(parse_local("2018-11-01 10:00").expect("time"), &warsaw);
        assert_eq!(winter, Some(1_541_062_800), "09:00 UTC");
        let summer = local_time(parse_local("2018-07-01 10:00").expect("time"), &warsaw);
        assert_eq!(summer, Some(1_530_432_000), "08:00 UTC");
        assert_eq!(
            local_time(LocalTime { year: 2018, month: 4, day: 31, hour: 0, minute: 0 }, &warsaw),
            None
        );
    }

    #[test]
    fn the_seeds_example_file_reads_and_bad_lines_are_named() {
        let text = "ID;Client;Status;Activity;StartTime;EndTime;Info;Caption;CallForward;SetBy\r\n\
            0;schmidt;6;0;2018-11-01 10:00;2018-11-01 11:00;Meeting;Caption;208;Outlook-Calendar\r\n\
            1;mueller;10;0;2018-11-03 00:00;2018-11-18 23:59;Holiday;Caption;;Outlook-Calendar\r\n\
            2;foerster;4;0;2018-11-03 14:00;2018-11-03 14:30;Yoga;Caption;dnd;Outlook-Calendar\r\n\
            \r\n\
            3;;4;0;;;;;;\r\n\
            4;schmidt;12;0;;;;;;\r\n\
            5;schmidt;4;0;tomorrow;;;;;\r\n\
            6;schmidt;4;0\r\n\
            7;\"schmidt\";5;0;;2018-11-02;Busy;;;\r\n";
        let (good, bad) = parse_import(text);
        let clients: Vec<(&str, Status, usize)> =
            good.iter().map(|l| (l.client.as_str(), l.status, l.line)).collect();
        assert_eq!(
            clients,
            [
                ("schmidt", Status::Meeting, 2),
                ("mueller", Status::Holiday, 3),
                ("foerster", Status::Pause, 4),
                ("schmidt", Status::Busy, 10)
            ]
        );
        assert_eq!(good[0].forward, "208");
        assert_eq!(good[2].forward, "dnd");
        assert_eq!(good[0].set_by, "Outlook-Calendar");
        assert_eq!(good[3].start, None);
        assert_eq!(
            bad,
            [
                (6, LineProblem::NoClient),
                (7, LineProblem::BadStatus),
                (8, LineProblem::BadStart),
                (9, LineProblem::Columns(4))
            ]
        );
    }
}
