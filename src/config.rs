//! The one configuration type, loaded from a board file (`board/<name>/board.toml`).
//!
//! A board file says where the flash data lives, which interfaces are LAN and WAN,
//! how the switching core is reached, whether there is a watchdog, and the time zone.
//! The simulated board's file is embedded in the binary, so `webcti` runs on a
//! developer's PC with no arguments. An invalid file is refused with its path, the
//! field and what is wrong.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The simulated board's file, embedded: the default when no `--board` is given.
pub const SIM_BOARD: &str = include_str!("../board/sim/board.toml");
/// The name under which the embedded board is reported.
pub const SIM_BOARD_NAME: &str = "<embedded board/sim/board.toml>";

pub const DEFAULT_LOG: &str = "info";
pub const DEFAULT_WATCHDOG_INTERVAL_SECS: u64 = 10;
pub const DEFAULT_DRAIN_SECS: u64 = 10;
/// The database file's name inside the data directory.
pub const DB_FILE: &str = "webcti.db";
/// The digit that takes a line outside on most exchanges.
pub const DEFAULT_OUTSIDE_PREFIX: &str = "0";

/// The board file when no `--board` is given (the board's /etc/profile sets it).
pub const BOARD_VARIABLE: &str = "WEBCTI_BOARD";

/// A board file's contents, checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub board: Board,
    pub paths: Paths,
    #[serde(default)]
    pub service: Service,
    pub lan: Listener,
    pub wan: Option<Listener>,
    #[serde(default)]
    pub tls: Tls,
    pub core: Core,
    pub watchdog: Option<Watchdog>,
    /// Where `webcti upgrade` writes new firmware: boards with an image only.
    pub upgrade: Option<Upgrade>,
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub costs: Costs,
    /// Presence: the import file an external program (a calendar) writes.
    #[serde(default)]
    pub presence: Presence,
    /// The CTI server: how many accounts may log in.
    #[serde(default)]
    pub cti: Cti,
    /// How numbers are written in the board's country: reverse lookup reads
    /// every number by it.
    #[serde(default)]
    pub dialplan: Dialplan,
    /// The mail server for the mails the system sends (password reset links).
    pub smtp: Option<Smtp>,
    /// Where this configuration came from, for messages.
    #[serde(skip)]
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub name: String,
    pub hostname: String,
    pub time_zone: String,
    /// The currency call costs are in (ISO 4217, e.g. `PLN`); amounts are
    /// kept in its minor units.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// True only for the simulated board: demo data and the in-process simulator
    /// are allowed on it and nowhere else.
    #[serde(default)]
    pub simulated: bool,
    /// The demo exchange's logins and history (simulated boards only).
    #[serde(default)]
    pub demo: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    /// The flash directory: database, TLS key and certificate, setup secret.
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The user to run as after binding, when started as root; empty keeps the user.
    #[serde(default)]
    pub user: String,
    /// The tracing filter (`info`, `webcti=debug`, ...); `RUST_LOG` overrides it.
    #[serde(default = "default_log")]
    pub log: String,
    /// How long open connections may take to finish after a stop is asked for.
    #[serde(default = "default_drain")]
    pub drain_secs: u64,
}

impl Default for Service {
    fn default() -> Self {
        Self { user: String::new(), log: default_log(), drain_secs: DEFAULT_DRAIN_SECS }
    }
}

fn default_log() -> String {
    DEFAULT_LOG.to_owned()
}
fn default_drain() -> u64 {
    DEFAULT_DRAIN_SECS
}
fn default_true() -> bool {
    true
}
fn default_wd_interval() -> u64 {
    DEFAULT_WATCHDOG_INTERVAL_SECS
}

impl Listener {
    /// Whether WebCTI answers on this listener of `side` ("lan" or "wan").
    pub fn webcti_on(&self, lan: bool) -> bool {
        self.webcti.unwrap_or(lan)
    }
}

/// One network interface's listeners (HTTPS and plain HTTP).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// The interface's name; its IPv4 address is used when `address` is not given.
    pub interface: String,
    pub address: Option<IpAddr>,
    pub https_port: u16,
    /// Plain HTTP: redirects to HTTPS in HTTPS-only mode. Absent: no plain listener.
    pub http_port: Option<u16>,
    /// Whether the WebCTI portal answers here. Left out: on for the LAN (where
    /// it is always on), off for the WAN, which must be opened on purpose.
    pub webcti: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Plain HTTP only redirects to HTTPS, and HSTS is sent.
    #[serde(default = "default_true")]
    pub https_only: bool,
}

