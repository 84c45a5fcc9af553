//! Call costs over the API (SPEC W7): an extension's limit, top-up and mode
//! (`/api/v1/extensions/{number}/costs`, with what it spent and has left), a
//! top-up and a reset, every extension's costs (`/api/v1/costs`), and the
//! tariff (`/api/v1/tariff`), through the same service calls as the portal's
//! pages; the exchange has the new credit or tariff when the call returns.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::door::{parse, plain, read, replace, ApiCall, Caller, Problem, Resource};
#[cfg(feature = "openapi")]
use super::schema::{self, ProblemDoc};
use crate::domain::tariff::{self, CostAccount, TopUpMode};
use crate::http::HttpState;
use crate::services::costs::{AccountChange, CostsView};

/// An extension's costs: what an administrator sets (limit, top-up, mode) and,
/// read only, what it spent this period and has left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// The most the extension's calls may spend (the credit the top-ups fill
    /// up to), in minor units; null for no limit.
    pub limit_cents: Option<i64>,
    /// Added to the credit at each period's start (at most the limit).
    pub top_up_cents: i64,
    /// The currency of the amounts, ISO 4217 (read only: ignored when sent).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only, example = "PLN"))]
    pub currency: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = schema::top_up_mode))]
    pub top_up_mode: String,
    /// Spent since the period began (read only: ignored when sent).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub spent_cents: i64,
    /// What is left to spend, when limited (read only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub credit_cents: Option<i64>,
    /// When the period ends: the next top-up, Unix seconds (read only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub period_end: i64,
    /// At the pace of the last seven days: spent per day, the period's cost
    /// at its end, and when the credit runs out if before (read only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub per_day_cents: i64,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub forecast_cents: i64,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub runs_out_at: Option<i64>,
}

impl Costs {
    fn of(v: &CostsView, currency: &str) -> Costs {
        let a = &v.account;
        Costs {
            limit_cents: a.limit,
            top_up_cents: a.top_up,
            currency: currency.to_owned(),
            top_up_mode: a.mode.code().to_owned(),
            spent_cents: a.spent,
            credit_cents: a.available(),
            period_end: v.period_end,
            per_day_cents: v.forecast.per_day,
            forecast_cents: v.forecast.at_period_end,
            runs_out_at: v.forecast.runs_out_at,
        }
    }
}

/// One extension's costs in the list.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtensionCosts {
    pub extension: String,
    pub name: String,
    pub costs: Costs,
}

fn invalid(caller: &Caller, key: &str, at: &str) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", caller.tr.t(key)).at(at)
}

impl Resource for Costs {
    type Change = AccountChange;

    async fn current(state: &HttpState, caller: &Caller, number: &str) -> Result<Costs, Problem> {
        let v = state.services.costs.view(&caller.actor, number).await;
        let currency = state.services.costs.currency();
        v.map(|v| Costs::of(&v, currency)).map_err(|e| Problem::from_service(&caller.tr, e))
    }

    fn change(self, caller: &Caller, _number: &str) -> Result<AccountChange, Problem> {
        let mode = TopUpMode::from_code(&self.top_up_mode)
            .ok_or_else(|| invalid(caller, "employee.bad_choice", "/top_up_mode"))?;
        // The rules, before If-Match: a limit and top-up that do not fit are refused.
        let mut probe = CostAccount::default();
        probe
            .configure(self.limit_cents, self.top_up_cents, mode)
            .map_err(|p| Problem::from_service(&caller.tr, crate::services::ServiceError::from(p)))?;
        Ok(AccountChange::Configure { limit: self.limit_cents, top_up: self.top_up_cents, mode })
    }

    async fn write(
        state: &HttpState,
        caller: &Caller,
        number: &str,
        change: AccountChange,
    ) -> Result<(), Problem> {
        let done = state.services.costs.change(&caller.actor, number, change).await;
        done.map(|_| ()).map_err(|e| Problem::from_service(&caller.tr, e))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "costs_get", path = "/api/v1/extensions/{number}/costs", tag = "costs",
    params(("number" = String, Path, description = "The extension's number")),
    responses((status = 200, body = Costs, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc)),
    security(("bearer" = ["costs:read"]))))]
pub async fn get(call: ApiCall) -> Response {
    read::<Costs>(&call, call.param("number")).await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "costs_put", path = "/api/v1/extensions/{number}/costs", tag = "costs",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = Costs, description = "The limit, top-up and mode; the read-only figures are ignored"),
    responses((status = 200, body = Costs, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["costs:write"]))))]
pub async fn put(call: ApiCall) -> Response {
    replace::<Costs>(&call, call.param("number"), false).await
}

