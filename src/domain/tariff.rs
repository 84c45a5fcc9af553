//! What calls cost (SPEC W7, Y6): the tariff (rates by the longest prefix of
//! the number dialled, a setup charge, a price per minute at peak and off-peak
//! times, billing in a first block and then steps), what a call costs by it,
//! and the meter a core runs during a call so that an extension's calls never
//! spend more than its credit. The service prices every call record by these
//! rules and the simulator meters every call by them, so the two never
//! disagree. Money is in integer minor units (cents) of the board's currency.
//!
//! Local times (the off-peak bands) are judged in the board's time zone, which
//! the caller resolves: nothing here reads the zone database.

use jiff::tz::TimeZone;

/// Minor units of the board's currency.
pub type Cents = i64;

/// The most rates one tariff has: the core is programmed with all of them in
/// one frame.
pub const MAX_RATES: usize = 400;
/// The most off-peak bands one tariff has.
pub const MAX_BANDS: usize = 14;
/// The most emergency numbers the dialling plan names.
pub const MAX_EMERGENCY: usize = 8;
/// The highest price a rate may have per minute or to set up (10,000.00).
pub const MAX_PRICE: Cents = 1_000_000;
/// The longest billing block (an hour).
pub const MAX_BLOCK_SECS: u32 = 3600;
/// The longest prefix, in digits.
pub const MAX_PREFIX: usize = 16;
/// The longest name of a rate.
pub const MAX_NAME: usize = 60;

/// One destination's price: for numbers starting with `prefix` (as sent to the
/// network: [`network_number`]); the empty prefix is every other number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub prefix: String,
    pub name: String,
    /// Charged once when the call is answered.
    pub setup: Cents,
    /// Per minute at peak times.
    pub peak: Cents,
    /// Per minute in the off-peak bands.
    pub offpeak: Cents,
    /// The first block billed, in seconds (60/60: a started minute is a minute).
    pub first_secs: u32,
    /// Every block after the first.
    pub step_secs: u32,
}

/// An off-peak time: from `from` to `to` (minutes after local midnight) on the
/// days of `days` (bit 0 Monday ... bit 6 Sunday). A band whose `to` is not
/// after its `from` runs past midnight into the next day; `from == to` is the
/// whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub days: u8,
    pub from: u16,
    pub to: u16,
}

/// The weekdays, Monday to Friday.
pub const WORKDAYS: u8 = 0b001_1111;
/// Saturday and Sunday.
pub const WEEKEND: u8 = 0b110_0000;

/// The exchange's tariff, with what of its dialling plan pricing needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tariff {
    pub rates: Vec<Rate>,
    pub offpeak: Vec<Band>,
    /// What a number dialled outside the exchange starts with (besides `+`).
    pub outside_prefix: String,
    /// Numbers never refused and never charged (`112`), dialled with or without
    /// the outside prefix.
    pub emergency: Vec<String>,
}

/// Where a number goes, for pricing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination<'a> {
    /// Inside the exchange: free, and never refused for credit.
    Internal,
    /// An emergency number: free, and never refused.
    Emergency,
    /// Outside, at this rate.
    Rated(&'a Rate),
    /// Outside, and no rate covers it: free (a tariff should end with the
    /// empty prefix for every other number).
    Unrated,
}

/// Why a tariff is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffProblem {
    #[error("rate {0}: the prefix must be digits (at most 16), or empty for every other number")]
    Prefix(usize),
    #[error("rate {0}: the prefix is there twice")]
    Duplicate(usize),
    #[error("rate {0}: a name is needed (at most 60 characters)")]
    Name(usize),
    #[error("rate {0}: prices must be between 0 and 10000.00")]
    Price(usize),
    #[error("rate {0}: billing blocks must be between 1 and 3600 seconds")]
    Block(usize),
    #[error("at most 400 rates")]
    TooManyRates,
    #[error("off-peak band {0}: the days must be named and the times between 00:00 and 24:00")]
    Band(usize),
    #[error("at most 14 off-peak bands")]
    TooManyBands,
}

