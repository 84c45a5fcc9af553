//! The simulated exchange: extensions with phones, trunks to external numbers, a
//! voicemail system, hunt groups, and calls that ring, are answered, held,
//! transferred, forwarded and cleared, with the CDRs a real core would write.
//!
//! It is a plain state machine: commands and phone actions go in, events come out
//! of [`Exchange::drain_events`], and time moves only when [`Exchange::advance_to`]
//! is called, so tests control it exactly. Routing decisions come from
//! [`crate::domain::routing`], the same rules the preview shows.

use std::collections::{BTreeMap, VecDeque};

use super::recording;
use crate::domain::cdr::{Cdr, Direction, Disposition};
use crate::domain::number::{dial_on_behalf, is_dialable};
use crate::domain::program::{ExtensionProgram, PhoneChange};
use crate::domain::routing::{self, CallerInfo, Decision, LineCondition};
use crate::domain::tariff::{Meter, Tariff};
use crate::hal::proto::{
    Announcement, CallId, Command, CtiFunction, ErrorKind, Event, Licence, LineInfo, LineState, Progress,
    Reply, MAX_AUDIO_CHUNK,
};

/// Unacknowledged CDRs the core keeps; beyond this the oldest are dropped and counted.
pub const CDR_BUFFER: usize = 10_000;
/// The announcements this exchange plays to callers of an extension in DND.
pub const ANNOUNCEMENTS: &[(u16, &str)] = &[
    (0, "The subscriber does not wish to be disturbed"),
    (1, "The subscriber is in a meeting"),
    (2, "The subscriber is away; please call again later"),
    (3, "The subscriber is on holiday"),
    (4, "The office is closed"),
];

/// The CTI licences this exchange holds unless told otherwise: how many
/// extensions may use each function.
pub const LICENCES: &[(CtiFunction, u16)] = &[
    (CtiFunction::Dialer, 32),
    (CtiFunction::Popups, 32),
    (CtiFunction::Monitor, 16),
    (CtiFunction::CallControl, 8),
];

/// Seconds an extension rings before the no-answer rules apply, unless programmed.
pub const DEFAULT_NO_ANSWER_SECS: u16 = 20;

/// One extension as the simulator starts with it.
#[derive(Debug, Clone)]
pub struct SimExtension {
    pub number: String,
    pub name: String,
}

/// How a call ended, as the exchange records it (its cause of clearing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Somebody answered; then it was cleared.
    Answered,
    /// The caller left a message in this extension's voicemail.
    Voicemail(String),
    /// The call went to this extension's fax-to-mail service.
    FaxToMail(String),
    /// The caller heard this DND announcement.
    Announcement(u16),
    BusyTone,
    /// Nobody answered and nothing else was set.
    NoAnswer,
    /// Cleared before anyone answered (the caller hung up, or it was refused).
    Cleared,
    /// This extension's forwarding went to a number its restriction or phone
    /// lock does not allow: the exchange refused to dial it.
    ForwardRefused(String),
    /// The paying extension's credit did not cover the start of the call.
    NoCredit,
    /// Answered, then cleared by the exchange when the credit ran out.
    CreditRanOut,
}

/// Endings the exchange remembers.
const ENDINGS_KEPT: usize = 1024;

/// The exchange's numbering plan.
#[derive(Debug, Clone)]
pub struct Plan {
    pub extensions: Vec<SimExtension>,
    /// Hunt groups: a number that rings all its members at once.
    pub groups: Vec<(String, Vec<String>)>,
    /// The voicemail system's number.
    pub voicemail: String,
    /// Dialled numbers starting with this go out over a trunk.
    pub outside_prefix: String,
}

#[derive(Debug, Clone)]
struct Line {
    program: ExtensionProgram,
    reachable: bool,
    /// Calls this line takes part in (ringing, connected or held).
    calls: Vec<CallId>,
}

/// One side of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Party {
    Ext(String),
    External(String),
    Voicemail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Click-to-dial: the subscriber's own phone (or MobilePhone) rings first.
    Callback,
    Ringing,
    Connected,
}

#[derive(Debug, Clone)]
struct Call {
    id: CallId,
    a: Party,
    /// What was dialled.
    number: String,
    /// Who is ringing, or who answered (one entry once connected).
    b: Vec<Party>,
    stage: Stage,
    caller: CallerInfo,
    started_at: i64,
    answered_at: Option<i64>,
    ring_deadline: Option<i64>,
    /// The extension the call was meant for, before forwarding; and who else rang.
    rang: Vec<String>,
    /// Click-to-dial: the number to dial once the subscriber answers.
    then_dial: Option<String>,
    held: bool,
    /// "MobilePhone first": the subscriber takes part from this number.
    via_mobile: Option<String>,
    /// Extensions that were busy for this call.
    busy_at: Vec<String>,
    voicemail_listen: bool,
    ended_in_voicemail: bool,
    /// Call-as: the number the called party sees instead of the caller's own.
    presented: Option<String>,
    ending: Option<Ending>,
    /// An outgoing call over a trunk, priced by the tariff as it goes on.
    meter: Option<Metered>,
}

/// A call's running price: who pays, by which meter, how much of it is paid.
#[derive(Debug, Clone)]
struct Metered {
    payer: String,
    meter: Meter,
    /// Seconds of talk paid for: the block being talked in is paid when it begins.
    paid_to: u32,
    warned: bool,
}

/// Costs of finished calls the service has not yet counted in a credit it
/// programmed, at most this many (the oldest go first).
pub const BOOKED_MAX: usize = CDR_BUFFER;

/// The simulated switching core's state.
pub struct Exchange {
    plan: Plan,
    lines: BTreeMap<String, Line>,
    calls: BTreeMap<CallId, Call>,
    now: i64,
    next_call: CallId,
    next_record: u64,
    events: Vec<Event>,
    endings: std::collections::VecDeque<(CallId, Ending)>,
    unacked: VecDeque<Cdr>,
    dropped_cdrs: u64,
    /// Wake-up calls already rung today (extension, minute of day).
    woken: Vec<(String, u16)>,
    /// The board's time zone: wake-up times are local times.
    time_zone: jiff::tz::TimeZone,
    /// The CTI licences it reports.
    licences: Vec<Licence>,
    /// The messages in the mailboxes, by record id (their recordings are made
    /// when asked for: `super::recording`).
    mailbox: BTreeMap<u64, Message>,
    /// What outgoing calls cost, as the service programmed it (free until then),
    /// and the zone its off-peak bands are local times of.
    tariff: Tariff,
    tariff_zone: jiff::tz::TimeZone,
    /// The credit of each limited extension as last programmed.
    credits: BTreeMap<String, i64>,
    /// (record id, extension, cost) of finished calls not yet counted in a
    /// programmed credit.
    booked: VecDeque<(u64, String, i64)>,
}

