//! `webcti provision` (SPEC V3): a command-line client of the provisioning API,
//! in the same binary, for the common tasks of an installer's script. It
//! speaks only HTTPS to `/api/v1` (with a token, like any script), so what it
//! does is what the API lets that token do, checked by the exchange; it
//! never opens the database. (The first token is made on the board itself,
//! with `webcti token create`, which `webcti provision token` also runs.)
//!
//! `apply FILE` takes a declarative document, JSON or TOML: the departments,
//! extensions and CTI groups as they should be (the bulk document of the API,
//! version 2; version 1 has no groups). It asks the exchange for a dry run first and shows the difference;
//! unless `--dry-run`, it then applies the document, which the exchange takes
//! whole or not at all. Applying the same document again changes nothing.
//! With `--config`, the document is the whole configuration (`export
//! --config` gives it): what a new board needs to be the same as an old one.

pub mod wire;

use std::path::PathBuf;

use serde_json::Value;
use wire::{Answer, Base, Wire, WireError};

/// What `webcti provision` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// `get PATH`: one resource, as JSON.
    Get(String),
    /// `list extensions|phonebook/contacts|... [KEY=VALUE...]`: every page of a collection.
    List { what: String, filters: Vec<String> },
    /// `apply FILE [--dry-run] [--config]`: the document's difference, then
    /// (unless a dry run) the document; with `config`, a whole configuration.
    Apply { file: PathBuf, dry_run: bool, config: bool },
    /// `export [--csv | --config]`: every department and extension, or the whole configuration.
    Export { csv: bool, config: bool },
    /// `import FILE [--dry-run]`: a bulk file (CSV, JSON or TOML) as it is.
    Import { file: PathBuf, dry_run: bool },
    /// `call EXT NUMBER [--mobile]`: click-to-call.
    Call { extension: String, number: String, mobile: bool },
}

/// A whole `webcti provision` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `--url`, else `WEBCTI_URL`.
    pub url: Option<String>,
    /// `--token`, else `WEBCTI_TOKEN` (better: not seen in the process list).
    pub token: Option<String>,
    /// `--ca`, else `WEBCTI_CA`: the certificate to trust (the board's own).
    pub ca: Option<PathBuf>,
    pub verb: Verb,
}

/// Why a command did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("{0}")]
    File(String),
    /// The exchange said no; its problem's text.
    #[error("{0}")]
    Refused(String),
}

/// Runs the request; what it prints goes to `out`.
pub fn run(request: &Request, out: &mut dyn std::io::Write) -> Result<(), ProvisionError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let url = request.url.clone().or_else(|| env("WEBCTI_URL")).ok_or_else(|| {
        WireError::Usage(
            "provision needs the exchange's address: --url https://HOST:PORT or WEBCTI_URL".into(),
        )
    })?;
    let token = request.token.clone().or_else(|| env("WEBCTI_TOKEN")).ok_or_else(|| {
        WireError::Usage(
            "provision needs a token: WEBCTI_TOKEN or --token (make one with webcti token create)".into(),
        )
    })?;
    let ca = request.ca.clone().or_else(|| env("WEBCTI_CA").map(PathBuf::from));
    let mut always = vec![("Authorization", format!("Bearer {}", token.trim()))];
    if let Some(lang) = language() {
        always.push(("Accept-Language", lang.to_owned()));
    }
    let wire = Wire::new(Base::parse(&url)?, ca.as_deref(), always)?;
    let mut print =
        |text: &str| out.write_all(text.as_bytes()).map_err(|e| ProvisionError::File(e.to_string()));
    match &request.verb {
        Verb::Get(path) => {
            let path = path.trim_start_matches('/').trim_start_matches("api/v1/");
            let answer = ok(wire.send("GET", &format!("/api/v1/{path}"), None, b"")?)?;
            print(&pretty(&answer.body))
        }
        Verb::List { what, filters } => {
            let mut items = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let mut query = filters.join("&");
                if let Some(a) = &after {
                    query = format!("{query}{}after={a}", if query.is_empty() { "" } else { "&" });
                }
                let path = match query.is_empty() {
                    true => format!("/api/v1/{what}"),
                    false => format!("/api/v1/{what}?{query}"),
                };
                let page = json(&ok(wire.send("GET", &path, None, b"")?)?)?;
                items.extend(page["items"].as_array().into_iter().flatten().cloned());
                // A cursor is a string (an extension's number) or a number (an id).
                let next = match &page["next"] {
                    Value::String(n) => Some(n.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                match next {
                    Some(n) if after.as_deref() != Some(n.as_str()) => after = Some(n),
                    _ => break,
                }
            }
            print(&pretty_value(&Value::Array(items)))
        }
        Verb::Export { csv, config } => {
            let path = match (csv, config) {
                (_, true) => "/api/v1/config",
                (true, _) => "/api/v1/bulk/extensions.csv",
                _ => "/api/v1/bulk",
            };
            let answer = ok(wire.send("GET", path, None, b"")?)?;
            match csv {
                true => print(&String::from_utf8_lossy(&answer.body)),
                false => print(&pretty(&answer.body)),
            }
        }
        Verb::Import { file, dry_run } => {
            let (content_type, body) = document(file)?;
            let report = import(&wire, content_type, &body, *dry_run, false)?;
            print(&difference(&report))?;
            print(&summary(&report, *dry_run))?;
            refused(&report)
        }
        Verb::Apply { file, dry_run, config } => {
            let (content_type, body) = document(file)?;
            let planned = import(&wire, content_type, &body, true, *config)?;
            print(&difference(&planned))?;
            refused(&planned)?;
            if count(&planned, "created") + count(&planned, "changed") + count(&planned, "removed") == 0 {
                return print("nothing to change: the exchange is as the document says\n");
            }
            if *dry_run {
                return print(&summary(&planned, true));
            }
            let done = import(&wire, content_type, &body, false, *config)?;
            print(&summary(&done, false))?;
            refused(&done)
        }
        Verb::Call { extension, number, mobile } => {
            let mut call = serde_json::json!({ "extension": extension, "number": number });
            if *mobile {
                call["from"] = "mobile".into();
            }
            let body = call.to_string();
            let answer =
                ok(wire.send("POST", "/api/v1/calls", Some("application/json"), body.as_bytes())?)?;
            let placed = json(&answer)?;
            print(&format!(
                "{} rings, then {} is dialled\n",
                placed["extension"].as_str().unwrap_or(extension),
                placed["dialled"].as_str().unwrap_or(number)
            ))
        }
    }
}

