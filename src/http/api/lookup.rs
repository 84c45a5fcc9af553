//! `GET /api/v1/lookup`: reverse lookup, who a number is. The same store
//! function finds the names in the portal's history and popups, so a script
//! and the portal never disagree about a caller.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{plain, ApiCall, Problem};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::domain::dialplan::Form;

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// The number, in any form people write it.
    #[cfg_attr(feature = "openapi", param(example = "0225550102"))]
    pub number: String,
    /// `written` (as presented by a caller), `dialled` (as dialled at an
    /// extension, outside line first); left out, read both ways, written first.
    #[cfg_attr(feature = "openapi", param(schema_with = form_schema))]
    pub form: Option<String>,
}

#[cfg(feature = "openapi")]
fn form_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["written", "dialled"]))
        .build()
}

/// Who the number is.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Found {
    /// The number as asked.
    pub number: String,
    /// The number in the one form numbers are compared in: `+` and the
    /// international number where the board's dialling plan can tell it.
    pub canonical: String,
    /// The extension's or the contact's name; null when nobody is known by it.
    pub name: Option<String>,
    /// `extension`, `public` (the public book) or `directory` (the book of
    /// an external source: a CSV file, an LDAP directory); null when unknown.
    pub source: Option<String>,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "lookup", path = "/api/v1/lookup", tag = "phonebook", params(LookupQuery),
    responses((status = 200, body = Found), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["phonebook:read"]))))]
pub async fn lookup(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let q: LookupQuery = match call.query() {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let form = match q.form.as_deref() {
        None => Form::Unknown,
        Some("written") => Form::Written,
        Some("dialled") => Form::Dialled,
        Some(_) => {
            let p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                caller.tr.t("api.invalid_query"),
            );
            return p.at("/form").into_response();
        }
    };
    match state.services.phonebook.lookup(&caller.actor, None, &q.number, form).await {
        Ok(found) => {
            let source = found.known.as_ref().map(|k| k.source.word().to_owned());
            let name = found.known.map(|k| k.name);
            plain(
                &caller.tr,
                StatusCode::OK,
                &Found { number: q.number, canonical: found.canonical, name, source },
            )
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
