//! Form posts from the subscriber's own pages: the session, the fields (some of
//! which repeat, like the selected contacts), and the CSRF token and origin
//! checked before a handler runs, so no handler can forget them.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use axum::Form;

use super::login::forged;
use super::session::Subscriber;
use super::HttpState;

/// The fields of a form, in the order sent.
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; empty if absent.
    pub fn one(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A checkbox: sent with the value 1 when checked.
    pub fn on(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == "1")
    }
}

/// A checked form post: who sent it and what.
pub struct Posted {
    pub who: Subscriber,
    pub fields: Fields,
}

impl FromRequest<HttpState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &HttpState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let who = Subscriber::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let Form(fields) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        let fields = Fields(fields);
        if let Some(refusal) = forged(&headers, &who, &fields.one("csrf")) {
            return Err(refusal);
        }
        Ok(Posted { who, fields })
    }
}
