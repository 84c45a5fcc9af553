//! The command line: `webcti [serve]`, and the tools beside it.
//!
//! Every subcommand takes `--board PATH`; without it the embedded simulated board
//! (`board/sim/board.toml`) is used, so `webcti` runs on a developer's PC as is.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;

const USAGE: &str = "\
usage: webcti [COMMAND] [--board PATH]

commands:
  serve      run the service (the default)
  help       show this text
  version    show the version

options:
  --board PATH   the board file (default: the embedded simulated board)
";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve { board: Option<PathBuf> },
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
    let mut parser = lexopt::Parser::from_args(args);
    let mut command: Option<String> = None;
    let mut board = None;
    let usage = |e: lexopt::Error| UsageError(e.to_string());
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Long("board") => board = Some(PathBuf::from(parser.value().map_err(usage)?)),
            Long("help") | Short('h') => return Ok(Command::Help),
            Long("version") | Short('V') => return Ok(Command::Version),
            Value(v) if command.is_none() => {
                command = Some(
                    v.into_string()
                        .map_err(|_| UsageError("the command is not UTF-8".into()))?,
                )
            }
            other => return Err(usage(other.unexpected())),
        }
    }
    match command.as_deref() {
        None | Some("serve") => Ok(Command::Serve { board }),
        Some("help") => Ok(Command::Help),
        Some("version") => Ok(Command::Version),
        Some(other) => Err(UsageError(format!("unknown command {other:?}"))),
    }
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
            println!("webcti {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Serve { board } => serve(board),
    }
}

fn serve(board: Option<PathBuf>) -> ExitCode {
    let config = match Config::load(board.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    init_tracing(&config.service.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let result = runtime.block_on(async {
        let (trigger, shutdown) = crate::shutdown::channel();
        crate::system::signals::stop_on_signals(trigger).map_err(anyhow::Error::from)?;
        crate::app::run(config, shutdown)
            .await
            .map_err(anyhow::Error::from)
    });
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("webcti: error: {e}");
    ExitCode::FAILURE
}

/// Logs to standard error; `RUST_LOG` overrides the board's level.
fn init_tracing(board_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(board_level))
        .unwrap_or_else(|_| EnvFilter::new(crate::config::DEFAULT_LOG));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
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
        assert_eq!(
            parse(args("serve --board b.toml")),
            Ok(Command::Serve {
                board: Some("b.toml".into())
            })
        );
        assert_eq!(
            parse(args("--board=b.toml")),
            Ok(Command::Serve {
                board: Some("b.toml".into())
            })
        );
        assert_eq!(parse(args("--help")), Ok(Command::Help));
        assert!(parse(args("frobnicate")).is_err());
        assert!(parse(args("serve --nope")).is_err());
        assert!(parse(args("serve --board")).is_err());
    }
}
