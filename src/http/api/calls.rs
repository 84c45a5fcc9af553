//! `POST /api/v1/calls`: click-to-call for an extension, through the same
//! service call as the portal's call button (restrictions, phone lock and the
//! core's refusals included).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{parse, plain, ApiCall, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::services::calls::{CallFrom, PlaceCall};

/// A call to place: the exchange rings the extension (or its MobilePhone),
/// then dials the number.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    #[cfg_attr(feature = "openapi", schema(example = "100"))]
    pub extension: String,
    #[cfg_attr(feature = "openapi", schema(example = "0221234567"))]
    pub number: String,
    /// Ring the extension's phone (default) or its MobilePhone first.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = from_schema))]
    pub from: Option<String>,
}

#[cfg(feature = "openapi")]
fn from_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([CallFrom::Extension.code(), CallFrom::Mobile.code()]))
        .build()
}

/// The call as the exchange took it.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlacedCall {
    pub extension: String,
    /// The number as dialled.
    pub dialled: String,
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "calls_place", path = "/api/v1/calls", tag = "calls",
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key places the call once")),
    request_body = NewCall,
    responses((status = 202, body = PlacedCall), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc, description = "The exchange refused: restricted, locked, no MobilePhone number"), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 503, body = ProblemDoc)),
    security(("bearer" = ["calls:write"]))))]
pub async fn place(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let work = async {
        let call: NewCall = match parse(&caller.tr, headers, body) {
            Ok(c) => c,
            Err(p) => return p.into_response(),
        };
        let from = match call.from.as_deref().map(CallFrom::from_code) {
            None => None,
            Some(Some(f)) => Some(f),
            Some(None) => {
                return Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    caller.tr.t("employee.bad_choice"),
                )
                .at("/from")
                .into_response()
            }
        };
        let req = PlaceCall { ext: call.extension.clone(), number: call.number, from, remember: false };
        match state.services.calls.place(&caller.actor, req).await {
            Ok(dialled) => {
                plain(&caller.tr, StatusCode::ACCEPTED, &PlacedCall { extension: call.extension, dialled })
            }
            Err(e) => Problem::from_service(&caller.tr, e).into_response(),
        }
    };
    call.once(work).await
}

/// A line of the exchange and its state now.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Line {
    pub extension: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::line_state))]
    pub state: String,
}

/// Every line, by number.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineList {
    pub items: Vec<Line>,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "lines_list", path = "/api/v1/lines", tag = "calls",
    responses((status = 200, body = LineList, description = "Every line's state as the exchange says it now"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 503, body = ProblemDoc, description = "The exchange does not answer now")),
    security(("bearer" = ["calls:read"]))))]
pub async fn lines(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.calls.lines(&caller.actor).await {
        Ok(lines) => {
            let items = lines
                .into_iter()
                .map(|(extension, s)| Line { extension, state: s.code().to_owned() })
                .collect();
            plain(&caller.tr, StatusCode::OK, &LineList { items })
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
