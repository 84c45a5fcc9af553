//! `/api/v1/departments`: the exchange's departments, through the same service
//! calls as the administrator's page.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{check_if_match, etag_of, parse, patched, plain, tagged, ApiCall, Caller, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::account::check_department;
use crate::http::HttpState;
use crate::services::ServiceError;

/// A department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub id: i64,
    #[cfg_attr(feature = "openapi", schema(example = "Sales", min_length = 1, max_length = 100))]
    pub name: String,
    /// How many extensions it has (read only).
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub members: i64,
}

/// What a department is given: its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DepartmentFields {
    #[cfg_attr(feature = "openapi", schema(example = "Sales", min_length = 1, max_length = 100))]
    pub name: String,
}

/// A JSON Merge Patch of a department (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    #[cfg_attr(feature = "openapi", schema(example = "Sales", min_length = 1, max_length = 100))]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentList {
    pub items: Vec<Department>,
}

/// The extensions a deleted department had, now in the pool.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentDeleted {
    pub moved_to_pool: Vec<String>,
}

async fn all(state: &HttpState, caller: &Caller) -> Result<Vec<Department>, Problem> {
    match state.services.employees.departments(&caller.actor).await {
        Ok(list) => {
            Ok(list.into_iter().map(|d| Department { id: d.id, name: d.name, members: d.members }).collect())
        }
        Err(e) => Err(Problem::from_service(&caller.tr, e)),
    }
}

async fn one(state: &HttpState, caller: &Caller, id: i64) -> Result<Department, Problem> {
    all(state, caller).await?.into_iter().find(|d| d.id == id).ok_or_else(|| Problem::not_found(&caller.tr))
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "departments_list", path = "/api/v1/departments", tag = "departments",
    responses((status = 200, body = DepartmentList), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["departments:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match all(state, caller).await {
        Ok(items) => plain(&caller.tr, StatusCode::OK, &DepartmentList { items }),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "departments_create", path = "/api/v1/departments", tag = "departments",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key does the work once")),
    request_body = DepartmentFields,
    responses((status = 201, body = Department, headers(("Location" = String), ("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["departments:write"]))))]
pub async fn create(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let fields: DepartmentFields = parse(&caller.tr, headers, body)?;
        let id = state
            .services
            .employees
            .add_department(&caller.actor, &fields.name)
            .await
            .map_err(|e| Problem::from_service(&caller.tr, e))?;
        let made = one(state, caller, id).await?;
        let mut r = tagged(&caller.tr, StatusCode::CREATED, &made);
        if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/departments/{id}")) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        Ok::<_, Problem>(r)
    };
    let work = async { work.await.unwrap_or_else(IntoResponse::into_response) };
    call.once(work).await
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "departments_get", path = "/api/v1/departments/{id}", tag = "departments",
    params(("id" = i64, Path)),
    responses((status = 200, body = Department, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["departments:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let id = call.param("id");
    let Ok(id) = id.parse::<i64>() else { return Problem::not_found(&caller.tr).into_response() };
    match one(state, caller, id).await {
        Ok(d) => tagged(&caller.tr, StatusCode::OK, &d),
        Err(p) => p.into_response(),
    }
}

async fn rename(
    state: &HttpState,
    caller: &Caller,
    headers: &HeaderMap,
    old: &Department,
    name: &str,
) -> Response {
    if let Err(p) = check_department(name.trim()) {
        return Problem::from_service(&caller.tr, ServiceError::Invalid(p.into())).into_response();
    }
    if let Err(p) = check_if_match(&caller.tr, headers, &etag_of(old)) {
        return p.into_response();
    }
    if let Err(e) = state.services.employees.rename_department(&caller.actor, old.id, name).await {
        return Problem::from_service(&caller.tr, e).into_response();
    }
    match one(state, caller, old.id).await {
        Ok(d) => tagged(&caller.tr, StatusCode::OK, &d),
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "departments_put", path = "/api/v1/departments/{id}", tag = "departments",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body = DepartmentFields,
    responses((status = 200, body = Department, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["departments:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let id = call.param("id");
    let Ok(id) = id.parse::<i64>() else { return Problem::not_found(&caller.tr).into_response() };
    let old = match one(state, caller, id).await {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    match parse::<DepartmentFields>(&caller.tr, headers, body) {
        Ok(f) => rename(state, caller, headers, &old, &f.name).await,
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "departments_patch", path = "/api/v1/departments/{id}", tag = "departments",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = DepartmentPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Department, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["departments:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let id = call.param("id");
    let Ok(id) = id.parse::<i64>() else { return Problem::not_found(&caller.tr).into_response() };
    let old = match one(state, caller, id).await {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    match patched::<DepartmentFields>(&caller.tr, headers, body, serde_json::json!({ "name": old.name })) {
        Ok(f) => rename(state, caller, headers, &old, &f.name).await,
        Err(p) => p.into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "departments_delete", path = "/api/v1/departments/{id}", tag = "departments",
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = DepartmentDeleted), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc)),
    security(("bearer" = ["departments:write"]))))]
pub async fn delete(call: ApiCall) -> Response {
    let (state, caller, headers, ..) = call.parts();
    let id = call.param("id");
    let Ok(id) = id.parse::<i64>() else { return Problem::not_found(&caller.tr).into_response() };
    let old = match one(state, caller, id).await {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    if let Err(p) = check_if_match(&caller.tr, headers, &etag_of(&old)) {
        return p.into_response();
    }
    match state.services.employees.delete_department(&caller.actor, id).await {
        Ok(moved_to_pool) => plain(&caller.tr, StatusCode::OK, &DepartmentDeleted { moved_to_pool }),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
