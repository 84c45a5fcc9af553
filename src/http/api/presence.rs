//! `/api/v1/extensions/{number}/presence`: the presence state an extension
//! shows, its statuses now and to come, a new status and one ended, through
//! the same service calls as the presence page (the divert checked against the
//! extension's restriction and phone lock, the core programmed before the call
//! returns). Times are Unix seconds.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{parse, plain, ApiCall, Problem};
#[cfg(feature = "openapi")]
use super::schema;
use crate::domain::presence::{Entry, Shown};
use crate::services::presence::SetPresence;

/// One status of the stack.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::presence_state))]
    pub status: String,
    /// The CTI server's number of the state (0 AVAILABLE ... 11 MSG).
    pub status_id: u8,
    pub info: String,
    pub start: i64,
    /// Null: until it is ended.
    pub end: Option<i64>,
    pub set_by: String,
    /// A number calls go to while it applies, `dnd`, or null.
    pub forward: Option<String>,
    /// Set from the import file (its record id).
    pub import_id: Option<String>,
}

/// The state shown now, and the stack.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presence {
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::presence_state))]
    pub status: String,
    pub status_id: u8,
    pub info: String,
    pub end: Option<i64>,
    /// Who set it; `phone` for DND set at the phone or on the forwarding page.
    pub set_by: String,
    pub forward: Option<String>,
    /// Newest first: when the one shown ends, the next that applies shows.
    pub statuses: Vec<Status>,
}

/// A status to set. `available` ends the statuses that apply now (and DND).
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewStatus {
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::presence_state))]
    pub status: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Board meeting", max_length = 100))]
    pub info: String,
    /// Unix seconds; absent: now.
    #[serde(default)]
    pub start: Option<i64>,
    /// Unix seconds; absent: until it is ended.
    #[serde(default)]
    pub end: Option<i64>,
    /// A number calls go to while it applies, or `dnd`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "105"))]
    pub forward: Option<String>,
}

fn status_of(e: &Entry) -> Status {
    Status {
        id: e.id,
        status: e.status.code().to_owned(),
        status_id: e.status.id(),
        info: e.info.clone(),
        start: e.start,
        end: e.end,
        set_by: e.set_by.clone(),
        forward: e.divert().map(|d| d.text().to_owned()),
        import_id: e.import_id.clone(),
    }
}

pub(crate) fn presence_of(shown: Shown, stack: &[Entry]) -> Presence {
    Presence {
        status: shown.status.code().to_owned(),
        status_id: shown.status.id(),
        info: shown.info,
        end: shown.end,
        set_by: shown.set_by,
        forward: shown.divert.map(|d| d.text().to_owned()),
        statuses: stack.iter().map(status_of).collect(),
    }
}

async fn answer(call: &ApiCall, status: StatusCode) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.presence.stack(&caller.actor, call.param("number")).await {
        Ok((shown, stack)) => plain(&caller.tr, status, &presence_of(shown, &stack)),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "presence_get", path = "/api/v1/extensions/{number}/presence", tag = "presence",
    params(("number" = String, Path, description = "The extension's number")),
    responses((status = 200, body = Presence), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    answer(&call, StatusCode::OK).await
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "presence_set", path = "/api/v1/extensions/{number}/presence", tag = "presence",
    params(("number" = String, Path, description = "The extension's number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key sets the status once")),
    request_body = NewStatus,
    responses((status = 200, body = Presence), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 415, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn set(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let new: NewStatus = match parse(&caller.tr, headers, body) {
            Ok(n) => n,
            Err(p) => return p.into_response(),
        };
        let set = SetPresence {
            status: new.status,
            info: new.info,
            start: new.start,
            end: new.end,
            forward: new.forward.unwrap_or_default(),
            ..SetPresence::default()
        };
        match state.services.presence.set(&caller.actor, call.param("number"), set).await {
            Ok(_) => answer(&call, StatusCode::OK).await,
            Err(e) => Problem::from_service(&caller.tr, e).into_response(),
        }
    };
    call.once(work).await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "presence_end", path = "/api/v1/extensions/{number}/presence/{id}", tag = "presence",
    params(("number" = String, Path, description = "The extension's number"), ("id" = i64, Path, description = "The status's id")),
    responses((status = 200, body = Presence), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn end(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let Ok(id) = call.param("id").parse::<i64>() else {
        return Problem::not_found(&caller.tr).into_response();
    };
    match state.services.presence.end(&caller.actor, call.param("number"), id).await {
        Ok(_) => answer(&call, StatusCode::OK).await,
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
