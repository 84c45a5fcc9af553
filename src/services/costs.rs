//! Call costs (SPEC W7, Y6): the tariff, each extension's limit, credit and
//! top-up, the exchange programmed with what its calls may spend, and alerts
//! to the managers before and when a limit is reached.
//!
//! Records are priced in the intake's own transaction (`store::costs`); this
//! service follows the stored records on the bus to give the core the new
//! credit and to alert, and starts the new period of each account at local
//! midnight in the board's zone (the automatic top-ups).

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::bus::Live;
use super::mail::PostOffice;
use super::{Context, ServiceError};
use crate::domain::access::{allowed, Action, Actor, Area, Facet, Target};
use crate::domain::journal::{Change, Topic};
use crate::domain::tariff::{
    alerts_due, forecast, money, Alert, Band, Cents, CostAccount, Forecast, Rate, Tariff, TopUpMode,
};
use crate::hal::proto::{self, Command};
use crate::i18n::Tr;
use crate::shutdown::Shutdown;
pub use crate::store::costs::{AccountRow, AlertRow, StoredTariff};
use crate::store::Store;

/// Days of spending a forecast looks back on.
pub const FORECAST_DAYS: u32 = 7;
/// How often the periods are checked for their end.
pub const TICK: Duration = Duration::from_secs(30);
/// Alerts the pages list.
pub const ALERTS_SHOWN: u32 = 50;

/// An extension's costs as its pages show them.
#[derive(Debug, Clone)]
pub struct CostsView {
    pub account: CostAccount,
    /// When the period ends (the next top-up).
    pub period_end: i64,
    pub forecast: Forecast,
}

/// One row of the managers' and administrators' lists.
#[derive(Debug, Clone)]
pub struct CostsRow {
    pub row: AccountRow,
    pub period_end: i64,
    pub forecast: Forecast,
}

/// A change of an account, as an administrator (or a script) asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Configure { limit: Option<Cents>, top_up: Cents, mode: TopUpMode },
    TopUp(Cents),
    Reset,
}

#[derive(Clone)]
pub struct Costs {
    ctx: Context,
}

impl Costs {
    pub fn new(ctx: Context) -> Costs {
        Costs { ctx }
    }

    /// The currency amounts are in (ISO 4217).
    pub fn currency(&self) -> &str {
        &self.ctx.currency
    }

    fn zone(&self) -> jiff::tz::TimeZone {
        zone(&self.ctx.time_zone)
    }