/// The caller's language for the exchange's messages, from the locale.
fn language() -> Option<&'static str> {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))?;
    ["pl", "de", "en"].into_iter().find(|l| locale.starts_with(l))
}

/// A file to import: CSV as it is; JSON as it is; TOML as the same JSON.
fn document(file: &std::path::Path) -> Result<(&'static str, Vec<u8>), ProvisionError> {
    let unreadable = |e: std::io::Error| ProvisionError::File(format!("{}: {e}", file.display()));
    let size = std::fs::metadata(file).map_err(unreadable)?.len();
    if size > 4 * 1024 * 1024 {
        return Err(ProvisionError::File(format!(
            "{}: larger than the 4 MiB the exchange takes",
            file.display()
        )));
    }
    let bytes = std::fs::read(file).map_err(unreadable)?;
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Ok(("text/csv", bytes)),
        "toml" => {
            let text = String::from_utf8(bytes)
                .map_err(|_| ProvisionError::File(format!("{}: not UTF-8", file.display())))?;
            let doc: Value = toml::from_str(&text)
                .map_err(|e| ProvisionError::File(format!("{}: {}", file.display(), e.message())))?;
            Ok(("application/json", doc.to_string().into_bytes()))
        }
        _ => Ok(("application/json", bytes)),
    }
}

/// A bulk file (`POST /api/v1/bulk`) or a whole configuration (`PUT /api/v1/config`).
fn import(
    wire: &Wire,
    content_type: &str,
    body: &[u8],
    dry_run: bool,
    config: bool,
) -> Result<Value, ProvisionError> {
    let (method, path) = if config { ("PUT", "/api/v1/config") } else { ("POST", "/api/v1/bulk") };
    let path = if dry_run { format!("{path}?dry_run=true") } else { path.to_owned() };
    json(&ok(wire.send(method, &path, Some(content_type), body)?)?)
}

/// The answer if it is a success; else what its problem says.
fn ok(answer: Answer) -> Result<Answer, ProvisionError> {
    if (200..300).contains(&answer.status) {
        return Ok(answer);
    }
    let text = match serde_json::from_slice::<Value>(&answer.body) {
        Ok(p) => {
            let mut t = p["detail"].as_str().unwrap_or_default().to_owned();
            if let Some(at) = p["errors"][0]["pointer"].as_str() {
                t.push_str(&format!(" (at {at})"));
            }
            t
        }
        Err(_) => String::from_utf8_lossy(&answer.body).chars().take(200).collect(),
    };
    Err(ProvisionError::Refused(format!("the exchange answered {}: {}", answer.status, text.trim())))
}

