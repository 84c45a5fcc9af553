//! The wire protocol between the service and the switching core, versions 1 to 5.
//!
//! Messages are postcard-encoded and sent as COBS frames, each ended by a zero
//! byte ([`super::frame`]). A session starts with `Hello` both ways (protocol
//! version, client name; the core's board identity). The service sends requests
//! with ids; the core answers each id once, with a reply or a typed error. The
//! core's events carry sequence numbers; finished calls arrive as `Cdr` events
//! and stay with the core until the service acknowledges their record ids, which
//! it does only after they are committed. Both sides send heartbeats; a side that
//! hears nothing for three intervals treats the link as stalled.
//!
//! Every message is pinned by a golden-byte test in `tests/golden.rs`. A change of
//! the encoding is a new protocol version, never an edit of a golden test. Enums
//! are encoded by variant index: new variants go at the end, and a new version.
//! `docs/protocol.md` lists the messages and sequences.

use serde::{Deserialize, Serialize};

mod records;
pub use records::{
    Band, Cdr, Direction, Disposition, ExtensionProgram, ForwardRule, Language, Rate, Restriction, RuleCalls,
    RulePresentation, RuleTarget, RuleWhen, Tariff,
};

/// Version 1, the first released: every message below but `Announcements`, in
/// frames of at most [`MAX_FRAME_V1`]. Its golden tests (`tests/golden.rs`) pin
/// this name and are never edited.
pub const PROTOCOL_VERSION: u16 = 1;
pub const PROTOCOL_V1: u16 = PROTOCOL_VERSION;
/// Version 2 adds the `Announcements` command and reply, and frames up to
/// [`MAX_FRAME`] (`tests/golden_v2.rs`).
pub const PROTOCOL_V2: u16 = 2;
/// Version 3 adds the `Licences` command and reply (the CTI licences the core
/// holds) and the `PhoneChanged` event (a service code keyed in at a phone)
/// (`tests/golden_v3.rs`).
pub const PROTOCOL_V3: u16 = 3;
/// Version 4 adds the mailbox's commands: a message's audio in chunks
/// (`VoicemailAudio`, answered by `Reply::Audio`), marking a message heard and
/// deleting it, and the `NoSuchMessage` error (`tests/golden_v4.rs`).
pub const PROTOCOL_V4: u16 = 4;
/// Version 5 adds call costs: the `Tariff` the core meters calls by, each
/// extension's `Credit`, the `CreditLow` and `CreditCleared` events, and the
/// `NoCredit` error (`tests/golden_v5.rs`).
pub const PROTOCOL_V5: u16 = 5;
/// The newest version this program speaks. Each side's hello names the newest it
/// speaks; the core answers with the version of the session, the lower of the two.
pub const NEWEST_VERSION: u16 = PROTOCOL_V5;
/// The most audio bytes one `Reply::Audio` carries: it fits a frame with room.
pub const MAX_AUDIO_CHUNK: u32 = 16 * 1024;
/// The largest encoded frame either side accepts, zero byte excluded (version
/// 2): a line snapshot of a few thousand extensions fits. Both sides accept it
/// whatever the session's version.
pub const MAX_FRAME: usize = 32 * 1024;
/// The largest frame of version 1.
pub const MAX_FRAME_V1: usize = 2048;

/// The version two sides speak, given the newest each speaks: `None` if they
/// have none in common.
pub fn negotiate(ours: u16, theirs: u16) -> Option<u16> {
    let v = ours.min(theirs);
    (v >= PROTOCOL_V1).then_some(v)
}

impl Command {
    /// The first protocol version that has this command.
    pub fn since(&self) -> u16 {
        match self {
            Command::Announcements => PROTOCOL_V2,
            Command::Licences => PROTOCOL_V3,
            Command::VoicemailAudio { .. }
            | Command::VoicemailHeard { .. }
            | Command::VoicemailDelete { .. } => PROTOCOL_V4,
            Command::Tariff { .. } | Command::Credit { .. } => PROTOCOL_V5,
            _ => PROTOCOL_V1,
        }
    }
}
/// Heartbeats are sent this often; three missed ones mean the link is stalled.
pub const HEARTBEAT_MS: u64 = 1000;

/// A subscriber's extension number (digits).
pub type Ext = String;
/// The core's id of a live call.
pub type CallId = u32;

/// From the service to the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToCore {
    Hello {
        version: u16,
        client: String,
    },
    Request {
        id: u32,
        command: Command,
    },
    /// These CDRs are committed: the core may forget them.
    AckCdrs {
        record_ids: Vec<u64>,
    },
    Heartbeat {
        seq: u32,
    },
}