    /// `ext`'s costs, as the actor may read them.
    #[tracing::instrument(name = "service", skip_all, fields(call = "costs.view", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn view(&self, actor: &Actor, ext: &str) -> Result<CostsView, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Costs).await?;
        self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)?;
        let now = self.ctx.clock.now();
        let account = self.current(ext).await?;
        self.with_forecast(account, now).await
    }

    /// `ext`'s account as it stands, without the forecast (the start page's
    /// line: the forecast sums a month of calls).
    #[tracing::instrument(name = "service", skip_all, fields(call = "costs.account", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn account(&self, actor: &Actor, ext: &str) -> Result<CostAccount, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Costs).await?;
        self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)?;
        self.current(ext).await
    }

    /// The account as it stands, in the current period.
    async fn current(&self, ext: &str) -> Result<CostAccount, ServiceError> {
        let now = self.ctx.clock.now();
        let zone = self.zone();
        let mut a = self
            .ctx
            .store
            .cost_account(ext)
            .await?
            .unwrap_or_else(|| CostAccount::new(ext, TopUpMode::None.period_start(now, &zone)));
        // A period that ended since the last tick is shown as the next one.
        a.roll(a.mode.period_start(now, &zone));
        Ok(a)
    }

    async fn with_forecast(&self, account: CostAccount, now: i64) -> Result<CostsView, ServiceError> {
        let (_, period_end) = account.mode.period(now, &self.zone());
        let since = now - i64::from(FORECAST_DAYS) * 86_400;
        let recent = self.ctx.store.spent_since(&account.extension, since).await?;
        let forecast = forecast(&account, recent, FORECAST_DAYS, now, period_end);
        Ok(CostsView { account, period_end, forecast })
    }

    /// Every account the actor may read (a manager's departments and the
    /// pool; every one for an administrator), with forecasts.
    #[tracing::instrument(name = "service", skip_all, fields(call = "costs.list", actor = %actor.label(), via = actor.via.code()))]
    pub async fn list(&self, actor: &Actor) -> Result<Vec<CostsRow>, ServiceError> {
        // A list of people's costs is a manager's (his team) or an
        // administrator's; a script reads it with the costs' scope.
        let whole = match actor.who {
            crate::domain::access::Who::ApiToken { .. } => Target::Administration(Area::Costs),
            _ => Target::Team,
        };
        self.ctx.may_do(actor, Action::Read, whole)?;
        let now = self.ctx.clock.now();
        let zone = self.zone();
        let rows = self.ctx.store.cost_accounts(TopUpMode::None.period_start(now, &zone)).await?;
        let since = now - i64::from(FORECAST_DAYS) * 86_400;
        let recent = self.ctx.store.spent_by_extension_since(since).await?;
        let mut out = Vec::new();
        for mut row in rows {
            let target = Target::Extension {
                number: &row.account.extension,
                department: row.department,
                facet: Facet::Costs,
            };
            if allowed(actor, Action::Read, target).is_err() {
                continue;
            }
            row.account.roll(row.account.mode.period_start(now, &zone));
            let (_, end) = row.account.mode.period(now, &zone);
            let spent = recent.get(&row.account.extension).copied().unwrap_or(0);
            let forecast = forecast(&row.account, spent, FORECAST_DAYS, now, end);
            out.push(CostsRow { row, period_end: end, forecast });
        }
        Ok(out)
    }

    /// As [`Costs::list`], with the alerts about those extensions, newest first.
    pub async fn list_with_alerts(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<CostsRow>, Vec<AlertRow>), ServiceError> {
        let rows = self.list(actor).await?;
        let exts: Vec<String> = rows.iter().map(|r| r.row.account.extension.clone()).collect();
        let alerts = self.ctx.store.cost_alerts(Some(exts), ALERTS_SHOWN).await?;
        Ok((rows, alerts))
    }

    /// Changes `ext`'s account (administrators and provisioning only); the
    /// exchange is given the new credit before this returns, and the journal
    /// says who did it.
    #[tracing::instrument(name = "service", skip_all, fields(call = "costs.change", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn change(
        &self,
        actor: &Actor,
        ext: &str,
        change: AccountChange,
    ) -> Result<CostAccount, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Costs).await?;
        let now = self.ctx.clock.now();
        let zone = self.zone();
        // Checked before anything is written.
        let mut probe = self.current(ext).await?;
        apply(&mut probe, change)?;
        let starts: Vec<(TopUpMode, i64)> =
            TopUpMode::ALL.iter().map(|m| (*m, m.period_start(now, &zone))).collect();
        let account = self
            .ctx
            .store
            .change_cost_account(
                ext,
                TopUpMode::None.period_start(now, &zone),
                Context::changes(actor, vec![]),
                now,
                move |a| {
                    let before = a.clone();
                    let start = starts.iter().find(|(m, _)| *m == a.mode).map_or(0, |(_, s)| *s);
                    a.roll(start);
                    let _ = apply(a, change);
                    let start = starts.iter().find(|(m, _)| *m == a.mode).map_or(0, |(_, s)| *s);
                    if a.period_start < start {
                        a.period_start = start;
                    }
                    journal(&before, a, change)
                },
            )
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.program(ext).await;
        Ok(account)
    }

    /// The tariff in force now (`None` before one is made).
    pub async fn tariff(&self, actor: &Actor) -> Result<Option<StoredTariff>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Costs))?;
        Ok(self.ctx.store.newest_tariff().await?)
    }

    /// A new tariff for calls that start from now on; the exchange meters by
    /// it before this returns. The board's dialling plan (outside prefix,
    /// emergency numbers) and zone go with it.
    #[tracing::instrument(name = "service", skip_all, fields(call = "costs.set_tariff", actor = %actor.label(), via = actor.via.code()))]
    pub async fn set_tariff(
        &self,
        actor: &Actor,
        rates: Vec<Rate>,
        offpeak: Vec<Band>,
    ) -> Result<i64, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Costs))?;
        let mut rates = rates;
        for r in &mut rates {
            r.name = r.name.trim().to_owned();
        }
        let tariff = Tariff {
            rates,
            offpeak,
            outside_prefix: self.ctx.outside_prefix.clone(),
            emergency: self.ctx.emergency.clone(),
        };
        tariff.check()?;
        let id = self
            .ctx
            .store
            .save_tariff(tariff.clone(), self.ctx.time_zone.clone(), self.ctx.clock.now())
            .await?;
        tracing::info!(actor = %actor.label(), rates = tariff.rates.len(), version = id, "tariff changed");
        self.send(Command::Tariff { tariff: Box::new(proto::Tariff::new(&tariff, &self.ctx.time_zone)) })
            .await;
        Ok(id)
    }

    /// Makes the stored tariff follow the board's dialling plan and zone,
    /// when the board file changed them (a new version, same rates).
    pub async fn follow_board(&self) -> Result<(), ServiceError> {
        let Some(t) = self.ctx.store.newest_tariff().await? else { return Ok(()) };
        if t.zone == self.ctx.time_zone
            && t.tariff.outside_prefix == self.ctx.outside_prefix
            && t.tariff.emergency == self.ctx.emergency
        {
            return Ok(());
        }
        let tariff = Tariff {
            outside_prefix: self.ctx.outside_prefix.clone(),
            emergency: self.ctx.emergency.clone(),
            ..t.tariff
        };
        self.ctx.store.save_tariff(tariff, self.ctx.time_zone.clone(), self.ctx.clock.now()).await?;
        tracing::info!("the tariff follows the board's new dialling plan or zone");
        Ok(())
    }

    /// Gives the core `ext`'s credit as the store has it now, and says on
    /// the bus that its costs changed.
    pub async fn program(&self, ext: &str) {
        match self.ctx.store.credit_of(ext).await {
            Ok((credit, as_of)) => self.send(Command::Credit { ext: ext.to_owned(), credit, as_of }).await,
            Err(e) => tracing::error!(extension = %ext, error = %e, "credit not read for the exchange"),
        }
        self.ctx.bus.publish(Live::Costs { ext: ext.to_owned() });
    }

    async fn send(&self, command: Command) {
        if let Err(e) = self.ctx.core.command(command).await {
            // The next session start programs it from the store.
            tracing::warn!(error = %e, "the exchange was not given the costs' change now");
        }
    }

    /// Starts the new period of every account whose period ended: the
    /// automatic top-ups; the core is given each new credit.
    pub async fn roll_periods(&self) -> Result<usize, ServiceError> {
        let now = self.ctx.clock.now();
        let zone = self.zone();
        let starts = TopUpMode::ALL.iter().map(|m| (*m, m.period_start(now, &zone))).collect();
        let rolled = self.ctx.store.roll_cost_periods(starts).await?;
        for a in &rolled {
            if a.limit.is_some() {
                tracing::info!(extension = %a.extension, credit = a.credit, mode = a.mode.code(), "topped up");
                let changes = vec![Change {
                    topic: Topic::Costs,
                    field: "top_up",
                    old: String::new(),
                    new: money(a.credit),
                }];
                self.ctx
                    .store
                    .record_changes(&a.extension, Context::changes(&Actor::system(), changes), now)
                    .await?;
                self.program(&a.extension).await;
            }
        }
        Ok(rolled.len())
    }

    /// After a priced record of `ext`'s: the core's credit, and the alerts due.
    pub async fn charged(&self, ext: &str, post: &PostOffice) -> Result<(), ServiceError> {
        let Some(account) = self.ctx.store.cost_account(ext).await? else { return Ok(()) };
        if account.limit.is_none() {
            self.ctx.bus.publish(Live::Costs { ext: ext.to_owned() });
            return Ok(());
        }
        self.program(ext).await;
        let now = self.ctx.clock.now();
        let view = self.with_forecast(account, now).await?;
        let (due, marks) = alerts_due(&view.account, &self.ctx.cost_thresholds, Some(view.forecast));
        if due.is_empty() {
            return Ok(());
        }
        let rows: Vec<(String, i64)> = due
            .iter()
            .map(|a| match a {
                Alert::Threshold(p) => ("threshold".to_owned(), i64::from(*p)),
                Alert::RunsOut(at) => ("forecast".to_owned(), *at),
            })
            .collect();
        self.ctx.store.record_cost_alerts(ext, rows, marks, now).await?;
        self.mail_alerts(ext, &view, &due, post).await
    }

    /// Mails each alert to the extension's managers (those of its department;
    /// the administrators for an extension of none).
    async fn mail_alerts(
        &self,
        ext: &str,
        view: &CostsView,
        due: &[Alert],
        post: &PostOffice,
    ) -> Result<(), ServiceError> {
        let recipients = self.ctx.store.cost_alert_recipients(ext).await?;
        if recipients.is_empty() {
            tracing::warn!(extension = %ext, "a cost alert is due, but nobody to mail it to has an address");
            return Ok(());
        }
        let Some(mailer) = post.mailer() else {
            tracing::warn!(extension = %ext, "a cost alert is due, but no mail server is set");
            return Ok(());
        };
        for (email, language) in recipients {
            let t = Tr::new(&language);
            for alert in due {
                let (subject, body) = alert_mail(t, ext, view, *alert, &self.ctx.currency);
                match mailer.send(&email, &subject, &body).await {
                    Ok(()) => tracing::info!(extension = %ext, "cost alert sent"),
                    Err(e) => tracing::warn!(extension = %ext, error = %e, "cost alert not sent"),
                }
            }
        }
        Ok(())
    }
}

