//! The CTI server's accounts (SPEC C1-C3): administrators add, change and
//! delete them, within the board's licences for accounts that log in; set a
//! password, have one made (shown once) or mark the account to be handed a new
//! one at its next login. [`CtiAccounts::login`] is the desktop protocol's
//! door: an account's name and password, or a subscriber's extension and
//! WebCTI password; guesses are throttled per account and address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::auth::{Auth, AuthError, Whose};
use super::bus::{Bus, Live};
use super::password::{self, HashError};
use super::throttle::{Budget, Throttle};
use super::{Busy, Context, ServiceError};
use crate::domain::access::{gets_offline_journal, may_bind, reads_server_journal, sees_lamp};
use crate::domain::access::{Action, Actor, Area, Channel, Denied, Facet, Target, Who};
use crate::domain::account::is_extension;
use crate::domain::cdr::{HistoryQuery, HistoryRow};
use crate::domain::cti::{
    self, check_account, check_password, check_rights, parse_devices, parse_monitors, session_devices,
    Account, AccountProblem, BlfSource, Data, Journals, Kind, Login, Rights,
};
use crate::domain::group::{
    check_name, lamp_lines, lamp_state, panel_monitors, Group, Member, Panel, PanelMember,
};
use crate::domain::line::LineState;
use crate::domain::presence::Shown;
use crate::store::cti::SavedAccount;
use crate::store::cti_group::{PanelsOf, SavedGroup};

/// Accounts that log in unless the board file says otherwise.
pub const DEFAULT_LICENCES: usize = 25;

#[derive(Clone)]
pub struct CtiAccounts {
    ctx: Context,
    auth: Arc<Auth>,
    throttle: Throttle,
    licences: usize,
    /// Clients connected, by account name (lower case).
    clients: Arc<Mutex<HashMap<String, Connected>>>,
    /// Each group's panel members as last read, for the store's generation:
    /// the clients of a group's members share one list.
    members: Arc<Mutex<SharedMembers>>,
}

/// The store's generation, and each group's members as read in it.
type SharedMembers = (u64, HashMap<i64, Arc<[PanelMember]>>);

/// Clients one account may have connected at once (a desk client, a
/// softphone, a wallboard, a reconnect overlapping its old connection).
pub const CLIENTS_PER_ACCOUNT: usize = 8;
/// Clients the server holds at once.
pub const MAX_CLIENTS: usize = 1000;

/// An account's connected clients.
#[derive(Default)]
struct Connected {
    count: usize,
    /// The device its clients last bound (SPEC C5, "the device in use").
    in_use: Option<String>,
}

/// A connected client's place in the counts, given back when dropped (or
/// handed to [`CtiAccounts::leave`]).
pub struct Seat {
    clients: Arc<Mutex<HashMap<String, Connected>>>,
    name: String,
    /// The account's name as stored, published when its device in use goes.
    account_name: String,
    /// The account's row; 0 for a subscriber's WebCTI login.
    account: i64,
    bus: Bus,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let Some(c) = clients.get_mut(&self.name) else { return };
        c.count -= 1;
        if c.count == 0 {
            let bound = clients.remove(&self.name).and_then(|c| c.in_use);
            drop(clients);
            // Nobody at the desk: every device of the account feeds its lamp again.
            if bound.is_some() {
                self.bus.publish(Live::InUse { account: self.account_name.clone(), device: None });
            }
        }
    }
}

/// Rights as an administrator's form gives them: devices and monitored lines
/// one a line (`100 main`, `105 clip pickup`).
#[derive(Debug, Clone, Default)]
pub struct RightsForm {
    pub devices: String,
    pub monitors: String,
    pub offline_journal: bool,
    pub server_journal: bool,
    pub hot_desking: bool,
    /// `in_use`, `first` or `not_softphone`.
    pub blf: String,
}

/// An account as an administrator's form gives it.
#[derive(Debug, Clone, Default)]
pub struct AccountForm {
    pub name: String,
    /// `computer`, `user` or `nologin`.
    pub kind: String,
    pub data: Data,
    /// A password typed for it; empty: keep it (a new account is given one,
    /// shown once).
    pub password: String,
}

/// The accounts, and the licences used and held.
#[derive(Debug, Clone)]
pub struct AccountList {
    pub accounts: Vec<Account>,
    pub used: usize,
    pub licences: usize,
}

