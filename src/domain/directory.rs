//! External phonebook sources (SPEC C10): a CSV file or an LDAP directory that
//! the server mirrors into a read-only book of its cache. What a source is set
//! to, how a directory entry becomes a contact (the attribute mapping, with
//! defaults for OpenLDAP's `inetOrgPerson` and Active Directory), what marks a
//! record as changed, and what a sync did. The fetching is the services'.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::phonebook::{Contact, Number, NumberKind};

/// Entries one source may hold at most: a sync that finds more stops and
/// says so (the board's memory is bounded).
pub const MAX_RECORDS: usize = 50_000;
/// Sources a board keeps at most: each is synced in turn by one task.
pub const MAX_SOURCES: usize = 20;
/// The longest sync interval and the shortest, in minutes.
pub const MIN_INTERVAL: u32 = 5;
pub const MAX_INTERVAL: u32 = 7 * 24 * 60;

/// Where a source's records come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Origin {
    /// A contact file on the board (Outlook/Google CSV, vCard), read as the
    /// portal's import reads one. `editable`: those given "change" on its
    /// book change the file itself (a `.csv` only), in its own layout
    /// (`phonebook::sheet`).
    Csv {
        path: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        editable: bool,
    },
    Ldap(Ldap),
}

/// An LDAP directory: where, how to bind, what to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ldap {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade a plain connection with StartTLS before binding.
    #[serde(default)]
    pub starttls: bool,
    /// The certificate (PEM) to trust for the server, besides the board's
    /// trust store: a company's own CA.
    #[serde(default)]
    pub ca_pem: String,
    /// Empty: an anonymous bind.
    #[serde(default)]
    pub bind_dn: String,
    #[serde(default)]
    pub password: String,
    pub base: String,
    #[serde(default = "default_filter")]
    pub filter: String,
    #[serde(default)]
    pub schema: Schema,
    /// Attribute names that replace the schema's for some fields
    /// (`company` → `department`), by field: see [`FIELDS`].
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// The fields a mapping names an attribute for.
pub const FIELDS: [&str; 13] = [
    "id",
    "changed",
    "first_name",
    "last_name",
    "full_name",
    "company",
    "title",
    "email",
    "work",
    "mobile",
    "home",
    "fax",
    "other",
];

impl Ldap {
    /// The schema's attribute names with the administrator's in their place.
    pub fn mapping(&self) -> Mapping {
        let mut m = self.schema.mapping();
        for (field, attr) in &self.attributes {
            let attr = attr.clone();
            match field.as_str() {
                "id" => m.id = attr,
                "changed" => m.changed = attr,
                "first_name" => m.first_name = attr,
                "last_name" => m.last_name = attr,
                "full_name" => m.full_name = attr,
                "company" => m.company = attr,
                "title" => m.title = attr,
                "email" => m.email = attr,
                other => {
                    let kind = NumberKind::ALL.into_iter().find(|k| match k {
                        NumberKind::Work => other == "work",
                        k => k.code() == other,
                    });
                    if let Some(slot) = kind.and_then(|k| m.numbers.iter_mut().find(|(n, _)| *n == k)) {
                        slot.1 = attr;
                    }
                }
            }
        }
        m
    }
}

/// An attribute's name as LDAP writes one (a descriptor, or an OID).
fn is_attribute(name: &str) -> bool {
    let descriptor = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let oid =
        !name.is_empty() && name.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (descriptor || oid) && name.len() <= 64
}

/// The mapping as an administrator writes it: `field=attribute` per line
/// (blank lines and `#` comments passed over); each field named once.
pub fn parse_attributes(text: &str) -> Result<std::collections::BTreeMap<String, String>, SourceProblem> {
    let mut out = std::collections::BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (field, attr) = line.split_once('=').ok_or(SourceProblem::Mapping)?;
        let (field, attr) = (field.trim().to_ascii_lowercase(), attr.trim());
        if !FIELDS.contains(&field.as_str())
            || !is_attribute(attr)
            || out.insert(field, attr.to_owned()).is_some()
        {
            return Err(SourceProblem::Mapping);
        }
    }
    Ok(out)
}

/// The mapping as the form shows it again.
pub fn attributes_text(map: &std::collections::BTreeMap<String, String>) -> String {
    map.iter().map(|(f, a)| format!("{f}={a}\n")).collect()
}

fn default_filter() -> String {
    "(objectClass=*)".to_owned()
}