#[cfg_attr(feature = "openapi", utoipa::path(patch, operation_id = "costs_patch", path = "/api/v1/extensions/{number}/costs", tag = "costs",
    params(("number" = String, Path, description = "The extension's number"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = schema::CostsPatch, content_type = "application/merge-patch+json", description = "JSON Merge Patch (RFC 7396): only the fields given change"),
    responses((status = 200, body = Costs, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["costs:write"]))))]
pub async fn patch(call: ApiCall) -> Response {
    replace::<Costs>(&call, call.param("number"), true).await
}

/// An amount added to the credit now.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TopUp {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000))]
    pub amount_cents: i64,
}

/// A reset: nothing spent this period, the whole limit to spend.
#[derive(Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reset {}

async fn account_change(call: &ApiCall, change: Result<AccountChange, Problem>) -> Response {
    let (state, caller, ..) = call.parts();
    let number = call.param("number");
    let change = match change {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    match state.services.costs.change(&caller.actor, number, change).await {
        Ok(_) => match state.services.costs.view(&caller.actor, number).await {
            Ok(v) => plain(&caller.tr, StatusCode::OK, &Costs::of(&v, state.services.costs.currency())),
            Err(e) => Problem::from_service(&caller.tr, e).into_response(),
        },
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "costs_top_up", path = "/api/v1/extensions/{number}/costs/top-up", tag = "costs",
    params(("number" = String, Path, description = "The extension's number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key tops up once")),
    request_body = TopUp,
    responses((status = 200, body = Costs), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["costs:write"]))))]
pub async fn top_up(call: ApiCall) -> Response {
    let (_, caller, headers, body) = call.parts();
    let change = parse::<TopUp>(&caller.tr, headers, body).map(|t| AccountChange::TopUp(t.amount_cents));
    call.once(account_change(&call, change)).await
}

#[cfg_attr(feature = "openapi", utoipa::path(post, operation_id = "costs_reset", path = "/api/v1/extensions/{number}/costs/reset", tag = "costs",
    params(("number" = String, Path, description = "The extension's number"), ("Idempotency-Key" = Option<String>, Header, description = "Repeating the request with the same key resets once")),
    request_body = Reset,
    responses((status = 200, body = Costs), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["costs:write"]))))]
pub async fn reset(call: ApiCall) -> Response {
    let (_, caller, headers, body) = call.parts();
    let change = parse::<Reset>(&caller.tr, headers, body).map(|_| AccountChange::Reset);
    call.once(account_change(&call, change)).await
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "costs_list", path = "/api/v1/costs", tag = "costs",
    responses((status = 200, body = Vec<ExtensionCosts>), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["costs:read"]))))]
pub async fn list(call: ApiCall) -> Response {
    let (state, caller, ..) = call.parts();
    match state.services.costs.list(&caller.actor).await {
        Ok(rows) => {
            let items: Vec<ExtensionCosts> = rows
                .into_iter()
                .map(|r| {
                    let v =
                        CostsView { account: r.row.account, period_end: r.period_end, forecast: r.forecast };
                    ExtensionCosts {
                        extension: v.account.extension.clone(),
                        name: r.row.name,
                        costs: Costs::of(&v, state.services.costs.currency()),
                    }
                })
                .collect();
            plain(&caller.tr, StatusCode::OK, &items)
        }
        Err(e) => Problem::from_service(&caller.tr, e).into_response(),
    }
}

/// One rate of the tariff, for numbers (as sent out, without the outside
/// prefix; `00` for abroad) starting with `prefix`; the longest prefix wins,
/// and the empty prefix prices every other number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rate {
    #[cfg_attr(feature = "openapi", schema(example = "22", pattern = "^[0-9]{0,16}$"))]
    pub prefix: String,
    #[cfg_attr(feature = "openapi", schema(example = "Warsaw"))]
    pub name: String,
    /// Charged once when the call is answered, in minor units.
    pub setup_cents: i64,
    /// Per minute at peak times.
    pub peak_cents: i64,
    /// Per minute in the off-peak times.
    pub offpeak_cents: i64,
    /// The first block billed, seconds (60: a minute begun is a minute).
    pub first_secs: u32,
    /// Each block after it, seconds.
    pub step_secs: u32,
}

/// An off-peak time, local to the board: `from` to `to` on each of `days`; a
/// `to` not after `from` runs past midnight, `from` equal to `to` is the whole day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// `mon` ... `sun`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["mon", "tue", "wed", "thu", "fri"])))]
    pub days: Vec<String>,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "22:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]|24:00$")
    )]
    pub from: String,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "06:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]|24:00$")
    )]
    pub to: String,
}

