//! The one place where an outcome becomes an HTTP status: [`HttpError`] and its
//! `IntoResponse`. Handlers return `Result<Response, HttpError>`; a service's
//! typed error turns into one of these, and the messages people read for a
//! refused request are chosen here too ([`message`]).

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::i18n::Tr;
use crate::domain::account::{DepartmentProblem, EmployeeProblem, ProfileProblem};
use crate::domain::settings::{ForwardingProblem, ServicesProblem};
use crate::services::auth::PasswordProblem;
use crate::services::features::Programmed;
use crate::services::{Busy, Exchange, Invalid, ServiceError};

/// Why a request did not get its page.
#[derive(Debug)]
pub enum HttpError {
    /// No live session: to the login page.
    Login,
    /// A PIN login may only set a password.
    SetPasswordFirst,
    /// A login with a second factor may only give its code.
    CodeFirst,
    /// Two-factor login is mandatory for him: to its enrolment page first.
    EnrolFirst(&'static str),
    /// Not allowed (CSRF token, origin, or `domain::access`), with the words to say so.
    Forbidden(String),
    NotFound(String),
    /// The page again, with what was wrong with the request.
    Refused(String),
    /// A request that could not be read (a broken upload).
    BadRequest(String),
    TooLarge(String),
    /// A bound was reached: try again later.
    TooMany(String),
    /// The exchange is not reachable.
    Unavailable(String),
    /// Our fault: logged, and answered without detail.
    Internal(String),
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match self {
            HttpError::Login => Redirect::to("/").into_response(),
            HttpError::SetPasswordFirst => Redirect::to("/password").into_response(),
            HttpError::CodeFirst => Redirect::to("/login/code").into_response(),
            HttpError::EnrolFirst(page) => Redirect::to(page).into_response(),
            HttpError::Forbidden(text) => (StatusCode::FORBIDDEN, text).into_response(),
            HttpError::NotFound(text) => (StatusCode::NOT_FOUND, text).into_response(),
            HttpError::Refused(html) => (StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response(),
            HttpError::BadRequest(text) => (StatusCode::BAD_REQUEST, text).into_response(),
            HttpError::TooLarge(text) => (StatusCode::PAYLOAD_TOO_LARGE, text).into_response(),
            HttpError::TooMany(text) => {
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "10")], text).into_response()
            }
            HttpError::Unavailable(text) => {
                (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], text).into_response()
            }
            HttpError::Internal(why) => {
                tracing::error!(error = %why, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl HttpError {
    /// A service's refusal, in the subscriber's language.
    pub fn from_service(t: Tr, e: ServiceError) -> HttpError {
        match e {
            ServiceError::Denied(_) => HttpError::Forbidden(t.t("error.forbidden").to_owned()),
            ServiceError::NotFound => HttpError::NotFound(t.t("error.not_found").to_owned()),
            ServiceError::Invalid(i) => HttpError::Refused(message(t, &i)),
            ServiceError::Exchange(Exchange::Unreachable) => {
                HttpError::Unavailable(t.t("error.core").to_owned())
            }
            ServiceError::Exchange(x) => HttpError::Refused(t.f("call.failed", "reason", exchange_code(x))),
            ServiceError::Store(e) => HttpError::Internal(e.to_string()),
            ServiceError::Hash(e) => HttpError::Internal(e.to_string()),
            ServiceError::Files(e) => HttpError::Internal(e),
            ServiceError::Busy(Busy::Streams) => HttpError::TooMany(t.t("error.too_many_streams").to_owned()),
            ServiceError::Busy(Busy::Import) => HttpError::TooMany(t.t("import.running").to_owned()),
            ServiceError::Busy(Busy::Tokens) => HttpError::TooMany(t.t("token.too_many").to_owned()),
            ServiceError::Busy(Busy::CtiClients) => {
                HttpError::TooMany(t.t("error.too_many_cti_clients").to_owned())
            }
            ServiceError::SessionEnded => HttpError::Login,
        }
    }
}

/// A template rendered, or the error that says it could not be.
pub fn render<T: Template>(page: T) -> Result<Response, HttpError> {
    page.render().map(|body| Html(body).into_response()).map_err(|e| HttpError::Internal(e.to_string()))
}

/// A page that shows a refusal: rendered, and answered as refused.
pub fn refused<T: Template>(page: T) -> Result<Response, HttpError> {
    let body = page.render().map_err(|e| HttpError::Internal(e.to_string()))?;
    Err(HttpError::Refused(body))
}

/// A page as shown when `fine`, else as a refusal (its error on it).
pub fn shown_or_refused<T: Template>(fine: bool, page: T) -> Result<Response, HttpError> {
    if fine {
        render(page)
    } else {
        refused(page)
    }
}

/// The short code of an exchange's refusal, as the start page's URL carries it.
pub fn exchange_code(x: Exchange) -> &'static str {
    match x {
        Exchange::Unreachable => "core",
        Exchange::NoMobileNumber => "no_mobile",
        Exchange::InvalidNumber => "invalid",
        Exchange::Restricted => "restricted",
        Exchange::NoCredit => "no_credit",
        Exchange::Refused => "refused",
    }
}

/// What people read when a request is refused by a rule.
pub fn message(t: Tr, i: &Invalid) -> String {
    use crate::domain::certificate::CertProblem;
    use crate::domain::licence::LicenceProblem;
    use crate::domain::mail::SmtpProblem;
    use crate::domain::token::TokenProblem;
    let key = match i {
        Invalid::Number(_) => "forwarding.bad_number",
        Invalid::Profile(ProfileProblem::TooLong) => "settings.too_long",
        Invalid::Profile(ProfileProblem::BadEmail) => "settings.bad_email",
        Invalid::Profile(ProfileProblem::PasswordNeeded) => "settings.password_needed",
        Invalid::Employee(p) => employee_key(*p),
        Invalid::Licence(LicenceProblem::Exhausted(f)) => {
            return t.f("licence.exhausted", "function", t.t(f.key()));
        }
        Invalid::Licence(LicenceProblem::Unknown) => "licence.unknown",
        Invalid::Licence(LicenceProblem::NoSuchFunction) => "employee.bad_choice",
        Invalid::Department(DepartmentProblem::NoName) => "employee.no_name",
        Invalid::Department(DepartmentProblem::TooLong) => "settings.too_long",
        Invalid::Department(DepartmentProblem::Exists) => "department.exists",
        Invalid::Code(_) => "two_factor.wrong",
        Invalid::Forwarding(p) => forwarding_key(*p),
        Invalid::Services(p) => services_key(*p),
        Invalid::Book(r) => r.key(),
        Invalid::Contact(p) => return t.f(p.key, "detail", &p.detail),
        Invalid::File(e) => e.key(),
        Invalid::Selection => "phonebook.nothing_selected",
        Invalid::Note => "notes.bad",
        Invalid::NotesFull => "notes.full",
        Invalid::Source(p) => source_key(*p),
        Invalid::Token(p) => match p {
            TokenProblem::BadName => "token.bad_name",
            TokenProblem::NoScope => "token.no_scope",
            TokenProblem::BadScope => "token.bad_scope",
            TokenProblem::BadExpiry => "token.bad_expiry",
        },
        Invalid::Installer(p) => match p {
            crate::services::installer::InstallerProblem::BadName => "installer.bad_name",
            crate::services::installer::InstallerProblem::TooLarge => "installer.too_large",
            crate::services::installer::InstallerProblem::Empty => "installer.empty",
        },
        Invalid::Certificate(p) => match p {
            CertProblem::NoCertificate => "tls.no_certificate",
            CertProblem::NoKey => "tls.no_key",
            CertProblem::KeyMismatch => "tls.key_mismatch",
            CertProblem::Expired => "tls.expired",
            CertProblem::NotYetValid => "tls.not_yet_valid",
            CertProblem::WrongName => "tls.wrong_name",
            CertProblem::Invalid => "tls.invalid",
            CertProblem::TooLarge => "settings.too_long",
        },
        Invalid::Tariff(p) => {
            use crate::domain::tariff::TariffProblem as P;
            let (key, n) = match p {
                P::Prefix(n) => ("costs.bad_prefix", *n),
                P::Duplicate(n) => ("costs.duplicate_prefix", *n),
                P::Name(n) => ("costs.bad_rate_name", *n),
                P::Price(n) => ("costs.bad_price", *n),
                P::Block(n) => ("costs.bad_block", *n),
                P::Band(n) => ("costs.bad_band", *n),
                P::TooManyRates => ("costs.too_many_rates", 0),
                P::TooManyBands => ("costs.too_many_bands", 0),
            };
            return t.f(key, "row", &n.to_string());
        }
        Invalid::Costs(p) => match p {
            crate::domain::tariff::AccountProblem::Limit => "costs.bad_limit",
            crate::domain::tariff::AccountProblem::TopUp => "costs.bad_top_up",
            crate::domain::tariff::AccountProblem::Amount => "costs.bad_amount",
        },
        Invalid::Presence(p) => presence_key(*p),
        Invalid::Rights(p) => {
            use crate::domain::cti::RightsProblem as P;
            return match p {
                P::Line(n) => t.f("cti.bad_line", "line", &n.to_string()),
                P::Word(n) => t.f("cti.bad_word", "line", &n.to_string()),
                P::TooMany => t.t("cti.too_many").to_owned(),
                P::HotDeskingWithDevices => t.t("cti.hot_desking_devices").to_owned(),
                P::NoLogin => t.t("cti.nologin_rights").to_owned(),
            };
        }
        Invalid::Group(p) => {
            use crate::domain::group::GroupProblem as P;
            match p {
                P::Name => "cti.bad_group_name",
                P::Exists => "cti.group_exists",
                P::Member(n) => return t.f("cti.bad_member", "line", &n.to_string()),
                P::TooManyMembers => "cti.too_many_members",
                P::TooManyGroups => "cti.too_many_groups",
            }
        }
        Invalid::Cti(p) => {
            use crate::domain::cti::AccountProblem as P;
            match p {
                P::BadHostName => "cti.bad_host_name",
                P::BadLoginName => "cti.bad_login_name",
                P::BadKind => "employee.bad_choice",
                P::TooLong => "settings.too_long",
                P::BadEmail => "settings.bad_email",
                P::BadPhone => "forwarding.bad_number",
                P::Exists => "cti.exists",
                P::NoLicence => "cti.no_licence",
                P::BadPassword => "cti.bad_password",
                P::NoLogin => "cti.no_login",
            }
        }
        Invalid::Smtp(p) => match p {
            SmtpProblem::BadHost => "smtp.bad_host",
            SmtpProblem::BadPort => "smtp.bad_port",
            SmtpProblem::BadTls => "employee.bad_choice",
            SmtpProblem::BadSender => "smtp.bad_sender",
            SmtpProblem::BadCertificate => "smtp.bad_certificate",
            SmtpProblem::TooLong => "settings.too_long",
        },
    };
    t.t(key).to_owned()
}

fn presence_key(p: crate::domain::presence::PresenceProblem) -> &'static str {
    use crate::domain::presence::PresenceProblem as P;
    match p {
        P::BadStatus => "presence.bad_status",
        P::InfoTooLong => "presence.info_too_long",
        P::EndsBeforeStart => "presence.ends_before_start",
        P::EndPassed => "presence.end_passed",
        P::BadTime => "presence.bad_time",
        P::BadForward => "forwarding.bad_number",
        P::ForwardToSelf => "forwarding.to_self",
        P::TooMany => "presence.too_many",
        P::AvailableIsNotAStatus => "presence.bad_status",
    }
}

