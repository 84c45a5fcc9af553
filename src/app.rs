//! Wiring: data directory, listeners, privileges, TLS identity, store, core link,
//! watchdog and HTTP, run until the stop is asked for, then taken down in order.

use std::path::Path;
use std::time::Duration;

use std::sync::Arc;

use crate::config::{Config, CoreLink};
use crate::demo;
use crate::hal::client::{Resync, WireCore};
use crate::hal::proto::Licence;
use crate::hal::transport::Endpoint;
use crate::hal::{LinkHealth, SwitchCore};
use crate::http::listen::{self, BoundInterface, Side};
use crate::http::tls::DeviceIdentity;
use crate::http::{self, HttpState};
use crate::services::auth::Auth;
use crate::services::bus::Bus;
use crate::services::exposure::{self, Exposure, Switches};
use crate::services::intake;
use crate::services::mail::{Mailer, PostOffice};
use crate::services::reset::Reset;
use crate::services::resync::FromStore;
use crate::services::{BoardInfo, Context, Services};
use crate::shutdown::Shutdown;
use crate::sim::traffic::{self, TrafficConfig};
use crate::sim::{self, Clock, Sim, SimCore};
use crate::store::Store;
use crate::system::clock::Clock as ServiceClock;
use crate::system::{files, privileges, random, watchdog::Watchdog};

/// The first administrator's one-time setup secret, kept until an administrator exists.
pub const SETUP_SECRET_FILE: &str = crate::services::setup::SECRET_FILE;

