//! Voicemail in the browser (SPEC Y7): a message's recording for the page's
//! `<audio>` element, streamed from the core's mailbox a piece at a time, with
//! byte ranges (a browser asks for the part it plays or seeks to); and marking
//! a message heard or deleting it. Only the subscriber's own messages are
//! reached: any other id is not found.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use futures_util::stream;
use serde::Deserialize;

use super::error::{Answer, HttpError};
use super::form::Posted;
use super::session::Subscriber;
use super::HttpState;
use crate::services::voicemail::{Playback, MAX_PIECE};
use crate::services::ServiceError;

#[derive(Deserialize)]
pub struct AudioQuery {
    #[serde(default)]
    id: String,
}

/// The bytes a `Range` header asks for of a file of `total` bytes, as
/// `start..end`: the whole file without one; `None` when it cannot be
/// satisfied. One range only (`bytes=a-b`, `bytes=a-`, `bytes=-n`); a list
/// of ranges is answered with the whole file, as RFC 9110 allows.
pub fn range(header: Option<&str>, total: u32) -> Option<(u32, u32)> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Some((0, total)) };
    if spec.contains(',') {
        return Some((0, total));
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = match (a.is_empty(), b.is_empty()) {
        (true, false) => (total.saturating_sub(b.parse().ok()?), total),
        (false, true) => (a.parse().ok()?, total),
        (false, false) => (a.parse().ok()?, b.parse::<u32>().ok()?.saturating_add(1).min(total)),
        (true, true) => return None,
    };
    (start < end && start < total).then_some((start, end))
}

/// `GET /voicemail/audio?id=N`
pub async fn audio(
    State(state): State<HttpState>,
    who: Subscriber,
    h: HeaderMap,
    Query(q): Query<AudioQuery>,
) -> Result<Response, HttpError> {
    let not_found = || HttpError::NotFound(who.tr.t("voicemail.no_message").to_owned());
    let id: u64 = q.id.parse().map_err(|_| not_found())?;
    let playback = match state.services.voicemail.playback(&who.actor, who.ext(), id).await {
        Ok(p) => p,
        Err(ServiceError::NotFound) => return Err(not_found()),
        Err(e) => return Err(who.error(e)),
    };
    let (total, _) = playback.piece(0, 0).await.map_err(|e| who.error(e))?;
    let asked = h.get(header::RANGE).and_then(|v| v.to_str().ok());
    let Some((start, end)) = range(asked, total) else {
        return Ok((
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, format!("bytes */{total}"))],
        )
            .into_response());
    };
    let status = if asked.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let headers = [
        (header::CONTENT_TYPE, "audio/wav".to_owned()),
        (header::ACCEPT_RANGES, "bytes".to_owned()),
        (header::CONTENT_LENGTH, (end - start).to_string()),
        (header::CONTENT_RANGE, format!("bytes {start}-{}/{total}", end - 1)),
    ];
    Ok((status, headers, Body::from_stream(pieces(playback, start, end))).into_response())
}

/// The recording from `start` to `end`, a piece (at most a frame's worth)
/// at a time, each asked of the core when the connection takes the last.
fn pieces(
    playback: Playback,
    start: u32,
    end: u32,
) -> impl futures_util::Stream<Item = Result<Bytes, ServiceError>> + Send {
    stream::try_unfold((playback, start), move |(playback, at)| async move {
        if at >= end {
            return Ok(None);
        }
        let (_, bytes) = playback.piece(at, (end - at).min(MAX_PIECE)).await?;
        if bytes.is_empty() {
            return Ok(None);
        }
        let next = at + bytes.len() as u32;
        Ok(Some((Bytes::from(bytes), (playback, next))))
    })
}

/// `POST /voicemail`: `action` heard or delete, for message `id`.
pub async fn act(
    State(state): State<HttpState>,
    Posted { who, fields: f, fetch }: Posted,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let id: u64 =
        f.one("id").parse().map_err(|_| HttpError::NotFound(t.t("voicemail.no_message").to_owned()))?;
    let services = &state.services.voicemail;
    let done = match f.one("action").as_str() {
        "heard" => services.heard(&who.actor, who.ext(), id).await,
        "delete" => services.delete(&who.actor, who.ext(), id).await,
        _ => return Err(HttpError::BadRequest(t.t("callbacks.unknown").to_owned())),
    };
    match done {
        Ok(()) if fetch => {
            Ok((Answer::Shown.status(), Json(serde_json::json!({ "ok": true }))).into_response())
        }
        Ok(()) => Ok(Redirect::to("/voicemail").into_response()),
        Err(ServiceError::NotFound) => Err(HttpError::NotFound(t.t("voicemail.no_message").to_owned())),
        Err(e) => Err(who.error(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_a_browser_asks_for() {
        type Case<'a> = (Option<&'a str>, Option<(u32, u32)>);
        let cases: &[Case] = &[
            (None, Some((0, 1000))),
            (Some("bytes=0-"), Some((0, 1000))),
            (Some("bytes=100-199"), Some((100, 200))),
            (Some("bytes=900-5000"), Some((900, 1000))),
            (Some("bytes=-100"), Some((900, 1000))),
            (Some("bytes=-5000"), Some((0, 1000))),
            (Some("bytes=0-0,10-20"), Some((0, 1000))),
            (Some("bytes=1000-"), None),
            (Some("bytes=200-100"), None),
            (Some("bytes=-"), None),
            (Some("bytes=a-b"), None),
            (Some("items=0-10"), Some((0, 1000))),
        ];
        for (header, want) in cases {
            assert_eq!(range(*header, 1000), *want, "{header:?}");
        }
    }
}
