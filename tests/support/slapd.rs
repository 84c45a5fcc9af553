//! A real OpenLDAP server for the directory tests: Debian's slapd (installed by
//! tests/setup.sh), started by the test on a free loopback port with a
//! temporary database, its entries loaded with slapadd before it starts, and a
//! certificate of the test's own for StartTLS. Dropped, it stops.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BASE: &str = "dc=example,dc=com";
pub const PEOPLE: &str = "ou=people,dc=example,dc=com";
pub const ADMIN: &str = "cn=admin,dc=example,dc=com";
pub const PASSWORD: &str = "secret";

pub struct Slapd {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The CA certificate (PEM) the server's StartTLS certificate is made by.
    pub ca_pem: String,
}

fn slapd() -> &'static str {
    "/usr/sbin/slapd"
}

/// One person: `uid=p{i}`, with a work number and a mobile.
pub fn person(i: u32) -> String {
    format!(
        "dn: uid=p{i},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: p{i}\ncn: Person{i} Test\ngivenName: Person{i}\nsn: Test\no: Firma {}\ntelephoneNumber: +48 22 7{:02} {:02} {:02}\nmobile: 601 {:06}\n\n",
        i % 7,
        (i / 10_000) % 100,
        (i / 100) % 100,
        i % 100,
        i
    )
}

impl Slapd {
    /// A server holding `people` persons under [`PEOPLE`].
    pub fn start(people: u32) -> Slapd {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::create_dir_all(d.join("db")).expect("db dir");
        let ca_pem = certificate(d);
        std::fs::write(
            d.join("slapd.conf"),
            format!(
                "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
                 include /etc/ldap/schema/inetorgperson.schema\npidfile {d}/slapd.pid\n\
                 modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
                 TLSCertificateFile {d}/cert.pem\nTLSCertificateKeyFile {d}/key.pem\n\
                 sizelimit 500\n\
                 database mdb\nmaxsize 1073741824\nsuffix \"{BASE}\"\nrootdn \"{ADMIN}\"\nrootpw {PASSWORD}\n\
                 directory {d}/db\nindex objectClass eq\n",
                d = d.display()
            ),
        )
        .expect("slapd.conf");
        let mut ldif = format!(
            "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
             dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
        );
        for i in 0..people {
            ldif.push_str(&person(i));
        }
        std::fs::write(d.join("entries.ldif"), ldif).expect("ldif");
        let added = Command::new("/usr/sbin/slapadd")
            .arg("-q")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-l")
            .arg(d.join("entries.ldif"))
            .output()
            .expect("slapadd (tests/setup.sh installs slapd)");
        assert!(added.status.success(), "slapadd: {}", String::from_utf8_lossy(&added.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let mut s = Slapd { child: None, dir, port, ca_pem };
        s.run();
        s
    }

    /// Starts the server (again); returns when it listens.
    pub fn run(&mut self) {
        let d = self.dir.path();
        let mut child = Command::new(slapd())
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{}/", self.port))
            // Debug level "stats": in the foreground, saying when it has started.
            .args(["-d", "256"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("slapd (tests/setup.sh installs it)");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut said = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("slapd starting") {
                    let _ = tx.send(Ok(()));
                }
                if said.len() < 50 {
                    said.push(line);
                }
            }
            let _ = tx.send(Err(said.join("\n")));
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(())) => {}
            other => panic!("slapd did not start: {other:?}"),
        }
        self.child = Some(child);
    }

    /// Stops the server (its database stays for [`Slapd::run`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A CA and the server's certificate for 127.0.0.1 made by it, written where
/// slapd.conf reads them; the CA's PEM.
fn certificate(d: &Path) -> String {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, "Test directory CA");
    let ca_cert = ca.self_signed(&ca_key).expect("ca");
    let key = KeyPair::generate().expect("key");
    let mut server = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    server.subject_alt_names.push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let cert = server.signed_by(&key, &issuer).expect("server certificate");
    std::fs::write(d.join("cert.pem"), cert.pem()).expect("cert");
    std::fs::write(d.join("key.pem"), key.serialize_pem()).expect("key");
    ca_cert.pem()
}
