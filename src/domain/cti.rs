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
}
