//! The subscriber's pages (SPEC W3-W5, W10, W12): the start page with its five
//! panels, the history, the voicemail list, settings, and placing calls. Every
//! handler takes a [`Subscriber`], so every page is checked on the server, and
//! reads only that subscriber's own data.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::i18n::{Tr, LANGUAGES};
use super::login::forged;
use super::pages::{failed, render};
use super::session::{now, Subscriber};
use super::HttpState;
use crate::domain::cdr::{Cdr, HistoryKind};
use crate::domain::time;
use crate::hal::proto::{Command, ErrorKind};
use crate::hal::CoreError;
use crate::store::cdr::HistoryQuery;
use crate::store::phonebook::View;
use crate::store::voicemail::Voicemail;

/// The voicemail system's number: calling it plays the messages.
pub const VOICEMAIL_NUMBER: &str = "800";
const PANEL_ROWS: usize = 5;
/// Numbers the start page's search shows.
const SEARCH_ROWS: usize = 20;
const HISTORY_PAGE: u32 = 50;

pub struct Row {
    pub kind: &'static str,
    pub kind_label: String,
    pub iso: String,
    pub short: String,
    pub name: String,
    pub number: String,
    pub duration: String,
    pub count: usize,
}

pub struct VmRow {
    pub iso: String,
    pub short: String,
    pub name: String,
    pub caller: String,
    pub duration: String,
    pub new: bool,
}

fn kind_code(k: HistoryKind) -> &'static str {
    match k {
        HistoryKind::Outgoing => "outgoing",
        HistoryKind::Incoming => "incoming",
        HistoryKind::Missed => "missed",
        HistoryKind::AnsweredElsewhere => "answered_elsewhere",
    }
}

fn row(t: Tr, cdr: &Cdr, names: &HashMap<String, String>) -> Row {
    let kind = kind_code(cdr.kind());
    Row {
        kind,
        kind_label: t.t(&format!("history.{kind}")).to_owned(),
        iso: time::iso(cdr.started_at),
        short: time::short(cdr.started_at),
        name: names.get(&cdr.peer).cloned().unwrap_or_default(),
        number: cdr.peer.clone(),
        duration: cdr.shown_duration().map(time::duration).unwrap_or_default(),
        count: 1,
    }
}

fn vm_row(v: &Voicemail, names: &HashMap<String, String>) -> VmRow {
    VmRow {
        iso: time::iso(v.received_at),
        short: time::short(v.received_at),
        name: names.get(&v.caller).cloned().unwrap_or_default(),
        caller: v.caller.clone(),
        duration: time::duration(v.duration_secs),
        new: v.heard_at.is_none(),
    }
}

/// The names known for these numbers (a missing name is shown as none).
/// Extensions, the private book, then the public book.
async fn names<'a>(
    state: &HttpState,
    who: &Subscriber,
    numbers: impl IntoIterator<Item = &'a String>,
) -> HashMap<String, String> {
    let numbers: Vec<String> = numbers.into_iter().cloned().collect();
    state.store.names_for(&who.profile.number, numbers).await.unwrap_or_default()
}

#[derive(Template)]
#[template(path = "panels.html")]
struct Panels<'a> {
    t: Tr,
    csrf: &'a str,
    missed: Vec<Row>,
    recent: Vec<Row>,
    voicemails: Vec<VmRow>,
    voicemail_number: String,
}

/// The three panels that change with calls: missed, recent, voicemail.
async fn panels_html(state: &HttpState, who: &Subscriber) -> Result<String, Response> {
    let ext = &who.profile.number;
    let q = |kind| HistoryQuery { extension: ext.clone(), kind, limit: 100, ..Default::default() };
    let missed_cdrs = state.store.history(q(Some(HistoryKind::Missed))).await.map_err(failed)?;
    let recent_cdrs: Vec<_> = state
        .store
        .history(q(None))
        .await
        .map_err(failed)?
        .into_iter()
        .filter(|h| matches!(h.cdr.kind(), HistoryKind::Incoming | HistoryKind::Outgoing))
        .take(PANEL_ROWS)
        .collect();
    let voicemails = state.store.voicemails(ext, PANEL_ROWS as u32).await.map_err(failed)?;
    let names = names(
        state,
        who,
        missed_cdrs
            .iter()
            .chain(&recent_cdrs)
            .map(|h| &h.cdr.peer)
            .chain(voicemails.iter().map(|v| &v.caller)),
    )
    .await;
    // One row per number: the latest attempt, with how many there were.
    let mut missed: Vec<Row> = Vec::new();
    for h in &missed_cdrs {
        match missed.iter().position(|r| r.number == h.cdr.peer) {
            Some(i) => missed[i].count += 1,
            None if missed.len() < PANEL_ROWS => missed.push(row(who.tr, &h.cdr, &names)),
            None => {}
        }
    }
    let recent = recent_cdrs.iter().map(|h| row(who.tr, &h.cdr, &names)).collect();
    let panels = Panels {
        t: who.tr,
        csrf: &who.session.csrf,
        missed,
        recent,
        voicemails: voicemails.iter().map(|v| vm_row(v, &names)).collect(),
        voicemail_number: VOICEMAIL_NUMBER.to_owned(),
    };
    panels.render().map_err(failed)
}

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    q: &'a str,
    found: Vec<(String, String)>,
    mode: &'a str,
    flash: String,
    panels: String,
    services: String,
    costs: String,
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    called: String,
    #[serde(default)]
    error: String,
}