/// Why the service could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Tls(#[from] crate::http::tls::TlsError),
    #[error(transparent)]
    Listen(#[from] crate::http::listen::ListenError),
    #[error(transparent)]
    Privileges(#[from] crate::system::privileges::PrivilegeError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Watchdog(#[from] crate::system::watchdog::WatchdogError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot start the login service: {0}")]
    Auth(String),
    #[error("the mail settings (smtp in the board file) do not work: {0}")]
    Mail(String),
}

/// Runs the service until `shutdown` completes.
pub async fn run(config: Config, shutdown: Shutdown) -> Result<(), AppError> {
    let data_dir = config.paths.data_dir.clone();
    prepare_data_dir(&data_dir)?;

    let addresses = listen::addresses(&config)?;
    let interfaces = listen::bind_all(&config).await?;

    // Everything that needs root is done: the ports are bound and the watchdog open.
    let dog = config.watchdog.as_ref().map(|w| Watchdog::open(&w.device)).transpose()?;
    match privileges::drop_to(&config.service.user, &data_dir)? {
        privileges::Outcome::Dropped { uid, gid } => tracing::info!(uid, gid, "dropped root"),
        privileges::Outcome::NotRoot => tracing::debug!("not started as root; keeping the user"),
        privileges::Outcome::Kept => {}
    }

    // The device's key is made by the service user, in its own directory: never
    // by root in a directory another user owns.
    let identity = DeviceIdentity::in_data_dir(&data_dir);
    if identity.ensure(&config.board.hostname, &addresses)? {
        tracing::info!(cert = %identity.cert.display(), "made the device's TLS key and certificate");
    }
    let slot = identity.slot()?;
    let tls = crate::http::tls::server_config(slot.clone())?;

    let store = Store::open(&config.db_path()).await?;
    // Before anything reads or writes a contact: stored numbers made by another
    // plan (or before there were canonical forms) are made again.
    let remade = store.use_dialling_plan(config.dialling_plan()).await?;
    if remade > 0 {
        tracing::info!(numbers = remade, plan = %config.dialling_plan(), "contacts' numbers made canonical by the board's dialling plan");
    }
    let core = start_core(&config, &store, &shutdown).await?;
    let link = core.health();
    let bus = Bus::new();
    let clock = ServiceClock::system();
    let (phone_tx, phone_rx) = tokio::sync::mpsc::channel(intake::PHONE_QUEUE);
    let intake = tokio::spawn(intake::run_with(
        core.clone(),
        store.clone(),
        bus.clone(),
        clock.clone(),
        Some(phone_tx),
        shutdown.clone(),
    ));

    let secret = setup_secret(&store, &data_dir).await?;
    let board_switches = Switches {
        https_only: config.tls.https_only,
        wan_webcti: config.wan.as_ref().is_some_and(|w| w.webcti_on(false)),
    };
    let has_wan = interfaces.iter().any(|i| i.side == Side::Wan);
    let exposure = Exposure::new(exposure::load(&store, board_switches).await?, has_wan);
    print_banner(&config, &interfaces, exposure.switches(), secret.as_deref());

    // Every page of the database is checked while the service already serves.
    tokio::spawn(check_integrity(store.clone()));

    let watchdog_task = match (dog, &config.watchdog) {
        (Some(dog), Some(w)) => Some(tokio::spawn(feed_watchdog(
            dog,
            Duration::from_secs(w.interval_secs),
            store.clone(),
            link.clone(),
            shutdown.clone(),
        ))),
        _ => None,
    };

    let retention = tokio::spawn(crate::services::retention::run(
        store.clone(),
        config.retention.clone(),
        shutdown.clone(),
    ));

    let auth = Arc::new(Auth::new(store.clone()).map_err(|e| AppError::Auth(e.to_string()))?);
    if config.board.demo {
        match demo::seed(&store, auth.hasher(), sim::wall_clock(), &config.board.time_zone).await {
            Ok(true) => {
                tracing::info!("demo data made: see the README for the logins");
                // The simulator is given what the demo set (the presence statuses' diverts).
                let resync =
                    FromStore::with(store.clone(), ServiceClock::system(), &config.core.outside_prefix);
                for command in crate::hal::client::Resync::commands(&resync).await {
                    let _ = core.command(command).await;
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "demo data not made"),
        }
    }
    let post = post_office(&config, &store).await?;
    let notify = tokio::spawn(crate::services::notify::run(
        store.clone(),
        bus.clone(),
        post.clone(),
        shutdown.clone(),
    ));
    let reset = Arc::new(password_reset(&config, &store, &interfaces, post.clone())?);
    let ctx = Context::new(store.clone(), core, bus, clock, config.board.time_zone.clone())
        .with_outside_prefix(&config.core.outside_prefix)
        .with_emergency(&config.core.emergency)
        .with_currency(&config.board.currency)
        .with_cost_alerts(&config.costs.alert_thresholds)
        .with_mail(post, config.smtp.clone())
        .with_certificates(slot, data_dir.join(crate::http::tls::TLS_DIR))
        .with_exposure(exposure)
        .with_board(BoardInfo {
            name: config.board.name.clone(),
            hostname: config.board.hostname.clone(),
            simulated: config.board.simulated,
            data_dir: config.paths.data_dir.clone(),
            started: sim::wall_clock(),
            names: std::iter::once(config.board.hostname.clone())
                .chain(addresses.iter().map(|a| a.to_string()))
                .collect(),
        });
    let presence_every = Duration::from_secs(u64::from(config.presence.import_interval_min) * 60);
    let services = Services::new(ctx.clone(), auth, reset, config.paths.data_dir.clone())
        .with_presence_import(&ctx, config.presence.import.clone(), presence_every)
        .with_cti_licences(&ctx, config.cti.licences);
    let costs = tokio::spawn(crate::services::costs::run(services.costs.clone(), shutdown.clone()));
    let directories =
        tokio::spawn(crate::services::directory::run(services.directories.clone(), shutdown.clone()));
    let presence = tokio::spawn(crate::services::presence::run(services.presence.clone(), shutdown.clone()));
    let phone = tokio::spawn(crate::services::forwarding::take_phone_changes(
        services.forwarding.clone(),
        phone_rx,
        shutdown.clone(),
    ));
    let state = HttpState { services: Arc::new(services), api: Arc::default(), cti: Arc::default() };
    http::serve(interfaces, tls, state, shutdown, Duration::from_secs(config.service.drain_secs)).await;

    // The stop: the store closes last among the writers, then the watchdog is disarmed.
    let dog = match watchdog_task {
        Some(t) => t.await.ok().flatten(),
        None => None,
    };
    let _ = retention.await;
    let _ = notify.await;
    let _ = phone.await;
    let _ = costs.await;
    let _ = directories.await;
    let _ = presence.await;
    // Intake commits what it still holds before the store closes.
    let _ = intake.await;
    store.close().await?;
    tracing::info!("store closed");
    if let Some(dog) = dog {
        dog.close()?;
        tracing::info!("watchdog disarmed");
    }
    Ok(())
}

/// The switching core the board names: the in-process simulator, or the wire
/// client to a real core. Either way the core is programmed from the store.
async fn start_core(
    config: &Config,
    store: &Store,
    shutdown: &Shutdown,
) -> Result<Arc<dyn SwitchCore>, AppError> {
    let resync =
        Arc::new(FromStore::with(store.clone(), ServiceClock::system(), &config.core.outside_prefix));
    let core: Arc<dyn SwitchCore> = match config.core_link()? {
        CoreLink::Simulator => {
            let mut plan = crate::sim::demo::plan();
            plan.outside_prefix = config.core.outside_prefix.clone();
            // Demo data: only ever on a simulated board (the link "sim" is refused elsewhere).
            let now = sim::wall_clock();
            for e in &plan.extensions {
                store.upsert_extension(&e.number, &e.name, now).await?;
            }
            let exts: Vec<String> = plan.extensions.iter().map(|e| e.number.clone()).collect();
            let sim = Sim::new(plan, Clock::Real, now);
            // The board file's zone was checked when it was read.
            if let Err(e) = sim.with(|ex| ex.set_time_zone(&config.board.time_zone)) {
                tracing::warn!(error = %e, "the simulator keeps UTC");
            }
            if let Some(counts) = config.core.sim_licences() {
                let list = counts.into_iter().map(|(f, count)| Licence { function: f.into(), count });
                sim.with(|ex| ex.set_licences(list.collect()));
            }
            if config.core.sim_traffic > 0.0 {
                let traffic =
                    TrafficConfig { calls_per_minute: config.core.sim_traffic, ..TrafficConfig::default() };
                tokio::spawn(traffic::run(sim.clone(), exts, traffic, now as u64, shutdown.clone()));
            }
            let core = SimCore::start(sim);
            for command in resync.commands().await {
                if let Err(e) = core.command(command).await {
                    tracing::warn!(error = %e, "the simulator refused a stored setting");
                }
            }
            Arc::new(core)
        }
        CoreLink::Unix(path) => Arc::new(WireCore::start(Endpoint::Unix(path), resync, shutdown.clone())),
        CoreLink::Device(path) => Arc::new(WireCore::start(Endpoint::Device(path), resync, shutdown.clone())),
    };
    Ok(core)
}

/// Forgotten-password links: mailed through the board's SMTP server, starting
/// with the configured base or the board's host name and LAN HTTPS port.
/// The mail server: the one an administrator set on the SMTP page, else the
/// board file's.
async fn post_office(config: &Config, store: &Store) -> Result<PostOffice, AppError> {
    let stored = store.setting(crate::services::smtp::SETTING).await?;
    let stored: Option<crate::config::Smtp> = stored.and_then(|json| match serde_json::from_str(&json) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "the stored mail server is not readable; the board file's is used");
            None
        }
    });
    let mailer = match stored.as_ref().or(config.smtp.as_ref()) {
        Some(smtp) => Some(Mailer::new(smtp).map_err(|e| AppError::Mail(e.to_string()))?),
        None => None,
    };
    Ok(PostOffice::new(mailer))
}

