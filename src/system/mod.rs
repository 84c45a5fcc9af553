//! What the process asks of the operating system: dropping root after binding,
//! feeding the hardware watchdog, the clock, the stop signals, durable files, randomness,
//! the log's writer and new firmware into the other root slot.

pub mod clock;
pub mod files;
pub mod log_line;
pub mod privileges;
pub mod random;
pub mod signals;
pub mod upgrade;
pub mod watchdog;
