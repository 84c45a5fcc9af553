//! The system phone's key labels (SPEC W11), a page to print.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{render, HttpError};
use super::i18n::Tr;
use super::session::Subscriber;
use super::HttpState;

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    number: &'a str,
    model: String,
    keys: Vec<(usize, String)>,
}

/// `GET /keys`
pub async fn keys(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    let phone =
        state.services.accounts.key_labels(&who.actor, who.subject()).await.map_err(|e| who.error(e))?;
    let phone = phone.ok_or_else(|| HttpError::NotFound(who.tr.t("keys.none").to_owned()))?;
    render(KeysPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        number: who.subject(),
        model: phone.model,
        keys: phone.labels.into_iter().enumerate().map(|(i, l)| (i + 1, l)).collect(),
    })
}
