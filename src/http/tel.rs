//! `tel:` links (SPEC C13): the portal as the browser's handler for them (the
//! settings page offers to register it). The browser opens `/tel?to=tel:...`;
//! the page shows the number and who it is, and asks: a GET never places a
//! call, the page's form posts to `/call` like every other call button.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::error::{render, HttpError};
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;
use crate::domain::dialplan::Form;
use crate::domain::number;

#[derive(Template)]
#[template(path = "tel.html")]
struct TelPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// The number as the link wrote it; empty when it holds none.
    number: String,
    /// Who it is, from the subscriber's books and the extensions.
    name: String,
}

#[derive(Deserialize)]
pub struct TelQuery {
    #[serde(default)]
    to: String,
}

/// `GET /tel?to=tel:+48...`
pub async fn page(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<TelQuery>,
) -> Result<Response, HttpError> {
    let number = number::from_tel_uri(&q.to).unwrap_or_default();
    let name = if number.is_empty() {
        String::new()
    } else {
        let names =
            state.services.history.names(&who.actor, who.ext(), vec![(number.clone(), Form::Unknown)]).await;
        names.ok().and_then(|mut n| n.remove(&number)).unwrap_or_default()
    };
    render(TelPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        number,
        name,
    })
}
