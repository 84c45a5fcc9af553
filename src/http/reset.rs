//! Forgotten passwords at the HTTP edge: asking for a link, and using it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::error::{html as render, password_problem_key as problem_key, Answer, HttpError};
use super::i18n::{visitor_language, Tr};
use super::session::{self, Transport};
use super::HttpState;
use crate::services::auth::AuthError;

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    sent: bool,
}

/// `GET /forgot`
pub async fn forgot_form(Extension(tx): Extension<Transport>, h: HeaderMap) -> Response {
    let t = visitor_language(&h);
    session::with_pre_token(Answer::Shown, tx, |csrf| {
        render(ForgotPage { t, layout: "auto", csrf, sent: false })
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    extension: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /forgot`: the same answer, at once, whatever the extension.
pub async fn forgot(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    h: HeaderMap,
    Form(f): Form<ForgotForm>,
) -> Response {
    let t = visitor_language(&h);
    if !session::pre_token_ok(&h, tx, &f.csrf) {
        return HttpError::Forbidden(t.t("login.expired").to_owned()).into_response();
    }
    state.services.reset.request(&f.extension, state.services.now()).await;
    render(ForgotPage { t, layout: "auto", csrf: "", sent: true })
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    token: &'a str,
    show_form: bool,
    error: &'a str,
    notice: &'a str,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /reset?token=...`: the form, if the link still works. Looking does not use it up.
pub async fn reset_form(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    h: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let t = visitor_language(&h);
    let valid =
        is_token(&q.token) && state.services.reset.valid(&q.token, state.services.now()).await.is_some();
    let status = if valid { Answer::Shown } else { Answer::Gone };
    let error = if valid { "" } else { t.t("reset.invalid") };
    session::with_pre_token(status, tx, |csrf| {
        render(ResetPage { t, layout: "auto", csrf, token: &q.token, show_form: valid, error, notice: "" })
    })
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /reset`
pub async fn reset(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    h: HeaderMap,
    Form(f): Form<ResetForm>,
) -> Response {
    let t = visitor_language(&h);
    if !session::pre_token_ok(&h, tx, &f.csrf) {
        return HttpError::Forbidden(t.t("login.expired").to_owned()).into_response();
    }
    let page = |status: Answer, show_form, error: &str, notice: &str| {
        session::with_pre_token(status, tx, |csrf| {
            render(ResetPage { t, layout: "auto", csrf, token: &f.token, show_form, error, notice })
        })
    };
    if !is_token(&f.token) {
        return page(Answer::Gone, false, t.t("reset.invalid"), "");
    }
    match state
        .services
        .reset
        .complete(&state.services.auth, &f.token, &f.new, &f.repeat, state.services.now())
        .await
    {
        Ok(_) => page(Answer::Shown, false, "", t.t("reset.done")),
        Err(AuthError::Failed) => page(Answer::Gone, false, t.t("reset.invalid"), ""),
        Err(AuthError::Policy(p)) => page(Answer::Invalid, true, t.t(problem_key(p)), ""),
        Err(e) => HttpError::Internal(format!("password reset: {e}")).into_response(),
    }
}
