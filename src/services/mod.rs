//! What the product does, between the front ends (pages, the JSON API, the CTI
//! server) and the store and core. Every use-case function takes the [`Actor`]
//! who asks, asks `domain::access` first, validates with the `domain` rules,
//! writes through the store in one job, then programs the core, then publishes
//! the change on the bus. Front ends call these same functions, so they cannot
//! disagree; none of them runs SQL or builds frames itself.
//!
//! Use cases: [`accounts`] (who is asking, profile and app settings, key labels),
//! [`calls`] (click-to-call), [`history`] (call history, the start page's
//! panels, names for numbers), [`voicemail`], [`phonebook`], [`features`] (the
//! services page: phone lock, CLIR, call waiting, call-as, wake-up, recall),
//! [`forwarding`] (and its preview), [`live`] (which events an actor sees),
//! [`installer`], [`costs`] (the tariff, limits, top-ups, forecasts, alerts,
//! and the credit the core enforces). Infrastructure: [`auth`], [`reset`], [`sessions`], [`throttle`],
//! [`password`], [`bus`], [`intake`], [`resync`], [`retention`], [`mail`].

pub mod about;
pub mod accounts;
pub mod auth;
pub mod bus;
pub mod callbacks;
pub mod calls;
pub mod certificate;
pub mod config;
pub mod costs;
pub mod cti;
pub mod directory;
pub mod employees;
pub mod error;
pub mod exposure;
pub mod features;
pub mod forwarding;
pub mod history;
pub mod installer;
pub mod intake;
pub mod journal;
pub mod live;
pub mod mail;
pub mod notify;
pub mod password;
pub mod phonebook;
pub mod presence;
pub mod provision;
pub mod reset;
pub mod resync;
pub mod retention;
pub mod sessions;
pub mod setup;
pub mod smtp;
pub mod team;
pub mod throttle;
pub mod tokens;
pub mod two_factor;
pub mod voicemail;

use std::path::PathBuf;
use std::sync::Arc;

use crate::domain::access::{allowed, Action, Actor, Facet, Target, Who};
use crate::hal::{LinkHealth, SwitchCore};
use crate::store::Store;
use crate::system::clock::Clock;
pub use error::{Busy, Exchange, Invalid, ServiceError};

/// What every service reaches: the store, the core, the bus and the clock.
#[derive(Clone)]
pub struct Context {
    pub(crate) store: Store,
    pub(crate) core: Arc<dyn SwitchCore>,
    pub(crate) bus: bus::Bus,
    pub(crate) clock: Clock,
    /// The board's time zone (wake-up times are in it).
    pub(crate) time_zone: String,
    /// What numbers outside the exchange start with (besides `+`).
    pub(crate) outside_prefix: String,
    /// The dialling plan's emergency numbers.
    pub(crate) emergency: Vec<String>,
    /// The currency call costs are in (ISO 4217).
    pub(crate) currency: String,
    /// Per cents of the credit whose passing is alerted to managers.
    pub(crate) cost_thresholds: Vec<u32>,
    /// The board, as the administrator's page names it.
    pub(crate) board: BoardInfo,
    /// The mail server as set now, and the board file's.
    pub(crate) post: mail::PostOffice,
    pub(crate) board_smtp: Option<crate::config::Smtp>,
    /// The certificate served, and the directory its files are in.
    pub(crate) certificates: Option<(Arc<certificate::CertSlot>, PathBuf)>,
    /// HTTPS-only mode and WebCTI on the WAN, as in force now.
    pub(crate) exposure: Arc<exposure::Exposure>,
}

/// The board the service runs on, as the board file names it.
#[derive(Debug, Clone, Default)]
pub struct BoardInfo {
    pub name: String,
    pub hostname: String,
    pub simulated: bool,
    pub data_dir: PathBuf,
    /// When the service started, Unix seconds.
    pub started: i64,
    /// What a certificate must name to serve the portal: the host name and the
    /// listeners' addresses.
    pub names: Vec<String>,
}