/// A group as an administrator's form gives it: members one a line.
#[derive(Debug, Clone, Default)]
pub struct GroupForm {
    pub name: String,
    pub show_numbers: bool,
    pub members: String,
}

/// Calls the offline journal hands a login at most: the newest.
pub const MAX_OFFLINE: u32 = 500;
/// Calls a page of the server journal holds at most.
pub const JOURNAL_PAGE: u32 = 50;

/// The calls of a login's devices while its account's clients were away.
#[derive(Debug, Clone)]
pub struct Missed {
    /// In the order they arrived.
    pub calls: Vec<HistoryRow>,
    /// False: there were more, older ones (beyond [`MAX_OFFLINE`]).
    pub complete: bool,
}

/// A member's lamp on a panel, as the exchange and the presence stack say now.
#[derive(Debug, Clone)]
pub struct Lamp {
    pub member: PanelMember,
    /// The lines it shows now (`domain::group::lamp_lines`), first the one
    /// a call to the member rings.
    pub lines: Vec<String>,
    /// The busiest of those lines' states; `None` without lines, or with the
    /// exchange out of reach.
    pub state: Option<LineState>,
    /// Its first line's presence.
    pub presence: Option<Shown>,
}

/// A login accepted by the CTI server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtiLogin {
    pub account: Account,
    /// A subscriber logged in with his WebCTI login: his extension.
    pub extension: Option<String>,
    /// The account was marked: this is its password from now on, for the
    /// client to keep.
    pub handed_over: Option<String>,
}

impl CtiAccounts {
    pub fn new(ctx: Context, auth: Arc<Auth>, licences: usize) -> CtiAccounts {
        let members = Arc::default();
        CtiAccounts { ctx, auth, throttle: Throttle::default(), licences, clients: Arc::default(), members }
    }

    /// A place for a logged-in client of `login`'s account, within
    /// [`CLIENTS_PER_ACCOUNT`] and [`MAX_CLIENTS`].
    pub fn seat(&self, login: &CtiLogin) -> Result<Seat, ServiceError> {
        let name = login.account.name.to_lowercase();
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = clients.values().map(|c| c.count).sum();
        let mine = clients.get(&name).map_or(0, |c| c.count);
        if mine >= CLIENTS_PER_ACCOUNT || total >= MAX_CLIENTS {
            tracing::info!(account = %login.account.name, mine, total, "CTI client refused: too many");
            return Err(ServiceError::Busy(Busy::CtiClients));
        }
        clients.entry(name.clone()).or_default().count += 1;
        let (account_name, account, bus) =
            (login.account.name.clone(), login.account.id, self.ctx.bus.clone());
        Ok(Seat { clients: self.clients.clone(), name, account_name, account, bus })
    }

    /// Binds `device` as the one the login uses now (SPEC C5): with the
    /// busy-lamp source "the device in use", only its state shows on the
    /// panels the account is on, until another is bound or the account's
    /// last client leaves. Every client of the account shares it; the last
    /// bind wins. A login binds its first device unless its account has one
    /// bound already (`first`).
    pub fn bind(&self, actor: &Actor, device: &str, first: bool) -> Result<(), ServiceError> {
        let Who::CtiAccount { name, .. } = &actor.who else {
            return Err(ServiceError::Denied(Denied::NotYours));
        };
        if !may_bind(actor, device) {
            tracing::info!(actor = %actor.label(), device, "refused: not a device of its own to bind");
            return Err(ServiceError::Denied(Denied::NotYours));
        }
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let Some(c) = clients.get_mut(&name.to_lowercase()) else { return Err(ServiceError::NotFound) };
        if c.in_use.as_deref() == Some(device) || (first && c.in_use.is_some()) {
            return Ok(());
        }
        c.in_use = Some(device.to_owned());
        // Published under the lock: two binds reach the panels in their order.
        self.ctx.bus.publish(Live::InUse { account: name.clone(), device: Some(device.to_owned()) });
        Ok(())
    }

    /// The device `account`'s clients have bound, while one is connected.
    pub fn in_use(&self, account: &str) -> Option<String> {
        let clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.get(&account.to_lowercase()).and_then(|c| c.in_use.clone())
    }