impl Tariff {
    /// Checks every rate and band; the first problem found.
    pub fn check(&self) -> Result<(), TariffProblem> {
        if self.rates.len() > MAX_RATES {
            return Err(TariffProblem::TooManyRates);
        }
        if self.offpeak.len() > MAX_BANDS {
            return Err(TariffProblem::TooManyBands);
        }
        for (i, r) in self.rates.iter().enumerate() {
            let n = i + 1;
            if r.prefix.len() > MAX_PREFIX || !r.prefix.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TariffProblem::Prefix(n));
            }
            if self.rates[..i].iter().any(|o| o.prefix == r.prefix) {
                return Err(TariffProblem::Duplicate(n));
            }
            if r.name.trim().is_empty()
                || r.name.chars().count() > MAX_NAME
                || r.name.chars().any(char::is_control)
            {
                return Err(TariffProblem::Name(n));
            }
            if [r.setup, r.peak, r.offpeak].iter().any(|p| !(0..=MAX_PRICE).contains(p)) {
                return Err(TariffProblem::Price(n));
            }
            if [r.first_secs, r.step_secs].iter().any(|s| !(1..=MAX_BLOCK_SECS).contains(s)) {
                return Err(TariffProblem::Block(n));
            }
        }
        for (i, b) in self.offpeak.iter().enumerate() {
            if b.days == 0 || b.days > 0x7f || b.from > 1440 || b.to > 1440 {
                return Err(TariffProblem::Band(i + 1));
            }
        }
        Ok(())
    }

    /// Where `number` (as the subscriber dialled it) goes.
    pub fn destination(&self, number: &str) -> Destination<'_> {
        if self.is_emergency(number) {
            return Destination::Emergency;
        }
        if !super::number::is_outside(number, &self.outside_prefix) {
            return Destination::Internal;
        }
        let n = network_number(number, &self.outside_prefix);
        self.rates
            .iter()
            .filter(|r| n.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())
            .map_or(Destination::Unrated, Destination::Rated)
    }

    /// Whether `number` is one of the emergency numbers, with or without the
    /// outside prefix.
    pub fn is_emergency(&self, number: &str) -> bool {
        let bare = match self.outside_prefix.as_str() {
            "" => number,
            p => number.strip_prefix(p).unwrap_or(number),
        };
        self.emergency.iter().any(|e| e == number || e == bare)
    }

    /// Whether a call started at `at` is in an off-peak band, by local time in `tz`.
    pub fn is_offpeak(&self, at: i64, tz: &TimeZone) -> bool {
        let Ok(t) = jiff::Timestamp::from_second(at) else { return false };
        let local = t.to_zoned(tz.clone());
        let day = local.weekday().to_monday_zero_offset() as u8;
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        let yesterday = (day + 6) % 7;
        self.offpeak.iter().any(|b| {
            let on = |d: u8| b.days & (1 << d) != 0;
            match b.from.cmp(&b.to) {
                std::cmp::Ordering::Less => on(day) && (b.from..b.to).contains(&minute),
                std::cmp::Ordering::Equal => on(day),
                std::cmp::Ordering::Greater => {
                    (on(day) && minute >= b.from) || (on(yesterday) && minute < b.to)
                }
            }
        })
    }

    /// The meter for a call to `number` started at `at`: `None` when the call is
    /// free (internal, emergency, unrated).
    pub fn meter(&self, number: &str, at: i64, tz: &TimeZone) -> Option<Meter> {
        match self.destination(number) {
            Destination::Rated(rate) => {
                let per_minute = if self.is_offpeak(at, tz) { rate.offpeak } else { rate.peak };
                Some(Meter {
                    setup: rate.setup,
                    per_minute,
                    first_secs: rate.first_secs.max(1),
                    step_secs: rate.step_secs.max(1),
                })
            }
            _ => None,
        }
    }

    /// What a call to `number`, started at `at` and talked for `talk_secs`, costs.
    pub fn cost(&self, number: &str, at: i64, talk_secs: u32, tz: &TimeZone) -> Cents {
        self.meter(number, at, tz).map_or(0, |m| m.cost(talk_secs))
    }
}

/// A number as it goes to the network: the outside prefix taken off, and a
/// leading `+` written as the international prefix `00`.
pub fn network_number(number: &str, outside_prefix: &str) -> String {
    if let Some(rest) = number.strip_prefix('+') {
        return format!("00{rest}");
    }
    match outside_prefix {
        "" => number.to_owned(),
        p => number.strip_prefix(p).unwrap_or(number).to_owned(),
    }
}

/// The price of one call as it goes on: what it costs after so many seconds of
/// talk. The charge rises at the start of each block (a block begun is paid),
/// so a core that may not let a call cost more than the credit clears it at
/// the end of a block ([`Meter::next_block_end`]) when the next one is not
/// covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meter {
    pub setup: Cents,
    pub per_minute: Cents,
    pub first_secs: u32,
    pub step_secs: u32,
}

impl Meter {
    /// Seconds billed for `talk_secs` of talk: nothing for an unanswered call,
    /// the first block for a short one, then whole steps.
    pub fn billed_secs(&self, talk_secs: u32) -> u32 {
        match talk_secs {
            0 => 0,
            t if t <= self.first_secs => self.first_secs,
            t => {
                let steps = (t - self.first_secs).div_ceil(self.step_secs);
                self.first_secs.saturating_add(steps.saturating_mul(self.step_secs))
            }
        }
    }

    /// The cost of `talk_secs` of talk: the setup charge and the billed seconds
    /// at the price per minute, a part of a cent rounded up.
    pub fn cost(&self, talk_secs: u32) -> Cents {
        match self.billed_secs(talk_secs) {
            0 => 0,
            billed => self.setup + (self.per_minute * i64::from(billed) + 59) / 60,
        }
    }

    /// What starting the call takes: its cost once answered.
    pub fn first_charge(&self) -> Cents {
        self.cost(1)
    }

