//! Services and forwarding (SPEC W8, W9) and the "why would my phone ring?"
//! preview (SPEC Y1). A change is validated whole, stored, then programmed into
//! the core; if the core is not reachable the stored settings are what it gets
//! when the link comes back (resync). The preview asks `domain::routing`, the
//! same rules the simulator routes by.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::{Fields, Posted};
use super::i18n::Tr;
use super::pages::{failed, render};
use super::session::{now, Subscriber};
use super::HttpState;
use crate::domain::program::{
    ExtensionProgram, ForwardRule, RuleCalls, RulePresentation, RuleTarget, RuleWhen,
};
use crate::domain::routing::{self, CallerInfo, Decision, LineCondition};
use crate::hal::proto::{Command, LineState, Reply};
use crate::phonebook::dial_string;

/// Advanced rules one extension may have.
pub const MAX_RULES: usize = 20;

/// A number a subscriber may forward to: dialable once spaces and dashes are gone.
fn target(raw: &str, own: &str) -> Result<Option<String>, &'static str> {
    let n = dial_string(raw);
    if raw.trim().is_empty() {
        return Ok(None);
    }
    if n.is_empty() || n.len() > 32 || !crate::phonebook::is_phone_number(raw) {
        return Err("forwarding.bad_number");
    }
    if n == own {
        return Err("forwarding.to_self");
    }
    Ok(Some(n))
}

/// The subscriber's stored program, or the response that says why there is none.
async fn stored_program(state: &HttpState, ext: &str) -> Result<ExtensionProgram, Response> {
    match state.store.program(ext).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => Err(failed(e)),
    }
}

/// Programs the core with what is stored; says whether the core took it.
async fn program_core(state: &HttpState, ext: &str) -> Result<bool, Response> {
    let program = stored_program(state, ext).await?;
    let command = Command::Program { ext: ext.to_owned(), program: Box::new(program) };
    match state.core.command(command).await {
        Ok(_) => Ok(true),
        Err(e) => {
            tracing::warn!(extension = %ext, error = %e, "the core did not take the settings now; it gets them on resync");
            Ok(false)
        }
    }
}

// ---------------------------------------------------------------- services

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    p: ExtensionProgram,
    wakeup: String,
    time_zone: &'a str,
    recall_account: String,
    recall_pin_set: bool,
    notice: String,
    error: String,
}

async fn services_page(state: &HttpState, who: &Subscriber, notice: String, error: String) -> Response {
    let p = match stored_program(state, &who.profile.number).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (recall_account, recall_pin_set) = match state.store.recall(&who.profile.number).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ServicesPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        wakeup: p.wakeup.map(|m| format!("{:02}:{:02}", m / 60, m % 60)).unwrap_or_default(),
        p,
        time_zone: &state.time_zone,
        recall_account,
        recall_pin_set,
        notice,
        error,
    };
    (status, render(page)).into_response()
}

/// `GET /services`
pub async fn services(State(state): State<HttpState>, who: Subscriber) -> Response {
    services_page(&state, &who, String::new(), String::new()).await
}

fn parse_wakeup(s: &str) -> Result<Option<u16>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    let (h, m) = s.split_once(':').ok_or(())?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| ())?, m.parse().map_err(|_| ())?);
    if h < 24 && m < 60 {
        Ok(Some(h * 60 + m))
    } else {
        Err(())
    }
}

