//! `/api/v1/extensions`: what an administrator sets about each extension
//! (the employees page's fields), through the same service call as the page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{plain, read, replace, ApiCall, Caller, Problem, Resource};
#[cfg(feature = "openapi")]
use super::schema;
use crate::domain::account::{check_employee, Employee};
use crate::domain::journal::Topic;
use crate::domain::licence::CtiFunction;
use crate::domain::phonebook::PublicRight;
use crate::domain::program::Restriction;
use crate::http::HttpState;
use crate::services::employees::EmployeeChange;
use crate::services::journal::PAGE;
use crate::services::ServiceError;

/// Items on one page at most, and by default.
pub const MAX_PAGE: usize = 500;
pub const DEFAULT_PAGE: usize = 100;

/// An extension as an administrator sets it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The extension's number (read only; given, it must be the path's).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only, example = "100"))]
    pub number: String,
    #[cfg_attr(feature = "openapi", schema(example = "Anna Nowak", min_length = 1, max_length = 200))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub comment: String,
    /// Empty for none.
    #[cfg_attr(feature = "openapi", schema(example = "anna@example.com", max_length = 200))]
    pub email: String,
    /// The department's id; null for the pool of unassigned extensions.
    pub department: Option<i64>,
    pub is_admin: bool,
    /// What the extension may do with the public phonebook.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::public_right))]
    pub public_book: String,
    /// The MobilePhone number (empty for none).
    pub mobile: String,
    /// Outgoing calls: `none` (any number), `national` (no international), `internal`.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::restriction))]
    pub restriction: String,
    /// The numbers the extension may present as its caller ID (at most 10).
    pub caller_ids: Vec<String>,
    /// The ids of the departments he manages.
    pub manages: Vec<i64>,
    /// He may listen to call recordings.
    pub recordings: bool,
    /// The CTI functions he may use.
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::licences))]
    pub licences: Vec<String>,
}

impl Extension {
    pub fn of(e: Employee, caller_ids: Vec<String>) -> Extension {
        Extension {
            number: e.number,
            name: e.name,
            comment: e.comment,
            email: e.email,
            department: e.department,
            is_admin: e.is_admin,
            public_book: e.public_right.code().to_owned(),
            mobile: e.mobile,
            restriction: e.restriction.code().to_owned(),
            caller_ids,
            manages: e.manages,
            recordings: e.recordings,
            licences: e.licences.iter().map(|l| l.code().to_owned()).collect(),
        }
    }

    /// The change as the service takes it, or the field that cannot be one.
    /// What the document says of each field is checked here, before the
    /// precondition (RFC 9110 evaluates it just before the change is made);
    /// the service checks the whole change again, against the exchange.
    fn into_change(self, caller: &Caller, number: &str) -> Result<EmployeeChange, Problem> {
        let refused = |key: &str, at: &str| {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", caller.tr.t(key)).at(at)
        };
        if !self.number.is_empty() && self.number != number {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "read_only",
                caller.tr.t("api.read_only"),
            )
            .at("/number"));
        }
        if let Err(p) = check_employee(self.name.trim(), self.comment.trim(), self.email.trim()) {
            return Err(Problem::from_service(&caller.tr, ServiceError::Invalid(p.into())));
        }
        if PublicRight::from_code(&self.public_book).is_none() {
            return Err(refused("employee.bad_choice", "/public_book"));
        }
        if Restriction::from_code(&self.restriction).is_none() {
            return Err(refused("employee.bad_choice", "/restriction"));
        }
        if let Some(i) = self.licences.iter().position(|l| CtiFunction::from_code(l).is_none()) {
            return Err(refused("employee.bad_choice", &format!("/licences/{i}")));
        }
        if let Some(i) = (1..self.licences.len()).find(|&i| self.licences[..i].contains(&self.licences[i])) {
            return Err(refused("employee.bad_choice", &format!("/licences/{i}")));
        }
        // The service takes the numbers one per line, as the page's text area sends them.
        if let Some(i) = self.caller_ids.iter().position(|n| n.contains(['\n', '\r'])) {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                caller.tr.t("employee.bad_caller_id"),
            )
            .at(format!("/caller_ids/{i}")));
        }
        Ok(EmployeeChange {
            name: self.name,
            comment: self.comment,
            email: self.email,
            department: self.department.map(|d| d.to_string()).unwrap_or_default(),
            is_admin: self.is_admin,
            public_right: self.public_book,
            mobile: self.mobile,
            restriction: self.restriction,
            caller_ids: self.caller_ids.join("\n"),
            manages: self.manages.iter().map(i64::to_string).collect(),
            recordings: self.recordings,
            licences: self.licences,
        })
    }
}