    /// Every account, with the licences used.
    pub async fn list(&self, actor: &Actor) -> Result<AccountList, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Cti))?;
        let accounts = self.ctx.store.cti_accounts().await?;
        let used = accounts.iter().filter(|a| a.kind.logs_in()).count();
        Ok(AccountList { accounts, used, licences: self.licences })
    }

    /// One account.
    pub async fn account(&self, actor: &Actor, id: i64) -> Result<Account, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Cti))?;
        self.ctx.store.cti_account(id).await?.ok_or(ServiceError::NotFound)
    }

    /// Adds (`id` 0) or changes an account. A new account that logs in without
    /// a password typed is given a random one, returned to be shown once.
    #[tracing::instrument(name = "service", skip_all, fields(call = "cti.save", actor = %actor.label(), via = actor.via.code(), account = id))]
    pub async fn save(
        &self,
        actor: &Actor,
        id: i64,
        f: AccountForm,
    ) -> Result<(i64, Option<String>), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        let kind = Kind::from_code(f.kind.trim()).ok_or(AccountProblem::BadKind)?;
        let name = f.name.trim().to_owned();
        let data = trimmed(f.data);
        check_account(&name, kind, &data)?;
        let typed = !f.password.is_empty();
        if typed {
            check_password(kind, &f.password)?;
        }
        // An account that logs in without a password is given one (new, or
        // one that did not log in before).
        let without = match id {
            0 => true,
            id => !self.ctx.store.cti_account(id).await?.ok_or(ServiceError::NotFound)?.has_password,
        };
        let made = (without && !typed && kind.logs_in()).then(secret).transpose()?;
        let password = if typed { Some(f.password.clone()) } else { made.clone() };
        let hash = match password {
            Some(p) => Some(self.auth.hasher().hash(&p).await?),
            None => None,
        };
        let saved = SavedAccount { name, kind, data };
        let now = self.ctx.clock.now();
        let existing = id != 0;
        let id = self.ctx.store.save_cti_account(id, saved, hash.clone(), self.licences, now).await??;
        // A new account was stored with its password, and a changed one given
        // the made one if it had none; a password typed replaces the old one.
        if let (Some(h), true, true) = (hash, existing, typed) {
            self.ctx.store.set_cti_password(id, h, false).await?;
        }
        tracing::info!(account = id, kind = kind.code(), "CTI account saved");
        if existing {
            // Its name and names are on its groups' panels.
            self.ctx.bus.publish(Live::Groups);
        }
        Ok((id, made))
    }

    /// Makes a new password for an account, to be shown once; the hand-over
    /// mark goes.
    pub async fn new_password(&self, actor: &Actor, id: i64) -> Result<String, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        let password = secret()?;
        let hash = self.auth.hasher().hash(&password).await?;
        match self.ctx.store.set_cti_password(id, hash, false).await? {
            true => Ok(password),
            false => Err(ServiceError::NotFound),
        }
    }

    /// Marks an account to be handed a new password at its next login, or not.
    pub async fn hand_over(&self, actor: &Actor, id: i64, on: bool) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        match self.ctx.store.set_cti_hand_over(id, on).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// An account's rights.
    pub async fn rights(&self, actor: &Actor, id: i64) -> Result<Rights, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Cti))?;
        self.ctx.store.cti_rights(id).await?.ok_or(ServiceError::NotFound)
    }

    /// Rights as an account of `kind` would be given them, checked (its lines
    /// are extensions of this exchange, each once); nothing is written.
    pub async fn checked_rights(
        &self,
        actor: &Actor,
        kind: Kind,
        f: &RightsForm,
    ) -> Result<Rights, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        let numbers: std::collections::HashSet<String> =
            self.ctx.store.programs().await?.into_iter().map(|(n, _)| n).collect();
        let known = |e: &str| numbers.contains(e);
        let rights = Rights {
            devices: parse_devices(&f.devices, known)?,
            monitors: parse_monitors(&f.monitors, known)?,
            offline_journal: f.offline_journal,
            server_journal: f.server_journal,
            hot_desking: f.hot_desking,
            blf: BlfSource::from_code(f.blf.trim()).unwrap_or_default(),
        };
        check_rights(kind, &rights)?;
        Ok(rights)
    }

    /// Replaces an account's rights, checked whole first.
    #[tracing::instrument(name = "service", skip_all, fields(call = "cti.set_rights", actor = %actor.label(), via = actor.via.code(), account = id))]
    pub async fn set_rights(&self, actor: &Actor, id: i64, f: RightsForm) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        let account = self.ctx.store.cti_account(id).await?.ok_or(ServiceError::NotFound)?;
        let rights = self.checked_rights(actor, account.kind, &f).await?;
        match self.ctx.store.set_cti_rights(id, rights).await? {
            true => {
                // A member's lamp lines are its devices.
                self.ctx.bus.publish(Live::Groups);
                Ok(())
            }
            false => Err(ServiceError::NotFound),
        }
    }

    /// The actor a login acts as from `computer`: its devices (with hot
    /// desking, those standing at that computer) and monitored lines, with
    /// the lines of its groups' panels laid over (`domain::group`), which
    /// `domain::access` then decides by. A subscriber's WebCTI login has his
    /// extension as its device.
    pub async fn actor_for(&self, login: &CtiLogin, computer: &str) -> Result<Actor, ServiceError> {
        let (devices, monitors, journals) = match &login.extension {
            // His own history; no account row keeps a mark for him.
            Some(ext) => (vec![ext.clone()], Vec::new(), Journals { server: true, offline: false }),
            None => {
                let rights =
                    self.ctx.store.cti_rights(login.account.id).await?.ok_or(ServiceError::NotFound)?;
                let here = match rights.hot_desking {
                    true => self.ctx.store.devices_at(computer.trim()).await?,
                    false => Vec::new(),
                };
                let journals = Journals { server: rights.server_journal, offline: rights.offline_journal };
                (session_devices(&rights, &here), rights.monitors, journals)
            }
        };
        let panels = self.panels_of(login).await?;
        let monitors = panel_monitors(monitors, &panels, &devices);
        let name = login.account.name.clone();
        let groups = panels.iter().map(|p| p.id).collect();
        Ok(Actor::new(Who::CtiAccount { name, devices, monitors, journals, groups }, Channel::Cti))
    }

    /// The calls of the login's devices since its account's clients were last
    /// given its calls (SPEC C4, the offline journal); `None` without that
    /// right, and for a subscriber's WebCTI login (no account keeps his mark).
    /// Marks the account: from now on its calls reach the client live.
    pub async fn offline_journal(
        &self,
        login: &CtiLogin,
        actor: &Actor,
    ) -> Result<Option<Missed>, ServiceError> {
        if login.extension.is_some() {
            return Ok(None);
        }
        let id = login.account.id;
        // Calls that arrive after this reach the client live (it follows the
        // bus already); those before it are in what is read now.
        let now = self.journal_position();
        let missed = match gets_offline_journal(actor) {
            true => {
                let devices = self.devices_read(actor).await?;
                let (calls, complete) = self.ctx.store.offline_journal(id, devices, MAX_OFFLINE).await?;
                Some(Missed { calls, complete })
            }
            false => None,
        };
        self.ctx.store.mark_journal(id, now).await?;
        Ok(missed)
    }

    /// Where the call records stand now: a client's session notes it each
    /// time the client is heard from, and hands it to [`CtiAccounts::leave`].
    pub fn journal_position(&self) -> i64 {
        self.ctx.store.arrived()
    }

    /// A client is gone, last heard from when the records stood at `heard`
    /// ([`CtiAccounts::journal_position`]). When it was its account's last,
    /// the calls after that are the account's offline journal: those sent to
    /// a client that had stopped listening are given again at the next login.
    pub async fn leave(&self, seat: Seat, heard: i64) -> Result<(), ServiceError> {
        let (name, id) = (seat.name.clone(), seat.account);
        drop(seat);
        let others = self.clients.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&name);
        if id != 0 && !others {
            self.ctx.store.mark_journal(id, heard).await?;
        }
        Ok(())
    }

    /// A page of the calls of the actor's devices, newest first, older than
    /// `before` (`(started_at, id)` of the last one seen): the server journal
    /// (SPEC C4), for a login with that right.
    pub async fn journal(
        &self,
        actor: &Actor,
        before: Option<(i64, i64)>,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, ServiceError> {
        if !reads_server_journal(actor) {
            tracing::info!(actor = %actor.label(), "refused: no server journal");
            return Err(ServiceError::Denied(Denied::NotYours));
        }
        let limit = limit.clamp(1, JOURNAL_PAGE);
        let mut calls = Vec::new();
        for ext in self.devices_read(actor).await? {
            let q = HistoryQuery { extension: ext, before, limit, ..Default::default() };
            calls.extend(self.ctx.store.history(q).await?);
        }
        calls.sort_by_key(|h| std::cmp::Reverse((h.cdr.started_at, h.id)));
        calls.truncate(limit as usize);
        Ok(calls)
    }

    /// The actor's devices, each of whose calls it may read.
    async fn devices_read(&self, actor: &Actor) -> Result<Vec<String>, ServiceError> {
        let devices = match &actor.who {
            Who::CtiAccount { devices, .. } => devices.clone(),
            _ => Vec::new(),
        };
        for ext in &devices {
            self.ctx.may(actor, Action::Read, ext, Facet::History).await?;
        }
        Ok(devices)
    }

    /// The panels of the groups a login is a member of.
    pub async fn panels_of(&self, login: &CtiLogin) -> Result<Vec<Panel>, ServiceError> {
        let of = match &login.extension {
            Some(ext) => PanelsOf::Subscriber(ext.clone()),
            None => PanelsOf::Account(login.account.name.clone()),
        };
        let generation = self.ctx.store.generation();
        let panels = self.ctx.store.panels(of).await?;
        Ok(self.shared(generation, panels))
    }

    /// The panels, each with the members list the clients of its group share
    /// when it is the same (500 clients of one 100-member group held 500
    /// copies: 6 MB). `generation`: the store's, read before the panels.
    fn shared(&self, generation: u64, mut panels: Vec<Panel>) -> Vec<Panel> {
        let mut cache = self.members.lock().unwrap_or_else(|e| e.into_inner());
        if cache.0 != generation {
            *cache = (generation, HashMap::new());
        }
        for panel in &mut panels {
            match cache.1.get(&panel.id) {
                Some(kept) if *kept == panel.members => panel.members = kept.clone(),
                _ => {
                    cache.1.insert(panel.id, panel.members.clone());
                }
            }
        }
        panels
    }

    /// The panels a subscriber sees on his start page: those of the groups
    /// his WebCTI login is a member of.
    pub async fn panels(&self, actor: &Actor) -> Result<Vec<Panel>, ServiceError> {
        match &actor.who {
            Who::Subscriber { ext, pin_only: false, .. } | Who::Manager { ext, .. } => {
                Ok(self.ctx.store.panels(PanelsOf::Subscriber(ext.clone())).await?)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The panels a subscriber sees, with every member's lamp now.
    pub async fn lamps(&self, actor: &Actor) -> Result<Vec<(Panel, Vec<Lamp>)>, ServiceError> {
        let panels = self.panels(actor).await?;
        if panels.is_empty() {
            return Ok(Vec::new());
        }
        let lines: Vec<String> = panels.iter().flat_map(Panel::lines).collect();
        // Without the exchange the panels still show, their lamps unknown.
        let states = self.ctx.line_states().await.unwrap_or_default();
        let mut out = Vec::with_capacity(panels.len());
        for panel in panels {
            let mut lamps = Vec::with_capacity(panel.members.len());
            for member in panel.members.iter() {
                let in_use = match &member.member {
                    Member::Account(name) if member.follows_use => self.in_use(name),
                    _ => None,
                };
                let seen: Vec<String> = lamp_lines(member, in_use.as_ref())
                    .iter()
                    .filter(|l| sees_lamp(actor, l, &lines))
                    .cloned()
                    .collect();
                let of_lines: Vec<LineState> =
                    states.iter().filter(|(e, _)| seen.contains(e)).map(|(_, s)| *s).collect();
                let presence = match seen.first() {
                    Some(ext) => self.ctx.presence_shown(ext).await.ok(),
                    None => None,
                };
                let state = lamp_state(&of_lines);
                lamps.push(Lamp { member: member.clone(), lines: seen, state, presence });
            }
            out.push((panel, lamps));
        }
        Ok(out)
    }

    /// Every group, for administrators.
    pub async fn groups(&self, actor: &Actor) -> Result<Vec<Group>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Cti))?;
        Ok(self.ctx.store.cti_groups().await?)
    }

    /// Adds (`id` 0) or changes a group; its members' clients see the change at once.
    pub async fn save_group(&self, actor: &Actor, id: i64, f: GroupForm) -> Result<i64, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        let name = f.name.trim().to_owned();
        check_name(&name)?;
        let saved = SavedGroup { name, show_numbers: f.show_numbers, members: f.members };
        let id = self.ctx.store.save_cti_group(id, saved).await?.ok_or(ServiceError::NotFound)??;
        tracing::info!(group = id, "CTI group saved");
        self.ctx.bus.publish(Live::Groups);
        Ok(id)
    }

    pub async fn delete_group(&self, actor: &Actor, id: i64) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        if !self.ctx.store.delete_cti_group(id).await? {
            return Err(ServiceError::NotFound);
        }
        tracing::info!(group = id, "CTI group deleted");
        self.ctx.bus.publish(Live::Groups);
        Ok(())
    }

    pub async fn delete(&self, actor: &Actor, id: i64) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Cti))?;
        match self.ctx.store.delete_cti_account(id).await? {
            true => {
                self.ctx.bus.publish(Live::Groups);
                Ok(())
            }
            false => Err(ServiceError::NotFound),
        }
    }

    /// A client's login: an account's name (in any case) and password, or a
    /// subscriber's extension and WebCTI password. The same refusal whether
    /// the account exists or not; guesses throttled per account and address.
    pub async fn login(&self, name: &str, password: &str, addr: IpAddr) -> Result<CtiLogin, AuthError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > cti::MAX_NAME || password.len() > cti::MAX_PASSWORD {
            return Err(AuthError::Failed);
        }
        let now = self.ctx.clock.now();
        let attempt = self
            .throttle
            .reserve(&name.to_lowercase(), addr, Budget::NORMAL, now * 1000)
            .map_err(|ms| AuthError::Throttled(((ms + 999) / 1000) as u64))?;
        let found = self.ctx.store.cti_login(name).await?;
        let verify = |hash: Option<String>| async move {
            match self.auth.hasher().verify(password, hash.as_deref()).await {
                Err(HashError::Busy) => Err(AuthError::Throttled(1)),
                other => other.map_err(AuthError::from),
            }
        };
        let login = match found {
            Some((account, hash)) => {
                let matches = !account.hand_over && verify(hash.clone()).await?;
                match cti::login(account.kind, account.hand_over, matches) {
                    Login::Accepted => {
                        if let Some(old) = hash.filter(|h| password::outdated(h)) {
                            self.auth.rehash(Whose::Account(account.id), &old, password).await;
                        }
                        CtiLogin { account, extension: None, handed_over: None }
                    }
                    Login::HandOver => {
                        let new = secret().map_err(|_| AuthError::Failed)?;
                        let hash = self.auth.hasher().hash(&new).await?;
                        if !self.ctx.store.take_hand_over(account.id, hash).await? {
                            return Err(AuthError::Failed);
                        }
                        tracing::info!(account = account.id, "CTI login: a new password handed over");
                        CtiLogin {
                            account: Account { hand_over: false, ..account },
                            extension: None,
                            handed_over: Some(new),
                        }
                    }
                    Login::Wrong | Login::NoLogin => {
                        tracing::info!(account = account.id, %addr, "CTI login failed");
                        return Err(AuthError::Failed);
                    }
                }
            }
            None if is_extension(name) => {
                let hash = self.ctx.store.credentials(name).await?.and_then(|c| c.password_hash);
                if !verify(hash.clone()).await? {
                    tracing::info!(extension = %name, %addr, "CTI login failed");
                    return Err(AuthError::Failed);
                }
                if let Some(old) = hash.filter(|h| password::outdated(h)) {
                    self.auth.rehash(Whose::Extension(name), &old, password).await;
                }
                let account = Account {
                    id: 0,
                    name: name.to_owned(),
                    kind: Kind::User,
                    data: Data::default(),
                    has_password: true,
                    hand_over: false,
                    created_at: 0,
                };
                CtiLogin { account, extension: Some(name.to_owned()), handed_over: None }
            }
            None => {
                // As long as a real check, so a name cannot be tried for existence.
                let _ = verify(None).await;
                return Err(AuthError::Failed);
            }
        };
        attempt.succeeded();
        tracing::info!(account = %login.account.name, %addr, "CTI login");
        Ok(login)
    }
}

fn trimmed(d: Data) -> Data {
    let t = |s: String| s.trim().to_owned();
    Data {
        first_name: t(d.first_name),
        last_name: t(d.last_name),
        phone: t(d.phone),
        email: t(d.email),
        sip_user: t(d.sip_user),
        department_note: t(d.department_note),
    }
}

/// A password made for an account (80 bits, easy to read aloud).
fn secret() -> Result<String, ServiceError> {
    crate::system::random::secret_code().map_err(|e| ServiceError::Files(e.to_string()))
}