fn json(answer: &Answer) -> Result<Value, ProvisionError> {
    serde_json::from_slice(&answer.body)
        .map_err(|e| ProvisionError::Refused(format!("the answer is not JSON: {e}")))
}

fn pretty(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => pretty_value(&v),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

fn pretty_value(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

fn count(report: &Value, what: &str) -> u64 {
    report[what].as_u64().unwrap_or_default()
}

/// One line for each row that is created, changed or refused.
fn difference(report: &Value) -> String {
    let mut text = String::new();
    for row in report["rows"].as_array().into_iter().flatten() {
        let s = |k: &str| row[k].as_str().unwrap_or_default();
        let (kind, key) = (s("kind"), s("key"));
        match s("outcome") {
            "created" => text.push_str(&format!("+ {kind} {key}\n")),
            "changed" => {
                let fields: Vec<&str> =
                    row["fields"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                text.push_str(&format!("~ {kind} {key}: {}\n", fields.join(", ")));
            }
            "refused" => text.push_str(&format!("! {kind} {key} (row {}): {}\n", row["row"], s("reason"))),
            "removed" => text.push_str(&format!("- {kind} {key}\n")),
            _ => {}
        }
    }
    text
}

fn summary(report: &Value, dry_run: bool) -> String {
    let mut counts = format!(
        "{} created, {} changed, {} unchanged, {} refused",
        count(report, "created"),
        count(report, "changed"),
        count(report, "unchanged"),
        count(report, "refused")
    );
    if count(report, "removed") > 0 {
        counts.push_str(&format!(", {} removed", count(report, "removed")));
    }
    match (report["applied"].as_bool(), dry_run) {
        (_, true) => format!("dry run, nothing written: {counts}\n"),
        (Some(true), false) => format!("applied: {counts}\n"),
        _ => format!("nothing written: {counts}\n"),
    }
}

fn refused(report: &Value) -> Result<(), ProvisionError> {
    match count(report, "refused") {
        0 => Ok(()),
        n => Err(ProvisionError::Refused(format!(
            "{n} row(s) refused (above); the exchange took nothing of the file"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_report_reads_as_a_difference() {
        let report = json!({
            "applied": false, "dry_run": true, "created": 1, "changed": 1, "unchanged": 1, "refused": 1,
            "rows": [
                {"row": 1, "kind": "department", "key": "Sales", "outcome": "created"},
                {"row": 1, "kind": "extension", "key": "100", "outcome": "changed", "fields": ["name", "email"]},
                {"row": 2, "kind": "extension", "key": "101", "outcome": "unchanged"},
                {"row": 3, "kind": "extension", "key": "999", "outcome": "refused", "reason": "no such extension"}
            ]
        });
        assert_eq!(
            difference(&report),
            "+ department Sales\n~ extension 100: name, email\n! extension 999 (row 3): no such extension\n"
        );
        assert_eq!(
            summary(&report, true),
            "dry run, nothing written: 1 created, 1 changed, 1 unchanged, 1 refused\n"
        );
        assert!(refused(&report).is_err());
    }

    #[test]
    fn a_toml_document_goes_as_json_and_a_bad_one_says_where() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = dir.path().join("exchange.toml");
        std::fs::write(&good, "version = 1\n[[departments]]\nname = \"Sales\"\n[[extensions]]\nnumber = \"100\"\ndepartment = \"Sales\"\n")
            .expect("write");
        let (content_type, body) = document(&good).expect("a document");
        let doc: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(content_type, "application/json");
        assert_eq!(
            doc,
            json!({"version": 1, "departments": [{"name": "Sales"}], "extensions": [{"number": "100", "department": "Sales"}]})
        );
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "version = 1\n[[extensions]\n").expect("write");
        let e = document(&bad).expect_err("not TOML").to_string();
        assert!(e.starts_with(&format!("{}: ", bad.display())), "{e}");
        let csv = dir.path().join("x.csv");
        std::fs::write(&csv, "number\n100\n").expect("write");
        assert_eq!(document(&csv).expect("csv").0, "text/csv");
    }

    #[test]
    fn a_refusal_reads_as_the_problem_says() {
        let raw = b"HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: application/problem+json\r\n\r\n{\"status\":422,\"detail\":\"not an e-mail address\",\"errors\":[{\"pointer\":\"/email\"}]}";
        let e = ok(wire::answer(raw).expect("answer")).expect_err("refused").to_string();
        assert_eq!(e, "the exchange answered 422: not an e-mail address (at /email)");
    }
}