/// Which directory's attribute names the mapping starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schema {
    /// OpenLDAP's `inetOrgPerson`: `entryUUID`, `entryCSN`.
    #[default]
    Openldap,
    /// Active Directory: `objectGUID`, `whenChanged`, `company`.
    Ad,
}

/// A source as the administrator sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub origin: Origin,
    /// Minutes between syncs.
    pub interval_min: u32,
}

/// Why a source cannot be set so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SourceProblem {
    #[error("the book needs a name of 1 to 60 characters")]
    Name,
    #[error("the file must be an absolute path on the board")]
    Path,
    #[error("the directory's address must start with ldap:// or ldaps://")]
    Url,
    #[error("StartTLS upgrades ldap://, not ldaps://")]
    StartTlsOnLdaps,
    #[error("the search base is missing")]
    Base,
    #[error("a search filter is written in parentheses, e.g. (objectClass=person)")]
    Filter,
    #[error("the sync interval is 5 minutes to a week")]
    Interval,
    #[error("a board keeps at most 20 sources")]
    TooMany,
    #[error("only a .csv file can be edited: a vCard file stays read-only")]
    EditableCsv,
    #[error("the attribute mapping is one field=attribute per line, each field once")]
    Mapping,
    /// Everyone may at most keep a copy; "change" only where contacts may be changed.
    #[error("everyone's access is none, read or offline; a group's may also be write, on a book whose contacts may be changed")]
    Access,
    #[error("no CTI group has that name")]
    NoSuchGroup,
    /// A source's book is made on the books page (its settings and password do not travel).
    #[error("no source of that name is set up on this board")]
    NoSource,
}

impl Source {
    /// Whether the source can be used as set.
    pub fn check(&self) -> Result<(), SourceProblem> {
        if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&self.interval_min) {
            return Err(SourceProblem::Interval);
        }
        match &self.origin {
            Origin::Csv { path, .. } if !path.starts_with('/') || path.contains('\0') => {
                Err(SourceProblem::Path)
            }
            // Only a contact CSV is ever written (the edit reads it first),
            // and only a file named as one.
            Origin::Csv { path, editable: true } if !path.to_ascii_lowercase().ends_with(".csv") => {
                Err(SourceProblem::EditableCsv)
            }
            Origin::Csv { .. } => Ok(()),
            Origin::Ldap(l) => {
                let lower = l.url.to_ascii_lowercase();
                let host = lower.strip_prefix("ldap://").or_else(|| lower.strip_prefix("ldaps://"));
                if host.is_none_or(|h| h.trim_end_matches('/').is_empty() || h.contains(char::is_whitespace))
                {
                    return Err(SourceProblem::Url);
                }
                if l.starttls && lower.starts_with("ldaps://") {
                    return Err(SourceProblem::StartTlsOnLdaps);
                }
                if l.base.trim().is_empty() {
                    return Err(SourceProblem::Base);
                }
                let f = l.filter.trim();
                let depth_ok = f.chars().try_fold(0i32, |d, c| match c {
                    '(' => Some(d + 1),
                    ')' if d > 0 => Some(d - 1),
                    ')' => None,
                    _ => Some(d),
                });
                if !(f.starts_with('(') && f.ends_with(')') && depth_ok == Some(0)) {
                    return Err(SourceProblem::Filter);
                }
                Ok(())
            }
        }
    }
}

/// A book's name as the administrator gives it, trimmed, if it is one.
pub fn check_name(name: &str) -> Result<&str, SourceProblem> {
    let name = name.trim();
    let fine = !name.is_empty() && name.chars().count() <= 60 && !name.chars().any(char::is_control);
    fine.then_some(name).ok_or(SourceProblem::Name)
}

/// The attribute names a contact's fields are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub id: String,
    pub changed: String,
    pub first_name: String,
    pub last_name: String,
    pub full_name: String,
    pub company: String,
    pub title: String,
    pub email: String,
    pub numbers: [(NumberKind, String); 5],
}

impl Schema {
    pub fn mapping(self) -> Mapping {
        let numbers = [
            (NumberKind::Work, "telephoneNumber"),
            (NumberKind::Mobile, "mobile"),
            (NumberKind::Home, "homePhone"),
            (NumberKind::Fax, "facsimileTelephoneNumber"),
            (NumberKind::Other, "otherTelephone"),
        ]
        .map(|(k, a)| (k, a.to_owned()));
        let (id, changed, full_name, company) = match self {
            Schema::Openldap => ("entryUUID", "entryCSN", "cn", "o"),
            Schema::Ad => ("objectGUID", "whenChanged", "displayName", "company"),
        };
        Mapping {
            id: id.to_owned(),
            changed: changed.to_owned(),
            first_name: "givenName".to_owned(),
            last_name: "sn".to_owned(),
            full_name: full_name.to_owned(),
            company: company.to_owned(),
            title: "title".to_owned(),
            email: "mail".to_owned(),
            numbers,
        }
    }
}

