//! `/api/v1/tls`: how the portal is reached (SPEC A7), as the administrator's
//! TLS page sets it, through the same service calls: HTTPS only, WebCTI on
//! the WAN, and the certificate served (the device's own, or a chain and key
//! uploaded to `/api/v1/tls/certificate`, served from the next connection on).
//! The key is written, never read back.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{parse, read, replace, ApiCall, Caller, Problem, Resource};
#[cfg(feature = "openapi")]
use super::schema::ProblemDoc;
use crate::http::HttpState;
use crate::services::exposure::Switches;
use crate::services::{Invalid, ServiceError};

/// How the portal is reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Plain HTTP only redirects to HTTPS.
    pub https_only: bool,
    /// WebCTI is served on the WAN too (the board has a WAN port: `has_wan`).
    pub wan_webcti: bool,
    /// The board has a WAN port (read only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub has_wan: bool,
    /// `device` (its own, made at first start) or `uploaded` (read only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only, example = "device"))]
    pub certificate: String,
}

/// A JSON Merge Patch of the switches (RFC 7396).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TlsPatch {
    pub https_only: Option<bool>,
    pub wan_webcti: Option<bool>,
}

/// A certificate chain and its private key to serve, both PEM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// The server's certificate first, then its intermediates.
    #[cfg_attr(feature = "openapi", schema(example = "-----BEGIN CERTIFICATE-----\n…"))]
    pub chain: String,
    #[cfg_attr(feature = "openapi", schema(write_only, example = "-----BEGIN PRIVATE KEY-----\n…"))]
    pub key: String,
}

impl Resource for Tls {
    type Change = Switches;

    async fn current(state: &HttpState, caller: &Caller, _key: &str) -> Result<Tls, Problem> {
        let refused = |e| Problem::from_service(&caller.tr, e);
        let view = state.services.exposure.view(&caller.actor).map_err(refused)?;
        let uploaded = state.services.certificates.uploaded(&caller.actor).map_err(refused)?;
        Ok(Tls {
            https_only: view.switches.https_only,
            wan_webcti: view.switches.wan_webcti,
            has_wan: view.has_wan,
            certificate: if uploaded { "uploaded" } else { "device" }.to_owned(),
        })
    }

    fn change(self, _caller: &Caller, _key: &str) -> Result<Switches, Problem> {
        Ok(Switches { https_only: self.https_only, wan_webcti: self.wan_webcti })
    }

    async fn write(state: &HttpState, caller: &Caller, _key: &str, s: Switches) -> Result<(), Problem> {
        state.services.exposure.set(&caller.actor, s).await.map_err(|e| Problem::from_service(&caller.tr, e))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "tls_get", path = "/api/v1/tls", tag = "board",
    responses((status = 200, body = Tls, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["board:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    read::<Tls>(&call, "").await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "tls_put", path = "/api/v1/tls", tag = "board",
    params(("If-Match" = Option<String>, Header)),
    request_body = Tls,
    responses((status = 200, body = Tls, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    replace::<Tls>(&call, "", false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "tls_patch", path = "/api/v1/tls", tag = "board",
    params(("If-Match" = Option<String>, Header)),
    request_body(content = TlsPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, body = Tls, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    replace::<Tls>(&call, "", true).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "tls_certificate_put", path = "/api/v1/tls/certificate", tag = "board",
    request_body = Certificate,
    responses((status = 200, body = Tls, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn certificate_put(call: ApiCall) -> Response {
    let (state, caller, headers, body) = call.parts();
    let c: Certificate = match parse(&caller.tr, headers, body) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    if let Err(e) = state.services.certificates.upload(&caller.actor, &c.chain, &c.key).await {
        use crate::domain::certificate::CertProblem;
        let at = match &e {
            ServiceError::Invalid(Invalid::Certificate(CertProblem::NoKey | CertProblem::KeyMismatch)) => {
                Some("/key")
            }
            ServiceError::Invalid(_) => Some("/chain"),
            _ => None,
        };
        let p = Problem::from_service(&caller.tr, e);
        return match at {
            Some(at) => p.at(at),
            None => p,
        }
        .into_response();
    }
    read::<Tls>(&call, "").await
}

#[cfg_attr(feature = "openapi", utoipa::path(delete, operation_id = "tls_certificate_delete", path = "/api/v1/tls/certificate", tag = "board",
    responses((status = 204, description = "The device's own certificate is served again"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["board:write"]))))]
pub async fn certificate_delete(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.certificates.use_device(&caller.actor).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