/// From the core to the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FromCore {
    Hello {
        version: u16,
        board: BoardIdentity,
    },
    Reply {
        id: u32,
        result: Result<Reply, ErrorKind>,
    },
    Event {
        seq: u64,
        event: Event,
    },
    Heartbeat {
        seq: u32,
    },
    /// The core will not talk to this client (for example, another version).
    Refused {
        reason: String,
    },
}

/// What the core says about itself in its hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardIdentity {
    pub model: String,
    pub serial: String,
    pub firmware: String,
}

/// What the service asks the core to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Ring the extension; when it answers, dial the number.
    Dial {
        ext: Ext,
        number: String,
    },
    /// Ring the subscriber's MobilePhone; when it answers, dial the number.
    DialViaMobile {
        ext: Ext,
        number: String,
    },
    Answer {
        ext: Ext,
        call: CallId,
    },
    Clear {
        ext: Ext,
        call: CallId,
    },
    Hold {
        ext: Ext,
        call: CallId,
    },
    Retrieve {
        ext: Ext,
        call: CallId,
    },
    /// Put `call` on hold and dial `number` for a consultation.
    Consult {
        ext: Ext,
        call: CallId,
        number: String,
    },
    /// Connect the held call with the consultation call and drop out.
    Transfer {
        ext: Ext,
        held: CallId,
        active: CallId,
    },
    /// Join the held call and the consultation call into a conference.
    Conference {
        ext: Ext,
        held: CallId,
        active: CallId,
    },
    /// Take a call that is ringing at `target`.
    Pickup {
        ext: Ext,
        target: Ext,
    },
    /// Send a call ringing at `ext` elsewhere before it is answered.
    Deflect {
        ext: Ext,
        call: CallId,
        number: String,
    },
    /// Program everything the core keeps for one extension.
    Program {
        ext: Ext,
        program: Box<ExtensionProgram>,
    },
    /// The state of every line.
    Snapshot,
    /// The announcements the core can play to callers of an extension in DND.
    Announcements,
    /// The CTI licences the core holds (version 3).
    Licences,
    /// Up to `len` bytes (at most [`MAX_AUDIO_CHUNK`]) of the recording of
    /// message `record_id` in `ext`'s mailbox, from `offset`; a RIFF WAVE file
    /// (version 4).
    VoicemailAudio {
        ext: Ext,
        record_id: u64,
        offset: u32,
        len: u32,
    },
    /// The message was listened to elsewhere (the portal): the core's message
    /// lamp counts it heard (version 4).
    VoicemailHeard {
        ext: Ext,
        record_id: u64,
    },
    /// The message goes from the mailbox (version 4).
    VoicemailDelete {
        ext: Ext,
        record_id: u64,
    },
    /// The tariff the core meters outgoing calls by from now on; calls going
    /// on keep the rate they started with (version 5).
    Tariff {
        tariff: Box<Tariff>,
    },
    /// What `ext`'s calls may still spend, in cents, as of the call record
    /// `as_of` (every record up to it is counted in `credit`; the core takes
    /// off the cost of its later ones itself). `None`: not limited. The core
    /// keeps the last credit while the link is down (version 5).
    Credit {
        ext: Ext,
        credit: Option<i64>,
        as_of: u64,
    },
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Done,
    Call {
        call: CallId,
    },
    Snapshot {
        lines: Vec<LineInfo>,
    },
    Announcements {
        list: Vec<Announcement>,
    },
    Licences {
        list: Vec<Licence>,
    },
    /// Bytes of a recording from the offset asked for, and the recording's
    /// whole length (version 4).
    Audio {
        total: u32,
        bytes: Vec<u8>,
    },
}

/// A CTI function the core licenses per extension (version 3). New functions
/// need a new protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CtiFunction {
    /// Calls placed from a desktop client or a `tel:` link.
    Dialer,
    /// The popup of an incoming call, with the caller's name.
    Popups,
    /// The busy-lamp field: other lines' states and presence.
    Monitor,
    /// Answering, holding, transferring and conferencing from a client.
    CallControl,
}

/// How many extensions the core lets use one CTI function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    pub function: CtiFunction,
    pub count: u16,
}

/// One announcement the core holds, by the number programs refer to it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub id: u16,
    pub name: String,
}

/// Why the core refused a command. Non-exhaustive by version: new kinds need a
/// new protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    UnknownExtension,
    InvalidNumber,
    NoSuchCall,
    Busy,
    /// Outgoing restriction or phone lock.
    Restricted,
    NotAllowed,
    NoMobileNumber,
    Malformed,
    Unavailable,
    /// No such message in that mailbox (version 4).
    NoSuchMessage,
    /// The extension's credit does not cover the start of the call (version 5).
    NoCredit,
}

