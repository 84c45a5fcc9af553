//! The costs pages (SPEC W7, Y6): the subscriber's own (`/costs`, which a
//! manager opens for his people with `?for=N`), the managers' list of their
//! people's costs, the administrators' list with limits, top-ups and resets,
//! and the tariff. Every figure comes from `services::costs`, which asks
//! `domain::access`; the pages follow changes live (the `costs` event).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::{message, shown_or_refused, HttpError};
use super::form::AdminPosted;
use super::i18n::Tr;
use super::session::{Administrator, Subscriber};
use super::HttpState;
use crate::domain::access::Actor;
use crate::domain::tariff::{self, money, parse_money, Cents, TopUpMode};
use crate::domain::time;
use crate::services::costs::{AccountChange, AlertRow, CostsRow, CostsView};
use crate::services::ServiceError;

/// One account's figures as the pages show them.
pub struct Figures {
    pub ext: String,
    pub name: String,
    pub spent: String,
    /// Empty when not limited.
    pub limit: String,
    pub credit: String,
    pub top_up: String,
    pub mode: &'static str,
    pub mode_label: String,
    pub used: String,
    pub at_period_end: String,
    /// When the credit runs out at the recent pace, if before the period ends.
    pub runs_out_iso: String,
    pub runs_out: String,
    pub period_end_iso: String,
    pub period_end: String,
    /// Spending passed the first alert threshold (shown as a warning).
    pub warn: bool,
    /// The forecast in words.
    pub pace: String,
}

fn figures(t: Tr, name: &str, v: &CostsView) -> Figures {
    let a = &v.account;
    let limited = a.limit.is_some();
    let (runs_out_iso, runs_out) = match v.forecast.runs_out_at {
        Some(at) => (time::iso(at), time::short(at)),
        None => (String::new(), String::new()),
    };
    Figures {
        ext: a.extension.clone(),
        name: name.to_owned(),
        spent: money(a.spent),
        limit: a.limit.map(money).unwrap_or_default(),
        credit: if limited { money(a.credit) } else { String::new() },
        top_up: if limited && a.mode != TopUpMode::None { money(a.top_up) } else { String::new() },
        mode: a.mode.code(),
        mode_label: t.t(&format!("costs.mode_{}", a.mode.code())).to_owned(),
        used: a.used_percent().map(|p| format!("{p} %")).unwrap_or_default(),
        at_period_end: money(v.forecast.at_period_end),
        runs_out_iso,
        runs_out,
        period_end_iso: time::iso(v.period_end),
        period_end: time::short(v.period_end),
        warn: a.used_percent().is_some_and(|p| p >= 80),
        pace: t.fill(
            "costs.forecast_pace",
            &[
                ("days", &crate::services::costs::FORECAST_DAYS.to_string()),
                ("per_day", &money(v.forecast.per_day)),
                ("end", &money(v.forecast.at_period_end)),
            ],
        ),
    }
}

#[derive(Template)]
#[template(path = "costs.html")]
struct CostsPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// Whose costs: the subscriber's own, or one of a manager's people.
    subject: String,
    own: bool,
    f: Figures,
    currency: String,
}

/// `GET /costs`: the subscriber's costs, limit, top-up and forecast.
pub async fn own(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    let ext = who.subject().to_owned();
    let v = state.services.costs.view(&who.actor, &ext).await.map_err(|e| who.error(e))?;
    let page = CostsPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        own: ext == who.ext(),
        subject: ext,
        f: figures(who.tr, "", &v),
        currency: state.services.costs.currency().to_owned(),
    };
    shown_or_refused(true, page)
}

/// The start page's line about costs.
pub async fn summary(state: &HttpState, who: &Subscriber) -> String {
    let Ok(a) = state.services.costs.account(&who.actor, who.ext()).await else { return String::new() };
    let t = who.tr;
    match a.limit {
        Some(limit) => t.fill(
            "costs.summary_limited",
            &[("spent", &money(a.spent)), ("credit", &money(a.credit)), ("limit", &money(limit))],
        ),
        None => t.fill("costs.summary", &[("spent", &money(a.spent))]),
    }
}

