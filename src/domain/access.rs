//! Who may do what (SPEC X4): the one decision every service asks before it reads
//! or changes anything, whichever front end the request came through (pages, the
//! JSON API, the CTI WebSocket, the phone, an import, the system itself).
//!
//! An [`Actor`] is built once per request from what was checked at the door (a
//! session, a token, a CTI login) and carries everything the decision needs, so
//! [`allowed`] is a pure function: an actor, an action and a target in, yes or a
//! reason out.

use super::codes::codes;
use super::phonebook::{BookAccess, PublicRight, SharedBook};

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
    Cti,
    /// The core's events: somebody did it on a phone.
    Phone,
    Import,
    /// The service itself: resync, retention, the demo.
    System,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::Cti => "cti",
            Channel::Phone => "phone",
            Channel::Import => "import",
            Channel::System => "system",
        }
    }
}

/// A part of the exchange, as a token's scope names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// Extensions: the administrator's fields, services, forwarding, key labels,
    /// and the directory of extensions.
    Extensions,
    Departments,
    /// The public phonebook, its groups and the managers' marks.
    Phonebook,
    /// Call records and the change journal: read only.
    Records,
    /// Line states (read) and click-to-call (write).
    Calls,
    /// Board-wide settings: mail server, certificate, exposure, the About page.
    Board,
    /// Tokens and the two-factor policy.
    Security,
    /// The index of the extensions' voicemail (who left a message when; never
    /// the audio): private, so no scope for every area covers it.
    Voicemail,
    /// Call costs: the tariff, and the extensions' limits, credit and top-ups.
    Costs,
    /// The CTI server's accounts (SPEC C1-C3); their passwords are Security's.
    Cti,
}

codes!(Area {
    Extensions => "extensions",
    Departments => "departments",
    Phonebook => "phonebook",
    Records => "records",
    Calls => "calls",
    Board => "board",
    Security => "security",
    Voicemail => "voicemail",
    Costs => "costs",
    Cti => "cti",
});

/// How far a scope goes; `Write` includes `Read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Read,
    Write,
}

/// What an API token may do, given when an administrator makes it: `read` or
/// `write` for every area, or one area's (`extensions:read`, `calls:write`, ...).
/// The scopes for every area never reach security or voicemail, nor dial: a
/// token that may make tokens, read the voicemail index or place calls says so
/// by name (`security:write`, `voicemail:read`, `calls:write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    /// `None`: every area, but not security, and not dialling.
    pub area: Option<Area>,
    pub level: Level,
}

impl Scope {
    pub const READ: Scope = Scope { area: None, level: Level::Read };
    pub const WRITE: Scope = Scope { area: None, level: Level::Write };

    pub fn of(area: Area, level: Level) -> Scope {
        Scope { area: Some(area), level }
    }

    /// Whether this scope covers `level` in `area`.
    pub fn covers(self, area: Area, level: Level) -> bool {
        let here = match self.area {
            // Never security or voicemail, never dialling.
            None => match area {
                Area::Security | Area::Voicemail => false,
                Area::Calls => level == Level::Read,
                _ => true,
            },
            Some(a) => a == area,
        };
        here && self.level >= level
    }

    /// The scope as written: `read`, `write`, `calls:write`.
    pub fn code(self) -> String {
        let level = match self.level {
            Level::Read => "read",
            Level::Write => "write",
        };
        match self.area {
            None => level.to_owned(),
            Some(a) => format!("{}:{level}", a.code()),
        }
    }

    pub fn from_code(code: &str) -> Option<Scope> {
        let level = |l: &str| match l {
            "read" => Some(Level::Read),
            "write" => Some(Level::Write),
            _ => None,
        };
        match code.split_once(':') {
            None => Some(Scope { area: None, level: level(code)? }),
            Some((area, l)) => Some(Scope::of(Area::from_code(area)?, level(l)?)),
        }
    }
}

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// A subscriber logged in to his extension. A PIN login may only set a password.
    Subscriber {
        ext: String,
        pin_only: bool,
        public_book: PublicRight,
    },
    /// A manager: his own extension, and the extensions of his departments and the
    /// unassigned pool.
    Manager {
        ext: String,
        departments: Vec<i64>,
        public_book: PublicRight,
    },
    Administrator {
        name: String,
    },
    ApiToken {
        id: i64,
        scopes: Vec<Scope>,
    },
    /// A desktop CTI client: its devices (extensions it controls), the lines it
    /// may monitor, the journals of its calls it reads, and the CTI groups
    /// its login is a member of (which give it shared books, SPEC C11).
    CtiAccount {
        name: String,
        devices: Vec<String>,
        monitors: Vec<crate::domain::cti::Monitor>,
        journals: crate::domain::cti::Journals,
        groups: Vec<i64>,
    },
    /// The service itself.
    System,
}

/// Who acts, and through which front end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub who: Who,
    pub via: Channel,
}

/// What is to be done with a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Change,
    /// Make the exchange dial on the target extension's behalf.
    Dial,
}