/// `POST /services`
pub async fn save_services(State(state): State<HttpState>, Posted { who, fields: f }: Posted) -> Response {
    let t = who.tr;
    let ext = who.profile.number.clone();
    let mut p = match stored_program(&state, &ext).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let error = |key: &str| t.t(key).to_owned();
    let Ok(wakeup) = parse_wakeup(&f.one("wakeup")) else {
        return services_page(&state, &who, String::new(), error("services.bad_time")).await;
    };
    let call_as = match target(&f.one("call_as"), "") {
        Ok(n) => n,
        Err(_) => return services_page(&state, &who, String::new(), error("services.bad_call_as")).await,
    };
    let account = f.one("recall_account");
    let pin = f.one("recall_pin");
    if !account.is_empty() && (account.len() > 16 || !account.bytes().all(|b| b.is_ascii_digit())) {
        return services_page(&state, &who, String::new(), error("services.bad_account")).await;
    }
    if !pin.is_empty() && (pin.len() != 4 || !pin.bytes().all(|b| b.is_ascii_digit())) {
        return services_page(&state, &who, String::new(), error("services.bad_pin")).await;
    }
    let (old_account, pin_set) = match state.store.recall(&ext).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    if !account.is_empty() && pin.is_empty() && !(pin_set && account == old_account) {
        return services_page(&state, &who, String::new(), error("services.pin_needed")).await;
    }
    p.phone_lock = f.on("phone_lock");
    p.clir = f.on("clir");
    p.call_waiting = f.on("call_waiting");
    p.call_as = call_as;
    p.wakeup = wakeup;
    let pin_hash = if pin.is_empty() {
        None
    } else {
        match state.auth.hasher().hash(&pin).await {
            Ok(h) => Some(h),
            Err(e) => return failed(e),
        }
    };
    if let Err(e) = state.store.set_recall(&ext, &account, pin_hash, now()).await {
        return failed(e);
    }
    if let Err(e) = state.store.save_program(&ext, p, now()).await {
        return failed(e);
    }
    tracing::info!(extension = %ext, "services changed");
    let notice = match program_core(&state, &ext).await {
        Ok(true) => t.t("forwarding.saved").to_owned(),
        Ok(false) => t.t("forwarding.saved_later").to_owned(),
        Err(r) => return r,
    };
    services_page(&state, &who, notice, String::new()).await
}

// ---------------------------------------------------------------- forwarding

pub struct RuleRow {
    pub index: usize,
    pub active: bool,
    pub when: &'static str,
    pub calls: &'static str,
    pub presentation: &'static str,
    pub kind: &'static str,
    pub target: String,
}

fn when_code(w: RuleWhen) -> &'static str {
    match w {
        RuleWhen::Always => "always",
        RuleWhen::Busy => "busy",
        RuleWhen::NoAnswer => "no_answer",
        RuleWhen::Unreachable => "unreachable",
        RuleWhen::Dnd => "dnd",
    }
}

fn rule_row(index: usize, r: &ForwardRule) -> RuleRow {
    let (kind, target) = match &r.target {
        RuleTarget::Number(n) => ("number", n.clone()),
        RuleTarget::Voicemail => ("voicemail", String::new()),
        RuleTarget::FaxToMail => ("fax_to_mail", String::new()),
    };
    RuleRow {
        index,
        active: r.active,
        when: when_code(r.when),
        calls: match r.calls {
            RuleCalls::All => "all",
            RuleCalls::Internal => "internal",
            RuleCalls::External => "external",
        },
        presentation: match r.presentation {
            RulePresentation::Any => "any",
            RulePresentation::Presented => "presented",
            RulePresentation::Withheld => "withheld",
        },
        kind,
        target,
    }
}

#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    caller: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    withheld: String,
    #[serde(default)]
    line: String,
}

/// The preview's answer: codes for machines, words for people.
pub struct Preview {
    pub arrival: String,
    pub arrival_text: String,
    pub no_answer: String,
    pub no_answer_text: String,
    pub line_text: String,
}

#[derive(Template)]
#[template(path = "forwarding.html")]
struct ForwardingPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    p: ExtensionProgram,
    mobile: String,
    announcements: Vec<(u16, String)>,
    rules: Vec<RuleRow>,
    new_index: usize,
    whens: Vec<(&'static str, String)>,
    q: PreviewQuery,
    preview: Option<Preview>,
    notice: String,
    error: String,
}

fn opt(o: &Option<String>) -> String {
    o.clone().unwrap_or_default()
}