/// What people read about a skipped line of the presence import.
pub fn import_line_key(p: crate::domain::presence::LineProblem) -> &'static str {
    use crate::domain::presence::LineProblem as P;
    match p {
        P::Columns(_) => "presence.line_columns",
        P::NoClient => "presence.line_no_client",
        P::BadStatus => "presence.line_bad_status",
        P::BadStart => "presence.line_bad_start",
        P::BadEnd => "presence.line_bad_end",
        P::InfoTooLong => "presence.info_too_long",
        P::UnknownClient => "presence.line_unknown_client",
        P::EndsBeforeStart => "presence.ends_before_start",
        P::BadForward => "forwarding.bad_number",
        P::Toll => "forwarding.restricted",
        P::TooMany => "presence.too_many",
        P::TooManyLines => "presence.line_too_many",
    }
}

fn forwarding_key(p: ForwardingProblem) -> &'static str {
    match p {
        ForwardingProblem::BadNumber => "forwarding.bad_number",
        ForwardingProblem::ToSelf => "forwarding.to_self",
        ForwardingProblem::BadSecs => "forwarding.bad_secs",
        ForwardingProblem::UnknownExtension => "forwarding.unknown_extension",
        ForwardingProblem::Restricted => "forwarding.restricted",
        ForwardingProblem::Locked => "forwarding.locked",
        ForwardingProblem::BadAnnouncement => "forwarding.bad_announcement",
        ForwardingProblem::NoMobile => "forwarding.no_mobile",
        ForwardingProblem::BadRule => "forwarding.bad_rule",
        ForwardingProblem::RuleNeedsNumber => "forwarding.rule_needs_number",
        ForwardingProblem::TooManyRules => "forwarding.too_many_rules",
    }
}

