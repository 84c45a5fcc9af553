//! The door: the login page and form, logout, and setting a password (the first
//! one after a PIN login, or a change).

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::error::{html as render, password_problem_key as problem_key, Answer, HttpError};
use super::form::Posted;
use super::i18n::{visitor_language, Tr};
use super::session::{self, Cookie, Subscriber, Transport};
use super::HttpState;
use crate::services::auth::AuthError;
use crate::services::two_factor::CodeRefused;
use crate::system::random;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    error: &'a str,
    extension: &'a str,
}

/// `GET /`: the start page for a logged-in subscriber, the login form for anyone else.
pub async fn root(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    h: HeaderMap,
) -> Response {
    if let Some(id) = session::cookie(&h, Cookie::Session, tx.tls) {
        if state.services.auth.sessions.get(id, state.services.now()).is_some() {
            return Redirect::to("/start").into_response();
        }
    }
    login_form(&h, tx, "", "", Answer::Shown)
}

fn login_form(h: &HeaderMap, tx: Transport, error: &str, extension: &str, status: Answer) -> Response {
    let t = visitor_language(h);
    let Ok(token) = random::hex_token(16) else {
        return HttpError::Internal("no random token".into()).into_response();
    };
    let page = render(LoginPage { t, layout: "auto", csrf: &token, error, extension });
    (status.status(), [(header::SET_COOKIE, session::set_cookie(Cookie::Pre, &token, 3600, tx.tls))], page)
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    extension: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`
pub async fn login(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    h: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let t = visitor_language(&h);
    let pre = session::cookie(&h, Cookie::Pre, tx.tls).unwrap_or("");
    if !session::same_origin(&h) || pre.is_empty() || !session::same_secret(pre, &form.csrf) {
        return login_form(&h, tx, t.t("login.expired"), &form.extension, Answer::Expired);
    }
    match state.services.auth.login(&form.extension, &form.password, peer.ip(), state.services.now()).await {
        Ok(s) => {
            let next = match (s.must_set_password, s.needs_code) {
                (true, _) => "/password",
                (false, true) => "/login/code",
                (false, false) => "/start",
            };
            let mut resp = Redirect::to(next).into_response();
            let headers = resp.headers_mut();
            headers.append(header::SET_COOKIE, session::session_cookie(&s.id, tx.tls));
            headers.append(header::SET_COOKIE, session::clear_cookie(Cookie::Pre, tx.tls));
            resp
        }
        Err(AuthError::Throttled(secs)) => {
            let msg = t.f("login.throttled", "secs", &secs.to_string());
            login_form(&h, tx, &msg, &form.extension, Answer::Throttled)
        }
        Err(AuthError::Failed) => login_form(&h, tx, t.t("login.failed"), &form.extension, Answer::Failed),
        Err(e) => HttpError::Internal(format!("login: {e}")).into_response(),
    }
}

/// `POST /logout`
pub async fn logout(
    State(state): State<HttpState>,
    Extension(tx): Extension<Transport>,
    Posted { who, .. }: Posted,
) -> Response {
    state.services.auth.logout(&who.session);
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(header::SET_COOKIE, session::clear_cookie(Cookie::Session, tx.tls));
    resp
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: &'a str,
    first: bool,
    /// Logged in with a temporary password, not a PIN.
    temporary: bool,
    error: &'a str,
    notice: &'a str,
}

fn password_page(who: &Subscriber, error: &str, notice: &str, status: Answer) -> Response {
    let page = PasswordPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: &who.profile.number,
        first: who.session.must_set_password,
        temporary: who.session.temporary,
        error,
        notice,
    };
    (status.status(), render(page)).into_response()
}

/// `GET /password`
pub async fn password_form(who: Subscriber) -> Response {
    password_page(&who, "", "", Answer::Shown)
}

/// `POST /password`
pub async fn set_password(State(state): State<HttpState>, Posted { who, fields, .. }: Posted) -> Response {
    // Passwords are taken as typed: not trimmed.
    let (current, new, repeat) = (fields.raw("current"), fields.raw("new"), fields.raw("repeat"));
    let current = (!who.session.must_set_password).then_some(current.as_str());
    match state.services.auth.set_password(&who.session, current, &new, &repeat, state.services.now()).await {
        Ok(()) if who.session.must_set_password => Redirect::to("/start").into_response(),
        Ok(()) => password_page(&who, "", who.tr.t("password.changed"), Answer::Shown),
        Err(AuthError::Policy(p)) => password_page(&who, who.tr.t(problem_key(p)), "", Answer::Invalid),
        Err(e) => HttpError::Internal(format!("set password: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    error: &'a str,
}

/// `GET /login/code`: the second factor's code, after the password.
pub async fn code_form(who: Subscriber) -> Response {
    if !who.session.needs_code {
        return Redirect::to("/start").into_response();
    }
    render(CodePage { t: who.tr, layout: &who.profile.layout, csrf: &who.session.csrf, error: "" })
}

/// `POST /login/code`
pub async fn code(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Posted { who, fields, .. }: Posted,
) -> Response {
    if !who.session.needs_code {
        return Redirect::to("/start").into_response();
    }
    let page = |status: Answer, error: &str| {
        let body =
            render(CodePage { t: who.tr, layout: &who.profile.layout, csrf: &who.session.csrf, error });
        (status.status(), body).into_response()
    };
    match state.services.two_factor.verify(who.ext(), &fields.one("code"), peer.ip()).await {
        Ok(()) => {
            state.services.auth.sessions.code_passed(&who.session.id);
            Redirect::to("/start").into_response()
        }
        Err(CodeRefused::Throttled(secs)) => {
            page(Answer::Throttled, &who.tr.f("login.throttled", "secs", &secs.to_string()))
        }
        Err(CodeRefused::Wrong) => page(Answer::Failed, who.tr.t("two_factor.wrong")),
    }
}