async fn announcements(state: &HttpState, current: Option<u16>) -> Vec<(u16, String)> {
    let mut list: Vec<(u16, String)> = match state.core.command(Command::Announcements).await {
        Ok(Reply::Announcements { list }) => list.into_iter().map(|a| (a.id, a.name)).collect(),
        _ => Vec::new(),
    };
    // Keep the chosen one selectable while the core is away.
    if let Some(id) = current {
        if !list.iter().any(|(i, _)| *i == id) {
            list.push((id, format!("#{id}")));
        }
    }
    list
}

async fn forwarding_page(
    state: &HttpState,
    who: &Subscriber,
    q: PreviewQuery,
    notice: String,
    error: String,
) -> Response {
    let p = match stored_program(state, &who.profile.number).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let t = who.tr;
    let preview = if q.caller.is_empty() { None } else { Some(preview(state, who, &p, &q).await) };
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ForwardingPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        mobile: opt(&p.mobile),
        announcements: announcements(state, p.dnd).await,
        rules: p.rules.iter().enumerate().map(|(i, r)| rule_row(i, r)).collect(),
        new_index: p.rules.len(),
        whens: ["always", "busy", "no_answer", "unreachable", "dnd"]
            .into_iter()
            .map(|w| (w, t.t(&format!("forwarding.when_{w}")).to_owned()))
            .collect(),
        p,
        q,
        preview,
        notice,
        error,
    };
    (status, render(page)).into_response()
}

/// `GET /forwarding` (with a call described in the query: the preview).
pub async fn forwarding(
    State(state): State<HttpState>,
    who: Subscriber,
    Query(q): Query<PreviewQuery>,
) -> Response {
    forwarding_page(&state, &who, q, String::new(), String::new()).await
}

fn rule_from(f: &Fields, i: usize, own: &str) -> Result<Option<ForwardRule>, &'static str> {
    let key = |k: &str| format!("rule_{i}_{k}");
    if f.on(&key("delete")) {
        return Ok(None);
    }
    let kind = f.one(&key("kind"));
    if kind.is_empty() {
        return Ok(None);
    }
    let when = match f.one(&key("when")).as_str() {
        "always" => RuleWhen::Always,
        "busy" => RuleWhen::Busy,
        "no_answer" => RuleWhen::NoAnswer,
        "unreachable" => RuleWhen::Unreachable,
        "dnd" => RuleWhen::Dnd,
        _ => return Err("forwarding.bad_rule"),
    };
    let calls = match f.one(&key("calls")).as_str() {
        "all" => RuleCalls::All,
        "internal" => RuleCalls::Internal,
        "external" => RuleCalls::External,
        _ => return Err("forwarding.bad_rule"),
    };
    let presentation = match f.one(&key("presentation")).as_str() {
        "any" => RulePresentation::Any,
        "presented" => RulePresentation::Presented,
        "withheld" => RulePresentation::Withheld,
        _ => return Err("forwarding.bad_rule"),
    };
    let target = match kind.as_str() {
        "number" => match target(&f.one(&key("target")), own)? {
            Some(n) => RuleTarget::Number(n),
            None => return Err("forwarding.rule_needs_number"),
        },
        "voicemail" => RuleTarget::Voicemail,
        "fax_to_mail" => RuleTarget::FaxToMail,
        _ => return Err("forwarding.bad_rule"),
    };
    Ok(Some(ForwardRule { active: f.on(&key("active")), when, calls, presentation, target }))
}