    /// The end of the block being talked in after `talk_secs` (the first block
    /// ends at `first_secs`); at that second the charge rises again.
    pub fn next_block_end(&self, talk_secs: u32) -> u32 {
        self.billed_secs(talk_secs.max(1))
    }
}

/// When a limited extension's credit is topped up (SPEC W7): at local midnight
/// every day, every Monday, or on the first of every month; or never by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopUpMode {
    #[default]
    None,
    Daily,
    Weekly,
    Monthly,
}

super::codes::codes!(TopUpMode {
    None => "none",
    Daily => "daily",
    Weekly => "weekly",
    Monthly => "monthly",
});

impl TopUpMode {
    /// When the period `at` falls in began, as Unix seconds: local midnight of
    /// its day, of its week's Monday, or of its month's first (a month for
    /// `None`, whose spending is counted by the month).
    pub fn period_start(self, at: i64, tz: &TimeZone) -> i64 {
        self.period(at, tz).0
    }

    /// The period `at` falls in: its start and the start of the next.
    pub fn period(self, at: i64, tz: &TimeZone) -> (i64, i64) {
        use jiff::ToSpan;
        let Ok(t) = jiff::Timestamp::from_second(at) else { return (at, at + 86_400) };
        let date = t.to_zoned(tz.clone()).date();
        let (first, next) = match self {
            TopUpMode::Daily => (Ok(date), date.checked_add(1.day())),
            TopUpMode::Weekly => {
                let monday = date.checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days());
                let next = monday.clone().and_then(|m| m.checked_add(1.week()));
                (monday, next)
            }
            TopUpMode::None | TopUpMode::Monthly => {
                let first = date.first_of_month();
                (Ok(first), first.checked_add(1.month()))
            }
        };
        let midnight = |d: Result<jiff::civil::Date, jiff::Error>| {
            d.and_then(|d| d.to_zoned(tz.clone())).map(|z| z.timestamp().as_second())
        };
        match (midnight(first), midnight(next)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => (at, at + 86_400),
        }
    }
}

/// One extension's costs (SPEC W7): what it spent in the period, and, when it
/// is limited, the credit left. `limit` is the most credit it holds: the
/// automatic top-up fills it up to that, never beyond.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostAccount {
    pub extension: String,
    /// Spent since the period began.
    pub spent: Cents,
    /// `None`: calls are not limited.
    pub limit: Option<Cents>,
    /// What is left to spend (limited extensions); below zero by at most a
    /// block when calls ended at once.
    pub credit: Cents,
    pub top_up: Cents,
    pub mode: TopUpMode,
    /// When the period began (Unix seconds).
    pub period_start: i64,
    /// Alerts already sent this period ([`Alert::bit`]).
    pub alerts: u32,
}

/// Why an account's settings are not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountProblem {
    #[error("a limit must be between 0 and 10,000,000.00")]
    Limit,
    #[error("a top-up must be between 0 and the limit")]
    TopUp,
    #[error("an amount must be more than 0 and at most 10,000,000.00")]
    Amount,
}

/// The highest limit (10,000,000.00).
pub const MAX_LIMIT: Cents = 1_000_000_000;

impl CostAccount {
    /// A new account for `extension`, in the period `period_start` began.
    pub fn new(extension: &str, period_start: i64) -> CostAccount {
        CostAccount { extension: extension.to_owned(), period_start, ..CostAccount::default() }
    }

    /// The credit the core may let calls spend: `None` when not limited.
    pub fn available(&self) -> Option<Cents> {
        self.limit.map(|_| self.credit)
    }

    /// A call's cost is booked.
    pub fn charge(&mut self, cost: Cents) {
        self.spent += cost;
        if self.limit.is_some() {
            self.credit -= cost;
        }
    }

    /// New settings. The credit moves with the limit: what was used stays used.
    pub fn configure(
        &mut self,
        limit: Option<Cents>,
        top_up: Cents,
        mode: TopUpMode,
    ) -> Result<(), AccountProblem> {
        if limit.is_some_and(|l| !(0..=MAX_LIMIT).contains(&l)) {
            return Err(AccountProblem::Limit);
        }
        if top_up < 0 || top_up > limit.unwrap_or(MAX_LIMIT) {
            return Err(AccountProblem::TopUp);
        }
        self.credit = match (self.limit, limit) {
            (Some(old), Some(new)) => self.credit + (new - old),
            (None, Some(new)) => new - self.spent,
            (_, None) => 0,
        };
        self.limit = limit;
        self.top_up = top_up;
        self.mode = mode;
        Ok(())
    }

    /// An administrator's top-up by `amount` (beyond the limit if he says so).
    pub fn top_up_by(&mut self, amount: Cents) -> Result<(), AccountProblem> {
        if !(1..=MAX_LIMIT).contains(&amount) {
            return Err(AccountProblem::Amount);
        }
        self.credit = (self.credit + amount).min(MAX_LIMIT);
        Ok(())
    }