/// The part of an extension an action is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// Name, description, e-mail, language and layout.
    Profile,
    Password,
    History,
    /// Notes on the extension's calls (SPEC C13): its subscriber's (and its
    /// CTI clients') to write; managers read them with the history.
    CallNotes,
    Voicemail,
    /// Services and forwarding: what the core is programmed with.
    Program,
    /// Live line states and calls.
    Live,
    /// The system phone's key labels.
    Keys,
    /// A new temporary password given by somebody else (SPEC A5, M1): what an
    /// administrator or the extension's manager does when a password is lost.
    Credentials,
    /// What the extension's calls cost, its limit, credit and top-up (SPEC W7):
    /// its subscriber and managers read them; only administrators (and
    /// provisioning) change them.
    Costs,
    /// The presence state he shows (SPEC C7): his own, his people's for a
    /// manager, the devices' for a CTI account; the presence import sets it too.
    Presence,
    /// Picking up a call ringing at the extension (`Action::Dial`): a CTI
    /// account with the pickup right on that monitored line (SPEC C5).
    Pickup,
}

/// What an action is done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// One extension, with the department it belongs to (`None`: unassigned).
    Extension {
        number: &'a str,
        department: Option<i64>,
        facet: Facet,
    },
    /// The list of the exchange's extensions and departments (names and numbers).
    Directory,
    PublicBook,
    PrivateBook {
        owner: &'a str,
    },
    /// The desktop CTI client's installer.
    Installer,
    /// A manager's people as a whole: the list of his departments' extensions
    /// and the pool, and their journal (SPEC M1).
    Team,
    /// The VIP marks of the public book's contacts and their hidden additional
    /// numbers (SPEC M3): reading them means seeing the hidden numbers.
    ContactMarks,
    /// What only administrators set, by area: extensions' administrative
    /// fields, departments, board-wide settings, tokens.
    Administration(Area),
    /// A department's callback list (SPEC Y5), which its members work through
    /// (`member`: the acting subscriber's extension is in it) and its managers
    /// see too.
    Callbacks {
        department: i64,
        member: bool,
    },
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this belongs to another subscriber")]
    NotYours,
    #[error("a password must be set first")]
    PasswordFirst,
    #[error("this extension is outside the manager's departments")]
    OutsideDepartments,
    #[error("the public phonebook may not be read or changed by this subscriber")]
    PublicBook,
    #[error("the token's scopes do not cover this")]
    Scope,
    #[error("only administrators may do this")]
    AdministratorsOnly,
    #[error("not through this channel")]
    Channel,
}

impl Actor {
    pub fn new(who: Who, via: Channel) -> Actor {
        Actor { who, via }
    }

    pub fn system() -> Actor {
        Actor { who: Who::System, via: Channel::System }
    }

    /// The extension the actor acts as, if he is a person with one.
    pub fn own_extension(&self) -> Option<&str> {
        match &self.who {
            Who::Subscriber { ext, .. } | Who::Manager { ext, .. } => Some(ext),
            _ => None,
        }
    }

    /// Whether a token's scopes cover `need` (an area's scope), the gate an
    /// API route passes before its body is read; anybody else is not held to
    /// scopes. The service's own question to [`allowed`] still decides.
    pub fn holds(&self, need: Scope) -> bool {
        match (&self.who, need.area) {
            (Who::ApiToken { scopes, .. }, Some(area)) => scopes.iter().any(|s| s.covers(area, need.level)),
            // A route about every area takes a scope for every area.
            (Who::ApiToken { scopes, .. }, None) => {
                scopes.iter().any(|s| s.area.is_none() && s.level >= need.level)
            }
            _ => true,
        }
    }

    /// A short, log-safe description: kind and extension or id, never a secret.
    pub fn label(&self) -> String {
        match &self.who {
            Who::Subscriber { ext, .. } => format!("subscriber:{ext}"),
            Who::Manager { ext, .. } => format!("manager:{ext}"),
            Who::Administrator { name } => format!("admin:{name}"),
            Who::ApiToken { id, .. } => format!("token:{id}"),
            Who::CtiAccount { name, .. } => format!("cti:{name}"),
            Who::System => "system".to_owned(),
        }
    }
}

