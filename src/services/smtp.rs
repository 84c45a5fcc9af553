//! The administrator's SMTP page (SPEC A3): the mail server the board sends
//! through (password reset links, call notifications), stored so it outlives a
//! restart and put to use at once; the board file's server is the default. The
//! password is stored and never shown again. A test mail says what the server
//! answered when it fails.

use super::mail::{Mailer, PostOffice};
use super::{Context, ServiceError};
use crate::config::Smtp;
use crate::domain::access::{Action, Actor, Area, Target};
use crate::domain::mail::{check_smtp, SmtpProblem, MAX_ACCOUNT, MAX_CA_PEM};

/// Where the stored setting lives (`setting` table, JSON).
pub const SETTING: &str = "smtp";

/// The server as the page shows it: everything but the password.
#[derive(Debug, Clone, Default)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub username: String,
    pub password_set: bool,
    pub from: String,
    pub ca: String,
}

/// The page as sent.
#[derive(Debug, Clone, Default)]
pub struct SmtpChange {
    pub host: String,
    pub port: String,
    pub tls: String,
    pub username: String,
    /// Empty: keep the stored one.
    pub password: String,
    pub forget_password: bool,
    pub from: String,
    pub ca: String,
}

#[derive(Clone)]
pub struct SmtpSettings {
    ctx: Context,
    post: PostOffice,
    /// The board file's server: the link base and reset lifetime come from it.
    board: Option<Smtp>,
}

fn invalid(p: SmtpProblem) -> ServiceError {
    ServiceError::Invalid(p.into())
}

impl SmtpSettings {
    pub fn new(ctx: Context, post: PostOffice, board: Option<Smtp>) -> SmtpSettings {
        SmtpSettings { ctx, post, board }
    }

    /// The server in use: the stored one, else the board file's.
    async fn current(&self) -> Result<Option<Smtp>, ServiceError> {
        Ok(match self.ctx.store.setting(SETTING).await? {
            Some(json) => serde_json::from_str(&json).ok().or_else(|| self.board.clone()),
            None => self.board.clone(),
        })
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "smtp.view", actor = %actor.label(), via = actor.via.code()))]
    pub async fn view(&self, actor: &Actor) -> Result<SmtpView, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Board))?;
        Ok(match self.current().await? {
            Some(s) => SmtpView {
                password_set: !s.password.is_empty(),
                host: s.host,
                port: s.port,
                tls: s.tls,
                username: s.username,
                from: s.from,
                ca: s.ca,
            },
            None => SmtpView {
                port: crate::config::DEFAULT_SMTP_PORT,
                tls: "starttls".into(),
                ..SmtpView::default()
            },
        })
    }

    /// Checks, stores and puts to use a new server.
    #[tracing::instrument(name = "service", skip_all, fields(call = "smtp.save", actor = %actor.label(), via = actor.via.code()))]
    pub async fn save(&self, actor: &Actor, c: SmtpChange) -> Result<(), ServiceError> {
        let (smtp, mailer) = self.checked(actor, &c).await?;
        let json = serde_json::to_string(&smtp).map_err(|_| invalid(SmtpProblem::TooLong))?;
        self.ctx.store.set_setting(SETTING, &json).await?;
        self.post.replace(mailer);
        tracing::info!(actor = %actor.label(), host = %smtp.host, port = smtp.port, tls = %smtp.tls, "mail server set");
        Ok(())
    }

    /// Why [`SmtpSettings::save`] would refuse `c`, if it would; whether it
    /// changes the server in use.
    pub async fn check(&self, actor: &Actor, c: &SmtpChange) -> Result<bool, ServiceError> {
        let (smtp, _) = self.checked(actor, c).await?;
        Ok(self.current().await?.as_ref() != Some(&smtp))
    }

    async fn checked(&self, actor: &Actor, c: &SmtpChange) -> Result<(Smtp, Mailer), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Board))?;
        let (host, tls, from, username) = (c.host.trim(), c.tls.trim(), c.from.trim(), c.username.trim());
        let port = check_smtp(host, &c.port, tls, from).map_err(invalid)?;
        if username.len() > MAX_ACCOUNT || c.password.len() > MAX_ACCOUNT || c.ca.len() > MAX_CA_PEM {
            return Err(invalid(SmtpProblem::TooLong));
        }
        let ca = c.ca.trim();
        let pem = ca.starts_with("-----BEGIN CERTIFICATE-----") && ca.ends_with("-----END CERTIFICATE-----");
        if !ca.is_empty() && !pem {
            return Err(invalid(SmtpProblem::BadCertificate));
        }
        let old = self.current().await?;
        let password = match (&old, c.password.is_empty(), c.forget_password) {
            (_, _, true) => String::new(),
            (Some(o), true, false) => o.password.clone(),
            _ => c.password.clone(),
        };
        let base = self.board.clone();
        let smtp = Smtp {
            host: host.to_owned(),
            port,
            tls: tls.to_owned(),
            username: username.to_owned(),
            password,
            from: from.to_owned(),
            link_base: base.as_ref().map(|b| b.link_base.clone()).unwrap_or_default(),
            reset_minutes: base.map_or(crate::config::DEFAULT_RESET_MINUTES, |b| b.reset_minutes),
            ca: ca.to_owned(),
        };
        let mailer = Mailer::new(&smtp).map_err(|_| invalid(SmtpProblem::BadCertificate))?;
        Ok((smtp, mailer))
    }

    /// Sends a test mail to `to` now; `Err(text)` is what went wrong, as the
    /// server (or the connection) said it.
    #[tracing::instrument(name = "service", skip_all, fields(call = "smtp.test", actor = %actor.label(), via = actor.via.code()))]
    pub async fn test(&self, actor: &Actor, to: &str) -> Result<Result<(), String>, ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Board))?;
        let Some(mailer) = self.post.mailer() else { return Ok(Err("no mail server is set".to_owned())) };
        let body = "This is a test e-mail from the WebCTI portal of the telephone exchange.\r\n\
                    If it arrived, the exchange can send password reset links and call notifications.\r\n";
        Ok(mailer.send(to.trim(), "WebCTI: test e-mail", body).await.map_err(|e| e.to_string()))
    }
}