/// `POST /forwarding`: the whole page at once, checked before anything is stored.
pub async fn save_forwarding(State(state): State<HttpState>, Posted { who, fields: f }: Posted) -> Response {
    let t = who.tr;
    let ext = who.profile.number.clone();
    let mut p = match stored_program(&state, &ext).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let refuse = |key: &str| t.t(key).to_owned();
    let q = PreviewQuery::default();
    macro_rules! check {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(key) => return forwarding_page(&state, &who, q, String::new(), refuse(key)).await,
            }
        };
    }
    p.forward_always = check!(target(&f.one("forward_always"), &ext));
    p.forward_busy = check!(target(&f.one("forward_busy"), &ext));
    p.forward_no_answer = check!(target(&f.one("forward_no_answer"), &ext));
    p.forward_unreachable = check!(target(&f.one("forward_unreachable"), &ext));
    p.no_answer_secs = check!(f
        .one("no_answer_secs")
        .parse::<u16>()
        .ok()
        .filter(|s| (5..=120).contains(s))
        .ok_or("forwarding.bad_secs"));
    p.voicemail = f.on("voicemail");
    // "I am here": the calls follow to another extension of this exchange.
    let follow = f.one("follow_me");
    p.follow_me = if follow.is_empty() {
        None
    } else {
        let known = state.store.program(&follow).await.map(|p| p.is_some()).unwrap_or(false);
        check!(if follow == ext {
            Err("forwarding.to_self")
        } else if known {
            Ok(Some(follow))
        } else {
            Err("forwarding.unknown_extension")
        })
    };
    p.dnd = if f.on("dnd") {
        let id = check!(f.one("announcement").parse::<u16>().map_err(|_| "forwarding.bad_announcement"));
        let list = announcements(&state, p.dnd).await;
        check!(if list.iter().any(|(i, _)| *i == id) {
            Ok(Some(id))
        } else {
            Err("forwarding.bad_announcement")
        })
    } else {
        None
    };
    let mobile_wanted = [f.on("mobile_on_no_answer"), f.on("mobile_on_dnd"), f.on("mobile_on_unreachable")];
    if mobile_wanted.iter().any(|w| *w) && p.mobile.is_none() {
        return forwarding_page(&state, &who, q, String::new(), refuse("forwarding.no_mobile")).await;
    }
    [p.mobile_on_no_answer, p.mobile_on_dnd, p.mobile_on_unreachable] = mobile_wanted;
    // Advanced rules, in the order of the rows; a move button swaps two.
    let count = f.one("rules").parse::<usize>().unwrap_or(0).min(MAX_RULES + 1);
    let mut rules = Vec::new();
    for i in 0..=count {
        if let Some(r) = check!(rule_from(&f, i, &ext)) {
            rules.push(r);
        }
    }
    if let Some((dir, i)) = f.one("move").split_once(':') {
        if let Ok(i) = i.parse::<usize>() {
            match dir {
                "up" if i > 0 && i < rules.len() => rules.swap(i, i - 1),
                "down" if i + 1 < rules.len() => rules.swap(i, i + 1),
                _ => {}
            }
        }
    }
    if rules.len() > MAX_RULES {
        return forwarding_page(&state, &who, q, String::new(), refuse("forwarding.too_many_rules")).await;
    }
    p.rules = rules;
    if let Err(e) = state.store.save_program(&ext, p, now()).await {
        return failed(e);
    }
    tracing::info!(extension = %ext, "forwarding changed");
    let notice = match program_core(&state, &ext).await {
        Ok(true) => t.t("forwarding.saved").to_owned(),
        Ok(false) => t.t("forwarding.saved_later").to_owned(),
        Err(r) => return r,
    };
    forwarding_page(&state, &who, PreviewQuery::default(), notice, String::new()).await
}

// ---------------------------------------------------------------- preview

fn decision(t: Tr, d: &Decision, secs: u16) -> (String, String) {
    match d {
        Decision::Ring => ("ring".into(), t.f("preview.ring", "secs", &secs.to_string())),
        Decision::FollowMe(e) => (format!("follow:{e}"), t.f("preview.follow", "number", e)),
        Decision::Forward(n) => (format!("forward:{n}"), t.f("preview.forward", "number", n)),
        Decision::Voicemail => ("voicemail".into(), t.t("preview.voicemail").to_owned()),
        Decision::FaxToMail => ("fax_to_mail".into(), t.t("preview.fax_to_mail").to_owned()),
        Decision::Announcement(a) => {
            (format!("announcement:{a}"), t.f("preview.announcement", "id", &a.to_string()))
        }
        Decision::BusyTone => ("busy".into(), t.t("preview.busy").to_owned()),
        Decision::Missed => ("missed".into(), t.t("preview.missed").to_owned()),
    }
}

