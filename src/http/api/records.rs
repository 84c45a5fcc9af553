//! `GET /api/v1/cdrs`: the exchange's call records for billing, in the order
//! they arrived. A script keeps the page's `next` and asks with it again, now
//! or next month, and gets exactly the records that came since: never one
//! twice, never one skipped, even when the core resent an older record late.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{plain, ApiCall, Problem};
#[cfg(feature = "openapi")]
use super::schema::{self, ProblemDoc};
use crate::domain::cdr::{Cdr, CdrCursor};
use crate::services::history::MAX_RECORDS;

/// Records on a page by default.
pub const DEFAULT_PAGE: u32 = 100;

/// One side of a finished call, as the exchange recorded it.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Record {
    /// The core's record id.
    pub id: u64,
    /// The extension whose side of the call this is.
    pub extension: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::direction))]
    pub direction: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::disposition))]
    pub disposition: String,
    /// The other party is outside the exchange.
    pub external: bool,
    /// The caller withheld his number.
    pub withheld: bool,
    /// A call to the voicemail system to listen to messages.
    pub voicemail_listen: bool,
    /// The other party's number as the core gave it (empty when withheld).
    pub peer: String,
    /// Who took the call, when another member of a group answered it.
    pub answered_by: Option<String>,
    /// When the call began, Unix seconds.
    pub started_at: i64,
    pub ring_secs: u32,
    pub talk_secs: u32,
    /// What the call cost by the tariff it started under, in minor units of
    /// the board's currency (0 for incoming, internal and unanswered calls).
    pub cost_cents: i64,
}

impl Record {
    fn of(c: Cdr, cost_cents: i64) -> Record {
        Record {
            id: c.core_id,
            direction: c.direction.word().to_owned(),
            disposition: c.disposition.word().to_owned(),
            extension: c.extension,
            external: c.external,
            withheld: c.withheld,
            voicemail_listen: c.voicemail_listen,
            peer: c.peer,
            answered_by: c.answered_by,
            started_at: c.started_at,
            ring_secs: c.ring_secs,
            talk_secs: c.talk_secs,
            cost_cents,
        }
    }
}

/// A page of records, oldest arrival first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordPage {
    pub items: Vec<Record>,
    /// Where this page ends: pass it as `after` for the records that follow,
    /// now or later. An empty page gives back the cursor it was asked with.
    pub next: String,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct RecordQuery {
    /// The `next` of an earlier page; without it, from the oldest record kept.
    pub after: Option<String>,
    /// Records on the page, 1 to 200 (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
    /// Only this extension's records.
    pub extension: Option<String>,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "cdrs_list", path = "/api/v1/cdrs", tag = "records", params(RecordQuery),
    responses((status = 200, body = RecordPage), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["records:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let invalid = |at: &str| {
        let p =
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", caller.tr.t("api.invalid_query"));
        p.at(at).into_response()
    };
    let q: RecordQuery = match call.query() {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_RECORDS).contains(&limit) {
        return invalid("/limit");
    }
    let after = match q.after.as_deref().map(CdrCursor::from_code) {
        None => CdrCursor::Start,
        Some(Some(c)) => c,
        Some(None) => return invalid("/after"),
    };
    let extension = q.extension.as_deref().map(str::trim).filter(|e| !e.is_empty());
    match state.services.history.records(&caller.actor, after, extension, limit).await {
        Ok(rows) => {
            let next = rows.last().map_or(after, |(c, ..)| *c).code();
            let items = rows.into_iter().map(|(_, c, cost)| Record::of(c, cost)).collect();
            plain(&caller.tr, StatusCode::OK, &RecordPage { items, next })
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

/// A message in an extension's voicemail box (its index; never the audio).
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoicemailEntry {
    /// The core's id of the message.
    pub id: u64,
    /// The caller's number (empty when withheld).
    pub caller: String,
    /// When it was left, Unix seconds.
    pub received_at: i64,
    pub duration_secs: u32,
    /// When the subscriber first listened to it; null while unheard.
    pub heard_at: Option<i64>,
}

/// The messages of an extension's box, newest first.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoicemailIndex {
    pub items: Vec<VoicemailEntry>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct VoicemailQuery {
    /// The newest this many, 1 to 200 (default 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "voicemail_index", path = "/api/v1/extensions/{number}/voicemail", tag = "records",
    params(("number" = String, Path, description = "The extension's number"), VoicemailQuery),
    responses((status = 200, body = VoicemailIndex, description = "Who left a message when, and whether it was heard"), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc, description = "Only a token that names voicemail:read"), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["voicemail:read"]))))]
pub async fn voicemail(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    let q: VoicemailQuery = match call.query() {
        Ok(q) => q,
        Err(p) => return p.into_response(),
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_RECORDS).contains(&limit) {
        let p =
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", caller.tr.t("api.invalid_query"));
        return p.at("/limit").into_response();
    }
    match state.services.voicemail.list(&caller.actor, call.param("number"), limit).await {
        Ok(list) => {
            let items = list
                .into_iter()
                .map(|v| VoicemailEntry {
                    id: v.core_id,
                    caller: v.caller,
                    received_at: v.received_at,
                    duration_secs: v.duration_secs,
                    heard_at: v.heard_at,
                })
                .collect();
            plain(&caller.tr, StatusCode::OK, &VoicemailIndex { items })
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}