impl Mapping {
    /// The attributes a search asks for.
    pub fn attributes(&self) -> Vec<&str> {
        let mut a = vec![
            self.id.as_str(),
            &self.changed,
            &self.first_name,
            &self.last_name,
            &self.full_name,
            &self.company,
            &self.title,
            &self.email,
        ];
        a.extend(self.numbers.iter().map(|(_, n)| n.as_str()));
        a
    }
}

/// One record of a source, as the cache keeps it: its permanent id (notes
/// follow it), its change marker, the contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub uid: String,
    pub rev: String,
    pub contact: Contact,
}

/// A directory entry as a record: `None` when it has neither a name nor a
/// number (a container, a group). Attribute names are compared without case,
/// as LDAP does. An entry without the id attribute is known by its DN; one
/// without a change marker is compared by its contents.
pub fn record_of(
    dn: &str,
    attrs: &HashMap<String, Vec<String>>,
    binary_id: Option<&[u8]>,
    m: &Mapping,
) -> Option<Record> {
    let lower: HashMap<String, &Vec<String>> =
        attrs.iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    let all = |name: &str| lower.get(&name.to_ascii_lowercase()).map(|v| v.as_slice()).unwrap_or_default();
    let one = |name: &str| all(name).first().map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut contact = Contact {
        first_name: one(&m.first_name),
        last_name: one(&m.last_name),
        company: one(&m.company),
        title: one(&m.title),
        email: one(&m.email),
        ..Default::default()
    };
    contact.name_from_full(&one(&m.full_name));
    for (kind, attr) in &m.numbers {
        for n in all(attr) {
            if crate::domain::number::is_phone_number(n.trim())
                && contact.numbers.len() < crate::phonebook::MAX_NUMBERS
            {
                contact.numbers.push(Number { kind: *kind, number: n.trim().to_owned() });
            }
        }
    }
    if contact.display_name().is_empty() || contact.numbers.is_empty() {
        return None;
    }
    let uid = match binary_id {
        Some(bytes) if !bytes.is_empty() => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        _ => match one(&m.id) {
            id if !id.is_empty() => id,
            _ => format!("dn:{}", dn.to_ascii_lowercase()),
        },
    };
    // The server's change marker, and what the contact holds: a marker of
    // one-second steps (modifyTimestamp) misses a change made in the second of
    // the last sync, the contents do not.
    let rev = match one(&m.changed) {
        r if !r.is_empty() => format!("{r}|{}", fingerprint(&contact)),
        _ => fingerprint(&contact),
    };
    Some(Record { uid, rev, contact })
}

/// A contact file's row as a record: its id the UID the file gives, else its
/// name and company (a row renamed is another contact); its change marker a
/// fingerprint of everything it holds.
pub fn record_of_row(contact: Contact) -> Record {
    let uid = match contact.uid.clone().filter(|u| !u.is_empty()) {
        Some(uid) => uid,
        None => format!(
            "row:{:016x}",
            fnv(&[&contact.first_name, &contact.last_name, &contact.company]
                .map(|s| s.to_lowercase())
                .join("\u{1f}"))
        ),
    };
    Record { uid, rev: fingerprint(&contact), contact }
}

/// What a contact holds, as a short mark that changes when any of it does.
pub fn fingerprint(c: &Contact) -> String {
    let mut parts: Vec<String> = vec![
        c.first_name.clone(),
        c.last_name.clone(),
        c.company.clone(),
        c.title.clone(),
        c.email.clone(),
        c.address.clone(),
    ];
    parts.extend(c.numbers.iter().map(|n| format!("{}:{}", n.kind.code(), n.number)));
    parts.extend(c.groups.iter().cloned());
    format!("fp:{:016x}", fnv(&parts.join("\u{1f}")))
}

/// FNV-1a, 64 bits: a change marker, not a defence against anyone.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Rows of a file that could not be read, by line (the first few).
    #[serde(default)]
    pub rejected: Vec<String>,
}

