//! Departments and the administrator's fields of an extension (department,
//! e-mail, MobilePhone number).

use rusqlite::params;

use super::{Store, StoreError};

impl Store {
    /// The department's id, adding it if it does not exist.
    pub async fn ensure_department(&self, name: &str) -> Result<i64, StoreError> {
        let name = name.to_owned();
        self.write(move |c| {
            c.execute("INSERT INTO department (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", [&name])?;
            c.query_row("SELECT id FROM department WHERE name = ?1", [&name], |r| r.get(0))
        })
        .await
    }

    /// Sets what an administrator sets about an extension.
    pub async fn set_extension_admin(
        &self,
        number: &str,
        department: Option<i64>,
        email: &str,
        mobile: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (number, email, mobile) = (number.to_owned(), email.to_owned(), mobile.to_owned());
        self.write(move |c| {
            c.execute(
                "UPDATE extension SET department_id = ?2, email = ?3, mobile_number = ?4, updated_at = ?5 WHERE number = ?1",
                params![number, department, email, mobile, now],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// The department an extension belongs to: `None` if there is no such
    /// extension, `Some(None)` if it is in the unassigned pool.
    pub async fn department_of(&self, number: &str) -> Result<Option<Option<i64>>, StoreError> {
        let number = number.to_owned();
        self.read(move |c| {
            use rusqlite::OptionalExtension;
            c.query_row("SELECT department_id FROM extension WHERE number = ?1", [&number], |r| r.get(0))
                .optional()
        })
        .await
    }

    /// Every extension's department (`None`: unassigned), by number.
    pub async fn departments_of_all(
        &self,
    ) -> Result<std::collections::HashMap<String, Option<i64>>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT number, department_id FROM extension")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }
}
