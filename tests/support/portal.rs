//! A small browser for the portal tests: keeps cookies, follows what a browser
//! would send (Origin on POST), and finds the CSRF token in forms.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::client::{Client, Response};

pub struct Browser {
    pub client: Client,
    pub addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
    /// The CSRF token of the last page that had a form.
    pub csrf: String,
}

impl Browser {
    pub fn new(client: Client, addr: SocketAddr) -> Browser {
        Browser { client, addr, cookies: BTreeMap::new(), csrf: String::new() }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn take(&mut self, r: Response) -> Response {
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_owned(), value.to_owned());
                    }
                }
            }
        }
        if let Some(i) = r.body.find("name=\"csrf\" value=\"") {
            let rest = &r.body[i + 19..];
            self.csrf = rest[..rest.find('"').unwrap_or(0)].to_owned();
        }
        r
    }

    pub fn get(&mut self, path: &str) -> Response {
        let cookie = self.cookie_header();
        let r = self.client.request(self.addr, "GET", path, &[("Cookie", &cookie)], "").expect("GET");
        self.take(r)
    }

    /// A form POST as our own page sends it: with Origin and the page's CSRF token.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let origin = format!("https://{}", self.addr);
        let csrf = self.csrf.clone();
        self.post_as(path, fields, &origin, &csrf)
    }

    pub fn post_as(&mut self, path: &str, fields: &[(&str, &str)], origin: &str, csrf: &str) -> Response {
        let mut body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        body.push(format!("csrf={csrf}"));
        let cookie = self.cookie_header();
        let r = self
            .client
            .request(self.addr, "POST", path, &[("Cookie", &cookie), ("Origin", origin)], &body.join("&"))
            .expect("POST");
        self.take(r)
    }

    /// A multipart form POST with one file, as a file dialog sends it.
    pub fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        file: &[u8],
    ) -> Response {
        let boundary = "----webcti-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        let csrf = self.csrf.clone();
        for (k, v) in fields.iter().copied().chain([("csrf", csrf.as_str())]) {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let cookie = self.cookie_header();
        let origin = format!("https://{}", self.addr);
        let ctype = format!("multipart/form-data; boundary={boundary}");
        let r = self
            .client
            .request_bytes(
                self.addr,
                "POST",
                path,
                &[("Cookie", &cookie), ("Origin", &origin), ("Content-Type", &ctype)],
                &body,
            )
            .expect("POST");
        self.take(r)
    }

    /// Logs in through the form; returns the response to the POST.
    pub fn login(&mut self, ext: &str, secret: &str) -> Response {
        self.get("/");
        self.post("/login", &[("extension", ext), ("password", secret)])
    }
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub const T0: i64 = 1_790_000_000;

/// A database with three subscribers and some calls, made once per test binary
/// through the store's own API and copied into each test's data directory.
pub fn seeded_db(data_dir: &Path) {
    static TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, template) = TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("webcti.db");
        // On a thread of its own: the caller may itself be inside a runtime.
        let path = db.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(seed(&path));
        })
        .join()
        .expect("seeding");
        (dir, db)
    });
    std::fs::create_dir_all(data_dir).expect("data dir");
    std::fs::copy(template, data_dir.join("webcti.db")).expect("copy template");
}

async fn seed(db: &Path) {
    use webcti::domain::cdr::{Cdr, Direction, Disposition};
    use webcti::services::password::Hasher;
    use webcti::store::voicemail::Voicemail;
    let store = webcti::store::Store::open(db).await.expect("store");
    let hasher = Hasher::new().expect("hasher");
    for (ext, name) in
        [("100", "Anna Kowalska"), ("101", "Piotr Nowak"), ("107", "Jan Szymański"), ("120", "Ewa Lis")]
    {
        store.upsert_extension(ext, name, T0).await.expect("extension");
    }
    store.set_password_hash("100", &hasher.hash("secret-100").await.expect("hash"), T0).await.expect("pw");
    store.set_password_hash("101", &hasher.hash("secret-101").await.expect("hash"), T0).await.expect("pw");
    store.set_pin_hash("107", &hasher.hash("1234").await.expect("hash"), T0).await.expect("pin");
    // 120 administers the exchange.
    store.set_password_hash("120", &hasher.hash("secret-120").await.expect("hash"), T0).await.expect("pw");
    store.set_administrator("120", true, T0).await.expect("admin");
    store.update_profile("100", "", "anna@example.com", T0).await.expect("e-mail");
    store.set_caller_ids("100", &["0221998877".to_owned()], T0).await.expect("caller ids");
    let cdr = |id: u64, ext: &str, direction, disposition, peer: &str, at: i64| Cdr {
        core_id: id,
        extension: ext.into(),
        direction,
        disposition,
        peer: peer.into(),
        external: true,
        withheld: false,
        voicemail_listen: false,
        answered_by: None,
        started_at: at,
        ring_secs: 5,
        talk_secs: if disposition == Disposition::Answered { 125 } else { 0 },
    };
    store
        .insert_cdrs(vec![
            cdr(1, "100", Direction::Incoming, Disposition::Missed, "0221111111", T0 - 3000),
            cdr(2, "100", Direction::Incoming, Disposition::Missed, "0221111111", T0 - 2000),
            cdr(3, "100", Direction::Outgoing, Disposition::Answered, "0602222222", T0 - 1000),
            cdr(4, "101", Direction::Incoming, Disposition::Answered, "0609999999", T0 - 500),
        ])
        .await
        .expect("cdrs");
    let vm = Voicemail {
        core_id: 9,
        extension: "100".into(),
        caller: "0221111111".into(),
        received_at: T0 - 1900,
        duration_secs: 20,
        heard_at: None,
    };
    store.insert_voicemail(vm).await.expect("voicemail");
    store.close().await.expect("close");
}

/// "Try again in N seconds" on a throttled login page: N, or 0.
/// Departments for the managers' tests, in a seeded data directory: 100 and 101
/// in Sales, 120 in Office, 107 in the pool; 101 manages Sales.
pub fn with_manager(data_dir: &Path) {
    let db = rusqlite::Connection::open(data_dir.join("webcti.db")).expect("db");
    db.execute_batch(
        "INSERT INTO department (name) VALUES ('Sales'), ('Office');
         UPDATE extension SET department_id = (SELECT id FROM department WHERE name = 'Sales')
           WHERE number IN ('100', '101');
         UPDATE extension SET department_id = (SELECT id FROM department WHERE name = 'Office')
           WHERE number = '120';
         INSERT INTO manager_department (extension, department_id)
           SELECT '101', id FROM department WHERE name = 'Sales';",
    )
    .expect("departments");
}

/// What the subscribers' settings are, as one text: their extensions, programs,
/// rules, caller IDs, departments managed and journals (not the call records,
/// which the simulated exchange adds to as it goes).
pub fn settings_snapshot(data_dir: &Path) -> String {
    let db = rusqlite::Connection::open(data_dir.join("webcti.db")).expect("db");
    let mut out = String::new();
    for table in
        ["extension", "extension_services", "forward_rule", "caller_id", "manager_department", "journal"]
    {
        let mut q = db.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2")).expect("select");
        let n = q.column_count();
        let mut rows = q.query([]).expect("rows");
        while let Some(r) = rows.next().expect("row") {
            let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get_ref(i).expect("cell"))).collect();
            out.push_str(&format!("{table}: {}\n", cells.join(" | ")));
        }
    }
    out
}

pub fn seconds_to_wait(body: &str) -> u64 {
    let Some(at) = body.find("Try again in ") else { return 0 };
    body[at + "Try again in ".len()..].split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
}