/// A message in a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    ext: String,
    secs: u32,
    heard: bool,
}

/// Messages one mailbox keeps; a new one beyond them replaces the oldest.
const MAILBOX: usize = 100;

impl Exchange {
    pub fn new(plan: Plan, now: i64) -> Exchange {
        let lines = plan
            .extensions
            .iter()
            .map(|e| {
                let program = ExtensionProgram {
                    no_answer_secs: DEFAULT_NO_ANSWER_SECS,
                    call_waiting: false,
                    ..Default::default()
                };
                (e.number.clone(), Line { program, reachable: true, calls: Vec::new() })
            })
            .collect();
        Exchange {
            plan,
            lines,
            calls: BTreeMap::new(),
            now,
            next_call: 1,
            // Record ids must never repeat, not even across restarts of the
            // simulator (a real core keeps its counter): they start from the clock.
            next_record: (now.max(1) as u64) << 16,
            events: Vec::new(),
            endings: std::collections::VecDeque::new(),
            unacked: VecDeque::new(),
            dropped_cdrs: 0,
            licences: LICENCES.iter().map(|&(function, count)| Licence { function, count }).collect(),
            woken: Vec::new(),
            time_zone: jiff::tz::TimeZone::UTC,
            mailbox: BTreeMap::new(),
            tariff: Tariff::default(),
            tariff_zone: jiff::tz::TimeZone::UTC,
            credits: BTreeMap::new(),
            booked: VecDeque::new(),
        }
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// Events since the last call, in order.
    pub fn drain_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// CDRs not yet acknowledged, oldest first: sent again after a reconnect.
    pub fn unacked_cdrs(&self) -> Vec<Cdr> {
        self.unacked.iter().cloned().collect()
    }

    pub fn unacked_len(&self) -> usize {
        self.unacked.len()
    }

    pub fn dropped_cdrs(&self) -> u64 {
        self.dropped_cdrs
    }

    /// Forgets acknowledged CDRs; and the costs of an unlimited extension's
    /// calls among them (a limited one's go when a credit counts them).
    pub fn ack(&mut self, record_ids: &[u64]) {
        self.unacked.retain(|c| !record_ids.contains(&c.core_id));
        let credits = &self.credits;
        self.booked.retain(|(id, ext, _)| credits.contains_key(ext) || !record_ids.contains(id));
    }

    /// What `ext`'s calls may still spend: its programmed credit less the
    /// costs of its finished calls not counted in it and what its calls going
    /// on have taken. `None`: not limited.
    pub fn credit(&self, ext: &str) -> Option<i64> {
        let programmed = *self.credits.get(ext)?;
        let booked: i64 = self.booked.iter().filter(|(_, e, _)| e == ext).map(|(_, _, c)| c).sum();
        let running: i64 = self
            .calls
            .values()
            .filter_map(|c| c.meter.as_ref())
            .filter(|m| m.payer == ext)
            .map(|m| m.meter.cost(m.paid_to))
            .sum();
        Some(programmed - booked - running)
    }

    /// Whether `ext`'s credit covers the start of a call to `number` now.
    fn credit_allows(&self, ext: &str, number: &str) -> bool {
        match (self.credit(ext), self.tariff.meter(number, self.now, &self.tariff_zone)) {
            (Some(credit), Some(meter)) => credit >= meter.first_charge(),
            _ => true,
        }
    }

    pub fn line_state(&self, ext: &str) -> Option<LineState> {
        self.lines.get(ext).map(|l| self.state_of(ext, l))
    }

    pub fn program(&self, ext: &str) -> Option<&ExtensionProgram> {
        self.lines.get(ext).map(|l| &l.program)
    }

    /// The live calls an extension takes part in.
    pub fn calls_of(&self, ext: &str) -> Vec<CallId> {
        self.lines.get(ext).map(|l| l.calls.clone()).unwrap_or_default()
    }

    /// Who a call is connected to or ringing at, as numbers.
    /// How a call ended, for the last thousand calls.
    pub fn ending(&self, call: CallId) -> Option<Ending> {
        self.endings.iter().find(|(id, _)| *id == call).map(|(_, e)| e.clone())
    }

    pub fn call_parties(&self, call: CallId) -> Option<(String, Vec<String>)> {
        self.calls.get(&call).map(|c| (party_number(&c.a), c.b.iter().map(party_number).collect()))
    }

    fn state_of(&self, ext: &str, l: &Line) -> LineState {
        if !l.reachable {
            return LineState::Unreachable;
        }
        let calls: Vec<&Call> = l.calls.iter().filter_map(|id| self.calls.get(id)).collect();
        if calls.iter().any(|c| c.stage == Stage::Connected && !c.held && involves(c, ext)) {
            return LineState::Busy;
        }
        if calls.iter().any(|c| c.held) {
            return LineState::Held;
        }
        let me = Party::Ext(ext.to_owned());
        if calls.iter().any(|c| c.b.contains(&me) || (c.stage == Stage::Callback && c.via_mobile.is_none())) {
            return LineState::Ringing;
        }
        if calls.iter().any(|c| c.a == me && c.stage == Stage::Ringing) {
            return LineState::Dialling;
        }
        if l.program.dnd.is_some() {
            return LineState::Dnd;
        }
        LineState::Idle
    }

    fn emit_line(&mut self, ext: &str) {
        if let Some(state) = self.line_state(ext) {
            self.events.push(Event::Line { ext: ext.to_owned(), state });
        }
    }

    fn emit_call(&mut self, id: CallId, progress: Progress, at: &str) {
        if let Some(c) = self.calls.get(&id) {
            // A caller who withholds his number (CLIR) is presented to the
            // called side without it, as on its phone's display.
            let own = ext_of(&c.a) == Some(at);
            let from = if c.caller.withheld && !own { String::new() } else { party_number(&c.a) };
            let ev = Event::Call { call: id, progress, from, to: c.number.clone(), at: at.to_owned() };
            self.events.push(ev);
        }
    }

    // ---- Commands from the service. ----

    /// Carries out one command, as the core would.
    pub fn handle(&mut self, command: Command) -> Result<Reply, ErrorKind> {
        match command {
            Command::Dial { ext, number } => self.click_to_dial(&ext, &number, false),
            Command::DialViaMobile { ext, number } => self.click_to_dial(&ext, &number, true),
            Command::Answer { ext, call } => self.answer_call(&ext, call).map(|_| Reply::Done),
            Command::Clear { ext, call } => self.clear_call(&ext, call).map(|_| Reply::Done),
            Command::Hold { ext, call } => self.hold(&ext, call, true).map(|_| Reply::Done),
            Command::Retrieve { ext, call } => self.hold(&ext, call, false).map(|_| Reply::Done),
            Command::Consult { ext, call, number } => {
                self.hold(&ext, call, true)?;
                self.dial(&ext, &number).map(|call| Reply::Call { call })
            }
            Command::Transfer { ext, held, active } => self.transfer(&ext, held, active).map(|_| Reply::Done),
            Command::Conference { ext, held, active } => {
                self.conference(&ext, held, active).map(|_| Reply::Done)
            }
            Command::Pickup { ext, target } => self.pickup(&ext, &target).map(|call| Reply::Call { call }),
            Command::Deflect { ext, call, number } => self.deflect(&ext, call, &number).map(|_| Reply::Done),
            Command::Program { ext, program } => {
                let line = self.lines.get_mut(&ext).ok_or(ErrorKind::UnknownExtension)?;
                line.program = (*program).into();
                self.emit_line(&ext);
                Ok(Reply::Done)
            }
            Command::Snapshot => {
                let lines = self
                    .lines
                    .iter()
                    .map(|(ext, l)| LineInfo { ext: ext.clone(), state: self.state_of(ext, l) });
                Ok(Reply::Snapshot { lines: lines.collect() })
            }
            Command::Licences => Ok(Reply::Licences { list: self.licences.clone() }),
            Command::VoicemailAudio { ext, record_id, offset, len } => {
                let m = self.message(&ext, record_id)?;
                let total = recording::length(m.secs);
                if offset > total {
                    return Err(ErrorKind::Malformed);
                }
                let bytes = recording::bytes(record_id, m.secs, offset, len.min(MAX_AUDIO_CHUNK));
                Ok(Reply::Audio { total, bytes })
            }
            Command::VoicemailHeard { ext, record_id } => {
                self.message(&ext, record_id)?;
                if let Some(m) = self.mailbox.get_mut(&record_id) {
                    m.heard = true;
                }
                self.events.push(Event::VoicemailHeard { record_id, ext });
                Ok(Reply::Done)
            }
            Command::VoicemailDelete { ext, record_id } => {
                self.message(&ext, record_id)?;
                self.mailbox.remove(&record_id);
                Ok(Reply::Done)
            }
            Command::Tariff { tariff } => {
                self.tariff_zone = jiff::tz::TimeZone::get(&tariff.zone).map_err(|_| ErrorKind::Malformed)?;
                self.tariff = tariff.rules();
                Ok(Reply::Done)
            }
            Command::Credit { ext, credit, as_of } => {
                self.known(&ext)?;
                match credit {
                    Some(c) => self.credits.insert(ext.clone(), c),
                    None => self.credits.remove(&ext),
                };
                self.booked.retain(|(id, e, _)| *e != ext || *id > as_of);
                Ok(Reply::Done)
            }
            Command::Announcements => Ok(Reply::Announcements {
                list: ANNOUNCEMENTS
                    .iter()
                    .map(|(id, name)| Announcement { id: *id, name: (*name).to_owned() })
                    .collect(),
            }),
        }
    }

    /// A licence file entered at the exchange: these counts from now on.
    pub fn set_licences(&mut self, licences: Vec<Licence>) {
        self.licences = licences;
    }

    /// A message of `ext`'s mailbox: none of another's.
    fn message(&self, ext: &str, record_id: u64) -> Result<Message, ErrorKind> {
        self.mailbox.get(&record_id).filter(|m| m.ext == ext).cloned().ok_or(ErrorKind::NoSuchMessage)
    }

    /// Whether a message is in `ext`'s mailbox, and heard.
    pub fn mailbox_message(&self, ext: &str, record_id: u64) -> Option<bool> {
        self.message(ext, record_id).ok().map(|m| m.heard)
    }

    fn known(&self, ext: &str) -> Result<(), ErrorKind> {
        self.lines.contains_key(ext).then_some(()).ok_or(ErrorKind::UnknownExtension)
    }

    fn new_call(&mut self, a: Party, number: &str, caller: CallerInfo) -> CallId {
        let id = self.next_call;
        self.next_call = self.next_call.wrapping_add(1).max(1);
        let call = Call {
            id,
            a,
            number: number.to_owned(),
            b: Vec::new(),
            stage: Stage::Ringing,
            caller,
            started_at: self.now,
            answered_at: None,
            ring_deadline: None,
            rang: Vec::new(),
            then_dial: None,
            held: false,
            via_mobile: None,
            busy_at: Vec::new(),
            voicemail_listen: false,
            ended_in_voicemail: false,
            presented: None,
            ending: None,
            meter: None,
        };
        self.calls.insert(id, call);
        id
    }

    fn click_to_dial(&mut self, ext: &str, number: &str, via_mobile: bool) -> Result<Reply, ErrorKind> {
        self.known(ext)?;
        check_number(number)?;
        let line = &self.lines[ext];
        let allowed = |n: &str| {
            dial_on_behalf(line.program.restriction, line.program.phone_lock, n, &self.plan.outside_prefix)
        };
        allowed(number).map_err(|_| ErrorKind::Restricted)?;
        if !self.credit_allows(ext, number) {
            return Err(ErrorKind::NoCredit);
        }
        let mobile = line.program.mobile.clone();
        if via_mobile && mobile.is_none() {
            return Err(ErrorKind::NoMobileNumber);
        }
        if let (true, Some(m)) = (via_mobile, &mobile) {
            allowed(m).map_err(|_| ErrorKind::Restricted)?;
        }
        if !via_mobile && !line.reachable {
            return Err(ErrorKind::Unavailable);
        }
        let caller = CallerInfo { external: false, withheld: line.program.clir };
        let presented = line.program.call_as.clone();
        let id = self.new_call(Party::Ext(ext.to_owned()), number, caller);
        if let Some(c) = self.calls.get_mut(&id) {
            c.presented = presented;
            c.stage = Stage::Callback;
            c.then_dial = Some(number.to_owned());
            // The MobilePhone is an external party that the core rings first.
            if let (true, Some(m)) = (via_mobile, mobile) {
                c.b = vec![Party::External(m.clone())];
                c.via_mobile = Some(m);
            }
        }
        if !via_mobile {
            self.attach(ext, id);
        }
        self.emit_call(id, Progress::Dialling, ext);
        self.emit_line(ext);
        Ok(Reply::Call { call: id })
    }

    fn attach(&mut self, ext: &str, id: CallId) {
        if let Some(l) = self.lines.get_mut(ext) {
            if !l.calls.contains(&id) {
                l.calls.push(id);
            }
        }
    }

    fn detach(&mut self, ext: &str, id: CallId) {
        if let Some(l) = self.lines.get_mut(ext) {
            l.calls.retain(|c| *c != id);
        }
    }

    // ---- Phone actions (a subscriber at the phone, or a trunk). ----

    /// The subscriber at `ext` picks up and dials `number`.
    pub fn dial(&mut self, ext: &str, number: &str) -> Result<CallId, ErrorKind> {
        self.known(ext)?;
        check_number(number)?;
        let program = self.lines[ext].program.clone();
        if !self.lines[ext].reachable {
            return Err(ErrorKind::Unavailable);
        }
        dial_on_behalf(program.restriction, program.phone_lock, number, &self.plan.outside_prefix)
            .map_err(|_| ErrorKind::Restricted)?;
        if !self.credit_allows(ext, number) {
            return Err(ErrorKind::NoCredit);
        }
        let caller = CallerInfo { external: false, withheld: program.clir };
        let id = self.new_call(Party::Ext(ext.to_owned()), number, caller);
        if let Some(c) = self.calls.get_mut(&id) {
            c.presented = program.call_as.clone();
        }
        self.attach(ext, id);
        self.emit_call(id, Progress::Dialling, ext);
        self.route_dialled(id, number);
        self.emit_line(ext);
        Ok(id)
    }

    /// The subscriber at `ext` keys in a service code
    /// ([`PhoneChange::from_code`]): the exchange changes his program, a
    /// forwarding only to a number his restriction and phone lock let him dial,
    /// and reports the change.
    pub fn key_in(&mut self, ext: &str, code: &str) -> Result<(), ErrorKind> {
        self.known(ext)?;
        let change = PhoneChange::from_code(code).ok_or(ErrorKind::InvalidNumber)?;
        let program = change.applied_to(&self.lines[ext].program);
        if let PhoneChange::ForwardAlways(Some(number)) = &change {
            if number == ext {
                return Err(ErrorKind::InvalidNumber);
            }
            dial_on_behalf(program.restriction, program.phone_lock, number, &self.plan.outside_prefix)
                .map_err(|_| ErrorKind::Restricted)?;
        }
        if let Some(line) = self.lines.get_mut(ext) {
            line.program = program;
        }
        self.events.push(Event::PhoneChanged { ext: ext.to_owned(), change: change.into() });
        self.emit_line(ext);
        Ok(())
    }

    /// A call comes in over a trunk from `from` (empty: withheld) to `to`.
    pub fn incoming(&mut self, from: &str, to: &str) -> Result<CallId, ErrorKind> {
        if !self.lines.contains_key(to) && !self.plan.groups.iter().any(|(g, _)| g == to) {
            return Err(ErrorKind::UnknownExtension);
        }
        let caller = CallerInfo { external: true, withheld: from.is_empty() };
        let id = self.new_call(Party::External(from.to_owned()), to, caller);
        self.route_dialled(id, to);
        Ok(id)
    }

    /// The phone at `ext` (or the MobilePhone of `ext`) is answered.
    pub fn answer(&mut self, ext: &str) -> Result<CallId, ErrorKind> {
        let id = self.ringing_call_at(ext).ok_or(ErrorKind::NoSuchCall)?;
        self.answer_call(ext, id)?;
        Ok(id)
    }

    /// The external party of a call (a trunk, or a MobilePhone) answers.
    pub fn answer_external(&mut self, number: &str) -> Result<CallId, ErrorKind> {
        let id = self
            .calls
            .values()
            .find(|c| {
                c.stage != Stage::Connected && c.b.iter().any(|p| p == &Party::External(number.to_owned()))
            })
            .map(|c| c.id)
            .ok_or(ErrorKind::NoSuchCall)?;
        self.connect(id, Party::External(number.to_owned()));
        Ok(id)
    }

    /// The subscriber at `ext` hangs up every call the phone has.
    pub fn hang_up(&mut self, ext: &str) -> Result<(), ErrorKind> {
        self.known(ext)?;
        for id in self.calls_of(ext) {
            self.clear_call(ext, id)?;
        }
        Ok(())
    }

    /// The external party of a call hangs up.
    pub fn hang_up_external(&mut self, number: &str) -> Result<(), ErrorKind> {
        let ids: Vec<CallId> = self
            .calls
            .values()
            .filter(|c| {
                c.a == Party::External(number.to_owned())
                    || c.b.contains(&Party::External(number.to_owned()))
                    || c.via_mobile.as_deref() == Some(number)
            })
            .map(|c| c.id)
            .collect();
        if ids.is_empty() {
            return Err(ErrorKind::NoSuchCall);
        }
        for id in ids {
            self.end_call(id);
        }
        Ok(())
    }

    /// A phone is plugged in or out (unreachable lines trigger the unreachable rules).
    pub fn set_reachable(&mut self, ext: &str, reachable: bool) -> Result<(), ErrorKind> {
        let l = self.lines.get_mut(ext).ok_or(ErrorKind::UnknownExtension)?;
        l.reachable = reachable;
        self.emit_line(ext);
        Ok(())
    }

    fn ringing_call_at(&self, ext: &str) -> Option<CallId> {
        let l = self.lines.get(ext)?;
        l.calls.iter().copied().find(|id| {
            self.calls.get(id).is_some_and(|c| {
                (c.stage == Stage::Ringing && c.b.contains(&Party::Ext(ext.to_owned())))
                    || (c.stage == Stage::Callback && c.a == Party::Ext(ext.to_owned()) && c.b.is_empty())
            })
        })
    }

    fn answer_call(&mut self, ext: &str, id: CallId) -> Result<(), ErrorKind> {
        let c = self.calls.get(&id).ok_or(ErrorKind::NoSuchCall)?;
        match c.stage {
            Stage::Callback if c.a == Party::Ext(ext.to_owned()) && c.b.is_empty() => {
                // The subscriber's own phone answered a click-to-dial: now dial.
                let number = c.then_dial.clone().unwrap_or_default();
                if let Some(c) = self.calls.get_mut(&id) {
                    c.stage = Stage::Ringing;
                    c.started_at = self.now;
                }
                self.route_dialled(id, &number);
                self.emit_line(ext);
                Ok(())
            }
            Stage::Ringing if c.b.contains(&Party::Ext(ext.to_owned())) => {
                self.connect(id, Party::Ext(ext.to_owned()));
                Ok(())
            }
            _ => Err(ErrorKind::NoSuchCall),
        }
    }

    /// The ringing party `who` takes the call; every other ringing phone stops.
    fn connect(&mut self, id: CallId, who: Party) {
        let Some(c) = self.calls.get_mut(&id) else { return };
        if c.stage == Stage::Callback {
            // The MobilePhone answered a "MobilePhone first" call: now dial.
            let number = c.then_dial.clone().unwrap_or_default();
            c.stage = Stage::Ringing;
            c.b.clear();
            c.started_at = self.now;
            self.route_dialled(id, &number);
            return;
        }
        if !self.pay_first_block(id) {
            return;
        }
        let Some(c) = self.calls.get_mut(&id) else { return };
        let others: Vec<String> =
            c.b.iter().filter(|p| **p != who).filter_map(|p| ext_of(p).map(str::to_owned)).collect();
        c.b = vec![who.clone()];
        c.stage = Stage::Connected;
        c.answered_at = Some(self.now);
        c.ring_deadline = None;
        for o in &others {
            self.detach(o, id);
            self.emit_line(o);
        }
        let at = party_number(&who);
        self.emit_call(id, Progress::Answered, &at);
        for p in self.parties(id) {
            self.emit_line(&p);
        }
    }

    /// A priced call pays its first block when answered, if the credit (less
    /// what the payer's other calls took) still covers it; otherwise the
    /// exchange clears it. Whether it goes on.
    fn pay_first_block(&mut self, id: CallId) -> bool {
        let Some(m) = self.calls.get(&id).and_then(|c| c.meter.clone()) else { return true };
        if self.credit(&m.payer).is_some_and(|credit| credit < m.meter.first_charge()) {
            self.events.push(Event::CreditCleared { ext: m.payer, call: id });
            self.end_with(id, Ending::NoCredit);
            return false;
        }
        if let Some(m) = self.calls.get_mut(&id).and_then(|c| c.meter.as_mut()) {
            m.paid_to = m.meter.first_secs;
        }
        self.warn_if_low(id);
        true
    }

    fn parties(&self, id: CallId) -> Vec<String> {
        let Some(c) = self.calls.get(&id) else { return vec![] };
        std::iter::once(&c.a).chain(c.b.iter()).filter_map(|p| ext_of(p).map(str::to_owned)).collect()
    }

    fn clear_call(&mut self, ext: &str, id: CallId) -> Result<(), ErrorKind> {
        let c = self.calls.get(&id).ok_or(ErrorKind::NoSuchCall)?;
        if !involves(c, ext) {
            return Err(ErrorKind::NoSuchCall);
        }
        // A group member who rejects stops ringing alone; anyone else ends the call.
        if c.stage == Stage::Ringing && c.b.len() > 1 && c.b.contains(&Party::Ext(ext.to_owned())) {
            if let Some(c) = self.calls.get_mut(&id) {
                c.b.retain(|p| p != &Party::Ext(ext.to_owned()));
            }
            self.detach(ext, id);
            self.emit_line(ext);
            return Ok(());
        }
        self.end_call(id);
        Ok(())
    }

    fn hold(&mut self, ext: &str, id: CallId, hold: bool) -> Result<(), ErrorKind> {
        let c = self.calls.get_mut(&id).ok_or(ErrorKind::NoSuchCall)?;
        if c.stage != Stage::Connected || !involves(c, ext) || c.held == hold {
            return Err(ErrorKind::NoSuchCall);
        }
        c.held = hold;
        self.emit_call(id, if hold { Progress::Held } else { Progress::Retrieved }, ext);
        for p in self.parties(id) {
            self.emit_line(&p);
        }
        Ok(())
    }

    /// `ext` connects the held call's other party with the active call's other party.
    fn transfer(&mut self, ext: &str, held: CallId, active: CallId) -> Result<(), ErrorKind> {
        let me = Party::Ext(ext.to_owned());
        let (h, a) = (
            self.calls.get(&held).ok_or(ErrorKind::NoSuchCall)?,
            self.calls.get(&active).ok_or(ErrorKind::NoSuchCall)?,
        );
        if !h.held || !involves(h, ext) || !involves(a, ext) {
            return Err(ErrorKind::NoSuchCall);
        }
        let other_held = other(h, &me).ok_or(ErrorKind::NoSuchCall)?;
        let other_active = other(a, &me).ok_or(ErrorKind::NoSuchCall)?;
        // The consultation call ends for the transferring subscriber (and is
        // recorded), and so does the subscriber's part in the held call.
        self.end_call(active);
        self.leave(held, ext);
        let id = held;
        if let Some(c) = self.calls.get_mut(&id) {
            c.a = other_held;
            c.b = vec![other_active.clone()];
            c.held = false;
            // A transfer to a phone still ringing rings on; otherwise it connects.
            c.stage = Stage::Connected;
        }
        self.detach(ext, id);
        if let Some(e) = ext_of(&other_active) {
            let e = e.to_owned();
            self.attach(&e, id);
            if let Some(c) = self.calls.get_mut(&id) {
                c.rang.push(e);
            }
        }
        self.emit_call(id, Progress::Transferred, ext);
        self.emit_line(ext);
        for p in self.parties(id) {
            self.emit_line(&p);
        }
        Ok(())
    }

    fn conference(&mut self, ext: &str, held: CallId, active: CallId) -> Result<(), ErrorKind> {
        let me = Party::Ext(ext.to_owned());
        let h = self.calls.get(&held).ok_or(ErrorKind::NoSuchCall)?;
        let a = self.calls.get(&active).ok_or(ErrorKind::NoSuchCall)?;
        if !h.held || !involves(h, ext) || !involves(a, ext) || a.stage != Stage::Connected {
            return Err(ErrorKind::NoSuchCall);
        }
        let joining = other(a, &me).ok_or(ErrorKind::NoSuchCall)?;
        self.end_call(active);
        if let Some(c) = self.calls.get_mut(&held) {
            c.held = false;
            c.b.push(joining.clone());
            if let Some(e) = ext_of(&joining) {
                c.rang.push(e.to_owned());
            }
        }
        if let Some(e) = ext_of(&joining) {
            let e = e.to_owned();
            self.attach(&e, held);
        }
        self.emit_call(held, Progress::Conferenced, ext);
        for p in self.parties(held) {
            self.emit_line(&p);
        }
        Ok(())
    }

    fn pickup(&mut self, ext: &str, target: &str) -> Result<CallId, ErrorKind> {
        self.known(ext)?;
        let id = self.ringing_call_at(target).ok_or(ErrorKind::NoSuchCall)?;
        if let Some(c) = self.calls.get_mut(&id) {
            if !c.rang.contains(&ext.to_owned()) {
                c.rang.push(ext.to_owned());
            }
            c.b.push(Party::Ext(ext.to_owned()));
        }
        self.attach(ext, id);
        self.connect(id, Party::Ext(ext.to_owned()));
        Ok(id)
    }

    fn deflect(&mut self, ext: &str, id: CallId, number: &str) -> Result<(), ErrorKind> {
        check_number(number)?;
        let c = self.calls.get_mut(&id).ok_or(ErrorKind::NoSuchCall)?;
        if c.stage != Stage::Ringing || !c.b.contains(&Party::Ext(ext.to_owned())) {
            return Err(ErrorKind::NoSuchCall);
        }
        c.b.retain(|p| p != &Party::Ext(ext.to_owned()));
        self.detach(ext, id);
        self.emit_line(ext);
        self.emit_call(id, Progress::Forwarded, ext);
        self.route_number(id, number, 0);
        Ok(())
    }

    // ---- Routing. ----

    /// Routes a call to what was dialled: the voicemail system, a hunt group, an
    /// extension, or an external number over a trunk.
    fn route_dialled(&mut self, id: CallId, number: &str) {
        self.route_number(id, number, 0);
    }

    fn route_number(&mut self, id: CallId, number: &str, depth: u8) {
        if depth > 8 {
            // A forwarding loop: the core gives up as it would on a real exchange.
            self.end_call(id);
            return;
        }
        if number == self.plan.voicemail {
            if let Some(c) = self.calls.get_mut(&id) {
                c.voicemail_listen = true;
                c.b = vec![Party::Voicemail];
                c.stage = Stage::Connected;
                c.answered_at = Some(self.now);
            }
            self.emit_call(id, Progress::Answered, number);
            return;
        }
        if let Some((_, members)) = self.plan.groups.iter().find(|(g, _)| g == number).cloned() {
            let free: Vec<String> = members
                .into_iter()
                .filter(|m| self.line_state(m).is_some_and(|s| s == LineState::Idle))
                .collect();
            if free.is_empty() {
                self.busy(id);
                return;
            }
            self.ring(id, &free, DEFAULT_NO_ANSWER_SECS);
            return;
        }
        if self.lines.contains_key(number) {
            self.route_to_ext(id, number, depth);
            return;
        }
        // Anything else leaves over a trunk; the far end rings until answered.
        // The caller's own call is priced, and refused if his credit does not
        // cover its start.
        let payer = self
            .calls
            .get(&id)
            .and_then(|c| ext_of(&c.a).filter(|_| c.number == number).map(|a| (a.to_owned(), c.started_at)));
        let meter = payer.and_then(|(payer, at)| {
            self.tariff.meter(number, at, &self.tariff_zone).map(|meter| (payer, meter))
        });
        if let Some((payer, meter)) = &meter {
            if self.credit(payer).is_some_and(|credit| credit < meter.first_charge()) {
                self.end_with(id, Ending::NoCredit);
                return;
            }
        }
        if let Some(c) = self.calls.get_mut(&id) {
            c.b = vec![Party::External(number.to_owned())];
            c.stage = Stage::Ringing;
            c.meter = meter.map(|(payer, meter)| Metered { payer, meter, paid_to: 0, warned: false });
        }
        self.emit_call(id, Progress::Ringing, number);
    }

    fn route_to_ext(&mut self, id: CallId, ext: &str, depth: u8) {
        let Some(c) = self.calls.get(&id) else { return };
        let caller = c.caller;
        let line = &self.lines[ext];
        let condition = if !line.reachable {
            LineCondition::Unreachable
        } else if line.calls.iter().any(|other| *other != id) {
            LineCondition::Busy
        } else {
            LineCondition::Free
        };
        let program = line.program.clone();
        if let Some(c) = self.calls.get_mut(&id) {
            if !c.rang.contains(&ext.to_owned()) {
                c.rang.push(ext.to_owned());
            }
        }
        match routing::on_arrival(&program, caller, condition) {
            Decision::Ring => {
                let secs =
                    if program.no_answer_secs == 0 { DEFAULT_NO_ANSWER_SECS } else { program.no_answer_secs };
                self.ring(id, &[ext.to_owned()], secs)
            }
            Decision::FollowMe(to) | Decision::Forward(to) => {
                if !self.may_forward(ext, &program, &to) {
                    self.end_with(id, Ending::ForwardRefused(ext.to_owned()));
                    return;
                }
                self.emit_call(id, Progress::Forwarded, ext);
                self.route_number(id, &to, depth + 1);
            }
            Decision::Voicemail => self.send_to_voicemail(id, ext),
            Decision::FaxToMail => self.send_to_fax(id, ext),
            Decision::Announcement(a) => self.end_with(id, Ending::Announcement(a)),
            Decision::Missed => self.end_with(id, Ending::NoAnswer),
            Decision::BusyTone => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.busy_at.push(ext.to_owned());
                }
                self.busy(id)
            }
        }
    }

    /// Whether the exchange dials `to` on behalf of `ext` with `program` (its
    /// restriction, phone lock and credit, as for a call the subscriber dials).
    fn may_forward(&self, ext: &str, program: &ExtensionProgram, to: &str) -> bool {
        dial_on_behalf(program.restriction, program.phone_lock, to, &self.plan.outside_prefix).is_ok()
            && self.credit_allows(ext, to)
    }

    /// A priced call whose credit covers less than a minute more says so, once.
    fn warn_if_low(&mut self, id: CallId) {
        let Some(m) = self.calls.get(&id).and_then(|c| c.meter.as_ref()) else { return };
        let Some(credit) = self.credit(&m.payer) else { return };
        if m.warned || credit >= m.meter.per_minute.max(1) {
            return;
        }
        let ext = m.payer.clone();
        if let Some(m) = self.calls.get_mut(&id).and_then(|c| c.meter.as_mut()) {
            m.warned = true;
        }
        self.events.push(Event::CreditLow { ext, call: id, credit });
    }

    /// The earliest end of a paid block among the priced calls going on of
    /// limited extensions, if it is not after `until`. (An unlimited
    /// extension's call is priced when it ends; it has no credit to run out.)
    fn next_block_end(&self, until: i64) -> Option<(i64, CallId)> {
        self.calls
            .values()
            .filter(|c| c.stage == Stage::Connected)
            .filter_map(|c| {
                let m = c.meter.as_ref().filter(|m| self.credits.contains_key(&m.payer))?;
                Some((c.answered_at? + i64::from(m.paid_to), c.id))
            })
            .filter(|(t, _)| *t <= until)
            .min()
    }

    /// A priced call has talked to the end of its paid block: it goes on with
    /// the next block paid if the credit covers it, or the exchange clears it.
    fn next_block(&mut self, id: CallId) {
        let Some(m) = self.calls.get(&id).and_then(|c| c.meter.clone()) else { return };
        let next = m.paid_to.saturating_add(m.meter.step_secs);
        let more = m.meter.cost(next) - m.meter.cost(m.paid_to);
        if self.credit(&m.payer).is_some_and(|credit| credit < more) {
            self.events.push(Event::CreditCleared { ext: m.payer, call: id });
            self.end_with(id, Ending::CreditRanOut);
            return;
        }
        if let Some(m) = self.calls.get_mut(&id).and_then(|c| c.meter.as_mut()) {
            m.paid_to = next;
        }
        self.warn_if_low(id);
    }

    fn ring(&mut self, id: CallId, exts: &[String], secs: u16) {
        let deadline = self.now + i64::from(secs);
        if let Some(c) = self.calls.get_mut(&id) {
            c.b = exts.iter().map(|e| Party::Ext(e.clone())).collect();
            c.stage = Stage::Ringing;
            c.ring_deadline = Some(deadline);
            for e in exts {
                if !c.rang.contains(e) {
                    c.rang.push(e.clone());
                }
            }
        }
        for e in exts {
            self.attach(e, id);
            self.emit_call(id, Progress::Ringing, e);
            self.emit_line(e);
        }
    }

    fn busy(&mut self, id: CallId) {
        if let Some(c) = self.calls.get_mut(&id) {
            c.b.clear();
        }
        self.end_with(id, Ending::BusyTone);
    }

    fn end_with(&mut self, id: CallId, ending: Ending) {
        if let Some(c) = self.calls.get_mut(&id) {
            c.ending = Some(ending);
        }
        self.end_call(id);
    }

    /// Fax-to-mail: the exchange's fax service takes the call and mails what it
    /// receives; for the subscriber it is a call he did not answer.
    fn send_to_fax(&mut self, id: CallId, ext: &str) {
        self.end_with(id, Ending::FaxToMail(ext.to_owned()));
    }

    fn send_to_voicemail(&mut self, id: CallId, ext: &str) {
        let record_id = self.record_id();
        let Some(c) = self.calls.get_mut(&id) else { return };
        c.ended_in_voicemail = true;
        c.ending = Some(Ending::Voicemail(ext.to_owned()));
        let caller = party_number(&c.a);
        let duration_secs = 20;
        let kept: Vec<u64> = self.mailbox.iter().filter(|(_, m)| m.ext == ext).map(|(id, _)| *id).collect();
        if kept.len() >= MAILBOX {
            self.mailbox.remove(&kept[0]);
        }
        self.mailbox.insert(record_id, Message { ext: ext.to_owned(), secs: duration_secs, heard: false });
        self.events.push(Event::VoicemailDeposited {
            record_id,
            ext: ext.to_owned(),
            caller,
            at: self.now,
            duration_secs,
        });
        self.end_call(id);
    }

    /// Moves time forward: no-answer timers fire, wake-up calls ring.
    pub fn advance_to(&mut self, now: i64) {
        if now <= self.now {
            return;
        }
        // Priced calls reach the ends of their blocks in order, each at its second.
        while let Some((at, id)) = self.next_block_end(now) {
            self.now = self.now.max(at);
            self.next_block(id);
        }
        self.now = now;
        let due: Vec<CallId> = self
            .calls
            .values()
            .filter(|c| c.stage == Stage::Ringing && c.ring_deadline.is_some_and(|d| d <= now))
            .map(|c| c.id)
            .collect();
        for id in due {
            self.no_answer(id);
        }
        self.wakeups();
    }

    fn no_answer(&mut self, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else { return };
        c.ring_deadline = None;
        let ringing: Vec<String> = c.b.iter().filter_map(|p| ext_of(p).map(str::to_owned)).collect();
        let caller = c.caller;
        // A group call, or a call to nobody in particular, is simply missed.
        let [ext] = ringing.as_slice() else {
            self.end_with(id, Ending::NoAnswer);
            return;
        };
        let ext = ext.clone();
        let program = self.lines[&ext].program.clone();
        match routing::on_no_answer(&program, caller) {
            Decision::Forward(to) | Decision::FollowMe(to) => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.b.clear();
                }
                self.detach(&ext, id);
                self.emit_line(&ext);
                if !self.may_forward(&ext, &program, &to) {
                    self.end_with(id, Ending::ForwardRefused(ext));
                    return;
                }
                self.emit_call(id, Progress::Forwarded, &ext);
                self.route_number(id, &to, 1);
            }
            Decision::Voicemail => {
                self.detach(&ext, id);
                self.send_to_voicemail(id, &ext)
            }
            Decision::FaxToMail => {
                self.detach(&ext, id);
                self.send_to_fax(id, &ext)
            }
            _ => self.end_with(id, Ending::NoAnswer),
        }
    }

    /// Sets the time zone wake-up times are in (the board's); UTC until then.
    pub fn set_time_zone(&mut self, name: &str) -> Result<(), String> {
        self.time_zone = jiff::tz::TimeZone::get(name).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn wakeups(&mut self) {
        let minute = crate::domain::time::minute_of_day(self.now, &self.time_zone);
        let due: Vec<String> = self
            .lines
            .iter()
            .filter(|(e, l)| {
                l.program.wakeup == Some(minute) && !self.woken.contains(&((*e).clone(), minute))
            })
            .map(|(e, _)| e.clone())
            .collect();
        self.woken.retain(|(_, m)| *m == minute);
        for ext in due {
            self.woken.push((ext.clone(), minute));
            let id = self.new_call(
                Party::Ext(self.plan.voicemail.clone()),
                &ext,
                CallerInfo { external: false, withheld: false },
            );
            if let Some(c) = self.calls.get_mut(&id) {
                c.a = Party::Voicemail;
            }
            self.ring(id, &[ext], DEFAULT_NO_ANSWER_SECS);
        }
    }

    // ---- The end of a call: CDRs. ----

    fn record_id(&mut self) -> u64 {
        let id = self.next_record;
        self.next_record += 1;
        id
    }

    fn end_call(&mut self, id: CallId) {
        let Some(c) = self.calls.remove(&id) else { return };
        let ending = c.ending.clone().unwrap_or(if c.answered_at.is_some() {
            Ending::Answered
        } else {
            Ending::Cleared
        });
        if self.endings.len() == ENDINGS_KEPT {
            self.endings.pop_front();
        }
        self.endings.push_back((id, ending));
        let mut touched: Vec<String> = c.rang.clone();
        touched.extend(std::iter::once(&c.a).chain(c.b.iter()).filter_map(|p| ext_of(p).map(str::to_owned)));
        touched.sort();
        touched.dedup();
        for e in &touched {
            self.detach(e, id);
        }
        self.events.push(Event::Call {
            call: id,
            progress: Progress::Cleared,
            from: party_number(&c.a),
            to: c.number.clone(),
            at: String::new(),
        });
        for cdr in self.cdrs_for(&c) {
            if let Some(m) =
                c.meter.as_ref().filter(|m| m.payer == cdr.extension && cdr.direction == Direction::Outgoing)
            {
                self.book(cdr.core_id, &m.payer, m.meter.cost(cdr.talk_secs));
            }
            self.record(cdr);
        }
        for e in &touched {
            self.emit_line(e);
        }
    }

    /// `ext` leaves a call that goes on without it: its side is recorded now.
    fn leave(&mut self, id: CallId, ext: &str) {
        let Some(c) = self.calls.get(&id).cloned() else { return };
        let mine: Vec<Cdr> = self.cdrs_for(&c).into_iter().filter(|cdr| cdr.extension == ext).collect();
        for cdr in mine {
            self.record(cdr);
        }
        if let Some(c) = self.calls.get_mut(&id) {
            c.rang.retain(|e| e != ext);
            // The rest of the call is recorded from here on.
            c.started_at = self.now;
            c.answered_at = c.answered_at.map(|_| self.now);
        }
    }

    /// A finished call's cost, taken off its payer's credit until the service
    /// counts it in one.
    fn book(&mut self, record_id: u64, ext: &str, cost: i64) {
        if cost == 0 {
            return;
        }
        if self.booked.len() >= BOOKED_MAX {
            self.booked.pop_front();
        }
        self.booked.push_back((record_id, ext.to_owned(), cost));
    }

    fn record(&mut self, cdr: Cdr) {
        self.events.push(Event::Cdr(cdr.clone().into()));
        if self.unacked.len() >= CDR_BUFFER {
            self.unacked.pop_front();
            self.dropped_cdrs += 1;
        }
        self.unacked.push_back(cdr);
    }

    fn cdrs_for(&mut self, c: &Call) -> Vec<Cdr> {
        let talk = c.answered_at.map(|a| (self.now - a).max(0) as u32).unwrap_or(0);
        let ring = (c.answered_at.unwrap_or(self.now) - c.started_at).max(0) as u32;
        let answered_by = match (c.answered_at, c.b.as_slice()) {
            (Some(_), [p]) => Some(party_number(p)),
            _ => None,
        };
        let mut out = Vec::new();
        let base = |s: &mut Exchange, ext: &str, direction, disposition, peer: String, external: bool| Cdr {
            core_id: s.record_id(),
            extension: ext.to_owned(),
            direction,
            disposition,
            peer,
            external,
            withheld: c.caller.withheld && direction == Direction::Incoming,
            voicemail_listen: false,
            answered_by: None,
            started_at: c.started_at,
            ring_secs: ring,
            talk_secs: 0,
        };
        if let Party::Ext(a) = &c.a {
            let disposition = match (c.answered_at, c.b.is_empty()) {
                (Some(_), _) => Disposition::Answered,
                (None, true) => Disposition::Busy,
                (None, false) => Disposition::Missed,
            };
            let external = !self.lines.contains_key(&c.number)
                && c.number != self.plan.voicemail
                && !self.plan.groups.iter().any(|(g, _)| *g == c.number);
            let mut cdr = base(self, a, Direction::Outgoing, disposition, c.number.clone(), external);
            cdr.voicemail_listen = c.voicemail_listen;
            cdr.talk_secs = talk;
            cdr.answered_by = answered_by.clone();
            out.push(cdr);
        }
        let peer = match (&c.presented, c.caller.withheld) {
            (_, true) => String::new(),
            (Some(shown), false) => shown.clone(),
            (None, false) => party_number(&c.a),
        };
        for ext in &c.rang {
            if c.a == Party::Ext(ext.clone()) {
                continue;
            }
            let took = c.answered_at.is_some() && c.b.contains(&Party::Ext(ext.clone()));
            let disposition = if took {
                Disposition::Answered
            } else if c.ended_in_voicemail {
                Disposition::Voicemail
            } else if c.answered_at.is_some() {
                Disposition::AnsweredElsewhere
            } else if c.busy_at.contains(ext) {
                Disposition::Busy
            } else {
                Disposition::Missed
            };
            let mut cdr = base(self, ext, Direction::Incoming, disposition, peer.clone(), c.caller.external);
            if took {
                cdr.talk_secs = talk;
            } else if disposition == Disposition::AnsweredElsewhere {
                cdr.answered_by = answered_by.clone();
            }
            out.push(cdr);
        }
        out
    }
}

fn involves(c: &Call, ext: &str) -> bool {
    let me = Party::Ext(ext.to_owned());
    c.a == me || c.b.contains(&me)
}

fn other(c: &Call, me: &Party) -> Option<Party> {
    if &c.a == me {
        c.b.first().cloned()
    } else {
        Some(c.a.clone())
    }
}

fn ext_of(p: &Party) -> Option<&str> {
    match p {
        Party::Ext(e) => Some(e),
        _ => None,
    }
}

fn party_number(p: &Party) -> String {
    match p {
        Party::Ext(e) | Party::External(e) => e.clone(),
        Party::Voicemail => String::new(),
    }
}

/// Numbers are digits, with `*` and `#` for services, at most 32 of them.
/// What the core can dial: the same rule the portal checks (`domain::number`).
fn check_number(n: &str) -> Result<(), ErrorKind> {
    is_dialable(n).then_some(()).ok_or(ErrorKind::InvalidNumber)
}