#[derive(Template)]
#[template(path = "costs_list.html")]
struct ListPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    /// The administrators' page, with its forms.
    admin: bool,
    rows: Vec<Figures>,
    alerts: Vec<AlertLine>,
    modes: Vec<(&'static str, String)>,
    currency: String,
    notice: String,
    error: String,
}

pub struct AlertLine {
    pub iso: String,
    pub short: String,
    pub ext: String,
    pub text: String,
}

fn alert_line(t: Tr, a: &AlertRow) -> AlertLine {
    let text = match a.kind.as_str() {
        "threshold" => t.fill("costs.alert_threshold", &[("percent", &a.value.to_string())]),
        _ => t.fill("costs.alert_forecast", &[("date", &time::short(a.value))]),
    };
    AlertLine { iso: time::iso(a.at), short: time::short(a.at), ext: a.extension.clone(), text }
}

fn modes(t: Tr) -> Vec<(&'static str, String)> {
    TopUpMode::ALL.iter().map(|m| (m.code(), t.t(&format!("costs.mode_{}", m.code())).to_owned())).collect()
}

async fn list_page(
    state: &HttpState,
    who: &Subscriber,
    actor: &Actor,
    admin: bool,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let t = who.tr;
    let (rows, alerts): (Vec<CostsRow>, _) =
        state.services.costs.list_with_alerts(actor).await.map_err(|e| who.error(e))?;
    let now_rows = rows
        .iter()
        .map(|r| {
            let v =
                CostsView { account: r.row.account.clone(), period_end: r.period_end, forecast: r.forecast };
            figures(t, &r.row.name, &v)
        })
        .collect();
    let page = ListPage {
        t,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        admin,
        rows: now_rows,
        alerts: alerts.iter().map(|a| alert_line(t, a)).collect(),
        modes: modes(t),
        currency: state.services.costs.currency().to_owned(),
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /manager/costs`: his people's costs, limits and forecasts, and the
/// alerts about them.
pub async fn team(State(state): State<HttpState>, who: Subscriber) -> Result<Response, HttpError> {
    list_page(&state, &who, &who.actor, false, String::new(), String::new()).await
}

/// `GET /admin/costs`
pub async fn accounts(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    list_page(&state, &admin.who, &admin.actor, true, String::new(), String::new()).await
}

/// An amount typed in a form: empty is `None`.
fn amount(s: &str) -> Result<Option<Cents>, ()> {
    match s.trim() {
        "" => Ok(None),
        s => parse_money(s).map(Some).ok_or(()),
    }
}

/// `POST /admin/costs`: an extension's limit, top-up and mode; a top-up now;
/// a reset.
pub async fn change_account(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let ext = f.one("ext");
    let bad = |key: &str| t.t(key).to_owned();
    let change = match f.one("action").as_str() {
        "configure" => {
            match (amount(&f.one("limit")), amount(&f.one("top_up")), TopUpMode::from_code(&f.one("mode"))) {
                (Ok(limit), Ok(top_up), Some(mode)) => {
                    Ok(AccountChange::Configure { limit, top_up: top_up.unwrap_or(0), mode })
                }
                (Err(()), ..) => Err(bad("costs.bad_limit")),
                (_, Err(()), _) => Err(bad("costs.bad_top_up")),
                _ => Err(bad("employee.bad_choice")),
            }
        }
        "top_up" => match amount(&f.one("amount")) {
            Ok(Some(a)) => Ok(AccountChange::TopUp(a)),
            _ => Err(bad("costs.bad_amount")),
        },
        "reset" => Ok(AccountChange::Reset),
        _ => return Err(HttpError::BadRequest(t.t("error.forbidden").to_owned())),
    };
    let change = match change {
        Ok(c) => c,
        Err(e) => return list_page(&state, &admin.who, &admin.actor, true, String::new(), e).await,
    };
    match state.services.costs.change(&admin.actor, &ext, change).await {
        Ok(_) => {
            let notice = t.fill("costs.changed", &[("ext", &ext)]);
            list_page(&state, &admin.who, &admin.actor, true, notice, String::new()).await
        }
        Err(ServiceError::Invalid(i)) => {
            list_page(&state, &admin.who, &admin.actor, true, String::new(), message(t, &i)).await
        }
        Err(ServiceError::NotFound) => {
            list_page(
                &state,
                &admin.who,
                &admin.actor,
                true,
                String::new(),
                t.t("costs.no_extension").to_owned(),
            )
            .await
        }
        Err(e) => Err(admin.who.error(e)),
    }
}

#[derive(Template)]
#[template(path = "admin_tariff.html")]
struct TariffPage<'a> {
    t: Tr,
    layout: &'a str,
    csrf: &'a str,
    who: String,
    rates: String,
    bands: String,
    /// When the tariff in force was made, if one is.
    since: String,
    since_iso: String,
    count: usize,
    currency: String,
    notice: String,
    error: String,
}

async fn tariff_page(
    state: &HttpState,
    admin: &Administrator,
    typed: Option<(String, String)>,
    notice: String,
    error: String,
) -> Result<Response, HttpError> {
    let who = &admin.who;
    let current = state.services.costs.tariff(&admin.actor).await.map_err(|e| who.error(e))?;
    let (since, since_iso, count) = match &current {
        Some(c) => (time::short(c.since), time::iso(c.since), c.tariff.rates.len()),
        None => (String::new(), String::new(), 0),
    };
    let (rates, bands) = typed.unwrap_or_else(|| match &current {
        Some(c) => (tariff::rates_text(&c.tariff.rates), tariff::bands_text(&c.tariff.offpeak)),
        None => (tariff::rates_text(&[]), String::new()),
    });
    let page = TariffPage {
        t: who.tr,
        layout: &who.profile.layout,
        csrf: &who.session.csrf,
        who: who.heading(),
        rates,
        bands,
        since,
        since_iso,
        count,
        currency: state.services.costs.currency().to_owned(),
        notice,
        error,
    };
    shown_or_refused(page.error.is_empty(), page)
}

/// `GET /admin/tariff`
pub async fn tariff(State(state): State<HttpState>, admin: Administrator) -> Result<Response, HttpError> {
    tariff_page(&state, &admin, None, String::new(), String::new()).await
}

/// `POST /admin/tariff`: the rates (as CSV text, typed or read from a file by
/// the page) and the off-peak times; in force for calls from now on.
pub async fn save_tariff(
    State(state): State<HttpState>,
    AdminPosted { admin, fields: f }: AdminPosted,
) -> Result<Response, HttpError> {
    let t = admin.who.tr;
    let (rates_typed, bands_typed) = (f.one("rates"), f.one("bands"));
    let typed = Some((rates_typed.clone(), bands_typed.clone()));
    let parsed = tariff::parse_rates(&rates_typed).and_then(|r| Ok((r, tariff::parse_bands(&bands_typed)?)));
    let (rates, bands) = match parsed {
        Ok(p) => p,
        Err(tariff::TextProblem::Line(n)) => {
            let e = t.f("costs.bad_line", "row", &n.to_string());
            return tariff_page(&state, &admin, typed, String::new(), e).await;
        }
        Err(tariff::TextProblem::Band(n)) => {
            let e = t.f("costs.bad_band", "row", &n.to_string());
            return tariff_page(&state, &admin, typed, String::new(), e).await;
        }
    };
    match state.services.costs.set_tariff(&admin.actor, rates, bands).await {
        Ok(_) => tariff_page(&state, &admin, None, t.t("costs.tariff_saved").to_owned(), String::new()).await,
        Err(ServiceError::Invalid(i)) => {
            tariff_page(&state, &admin, typed, String::new(), message(t, &i)).await
        }
        Err(e) => Err(admin.who.error(e)),
    }
}