/// `GET /start`
pub async fn start(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(sq): Query<StartQuery>,
) -> Response {
    let panels = match panels_html(&state, &who).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let q = sq.q.trim();
    // Extensions and both phonebooks: one row per number.
    let found: Vec<(String, String)> = if q.is_empty() {
        Vec::new()
    } else {
        let entries = state
            .store
            .phonebook_first(&who.profile.number, View::All, q, SEARCH_ROWS)
            .await
            .unwrap_or_default();
        entries
            .into_iter()
            .flat_map(|e| {
                let name = e.contact.display_name();
                e.contact.numbers.into_iter().map(move |n| (n.number, name.clone()))
            })
            .take(SEARCH_ROWS)
            .collect()
    };
    let services = active_services(&state, &who).await;
    let flash = if !sq.called.is_empty() && is_dialable(&sq.called) {
        who.tr.f("call.placed", "number", &sq.called)
    } else if !sq.error.is_empty() {
        call_error_text(who.tr, &sq.error)
    } else {
        String::new()
    };
    let mode = who.profile.callback_choice.as_deref().unwrap_or("extension");
    render(StartPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        q,
        found,
        mode,
        flash,
        panels,
        services,
        costs: "0.00".to_owned(),
    })
}

/// `GET /start/panels`: the live panels alone, fetched again when an event comes.
pub async fn panels(State(state): State<HttpState>, who: Subscriber) -> Response {
    match panels_html(&state, &who).await {
        Ok(p) => Html(p).into_response(),
        Err(r) => r,
    }
}

async fn active_services(state: &HttpState, who: &Subscriber) -> String {
    let Ok(Some(p)) = state.store.program(&who.profile.number).await else { return String::new() };
    let mut on = Vec::new();
    if p.dnd.is_some() {
        on.push("DND".to_owned());
    }
    if let Some(to) = &p.forward_always {
        on.push(format!("→ {to}"));
    }
    if let Some(to) = &p.follow_me {
        on.push(format!("⇢ {to}"));
    }
    if p.phone_lock {
        on.push("🔒".to_owned());
    }
    if p.clir {
        on.push("CLIR".to_owned());
    }
    on.join(", ")
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    types: Vec<(&'static str, String)>,
    kind: &'a str,
    from: &'a str,
    to: &'a str,
    number: &'a str,
    rows: Vec<Row>,
    older: String,
}

#[derive(Deserialize, Default)]
pub struct HistoryParams {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    before: String,
}

/// `GET /history`: the subscriber's own calls, filtered and paged.
pub async fn history(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(p): Query<HistoryParams>,
) -> Response {
    let kind = match p.kind.as_str() {
        "outgoing" => Some(HistoryKind::Outgoing),
        "incoming" => Some(HistoryKind::Incoming),
        "missed" => Some(HistoryKind::Missed),
        "answered_elsewhere" => Some(HistoryKind::AnsweredElsewhere),
        _ => None,
    };
    let digits: String = p.number.chars().filter(|c| c.is_ascii_digit() || *c == '+').take(32).collect();
    let before = p.before.split_once('.').and_then(|(t, id)| Some((t.parse().ok()?, id.parse().ok()?)));
    let q = HistoryQuery {
        extension: who.profile.number.clone(),
        kind,
        from: time::parse_date(&p.from),
        // The "to" date is inclusive: up to its end.
        to: time::parse_date(&p.to).map(|t| t + 86_400),
        number: (!digits.is_empty()).then_some(digits.clone()),
        before,
        limit: HISTORY_PAGE,
    };
    let rows = match state.store.history(q).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let older = match rows.last() {
        Some(last) if rows.len() == HISTORY_PAGE as usize => format!(
            "/history?type={}&from={}&to={}&number={}&before={}.{}",
            kind.map(kind_code).unwrap_or(""),
            time::parse_date(&p.from).map(|_| p.from.as_str()).unwrap_or(""),
            time::parse_date(&p.to).map(|_| p.to.as_str()).unwrap_or(""),
            digits,
            last.cdr.started_at,
            last.id
        ),
        _ => String::new(),
    };
    let names = names(&state, &who, rows.iter().map(|h| &h.cdr.peer)).await;
    let t = who.tr;
    let types = vec![
        ("", t.t("history.all").to_owned()),
        ("outgoing", t.t("history.outgoing").to_owned()),
        ("incoming", t.t("history.incoming").to_owned()),
        ("missed", t.t("history.missed").to_owned()),
        ("answered_elsewhere", t.t("history.answered_elsewhere").to_owned()),
    ];
    render(HistoryPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        types,
        kind: kind.map(kind_code).unwrap_or(""),
        from: if time::parse_date(&p.from).is_some() { &p.from } else { "" },
        to: if time::parse_date(&p.to).is_some() { &p.to } else { "" },
        number: &digits,
        rows: rows.iter().map(|h| row(t, &h.cdr, &names)).collect(),
        older,
    })
}

