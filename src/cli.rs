//! The command line: `webcti [serve]`, and the tools beside it.
//!
//! Every subcommand takes `--board PATH`; without it `$WEBCTI_BOARD` (a board image sets
//! it), else the embedded simulated board
//! (`board/sim/board.toml`) is used, so `webcti` runs on a developer's PC as is.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::domain::access::Actor;
use crate::services::tokens::{TokenRequest, Tokens};

const USAGE: &str = "\
usage: webcti [COMMAND] [--board PATH]

commands:
  serve          run the service (the default)
  backup FILE    write a consistent copy of the database to FILE (the service may run)
  restore FILE   replace the database with a backup (stop the service first; the
                 previous database is kept beside it)
  check          check the database's integrity and report its sizes
  health         ask the running service over HTTPS whether it is healthy (store and
                 core link): exit 0 when it is, 1 when not
  upgrade FILE   write new firmware (an upgrade file made by `make image`) into the root
                 slot that is not running and start it once at the next boot; the data
                 partition is kept. Boards with an image only:
                   --downgrade          also when its firmware cannot read this data
                                        (then restore a backup made on that version)
  token create   make a token of the provisioning API and print its secret (once):
                   --name NAME          what the token is for (required)
                   --scope SCOPE        read, write, or AREA:read / AREA:write, where AREA
                                        is extensions, departments, phonebook, records,
                                        calls, board or security (repeat, or separate
                                        with commas; required)
                   --days N             expire after N days (default: never)
  token list     list the tokens, without their secrets
  token revoke ID
                 revoke a token: its next request is refused
  provision VERB a client of the provisioning API over HTTPS:
                   --url URL            the exchange, https://HOST[:PORT] (or WEBCTI_URL)
                   --token TOKEN        a token's secret (or WEBCTI_TOKEN, which ps does not show)
                   --ca FILE            the certificate to trust, e.g. the board's tls/device.crt
                                        (or WEBCTI_CA; default: this machine's trust store)
                 verbs:
                   get PATH             one resource under /api/v1, e.g. extensions/100
                   list WHAT [K=V...]   every page of extensions, departments, tokens,
                                        cti/accounts, cti/groups, phonebook/contacts or
                                        phonebook/groups, with filters (list extensions department=2)
                   apply FILE           make the exchange's departments, extensions and CTI
                                        groups what the document (JSON or TOML) says: shows the difference, then
                                        applies it whole (--dry-run: only show it; --config:
                                        FILE is a whole configuration, as export --config gives)
                   export [--csv]       every department, extension and CTI group (JSON), or
                                        the extensions as CSV;
                                        --config: the whole configuration, for another board
                   import FILE          a bulk file (CSV, JSON or TOML) as it is (--dry-run)
                   call EXT NUMBER      ring EXT, then dial NUMBER (--mobile: its MobilePhone)
                   token create|list|revoke
                                        as `webcti token`, on the board itself
  cti            the CTI protocol's reference client: logs in, prints each message as a
                 JSON line, sends each line of standard input (docs/cti-protocol.md):
                   --url URL            wss://HOST[:PORT] (or WEBCTI_CTI_URL)
                   --account NAME       a CTI account, or an extension (WebCTI login)
                   --computer NAME      where the client runs (default: this host's name)
                   --ca FILE            as for provision (or WEBCTI_CA)
                   --monitor EXT,EXT    lines to follow besides the account's devices
                   --resume EPOCH:SEQ   get what was missed since (else a snapshot)
                 the password is read from WEBCTI_CTI_PASSWORD
  sim            run the switching-core simulator on its own:
                   --listen unix:PATH   where the service connects (required)
                   --traffic N          calls per minute it places by itself (default 0)
                   --faults SECS        misbehave every SECS seconds: garbage, truncated or
                                        oversized frames, a 5-second stall, or a disconnect
  help           show this text
  version        show the version

options:
  --board PATH   the board file (default: $WEBCTI_BOARD, which a board's image sets, else
                 the embedded simulated board)
";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Command {
    Serve { board: Option<PathBuf> },
    Backup { board: Option<PathBuf>, file: PathBuf },
    Restore { board: Option<PathBuf>, file: PathBuf },
    Check { board: Option<PathBuf> },
    Health { board: Option<PathBuf> },
    Upgrade { board: Option<PathBuf>, file: PathBuf, downgrade: bool },
    TokenCreate { board: Option<PathBuf>, name: String, scopes: Vec<String>, days: Option<i64> },
    TokenList { board: Option<PathBuf> },
    TokenRevoke { board: Option<PathBuf>, id: i64 },
    Sim { listen: PathBuf, traffic: f64, faults: u64 },
    Provision(crate::provision::Request),
    Cti(crate::cti_client::Options),
    Help,
    Version,
}

/// A command line that makes no sense.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct UsageError(String);

/// Parses the arguments after the program name.
pub fn parse(args: Vec<OsString>) -> Result<Command, UsageError> {
    use lexopt::prelude::*;
    if args.first().is_some_and(|a| a == "provision") {
        return parse_provision(args.into_iter().skip(1).collect());
    }
    if args.first().is_some_and(|a| a == "cti") {
        return crate::cti_client::Options::parse(args.into_iter().skip(1).collect())
            .map(Command::Cti)
            .map_err(|e| UsageError(e.to_string()));
    }
    let mut parser = lexopt::Parser::from_args(args);
    let mut command: Option<String> = None;
    let mut file: Option<PathBuf> = None;
    let mut board = None;
    let mut listen: Option<PathBuf> = None;
    let mut traffic = 0.0f64;
    let mut faults = 0u64;
    let mut verb: Option<String> = None;
    let mut name: Option<String> = None;
    let mut scopes: Vec<String> = Vec::new();
    let mut days: Option<i64> = None;
    let mut downgrade = false;
    let text =
        |v: OsString, what: &str| v.into_string().map_err(|_| UsageError(format!("{what} is not UTF-8")));
    let usage = |e: lexopt::Error| UsageError(e.to_string());
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Long("board") => board = Some(PathBuf::from(parser.value().map_err(usage)?)),
            Long("listen") => {
                let v = parser.value().map_err(usage)?;
                let v = v.to_str().ok_or_else(|| UsageError("--listen is not UTF-8".into()))?;
                let path = v
                    .strip_prefix("unix:")
                    .ok_or_else(|| UsageError(format!("--listen {v:?}: expected unix:PATH")))?;
                listen = Some(PathBuf::from(path));
            }
            Long("traffic") => {
                let v = parser.value().map_err(usage)?;
                traffic = v
                    .to_str()
                    .and_then(|s| s.parse().ok())
                    .filter(|n: &f64| (0.0..=600.0).contains(n))
                    .ok_or_else(|| UsageError("--traffic takes calls per minute, 0 to 600".into()))?;
            }
            Long("faults") => {
                let v = parser.value().map_err(usage)?;
                faults = v
                    .to_str()
                    .and_then(|s| s.parse().ok())
                    .filter(|n: &u64| *n >= 1)
                    .ok_or_else(|| UsageError("--faults takes a number of seconds, at least 1".into()))?;
            }
            Long("name") => name = Some(text(parser.value().map_err(usage)?, "--name")?),
            Long("scope") => {
                let v = text(parser.value().map_err(usage)?, "--scope")?;
                scopes.extend(v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()));
            }
            Long("days") => {
                let v = parser.value().map_err(usage)?;
                days = Some(
                    v.to_str()
                        .and_then(|s| s.parse().ok())
                        .filter(|n: &i64| (1..=3660).contains(n))
                        .ok_or_else(|| UsageError("--days takes a number of days, 1 to 3660".into()))?,
                );
            }
            Long("downgrade") if command.as_deref() == Some("upgrade") => downgrade = true,
            Long("help") | Short('h') => return Ok(Command::Help),
            Long("version") | Short('V') => return Ok(Command::Version),
            Value(v) if command.is_none() => {
                command = Some(v.into_string().map_err(|_| UsageError("the command is not UTF-8".into()))?)
            }
            Value(v)
                if file.is_none() && matches!(command.as_deref(), Some("backup" | "restore" | "upgrade")) =>
            {
                file = Some(PathBuf::from(v))
            }
            Value(v) if command.as_deref() == Some("token") && verb.is_none() => {
                verb = Some(text(v, "the verb")?)
            }
            Value(v) if verb.as_deref() == Some("revoke") && file.is_none() => file = Some(PathBuf::from(v)),
            other => return Err(usage(other.unexpected())),
        }
    }
    match command.as_deref() {
        None | Some("serve") => Ok(Command::Serve { board }),
        Some("backup") => {
            Ok(Command::Backup { board, file: file.ok_or(UsageError("backup needs a FILE".into()))? })
        }
        Some("restore") => {
            Ok(Command::Restore { board, file: file.ok_or(UsageError("restore needs a FILE".into()))? })
        }
        Some("check") => Ok(Command::Check { board }),
        Some("health") => Ok(Command::Health { board }),
        Some("upgrade") => Ok(Command::Upgrade {
            board,
            file: file.ok_or(UsageError("upgrade needs a FILE".into()))?,
            downgrade,
        }),
        Some("token") => match verb.as_deref() {
            Some("create") => Ok(Command::TokenCreate {
                board,
                name: name.ok_or(UsageError("token create needs --name".into()))?,
                scopes,
                days,
            }),
            Some("list") => Ok(Command::TokenList { board }),
            Some("revoke") => {
                let id = file.as_deref().and_then(|f| f.to_str()).and_then(|f| f.parse().ok());
                Ok(Command::TokenRevoke {
                    board,
                    id: id.ok_or(UsageError("token revoke needs a token's ID".into()))?,
                })
            }
            _ => Err(UsageError("token takes create, list or revoke".into())),
        },
        Some("sim") => Ok(Command::Sim {
            listen: listen.ok_or(UsageError("sim needs --listen unix:PATH".into()))?,
            traffic,
            faults,
        }),
        Some("help") => Ok(Command::Help),
        Some("version") => Ok(Command::Version),
        Some(other) => Err(UsageError(format!("unknown command {other:?}"))),
    }
}