impl Context {
    pub fn new(
        store: Store,
        core: Arc<dyn SwitchCore>,
        bus: bus::Bus,
        clock: Clock,
        time_zone: String,
    ) -> Context {
        let outside_prefix = crate::config::DEFAULT_OUTSIDE_PREFIX.to_owned();
        let board = BoardInfo { started: clock.now(), ..BoardInfo::default() };
        let post = mail::PostOffice::default();
        Context {
            store,
            core,
            bus,
            clock,
            time_zone,
            outside_prefix,
            emergency: vec!["112".to_owned()],
            currency: "EUR".to_owned(),
            cost_thresholds: vec![80, 100],
            board,
            post,
            board_smtp: None,
            certificates: None,
            exposure: exposure::Exposure::new(
                exposure::Switches { https_only: true, wan_webcti: false },
                false,
            ),
        }
    }

    /// HTTPS-only mode and WebCTI on the WAN, switched by the administrator's TLS page.
    pub fn with_exposure(mut self, exposure: Arc<exposure::Exposure>) -> Context {
        self.exposure = exposure;
        self
    }

    /// The certificate served, switched by the administrator's TLS page.
    pub fn with_certificates(mut self, slot: Arc<certificate::CertSlot>, tls_dir: PathBuf) -> Context {
        self.certificates = Some((slot, tls_dir));
        self
    }

    /// The mail server in use, and the board file's (the SMTP page's default).
    pub fn with_mail(mut self, post: mail::PostOffice, board_smtp: Option<crate::config::Smtp>) -> Context {
        self.post = post;
        self.board_smtp = board_smtp;
        self
    }

    /// The board's names and data directory, for the administrator's page.
    pub fn with_board(mut self, board: BoardInfo) -> Context {
        self.board = board;
        self
    }

    /// The per cents of the credit whose passing is alerted, when not the default.
    pub fn with_cost_alerts(mut self, thresholds: &[u32]) -> Context {
        self.cost_thresholds = thresholds.to_vec();
        self
    }

    /// The currency of call costs, when it is not the default.
    pub fn with_currency(mut self, currency: &str) -> Context {
        self.currency = currency.to_owned();
        self
    }

    /// The dialling plan's emergency numbers, when they are not the default.
    pub fn with_emergency(mut self, numbers: &[String]) -> Context {
        self.emergency = numbers.to_vec();
        self
    }

    /// The exchange's outside prefix, when it is not the default.
    pub fn with_outside_prefix(mut self, prefix: &str) -> Context {
        self.outside_prefix = prefix.to_owned();
        self
    }

    /// Asks `domain::access` about one facet of an extension. The extension's
    /// department is looked up only when it can matter: for a manager, about
    /// another extension than his own.
    pub(crate) async fn may(
        &self,
        actor: &Actor,
        action: Action,
        ext: &str,
        facet: Facet,
    ) -> Result<(), ServiceError> {
        let department = match &actor.who {
            Who::Manager { ext: own, .. } if own != ext => self.store.department_of(ext).await?.flatten(),
            _ => None,
        };
        let decision = allowed(actor, action, Target::Extension { number: ext, department, facet });
        if let Err(denied) = decision {
            tracing::info!(actor = %actor.label(), via = actor.via.code(), extension = %ext, ?action, ?facet, %denied, "refused");
        }
        Ok(decision?)
    }

    /// `actor` as the journal names an author.
    pub(crate) fn author(actor: &Actor) -> crate::store::journal::Author {
        crate::store::journal::Author { actor: actor.label(), via: actor.via.code() }
    }

    /// Changes made by `actor`, for the journal.
    pub(crate) fn changes(
        actor: &Actor,
        list: Vec<crate::domain::journal::Change>,
    ) -> crate::store::journal::Changes {
        crate::store::journal::Changes { by: Context::author(actor), list }
    }

