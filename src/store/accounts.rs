//! Subscribers' credentials and settings as the portal needs them: the password
//! and PIN hashes (never the secrets), the profile a subscriber edits, and the
//! application settings.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Store, StoreError};

/// What login needs to know about an extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub number: String,
    pub password_hash: Option<String>,
    pub pin_hash: Option<String>,
    /// The password was given by an administrator: it only lets one choose one's own.
    pub temporary: bool,
}

pub use crate::domain::account::Profile;

/// What [`Store::complete_setup`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupDone {
    /// The first administrator is named.
    Now,
    /// Setup was done before; nothing changed.
    Already,
    NoSuchExtension,
}
use crate::domain::phonebook::PublicRight;

impl Store {
    pub async fn credentials(&self, number: &str) -> Result<Option<Credentials>, StoreError> {
        let number = number.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT number, password_hash, pin_hash, password_temporary FROM extension WHERE number = ?1",
                [number],
                |r| {
                    Ok(Credentials {
                        number: r.get(0)?,
                        password_hash: r.get(1)?,
                        pin_hash: r.get(2)?,
                        temporary: r.get(3)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    /// Sets a new password hash; the PIN no longer logs in afterwards.
    pub async fn set_password_hash(&self, number: &str, hash: &str, now: i64) -> Result<bool, StoreError> {
        let (number, hash) = (number.to_owned(), hash.to_owned());
        self.write(move |c| {
            let changed = c.execute(
                "UPDATE extension SET password_hash = ?2, pin_hash = NULL, password_set_at = ?3, updated_at = ?3,
                 password_temporary = 0 WHERE number = ?1",
                params![number, hash, now],
            )?;
            // A reset link mailed before the change no longer works.
            c.execute("DELETE FROM password_reset WHERE extension = ?1", params![number])?;
            Ok(changed == 1)
        })
        .await
    }

    /// Replaces an extension's password hash by the same password hashed anew
    /// (in this version's parameters), unless it changed since `old` was read;
    /// nothing else about the password changes.
    pub async fn rehash_password(&self, number: &str, old: &str, new: &str) -> Result<bool, StoreError> {
        let (number, old, new) = (number.to_owned(), old.to_owned(), new.to_owned());
        self.write(move |c| {
            let changed = c.execute(
                "UPDATE extension SET password_hash = ?3 WHERE number = ?1 AND password_hash = ?2",
                params![number, old, new],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// The first administrator (SPEC A1): in one job, unless setup is done
    /// already, `number` gets this password and the administrator's rights, and
    /// setup is marked done. What happened is the answer.
    pub async fn complete_setup(&self, number: &str, hash: &str, now: i64) -> Result<SetupDone, StoreError> {
        let (number, hash) = (number.to_owned(), hash.to_owned());
        self.write(move |c| {
            let done: Option<String> = c
                .query_row("SELECT value FROM setting WHERE key = 'setup.done'", [], |r| r.get(0))
                .optional()?;
            if done.is_some() {
                return Ok(SetupDone::Already);
            }
            let changed = c.execute(
                "UPDATE extension SET password_hash = ?2, pin_hash = NULL, password_set_at = ?3, is_admin = 1,
                 updated_at = ?3 WHERE number = ?1",
                params![number, hash, now],
            )?;
            if changed != 1 {
                return Ok(SetupDone::NoSuchExtension);
            }
            c.execute("DELETE FROM password_reset WHERE extension = ?1", params![number])?;
            c.execute("INSERT INTO setting (key, value) VALUES ('setup.done', ?1)", params![number])?;
            Ok(SetupDone::Now)
        })
        .await
    }

    /// Gives `number` a temporary password (its hash), with the journal's entry:
    /// it logs in only to choose a password; the PIN and reset links stop working.
    pub async fn set_temporary_password(
        &self,
        number: &str,
        hash: &str,
        changes: super::journal::Changes,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (number, hash) = (number.to_owned(), hash.to_owned());
        self.write(move |c| {
            let changed = c.execute(
                "UPDATE extension SET password_hash = ?2, pin_hash = NULL, password_temporary = 1, updated_at = ?3
                 WHERE number = ?1",
                params![number, hash, now],
            )?;
            if changed != 1 {
                return Ok(false);
            }
            c.execute("DELETE FROM password_reset WHERE extension = ?1", params![number])?;
            super::journal::record(c, &number, &changes.by, &changes.list, now)?;
            Ok(true)
        })
        .await
    }

    /// Gives `number` the administrator's rights, or takes them away: provisioning,
    /// demo, tests (the administrator's page for it checks the last one stays).
    pub async fn set_administrator(&self, number: &str, admin: bool, now: i64) -> Result<bool, StoreError> {
        let number = number.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE extension SET is_admin = ?2, updated_at = ?3 WHERE number = ?1",
                params![number, admin, now],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// Sets the one-time PIN hash (and forgets any password): provisioning, demo.
    pub async fn set_pin_hash(&self, number: &str, hash: &str, now: i64) -> Result<bool, StoreError> {
        let (number, hash) = (number.to_owned(), hash.to_owned());
        self.write(move |c| {
            c.execute(
                "UPDATE extension SET pin_hash = ?2, password_hash = NULL, updated_at = ?3 WHERE number = ?1",
                params![number, hash, now],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// The profile and the right to the public book, in one read: what every
    /// portal request needs to know about who is asking.
    pub async fn profile_and_right(
        &self,
        number: &str,
    ) -> Result<Option<(Profile, PublicRight, Vec<i64>)>, StoreError> {
        let number = number.to_owned();
        self.read(move |c| match profile(c, &number)? {
            Some(p) => {
                let right = super::phonebook::right(c, &number)?;
                Ok(Some((p, right, super::org::managed(c, &number)?)))
            }
            None => Ok(None),
        })
        .await
    }

    pub async fn profile(&self, number: &str) -> Result<Option<Profile>, StoreError> {
        let key = number.to_owned();
        let number = key.clone();
        self.read_kept(|k| &k.profiles, self.settings_stamp(), key, move |c| profile(c, &number)).await
    }

    /// The fields a subscriber may change about himself.
    pub async fn update_profile(
        &self,
        number: &str,
        description: &str,
        email: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let (number, description, email) = (number.to_owned(), description.to_owned(), email.to_owned());
        self.write(move |c| {
            c.execute(
                "UPDATE extension SET description = ?2, email = ?3, updated_at = ?4 WHERE number = ?1",
                params![number, description, email, now],
            )
            .map(|_| ())
        })
        .await
    }

    /// Application settings: language, layout, the remembered callback choice.
    pub async fn update_app_settings(
        &self,
        number: &str,
        language: &str,
        layout: &str,
        callback_choice: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let (number, language, layout) = (number.to_owned(), language.to_owned(), layout.to_owned());
        let choice = callback_choice.map(str::to_owned);
        self.write(move |c| {
            c.execute(
                "UPDATE extension SET language = ?2, layout = ?3, callback_choice = ?4, updated_at = ?5
                 WHERE number = ?1",
                params![number, language, layout, choice, now],
            )
            .map(|_| ())
        })
        .await
    }

    /// Every extension's number and name, for search and name lookup.
    /// The model of the subscriber's system phone and its key labels, if he has one.
    pub async fn system_phone(&self, number: &str) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let number = number.to_owned();
        self.read(move |c| {
            let row: Option<(Option<String>, String)> = c
                .query_row(
                    "SELECT system_phone, key_labels FROM extension WHERE number = ?1",
                    [&number],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(match row {
                Some((Some(model), labels)) if !model.is_empty() => {
                    Some((model, serde_json::from_str(&labels).unwrap_or_default()))
                }
                _ => None,
            })
        })
        .await
    }

    /// Sets the system phone and its key labels (an administrator's setting).
    pub async fn set_system_phone(
        &self,
        number: &str,
        model: Option<&str>,
        labels: &[String],
    ) -> Result<(), StoreError> {
        let (number, model) = (number.to_owned(), model.map(str::to_owned));
        let labels = serde_json::to_string(labels).unwrap_or_else(|_| "[]".into());
        self.write(move |c| {
            c.execute(
                "UPDATE extension SET system_phone = ?2, key_labels = ?3 WHERE number = ?1",
                params![number, model, labels],
            )?;
            Ok(())
        })
        .await
    }
}

fn profile(c: &Connection, number: &str) -> rusqlite::Result<Option<Profile>> {
    c.query_row(
        "SELECT e.number, e.name, e.comment, e.description, e.email, d.name, e.mobile_number, e.language,
                e.layout, e.callback_choice, e.is_admin, e.notify_answered, e.notify_missed
         FROM extension e LEFT JOIN department d ON d.id = e.department_id WHERE e.number = ?1",
        [number],
        |r| {
            Ok(Profile {
                number: r.get(0)?,
                name: r.get(1)?,
                comment: r.get(2)?,
                description: r.get(3)?,
                email: r.get(4)?,
                department: r.get(5)?,
                mobile_number: r.get(6)?,
                language: r.get(7)?,
                layout: r.get(8)?,
                callback_choice: r.get(9)?,
                is_admin: r.get(10)?,
                notify_answered: r.get(11)?,
                notify_missed: r.get(12)?,
            })
        },
    )
    .optional()
}

impl Store {
    /// Keeps a password reset token's hash until `expires_at`.
    pub async fn insert_reset(
        &self,
        token_hash: &str,
        number: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let (token_hash, number) = (token_hash.to_owned(), number.to_owned());
        self.write(move |c| {
            // Old links of this extension stop working when a new one is sent.
            c.execute(
                "DELETE FROM password_reset WHERE extension = ?1 OR expires_at < ?2",
                params![number, expires_at - 86_400],
            )?;
            c.execute(
                "INSERT INTO password_reset (token_hash, extension, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, number, expires_at],
            )
            .map(|_| ())
        })
        .await
    }

    /// The extension of a valid, unused reset token, which is used up by asking.
    pub async fn take_reset(&self, token_hash: &str, now: i64) -> Result<Option<String>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.write(move |c| {
            let ext: Option<String> = c
                .query_row(
                    "SELECT extension FROM password_reset WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                    params![token_hash, now],
                    |r| r.get(0),
                )
                .optional()?;
            if ext.is_some() {
                c.execute("UPDATE password_reset SET used_at = ?2 WHERE token_hash = ?1", params![token_hash, now])?;
            }
            Ok(ext)
        })
        .await
    }

    /// The extension a reset token would be accepted for now (without using it up).
    pub async fn reset_extension(&self, token_hash: &str, now: i64) -> Result<Option<String>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT extension FROM password_reset WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                params![token_hash, now],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }
}