/// Where the described call would go under the stored settings.
async fn preview(state: &HttpState, who: &Subscriber, p: &ExtensionProgram, q: &PreviewQuery) -> Preview {
    let t = who.tr;
    let number = dial_string(&q.number);
    // A number that is an extension here is an internal caller, whatever was chosen.
    let external = if number.is_empty() {
        q.caller != "internal"
    } else {
        !matches!(state.store.program(&number).await, Ok(Some(_)))
    };
    let caller = CallerInfo { external, withheld: q.withheld == "1" };
    let (line, line_text) = match q.line.as_str() {
        "busy" => (LineCondition::Busy, t.t("preview.line_busy").to_owned()),
        "unreachable" => (LineCondition::Unreachable, t.t("preview.line_unreachable").to_owned()),
        "free" => (LineCondition::Free, t.t("preview.line_free").to_owned()),
        _ => {
            let now = match state.core.command(Command::Snapshot).await {
                Ok(Reply::Snapshot { lines }) => {
                    lines.into_iter().find(|l| l.ext == who.profile.number).map(|l| l.state)
                }
                _ => None,
            };
            match now {
                Some(LineState::Unreachable) => {
                    (LineCondition::Unreachable, t.t("preview.now_unreachable").to_owned())
                }
                Some(LineState::Idle | LineState::Dnd) => {
                    (LineCondition::Free, t.t("preview.now_free").to_owned())
                }
                Some(_) => (LineCondition::Busy, t.t("preview.now_busy").to_owned()),
                None => (LineCondition::Free, t.t("preview.now_unknown").to_owned()),
            }
        }
    };
    let arrival = routing::on_arrival(p, caller, line);
    let (a, a_text) = decision(t, &arrival, p.no_answer_secs);
    let (n, n_text) = if arrival == Decision::Ring {
        decision(t, &routing::on_no_answer(p, caller), p.no_answer_secs)
    } else {
        (String::new(), String::new())
    };
    Preview { arrival: a, arrival_text: a_text, no_answer: n, no_answer_text: n_text, line_text }
}

// ---------------------------------------------------------------- key labels, installer

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

/// `GET /keys`: the labels of the system phone's keys, to print.
pub async fn keys(State(state): State<HttpState>, who: Subscriber) -> Response {
    let Ok(phone) = state.store.system_phone(&who.profile.number).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some((model, labels)) = phone else {
        return (StatusCode::NOT_FOUND, who.tr.t("keys.none").to_owned()).into_response();
    };
    render(KeysPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: format!("{} {}", who.profile.number, who.profile.name),
        number: &who.profile.number,
        model,
        keys: labels.into_iter().enumerate().map(|(i, l)| (i + 1, l)).collect(),
    })
}

/// The installer in the data directory, if the administrator has put one there.
pub fn installer(state: &HttpState) -> Option<(String, std::path::PathBuf)> {
    let mut files: Vec<_> = std::fs::read_dir(&state.installer_dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let safe = !name.starts_with('.')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_. ".contains(&b));
            safe.then(|| (name, e.path()))
        })
        .collect();
    files.sort();
    files.pop()
}

/// `GET /download/installer`: the desktop CTI client's installer.
pub async fn download(State(state): State<HttpState>, who: Subscriber) -> Response {
    let Some((name, path)) = installer(&state) else {
        return (StatusCode::NOT_FOUND, who.tr.t("download.none").to_owned()).into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (axum::http::header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => failed(e),
    }
}