fn employee_key(p: EmployeeProblem) -> &'static str {
    match p {
        EmployeeProblem::NoName => "employee.no_name",
        EmployeeProblem::TooLong => "settings.too_long",
        EmployeeProblem::BadEmail => "settings.bad_email",
        EmployeeProblem::BadMobile => "employee.bad_mobile",
        EmployeeProblem::BadCallerId => "employee.bad_caller_id",
        EmployeeProblem::NoSuchDepartment => "employee.no_department",
        EmployeeProblem::BadChoice => "employee.bad_choice",
        EmployeeProblem::LastAdministrator => "employee.last_admin",
        EmployeeProblem::NotInPool => "manager.not_in_pool",
    }
}

fn services_key(p: ServicesProblem) -> &'static str {
    match p {
        ServicesProblem::BadTime => "services.bad_time",
        ServicesProblem::BadCallAs => "services.bad_call_as",
        ServicesProblem::NotAssigned => "services.not_assigned",
        ServicesProblem::BadAccount => "services.bad_account",
        ServicesProblem::BadPin => "services.bad_pin",
        ServicesProblem::PinNeeded => "services.pin_needed",
    }
}

/// A template rendered as a response (a template error answers 500).
pub fn html<T: Template>(page: T) -> Response {
    render(page).into_response()
}

