//! Lines and calls as views see them: a line's state in the busy-lamp field and
//! how a live call is getting on. The wire protocol has its own forms of these
//! (`hal::proto`); this is what the rest of the service reasons with.

use super::codes::codes;

/// The exchange's id of a live call.
pub type CallId = u32;

/// A line's state as the busy-lamp field shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineState {
    Idle,
    Ringing,
    Dialling,
    Busy,
    Held,
    Unreachable,
    Dnd,
}

codes!(LineState {
    Idle => "idle", Ringing => "ringing", Dialling => "dialling", Busy => "busy", Held => "held",
    Unreachable => "unreachable", Dnd => "dnd",
});

/// How a call is getting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Dialling,
    Ringing,
    Answered,
    Held,
    Retrieved,
    Transferred,
    Conferenced,
    Forwarded,
    Cleared,
}

codes!(Progress {
    Dialling => "dialling", Ringing => "ringing", Answered => "answered", Held => "held",
    Retrieved => "retrieved", Transferred => "transferred", Conferenced => "conferenced",
    Forwarded => "forwarded", Cleared => "cleared",
});

/// One line and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo {
    pub ext: String,
    pub state: LineState,
}
