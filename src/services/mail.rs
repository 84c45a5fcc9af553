//! Sending mail through the board's SMTP server (lettre over rustls), and the
//! [`PostOffice`] that holds the server as set now: the board file's, until an
//! administrator sets another on the SMTP page (no restart).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::Smtp;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("address {0:?} is not valid")]
    Address(String),
    #[error("the mail could not be built: {0}")]
    Build(String),
    #[error("the mail server {host}: {detail}")]
    Send { host: String, detail: String },
}

/// How long one exchange with the mail server may take.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// The mail server as set now, shared by everything that sends mail; cheap to clone.
#[derive(Clone, Default)]
pub struct PostOffice {
    mailer: Arc<RwLock<Option<Mailer>>>,
}

impl PostOffice {
    pub fn new(mailer: Option<Mailer>) -> PostOffice {
        PostOffice { mailer: Arc::new(RwLock::new(mailer)) }
    }

    /// The sender, if a mail server is set.
    pub fn mailer(&self) -> Option<Mailer> {
        self.mailer.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// From now on, mail leaves through `mailer`.
    pub fn replace(&self, mailer: Mailer) {
        *self.mailer.write().unwrap_or_else(|e| e.into_inner()) = Some(mailer);
    }
}

/// The mail sender; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    smtp: Smtp,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    pub fn new(smtp: &Smtp) -> Result<Mailer, MailError> {
        let send_err = |e: lettre::transport::smtp::Error| MailError::Send {
            host: smtp.host.clone(),
            detail: e.to_string(),
        };
        let tls = match smtp.tls.as_str() {
            "none" => Tls::None,
            mode => {
                let mut params = TlsParameters::builder(smtp.host.clone());
                if !smtp.ca.trim().is_empty() {
                    params = params
                        .add_root_certificate(Certificate::from_pem(smtp.ca.as_bytes()).map_err(send_err)?);
                }
                let params = params.build_rustls().map_err(send_err)?;
                if mode == "tls" {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(SEND_TIMEOUT));
        if !smtp.username.is_empty() {
            builder = builder.credentials(Credentials::new(smtp.username.clone(), smtp.password.clone()));
        }
        Ok(Mailer { smtp: smtp.clone(), transport: builder.build() })
    }

    pub fn settings(&self) -> &Smtp {
        &self.smtp
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let from: Mailbox = self.smtp.from.parse().map_err(|_| MailError::Address(self.smtp.from.clone()))?;
        let to_box: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_owned()))?;
        let message = Message::builder()
            .from(from)
            .to(to_box)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send { host: self.smtp.host.clone(), detail: e.to_string() })
    }
}
