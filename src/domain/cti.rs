//! CTI server accounts (SPEC C1-C3): computer accounts (a host name), user
//! accounts (a login name, free or the Windows login name) and users without
//! login (only for building groups; no licence). Each may carry optional data
//! (names, phone number, e-mail, SIP user id, a department note for the
//! administrator). An account that logs in has a password of its own, or is
//! marked to have one handed over at its next login: that login needs none,
//! and the client receives the new password and keeps it. A subscriber's
//! WebCTI login is an account too (his extension's number and password).

use super::account::is_email;

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A computer: the client logs in with the computer's host name.
    Computer,
    /// A person, by login name.
    User,
    /// A person who never logs in: a member of groups, through whom a device
    /// joins a group.
    NoLogin,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Computer, Kind::User, Kind::NoLogin];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Computer => "computer",
            Kind::User => "user",
            Kind::NoLogin => "nologin",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The key of its name in the portal's translations.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Computer => "cti.kind_computer",
            Kind::User => "cti.kind_user",
            Kind::NoLogin => "cti.kind_nologin",
        }
    }

    /// Whether it logs in, and so needs a licence and a password.
    pub fn logs_in(self) -> bool {
        self != Kind::NoLogin
    }
}

/// An account as the store keeps it (never its password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub kind: Kind,
    pub data: Data,
    /// A password is set.
    pub has_password: bool,
    /// The next login needs no password and is handed a new one.
    pub hand_over: bool,
    pub created_at: i64,
}

/// What an administrator may note about an account (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Data {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: String,
    pub sip_user: String,
    /// A note for the administrator, e.g. the department.
    pub department_note: String,
}

/// The longest account name.
pub const MAX_NAME: usize = 64;
/// The longest optional field.
pub const MAX_FIELD: usize = 100;
/// The shortest and longest password an administrator sets.
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 128;

/// Why an account is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountProblem {
    #[error("not a computer's host name (letters, digits, '-' and '.', up to 63 each part)")]
    BadHostName,
    #[error("not a login name (1 to 64 characters, no control characters, no spaces at either end)")]
    BadLoginName,
    #[error("no such kind of account")]
    BadKind,
    #[error("a field is longer than 100 characters")]
    TooLong,
    #[error("not an e-mail address")]
    BadEmail,
    #[error("not a phone number")]
    BadPhone,
    #[error("an account of that name exists")]
    Exists,
    #[error("every licence of the CTI server is given to an account that logs in")]
    NoLicence,
    #[error("a password of 8 to 128 characters")]
    BadPassword,
    #[error("an account without login has no password")]
    NoLogin,
}

/// A computer's host name: NetBIOS or DNS, as Windows names computers.
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s.split('.').all(|part| {
            (1..=63).contains(&part.len())
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A login name: free text as people and Windows name themselves (`jan.kowal`,
/// `FIRMA\jkowal`, `Jan Kowalski`).
fn is_login_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=MAX_NAME).contains(&n) && s.trim() == s && !s.chars().any(char::is_control)
}

/// Checks an account as typed (names trimmed by the caller).
pub fn check_account(name: &str, kind: Kind, d: &Data) -> Result<(), AccountProblem> {
    match kind {
        Kind::Computer if !is_host_name(name) => return Err(AccountProblem::BadHostName),
        Kind::User | Kind::NoLogin if !is_login_name(name) => return Err(AccountProblem::BadLoginName),
        _ => {}
    }
    let fields = [&d.first_name, &d.last_name, &d.phone, &d.email, &d.sip_user, &d.department_note];
    if fields.iter().any(|f| f.chars().count() > MAX_FIELD || f.chars().any(char::is_control)) {
        return Err(AccountProblem::TooLong);
    }
    if !d.email.is_empty() && !is_email(&d.email) {
        return Err(AccountProblem::BadEmail);
    }
    if !d.phone.is_empty() && !super::number::is_phone_number(&d.phone) {
        return Err(AccountProblem::BadPhone);
    }
    Ok(())
}

/// Checks a password an administrator sets for an account of `kind`.
pub fn check_password(kind: Kind, password: &str) -> Result<(), AccountProblem> {
    if !kind.logs_in() {
        return Err(AccountProblem::NoLogin);
    }
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&password.chars().count()) {
        return Err(AccountProblem::BadPassword);
    }
    Ok(())
}