impl Default for Tls {
    fn default() -> Self {
        Self { https_only: true }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Core {
    /// `sim`, `unix:PATH` or `device:PATH`.
    pub link: String,
    /// On the simulated board: calls per minute the simulator places by itself.
    #[serde(default)]
    pub sim_traffic: f64,
    /// What a number dialled outside the exchange starts with (besides `+`):
    /// restrictions and the phone lock are judged by it.
    #[serde(default = "default_outside_prefix")]
    pub outside_prefix: String,
    /// The emergency numbers of the dialling plan: never refused for want of
    /// credit and never charged, dialled with or without the outside prefix.
    #[serde(default = "default_emergency")]
    pub emergency: Vec<String>,
    /// On the simulated board: the CTI licences the simulator holds, by
    /// function (`dialer`, `popups`, `monitor`, `call_control`); left out, its own.
    #[serde(default)]
    pub sim_licences: Option<std::collections::BTreeMap<String, u16>>,
}

impl Core {
    /// The simulator's licences as the board file gives them, by function.
    pub fn sim_licences(&self) -> Option<crate::domain::licence::Counts> {
        use crate::domain::licence::CtiFunction;
        let map = self.sim_licences.as_ref()?;
        Some(map.iter().filter_map(|(code, n)| Some((CtiFunction::from_code(code)?, *n))).collect())
    }
}

/// The board file's `[dialplan]`: with `core.outside_prefix`, the dialling plan
/// numbers are read by (domain::dialplan).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialplan {
    /// The country calling code (`"48"`); left out, only international forms
    /// of a number are matched with each other.
    #[serde(default)]
    pub country_code: String,
    #[serde(default = "default_international")]
    pub international_prefix: String,
    #[serde(default = "default_trunk")]
    pub trunk_prefix: String,
    /// The digits of every national number without its trunk prefix, where
    /// they are all as long (9 in Poland); 0 where they vary.
    #[serde(default)]
    pub national_digits: u8,
}

impl Default for Dialplan {
    fn default() -> Self {
        Dialplan {
            country_code: String::new(),
            international_prefix: default_international(),
            trunk_prefix: default_trunk(),
            national_digits: 0,
        }
    }
}

fn default_international() -> String {
    "00".to_owned()
}

fn default_trunk() -> String {
    "0".to_owned()
}

fn default_outside_prefix() -> String {
    DEFAULT_OUTSIDE_PREFIX.to_owned()
}

fn default_currency() -> String {
    "EUR".to_owned()
}

fn default_emergency() -> Vec<String> {
    vec!["112".to_owned()]
}

/// How the switching core is reached, parsed from [`Core::link`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreLink {
    Simulator,
    Unix(PathBuf),
    Device(PathBuf),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watchdog {
    pub device: PathBuf,
    #[serde(default = "default_wd_interval")]
    pub interval_secs: u64,
}

/// The board's two root file system slots (A/B): the one not running takes an
/// upgrade, and the boot loader is told to try it once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    /// Slot A's and slot B's block devices, in that order.
    pub slots: [PathBuf; 2],
    /// The boot loader's directory on the data partition (`slot`, `try`, `trying`).
    pub state_dir: PathBuf,
    /// The file in which the boot loader says which slot is running (`a` or `b`).
    pub running: PathBuf,
}

pub const DEFAULT_SMTP_PORT: u16 = 587;
pub const DEFAULT_RESET_MINUTES: u32 = 30;

/// How mail leaves the board. The board file's is the default; an
/// administrator's, from the SMTP page, is stored and takes its place.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `starttls` (the default), `tls`, or `none` (only for a server on this host).
    #[serde(default = "default_smtp_tls")]
    pub tls: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    pub from: String,
    /// How the links in mails start, e.g. `https://pbx.example.com`; by default
    /// the board's host name and LAN HTTPS port.
    #[serde(default)]
    pub link_base: String,
    /// How long a password reset link works.
    #[serde(default = "default_reset_minutes")]
    pub reset_minutes: u32,
    /// A certificate (PEM) to trust for the server besides the public roots:
    /// a mail server on the LAN with a certificate of its own.
    #[serde(default)]
    pub ca: String,
}