    /// An administrator's reset: nothing spent, the full limit to spend, the
    /// alerts armed again.
    pub fn reset(&mut self) {
        self.spent = 0;
        self.credit = self.limit.unwrap_or(0);
        self.alerts = 0;
    }

    /// Brings the account into the period `period_start` begins, if it is a
    /// later one: the spending starts from nothing, the alerts are armed again,
    /// and the automatic top-up (its mode's) fills the credit up to the limit.
    /// Whether it changed.
    pub fn roll(&mut self, period_start: i64) -> bool {
        if period_start <= self.period_start {
            return false;
        }
        self.period_start = period_start;
        self.spent = 0;
        self.alerts = 0;
        if let (Some(limit), false) = (self.limit, self.mode == TopUpMode::None) {
            self.credit = (self.credit + self.top_up).min(limit.max(self.credit));
        }
        true
    }

    /// The share of the period's credit used, in per cent (limited accounts):
    /// what was spent of what was spent plus what is left.
    pub fn used_percent(&self) -> Option<u32> {
        let _ = self.limit?;
        let whole = self.spent + self.credit.max(0);
        if whole <= 0 {
            return Some(if self.spent > 0 || self.credit <= 0 { 100 } else { 0 });
        }
        Some(((self.spent.max(0) * 100) / whole).clamp(0, 100) as u32)
    }
}

/// What recent spending says about the rest of the period (SPEC Y6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forecast {
    /// Spent per day, on average over the days looked at.
    pub per_day: Cents,
    /// What the period will have cost at its end at that pace.
    pub at_period_end: Cents,
    /// When the credit runs out at that pace, if before the period ends.
    pub runs_out_at: Option<i64>,
}

/// The forecast from `recent` spent over the last `days` days, for an account
/// at `now` whose period ends at `period_end`.
pub fn forecast(account: &CostAccount, recent: Cents, days: u32, now: i64, period_end: i64) -> Forecast {
    let per_day = if days == 0 { 0 } else { recent.max(0) / i64::from(days) };
    let left_secs = (period_end - now).max(0);
    let ahead = per_day * left_secs / 86_400;
    let runs_out_at = match account.available() {
        Some(credit) if per_day > 0 && ahead > credit => Some(now + credit.max(0) * 86_400 / per_day),
        _ => None,
    };
    Forecast { per_day, at_period_end: account.spent + ahead, runs_out_at }
}

/// An alert to the extension's managers (SPEC Y6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// Spending passed this share of the credit, in per cent.
    Threshold(u32),
    /// At the recent pace, the credit runs out at this time, before the period ends.
    RunsOut(i64),
}

impl Alert {
    /// Its mark in [`CostAccount::alerts`]: one per threshold (by its place in
    /// the list) and one for the forecast.
    fn bit(self, thresholds: &[u32]) -> u32 {
        match self {
            Alert::Threshold(p) => 1 << thresholds.iter().position(|t| *t == p).unwrap_or(0).min(30),
            Alert::RunsOut(_) => 1 << 31,
        }
    }
}

/// The alerts due and not yet sent this period, and the marks to store once
/// they are. Each threshold is alerted once a period (the highest passed, when
/// several are passed at once); the forecast once.
pub fn alerts_due(
    account: &CostAccount,
    thresholds: &[u32],
    forecast: Option<Forecast>,
) -> (Vec<Alert>, u32) {
    let mut due = Vec::new();
    let mut marks = account.alerts;
    let Some(used) = account.used_percent() else { return (due, marks) };
    let passed: Vec<u32> = thresholds.iter().copied().filter(|t| used >= *t).collect();
    let fresh = passed.iter().any(|t| marks & Alert::Threshold(*t).bit(thresholds) == 0);
    for t in &passed {
        marks |= Alert::Threshold(*t).bit(thresholds);
    }
    if let (true, Some(highest)) = (fresh, passed.iter().max()) {
        due.push(Alert::Threshold(*highest));
    }
    if let Some(at) = forecast.and_then(|f| f.runs_out_at) {
        let bit = Alert::RunsOut(at).bit(thresholds);
        if marks & bit == 0 && used < 100 {
            marks |= bit;
            due.push(Alert::RunsOut(at));
        }
    }
    (due, marks)
}

/// Money as people read it: `12.34`, `-0.05`.
pub fn money(cents: Cents) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Money as people type it: `12`, `12.3`, `12.34`, `12,34`; at most two decimals.
pub fn parse_money(s: &str) -> Option<Cents> {
    let s = s.trim().replace(',', ".");
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty()
        || whole.len() > 10
        || frac.len() > 2
        || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    let v = w * 100 + f;
    Some(if neg { -v } else { v })
}

/// Why a tariff written as text is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    /// A line of rates that is not `prefix; name; setup; peak; off-peak; first; step`.
    #[error(
        "line {0}: expected prefix; name; setup; peak per minute; off-peak per minute; first block; step"
    )]
    Line(usize),
    /// An off-peak line that is not `Mon-Fri 22:00-06:00` or `Sat-Sun`.
    #[error("off-peak line {0}: expected days and, optionally, times such as Mon-Fri 22:00-06:00")]
    Band(usize),
}

