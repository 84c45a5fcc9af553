//! Pure rules and types of the exchange's domain: no I/O and no clock of its own
//! here, so everything can be tested with tables of cases.

pub mod access;
pub mod account;
pub mod callback;
pub mod cdr;
pub mod certificate;
mod codes;
pub mod cti;
pub mod dialplan;
pub mod directory;
pub mod group;
pub mod journal;
pub mod licence;
pub mod line;
pub mod mail;
pub mod number;
pub mod phonebook;
pub mod presence;
pub mod program;
pub mod routing;
pub mod settings;
pub mod tariff;
pub mod time;
pub mod token;
pub mod totp;
pub mod voicemail;
