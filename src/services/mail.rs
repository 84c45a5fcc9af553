//! Sending mail through the board's SMTP server (lettre over rustls).

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
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
        let builder = match smtp.tls.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(send_err)?,
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(send_err)?,
        };
        let mut builder = builder.port(smtp.port);
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
