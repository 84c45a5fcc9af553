//! webcti: the service inside a PBX appliance.
//!
//! It keeps subscribers' settings and call records in SQLite on the board's flash
//! ([`store`]), drives the switching core through a hardware abstraction layer
//! ([`hal`]), serves the WebCTI portal and the JSON API over HTTPS ([`http`]), and
//! runs as one unprivileged process that feeds the board's watchdog ([`system`]).
//! [`app`] wires these together; [`cli`] is what the binary calls.
//!
//! See `ARCHITECTURE.md` for the code map and the invariants.
#![deny(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod cti_client;
pub mod demo;
pub mod domain;
pub mod hal;
pub mod http;
pub mod i18n;
pub mod packed;
pub mod phonebook;
pub mod provision;
pub mod services;
pub mod shutdown;
pub mod sim;
pub mod store;
pub mod system;
pub mod websocket;
