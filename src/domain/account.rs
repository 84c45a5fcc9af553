//! A subscriber's account as the portal shows it, and the rules for what he
//! types about himself.

use super::phonebook::PublicRight;
use super::program::Restriction;

/// A subscriber's profile and application settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub number: String,
    pub name: String,
    pub comment: String,
    pub description: String,
    pub email: String,
    pub department: Option<String>,
    pub mobile_number: String,
    pub language: String,
    pub layout: String,
    pub callback_choice: Option<String>,
    pub is_admin: bool,
    /// Mail him about each answered, and each missed, call (SPEC M1).
    pub notify_answered: bool,
    pub notify_missed: bool,
}

/// The longest description or e-mail address kept.
pub const MAX_FIELD: usize = 200;
/// The languages the portal speaks, by code.
pub const LANGUAGES: &[&str] = &["pl", "en", "de"];
/// The page layouts a subscriber may choose.
pub const LAYOUTS: &[&str] = &["auto", "full", "mobile"];

/// Why a profile change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProfileProblem {
    #[error("too long")]
    TooLong,
    #[error("not an e-mail address")]
    BadEmail,
    /// A new e-mail address receives password reset links: changing it takes
    /// the current password.
    #[error("the current password is needed to change the e-mail address")]
    PasswordNeeded,
}

/// Checks a description and an e-mail address as typed (trimmed first).
pub fn check_profile(description: &str, email: &str) -> Result<(), ProfileProblem> {
    if description.chars().count() > MAX_FIELD || email.len() > MAX_FIELD {
        return Err(ProfileProblem::TooLong);
    }
    if !email.is_empty() && !is_email(email) {
        return Err(ProfileProblem::BadEmail);
    }
    Ok(())
}

/// What an administrator sets about an extension (SPEC A5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    pub number: String,
    pub name: String,
    pub comment: String,
    pub email: String,
    pub department: Option<i64>,
    pub is_admin: bool,
    pub public_right: PublicRight,
    pub mobile: String,
    pub restriction: Restriction,
    /// The departments he manages (SPEC M1), by id.
    pub manages: Vec<i64>,
    /// He may listen to call recordings (SPEC A5).
    pub recordings: bool,
    /// The CTI functions he may use (SPEC A6), each once, in order.
    pub licences: Vec<crate::domain::licence::CtiFunction>,
}

/// Numbers one extension may present as its caller ID, at most.
pub const MAX_CALLER_IDS: usize = 10;

/// Why an administrator's change of an employee is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmployeeProblem {
    #[error("a name is needed")]
    NoName,
    #[error("too long")]
    TooLong,
    #[error("not an e-mail address")]
    BadEmail,
    #[error("the MobilePhone number is not a phone number")]
    BadMobile,
    #[error("a number to present is not a phone number, or there are too many")]
    BadCallerId,
    #[error("no such department")]
    NoSuchDepartment,
    #[error("no such right or restriction")]
    BadChoice,
    /// A manager takes only extensions that belong to no department.
    #[error("the extension is not in the pool")]
    NotInPool,
    /// The exchange would have nobody to administer it.
    #[error("the last administrator cannot lose the rights")]
    LastAdministrator,
}

/// Why a department change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DepartmentProblem {
    #[error("a name is needed")]
    NoName,
    #[error("too long")]
    TooLong,
    #[error("a department of that name exists")]
    Exists,
}

/// The longest department name.
pub const MAX_DEPARTMENT: usize = 100;

/// Checks a department's name as typed (trimmed first).
pub fn check_department(name: &str) -> Result<(), DepartmentProblem> {
    match name.chars().count() {
        0 => Err(DepartmentProblem::NoName),
        n if n > MAX_DEPARTMENT => Err(DepartmentProblem::TooLong),
        _ => Ok(()),
    }
}

/// Checks what an administrator typed about an employee (trimmed first).
pub fn check_employee(name: &str, comment: &str, email: &str) -> Result<(), EmployeeProblem> {
    if name.is_empty() {
        return Err(EmployeeProblem::NoName);
    }
    if [name, comment, email].iter().any(|s| s.chars().count() > MAX_FIELD) {
        return Err(EmployeeProblem::TooLong);
    }
    if !email.is_empty() && !is_email(email) {
        return Err(EmployeeProblem::BadEmail);
    }
    Ok(())
}

/// The longest extension number an exchange has.
pub const MAX_EXTENSION_DIGITS: usize = 8;

/// Whether `s` can be an extension number: 1 to 8 digits. Anything else typed
/// as one is refused before it is looked up, throttled or logged.
pub fn is_extension(s: &str) -> bool {
    (1..=MAX_EXTENSION_DIGITS).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` looks like an e-mail address: something, `@`, a domain with a dot.
pub fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        for (s, ok) in [
            ("100", true),
            ("1", true),
            ("12345678", true),
            ("123456789", false),
            ("", false),
            ("10a", false),
            ("100\r\nforged", false),
            (" 100", false),
            ("١٠٠", false),
        ] {
            assert_eq!(is_extension(s), ok, "{s:?}");
        }
    }

    #[test]
    fn profiles() {
        let long = "x".repeat(201);
        let cases = [
            ("", "", Ok(())),
            ("Sales desk", "anna@firma.pl", Ok(())),
            ("", "anna", Err(ProfileProblem::BadEmail)),
            ("", "anna@localhost", Err(ProfileProblem::BadEmail)),
            ("", "an na@firma.pl", Err(ProfileProblem::BadEmail)),
            ("", "@firma.pl", Err(ProfileProblem::BadEmail)),
            (long.as_str(), "", Err(ProfileProblem::TooLong)),
        ];
        for (d, e, expect) in cases {
            assert_eq!(check_profile(d, e), expect, "{d:?} {e:?}");
        }
    }
}