/// `webcti provision ...`: the API's client; `provision token ...` is `token ...`.
fn parse_provision(args: Vec<OsString>) -> Result<Command, UsageError> {
    use crate::provision::{Request, Verb};
    use lexopt::prelude::*;
    if args.first().is_some_and(|a| a == "token") {
        return parse(args);
    }
    let mut parser = lexopt::Parser::from_args(args);
    let (mut url, mut token, mut ca) = (None, None, None);
    let (mut dry_run, mut csv, mut mobile, mut config) = (false, false, false, false);
    let mut words: Vec<String> = Vec::new();
    let usage = |e: lexopt::Error| UsageError(e.to_string());
    let text = |v: OsString| v.into_string().map_err(|_| UsageError("an argument is not UTF-8".into()));
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Long("url") => url = Some(text(parser.value().map_err(usage)?)?),
            Long("token") => token = Some(text(parser.value().map_err(usage)?)?),
            Long("ca") => ca = Some(PathBuf::from(parser.value().map_err(usage)?)),
            Long("dry-run") => dry_run = true,
            Long("csv") => csv = true,
            Long("config") => config = true,
            Long("mobile") => mobile = true,
            Long("help") | Short('h') => return Ok(Command::Help),
            Value(v) => words.push(text(v)?),
            other => return Err(usage(other.unexpected())),
        }
    }
    let need = |n: usize, what: &str| match words.len() == n {
        true => Ok(()),
        false => Err(UsageError(format!("provision {what}"))),
    };
    let verb = match words.first().map(String::as_str) {
        Some("get") => need(2, "get takes a PATH").map(|()| Verb::Get(words[1].clone()))?,
        Some("list") => match words.get(1).map(String::as_str) {
            Some(
                what @ ("extensions" | "departments" | "tokens" | "cti/accounts" | "cti/groups"
                | "phonebook/contacts" | "phonebook/groups"),
            ) => {
                if let Some(bad) = words[2..].iter().find(|w| !w.contains('=') || w.contains(['&', '#', ' ']))
                {
                    return Err(UsageError(format!("provision list: {bad:?} is not a filter KEY=VALUE")));
                }
                Verb::List { what: what.to_owned(), filters: words[2..].to_vec() }
            }
            _ => {
                return Err(UsageError(
                    "provision list takes extensions, departments, tokens, cti/accounts, cti/groups, \
                     phonebook/contacts or phonebook/groups"
                        .into(),
                ))
            }
        },
        Some("apply") => need(2, "apply takes a FILE").map(|()| Verb::Apply {
            file: words[1].clone().into(),
            dry_run,
            config,
        })?,
        Some("import") => need(2, "import takes a FILE")
            .map(|()| Verb::Import { file: words[1].clone().into(), dry_run })?,
        Some("export") if csv && config => {
            return Err(UsageError("provision export: the configuration is JSON only".into()))
        }
        Some("export") => need(1, "export takes no argument").map(|()| Verb::Export { csv, config })?,
        Some("call") => need(3, "call takes EXT and NUMBER").map(|()| Verb::Call {
            extension: words[1].clone(),
            number: words[2].clone(),
            mobile,
        })?,
        _ => {
            return Err(UsageError("provision takes get, list, apply, export, import, call or token".into()))
        }
    };
    Ok(Command::Provision(Request { url, token, ca, verb }))
}