/// The rates as a file of one line each: `prefix;name;setup;peak;off-peak;first;step`,
/// prices in the currency's units (`0.12`), a header line first. What
/// [`parse_rates`] reads back, and what the tariff page shows to edit.
pub fn rates_text(rates: &[Rate]) -> String {
    let mut out = String::from("prefix;name;setup;peak;offpeak;first_secs;step_secs\n");
    for r in rates {
        out.push_str(&format!(
            "{};{};{};{};{};{};{}\n",
            r.prefix,
            r.name.replace(';', ","),
            money(r.setup),
            money(r.peak),
            money(r.offpeak),
            r.first_secs,
            r.step_secs
        ));
    }
    out
}

/// Rates from text as [`rates_text`] writes it, or as a spreadsheet saves it:
/// `;`, tab or `,` between fields (`,` only when no field has a decimal
/// comma), a header line (a first line whose third field is not a price)
/// passed over, blank lines too. The numbers are checked by [`Tariff::check`].
pub fn parse_rates(text: &str) -> Result<Vec<Rate>, TextProblem> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rates = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let sep = [';', '\t'].into_iter().find(|c| line.contains(*c)).unwrap_or(',');
        let f: Vec<&str> = line.split(sep).map(|f| f.trim().trim_matches('"').trim()).collect();
        if i == 0 && f.get(2).is_none_or(|p| parse_money(p).is_none()) {
            continue;
        }
        let bad = TextProblem::Line(i + 1);
        let [prefix, name, setup, peak, offpeak, first, step] = f.as_slice() else { return Err(bad) };
        let price = |s: &str| parse_money(s).ok_or(bad);
        let secs = |s: &str| s.parse::<u32>().map_err(|_| bad);
        rates.push(Rate {
            prefix: (*prefix).to_owned(),
            name: (*name).to_owned(),
            setup: price(setup)?,
            peak: price(peak)?,
            offpeak: price(offpeak)?,
            first_secs: secs(first)?,
            step_secs: secs(step)?,
        });
    }
    Ok(rates)
}

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `22:00` as minutes after midnight; `24:00` is the day's end.
fn parse_clock(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

fn day(s: &str) -> Option<u8> {
    DAY_NAMES.iter().position(|d| d.eq_ignore_ascii_case(s)).map(|p| p as u8)
}

/// The off-peak bands as lines: `Mon-Fri 22:00-06:00`, `Sat,Sun`.
pub fn bands_text(bands: &[Band]) -> String {
    let mut out = String::new();
    for b in bands {
        let days: Vec<&str> = (0..7).filter(|d| b.days & (1 << d) != 0).map(|d| DAY_NAMES[d]).collect();
        let days = match (days.len(), b.days) {
            (_, WORKDAYS) => "Mon-Fri".to_owned(),
            (_, WEEKEND) => "Sat-Sun".to_owned(),
            (7, _) => "Mon-Sun".to_owned(),
            _ => days.join(","),
        };
        if b.from == b.to {
            out.push_str(&format!("{days}\n"));
        } else {
            out.push_str(&format!(
                "{days} {:02}:{:02}-{:02}:{:02}\n",
                b.from / 60,
                b.from % 60,
                b.to / 60,
                b.to % 60
            ));
        }
    }
    out
}

/// Bands from lines as [`bands_text`] writes them: days as `Mon-Fri` (a
/// range) or `Sat,Sun` (a list), then optionally the times; without times the
/// whole day.
pub fn parse_bands(text: &str) -> Result<Vec<Band>, TextProblem> {
    let mut bands = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = TextProblem::Band(i + 1);
        let mut parts = line.split_whitespace();
        let days_part = parts.next().ok_or(bad)?;
        let mut days = 0u8;
        for piece in days_part.split(',') {
            match piece.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a).ok_or(bad)?, day(b).ok_or(bad)?);
                    let mut d = a;
                    loop {
                        days |= 1 << d;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => days |= 1 << day(piece).ok_or(bad)?,
            }
        }
        let (from, to) = match parts.next() {
            None => (0, 0),
            Some(times) => {
                let (a, b) = times.split_once('-').ok_or(bad)?;
                (parse_clock(a).ok_or(bad)?, parse_clock(b).ok_or(bad)?)
            }
        };
        if parts.next().is_some() {
            return Err(bad);
        }
        bands.push(Band { days, from, to });
    }
    Ok(bands)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(prefix: &str, setup: Cents, peak: Cents, offpeak: Cents, first: u32, step: u32) -> Rate {
        Rate {
            prefix: prefix.into(),
            name: if prefix.is_empty() { "elsewhere".into() } else { format!("to {prefix}") },
            setup,
            peak,
            offpeak,
            first_secs: first,
            step_secs: step,
        }
    }

    fn tariff() -> Tariff {
        Tariff {
            rates: vec![
                rate("", 0, 30, 15, 60, 60),
                rate("2", 0, 20, 10, 30, 6),
                rate("22", 5, 12, 6, 1, 1),
                rate("50", 10, 50, 50, 60, 1),
                rate("00", 0, 300, 200, 60, 60),
                rate("0049", 0, 90, 60, 30, 6),
            ],
            offpeak: vec![
                // Weeknights from 22:00 to 06:00 the next morning, and the weekend.
                Band { days: WORKDAYS, from: 22 * 60, to: 6 * 60 },
                Band { days: WEEKEND, from: 0, to: 0 },
            ],
            outside_prefix: "0".into(),
            emergency: vec!["112".into(), "999".into()],
        }
    }

    fn warsaw() -> TimeZone {
        // Central European Time with its summer time, written out: the zone
        // database is not read here.
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").expect("zone")
    }

    /// Unix seconds of a UTC time.
    fn utc(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().expect("time").as_second()
    }

    #[test]
    fn the_longest_prefix_wins() {
        let t = tariff();
        let cases: &[(&str, Option<&str>)] = &[
            ("0221234567", Some("22")),
            ("022", Some("22")),
            ("0241234567", Some("2")),
            ("0501234567", Some("50")),
            ("0601234567", Some("")),
            ("0000441234", Some("00")),
            ("000493012", Some("0049")),
            ("+4930123", Some("0049")),
            ("+44123", Some("00")),
            ("101", None),
            ("*21#", None),
        ];
        for (number, prefix) in cases {
            let got = match t.destination(number) {
                Destination::Rated(r) => Some(r.prefix.as_str()),
                _ => None,
            };
            assert_eq!(got, *prefix, "{number}");
        }
        assert_eq!(t.destination("101"), Destination::Internal);
        assert_eq!(t.destination("0112"), Destination::Emergency);
        assert_eq!(t.destination("112"), Destination::Emergency);
        assert_eq!(Tariff { rates: vec![], ..tariff() }.destination("0221"), Destination::Unrated);
    }

    #[test]
    fn billing_blocks() {
        // (first, step, talk) -> billed seconds
        let cases: &[(u32, u32, u32, u32)] = &[
            (60, 60, 0, 0),
            (60, 60, 1, 60),
            (60, 60, 60, 60),
            (60, 60, 61, 120),
            (60, 60, 3599, 3600),
            (30, 6, 1, 30),
            (30, 6, 30, 30),
            (30, 6, 31, 36),
            (30, 6, 36, 36),
            (30, 6, 37, 42),
            (1, 1, 1, 1),
            (1, 1, 77, 77),
            (60, 1, 59, 60),
            (60, 1, 61, 61),
        ];
        for &(first, step, talk, billed) in cases {
            let m = Meter { setup: 0, per_minute: 60, first_secs: first, step_secs: step };
            assert_eq!(m.billed_secs(talk), billed, "{first}/{step} after {talk} s");
            assert_eq!(m.cost(talk), i64::from(billed), "{first}/{step} after {talk} s at a cent a second");
        }
    }

    #[test]
    fn what_calls_cost() {
        let t = tariff();
        let tz = warsaw();
        // Tuesday 2026-12-08 10:00 local (09:00 UTC): peak.
        let peak = utc("2026-12-08T09:00:00Z");
        // (number, talk, cost)
        let cases: &[(&str, u32, Cents)] = &[
            ("0221234567", 0, 0),
            // 5 setup + 12/min by the second: 61 s = 12.2 -> 13.
            ("0221234567", 61, 5 + 13),
            ("0221234567", 60, 5 + 12),
            // 30/6 at 20/min: 31 s billed as 36 s = 12 cents.
            ("0241234567", 31, 12),
            ("0241234567", 30, 10),
            // Mobile: 10 setup, a first minute, then by the second at 50/min.
            ("0501234567", 1, 10 + 50),
            ("0501234567", 90, 10 + 75),
            // Germany, 30/6 at 90/min: 45 s billed as 48 s.
            ("+4930123456", 45, 72),
            ("0112", 300, 0),
            ("102", 300, 0),
        ];
        for &(number, talk, cost) in cases {
            assert_eq!(t.cost(number, peak, talk, &tz), cost, "{number} for {talk} s");
        }
    }

    #[test]
    fn bands_across_midnight_and_summer_time() {
        let t = tariff();
        let tz = warsaw();
        // (UTC time, off-peak?) in Warsaw: UTC+1 in winter, UTC+2 in summer.
        let cases: &[(&str, bool)] = &[
            // Tuesday 21:59 and 22:00 local.
            ("2026-12-08T20:59:00Z", false),
            ("2026-12-08T21:00:00Z", true),
            // Past midnight into Wednesday, until 06:00.
            ("2026-12-08T23:30:00Z", true),
            ("2026-12-09T04:59:00Z", true),
            ("2026-12-09T05:00:00Z", false),
            // Friday 22:00 on into Saturday (the weekend band), and Sunday night.
            ("2026-12-11T21:30:00Z", true),
            ("2026-12-12T12:00:00Z", true),
            ("2026-12-13T22:59:00Z", true),
            // Monday 00:30 local: the band began on Sunday, which is not a
            // workday; Monday's band begins at 22:00.
            ("2026-12-13T23:30:00Z", false),
            // Monday 05:00 local is peak for the same reason; Tuesday 05:00 is
            // Monday night's band.
            ("2026-12-14T04:00:00Z", false),
            ("2026-12-15T04:00:00Z", true),
            // Summer time: 21:30 UTC on a Wednesday in July is 23:30 local.
            ("2026-07-15T21:30:00Z", true),
            ("2026-07-15T19:30:00Z", false),
            // The night the clocks go forward (Sunday 2026-03-29), and Monday
            // 2026-03-30 06:30 local (04:30 UTC, now UTC+2): peak; Tuesday
            // 05:30 local is 03:30 UTC now, in Monday night's band.
            ("2026-03-29T01:30:00Z", true),
            ("2026-03-30T04:30:00Z", false),
            ("2026-03-31T03:30:00Z", true),
            ("2026-03-31T04:00:00Z", false),
            // The night they go back (Sunday 2026-10-25): 02:30 happens twice.
            ("2026-10-25T00:30:00Z", true),
            ("2026-10-25T01:30:00Z", true),
            // Tuesday 2026-10-27 05:30 local is 04:30 UTC in winter.
            ("2026-10-27T04:30:00Z", true),
            ("2026-10-27T05:00:00Z", false),
        ];
        for (at, offpeak) in cases {
            assert_eq!(t.is_offpeak(utc(at), &tz), *offpeak, "{at}");
        }
        // The band sets the price: 60 s to a landline at night and by day.
        assert_eq!(t.cost("0241234567", utc("2026-12-08T21:00:00Z"), 60, &tz), 10);
        assert_eq!(t.cost("0241234567", utc("2026-12-08T20:59:00Z"), 60, &tz), 20);
    }

    #[test]
    fn tariffs_are_checked() {
        let bad = |f: fn(&mut Tariff)| {
            let mut t = tariff();
            f(&mut t);
            t.check()
        };
        assert_eq!(tariff().check(), Ok(()));
        assert_eq!(bad(|t| t.rates[1].prefix = "0a".into()), Err(TariffProblem::Prefix(2)));
        assert_eq!(bad(|t| t.rates[2].prefix = "2".into()), Err(TariffProblem::Duplicate(3)));
        assert_eq!(bad(|t| t.rates[0].name = " ".into()), Err(TariffProblem::Name(1)));
        assert_eq!(bad(|t| t.rates[0].peak = -1), Err(TariffProblem::Price(1)));
        assert_eq!(bad(|t| t.rates[0].step_secs = 0), Err(TariffProblem::Block(1)));
        assert_eq!(bad(|t| t.offpeak[0].to = 1441), Err(TariffProblem::Band(1)));
        assert_eq!(bad(|t| t.offpeak[1].days = 0), Err(TariffProblem::Band(2)));
    }

    #[test]
    fn periods_begin_at_local_midnight() {
        let tz = warsaw();
        let at = utc("2026-12-09T15:00:00Z"); // Wednesday
        let cases: &[(TopUpMode, &str, &str)] = &[
            (TopUpMode::Daily, "2026-12-08T23:00:00Z", "2026-12-09T23:00:00Z"),
            (TopUpMode::Weekly, "2026-12-06T23:00:00Z", "2026-12-13T23:00:00Z"),
            (TopUpMode::Monthly, "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z"),
            (TopUpMode::None, "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z"),
        ];
        for (mode, start, next) in cases {
            assert_eq!(mode.period(at, &tz), (utc(start), utc(next)), "{mode:?}");
        }
        // The day the clocks go forward has 23 hours.
        let (a, b) = TopUpMode::Daily.period(utc("2026-03-29T12:00:00Z"), &tz);
        assert_eq!((a, b - a), (utc("2026-03-28T23:00:00Z"), 23 * 3600));
    }

    #[test]
    fn the_account_tops_up_resets_and_alerts() {
        let mut a = CostAccount::new("100", 0);
        a.configure(Some(1000), 500, TopUpMode::Daily).expect("settings");
        assert_eq!(a.available(), Some(1000));
        a.charge(850);
        assert_eq!((a.spent, a.credit, a.used_percent()), (850, 150, Some(85)));
        let (due, marks) = alerts_due(&a, &[80, 100], None);
        assert_eq!(due, vec![Alert::Threshold(80)]);
        a.alerts = marks;
        assert_eq!(alerts_due(&a, &[80, 100], None).0, vec![]);
        a.charge(160);
        let (due, marks) = alerts_due(&a, &[80, 100], None);
        assert_eq!((due, a.credit), (vec![Alert::Threshold(100)], -10));
        a.alerts = marks;
        // The next day: 500 more, up to the limit; spending counted anew.
        assert!(a.roll(86_400));
        assert_eq!((a.spent, a.credit, a.alerts), (0, 490, 0));
        assert!(!a.roll(86_400));
        assert!(a.roll(2 * 86_400));
        assert_eq!(a.credit, 990);
        assert!(a.roll(3 * 86_400));
        assert_eq!(a.credit, 1000);
        // Raising the limit adds the difference; an administrator's top-up and reset.
        a.charge(300);
        a.configure(Some(1500), 500, TopUpMode::Daily).expect("settings");
        assert_eq!(a.credit, 1200);
        a.top_up_by(100).expect("top-up");
        assert_eq!(a.credit, 1300);
        assert_eq!(a.top_up_by(0), Err(AccountProblem::Amount));
        a.reset();
        assert_eq!((a.spent, a.credit), (0, 1500));
        assert_eq!(a.configure(Some(100), 500, TopUpMode::Daily), Err(AccountProblem::TopUp));
        a.configure(None, 0, TopUpMode::None).expect("no limit");
        assert_eq!((a.available(), alerts_due(&a, &[80], None).0), (None, vec![]));
    }

    #[test]
    fn forecasts() {
        let mut a = CostAccount::new("100", 0);
        a.configure(Some(10_000), 0, TopUpMode::Monthly).expect("settings");
        a.charge(4000);
        // 4000 over the last 4 days: 1000 a day; 10 days left need 10,000, and
        // 6000 are left: they last 6 days.
        let f = forecast(&a, 4000, 4, 0, 10 * 86_400);
        assert_eq!(f, Forecast { per_day: 1000, at_period_end: 14_000, runs_out_at: Some(6 * 86_400) });
        let (due, _) = alerts_due(&a, &[80, 100], Some(f));
        assert_eq!(due, vec![Alert::RunsOut(6 * 86_400)]);
        // Slower spending lasts the period.
        assert_eq!(forecast(&a, 400, 4, 0, 10 * 86_400).runs_out_at, None);
    }

    #[test]
    fn tariffs_as_text() {
        let t = tariff();
        let text = rates_text(&t.rates);
        assert!(text.starts_with("prefix;name;"), "{text}");
        assert_eq!(parse_rates(&text), Ok(t.rates.clone()));
        // As a spreadsheet saves it: a BOM, quotes, tabs or commas, decimal commas.
        let sheet = "\u{feff}Prefix;Name;Setup;Peak;Off-peak;First;Step\r\n\"22\";\"Warsaw\";0,05;0,12;0,06;1;1\r\n\r\n";
        assert_eq!(
            parse_rates(sheet).map(|r| (r[0].setup, r[0].peak, r[0].name.clone())),
            Ok((5, 12, "Warsaw".into()))
        );
        assert_eq!(parse_rates("5\tMobile\t0\t0.60\t0.60\t30\t30").map(|r| r[0].peak), Ok(60));
        assert_eq!(parse_rates("00,World,0,3,2,60,60").map(|r| r[0].offpeak), Ok(200));
        assert_eq!(parse_rates("prefix;name\n22;Warsaw;x;1;1;1;1"), Err(TextProblem::Line(2)));
        assert_eq!(parse_rates("22;Warsaw;0;1;1;1"), Err(TextProblem::Line(1)));
        assert_eq!(parse_rates("22;Warsaw;0;1;1;1;-5"), Err(TextProblem::Line(1)));

        let bands = bands_text(&t.offpeak);
        assert_eq!(bands, "Mon-Fri 22:00-06:00\nSat-Sun\n");
        assert_eq!(parse_bands(&bands), Ok(t.offpeak.clone()));
        let cases: &[(&str, Result<Vec<Band>, TextProblem>)] = &[
            ("sat,sun", Ok(vec![Band { days: WEEKEND, from: 0, to: 0 }])),
            ("Fri-Mon 18:00-24:00", Ok(vec![Band { days: 0b111_0001, from: 1080, to: 1440 }])),
            ("Mon 7:30-8:00", Ok(vec![Band { days: 1, from: 450, to: 480 }])),
            ("Mon-Fri 25:00-06:00", Err(TextProblem::Band(1))),
            ("Mon-Fry", Err(TextProblem::Band(1))),
            ("\nMon 10:00", Err(TextProblem::Band(2))),
            ("Mon 10:00-11:00 extra", Err(TextProblem::Band(1))),
        ];
        for (text, expect) in cases {
            assert_eq!(&parse_bands(text), expect, "{text:?}");
        }
    }

    #[test]
    fn money_as_written() {
        let cases: &[(&str, Option<Cents>)] = &[
            ("12", Some(1200)),
            ("12.3", Some(1230)),
            ("12,34", Some(1234)),
            (" 0.05 ", Some(5)),
            ("-1.5", Some(-150)),
            (".5", Some(50)),
            ("1.234", None),
            ("abc", None),
            ("", None),
            ("1e3", None),
        ];
        for (s, v) in cases {
            assert_eq!(parse_money(s), *v, "{s:?}");
        }
        assert_eq!(money(1234), "12.34");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(0), "0.00");
    }
}