fn default_smtp_port() -> u16 {
    DEFAULT_SMTP_PORT
}
fn default_smtp_tls() -> String {
    "starttls".to_owned()
}
fn default_reset_minutes() -> u32 {
    DEFAULT_RESET_MINUTES
}

pub const DEFAULT_CDR_MAX_AGE_DAYS: u32 = 730;
pub const DEFAULT_CDR_MAX_COUNT: u64 = 2_000_000;
pub const DEFAULT_VOICEMAIL_MAX_AGE_DAYS: u32 = 365;
pub const DEFAULT_VOICEMAIL_MAX_COUNT: u64 = 100_000;
pub const DEFAULT_JOURNAL_MAX_AGE_DAYS: u32 = 730;
pub const DEFAULT_PRUNE_BATCH: u32 = 500;
pub const DEFAULT_PRUNE_INTERVAL_SECS: u64 = 3600;

/// How long call records and voicemail index entries are kept (0: no limit).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    pub cdr_max_age_days: u32,
    pub cdr_max_count: u64,
    pub voicemail_max_age_days: u32,
    pub voicemail_max_count: u64,
    /// Change journal entries older than this go (each extension keeps its newest 1000 anyway).
    pub journal_max_age_days: u32,
    /// Rows deleted per transaction: small, so the writer is never held for long.
    pub batch: u32,
    pub interval_secs: u64,
}

/// The CTI server's settings of the board.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cti {
    /// Accounts that log in (computers and users; users without login need
    /// none): up to 10,000.
    pub licences: usize,
}

impl Default for Cti {
    fn default() -> Self {
        Cti { licences: crate::services::cti::DEFAULT_LICENCES }
    }
}

/// Presence's settings of the board (SPEC C8).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Presence {
    /// `PrmImport.csv`, as a calendar or another program writes it; none: no import.
    pub import: Option<PathBuf>,
    /// How often the file is looked at (read again when it changed), in minutes:
    /// 1 to 1440.
    pub import_interval_min: u32,
}

impl Default for Presence {
    fn default() -> Self {
        Presence { import: None, import_interval_min: 15 }
    }
}

/// Call costs' settings of the board (the tariff and the limits are set in
/// the portal and by the API).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Costs {
    /// Per cents of a limited extension's credit whose passing is mailed to its
    /// managers, once a period each (at most 8, from 1 to 100).
    pub alert_thresholds: Vec<u32>,
}

impl Default for Costs {
    fn default() -> Self {
        Costs { alert_thresholds: vec![80, 100] }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            cdr_max_age_days: DEFAULT_CDR_MAX_AGE_DAYS,
            cdr_max_count: DEFAULT_CDR_MAX_COUNT,
            voicemail_max_age_days: DEFAULT_VOICEMAIL_MAX_AGE_DAYS,
            voicemail_max_count: DEFAULT_VOICEMAIL_MAX_COUNT,
            journal_max_age_days: DEFAULT_JOURNAL_MAX_AGE_DAYS,
            batch: DEFAULT_PRUNE_BATCH,
            interval_secs: DEFAULT_PRUNE_INTERVAL_SECS,
        }
    }
}

/// Why a board file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read board file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("board file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("board file {path}: field `{field}` {problem}")]
    Invalid { path: String, field: &'static str, problem: String },
}