/// One page of extensions, by number.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtensionPage {
    pub items: Vec<Extension>,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ExtensionQuery {
    /// The page starts after this number (the `next` of the page before).
    pub after: Option<String>,
    /// Items on the page, 1 to 500 (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    pub limit: Option<usize>,
    /// Only this department's extensions; `none` for the pool.
    pub department: Option<String>,
    /// Only administrators (`true`) or only others (`false`).
    pub is_admin: Option<bool>,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "extensions_list", path = "/api/v1/extensions", tag = "extensions", params(ExtensionQuery),
    responses((status = 200, body = ExtensionPage), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let q: ExtensionQuery = match call.query() {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
            caller.tr.t("api.invalid_query"),
        )
        .at("/limit")
        .into_response();
    }
    let department = match q.department.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(d) => match d.parse::<i64>() {
            Ok(id) => Some(Some(id)),
            Err(_) => {
                return Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_query",
                    caller.tr.t("api.invalid_query"),
                )
                .at("/department")
                .into_response()
            }
        },
    };
    let after = q.after.as_deref().unwrap_or("");
    let records =
        state.services.employees.records_page(&caller.actor, after, limit + 1, department, q.is_admin);
    let mut items = match records.await {
        Ok(r) => r.into_iter().map(|(e, ids)| Extension::of(e, ids)).collect::<Vec<_>>(),
        Err(e) => return Problem::from_service(&caller.tr, e).into_response(),
    };
    let next = match items.len() > limit {
        true => {
            items.truncate(limit);
            items.last().map(|e| e.number.clone())
        }
        false => None,
    };
    plain(&caller.tr, StatusCode::OK, &ExtensionPage { items, next })
}

impl Resource for Extension {
    type Change = EmployeeChange;

    async fn current(state: &HttpState, caller: &Caller, number: &str) -> Result<Extension, Problem> {
        match state.services.employees.record(&caller.actor, number).await {
            Ok((e, ids)) => Ok(Extension::of(e, ids)),
            Err(e) => Err(Problem::from_service(&caller.tr, e)),
        }
    }

    fn change(self, caller: &Caller, number: &str) -> Result<EmployeeChange, Problem> {
        self.into_change(caller, number)
    }

    async fn write(
        state: &HttpState,
        caller: &Caller,
        number: &str,
        change: EmployeeChange,
    ) -> Result<(), Problem> {
        let saved = state.services.employees.save(&caller.actor, number, change).await;
        saved.map(|_| ()).map_err(|e| Problem::from_service(&caller.tr, e))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "extensions_get", path = "/api/v1/extensions/{number}", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number")),
    responses((status = 200, body = Extension, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    read::<Extension>(&call, call.param("number")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "extensions_put", path = "/api/v1/extensions/{number}", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = Extension, description = "The whole extension: every field not given is emptied"),
    responses((status = 200, body = Extension, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 412, body = schema::ProblemDoc), (status = 415, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    replace::<Extension>(&call, call.param("number"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "extensions_patch", path = "/api/v1/extensions/{number}", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = schema::ExtensionPatch, content_type = "application/merge-patch+json", description = "JSON Merge Patch (RFC 7396): only the fields given change"),
    responses((status = 200, body = Extension, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 412, body = schema::ProblemDoc), (status = 415, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    replace::<Extension>(&call, call.param("number"), true).await
}

/// One entry of an extension's change journal.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who changed it: `ext:100`, `admin:120`, `token:3`, `system`.
    pub actor: String,
    /// Through which front end: `web`, `api`, `cti`, `phone`, `import`, `system`.
    pub via: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::topic))]
    pub topic: String,
    pub field: String,
    /// Secrets are never shown: a password or PIN is "set".
    pub old: String,
    pub new: String,
}

/// A page of the journal, newest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalPage {
    pub items: Vec<JournalEntry>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    /// The page holds entries older than this one (the `next` of the page before).
    pub before: Option<i64>,
    /// Only this topic: forwarding, services, password, profile, phonebook, rights.
    pub topic: Option<String>,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "extensions_journal", path = "/api/v1/extensions/{number}/journal", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number"), JournalQuery),
    responses((status = 200, body = JournalPage, description = "Who changed what of the extension's settings, when and from where, 50 entries a page"), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:read"]))))]
pub async fn journal(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let q: JournalQuery = match call.query() {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let topic = match q.topic.as_deref().map(Topic::from_code) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => {
            let p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                caller.tr.t("api.invalid_query"),
            );
            return p.at("/topic").into_response();
        }
    };
    let number = call.param("number");
    // The journal outlives an extension; the API answers for existing ones.
    if let Err(p) = Extension::current(state, caller, number).await {
        return p.into_response();
    }
    match state.services.journal.page(&caller.actor, number, q.before, topic).await {
        Ok(entries) => {
            let next = (entries.len() == PAGE).then(|| entries.last().map(|e| e.id)).flatten();
            let items = entries
                .into_iter()
                .map(|e| JournalEntry {
                    id: e.id,
                    at: e.at,
                    actor: e.actor,
                    via: e.via,
                    topic: e.topic.code().to_owned(),
                    field: e.field,
                    old: e.old,
                    new: e.new,
                })
                .collect();
            plain(&caller.tr, StatusCode::OK, &JournalPage { items, next })
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