    /// The extension's stored program; `NotFound` if there is no such extension.
    pub(crate) async fn stored_program(
        &self,
        ext: &str,
    ) -> Result<crate::domain::program::ExtensionProgram, ServiceError> {
        self.store.program(ext).await?.ok_or(ServiceError::NotFound)
    }

    /// What the core is programmed with for `ext`: the stored program with the
    /// divert of the presence status that applies now laid over it (a divert
    /// the stored restriction or phone lock no longer allows is left off).
    /// Every line's state as the exchange says it now, by number (for a
    /// caller that checked what the actor may see of it).
    pub(crate) async fn line_states(
        &self,
    ) -> Result<Vec<(String, crate::domain::line::LineState)>, ServiceError> {
        match self.core.command(crate::hal::Command::Snapshot).await {
            Ok(crate::hal::Reply::Snapshot { lines }) => {
                let mut lines: Vec<_> = lines.into_iter().map(|l| (l.ext, l.state.into())).collect();
                lines.sort_by(|a: &(String, _), b| a.0.cmp(&b.0));
                Ok(lines)
            }
            _ => Err(ServiceError::Exchange(Exchange::Unreachable)),
        }
    }

    /// The presence state `ext` shows now (for a caller that checked it may).
    pub(crate) async fn presence_shown(
        &self,
        ext: &str,
    ) -> Result<crate::domain::presence::Shown, ServiceError> {
        let stored = self.stored_program(ext).await?;
        let entries = self.store.presence(ext).await?;
        let now = self.clock.now();
        Ok(crate::domain::presence::shown(
            crate::domain::presence::current(&entries, now),
            stored.dnd.is_some(),
        ))
    }

    pub(crate) async fn core_program(
        &self,
        ext: &str,
    ) -> Result<crate::domain::program::ExtensionProgram, ServiceError> {
        let stored = self.stored_program(ext).await?;
        let entries = self.store.presence(ext).await?;
        Ok(crate::domain::presence::program_for(&stored, &entries, self.clock.now(), &self.outside_prefix))
    }

    /// Asks `domain::access` about anything but an extension.
    pub(crate) fn may_do(
        &self,
        actor: &Actor,
        action: Action,
        target: Target<'_>,
    ) -> Result<(), ServiceError> {
        may_do(actor, action, target)
    }
}

/// Asks `domain::access` about anything but an extension, and logs a refusal.
pub(crate) fn may_do(actor: &Actor, action: Action, target: Target<'_>) -> Result<(), ServiceError> {
    let decision = allowed(actor, action, target);
    if let Err(denied) = decision {
        tracing::info!(actor = %actor.label(), via = actor.via.code(), ?action, ?target, %denied, "refused");
    }
    Ok(decision?)
}

/// Every service, as the front ends hold them. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub about: about::About,
    pub accounts: accounts::Accounts,
    pub employees: employees::Employees,
    pub calls: calls::Calls,
    pub callbacks: callbacks::Callbacks,
    pub costs: costs::Costs,
    pub cti: cti::CtiAccounts,
    pub directories: directory::Directories,
    pub history: history::History,
    pub voicemail: voicemail::Voicemails,
    pub phonebook: phonebook::Phonebook,
    pub presence: presence::Presences,
    pub features: features::Features,
    pub forwarding: forwarding::Forwarding,
    pub journal: journal::Journal,
    pub live: live::LiveEvents,
    pub installer: installer::Installer,
    pub auth: Arc<auth::Auth>,
    pub reset: Arc<reset::Reset>,
    pub setup: Arc<setup::Setup>,
    pub two_factor: two_factor::TwoFactor,
    pub team: team::Team,
    pub smtp: smtp::SmtpSettings,
    pub certificates: certificate::Certificates,
    pub exposure: exposure::Exposures,
    pub tokens: Arc<tokens::Tokens>,
    pub provision: provision::Provision,
    pub config: config::Configuration,
    store: Store,
    link: LinkHealth,
    clock: Clock,
}

