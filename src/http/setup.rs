//! First boot at the HTTP edge: `/setup` takes the one-time secret the board
//! printed at its first start, names the first administrator and sets his
//! password, and logs him in. Once that is done, `/setup` is not found.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::error::{html as render, password_problem_key, Answer, HttpError};
use super::i18n::{visitor_language, Tr};
use super::session::{self, Cookie, Transport};
use super::HttpState;
use crate::services::setup::{SetupError, SetupForm};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    extension: &'a str,
    error: &'a str,
}

fn gone(t: Tr) -> Response {
    HttpError::NotFound(t.t("error.not_found").to_owned()).into_response()
}

/// `GET /setup`: the form while setup is to be done; afterwards, not found.
pub async fn setup_form(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    h: HeaderMap,
) -> Response {
    let t = visitor_language(&h);
    if !state.services.setup.pending().await {
        return gone(t);
    }
    session::with_pre_token(Answer::Shown, tx, |csrf| {
        render(SetupPage { t, layout: "auto", csrf, extension: "", error: "" })
    })
}

#[derive(Deserialize)]
pub struct Posted {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    extension: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /setup`
pub async fn setup(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    h: HeaderMap,
    Form(f): Form<Posted>,
) -> Response {
    let t = visitor_language(&h);
    if !state.services.setup.pending().await {
        return gone(t);
    }
    let again = |status: Answer, error: &str| {
        session::with_pre_token(status, tx, |csrf| {
            render(SetupPage { t, layout: "auto", csrf, extension: &f.extension, error })
        })
    };
    if !session::pre_token_ok(&h, tx, &f.csrf) {
        return again(Answer::Expired, t.t("login.expired"));
    }
    let form = SetupForm {
        secret: f.secret.clone(),
        extension: f.extension.clone(),
        password: f.new.clone(),
        repeat: f.repeat.clone(),
    };
    match state.services.setup.complete(&form, peer.ip(), state.services.now()).await {
        Ok(s) => {
            let mut resp = Redirect::to("/start").into_response();
            let headers = resp.headers_mut();
            headers.append(header::SET_COOKIE, session::session_cookie(&s.id, tx.tls));
            headers.append(header::SET_COOKIE, session::clear_cookie(Cookie::Pre, tx.tls));
            resp
        }
        Err(SetupError::Done) => gone(t),
        Err(SetupError::WrongSecret) => again(Answer::Failed, t.t("setup.wrong_secret")),
        Err(SetupError::Throttled(secs)) => {
            again(Answer::Throttled, &t.f("login.throttled", "secs", &secs.to_string()))
        }
        Err(SetupError::UnknownExtension) => again(Answer::Invalid, t.t("setup.unknown_extension")),
        Err(SetupError::Policy(p)) => again(Answer::Invalid, t.t(password_problem_key(p))),
        Err(e) => HttpError::Internal(format!("setup: {e}")).into_response(),
    }
}