/// The one decision: may `actor` do `action` to `target`?
pub fn allowed(actor: &Actor, action: Action, target: Target<'_>) -> Result<(), Denied> {
    // Imports only ever write phonebooks and presence.
    let imported = matches!(
        target,
        Target::PublicBook | Target::PrivateBook { .. } | Target::Extension { facet: Facet::Presence, .. }
    );
    if actor.via == Channel::Import && !imported {
        return Err(Denied::Channel);
    }
    match &actor.who {
        Who::System => Ok(()),
        Who::Administrator { .. } => Ok(()),
        Who::Subscriber { ext, pin_only, public_book } => {
            if *pin_only {
                return match target {
                    Target::Extension { number, facet: Facet::Password, .. }
                        if number == ext && action != Action::Dial =>
                    {
                        Ok(())
                    }
                    _ => Err(Denied::PasswordFirst),
                };
            }
            person(ext, *public_book, action, target)
        }
        Who::Manager { ext, departments, public_book } => match target {
            Target::Extension { number, department, facet } if number != ext => {
                let inside = department.is_none_or(|d| departments.contains(&d));
                if !inside {
                    return Err(Denied::OutsideDepartments);
                }
                // A manager sets up his people's extensions; he does not call,
                // read mail, or pick passwords in their name.
                match (action, facet) {
                    (Action::Dial, _) | (_, Facet::Pickup) => Err(Denied::NotYours),
                    (_, Facet::Password | Facet::Voicemail) => Err(Denied::NotYours),
                    (Action::Read, Facet::Credentials) => Err(Denied::NotYours),
                    (Action::Change, Facet::History | Facet::Live | Facet::CallNotes) => {
                        Err(Denied::NotYours)
                    }
                    (Action::Change, Facet::Costs) => Err(Denied::AdministratorsOnly),
                    _ => Ok(()),
                }
            }
            Target::Team | Target::ContactMarks if action != Action::Dial => Ok(()),
            Target::Callbacks { department, .. }
                if departments.contains(&department) && action != Action::Dial =>
            {
                Ok(())
            }
            _ => person(ext, *public_book, action, target),
        },
        Who::ApiToken { scopes, .. } => {
            let (area, level) = token_needs(action, target)?;
            match scopes.iter().any(|s| s.covers(area, level)) {
                true => Ok(()),
                false => Err(Denied::Scope),
            }
        }
        Who::CtiAccount { devices, monitors, .. } => match target {
            Target::Extension { number, facet, .. } => {
                let device = devices.iter().any(|d| d == number);
                let watch = monitors.iter().find(|m| m.ext == number);
                let (monitored, pickup) = (watch.is_some(), watch.is_some_and(|m| m.pickup));
                match (action, facet) {
                    (Action::Read, Facet::Live) if device || monitored => Ok(()),
                    (Action::Dial, Facet::Live) if device => Ok(()),
                    // A monitored line's ringing call, with the pickup right.
                    (Action::Dial, Facet::Pickup) if pickup => Ok(()),
                    (Action::Read, Facet::History | Facet::Program | Facet::Profile) if device => Ok(()),
                    (Action::Read | Action::Change, Facet::CallNotes) if device => Ok(()),
                    (Action::Change, Facet::Program) if device => Ok(()),
                    // A monitored line's presence shows on the busy lamp.
                    (Action::Read, Facet::Presence) if device || monitored => Ok(()),
                    (Action::Change, Facet::Presence) if device => Ok(()),
                    _ => Err(Denied::NotYours),
                }
            }
            Target::Directory | Target::PublicBook if action == Action::Read => Ok(()),
            Target::Administration(_) => Err(Denied::AdministratorsOnly),
            _ => Err(Denied::NotYours),
        },
    }
}

/// Whether `actor` sees the state of `ext`'s lamp (free, ringing, busy,
/// DND; never a call's parties) on a panel: `panel_lines` are the lines of
/// the panels of the groups his login is a member of (SPEC C6). A CTI
/// account's panels are monitor rights already (`domain::group`).
pub fn sees_lamp(actor: &Actor, ext: &str, panel_lines: &[String]) -> bool {
    match &actor.who {
        Who::Subscriber { pin_only: true, .. } => false,
        Who::Subscriber { .. } | Who::Manager { .. } => panel_lines.iter().any(|l| l == ext),
        _ => false,
    }
}

/// The extensions outside of which `actor` may see nothing live (a line, a
/// call, a record, a setting, a lamp on `panel_lines`), or `None` when his
/// rights reach further (a manager's departments, an administrator, a token,
/// the service). The bus hands a view only the events about these; what it
/// shows of them is still [`allowed`]'s and [`sees_lamp`]'s to say.
pub fn live_lines(actor: &Actor, panel_lines: &[String]) -> Option<Vec<String>> {
    let mut lines: Vec<String> = match &actor.who {
        Who::Subscriber { ext, pin_only: true, .. } => vec![ext.clone()],
        Who::Subscriber { ext, .. } => std::iter::once(ext).chain(panel_lines).cloned().collect(),
        Who::CtiAccount { devices, monitors, .. } => {
            devices.iter().chain(monitors.iter().map(|m| &m.ext)).cloned().collect()
        }
        Who::Manager { .. } | Who::Administrator { .. } | Who::ApiToken { .. } | Who::System => return None,
    };
    lines.sort();
    lines.dedup();
    Some(lines)
}