/// The words for where a stored change went: into the core now, or on the resync.
pub fn saved_notice(t: Tr, p: Programmed) -> String {
    match p {
        Programmed::Now => t.t("forwarding.saved").to_owned(),
        Programmed::OnResync => t.t("forwarding.saved_later").to_owned(),
    }
}

/// How a form's answer went, for the pages that answer with a page of their own
/// (login, password, reset, the call button's JSON); the status of each is
/// decided here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Shown,
    /// The form's token or origin is not ours.
    Expired,
    /// Wrong extension or password.
    Failed,
    Throttled,
    /// A reset link that no longer works.
    Gone,
    /// The input is not acceptable.
    Invalid,
}

impl Answer {
    pub fn status(self) -> StatusCode {
        match self {
            Answer::Shown => StatusCode::OK,
            Answer::Expired => StatusCode::FORBIDDEN,
            Answer::Failed => StatusCode::UNAUTHORIZED,
            Answer::Throttled => StatusCode::TOO_MANY_REQUESTS,
            Answer::Gone => StatusCode::GONE,
            Answer::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// The message for a password the policy refuses.
pub fn password_problem_key(p: PasswordProblem) -> &'static str {
    match p {
        PasswordProblem::TooShort => "password.too_short",
        PasswordProblem::TooLong => "settings.too_long",
        PasswordProblem::Mismatch => "password.mismatch",
        PasswordProblem::SameAsExtension => "password.same_as_extension",
        PasswordProblem::WrongCurrent => "password.wrong_current",
    }
}

fn source_key(p: crate::domain::directory::SourceProblem) -> &'static str {
    use crate::domain::directory::SourceProblem as P;
    match p {
        P::Name => "books.bad_name",
        P::Path => "books.bad_path",
        P::Url => "books.bad_url",
        P::StartTlsOnLdaps => "books.starttls_ldaps",
        P::Base => "books.no_base",
        P::Filter => "books.bad_filter",
        P::Interval => "books.bad_interval",
        P::TooMany => "books.too_many",
        P::Mapping => "books.bad_mapping",
        P::EditableCsv => "books.editable_csv",
        P::Access => "books.bad_access",
        P::NoSuchGroup => "books.no_such_group",
        P::NoSource => "books.no_source",
    }
}
