//! The rest of a request's body, read before its answer goes out.
//!
//! A request refused before its body was read (an unknown path, a token or a
//! query refused, a body over its route's bound) is answered at once, and hyper
//! then closes the connection. The client may still be sending the body: the
//! bytes that reach a closed socket make the kernel reset the connection, and a
//! reset throws away the answer the client had not read yet. The client sees
//! "connection reset" instead of the 404 or 422 it was sent. So, as web
//! servers do ("lingering close"), what is left of the body is read and thrown
//! away first: at most [`LINGER_BYTES`] for at most [`LINGER_TIME`], so that a
//! client cannot hold the answer back with it. A client that sent
//! `Expect: 100-continue` sends no body until told to, and is not waited for.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use futures_util::{Stream, StreamExt};

/// At most this much of an unread body is read before the answer.
pub const LINGER_BYTES: usize = 1024 * 1024;
/// For at most this long.
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// What a handler left of the body when it let go of it.
type Left = Arc<Mutex<Option<BodyDataStream>>>;

/// Middleware: the request's body as a stream that, when dropped before its
/// end, leaves its rest here; after the handler, that rest is read (bounded).
pub async fn read_rest(req: Request, next: Next) -> Response {
    let expects = req.headers().contains_key(header::EXPECT);
    if expects || req.body().is_end_stream() {
        return next.run(req).await;
    }
    let left: Left = Arc::default();
    let (parts, body) = req.into_parts();
    let body = Body::from_stream(Tracked { rest: Some(body.into_data_stream()), left: left.clone() });
    let response = next.run(Request::from_parts(parts, body)).await;
    let rest = left.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(rest) = rest {
        drain(rest).await;
    }
    response
}

/// Reads and throws away up to [`LINGER_BYTES`] of `rest`, for up to [`LINGER_TIME`].
async fn drain(mut rest: BodyDataStream) {
    let read = async {
        let mut left = LINGER_BYTES;
        while let Some(Ok(chunk)) = rest.next().await {
            left = left.saturating_sub(chunk.len());
            if left == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, read).await;
}

/// A body that knows whether it was read to the end.
struct Tracked {
    /// `None` once read to the end.
    rest: Option<BodyDataStream>,
    left: Left,
}

impl Stream for Tracked {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(rest) = self.rest.as_mut() else { return Poll::Ready(None) };
        let next = rest.poll_next_unpin(cx);
        if let Poll::Ready(None) = next {
            self.rest = None;
        }
        next
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(rest) = self.rest.take() {
            *self.left.lock().unwrap_or_else(|e| e.into_inner()) = Some(rest);
        }
    }
}