/// What `actor` may do with a shared named book (SPEC C11): what the book
/// gives everyone, and more where it is given to one of `groups` (the CTI
/// groups the actor's login is a member of). An administrator changes the
/// books he keeps and keeps a copy of the others. A token (a script, a desk
/// phone's credential) is in no group: with the phonebook scope it reads what
/// everyone reads, as does the service itself (names in events everyone may
/// see). Only an editable book is written (one kept here, or a CSV file the
/// administrator lets be edited); any other source's mirror is read-only.
pub fn book_access(actor: &Actor, groups: &[i64], book: &SharedBook) -> BookAccess {
    let granted = || {
        let by_groups = book.grants.iter().filter(|(g, _)| groups.contains(g)).map(|(_, a)| *a).max();
        by_groups.unwrap_or_default().max(book.everyone)
    };
    let access = match &actor.who {
        Who::Administrator { .. } => BookAccess::Write,
        Who::ApiToken { .. } => match allowed(actor, Action::Read, Target::PublicBook) {
            Ok(()) => book.everyone,
            Err(_) => BookAccess::None,
        },
        Who::System | Who::Subscriber { pin_only: true, .. } => book.everyone.min(BookAccess::Read),
        Who::Subscriber { .. } | Who::Manager { .. } | Who::CtiAccount { .. } => granted(),
    };
    match book.editable {
        true => access,
        false => access.min(BookAccess::Offline),
    }
}

/// Whether `actor` may bind `device` as the one it uses now (SPEC C5: what
/// feeds its lamp when its busy-lamp source is "the device in use"): a CTI
/// login, one of its own devices (for a session with hot desking, those at
/// its computer).
pub fn may_bind(actor: &Actor, device: &str) -> bool {
    matches!(&actor.who, Who::CtiAccount { devices, .. } if devices.iter().any(|d| d == device))
}

/// Whether `actor` reads its devices' past calls as the server keeps them
/// (SPEC C4, the server journal): a CTI account with that right (a
/// subscriber's WebCTI login has it: they are his own history). Each device's
/// history is still asked of [`allowed`].
pub fn reads_server_journal(actor: &Actor) -> bool {
    matches!(&actor.who, Who::CtiAccount { journals, .. } if journals.server)
}

/// Whether `actor` is given, at login, its devices' calls while none of its
/// account's clients was connected (SPEC C4, the offline journal): a CTI
/// account with that right.
pub fn gets_offline_journal(actor: &Actor) -> bool {
    matches!(&actor.who, Who::CtiAccount { journals, .. } if journals.offline)
}

/// Whether `actor`, who may read `ext`'s live events, sees the callers'
/// numbers in them: a CTI account on a monitored line only with its CLIP right
/// (SPEC C5); everyone else who may read them does.
pub fn sees_numbers(actor: &Actor, ext: &str) -> bool {
    match &actor.who {
        Who::CtiAccount { devices, monitors, .. } => {
            devices.iter().any(|d| d == ext) || monitors.iter().any(|m| m.ext == ext && m.clip)
        }
        _ => true,
    }
}

/// The area and level a token's scopes must cover for an action, or why no
/// token may do it at all: a token never reads or sets passwords, reads
/// voicemail's index only (never changes it), never writes the exchange's
/// records, and dials only for a line.
fn token_needs(action: Action, target: Target<'_>) -> Result<(Area, Level), Denied> {
    let level = match action {
        Action::Read => Level::Read,
        Action::Change | Action::Dial => Level::Write,
    };
    let area = match (target, action) {
        (Target::Extension { facet: Facet::Live, .. }, Action::Read | Action::Dial) => Area::Calls,
        (Target::Extension { facet: Facet::History, .. }, Action::Read) => Area::Records,
        (Target::Extension { facet: Facet::CallNotes, .. }, Action::Read | Action::Change) => Area::Records,
        (Target::Extension { facet: Facet::Voicemail, .. }, Action::Read) => Area::Voicemail,
        (Target::Extension { facet: Facet::Costs, .. }, Action::Read | Action::Change) => Area::Costs,
        (
            Target::Extension {
                facet: Facet::Profile | Facet::Program | Facet::Keys | Facet::Presence, ..
            },
            Action::Read | Action::Change,
        ) => Area::Extensions,
        (Target::Extension { .. }, _) => return Err(Denied::Scope),
        (Target::Directory, Action::Read) => Area::Extensions,
        (Target::PublicBook | Target::ContactMarks, Action::Read | Action::Change) => Area::Phonebook,
        (Target::Callbacks { .. }, Action::Read | Action::Change) => Area::Calls,
        (Target::Administration(area), Action::Read | Action::Change) => area,
        // The desktop client's installer is the board's to offer: a script
        // with the board's scope puts a new one in place (or reads which).
        (Target::Installer, Action::Read | Action::Change) => Area::Board,
        (Target::PrivateBook { .. } | Target::Team, _) => return Err(Denied::NotYours),
        _ => return Err(Denied::Scope),
    };
    Ok((area, level))
}