/// A source's last sync as the administrator's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    pub at: i64,
    /// What it did, or why it failed (the server's or the file's words).
    pub outcome: Result<SyncReport, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect())).collect()
    }

    #[test]
    fn entries_of_both_directories_become_contacts() {
        let open = attrs(&[
            ("entryUUID", &["5d1c0d5a-1b7e-4f3e-9c0a-000000000001"]),
            ("entryCSN", &["20261206101500.123456Z#000000#000#000000"]),
            ("givenName", &["Zofia"]),
            ("sn", &["Wrona"]),
            ("cn", &["Zofia Wrona"]),
            ("o", &["Kancelaria"]),
            ("telephoneNumber", &["+48 22 555 01 02", "+48 22 555 01 09"]),
            ("MOBILE", &["600 100 200"]),
            ("facsimileTelephoneNumber", &["+48 22 555 01 03"]),
        ]);
        let r = record_of("uid=zw,ou=people,dc=example,dc=com", &open, None, &Schema::Openldap.mapping())
            .expect("a contact");
        assert_eq!(r.uid, "5d1c0d5a-1b7e-4f3e-9c0a-000000000001");
        assert!(r.rev.starts_with("20261206101500.123456Z#000000#000#000000|fp:"), "{}", r.rev);
        assert_eq!(r.contact.display_name(), "Wrona Zofia");
        assert_eq!(r.contact.company, "Kancelaria");
        let kinds: Vec<(NumberKind, &str)> =
            r.contact.numbers.iter().map(|n| (n.kind, n.number.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (NumberKind::Work, "+48 22 555 01 02"),
                (NumberKind::Work, "+48 22 555 01 09"),
                (NumberKind::Mobile, "600 100 200"),
                (NumberKind::Fax, "+48 22 555 01 03")
            ]
        );
        // Active Directory: a binary GUID, the whole name only, its company attribute.
        let ad = attrs(&[
            ("whenChanged", &["20261206101500.0Z"]),
            ("displayName", &["Jan Nowak"]),
            ("company", &["Nowak & Syn"]),
            ("telephoneNumber", &["0221234567"]),
        ]);
        let r =
            record_of("CN=Jan Nowak,OU=Staff,DC=corp", &ad, Some(&[0xde, 0xad, 0x01]), &Schema::Ad.mapping())
                .expect("a contact");
        assert_eq!(
            (r.uid.as_str(), r.contact.first_name.as_str(), r.contact.last_name.as_str()),
            ("dead01", "Jan", "Nowak")
        );
        assert_eq!(r.contact.company, "Nowak & Syn");
        // Without an id or a change marker: known by the DN, compared by contents.
        let bare = attrs(&[("cn", &["Reception"]), ("telephoneNumber", &["100"])]);
        let r =
            record_of("CN=Reception,DC=corp", &bare, None, &Schema::Openldap.mapping()).expect("a contact");
        assert_eq!(r.uid, "dn:cn=reception,dc=corp");
        assert!(r.rev.starts_with("fp:"));
        // A group, or a person without a number, is no contact; nor is a bad number.
        let group = attrs(&[("cn", &["Sales"]), ("member", &["uid=a"])]);
        assert_eq!(record_of("cn=Sales", &group, None, &Schema::Openldap.mapping()), None);
        let junk = attrs(&[("cn", &["X"]), ("telephoneNumber", &["call me"])]);
        assert_eq!(record_of("cn=X", &junk, None, &Schema::Openldap.mapping()), None);
    }

    #[test]
    fn an_administrators_mapping_replaces_the_schemas_names() {
        let attributes =
            parse_attributes("# ours\ncompany = department\nMOBILE=pager\n\nid=uid\n").expect("a mapping");
        assert_eq!(attributes_text(&attributes), "company=department\nid=uid\nmobile=pager\n");
        let ldap = Ldap {
            url: "ldap://dir".into(),
            starttls: false,
            ca_pem: String::new(),
            bind_dn: String::new(),
            password: String::new(),
            base: "dc=x".into(),
            filter: default_filter(),
            schema: Schema::Openldap,
            attributes,
        };
        let m = ldap.mapping();
        assert_eq!(
            (m.company.as_str(), m.id.as_str(), m.first_name.as_str()),
            ("department", "uid", "givenName")
        );
        assert!(m.numbers.contains(&(NumberKind::Mobile, "pager".to_owned())));
        assert!(m.attributes().contains(&"department") && !m.attributes().contains(&"o"));
        let entry = attrs(&[
            ("uid", &["zw"]),
            ("cn", &["Zofia Wrona"]),
            ("department", &["Sales"]),
            ("pager", &["600 1"]),
        ]);
        let r = record_of("uid=zw", &entry, None, &m).expect("a contact");
        assert_eq!((r.uid.as_str(), r.contact.company.as_str()), ("zw", "Sales"));
        assert_eq!(r.contact.numbers[0].kind, NumberKind::Mobile);
        for bad in ["company", "colour=red", "company=a b", "company=a\ncompany=b", "work=1.2..3"] {
            assert_eq!(parse_attributes(bad), Err(SourceProblem::Mapping), "{bad:?}");
        }
        assert_eq!(parse_attributes("work=2.5.4.20").map(|m| m.len()), Ok(1), "an OID");
    }

    #[test]
    fn a_rows_fingerprint_follows_its_contents_and_its_id_its_name() {
        let row = |number: &str| Contact {
            first_name: "Ewa".into(),
            last_name: "Lis".into(),
            numbers: vec![Number { kind: NumberKind::Work, number: number.into() }],
            ..Default::default()
        };
        let (a, b) = (record_of_row(row("221")), record_of_row(row("222")));
        assert_eq!(a.uid, b.uid, "the same person");
        assert_ne!(a.rev, b.rev, "changed");
        assert_eq!(a.rev, record_of_row(row("221")).rev);
        let with_uid = Contact { uid: Some("abc".into()), ..row("221") };
        assert_eq!(record_of_row(with_uid).uid, "abc");
    }

    #[test]
    fn sources_that_cannot_be_used() {
        let ldap = |url: &str, starttls: bool, base: &str, filter: &str| Source {
            origin: Origin::Ldap(Ldap {
                url: url.into(),
                starttls,
                ca_pem: String::new(),
                bind_dn: String::new(),
                password: String::new(),
                base: base.into(),
                filter: filter.into(),
                schema: Schema::Openldap,
                attributes: Default::default(),
            }),
            interval_min: 60,
        };
        let cases: &[(Source, Result<(), SourceProblem>)] = &[
            (ldap("ldap://dir.example.com", true, "dc=example,dc=com", "(objectClass=person)"), Ok(())),
            (ldap("LDAPS://dir:636/", false, "dc=x", "(&(objectClass=person)(mobile=*))"), Ok(())),
            (ldap("http://dir", false, "dc=x", "(a=b)"), Err(SourceProblem::Url)),
            (ldap("ldap://", false, "dc=x", "(a=b)"), Err(SourceProblem::Url)),
            (ldap("ldaps://dir", true, "dc=x", "(a=b)"), Err(SourceProblem::StartTlsOnLdaps)),
            (ldap("ldap://dir", false, " ", "(a=b)"), Err(SourceProblem::Base)),
            (ldap("ldap://dir", false, "dc=x", "objectClass=person"), Err(SourceProblem::Filter)),
            (ldap("ldap://dir", false, "dc=x", "(a=b))("), Err(SourceProblem::Filter)),
            (
                Source {
                    origin: Origin::Csv { path: "/mnt/flash/books/a.csv".into(), editable: false },
                    interval_min: 15,
                },
                Ok(()),
            ),
            (
                Source {
                    origin: Origin::Csv { path: "books/a.csv".into(), editable: false },
                    interval_min: 15,
                },
                Err(SourceProblem::Path),
            ),
            (
                Source { origin: Origin::Csv { path: "/a.csv".into(), editable: false }, interval_min: 1 },
                Err(SourceProblem::Interval),
            ),
            (
                Source {
                    origin: Origin::Csv { path: "/mnt/flash/books/A.CSV".into(), editable: true },
                    interval_min: 15,
                },
                Ok(()),
            ),
            (
                Source {
                    origin: Origin::Csv { path: "/mnt/flash/books/a.vcf".into(), editable: true },
                    interval_min: 15,
                },
                Err(SourceProblem::EditableCsv),
            ),
            (
                Source {
                    origin: Origin::Csv { path: "/etc/passwd".into(), editable: true },
                    interval_min: 15,
                },
                Err(SourceProblem::EditableCsv),
            ),
            (
                Source {
                    origin: Origin::Csv { path: "/mnt/flash/books/a.vcf".into(), editable: false },
                    interval_min: 15,
                },
                Ok(()),
            ),
        ];
        for (source, expect) in cases {
            assert_eq!(source.check(), *expect, "{source:?}");
        }
        assert_eq!(check_name("  Kunden "), Ok("Kunden"));
        assert_eq!(check_name(""), Err(SourceProblem::Name));
    }
}
