//! Live updates for pages: server-sent events from the bus, only those that
//! concern the subscriber. The browser's EventSource reconnects by itself and
//! sends the last id it saw, so a network blip loses no event: the missed ones
//! are replayed from the bus's ring, or, if too many were missed, a `resync`
//! event tells the page to reload its panels.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use futures_util::StreamExt;
use tokio::sync::broadcast;

use super::session::Subscriber;
use super::HttpState;
use crate::services::bus::{Live, Published, Resume};

/// Whether a subscriber may see this event: only his own line, calls and records.
pub fn concerns(live: &Live, ext: &str) -> bool {
    match live {
        Live::Line { ext: e, .. } => e == ext,
        Live::Call { from, to, at, .. } => from == ext || to == ext || at == ext,
        Live::CallRecord { cdr } => cdr.extension == ext,
        Live::Voicemail { ext: e, .. } => e == ext,
        Live::CoreLink { .. } => true,
    }
}

fn sse(p: &Published) -> Event {
    let kind = match &p.live {
        Live::Line { .. } => "line",
        Live::Call { .. } => "call",
        Live::CallRecord { .. } => "call_record",
        Live::Voicemail { .. } => "voicemail",
        Live::CoreLink { .. } => "core_link",
    };
    Event::default()
        .id(p.seq.to_string())
        .event(kind)
        .data(serde_json::to_string(&p.live).unwrap_or_else(|_| "{}".into()))
}

enum Phase {
    Backlog(std::vec::IntoIter<Published>, broadcast::Receiver<Published>),
    Live(broadcast::Receiver<Published>),
}

/// `GET /events`
pub async fn events(State(state): State<HttpState>, h: HeaderMap, who: Subscriber) -> Response {
    let last: Option<u64> = h.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let ext = who.profile.number.clone();
    let (start, resync) = match last {
        None => (Phase::Live(state.bus.subscribe()), false),
        Some(seen) => match state.bus.resume(seen) {
            Resume::From(missed, rx) => (Phase::Backlog(missed.into_iter(), rx), false),
            Resume::TooOld(rx) => (Phase::Live(rx), true),
        },
    };
    let first = resync.then(|| Ok::<Event, Infallible>(Event::default().event("resync").data("{}")));
    let stream = stream::iter(first).chain(live_stream(start, ext));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}

fn live_stream(start: Phase, ext: String) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((start, ext), |(mut phase, ext)| async move {
        loop {
            phase = match phase {
                Phase::Backlog(mut it, rx) => match it.next() {
                    Some(p) if concerns(&p.live, &ext) => {
                        return Some((Ok(sse(&p)), (Phase::Backlog(it, rx), ext)))
                    }
                    Some(_) => Phase::Backlog(it, rx),
                    None => Phase::Live(rx),
                },
                Phase::Live(mut rx) => match rx.recv().await {
                    Ok(p) if concerns(&p.live, &ext) => return Some((Ok(sse(&p)), (Phase::Live(rx), ext))),
                    Ok(_) => Phase::Live(rx),
                    // Fell behind: the page reloads its panels.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Some((
                            Ok(Event::default().event("resync").data("{}")),
                            (Phase::Live(rx), ext),
                        ))
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hal::proto::LineState;

    #[test]
    fn a_subscriber_sees_only_his_own_events() {
        let line = |e: &str| Live::Line { ext: e.into(), state: LineState::Ringing };
        assert!(concerns(&line("100"), "100"));
        assert!(!concerns(&line("101"), "100"));
        let call = Live::Call {
            call: 1,
            progress: crate::hal::proto::Progress::Ringing,
            from: "0221".into(),
            to: "101".into(),
            at: "101".into(),
        };
        assert!(concerns(&call, "101") && !concerns(&call, "100"));
    }
}