#[derive(Template)]
#[template(path = "voicemail.html")]
struct VoicemailPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    voicemails: Vec<VmRow>,
    voicemail_number: String,
}

/// `GET /voicemail`: every message, new and heard.
pub async fn voicemail(State(state): State<HttpState>, who: Subscriber) -> Response {
    let list = match state.store.voicemails(&who.profile.number, 500).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let names = names(&state, &who, list.iter().map(|v| &v.caller)).await;
    render(VoicemailPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        voicemails: list.iter().map(|v| vm_row(v, &names)).collect(),
        voicemail_number: VOICEMAIL_NUMBER.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    p: &'a crate::store::accounts::Profile,
    languages: Vec<(String, String)>,
    remembered: String,
    notice: &'a str,
    error: &'a str,
    has_phone: bool,
    installer: String,
}

async fn settings_page(
    state: &HttpState,
    who: &Subscriber,
    t: Tr,
    notice: &str,
    error: &str,
    status: StatusCode,
) -> Response {
    let has_phone = matches!(state.store.system_phone(&who.profile.number).await, Ok(Some(_)));
    let installer = super::forwarding::installer(state).map(|(name, _)| name).unwrap_or_default();
    let remembered = match who.profile.callback_choice.as_deref() {
        Some("mobile") => t.t("call.mobile_first").to_owned(),
        Some(_) => t.t("call.from_extension").to_owned(),
        None => String::new(),
    };
    let languages = LANGUAGES
        .iter()
        .map(|(code, _)| ((*code).to_owned(), Tr::new(code).t("lang.name").to_owned()))
        .collect();
    let page = SettingsPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        p: &who.profile,
        languages,
        remembered,
        notice,
        error,
        has_phone,
        installer,
    };
    (status, render(page)).into_response()
}