/// A person with an extension of his own (a subscriber, or a manager outside his
/// departments' extensions).
fn person(ext: &str, public_book: PublicRight, action: Action, target: Target<'_>) -> Result<(), Denied> {
    match target {
        Target::Extension { number, facet, .. } => {
            if number != ext {
                return Err(Denied::NotYours);
            }
            match (action, facet) {
                // The history and the live events are the exchange's record, not his to edit.
                (Action::Change, Facet::History | Facet::Live) => Err(Denied::NotYours),
                // Limits and credit are set by administrators.
                (Action::Change, Facet::Costs) => Err(Denied::AdministratorsOnly),
                (Action::Dial, f) if f != Facet::Live => Err(Denied::NotYours),
                // He sets his own password knowing the old one, not a temporary one.
                (_, Facet::Credentials | Facet::Pickup) => Err(Denied::NotYours),
                _ => Ok(()),
            }
        }
        Target::Directory | Target::Installer => match action {
            Action::Read => Ok(()),
            _ => Err(Denied::AdministratorsOnly),
        },
        Target::PublicBook => match (action, public_book) {
            (Action::Read, PublicRight::Read | PublicRight::Edit) => Ok(()),
            (Action::Change, PublicRight::Edit) => Ok(()),
            _ => Err(Denied::PublicBook),
        },
        Target::ContactMarks => Err(Denied::PublicBook),
        Target::PrivateBook { owner } if owner == ext && action != Action::Dial => Ok(()),
        Target::PrivateBook { .. } | Target::Team => Err(Denied::NotYours),
        Target::Callbacks { member: true, .. } if action != Action::Dial => Ok(()),
        Target::Callbacks { .. } => Err(Denied::NotYours),
        Target::Administration(_) => Err(Denied::AdministratorsOnly),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actors() -> Vec<(&'static str, Actor)> {
        let web = |who| Actor::new(who, Channel::Web);
        vec![
            (
                "sub",
                web(Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::Read }),
            ),
            (
                "editor",
                web(Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::Edit }),
            ),
            (
                "nobook",
                web(Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::None }),
            ),
            (
                "pin",
                web(Who::Subscriber { ext: "100".into(), pin_only: true, public_book: PublicRight::Edit }),
            ),
            (
                "mgr",
                web(Who::Manager { ext: "100".into(), departments: vec![1], public_book: PublicRight::Read }),
            ),
            ("admin", web(Who::Administrator { name: "root".into() })),
            ("t-read", Actor::new(Who::ApiToken { id: 1, scopes: vec![Scope::READ] }, Channel::Api)),
            ("t-prov", Actor::new(Who::ApiToken { id: 2, scopes: vec![Scope::WRITE] }, Channel::Api)),
            (
                "t-call",
                Actor::new(
                    Who::ApiToken { id: 3, scopes: vec![Scope::of(Area::Calls, Level::Write)] },
                    Channel::Api,
                ),
            ),
            (
                "cti",
                Actor::new(
                    Who::CtiAccount {
                        name: "desk".into(),
                        devices: vec!["100".into()],
                        monitors: vec![crate::domain::cti::Monitor {
                            ext: "101".into(),
                            clip: false,
                            pickup: false,
                        }],
                        journals: Default::default(),
                        groups: vec![],
                    },
                    Channel::Cti,
                ),
            ),
            ("system", Actor::system()),
            (
                "import",
                Actor::new(
                    Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::Edit },
                    Channel::Import,
                ),
            ),
        ]
    }

    const OWN: Option<i64> = Some(1);
    fn ext(number: &'static str, department: Option<i64>, facet: Facet) -> Target<'static> {
        Target::Extension { number, department, facet }
    }

    /// Every target, with what each actor (in the order of [`actors`]) may do to
    /// it: `r` read, `c` change, `d` dial, `.` refused.
    fn matrix() -> Vec<(&'static str, Target<'static>, [&'static str; 12])> {
        use Facet::*;
        //            sub    editor nobook pin    mgr    admin  t-read t-prov t-call cti    system import
        vec![
            (
                "own profile",
                ext("100", OWN, Profile),
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "r..", "rc.", "...", "r..", "rcd", "..."],
            ),
            (
                "own password",
                ext("100", OWN, Password),
                ["rc.", "rc.", "rc.", "rc.", "rc.", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "own history",
                ext("100", OWN, History),
                ["r..", "r..", "r..", "...", "r..", "rcd", "r..", "r..", "...", "r..", "rcd", "..."],
            ),
            (
                "own call notes",
                ext("100", OWN, CallNotes),
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "r..", "rc.", "...", "rc.", "rcd", "..."],
            ),
            (
                "own voicemail",
                ext("100", OWN, Voicemail),
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "own program",
                ext("100", OWN, Program),
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "r..", "rc.", "...", "rc.", "rcd", "..."],
            ),
            (
                "own live",
                ext("100", OWN, Live),
                ["r.d", "r.d", "r.d", "...", "r.d", "rcd", "r..", "r..", "r.d", "r.d", "rcd", "..."],
            ),
            (
                "own keys",
                ext("100", OWN, Keys),
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "own costs",
                ext("100", OWN, Costs),
                ["r..", "r..", "r..", "...", "r..", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "dept costs",
                ext("101", OWN, Costs),
                ["...", "...", "...", "...", "r..", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "other costs",
                ext("110", Some(2), Costs),
                ["...", "...", "...", "...", "...", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "own presence",
                ext("100", OWN, Presence),
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "r..", "rc.", "...", "rc.", "rcd", "rc."],
            ),
            (
                "pickup at a monitored line",
                ext("101", OWN, Pickup),
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "own pickup",
                ext("100", OWN, Pickup),
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "dept presence",
                ext("101", OWN, Presence),
                // The CTI account monitors 101: its busy lamp shows 101's presence.
                ["...", "...", "...", "...", "rc.", "rcd", "r..", "rc.", "...", "r..", "rcd", "..."],
            ),
            (
                "other presence",
                ext("110", Some(2), Presence),
                ["...", "...", "...", "...", "...", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "dept profile",
                ext("101", OWN, Profile),
                ["...", "...", "...", "...", "rc.", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "own credentials",
                ext("100", OWN, Credentials),
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "dept credentials",
                ext("101", OWN, Credentials),
                ["...", "...", "...", "...", ".c.", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "other credentials",
                ext("110", Some(2), Credentials),
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "dept password",
                ext("101", OWN, Password),
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "dept history",
                ext("101", OWN, History),
                ["...", "...", "...", "...", "r..", "rcd", "r..", "r..", "...", "...", "rcd", "..."],
            ),
            (
                "dept call notes",
                ext("101", OWN, CallNotes),
                ["...", "...", "...", "...", "r..", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "dept voicemail",
                ext("101", OWN, Voicemail),
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "dept program",
                ext("101", OWN, Program),
                ["...", "...", "...", "...", "rc.", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "dept live",
                ext("101", OWN, Live),
                ["...", "...", "...", "...", "r..", "rcd", "r..", "r..", "r.d", "r..", "rcd", "..."],
            ),
            (
                "other profile",
                ext("110", Some(2), Profile),
                ["...", "...", "...", "...", "...", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "other program",
                ext("110", Some(2), Program),
                ["...", "...", "...", "...", "...", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "other live",
                ext("110", Some(2), Live),
                ["...", "...", "...", "...", "...", "rcd", "r..", "r..", "r.d", "...", "rcd", "..."],
            ),
            (
                "pool program",
                ext("199", None, Program),
                ["...", "...", "...", "...", "rc.", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "own department's callbacks",
                Target::Callbacks { department: 1, member: true },
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "r..", "r..", "rc.", "...", "rcd", "..."],
            ),
            (
                "managed department's callbacks",
                Target::Callbacks { department: 1, member: false },
                ["...", "...", "...", "...", "rc.", "rcd", "r..", "r..", "rc.", "...", "rcd", "..."],
            ),
            (
                "other department's callbacks",
                Target::Callbacks { department: 2, member: false },
                ["...", "...", "...", "...", "...", "rcd", "r..", "r..", "rc.", "...", "rcd", "..."],
            ),
            (
                "directory",
                Target::Directory,
                ["r..", "r..", "r..", "...", "r..", "rcd", "r..", "r..", "...", "r..", "rcd", "..."],
            ),
            (
                "public book",
                Target::PublicBook,
                ["r..", "rc.", "...", "...", "r..", "rcd", "r..", "rc.", "...", "r..", "rcd", "rc."],
            ),
            (
                "own book",
                Target::PrivateBook { owner: "100" },
                ["rc.", "rc.", "rc.", "...", "rc.", "rcd", "...", "...", "...", "...", "rcd", "rc."],
            ),
            (
                "other book",
                Target::PrivateBook { owner: "101" },
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "installer",
                Target::Installer,
                ["r..", "r..", "r..", "...", "r..", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "team",
                Target::Team,
                ["...", "...", "...", "...", "rc.", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
            (
                "contact marks",
                Target::ContactMarks,
                ["...", "...", "...", "...", "rc.", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "administration",
                Target::Administration(Area::Extensions),
                ["...", "...", "...", "...", "...", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "tariff",
                Target::Administration(Area::Costs),
                ["...", "...", "...", "...", "...", "rcd", "r..", "rc.", "...", "...", "rcd", "..."],
            ),
            (
                "security",
                Target::Administration(Area::Security),
                ["...", "...", "...", "...", "...", "rcd", "...", "...", "...", "...", "rcd", "..."],
            ),
        ]
    }

    #[test]
    fn the_whole_matrix() {
        let actors = actors();
        let actions = [(Action::Read, 'r'), (Action::Change, 'c'), (Action::Dial, 'd')];
        let mut checked = 0;
        let mut wrong = Vec::new();
        for (name, target, row) in matrix() {
            for ((who, actor), expect) in actors.iter().zip(row) {
                let got: String = actions
                    .iter()
                    .map(|(a, c)| if allowed(actor, *a, target).is_ok() { *c } else { '.' })
                    .collect();
                checked += actions.len();
                if got != expect {
                    wrong.push(format!("{name} by {who}: expected {expect}, got {got}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert_eq!(checked, 43 * 12 * 3, "every actor, action and target");
    }

    #[test]
    fn nothing_live_is_allowed_outside_an_actors_live_lines() {
        let panel = vec!["102".to_owned()];
        let facets = [
            Facet::Profile,
            Facet::Password,
            Facet::History,
            Facet::CallNotes,
            Facet::Voicemail,
            Facet::Program,
            Facet::Live,
            Facet::Keys,
            Facet::Credentials,
            Facet::Costs,
            Facet::Presence,
            Facet::Pickup,
        ];
        for (name, actor) in actors() {
            let Some(lines) = live_lines(&actor, &panel) else {
                assert!(
                    matches!(
                        actor.who,
                        Who::Manager { .. } | Who::Administrator { .. } | Who::ApiToken { .. } | Who::System
                    ),
                    "{name} is handed every event"
                );
                continue;
            };
            for number in ["100", "101", "102", "103"] {
                for department in [None, OWN, Some(2)] {
                    for facet in facets {
                        let seen =
                            allowed(&actor, Action::Read, Target::Extension { number, department, facet });
                        let lamp = sees_lamp(&actor, number, &panel);
                        if seen.is_ok() || lamp {
                            assert!(lines.iter().any(|l| l == number), "{name} reads {facet:?} of {number}");
                        }
                    }
                }
            }
        }
        let sub = &actors()[0].1;
        assert_eq!(live_lines(sub, &panel), Some(vec!["100".to_owned(), "102".to_owned()]));
        assert_eq!(
            live_lines(&actors()[3].1, &panel),
            Some(vec!["100".to_owned()]),
            "no panel for a PIN login"
        );
        assert_eq!(live_lines(&actors()[9].1, &panel), Some(vec!["100".to_owned(), "101".to_owned()]));
    }

    #[test]
    fn refusals_say_why() {
        let pin = Actor::new(
            Who::Subscriber { ext: "107".into(), pin_only: true, public_book: PublicRight::Read },
            Channel::Web,
        );
        assert_eq!(allowed(&pin, Action::Read, ext("107", None, Facet::History)), Err(Denied::PasswordFirst));
        let mgr = Actor::new(
            Who::Manager { ext: "100".into(), departments: vec![1], public_book: PublicRight::Read },
            Channel::Web,
        );
        assert_eq!(
            allowed(&mgr, Action::Change, ext("110", Some(2), Facet::Program)),
            Err(Denied::OutsideDepartments)
        );
        let token = Actor::new(Who::ApiToken { id: 1, scopes: vec![Scope::READ] }, Channel::Api);
        assert_eq!(allowed(&token, Action::Change, Target::PublicBook), Err(Denied::Scope));
        assert_eq!(allowed(&token, Action::Read, Target::Administration(Area::Security)), Err(Denied::Scope));
        assert_eq!(allowed(&token, Action::Change, Target::Installer), Err(Denied::Scope));
        assert_eq!(
            allowed(&mgr, Action::Read, Target::Administration(Area::Board)),
            Err(Denied::AdministratorsOnly)
        );
    }

    #[test]
    fn only_a_token_that_names_it_reads_the_voicemail_index_and_none_changes_it() {
        let token = |scopes| Actor::new(Who::ApiToken { id: 1, scopes }, Channel::Api);
        let voicemail = Scope::of(Area::Voicemail, Level::Read);
        let cases = [
            (vec![Scope::READ], Action::Read, Err(Denied::Scope)),
            (vec![Scope::WRITE], Action::Read, Err(Denied::Scope)),
            (vec![voicemail], Action::Read, Ok(())),
            (vec![voicemail], Action::Change, Err(Denied::Scope)),
            (vec![Scope::of(Area::Voicemail, Level::Write)], Action::Change, Err(Denied::Scope)),
            (vec![Scope::of(Area::Records, Level::Read)], Action::Read, Err(Denied::Scope)),
        ];
        for (scopes, action, want) in cases {
            let label = format!("{scopes:?} {action:?}");
            assert_eq!(allowed(&token(scopes), action, ext("100", None, Facet::Voicemail)), want, "{label}");
        }
    }

    #[test]
    fn scopes_are_written_as_area_and_level() {
        for (code, scope) in [
            ("read", Some(Scope::READ)),
            ("write", Some(Scope::WRITE)),
            ("calls:write", Some(Scope::of(Area::Calls, Level::Write))),
            ("extensions:read", Some(Scope::of(Area::Extensions, Level::Read))),
            ("security:write", Some(Scope::of(Area::Security, Level::Write))),
            ("voicemail:read", Some(Scope::of(Area::Voicemail, Level::Read))),
            ("calls", None),
            ("calls:admin", None),
            ("phones:read", None),
            ("", None),
            ("READ", None),
        ] {
            assert_eq!(Scope::from_code(code), scope, "{code:?}");
            if let Some(s) = scope {
                assert_eq!(s.code(), code);
            }
        }
        assert!(Scope::WRITE.covers(Area::Records, Level::Read));
        assert!(!Scope::READ.covers(Area::Board, Level::Write));
        assert!(!Scope::WRITE.covers(Area::Calls, Level::Write), "dialling is named, never implied");
        assert!(!Scope::WRITE.covers(Area::Security, Level::Read));
    }

    #[test]
    fn a_shared_book_is_read_as_it_says_for_everyone_and_more_by_its_groups() {
        use BookAccess::*;
        // A book kept here and a CSV file the administrator lets be edited
        // are both editable; access does not tell them apart.
        let book = |editable, everyone, grants: &[(i64, BookAccess)]| SharedBook {
            id: 1,
            name: "Suppliers".into(),
            kept: false,
            editable,
            everyone,
            grants: grants.to_vec(),
        };
        let cti = Actor::new(
            Who::CtiAccount {
                name: "desk".into(),
                devices: vec!["100".into()],
                monitors: vec![],
                journals: Default::default(),
                groups: vec![],
            },
            Channel::Cti,
        );
        let by_label = |label: &str| actors().into_iter().find(|(l, _)| *l == label).expect(label).1;
        let (sub, admin, system) = (by_label("sub"), by_label("admin"), Actor::system());
        let token = |scope: &str| {
            let scopes = vec![Scope::from_code(scope).expect("scope")];
            Actor::new(Who::ApiToken { id: 1, scopes }, Channel::Api)
        };
        let (reader, other) = (token("phonebook:read"), token("costs:read"));
        // (actor, its groups, editable, everyone, grants, access)
        type Case<'a> = (&'a Actor, &'a [i64], bool, BookAccess, &'a [(i64, BookAccess)], BookAccess);
        let cases: Vec<Case> = vec![
            (&cti, &[], true, Read, &[], Read),
            (&cti, &[], true, None, &[(7, Write)], None),
            (&cti, &[7], true, None, &[(7, Write)], Write),
            (&cti, &[7, 8], true, Read, &[(7, Offline), (8, Read)], Offline),
            (&cti, &[7], false, None, &[(7, Write)], Offline),
            (&sub, &[8], true, None, &[(7, Write), (8, Read)], Read),
            (&sub, &[], true, Offline, &[], Offline),
            (&admin, &[], true, None, &[], Write),
            (&admin, &[], false, None, &[], Offline),
            (&system, &[7], true, None, &[(7, Write)], None),
            (&system, &[], false, Offline, &[], Read),
            (&reader, &[7], true, Offline, &[(7, Write)], Offline),
            (&reader, &[], true, None, &[(7, Write)], None),
            (&other, &[], true, Offline, &[], None),
        ];
        for (actor, groups, editable, everyone, grants, want) in cases {
            let got = book_access(actor, groups, &book(editable, everyone, grants));
            assert_eq!(
                got, want,
                "{actor:?} {groups:?} editable {editable} everyone {everyone:?} {grants:?}"
            );
        }
    }

    #[test]
    fn a_cti_login_binds_only_a_device_of_its_own() {
        let cti = Actor::new(
            Who::CtiAccount {
                name: "desk".into(),
                devices: vec!["100".into(), "101".into()],
                monitors: vec![crate::domain::cti::Monitor { ext: "102".into(), clip: true, pickup: true }],
                journals: Default::default(),
                groups: vec![],
            },
            Channel::Cti,
        );
        let cases = [
            (&cti, "101", true),
            (&cti, "100", true),
            (&cti, "102", false),
            (&cti, "", false),
            (&actors()[0].1, "100", false),
        ];
        for (actor, device, may) in cases {
            assert_eq!(may_bind(actor, device), may, "{actor:?} {device}");
        }
        // Nobody but a CTI login binds, whatever lines he may otherwise touch.
        for (label, actor) in actors().into_iter().filter(|(_, a)| !matches!(a.who, Who::CtiAccount { .. })) {
            assert!(!may_bind(&actor, "100"), "{label}");
        }
    }

    #[test]
    fn only_a_cti_login_with_the_right_reads_each_journal() {
        let cti = |server, offline| Who::CtiAccount {
            name: "desk".into(),
            devices: vec!["100".into()],
            monitors: vec![],
            journals: crate::domain::cti::Journals { server, offline },
            groups: vec![],
        };
        // (actor, reads the server journal, gets the offline journal)
        let cases = [
            (Actor::new(cti(true, false), Channel::Cti), true, false),
            (Actor::new(cti(false, true), Channel::Cti), false, true),
            (Actor::new(cti(false, false), Channel::Cti), false, false),
            (actors()[0].1.clone(), false, false),
            (Actor::system(), false, false),
        ];
        for (actor, server, offline) in cases {
            assert_eq!(reads_server_journal(&actor), server, "{actor:?}");
            assert_eq!(gets_offline_journal(&actor), offline, "{actor:?}");
        }
    }
}