/// Whether one more account of `kind` may log in, with `logging_in` accounts
/// that log in already and `licences` licences.
pub fn licence_for(kind: Kind, logging_in: usize, licences: usize) -> Result<(), AccountProblem> {
    match kind.logs_in() && logging_in >= licences {
        true => Err(AccountProblem::NoLicence),
        false => Ok(()),
    }
}

/// What a login with a password comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// The password is the account's.
    Accepted,
    /// The account was marked: the login is accepted without a password and
    /// the client is handed a new one, which is the account's from now on.
    HandOver,
    /// Wrong password (or none set): refused, and counted as a guess.
    Wrong,
    /// A user without login never logs in.
    NoLogin,
}

/// The decision, given whether the password given matches the stored one.
pub fn login(kind: Kind, hand_over: bool, matches: bool) -> Login {
    match (kind.logs_in(), hand_over, matches) {
        (false, ..) => Login::NoLogin,
        (true, true, _) => Login::HandOver,
        (true, false, true) => Login::Accepted,
        (true, false, false) => Login::Wrong,
    }
}

/// A device of an account (SPEC C4): an extension it controls fully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub ext: String,
    /// A main device (the one calls are made from unless the client says).
    pub main: bool,
    /// A softphone: it does not feed the busy-lamp field when so chosen.
    pub softphone: bool,
}

/// The journals a CTI login reads (SPEC C4): its devices' past calls as the
/// server keeps them, and the calls they had while none of its account's
/// clients was connected, given at login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Journals {
    pub server: bool,
    pub offline: bool,
}

/// A line an account may monitor (SPEC C5), with what it may see and do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    pub ext: String,
    /// May see the callers' numbers.
    pub clip: bool,
    /// May pick up its calls.
    pub pickup: bool,
}

/// Which of its devices feeds an account's busy lamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlfSource {
    /// The one in use.
    #[default]
    InUse,
    /// The first.
    First,
    /// Any but a softphone.
    NotSoftphone,
}

impl BlfSource {
    pub const ALL: [BlfSource; 3] = [BlfSource::InUse, BlfSource::First, BlfSource::NotSoftphone];

    pub fn code(self) -> &'static str {
        match self {
            BlfSource::InUse => "in_use",
            BlfSource::First => "first",
            BlfSource::NotSoftphone => "not_softphone",
        }
    }

    pub fn from_code(code: &str) -> Option<BlfSource> {
        BlfSource::ALL.into_iter().find(|b| b.code() == code)
    }
}

/// An account's rights (SPEC C4, C5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rights {
    pub devices: Vec<Device>,
    pub monitors: Vec<Monitor>,
    /// Calls while the client is away are kept and delivered at the next login.
    pub offline_journal: bool,
    /// The server keeps the account's journal.
    pub server_journal: bool,
    /// The account has no devices of its own: it gets the devices of the
    /// computer it logs in from (a computer account's devices stand there).
    pub hot_desking: bool,
    pub blf: BlfSource,
}

/// The most devices and monitored lines of one account.
pub const MAX_DEVICES: usize = 16;
pub const MAX_MONITORS: usize = 500;

/// Why rights are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RightsProblem {
    #[error("line {0}: not an extension of this exchange, or written twice")]
    Line(usize),
    #[error("line {0}: unknown word (devices: main, softphone; monitors: clip, pickup)")]
    Word(usize),
    #[error("too many devices or monitored lines")]
    TooMany,
    #[error("an account with hot desking has no devices of its own")]
    HotDeskingWithDevices,
    #[error("a user without login monitors nothing and has no hot desking")]
    NoLogin,
}

/// Devices as an administrator writes them, one a line: `100 main`, `101`,
/// `102 softphone`. `known` says whether an extension exists.
pub fn parse_devices(text: &str, known: impl Fn(&str) -> bool) -> Result<Vec<Device>, RightsProblem> {
    let mut out: Vec<Device> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let ext = words.next().unwrap_or_default();
        if !known(ext) || out.iter().any(|d| d.ext == ext) {
            return Err(RightsProblem::Line(i + 1));
        }
        let mut d = Device { ext: ext.to_owned(), main: false, softphone: false };
        for w in words {
            match w.to_ascii_lowercase().as_str() {
                "main" => d.main = true,
                "softphone" => d.softphone = true,
                _ => return Err(RightsProblem::Word(i + 1)),
            }
        }
        out.push(d);
    }
    if out.len() > MAX_DEVICES {
        return Err(RightsProblem::TooMany);
    }
    // One device at least is a main device: the first, unless one is named.
    if !out.iter().any(|d| d.main) {
        if let Some(first) = out.first_mut() {
            first.main = true;
        }
    }
    Ok(out)
}

