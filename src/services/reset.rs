//! Forgotten passwords (SPEC W1): a one-time link that expires, sent to the
//! subscriber's e-mail address. The answer to the request is the same whether or
//! not the extension exists or has an address, and it does not wait for the mail;
//! the stored password is never sent (only its hash exists). Only a SHA-256 of the
//! link's token is stored.

use std::collections::HashMap;
use std::sync::Mutex;

use super::auth::{check_policy, Auth, AuthError};
use super::mail::PostOffice;
use crate::i18n::Tr;
use crate::store::Store;
use crate::system::random;

/// At most one mail per extension this often, so nobody can flood a mailbox.
pub const RESEND_AFTER_SECS: i64 = 300;

pub fn token_hash(token: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The reset service.
pub struct Reset {
    store: Store,
    post: PostOffice,
    link_base: String,
    lifetime_secs: i64,
    last_sent: Mutex<HashMap<String, i64>>,
}

impl Reset {
    pub fn new(store: Store, post: PostOffice, link_base: String, lifetime_secs: i64) -> Reset {
        Reset { store, post, link_base, lifetime_secs, last_sent: Mutex::new(HashMap::new()) }
    }

    /// Starts a reset for `ext` if it exists and has an address; the mail goes out
    /// in the background. Returns nothing the caller could tell apart.
    pub async fn request(&self, ext: &str, now: i64) {
        let ext = ext.trim();
        if !crate::domain::account::is_extension(ext) {
            return;
        }
        let Some(mailer) = self.post.mailer() else {
            tracing::warn!(
                "a password reset was asked for, but no mail server is set (smtp in the board file)"
            );
            return;
        };
        let Ok(Some(profile)) = self.store.profile(ext).await else { return };
        if profile.email.is_empty() {
            return;
        }
        {
            let mut last = self.last_sent.lock().unwrap_or_else(|e| e.into_inner());
            if last.get(ext).is_some_and(|t| now - t < RESEND_AFTER_SECS) {
                return;
            }
            last.insert(ext.to_owned(), now);
        }
        let Ok(token) = random::hex_token(32) else { return };
        if let Err(e) = self.store.insert_reset(&token_hash(&token), ext, now + self.lifetime_secs).await {
            tracing::error!(error = %e, "reset token not stored");
            return;
        }
        let link = format!("{}/reset?token={token}", self.link_base.trim_end_matches('/'));
        let minutes = self.lifetime_secs / 60;
        let t = Tr::new(&profile.language);
        let minutes = minutes.to_string();
        let values = [("name", profile.name.as_str()), ("ext", ext), ("minutes", &minutes), ("link", &link)];
        let (subject, body) = (t.t("mail.reset_subject").to_owned(), t.fill("mail.reset_body", &values));
        let to = profile.email.clone();
        let ext = ext.to_owned();
        tokio::spawn(async move {
            match mailer.send(&to, &subject, &body).await {
                Ok(()) => tracing::info!(extension = %ext, "password reset link sent"),
                Err(e) => tracing::error!(extension = %ext, error = %e, "password reset mail failed"),
            }
        });
    }

    /// The extension whose link this is, if the link still works.
    pub async fn valid(&self, token: &str, now: i64) -> Option<String> {
        self.store.reset_extension(&token_hash(token), now).await.ok().flatten()
    }

    /// Sets the new password with a link's token; the token is used up, and every
    /// session of the extension ends. Returns the extension.
    pub async fn complete(
        &self,
        auth: &Auth,
        token: &str,
        new: &str,
        repeat: &str,
        now: i64,
    ) -> Result<String, AuthError> {
        // The password is checked first, so a typo does not use the link up.
        let ext = self.valid(token, now).await.ok_or(AuthError::Failed)?;
        check_policy(&ext, new, repeat).map_err(AuthError::Policy)?;
        let ext = self.store.take_reset(&token_hash(token), now).await?.ok_or(AuthError::Failed)?;
        auth.reset_password(&ext, new, repeat, now).await?;
        tracing::info!(extension = %ext, "password reset by link");
        Ok(ext)
    }
}