/// The exchange's tariff: calls are priced by the one in force when they start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TariffDoc {
    pub rates: Vec<Rate>,
    pub offpeak: Vec<Band>,
    /// When it came into force, Unix seconds; null before a tariff is set
    /// (read only: ignored when sent).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(read_only))]
    pub since: Option<i64>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn clock(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

impl Resource for TariffDoc {
    type Change = (Vec<tariff::Rate>, Vec<tariff::Band>);

    async fn current(state: &HttpState, caller: &Caller, _key: &str) -> Result<TariffDoc, Problem> {
        let t = state
            .services
            .costs
            .tariff(&caller.actor)
            .await
            .map_err(|e| Problem::from_service(&caller.tr, e))?;
        let Some(t) = t else { return Ok(TariffDoc { rates: vec![], offpeak: vec![], since: None }) };
        Ok(TariffDoc {
            rates: t
                .tariff
                .rates
                .iter()
                .map(|r| Rate {
                    prefix: r.prefix.clone(),
                    name: r.name.clone(),
                    setup_cents: r.setup,
                    peak_cents: r.peak,
                    offpeak_cents: r.offpeak,
                    first_secs: r.first_secs,
                    step_secs: r.step_secs,
                })
                .collect(),
            offpeak: t
                .tariff
                .offpeak
                .iter()
                .map(|b| Band {
                    days: (0..7).filter(|d| b.days & (1 << d) != 0).map(|d| DAYS[d].to_owned()).collect(),
                    from: clock(b.from),
                    to: clock(b.to),
                })
                .collect(),
            since: Some(t.since),
        })
    }

    fn change(self, caller: &Caller, _key: &str) -> Result<Self::Change, Problem> {
        let mut bands = Vec::with_capacity(self.offpeak.len());
        for (i, b) in self.offpeak.iter().enumerate() {
            let bad = || invalid(caller, "costs.bad_band_api", &format!("/offpeak/{i}"));
            let mut days = 0u8;
            for d in &b.days {
                days |= 1 << DAYS.iter().position(|x| x == d).ok_or_else(bad)?;
            }
            let (from, to) = (minutes(&b.from).ok_or_else(bad)?, minutes(&b.to).ok_or_else(bad)?);
            bands.push(tariff::Band { days, from, to });
        }
        let rates: Vec<tariff::Rate> = self
            .rates
            .into_iter()
            .map(|r| tariff::Rate {
                prefix: r.prefix,
                name: r.name,
                setup: r.setup_cents,
                peak: r.peak_cents,
                offpeak: r.offpeak_cents,
                first_secs: r.first_secs,
                step_secs: r.step_secs,
            })
            .collect();
        let check = tariff::Tariff { rates, offpeak: bands, ..Default::default() };
        if let Err(p) = check.check() {
            let at = match p {
                tariff::TariffProblem::Band(n) => format!("/offpeak/{}", n - 1),
                tariff::TariffProblem::TooManyBands => "/offpeak".to_owned(),
                tariff::TariffProblem::TooManyRates => "/rates".to_owned(),
                tariff::TariffProblem::Prefix(n)
                | tariff::TariffProblem::Duplicate(n)
                | tariff::TariffProblem::Name(n)
                | tariff::TariffProblem::Price(n)
                | tariff::TariffProblem::Block(n) => format!("/rates/{}", n - 1),
            };
            let detail = crate::http::error::message(caller.tr, &crate::services::Invalid::Tariff(p));
            return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail).at(at));
        }
        Ok((check.rates, check.offpeak))
    }

    async fn write(
        state: &HttpState,
        caller: &Caller,
        _key: &str,
        change: Self::Change,
    ) -> Result<(), Problem> {
        let (rates, bands) = change;
        let done = state.services.costs.set_tariff(&caller.actor, rates, bands).await;
        done.map(|_| ()).map_err(|e| Problem::from_service(&caller.tr, e))
    }
}

#[cfg_attr(feature = "openapi", utoipa::path(get, operation_id = "tariff_get", path = "/api/v1/tariff", tag = "costs",
    responses((status = 200, body = TariffDoc, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc)),
    security(("bearer" = ["costs:read"]))))]
pub async fn tariff_get(call: ApiCall) -> Response {
    read::<TariffDoc>(&call, "").await
}

#[cfg_attr(feature = "openapi", utoipa::path(put, operation_id = "tariff_put", path = "/api/v1/tariff", tag = "costs",
    params(("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    request_body(content = TariffDoc, description = "The whole tariff, in force for calls that start from now on"),
    responses((status = 200, body = TariffDoc, headers(("ETag" = String))), (status = 401, body = ProblemDoc), (status = 403, body = ProblemDoc), (status = 412, body = ProblemDoc), (status = 415, body = ProblemDoc), (status = 422, body = ProblemDoc)),
    security(("bearer" = ["costs:write"]))))]
pub async fn tariff_put(call: ApiCall) -> Response {
    replace::<TariffDoc>(&call, "", false).await
}