/// Monitored lines, one a line: `105 clip pickup`, `106`.
pub fn parse_monitors(text: &str, known: impl Fn(&str) -> bool) -> Result<Vec<Monitor>, RightsProblem> {
    let mut out: Vec<Monitor> = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let ext = words.next().unwrap_or_default();
        if !known(ext) || out.iter().any(|m| m.ext == ext) {
            return Err(RightsProblem::Line(i + 1));
        }
        let mut m = Monitor { ext: ext.to_owned(), clip: false, pickup: false };
        for w in words {
            match w.to_ascii_lowercase().as_str() {
                "clip" => m.clip = true,
                "pickup" => m.pickup = true,
                _ => return Err(RightsProblem::Word(i + 1)),
            }
        }
        out.push(m);
        if out.len() > MAX_MONITORS {
            return Err(RightsProblem::TooMany);
        }
    }
    Ok(out)
}

/// Devices as [`parse_devices`] reads them, one a line.
pub fn devices_text(list: &[Device]) -> String {
    let word = |on: bool, w: &str| if on { format!(" {w}") } else { String::new() };
    let lines: Vec<String> = list
        .iter()
        .map(|d| format!("{}{}{}", d.ext, word(d.main, "main"), word(d.softphone, "softphone")))
        .collect();
    lines.join("\n")
}

/// Monitored lines as [`parse_monitors`] reads them, one a line.
pub fn monitors_text(list: &[Monitor]) -> String {
    let word = |on: bool, w: &str| if on { format!(" {w}") } else { String::new() };
    let lines: Vec<String> = list
        .iter()
        .map(|m| format!("{}{}{}", m.ext, word(m.clip, "clip"), word(m.pickup, "pickup")))
        .collect();
    lines.join("\n")
}

/// Checks rights for an account of `kind`.
pub fn check_rights(kind: Kind, r: &Rights) -> Result<(), RightsProblem> {
    if r.hot_desking && !r.devices.is_empty() {
        return Err(RightsProblem::HotDeskingWithDevices);
    }
    if kind == Kind::NoLogin && (!r.monitors.is_empty() || r.hot_desking) {
        return Err(RightsProblem::NoLogin);
    }
    Ok(())
}