/// `GET /settings`
pub async fn settings(State(state): State<HttpState>, who: Subscriber) -> Response {
    settings_page(&state, &who, who.tr, "", "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /settings/profile`: description and e-mail, the subscriber's own.
pub async fn save_profile(
    State(state): State<HttpState>,
    h: HeaderMap,
    mut who: Subscriber,
    Form(f): Form<ProfileForm>,
) -> Response {
    if let Some(refusal) = forged(&h, &who, &f.csrf) {
        return refusal;
    }
    let (description, email) = (f.description.trim(), f.email.trim());
    if description.chars().count() > 200 || email.len() > 200 {
        return settings_page(
            &state,
            &who,
            who.tr,
            "",
            who.tr.t("settings.too_long"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if !email.is_empty() && !is_email(email) {
        return settings_page(
            &state,
            &who,
            who.tr,
            "",
            who.tr.t("settings.bad_email"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if let Err(e) = state.store.update_profile(&who.profile.number, description, email, now()).await {
        return failed(e);
    }
    who.profile.description = description.to_owned();
    who.profile.email = email.to_owned();
    settings_page(&state, &who, who.tr, who.tr.t("settings.saved"), "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AppForm {
    #[serde(default)]
    language: String,
    #[serde(default)]
    layout: String,
    #[serde(default)]
    forget_callback: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /settings/app`: language, layout, forgetting the remembered calling choice.
pub async fn save_app(
    State(state): State<HttpState>,
    h: HeaderMap,
    mut who: Subscriber,
    Form(f): Form<AppForm>,
) -> Response {
    if let Some(refusal) = forged(&h, &who, &f.csrf) {
        return refusal;
    }
    let language = if LANGUAGES.iter().any(|(c, _)| *c == f.language) {
        f.language.as_str()
    } else {
        &who.profile.language
    };
    let layout = if ["auto", "full", "mobile"].contains(&f.layout.as_str()) {
        f.layout.as_str()
    } else {
        &who.profile.layout
    };
    let choice = if f.forget_callback == "1" { None } else { who.profile.callback_choice.clone() };
    let (language, layout) = (language.to_owned(), layout.to_owned());
    if let Err(e) = state
        .store
        .update_app_settings(&who.profile.number, &language, &layout, choice.as_deref(), now())
        .await
    {
        return failed(e);
    }
    who.profile.language = language;
    who.profile.layout = layout;
    who.profile.callback_choice = choice;
    let t = Tr::new(&who.profile.language);
    settings_page(&state, &who, t, t.t("settings.saved"), "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CallForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    remember: String,
    #[serde(default)]
    csrf: String,
}

/// Digits, with `*`, `#` and a leading `+`; spaces, dashes, dots and brackets are
/// dropped as people write them.
fn dialable(raw: &str) -> String {
    raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/')).collect()
}

fn is_dialable(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#' || b == b'+')
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn call_error_code(e: &CoreError) -> &'static str {
    match e {
        CoreError::Refused(ErrorKind::NoMobileNumber) => "no_mobile",
        CoreError::Refused(ErrorKind::InvalidNumber) => "invalid",
        CoreError::Refused(ErrorKind::Restricted) => "restricted",
        CoreError::Refused(_) => "refused",
        CoreError::LinkDown | CoreError::Timeout => "core",
    }
}

fn call_error_text(t: Tr, code: &str) -> String {
    match code {
        "no_mobile" => t.t("call.no_mobile").to_owned(),
        "core" => t.t("error.core").to_owned(),
        "invalid" | "restricted" | "refused" => t.f("call.failed", "reason", code),
        _ => String::new(),
    }
}

/// `POST /call`: the exchange rings the subscriber's extension (or MobilePhone)
/// and, on answer, dials the number.
pub async fn call(
    State(state): State<HttpState>,
    h: HeaderMap,
    who: Subscriber,
    Form(f): Form<CallForm>,
) -> Response {
    if let Some(refusal) = forged(&h, &who, &f.csrf) {
        return refusal;
    }
    let fetch = h.get("x-requested-with").is_some_and(|v| v == "fetch");
    let number = dialable(&f.number);
    let reply = |ok: bool, code: &str, message: String| -> Response {
        if fetch {
            let status = if ok { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            (status, Json(serde_json::json!({ "ok": ok, "message": message }))).into_response()
        } else if ok {
            Redirect::to(&format!("/start?called={number}")).into_response()
        } else {
            Redirect::to(&format!("/start?error={code}")).into_response()
        }
    };
    if !is_dialable(&number) {
        return reply(false, "invalid", who.tr.f("call.failed", "reason", "invalid"));
    }
    let mode = match f.mode.as_str() {
        "mobile" | "extension" => f.mode.clone(),
        _ => who.profile.callback_choice.clone().unwrap_or_else(|| "extension".to_owned()),
    };
    if f.remember == "1" {
        let p = &who.profile;
        if let Err(e) =
            state.store.update_app_settings(&p.number, &p.language, &p.layout, Some(&mode), now()).await
        {
            return failed(e);
        }
    }
    let ext = who.profile.number.clone();
    let command = if mode == "mobile" {
        Command::DialViaMobile { ext, number: number.clone() }
    } else {
        Command::Dial { ext, number: number.clone() }
    };
    match state.core.command(command).await {
        Ok(_) => {
            tracing::info!(extension = %who.profile.number, mode = %mode, "call placed");
            reply(true, "", who.tr.f("call.placed", "number", &number))
        }
        Err(e) => {
            let code = call_error_code(&e);
            reply(false, code, call_error_text(who.tr, code))
        }
    }
}