fn password_reset(
    config: &Config,
    store: &Store,
    interfaces: &[BoundInterface],
    post: PostOffice,
) -> Result<Reset, AppError> {
    let lan_port = interfaces.first().map(|i| i.https_addr().port()).unwrap_or(443);
    let default_base = match lan_port {
        443 => format!("https://{}", config.board.hostname),
        port => format!("https://{}:{port}", config.board.hostname),
    };
    let (base, minutes) = match &config.smtp {
        Some(smtp) if !smtp.link_base.is_empty() => (smtp.link_base.clone(), smtp.reset_minutes),
        Some(smtp) => (default_base, smtp.reset_minutes),
        None => (default_base, crate::config::DEFAULT_RESET_MINUTES),
    };
    Ok(Reset::new(store.clone(), post, base, i64::from(minutes) * 60))
}

fn prepare_data_dir(dir: &Path) -> Result<(), AppError> {
    files::private_dir(dir).map_err(|source| AppError::DataDir { path: dir.display().to_string(), source })
}

/// The integrity check after the start (S4). Damage is logged with the way out
/// and shown by `/healthz`; the service goes on (a reset would not mend the file,
/// so the watchdog is still fed), and SQLite refuses what touches a damaged page.
async fn check_integrity(store: Store) {
    let started = std::time::Instant::now();
    match store.check_integrity().await {
        Ok(None) => tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "integrity check: the database is whole"
        ),
        Ok(Some(detail)) => tracing::error!(
            %detail,
            "integrity check: the database is damaged; restore the last backup with `webcti restore FILE` (the service stopped), which keeps the damaged file beside it"
        ),
        Err(e) => tracing::warn!(error = %e, "integrity check not run"),
    }
}