/// The mail about one alert, in `t`'s language: (subject, body).
pub fn alert_mail(t: Tr, ext: &str, view: &CostsView, alert: Alert, currency: &str) -> (String, String) {
    let a = &view.account;
    let money = |c: Cents| format!("{} {currency}", money(c));
    let limit = a.limit.map(money).unwrap_or_default();
    let (subject, line) = match alert {
        Alert::Threshold(p) => (
            t.fill("costs.mail_threshold_subject", &[("ext", ext), ("percent", &p.to_string())]),
            t.fill("costs.mail_threshold_body", &[("percent", &p.to_string()), ("ext", ext)]),
        ),
        Alert::RunsOut(at) => (
            t.fill("costs.mail_forecast_subject", &[("ext", ext)]),
            t.fill("costs.mail_forecast_body", &[("ext", ext), ("date", &crate::domain::time::short(at))]),
        ),
    };
    let figures = t.fill(
        "costs.mail_figures",
        &[
            ("spent", &money(a.spent)),
            ("credit", &money(a.credit)),
            ("limit", &limit),
            ("per_day", &money(view.forecast.per_day)),
        ],
    );
    (subject, format!("{line}\r\n\r\n{figures}\r\n"))
}

/// Applies one change; refuses what the rules refuse.
fn apply(a: &mut CostAccount, change: AccountChange) -> Result<(), crate::domain::tariff::AccountProblem> {
    match change {
        AccountChange::Configure { limit, top_up, mode } => a.configure(limit, top_up, mode),
        AccountChange::TopUp(amount) => a.top_up_by(amount),
        AccountChange::Reset => {
            a.reset();
            Ok(())
        }
    }
}

