//! What the process asks of the operating system: dropping root after binding,
//! feeding the hardware watchdog, the clock, the stop signals, durable files and randomness.

pub mod clock;
pub mod files;
pub mod privileges;
pub mod random;
pub mod signals;
pub mod watchdog;