impl Config {
    /// Loads and checks a board file; `None` loads the one `$WEBCTI_BOARD` names, else
    /// the embedded simulated board.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        // On a board, its profile names its file, so the console's commands need no --board.
        let from_env =
            std::env::var_os(BOARD_VARIABLE).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
        match path.or(from_env.as_deref()) {
            None => Config::parse(SIM_BOARD, SIM_BOARD_NAME),
            Some(path) => {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: name.clone(), source })?;
                Config::parse(&text, &name)
            }
        }
    }

    /// Parses and checks a board file's text; `source` names it in messages.
    pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: source.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        config.source = source.to_owned();
        config.check()?;
        Ok(config)
    }

    /// The dialling plan of the board file's `[dialplan]` and outside prefix.
    pub fn dialling_plan(&self) -> crate::domain::dialplan::DiallingPlan {
        crate::domain::dialplan::DiallingPlan {
            country_code: self.dialplan.country_code.clone(),
            international_prefix: self.dialplan.international_prefix.clone(),
            trunk_prefix: self.dialplan.trunk_prefix.clone(),
            national_digits: self.dialplan.national_digits,
            outside_prefix: self.core.outside_prefix.clone(),
        }
    }

    fn invalid(&self, field: &'static str, problem: impl fmt::Display) -> ConfigError {
        ConfigError::Invalid { path: self.source.clone(), field, problem: problem.to_string() }
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.board.name.trim().is_empty() {
            return Err(self.invalid("board.name", "must not be empty"));
        }
        if !crate::domain::mail::is_host_name(&self.board.hostname) {
            return Err(self.invalid(
                "board.hostname",
                format!("{:?} is not a host name (letters, digits, '-' and '.')", self.board.hostname),
            ));
        }
        if self.board.time_zone.trim().is_empty() {
            return Err(self.invalid("board.time_zone", "must name a time zone, e.g. \"Europe/Warsaw\""));
        }
        if jiff::tz::TimeZone::get(self.board.time_zone.trim()).is_err() {
            return Err(self.invalid(
                "board.time_zone",
                format!(
                    "{:?} is not in the board's time zone database ($TZDIR or /usr/share/zoneinfo; \
                     Debian's package is tzdata), e.g. \"Europe/Warsaw\"",
                    self.board.time_zone.trim()
                ),
            ));
        }
        if self.board.currency.len() != 3 || !self.board.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.invalid("board.currency", "must be a currency's ISO 4217 code, e.g. \"PLN\""));
        }
        let t = &self.costs.alert_thresholds;
        if t.len() > 8 || t.iter().any(|p| !(1..=100).contains(p)) || t.windows(2).any(|w| w[0] >= w[1]) {
            return Err(self.invalid(
                "costs.alert_thresholds",
                "must list at most 8 per cents from 1 to 100, each higher than the one before, e.g. [80, 100]",
            ));
        }
        if self.cti.licences > 10_000 {
            return Err(self.invalid("cti.licences", "must be from 0 to 10000"));
        }
        if !(1..=1440).contains(&self.presence.import_interval_min) {
            return Err(self.invalid("presence.import_interval_min", "must be from 1 to 1440 minutes"));
        }
        if self.presence.import.as_ref().is_some_and(|p| !p.is_absolute()) {
            return Err(
                self.invalid("presence.import", "must be an absolute path, e.g. \"/data/prm/PrmImport.csv\"")
            );
        }
        let emergency_ok = |n: &String| (1..=8).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit());
        if self.core.emergency.len() > crate::domain::tariff::MAX_EMERGENCY
            || !self.core.emergency.iter().all(emergency_ok)
        {
            return Err(self.invalid(
                "core.emergency",
                "must list at most 8 numbers of 1 to 8 digits, e.g. [\"112\", \"999\"]",
            ));
        }
        if let Err(p) = self.dialling_plan().check() {
            let field = match p.field {
                "outside_prefix" => "core.outside_prefix",
                "country_code" => "dialplan.country_code",
                "international_prefix" => "dialplan.international_prefix",
                "trunk_prefix" => "dialplan.trunk_prefix",
                _ => "dialplan.national_digits",
            };
            return Err(self.invalid(field, p.problem));
        }
        if self.board.demo && !self.board.simulated {
            return Err(
                self.invalid("board.demo", "is only allowed on a simulated board (board.simulated = true)")
            );
        }
        if self.paths.data_dir.as_os_str().is_empty() {
            return Err(self.invalid("paths.data_dir", "must not be empty"));
        }
        check_listener(self, &self.lan, "lan")?;
        if self.lan.webcti == Some(false) {
            return Err(self.invalid("lan.webcti", "cannot be false: the portal always answers on the LAN"));
        }
        if let Some(wan) = &self.wan {
            check_listener(self, wan, "wan")?;
        }
        self.core_link()?;
        if !(0.0..=600.0).contains(&self.core.sim_traffic) {
            return Err(self.invalid("core.sim_traffic", "must be between 0 and 600 calls per minute"));
        }
        let functions = self.core.sim_licences.iter().flat_map(|m| m.keys());
        if functions.into_iter().any(|f| crate::domain::licence::CtiFunction::from_code(f).is_none()) {
            return Err(self.invalid(
                "core.sim_licences",
                "names a function other than dialer, popups, monitor and call_control",
            ));
        }
        if let Some(wd) = &self.watchdog {
            if wd.interval_secs == 0 || wd.interval_secs > 60 {
                return Err(self.invalid("watchdog.interval_secs", "must be between 1 and 60 seconds"));
            }
        }
        if self.retention.batch == 0 || self.retention.batch > 10_000 {
            return Err(self.invalid("retention.batch", "must be between 1 and 10000 rows"));
        }
        if self.retention.interval_secs < 60 {
            return Err(self.invalid("retention.interval_secs", "must be at least 60 seconds"));
        }
        if let Some(smtp) = &self.smtp {
            if !crate::domain::mail::is_host(&smtp.host) {
                return Err(
                    self.invalid("smtp.host", format!("{:?} is not a host name or address", smtp.host))
                );
            }
            if !["starttls", "tls", "none"].contains(&smtp.tls.as_str()) {
                return Err(self.invalid(
                    "smtp.tls",
                    format!("{:?} is not \"starttls\", \"tls\" or \"none\"", smtp.tls),
                ));
            }
            if !smtp.from.contains('@') {
                return Err(self.invalid("smtp.from", "must be an e-mail address"));
            }
            if smtp.reset_minutes == 0 || smtp.reset_minutes > 24 * 60 {
                return Err(self.invalid("smtp.reset_minutes", "must be between 1 and 1440"));
            }
        }
        if !self.service.user.is_empty() && !is_user_name(&self.service.user) {
            return Err(self.invalid("service.user", format!("{:?} is not a user name", self.service.user)));
        }
        if !is_log_filter(&self.service.log) {
            return Err(self.invalid(
                "service.log",
                "is not a log filter: levels, each optionally for a target (\"info,webcti=debug\")",
            ));
        }
        Ok(())
    }

    /// How the core is reached.
    pub fn core_link(&self) -> Result<CoreLink, ConfigError> {
        let link = self.core.link.trim();
        let parsed = if link == "sim" {
            CoreLink::Simulator
        } else if let Some(p) = link.strip_prefix("unix:") {
            CoreLink::Unix(PathBuf::from(p))
        } else if let Some(p) = link.strip_prefix("device:") {
            CoreLink::Device(PathBuf::from(p))
        } else {
            return Err(self
                .invalid("core.link", format!("{link:?} is not \"sim\", \"unix:PATH\" or \"device:PATH\"")));
        };
        match &parsed {
            CoreLink::Unix(p) | CoreLink::Device(p) if p.as_os_str().is_empty() => {
                Err(self.invalid("core.link", "names no path"))
            }
            CoreLink::Simulator if !self.board.simulated => Err(self.invalid(
                "core.link",
                "\"sim\" is only allowed on a simulated board (board.simulated = true)",
            )),
            _ => Ok(parsed),
        }
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.paths.data_dir.join(DB_FILE)
    }
}