/// Feeds the watchdog while the store and the core link are healthy; hands the
/// device back when the stop comes, so it can be disarmed after the store closes.
async fn feed_watchdog(
    mut dog: Watchdog,
    every: Duration,
    store: Store,
    link: LinkHealth,
    mut shutdown: Shutdown,
) -> Option<Watchdog> {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait() => return Some(dog),
        }
        let healthy = store.ping().await.is_ok() && link.is_up();
        if !healthy {
            tracing::warn!("unhealthy: not feeding the watchdog");
            continue;
        }
        if let Err(e) = dog.feed() {
            tracing::error!(error = %e, "watchdog");
        }
    }
}

/// The one-time secret for creating the first administrator, while none exists.
async fn setup_secret(store: &Store, data_dir: &Path) -> Result<Option<String>, AppError> {
    if store.setting("setup.done").await?.is_some() {
        return Ok(None);
    }
    let path = data_dir.join(SETUP_SECRET_FILE);
    let err = |source| AppError::DataDir { path: path.display().to_string(), source };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.trim().is_empty() {
            return Ok(Some(existing.trim().to_owned()));
        }
    }
    let secret = random::secret_code().map_err(err)?;
    files::write_private(&path, format!("{secret}\n").as_bytes()).map_err(err)?;
    Ok(Some(secret))
}

fn print_banner(config: &Config, interfaces: &[BoundInterface], switches: Switches, secret: Option<&str>) {
    println!(
        "webcti {} on board {:?} ({}), data in {}",
        env!("CARGO_PKG_VERSION"),
        config.board.name,
        config.board.hostname,
        config.paths.data_dir.display()
    );
    for i in interfaces {
        let on = i.side == Side::Lan || switches.wan_webcti;
        let note = if on { "" } else { "  (WebCTI off)" };
        println!("  {}  https://{}/{}", i.side.label(), i.https_addr(), note);
        if let Some(http) = i.http_addr() {
            let what = if switches.https_only { "  (redirects to HTTPS)" } else { "" };
            println!("  {}  http://{}/{}", i.side.label(), http, what);
        }
    }
    if let Some(secret) = secret {
        println!(
            "  First administrator: one-time setup secret {secret} (also in {})",
            config.paths.data_dir.join(SETUP_SECRET_FILE).display()
        );
    }
    println!("ready");
}