/// The journal's entries for a change of an account.
fn journal(before: &CostAccount, after: &CostAccount, change: AccountChange) -> Vec<Change> {
    let c = |field, old: String, new: String| Change { topic: Topic::Costs, field, old, new };
    let opt = |v: Option<Cents>| v.map(money).unwrap_or_default();
    let mut out = Vec::new();
    match change {
        AccountChange::Configure { .. } => {
            if before.limit != after.limit {
                out.push(c("limit", opt(before.limit), opt(after.limit)));
            }
            if before.top_up != after.top_up {
                out.push(c("top_up_amount", money(before.top_up), money(after.top_up)));
            }
            if before.mode != after.mode {
                out.push(c("top_up_mode", before.mode.code().to_owned(), after.mode.code().to_owned()));
            }
        }
        AccountChange::TopUp(amount) => out.push(c(
            "top_up",
            money(before.credit),
            format!("{} (+{})", money(after.credit), money(amount)),
        )),
        AccountChange::Reset => out.push(c("reset", money(before.spent), money(after.spent))),
    }
    out
}

fn zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// What the core is given about costs at every session start: the tariff and
/// each limited extension's credit (and no limit for those that had one).
pub async fn programming(store: &Store) -> Vec<Command> {
    let mut out = Vec::new();
    match store.newest_tariff().await {
        Ok(Some(t)) => out.push(Command::Tariff { tariff: Box::new(proto::Tariff::new(&t.tariff, &t.zone)) }),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "cannot read the tariff to program the core"),
    }
    match store.credit_commands().await {
        Ok((list, as_of)) => {
            out.extend(list.into_iter().map(|(ext, credit)| Command::Credit { ext, credit, as_of }));
        }
        Err(e) => tracing::error!(error = %e, "cannot read the credits to program the core"),
    }
    out
}

/// Runs until the stop: follows the stored records (a priced one gives the
/// core its extension's new credit and may alert), and starts new periods.
pub async fn run(costs: Costs, mut shutdown: Shutdown) {
    let (bus, post) = (costs.ctx.bus.clone(), costs.ctx.post.clone());
    if let Err(e) = costs.follow_board().await {
        tracing::error!(error = %e, "the tariff could not follow the board's dialling plan");
    }
    let mut events = bus.subscribe();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            e = events.recv() => match e {
                Ok(p) => {
                    if let Live::CallRecord { cdr } = &p.live {
                        if cdr.direction == crate::domain::cdr::Direction::Outgoing && cdr.external && cdr.talk_secs > 0 {
                            if let Err(e) = costs.charged(&cdr.extension, &post).await {
                                tracing::error!(extension = %cdr.extension, error = %e, "costs not followed up");
                            }
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    // The core keeps counting by itself; the next session start
                    // or record gives it the stored credit again.
                    tracing::warn!(dropped = n, "costs fell behind the call records");
                }
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                if let Err(e) = costs.roll_periods().await {
                    tracing::error!(error = %e, "the periods' top-ups were not made");
                }
            }
            _ = shutdown.wait() => return,
        }
    }
}