/// Whether the service can do its work: the store answers, the core link is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub store: bool,
    /// The integrity check found the database damaged (it may still answer).
    pub damaged: bool,
    pub core: bool,
}

impl Services {
    /// The CTI server's accounts within the board file's licences.
    pub fn with_cti_licences(mut self, ctx: &Context, licences: usize) -> Services {
        self.cti = cti::CtiAccounts::new(ctx.clone(), self.auth.clone(), licences);
        // A bulk file's accounts are held to the same licences.
        self.provision.set_cti_licences(licences);
        self
    }

    /// Presence with the board file's import file, looked at every `every`.
    pub fn with_presence_import(
        mut self,
        ctx: &Context,
        file: Option<PathBuf>,
        every: std::time::Duration,
    ) -> Services {
        self.presence = presence::Presences::new(ctx.clone(), file, every);
        self
    }

    pub fn new(ctx: Context, auth: Arc<auth::Auth>, reset: Arc<reset::Reset>, data_dir: PathBuf) -> Services {
        let smtp = smtp::SmtpSettings::new(ctx.clone(), ctx.post.clone(), ctx.board_smtp.clone());
        // One provisioning service: the configuration document's imports
        // share its licences.
        let provision = provision::Provision::new(ctx.clone());
        let config = config::Configuration::new(
            ctx.clone(),
            provision.clone(),
            employees::Employees::new(ctx.clone()),
            forwarding::Forwarding::new(ctx.clone()),
            exposure::Exposures::new(ctx.clone()),
            smtp.clone(),
        );
        let directories = directory::Directories::new(ctx.clone());
        Services {
            config,
            about: about::About::new(ctx.clone()),
            accounts: accounts::Accounts::new(ctx.clone(), auth.clone()),
            employees: employees::Employees::new(ctx.clone()),
            calls: calls::Calls::new(ctx.clone()),
            callbacks: callbacks::Callbacks::new(ctx.clone()),
            costs: costs::Costs::new(ctx.clone()),
            cti: cti::CtiAccounts::new(ctx.clone(), auth.clone(), cti::DEFAULT_LICENCES),
            directories: directories.clone(),
            history: history::History::new(ctx.clone()),
            voicemail: voicemail::Voicemails::new(ctx.clone()),
            phonebook: phonebook::Phonebook::new(ctx.clone(), directories),
            presence: presence::Presences::new(ctx.clone(), None, std::time::Duration::from_secs(900)),
            features: features::Features::new(ctx.clone(), auth.clone()),
            forwarding: forwarding::Forwarding::new(ctx.clone()),
            journal: journal::Journal::new(ctx.clone()),
            live: live::LiveEvents::new(ctx.clone(), auth.sessions.clone()),
            installer: installer::Installer::new(ctx.clone(), data_dir.join(installer::DIR)),
            two_factor: two_factor::TwoFactor::new(ctx.clone(), auth.sessions.clone()),
            team: team::Team::new(ctx.clone(), auth.clone()),
            certificates: certificate::Certificates::new(ctx.clone()),
            exposure: exposure::Exposures::new(ctx.clone()),
            tokens: Arc::new(tokens::Tokens::new(ctx.store.clone(), ctx.clock.clone())),
            provision,
            smtp,
            setup: Arc::new(setup::Setup::new(
                ctx.store.clone(),
                auth.clone(),
                data_dir.join(setup::SECRET_FILE),
            )),
            auth,
            reset,
            link: ctx.core.health(),
            clock: ctx.clock.clone(),
            store: ctx.store,
        }
    }

    /// Unix seconds by the service's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub async fn health(&self) -> Health {
        Health {
            store: self.store.ping().await.is_ok(),
            damaged: self.store.damage().is_some(),
            core: self.link.is_up(),
        }
    }
}