/// A line's state as the busy-lamp field shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineState {
    Idle,
    Ringing,
    Dialling,
    Busy,
    Held,
    Unreachable,
    Dnd,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInfo {
    pub ext: Ext,
    pub state: LineState,
}

/// How a call is getting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// Something that happened in the exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Line {
        ext: Ext,
        state: LineState,
    },
    Call {
        call: CallId,
        progress: Progress,
        from: String,
        to: String,
        at: Ext,
    },
    /// A finished call, one subscriber's side of it; kept by the core until acknowledged.
    Cdr(Cdr),
    VoicemailDeposited {
        record_id: u64,
        ext: Ext,
        caller: String,
        at: i64,
        duration_secs: u32,
    },
    VoicemailHeard {
        record_id: u64,
        ext: Ext,
    },
    /// The subscriber changed his program at the phone, and the core made the
    /// change (version 3).
    PhoneChanged {
        ext: Ext,
        change: PhoneChange,
    },
    /// A call of `ext`'s goes on, and the credit left covers less than a
    /// minute more of it (version 5).
    CreditLow {
        ext: Ext,
        call: CallId,
        credit: i64,
    },
    /// The core cleared a call of `ext`'s: its credit did not cover the next
    /// block (version 5).
    CreditCleared {
        ext: Ext,
        call: CallId,
    },
}

impl Event {
    /// The first protocol version that has this event: a core sends none newer
    /// than the session's.
    pub fn since(&self) -> u16 {
        match self {
            Event::PhoneChanged { .. } => PROTOCOL_V3,
            Event::CreditLow { .. } | Event::CreditCleared { .. } => PROTOCOL_V5,
            _ => PROTOCOL_V1,
        }
    }
}

/// What a service code changed (version 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PhoneChange {
    ForwardAlways { number: Option<String> },
    Dnd { on: bool },
}

impl From<PhoneChange> for crate::domain::program::PhoneChange {
    fn from(c: PhoneChange) -> Self {
        use crate::domain::program::PhoneChange as D;
        match c {
            PhoneChange::ForwardAlways { number } => D::ForwardAlways(number),
            PhoneChange::Dnd { on } => D::Dnd(on),
        }
    }
}

impl From<crate::domain::program::PhoneChange> for PhoneChange {
    fn from(c: crate::domain::program::PhoneChange) -> Self {
        use crate::domain::program::PhoneChange as D;
        match c {
            D::ForwardAlways(number) => PhoneChange::ForwardAlways { number },
            D::Dnd(on) => PhoneChange::Dnd { on },
        }
    }
}

/// The wire's line states and call progress are the protocol's own; these turn
/// them into the service's (`domain::line`).
impl From<LineState> for crate::domain::line::LineState {
    fn from(s: LineState) -> Self {
        use crate::domain::line::LineState as D;
        match s {
            LineState::Idle => D::Idle,
            LineState::Ringing => D::Ringing,
            LineState::Dialling => D::Dialling,
            LineState::Busy => D::Busy,
            LineState::Held => D::Held,
            LineState::Unreachable => D::Unreachable,
            LineState::Dnd => D::Dnd,
        }
    }
}

impl From<CtiFunction> for crate::domain::licence::CtiFunction {
    fn from(f: CtiFunction) -> Self {
        use crate::domain::licence::CtiFunction as D;
        match f {
            CtiFunction::Dialer => D::Dialer,
            CtiFunction::Popups => D::Popups,
            CtiFunction::Monitor => D::Monitor,
            CtiFunction::CallControl => D::CallControl,
        }
    }
}

impl From<crate::domain::licence::CtiFunction> for CtiFunction {
    fn from(f: crate::domain::licence::CtiFunction) -> Self {
        use crate::domain::licence::CtiFunction as D;
        match f {
            D::Dialer => CtiFunction::Dialer,
            D::Popups => CtiFunction::Popups,
            D::Monitor => CtiFunction::Monitor,
            D::CallControl => CtiFunction::CallControl,
        }
    }
}

impl From<Progress> for crate::domain::line::Progress {
    fn from(p: Progress) -> Self {
        use crate::domain::line::Progress as D;
        match p {
            Progress::Dialling => D::Dialling,
            Progress::Ringing => D::Ringing,
            Progress::Answered => D::Answered,
            Progress::Held => D::Held,
            Progress::Retrieved => D::Retrieved,
            Progress::Transferred => D::Transferred,
            Progress::Conferenced => D::Conferenced,
            Progress::Forwarded => D::Forwarded,
            Progress::Cleared => D::Cleared,
        }
    }
}
