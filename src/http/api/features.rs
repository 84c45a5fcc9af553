//! `/api/v1/extensions/{number}/services`: phone lock, CLIR, call waiting,
//! "call as", the wake-up call and the account for account recall, through
//! the same service call as the services page (a "call as" number only of
//! those assigned to the extension; the core programmed before the call
//! returns). The recall PIN is a secret and never travels through the API.

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::door::{read, replace, ApiCall, Caller, Problem, Resource};
#[cfg(feature = "openapi")]
use super::schema;
use crate::domain::settings::wakeup;
use crate::http::HttpState;
use crate::services::features::FeaturesChange;

/// An extension's services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Services {
    /// Outgoing calls need the PIN (emergency numbers always go through).
    pub phone_lock: bool,
    /// The number is withheld on outgoing calls.
    pub clir: bool,
    pub call_waiting: bool,
    /// The number presented on outgoing calls, one of the extension's caller IDs; null for its own.
    #[serde(default)]
    pub call_as: Option<String>,
    /// The wake-up call, `HH:MM` in the board's time zone; null for none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "06:30", pattern = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$"))]
    pub wakeup: Option<String>,
    /// The account (digits) for account recall at another phone; empty for none.
    /// Its PIN is set by the subscriber on the services page.
    pub recall_account: String,
}

impl Resource for Services {
    type Change = FeaturesChange;

    async fn current(state: &HttpState, caller: &Caller, number: &str) -> Result<Services, Problem> {
        let view = state.services.features.view(&caller.actor, number).await;
        let v = view.map_err(|e| Problem::from_service(&caller.tr, e))?;
        let p = v.program;
        Ok(Services {
            phone_lock: p.phone_lock,
            clir: p.clir,
            call_waiting: p.call_waiting,
            call_as: p.call_as,
            wakeup: p.wakeup.map(|m| format!("{:02}:{:02}", m / 60, m % 60)),
            recall_account: v.recall_account,
        })
    }

    fn change(self, caller: &Caller, _number: &str) -> Result<FeaturesChange, Problem> {
        // The time as the document says (null, not "", for none), before If-Match.
        if let Some(w) = &self.wakeup {
            let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
                n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
            };
            let written = w.split_once(':').is_some_and(|(h, m)| digits(h, 1..=2) && digits(m, 2..=2));
            if !written || wakeup(w).is_err() {
                let detail = caller.tr.t("services.bad_time");
                return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail).at("/wakeup"));
            }
        }
        Ok(FeaturesChange {
            phone_lock: self.phone_lock,
            clir: self.clir,
            call_waiting: self.call_waiting,
            call_as: self.call_as.unwrap_or_default(),
            wakeup: self.wakeup.unwrap_or_default(),
            recall_account: self.recall_account,
            // Empty: the PIN that is set stays.
            recall_pin: String::new(),
        })
    }

    async fn write(
        state: &HttpState,
        caller: &Caller,
        number: &str,
        change: FeaturesChange,
    ) -> Result<(), Problem> {
        let saved = state.services.features.save(&caller.actor, number, change).await;
        saved.map(|_| ()).map_err(|e| Problem::from_service(&caller.tr, e))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "services_get", path = "/api/v1/extensions/{number}/services", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number")),
    responses((status = 200, body = Services, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    read::<Services>(&call, call.param("number")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "services_put", path = "/api/v1/extensions/{number}/services", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = Services, description = "Every service: null `call_as` and `wakeup` are off"),
    responses((status = 200, body = Services, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 412, body = schema::ProblemDoc), (status = 415, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    replace::<Services>(&call, call.param("number"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "services_patch", path = "/api/v1/extensions/{number}/services", tag = "extensions",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = schema::ServicesPatch, content_type = "application/merge-patch+json", description = "JSON Merge Patch (RFC 7396): only the fields given change"),
    responses((status = 200, body = Services, headers(("ETag" = String))), (status = 401, body = schema::ProblemDoc), (status = 403, body = schema::ProblemDoc), (status = 404, body = schema::ProblemDoc), (status = 412, body = schema::ProblemDoc), (status = 415, body = schema::ProblemDoc), (status = 422, body = schema::ProblemDoc)),
    security(("bearer" = ["extensions:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    replace::<Services>(&call, call.param("number"), true).await
}
