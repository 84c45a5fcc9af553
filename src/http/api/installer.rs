//! `/api/v1/installer`: the desktop CTI client's installer that subscribers
//! download (SPEC W13, A2), put in place by script as on the administrator's
//! page, through the same service calls: the body is streamed to a temporary
//! file, bounded by the same size, and replaces the old installer only once
//! it is whole.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::door::{Caller, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::http::HttpState;
use crate::services::installer::InstallerProblem;
use crate::services::ServiceError;

/// The installer offered for download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Installer {
    /// The file name subscribers download it as.
    #[cfg_attr(feature = "openapi", schema(example = "WebCTI-Setup-2.4.exe"))]
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Where an upload goes.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Named {
    /// The file name to offer it as: letters, digits, `-`, `_`, `.` and spaces.
    pub name: String,
}

async fn current(state: &HttpState, caller: &Caller) -> Response {
    match state.services.installer.info(&caller.actor) {
        Ok(Some((name, bytes))) => axum::Json(Installer { name, bytes }).into_response(),
        Ok(None) => Problem::not_found(&caller.tr).into_response(),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "installer_get", path = "/api/v1/installer", tag = "board",
    responses((status = 200, body = Installer), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc, description = "No installer is offered")),
    security(("bearer" = ["board:read"]))))]
pub async fn get(State(state): State<HttpState>, caller: Caller) -> Response {
    current(&state, &caller).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "installer_put", path = "/api/v1/installer", tag = "board",
    params(Named),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The installer's bytes, at most 128 MiB"),
    responses((status = 200, body = Installer), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn put(
    State(state): State<HttpState>,
    caller: Caller,
    named: Result<Query<Named>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Response {
    let refused = |e| Problem::from_service(&caller.tr, e).into_response();
    let Ok(Query(Named { name })) = named else {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_query",
            caller.tr.t("api.invalid_query"),
        )
        .at("/name")
        .into_response();
    };
    let mut incoming = match state.services.installer.upload(&caller.actor, &name).await {
        Ok(i) => i,
        Err(ServiceError::Invalid(i)) => {
            return Problem::from_service(&caller.tr, ServiceError::Invalid(i)).at("/name").into_response()
        }
        Err(e) => return refused(e),
    };
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let written = match chunk {
            Ok(chunk) => incoming.write(&chunk).await,
            // The connection broke off, or the body passed the route's bound.
            Err(_) => Err(ServiceError::Invalid(InstallerProblem::TooLarge.into())),
        };
        if let Err(e) = written {
            incoming.abandon().await;
            return match e {
                ServiceError::Invalid(crate::services::Invalid::Installer(InstallerProblem::TooLarge)) => {
                    Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", caller.tr.t("api.too_large"))
                        .into_response()
                }
                e => refused(e),
            };
        }
    }
    match incoming.finish().await {
        Ok(_) => current(&state, &caller).await,
        Err(e) => refused(e),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "installer_delete", path = "/api/v1/installer", tag = "board",
    responses((status = 204, description = "No installer is offered any more"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn delete(State(state): State<HttpState>, caller: Caller) -> Response {
    match state.services.installer.delete(&caller.actor).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
