//! What the product does, between the HTTP edge and the store and core: each
//! module is one service with its rules; none runs SQL or builds frames itself.

pub mod auth;
pub mod bus;
pub mod demo;
pub mod intake;
pub mod mail;
pub mod password;
pub mod reset;
pub mod resync;
pub mod retention;
pub mod sessions;
pub mod throttle;
