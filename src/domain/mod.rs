//! Pure rules and types of the exchange's domain: no I/O here, so everything can
//! be tested with tables of cases.

pub mod cdr;
pub mod program;
pub mod routing;
pub mod time;
