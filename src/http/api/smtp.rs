//! `/api/v1/smtp`: the mail server the board sends through (SPEC A3), as the
//! administrator's SMTP page sets it, through the same service call: checked,
//! stored and put to use when the call returns. The password is written, never
//! read back.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::door::{read, replace, ApiCall, Caller, Problem, Resource};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::mail::{check_smtp, SmtpProblem};
use crate::http::HttpState;
use crate::services::smtp::SmtpChange;
use crate::services::{Invalid, ServiceError};

/// The mail server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SmtpServer {
    #[cfg_attr(feature = "openapi", schema(example = "mail.example.com"))]
    pub host: String,
    #[cfg_attr(feature = "openapi", schema(example = 587, minimum = 1, maximum = 65535))]
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    #[cfg_attr(feature = "openapi", schema(example = "starttls"))]
    pub tls: String,
    #[serde(default)]
    pub username: String,
    /// Sent: the password to use from now on (`""` forgets the one set); left
    /// out, the one set is kept. Never answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(write_only))]
    pub password: Option<String>,
    /// A password is set (read only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub password_set: bool,
    /// The sender's address.
    #[cfg_attr(feature = "openapi", schema(example = "pbx@example.com"))]
    pub from: String,
    /// A CA certificate (PEM) the server's is checked against; empty for the board's.
    #[serde(default)]
    pub ca: String,
}

/// A JSON Merge Patch of the mail server (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SmtpServerPatch {
    pub host: Option<String>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 65535))]
    pub port: Option<u16>,
    pub tls: Option<String>,
    pub username: Option<String>,
    #[cfg_attr(feature = "openapi", schema(write_only))]
    pub password: Option<String>,
    pub from: Option<String>,
    pub ca: Option<String>,
}

/// The field a refusal is about.
fn problem(caller: &Caller, p: SmtpProblem) -> Problem {
    let at = match p {
        SmtpProblem::BadHost => "/host",
        SmtpProblem::BadPort => "/port",
        SmtpProblem::BadTls => "/tls",
        SmtpProblem::BadSender => "/from",
        SmtpProblem::BadCertificate => "/ca",
        SmtpProblem::TooLong => "",
    };
    Problem::from_service(&caller.tr, ServiceError::Invalid(Invalid::Smtp(p))).at(at)
}

impl Resource for SmtpServer {
    type Change = SmtpChange;

    async fn current(state: &HttpState, caller: &Caller, _key: &str) -> Result<SmtpServer, Problem> {
        let v = state
            .services
            .smtp
            .view(&caller.actor)
            .await
            .map_err(|e| Problem::from_service(&caller.tr, e))?;
        Ok(SmtpServer {
            host: v.host,
            port: v.port,
            tls: v.tls,
            username: v.username,
            password: None,
            password_set: v.password_set,
            from: v.from,
            ca: v.ca,
        })
    }

    fn change(self, caller: &Caller, _key: &str) -> Result<SmtpChange, Problem> {
        let port = self.port.to_string();
        check_smtp(self.host.trim(), &port, self.tls.trim(), self.from.trim())
            .map_err(|p| problem(caller, p))?;
        Ok(SmtpChange {
            host: self.host,
            port,
            tls: self.tls,
            username: self.username,
            forget_password: self.password.as_deref() == Some(""),
            password: self.password.unwrap_or_default(),
            from: self.from,
            ca: self.ca,
        })
    }

    async fn write(state: &HttpState, caller: &Caller, _key: &str, c: SmtpChange) -> Result<(), Problem> {
        state.services.smtp.save(&caller.actor, c).await.map_err(|e| match e {
            ServiceError::Invalid(Invalid::Smtp(p)) => problem(caller, p),
            e => Problem::from_service(&caller.tr, e),
        })
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "smtp_get", path = "/api/v1/smtp", tag = "board",
    responses((status = 200, body = SmtpServer, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["board:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    read::<SmtpServer>(&call, "").await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "smtp_put", path = "/api/v1/smtp", tag = "board",
    params(("If-Match" = Option<String>, Header)),
    request_body = SmtpServer,
    responses((status = 200, body = SmtpServer, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    replace::<SmtpServer>(&call, "", false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "smtp_patch", path = "/api/v1/smtp", tag = "board",
    params(("If-Match" = Option<String>, Header)),
    request_body(content = SmtpServerPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = SmtpServer, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    replace::<SmtpServer>(&call, "", true).await
}
