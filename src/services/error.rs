//! What a service call can answer instead of a result. Typed, so every front end
//! (pages, the JSON API, the CTI server) decides for itself how to say it; none of
//! these is an HTTP status.

use crate::domain::access::Denied;
use crate::domain::account::{DepartmentProblem, EmployeeProblem, ProfileProblem};
use crate::domain::number::NumberProblem;
use crate::domain::phonebook::Refusal;
use crate::domain::settings::{ForwardingProblem, ServicesProblem};
use crate::hal::{CoreError, ErrorKind};
use crate::phonebook::{FileError, Problem};
use crate::services::password::HashError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// `domain::access` said no; nothing was read or written.
    #[error("not allowed: {0}")]
    Denied(#[from] Denied),
    #[error("no such extension or entry")]
    NotFound,
    /// The request is not acceptable as it is; nothing was written.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The exchange refused or could not be reached.
    #[error("the exchange: {0}")]
    Exchange(Exchange),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    /// A bound was reached; nothing was done. Try again later.
    #[error("busy: {0}")]
    Busy(Busy),
    /// A file in the data directory could not be read or written.
    #[error("the data directory: {0}")]
    Files(String),
    /// The session the request came with has ended.
    #[error("the session has ended")]
    SessionEnded,
}

/// Which bound a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    #[error("too many live streams are open for this extension")]
    Streams,
    #[error("an import of this subscriber is already running")]
    Import,
    #[error("as many tokens as allowed are in force; revoke one first")]
    Tokens,
    #[error("too many CTI clients are connected for this account, or to the server")]
    CtiClients,
}

/// What is wrong with a request, by the rule that refused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("number: {0}")]
    Number(#[from] NumberProblem),
    #[error("profile: {0}")]
    Profile(#[from] ProfileProblem),
    #[error("employee: {0}")]
    Employee(#[from] EmployeeProblem),
    #[error("department: {0}")]
    Department(#[from] DepartmentProblem),
    #[error("licences: {0}")]
    Licence(#[from] crate::domain::licence::LicenceProblem),
    #[error("installer: {0}")]
    Installer(#[from] crate::services::installer::InstallerProblem),
    #[error("certificate: {0}")]
    Certificate(#[from] crate::domain::certificate::CertProblem),
    #[error("mail server: {0}")]
    Smtp(#[from] crate::domain::mail::SmtpProblem),
    #[error("code: {0}")]
    Code(crate::domain::totp::CodeProblem),
    #[error("forwarding: {0}")]
    Forwarding(#[from] ForwardingProblem),
    #[error("services: {0}")]
    Services(#[from] ServicesProblem),
    #[error("phonebook: {0:?}")]
    Book(Refusal),
    #[error("contact: {}", .0.key)]
    Contact(Problem),
    #[error("contact file: {0:?}")]
    File(FileError),
    #[error("nothing selected, or too much")]
    Selection,
    #[error("a note of 1 to 2000 characters")]
    Note,
    #[error("the contact keeps no more notes")]
    NotesFull,
    #[error("phonebook source: {0}")]
    Source(#[from] crate::domain::directory::SourceProblem),
    #[error("token: {0}")]
    Token(#[from] crate::domain::token::TokenProblem),
    #[error("tariff: {0}")]
    Tariff(#[from] crate::domain::tariff::TariffProblem),
    #[error("costs: {0}")]
    Costs(#[from] crate::domain::tariff::AccountProblem),
    #[error("presence: {0}")]
    Presence(#[from] crate::domain::presence::PresenceProblem),
    #[error("CTI account: {0}")]
    Cti(#[from] crate::domain::cti::AccountProblem),
    #[error("CTI rights: {0}")]
    Rights(#[from] crate::domain::cti::RightsProblem),
    #[error("CTI group: {0}")]
    Group(#[from] crate::domain::group::GroupProblem),
}

/// Why the exchange did not do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Exchange {
    #[error("not reachable now")]
    Unreachable,
    #[error("no MobilePhone number")]
    NoMobileNumber,
    #[error("the number cannot be dialled")]
    InvalidNumber,
    #[error("restricted")]
    Restricted,
    #[error("the credit does not cover this call")]
    NoCredit,
    #[error("refused")]
    Refused,
}

impl From<CoreError> for ServiceError {
    fn from(e: CoreError) -> Self {
        ServiceError::Exchange(match e {
            CoreError::LinkDown | CoreError::Timeout => Exchange::Unreachable,
            CoreError::Refused(ErrorKind::NoMobileNumber) => Exchange::NoMobileNumber,
            CoreError::Refused(ErrorKind::InvalidNumber) => Exchange::InvalidNumber,
            CoreError::Refused(ErrorKind::Restricted) => Exchange::Restricted,
            CoreError::Refused(ErrorKind::NoCredit) => Exchange::NoCredit,
            CoreError::Refused(_) => Exchange::Refused,
        })
    }
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        ServiceError::Invalid(Invalid::Book(r))
    }
}

impl From<crate::domain::cti::AccountProblem> for ServiceError {
    fn from(p: crate::domain::cti::AccountProblem) -> Self {
        ServiceError::Invalid(Invalid::Cti(p))
    }
}

impl From<crate::domain::group::GroupProblem> for ServiceError {
    fn from(p: crate::domain::group::GroupProblem) -> Self {
        ServiceError::Invalid(Invalid::Group(p))
    }
}

impl From<crate::domain::cti::RightsProblem> for ServiceError {
    fn from(p: crate::domain::cti::RightsProblem) -> Self {
        ServiceError::Invalid(Invalid::Rights(p))
    }
}

impl From<ForwardingProblem> for ServiceError {
    fn from(p: ForwardingProblem) -> Self {
        ServiceError::Invalid(Invalid::Forwarding(p))
    }
}

impl From<crate::domain::licence::LicenceProblem> for ServiceError {
    fn from(p: crate::domain::licence::LicenceProblem) -> Self {
        ServiceError::Invalid(Invalid::Licence(p))
    }
}

impl From<ServicesProblem> for ServiceError {
    fn from(p: ServicesProblem) -> Self {
        ServiceError::Invalid(Invalid::Services(p))
    }
}

impl From<crate::domain::tariff::TariffProblem> for ServiceError {
    fn from(p: crate::domain::tariff::TariffProblem) -> Self {
        ServiceError::Invalid(Invalid::Tariff(p))
    }
}

impl From<crate::domain::tariff::AccountProblem> for ServiceError {
    fn from(p: crate::domain::tariff::AccountProblem) -> Self {
        ServiceError::Invalid(Invalid::Costs(p))
    }
}
