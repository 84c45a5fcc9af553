//! The `webcti` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    webcti::cli::main(std::env::args_os().skip(1).collect())
}