fn check_listener(config: &Config, l: &Listener, which: &'static str) -> Result<(), ConfigError> {
    let field = |f: &'static str| -> &'static str {
        match (which, f) {
            ("lan", "interface") => "lan.interface",
            ("lan", "ports") => "lan.http_port",
            ("wan", "interface") => "wan.interface",
            _ => "wan.http_port",
        }
    };
    if l.interface.trim().is_empty() {
        return Err(config.invalid(field("interface"), "must name a network interface"));
    }
    if let Some(http) = l.http_port {
        if http != 0 && http == l.https_port {
            return Err(config.invalid(field("ports"), "must differ from the HTTPS port"));
        }
    }
    Ok(())
}

/// `info`, `webcti=debug,hyper=warn`: what `tracing_subscriber::filter::Targets` reads.
fn is_log_filter(s: &str) -> bool {
    s.split(',').map(str::trim).filter(|d| !d.is_empty()).all(|d| {
        let (target, level) = d.split_once('=').unwrap_or(("", d));
        target.bytes().all(|b| b.is_ascii_alphanumeric() || b"_:-".contains(&b))
            && ["error", "warn", "info", "debug", "trace", "off"]
                .contains(&level.to_ascii_lowercase().as_str())
    })
}

fn is_user_name(s: &str) -> bool {
    s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: &str) {
        let got = match Config::parse(text, "test.toml") {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        assert!(got.contains(expect), "expected {expect:?} in {got:?}");
    }

    #[test]
    fn embedded_sim_board_loads() {
        let c = Config::load(None).expect("the embedded board loads");
        assert_eq!(c.board.name, "sim");
        assert_eq!(c.core_link().expect("link"), CoreLink::Simulator);
        assert_eq!(c.lan.https_port, 8443);
    }

    #[test]
    fn webcti_is_off_on_the_wan_unless_asked_for() {
        let without = SIM_BOARD.replace("webcti = false", "");
        let c = Config::parse(&without, "sim").expect("loads");
        assert!(c.lan.webcti_on(true));
        assert!(!c.wan.as_ref().expect("wan").webcti_on(false), "a [wan] without the field keeps WebCTI off");
        let on = Config::parse(&SIM_BOARD.replace("webcti = false", "webcti = true"), "sim").expect("loads");
        assert!(on.wan.expect("wan").webcti_on(false));
    }

    #[test]
    fn reference_board_loads() {
        let text = include_str!("../board/arm64-ref/board.toml");
        let c = Config::parse(text, "arm64-ref").expect("the reference board loads");
        assert_eq!(c.core_link().expect("link"), CoreLink::Device("/dev/swcore0".into()));
        assert_eq!(c.watchdog.expect("watchdog").device, PathBuf::from("/dev/watchdog"));
    }

    #[test]
    fn bad_files_name_the_field() {
        let good = SIM_BOARD;
        check(good, "ok");
        check(&good.replace("https_port = 8443", "https_port = \"x\""), "https_port");
        check(&good.replace("https_port = 8443", "htps_port = 8443"), "htps_port");
        check(&good.replace("hostname = \"webcti-sim\"", "hostname = \"bad host\""), "board.hostname");
        check(&good.replace("link = \"sim\"", "link = \"tcp:1\""), "core.link");
        check(
            &good.replace("Europe/Warsaw", "Europe/Atlantis"),
            "\"Europe/Atlantis\" is not in the board's time zone database",
        );
        check(&good.replace("Europe/Warsaw", "America/Argentina/Buenos_Aires"), "ok");
        check(
            &good.replace("https_port = 8443\nhttp_port = 8080", "https_port = 8443\nhttp_port = 8443"),
            "lan.http_port",
        );
        check(&good.replace("simulated = true", "simulated = false"), "only allowed on a simulated board");
        check(&good.replace("log = \"info\"", "log = \"[[[\""), "service.log");
        check(&format!("{good}\n[retention]\nbatch = 0\n"), "retention.batch");
        check(&format!("{good}\n[retention]\ncdr_max_count = -1\n"), "cdr_max_count");
        check(&good.replace("call_control = 8", "everything = 8"), "core.sim_licences");
        check(&good.replace("call_control = 8", "call_control = -1"), "sim_licences");
        check(&good.replace("country_code = \"48\"", "country_code = \"+48\""), "dialplan.country_code");
        check(&good.replace("trunk_prefix = \"0\"", "trunk_prefix = \"00\""), "dialplan.trunk_prefix");
        check(&good.replace("national_digits = 9", "national_digits = 99"), "dialplan.national_digits");
        check(
            &good.replace("link = \"sim\"", "link = \"sim\"\noutside_prefix = \"x\""),
            "core.outside_prefix",
        );
        check("", "missing field");
    }

    #[test]
    fn the_dialling_plan_comes_from_the_board_file() {
        let c = Config::load(None).expect("loads");
        let plan = c.dialling_plan();
        assert_eq!((plan.country_code.as_str(), plan.national_digits), ("48", 9));
        assert_eq!(plan.outside_prefix, c.core.outside_prefix);
        let start = SIM_BOARD.find("[dialplan]").expect("a [dialplan]");
        let end = start + SIM_BOARD[start..].find("[costs]").expect("then [costs]");
        let without = format!("{}{}", &SIM_BOARD[..start], &SIM_BOARD[end..]);
        let plan = Config::parse(&without, "sim").expect("loads").dialling_plan();
        assert_eq!(plan, crate::domain::dialplan::DiallingPlan::default());
    }

    #[test]
    fn the_simulators_licences_come_from_the_board_file() {
        use crate::domain::licence::{count_of, CtiFunction};
        let c =
            Config::parse(&SIM_BOARD.replace("call_control = 8", "call_control = 2"), "sim").expect("loads");
        let counts = c.core.sim_licences().expect("given");
        assert_eq!(count_of(&counts, CtiFunction::CallControl), 2);
        assert_eq!(count_of(&counts, CtiFunction::Monitor), 16);
    }
}
