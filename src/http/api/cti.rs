//! `/api/v1/cti/groups`: the CTI server's groups (SPEC C6), shown as busy-lamp
//! panels to their members, through the same service calls as the
//! administrator's page. A change reaches every connected client at once.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{check_if_match, etag_of, parse, patched, plain, tagged, ApiCall, Caller, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::group::{GroupProblem, MAX_MEMBERS};
use crate::http::HttpState;
use crate::services::cti::GroupForm;
use crate::services::{Invalid, ServiceError};

/// A CTI group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CtiGroup {
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub name: String,
    /// Calls on the panel show the callers' numbers.
    pub show_numbers: bool,
    /// Its members: CTI accounts by name, subscribers by extension number.
    #[cfg_attr(feature = "openapi", schema(example = json!(["desk", "101"]), max_items = 100))]
    pub members: Vec<String>,
}

/// What a group is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiGroupFields {
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub name: String,
    pub show_numbers: bool,
    #[cfg_attr(feature = "openapi", schema(example = json!(["desk", "101"]), max_items = 100))]
    pub members: Vec<String>,
}

/// A JSON Merge Patch of a group (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtiGroupPatch {
    #[cfg_attr(feature = "openapi", schema(example = "Front desk", min_length = 1, max_length = 64))]
    pub name: Option<String>,
    pub show_numbers: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CtiGroupList {
    pub items: Vec<CtiGroup>,
}

async fn all(state: &HttpState, caller: &Caller) -> Result<Vec<CtiGroup>, Problem> {
    match state.services.cti.groups(&caller.actor).await {
        Ok(list) => Ok(list
            .into_iter()
            .map(|g| CtiGroup {
                id: g.id,
                name: g.name,
                show_numbers: g.show_numbers,
                members: g.members.iter().map(|m| m.name().to_owned()).collect(),
            })
            .collect()),
        Err(e) => Err(Problem::from_service(&caller.tr, e)),
    }
}

async fn one(state: &HttpState, caller: &Caller, id: i64) -> Result<CtiGroup, Problem> {
    all(state, caller).await?.into_iter().find(|g| g.id == id).ok_or_else(|| Problem::not_found(&caller.tr))
}

/// Saves a group (`id` 0: a new one) as the page's form would; a refused
/// member is named by its place in `members`.
async fn save(state: &HttpState, caller: &Caller, id: i64, f: CtiGroupFields) -> Result<i64, Problem> {
    let tr = &caller.tr;
    let invalid =
        |p: GroupProblem, at: String| Problem::from_service(tr, ServiceError::Invalid(p.into())).at(at);
    if f.members.len() > MAX_MEMBERS {
        return Err(invalid(GroupProblem::TooManyMembers, "/members".into()));
    }
    // One a line in the form: a member that is none, or would read as two, is refused here.
    if let Some(i) = f.members.iter().position(|m| {
        let m = m.trim();
        m.is_empty() || m.contains(['\n', '\r', ',', ';']) || m.chars().any(char::is_control)
    }) {
        return Err(invalid(GroupProblem::Member(i + 1), format!("/members/{i}")));
    }
    let form = GroupForm { name: f.name, show_numbers: f.show_numbers, members: f.members.join("\n") };
    state.services.cti.save_group(&caller.actor, id, form).await.map_err(|e| match e {
        ServiceError::Invalid(Invalid::Group(GroupProblem::Member(line))) => {
            invalid(GroupProblem::Member(line), format!("/members/{}", line.saturating_sub(1)))
        }
        e => Problem::from_service(tr, e),
    })
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cti_groups_list", path = "/api/v1/cti/groups", tag = "cti",
    responses((status = 200, body = CtiGroupList), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["cti:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match all(state, caller).await {
        Ok(items) => plain(&caller.tr, StatusCode::OK, &CtiGroupList { items }),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "cti_groups_create", path = "/api/v1/cti/groups", tag = "cti",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = CtiGroupFields,
    responses((status = 201, body = CtiGroup, headers(("Location" = String), ("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let fields: CtiGroupFields = parse(&caller.tr, headers, body)?;
        let id = save(state, caller, 0, fields).await?;
        let made = one(state, caller, id).await?;
        let mut r = tagged(&caller.tr, StatusCode::CREATED, &made);
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/cti/groups/{id}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Ok::<_, Problem>(r)
    };
    let work = async { work.await.unwrap_or_else(IntoResponse::into_response) };
    call.once(work).await
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cti_groups_get", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path)),
    responses((status = 200, body = CtiGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["cti:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let Ok(id) = call.param("id").parse::<i64>() else {
        return Problem::not_found(&caller.tr).into_response();
    };
    match one(state, caller, id).await {
        Ok(g) => tagged(&caller.tr, StatusCode::OK, &g),
        Err(p) => p.into_response(),
    }
}

async fn change(
    state: &HttpState,
    caller: &Caller,
    headers: &HeaderMap,
    old: &CtiGroup,
    f: CtiGroupFields,
) -> Response {
    if let Err(p) = check_if_match(&caller.tr, headers, &etag_of(old)) {
        return p.into_response();
    }
    if let Err(p) = save(state, caller, old.id, f).await {
        return p.into_response();
    }
    match one(state, caller, old.id).await {
        Ok(g) => tagged(&caller.tr, StatusCode::OK, &g),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "cti_groups_put", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = CtiGroupFields,
    responses((status = 200, body = CtiGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let Ok(id) = call.param("id").parse::<i64>() else {
        return Problem::not_found(&caller.tr).into_response();
    };
    let old = match one(state, caller, id).await {
        Ok(g) => g,
        Err(p) => return p.into_response(),
    };
    match parse::<CtiGroupFields>(&caller.tr, headers, body) {
        Ok(f) => change(state, caller, headers, &old, f).await,
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "cti_groups_patch", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = CtiGroupPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = CtiGroup, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let Ok(id) = call.param("id").parse::<i64>() else {
        return Problem::not_found(&caller.tr).into_response();
    };
    let old = match one(state, caller, id).await {
        Ok(g) => g,
        Err(p) => return p.into_response(),
    };
    let base =
        serde_json::json!({ "name": old.name, "show_numbers": old.show_numbers, "members": old.members });
    match patched::<CtiGroupFields>(&caller.tr, headers, body, base) {
        Ok(f) => change(state, caller, headers, &old, f).await,
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "cti_groups_delete", path = "/api/v1/cti/groups/{id}", tag = "cti",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc)),
    security(("bearer" = ["cti:write"]))))]
pub async fn delete(call: ApiCall) -> Response {
    let (state, caller, headers, ..) = call.parts();
    let Ok(id) = call.param("id").parse::<i64>() else {
        return Problem::not_found(&caller.tr).into_response();
    };
    let old = match one(state, caller, id).await {
        Ok(g) => g,
        Err(p) => return p.into_response(),
    };
    if let Err(p) = check_if_match(&caller.tr, headers, &etag_of(&old)) {
        return p.into_response();
    }
    match state.services.cti.delete_group(&caller.actor, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