/// Runs the command line; what the binary's `main` calls.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let command = match parse(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("webcti: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::Version => {
            // The schema is what `make image` writes into an upgrade file.
            println!("webcti {} (schema {})", env!("CARGO_PKG_VERSION"), crate::store::SCHEMA_VERSION);
            ExitCode::SUCCESS
        }
        Command::Serve { board } => serve(board),
        Command::Provision(request) => match crate::provision::run(&request, &mut std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
        Command::Cti(options) => {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            match runtime.block_on(crate::cti_client::run(&options, &mut std::io::stdout())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
        Command::Sim { listen, traffic, faults } => run_sim(listen, traffic, faults),
        Command::TokenCreate { ref board, .. }
        | Command::TokenList { ref board }
        | Command::TokenRevoke { ref board, .. } => with_tokens(board.clone(), command),
        Command::Backup { board, file } => with_db(board, |db| {
            let report = crate::store::backup::backup(db, &file)?;
            println!("backup written to {}\n{report}", file.display());
            Ok(())
        }),
        Command::Restore { board, file } => with_db(board, |db| {
            match crate::store::backup::restore(db, &file)? {
                Some(kept) => println!(
                    "restored {} into {}; the previous database is {}",
                    file.display(),
                    db.display(),
                    kept.display()
                ),
                None => println!("restored {} into {}", file.display(), db.display()),
            }
            Ok(())
        }),
        Command::Health { board } => health(board),
        Command::Upgrade { board, file, downgrade } => upgrade(board, &file, downgrade),
        Command::Check { board } => with_db(board, |db| {
            let report = crate::store::backup::check(db)?;
            println!("{}\n{report}", db.display());
            if report.is_ok() {
                Ok(())
            } else {
                Err(crate::store::StoreError::Corrupt { path: db.to_path_buf(), detail: report.integrity })
            }
        }),
    }
}

/// `webcti health`: `GET /healthz` on the LAN listener, trusting the device's
/// certificate, as a monitor or the board's init would ask.
fn health(board: Option<PathBuf>) -> ExitCode {
    use crate::provision::wire::{Base, Wire};
    let config = match Config::load(board.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let asked = crate::http::listen::addresses(&config).map_err(|e| e.to_string()).and_then(|addresses| {
        let ip = addresses.first().copied().ok_or("the board names no LAN address")?;
        let url = match ip {
            std::net::IpAddr::V6(v6) => format!("https://[{v6}]:{}", config.lan.https_port),
            v4 => format!("https://{v4}:{}", config.lan.https_port),
        };
        let cert = crate::http::tls::DeviceIdentity::in_data_dir(&config.paths.data_dir).cert;
        let wire = Wire::new(Base::parse(&url).map_err(|e| e.to_string())?, Some(&cert), Vec::new())
            .map_err(|e| e.to_string())?;
        wire.send("GET", "/healthz", None, &[]).map_err(|e| e.to_string())
    });
    match asked {
        Ok(answer) => {
            println!("{} {}", answer.status, String::from_utf8_lossy(&answer.body).trim());
            match answer.status {
                200 => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            }
        }
        Err(e) => fail(format!("the service does not answer: {e}")),
    }
}

/// `webcti upgrade FILE`: new firmware into the other root slot (system::upgrade).
fn upgrade(board: Option<PathBuf>, file: &std::path::Path, downgrade: bool) -> ExitCode {
    use crate::system::upgrade::{install, Request};
    let config = match Config::load(board.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let Some(slots) = &config.upgrade else {
        return fail(format!(
            "the board {:?} has no [upgrade] slots: it is not run from an image",
            config.board.name
        ));
    };
    let data_schema = match crate::store::backup::schema_version(&config.db_path()) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let req = Request { file, board: &config.board.name, data_schema, downgrade };
    match install(slots, &req) {
        Ok(done) => {
            let m = &done.manifest;
            println!(
                "{} ({}, schema {}) is in slot {} ({}); it starts at the next boot: run `reboot`.",
                m.release,
                m.version,
                m.schema,
                done.slot,
                done.device.display()
            );
            println!("If it does not come up, the board starts the firmware it runs now again.");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Runs a database tool on the board's database file.
fn with_db(
    board: Option<PathBuf>,
    f: impl FnOnce(&std::path::Path) -> Result<(), crate::store::StoreError>,
) -> ExitCode {
    let config = match Config::load(board.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match f(&config.db_path()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Runs a token command on the board's database, through the tokens service,
/// as the service itself (only root, or the service user, can open the file).
fn with_tokens(board: Option<PathBuf>, command: Command) -> ExitCode {
    let config = match Config::load(board.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let result = runtime.block_on(async {
        let store = crate::store::Store::open_beside(&config.db_path()).await?;
        let clock = crate::system::clock::Clock::system();
        let tokens = Tokens::new(store.clone(), clock.clone());
        let done = token_command(&tokens, command, clock.now()).await;
        store.close().await?;
        done
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

async fn token_command(
    tokens: &Tokens,
    command: Command,
    now: i64,
) -> Result<(), crate::services::ServiceError> {
    let console = Actor::system();
    match command {
        Command::TokenCreate { name, scopes, days, .. } => {
            let req = TokenRequest { name, scopes, expires_at: days.map(|d| now + d * 86_400) };
            let made = tokens.create(&console, &req).await?;
            eprintln!("token {} made; its secret, shown this once:", made.id);
            println!("{}", made.secret);
        }
        Command::TokenRevoke { id, .. } => {
            tokens.revoke(&console, id).await?;
            println!("token {id} revoked");
        }
        _ => {
            for t in tokens.list(&console).await? {
                let scopes: Vec<String> = t.scopes.iter().map(|s| s.code()).collect();
                let state = match (t.revoked_at, t.in_force) {
                    (Some(_), _) => "revoked",
                    (None, false) => "expired",
                    (None, true) => "in force",
                };
                println!("{}\t{}\t{}\t{state}\tmade by {}", t.id, t.name, scopes.join(" "), t.created_by);
            }
        }
    }
    Ok(())
}

fn serve(board: Option<PathBuf>) -> ExitCode {
    let config = match Config::load(board.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    init_tracing(&config.service.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let result = runtime.block_on(async {
        let (trigger, shutdown) = crate::shutdown::channel();
        crate::system::signals::stop_on_signals(trigger).map_err(anyhow::Error::from)?;
        crate::app::run(config, shutdown).await.map_err(anyhow::Error::from)
    });
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// The simulator on its own, serving the wire protocol on a Unix socket.
fn run_sim(listen: PathBuf, traffic: f64, fault_every: u64) -> ExitCode {
    use crate::sim::{demo, server, traffic as gen, wall_clock, Clock, Sim};
    init_tracing(crate::config::DEFAULT_LOG);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let result = runtime.block_on(async move {
        let (trigger, shutdown) = crate::shutdown::channel();
        crate::system::signals::stop_on_signals(trigger)?;
        let plan = demo::plan();
        let exts: Vec<String> = plan.extensions.iter().map(|e| e.number.clone()).collect();
        let sim = Sim::new(plan, Clock::Real, wall_clock());
        let ticker = sim.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tokio::select! { _ = tick.tick() => ticker.tick(), _ = stop.wait() => return }
            }
        });
        if traffic > 0.0 {
            let config = gen::TrafficConfig { calls_per_minute: traffic, ..Default::default() };
            tokio::spawn(gen::run(sim.clone(), exts, config, wall_clock() as u64, shutdown.clone()));
        }
        let faults = std::sync::Arc::new(server::Faults::default());
        if fault_every > 0 {
            tokio::spawn(server::misbehave(
                faults.clone(),
                fault_every,
                wall_clock() as u64,
                shutdown.clone(),
            ));
        }
        println!("webcti sim: listening on unix:{}", listen.display());
        server::listen_unix(sim, &listen, faults, shutdown).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("webcti: error: {e}");
    ExitCode::FAILURE
}

/// Logs to standard error; `RUST_LOG` overrides the board's level. The filter
/// is a list of targets and levels (`info`, `webcti=debug,hyper=warn`):
/// `Targets`, not `EnvFilter`, whose span and field matching would bring a
/// regular-expression engine into the firmware.
fn init_tracing(board_level: &str) {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let parse = |s: &str| s.parse::<Targets>().ok();
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| parse(&v))
        .or_else(|| parse(board_level))
        .or_else(|| parse(crate::config::DEFAULT_LOG))
        .unwrap_or_default();
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_writer(crate::system::log_line::Stderr { ansi });
    let _ = tracing_subscriber::registry().with(fmt).with(filter).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse(args("")), Ok(Command::Serve { board: None }));
        assert_eq!(parse(args("serve --board b.toml")), Ok(Command::Serve { board: Some("b.toml".into()) }));
        assert_eq!(parse(args("--board=b.toml")), Ok(Command::Serve { board: Some("b.toml".into()) }));
        assert_eq!(parse(args("--help")), Ok(Command::Help));
        assert_eq!(parse(args("backup /b.db")), Ok(Command::Backup { board: None, file: "/b.db".into() }));
        assert_eq!(
            parse(args("restore x --board b")),
            Ok(Command::Restore { board: Some("b".into()), file: "x".into() })
        );
        assert_eq!(parse(args("check")), Ok(Command::Check { board: None }));
        assert_eq!(
            parse(args("sim --listen unix:/tmp/c.sock")),
            Ok(Command::Sim { listen: "/tmp/c.sock".into(), traffic: 0.0, faults: 0 })
        );
        assert_eq!(
            parse(args("sim --listen unix:/s --traffic 12 --faults 30")),
            Ok(Command::Sim { listen: "/s".into(), traffic: 12.0, faults: 30 })
        );
        assert!(parse(args("sim --listen unix:/s --faults 0")).is_err());
        assert!(parse(args("sim")).is_err());
        assert!(parse(args("sim --listen tcp:1")).is_err());
        assert!(parse(args("sim --listen unix:/s --traffic lots")).is_err());
        assert!(parse(args("backup")).is_err());
        assert!(parse(args("check extra")).is_err());
        assert_eq!(parse(args("health")), Ok(Command::Health { board: None }));
        assert_eq!(
            parse(args("upgrade /tmp/n.upgrade")),
            Ok(Command::Upgrade { board: None, file: "/tmp/n.upgrade".into(), downgrade: false })
        );
        assert_eq!(
            parse(args("upgrade n.upgrade --downgrade --board b")),
            Ok(Command::Upgrade { board: Some("b".into()), file: "n.upgrade".into(), downgrade: true })
        );
        assert!(parse(args("upgrade")).is_err());
        assert!(parse(args("check --downgrade")).is_err());
        assert!(parse(args("upgrade a b")).is_err());
        assert!(parse(args("frobnicate")).is_err());
        assert!(parse(args("serve --nope")).is_err());
        assert!(parse(args("serve --board")).is_err());
        assert_eq!(
            parse(args("token create --name ci --scope read,calls:write --scope write --days 30")),
            Ok(Command::TokenCreate {
                board: None,
                name: "ci".into(),
                scopes: vec!["read".into(), "calls:write".into(), "write".into()],
                days: Some(30),
            })
        );
        assert_eq!(parse(args("token list --board b")), Ok(Command::TokenList { board: Some("b".into()) }));
        assert_eq!(parse(args("token revoke 7")), Ok(Command::TokenRevoke { board: None, id: 7 }));
        assert!(parse(args("token create --scope read")).is_err(), "a name is needed");
        assert!(parse(args("token create --name x --days 0")).is_err());
        assert!(parse(args("token revoke seven")).is_err());
        assert!(parse(args("token revoke")).is_err());
        assert!(parse(args("token")).is_err());
        assert!(parse(args("token burn")).is_err());
    }

    #[test]
    fn provision_command_lines() {
        use crate::provision::{Request, Verb};
        let request = |verb| Ok(Command::Provision(Request { url: None, token: None, ca: None, verb }));
        assert_eq!(
            parse(args("provision apply x.toml --dry-run")),
            request(Verb::Apply { file: "x.toml".into(), dry_run: true, config: false })
        );
        assert_eq!(parse(args("provision get extensions/100")), request(Verb::Get("extensions/100".into())));
        assert_eq!(
            parse(args("provision list extensions department=2 q=an")),
            request(Verb::List {
                what: "extensions".into(),
                filters: vec!["department=2".into(), "q=an".into()]
            })
        );
        assert_eq!(parse(args("provision export --csv")), request(Verb::Export { csv: true, config: false }));
        assert_eq!(
            parse(args("provision export --config")),
            request(Verb::Export { csv: false, config: true })
        );
        assert_eq!(
            parse(args("provision apply old.json --config")),
            request(Verb::Apply { file: "old.json".into(), dry_run: false, config: true })
        );
        assert!(matches!(parse(args("provision export --config --csv")), Err(UsageError(_))));
        assert_eq!(
            parse(args("provision call 100 0221234567 --mobile")),
            request(Verb::Call { extension: "100".into(), number: "0221234567".into(), mobile: true })
        );
        assert_eq!(
            parse(args("provision --url https://pbx:8443 --token t --ca c.crt import f.csv")),
            Ok(Command::Provision(Request {
                url: Some("https://pbx:8443".into()),
                token: Some("t".into()),
                ca: Some("c.crt".into()),
                verb: Verb::Import { file: "f.csv".into(), dry_run: false },
            }))
        );
        assert_eq!(parse(args("provision token revoke 3")), Ok(Command::TokenRevoke { board: None, id: 3 }));
        for bad in [
            "provision",
            "provision get",
            "provision list phones",
            "provision list extensions department",
            "provision list extensions a=1&b=2",
            "provision apply",
            "provision export extra",
            "provision call 100",
            "provision frobnicate",
            "provision get x --board b",
        ] {
            assert!(parse(args(bad)).is_err(), "{bad}");
        }
    }
}
