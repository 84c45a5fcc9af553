//! Live updates for pages: server-sent events from the bus, only those that
//! `services::live` lets the subscriber see. The browser's EventSource
//! reconnects by itself and sends the last id it saw, so a network blip loses
//! no event: the missed ones are replayed from the bus's ring, or, if too many
//! were missed, a `resync` event tells the page to reload its panels.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use futures_util::StreamExt;

use super::error::HttpError;
use super::session::Subscriber;
use super::HttpState;
use serde_json::Value;

use crate::domain::access::Actor;
use crate::domain::dialplan::Form;
use crate::domain::line::Progress;
use crate::services::bus::{Behind, Live, Published, Subscription};
use crate::services::live::{Feed, Start};
use crate::services::Services;

/// Who a stream is for. A call ringing at his own line (not one he places)
/// is marked `"popup": true` and carries the caller's name as he knows it
/// (the extensions, his books): the page's popup shows it.
struct Popup {
    services: Arc<Services>,
    actor: Actor,
    ext: String,
}

impl Popup {
    async fn sse(&self, p: &Published) -> Event {
        let (mut name, mut data) = super::json::event(&p.live);
        // Another line's state is a lamp on a team panel, never his own line.
        if matches!(&p.live, Live::Line { ext, .. } if *ext != self.ext) {
            name = "lamp";
        }
        if let Live::Call { progress: Progress::Ringing, from, at, .. } = &p.live {
            if *at == self.ext && *from != self.ext {
                data["popup"] = Value::Bool(true);
                if !from.is_empty() {
                    let names = self
                        .services
                        .history
                        .names(&self.actor, &self.ext, vec![(from.clone(), Form::Written)])
                        .await;
                    if let Some(caller) = names.ok().and_then(|mut n| n.remove(from)) {
                        data["name"] = Value::String(caller);
                    }
                }
            }
        }
        Event::default().id(p.seq.to_string()).event(name).data(data.to_string())
    }
}

fn resync() -> Event {
    Event::default().event("resync").data("{}")
}

enum Phase {
    Backlog(std::vec::IntoIter<Arc<Published>>, Subscription),
    Live(Subscription),
}

/// `GET /events`
pub async fn events(
    State(state): State<HttpState>,
    h: HeaderMap,
    who: Subscriber,
) -> Result<Response, HttpError> {
    let last: Option<u64> = h.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let (feed, start) =
        state.services.live.subscribe(&who.actor, &who.session.id, last).await.map_err(|e| who.error(e))?;
    let (phase, reload) = match start {
        Start::From(missed, rx) => (Phase::Backlog(missed.into_iter(), rx), false),
        Start::Reload(rx) => (Phase::Live(rx), true),
    };
    let first = reload.then(|| Ok::<Event, Infallible>(resync()));
    let popup =
        Popup { services: state.services.clone(), actor: who.actor.clone(), ext: who.ext().to_owned() };
    let stream = stream::iter(first).chain(live_stream(phase, feed, popup));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

/// The events the feed shows, until its session ends (logout, password change or
/// reset, timeout): then the stream ends, and the browser's reconnect finds no session.
fn live_stream(start: Phase, mut feed: Feed, popup: Popup) -> impl Stream<Item = Result<Event, Infallible>> {
    let ended = feed.ended();
    stream::unfold((start, feed, ended, popup), |(mut phase, feed, mut ended, popup)| async move {
        loop {
            phase = match phase {
                Phase::Backlog(mut it, rx) => match it.next() {
                    Some(p) if feed.shows(&p.live) => {
                        let event = popup.sse(&p).await;
                        return Some((Ok(event), (Phase::Backlog(it, rx), feed, ended, popup)));
                    }
                    Some(_) => Phase::Backlog(it, rx),
                    None => Phase::Live(rx),
                },
                Phase::Live(mut rx) => match tokio::select! {
                    r = rx.recv() => r,
                    _ = &mut ended => return None,
                } {
                    Ok(p) if feed.shows(&p.live) => {
                        let event = popup.sse(&p).await;
                        return Some((Ok(event), (Phase::Live(rx), feed, ended, popup)));
                    }
                    Ok(_) => Phase::Live(rx),
                    // Fell behind: the page reloads its panels.
                    Err(Behind) => return Some((Ok(resync()), (Phase::Live(rx), feed, ended, popup))),
                },
            };
        }
    })
    .boxed()
}