/// The devices an account controls in a session from `computer`: with hot
/// desking, those that stand at that computer (its computer account's),
/// else its own.
pub fn session_devices(rights: &Rights, at_computer: &[Device]) -> Vec<String> {
    let devices = if rights.hot_desking { at_computer } else { &rights.devices };
    devices.iter().map(|d| d.ext.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_kind() {
        let data = Data::default();
        let cases: &[(&str, Kind, Result<(), AccountProblem>)] = &[
            ("PC-RECEPTION", Kind::Computer, Ok(())),
            ("pc12.firma.local", Kind::Computer, Ok(())),
            ("PC RECEPTION", Kind::Computer, Err(AccountProblem::BadHostName)),
            ("-pc", Kind::Computer, Err(AccountProblem::BadHostName)),
            ("", Kind::Computer, Err(AccountProblem::BadHostName)),
            ("jan.kowal", Kind::User, Ok(())),
            ("FIRMA\\jkowal", Kind::User, Ok(())),
            ("Jan Kowalski", Kind::NoLogin, Ok(())),
            (" jan", Kind::User, Err(AccountProblem::BadLoginName)),
            ("jan\tkowal", Kind::User, Err(AccountProblem::BadLoginName)),
            ("", Kind::NoLogin, Err(AccountProblem::BadLoginName)),
        ];
        for (name, kind, want) in cases {
            assert_eq!(check_account(name, *kind, &data), *want, "{name:?} as {kind:?}");
        }
        assert_eq!(check_account(&"a".repeat(65), Kind::User, &data), Err(AccountProblem::BadLoginName));
        assert_eq!(check_account(&"ż".repeat(64), Kind::User, &data), Ok(()));
    }

    #[test]
    fn optional_data_is_checked() {
        let with = |f: fn(&mut Data)| {
            let mut d = Data::default();
            f(&mut d);
            check_account("jan", Kind::User, &d)
        };
        assert_eq!(with(|d| d.email = "jan@firma.pl".into()), Ok(()));
        assert_eq!(with(|d| d.email = "jan".into()), Err(AccountProblem::BadEmail));
        assert_eq!(with(|d| d.phone = "+48 22 555 01 02".into()), Ok(()));
        assert_eq!(with(|d| d.phone = "call me".into()), Err(AccountProblem::BadPhone));
        assert_eq!(with(|d| d.department_note = "x".repeat(101)), Err(AccountProblem::TooLong));
        assert_eq!(with(|d| d.first_name = "a\nb".into()), Err(AccountProblem::TooLong));
    }

    #[test]
    fn rights_as_written_and_hot_desking() {
        let known = |e: &str| ["100", "101", "102", "105"].contains(&e);
        let devices = parse_devices("100\n\n101 softphone\n", known).expect("devices");
        assert_eq!(
            devices,
            [
                Device { ext: "100".into(), main: true, softphone: false },
                Device { ext: "101".into(), main: false, softphone: true }
            ],
            "the first is the main device when none is named"
        );
        assert_eq!(parse_devices("100\n999", known), Err(RightsProblem::Line(2)));
        assert_eq!(parse_devices("100\n100", known), Err(RightsProblem::Line(2)));
        assert_eq!(parse_devices("100 boss", known), Err(RightsProblem::Word(1)));
        let monitors = parse_monitors("105 CLIP pickup\n102", known).expect("monitors");
        assert_eq!((monitors[0].clip, monitors[0].pickup, monitors[1].clip), (true, true, false));
        assert_eq!(parse_monitors("105 listen", known), Err(RightsProblem::Word(1)));

        let own = Rights { devices: devices.clone(), ..Rights::default() };
        let at_pc = [Device { ext: "102".into(), main: true, softphone: false }];
        assert_eq!(session_devices(&own, &at_pc), ["100", "101"]);
        let desk = Rights { hot_desking: true, ..Rights::default() };
        assert_eq!(session_devices(&desk, &at_pc), ["102"], "the device follows the computer");
        assert_eq!(session_devices(&desk, &[]), Vec::<String>::new());
        assert_eq!(
            check_rights(Kind::User, &Rights { hot_desking: true, ..own.clone() }),
            Err(RightsProblem::HotDeskingWithDevices)
        );
        let watching = Rights { monitors, ..Rights::default() };
        assert_eq!(check_rights(Kind::NoLogin, &watching), Err(RightsProblem::NoLogin));
        assert_eq!(
            check_rights(Kind::NoLogin, &own),
            Ok(()),
            "a device joins groups through a user without login"
        );
    }

    #[test]
    fn passwords_licences_and_logins() {
        assert_eq!(check_password(Kind::User, "12345678"), Ok(()));
        assert_eq!(check_password(Kind::User, "1234567"), Err(AccountProblem::BadPassword));
        assert_eq!(check_password(Kind::NoLogin, "12345678"), Err(AccountProblem::NoLogin));
        assert_eq!(licence_for(Kind::User, 4, 5), Ok(()));
        assert_eq!(licence_for(Kind::Computer, 5, 5), Err(AccountProblem::NoLicence));
        assert_eq!(licence_for(Kind::NoLogin, 5, 5), Ok(()), "users without login need no licence");
        let cases = [
            (Kind::User, false, true, Login::Accepted),
            (Kind::User, false, false, Login::Wrong),
            (Kind::Computer, true, false, Login::HandOver),
            (Kind::Computer, true, true, Login::HandOver),
            (Kind::NoLogin, false, true, Login::NoLogin),
            (Kind::NoLogin, true, false, Login::NoLogin),
        ];
        for (kind, hand_over, matches, want) in cases {
            assert_eq!(login(kind, hand_over, matches), want, "{kind:?} {hand_over} {matches}");
        }
    }

    #[test]
    fn lists_written_as_lines_read_back_the_same() {
        let known = |e: &str| ["100", "101", "102"].contains(&e);
        let d = |ext: &str, main, softphone| Device { ext: ext.into(), main, softphone };
        let devices =
            [vec![], vec![d("100", true, false)], vec![d("101", false, true), d("102", true, true)]];
        for list in devices {
            assert_eq!(parse_devices(&devices_text(&list), known), Ok(list.clone()), "{list:?}");
        }
        let m = |ext: &str, clip, pickup| Monitor { ext: ext.into(), clip, pickup };
        let monitors =
            [vec![], vec![m("100", false, false)], vec![m("101", true, false), m("102", true, true)]];
        for list in monitors {
            assert_eq!(parse_monitors(&monitors_text(&list), known), Ok(list.clone()), "{list:?}");
        }
        // An unknown line is named by its place.
        assert_eq!(
            parse_devices(&devices_text(&[d("100", true, false), d("999", false, false)]), known),
            Err(RightsProblem::Line(2))
        );
    }
}
