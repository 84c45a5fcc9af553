//! A small W3C WebDriver client for the browser tests: it starts Debian's
//! chromedriver, which drives a real headless Chromium, and speaks JSON over
//! HTTP to it. Only what the tests use.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    _profile: tempfile::TempDir,
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    // chromedriver may keep the connection open: read the head, then exactly the body.
    let mut reader = BufReader::new(s);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("chromedriver closed the connection".into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().map_err(|_| format!("bad length {v}"))?;
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    let raw = String::from_utf8_lossy(&body);
    let v: Value = serde_json::from_str(&raw).map_err(|e| format!("{e}: {raw}"))?;
    if let Some(err) = v["value"]["error"].as_str() {
        return Err(format!("{err}: {}", v["value"]["message"]));
    }
    Ok(v["value"].clone())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium window of the given size.
    pub fn start(width: u32, height: u32) -> Browser {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium-driver; tests/setup.sh does)");
        let out = driver.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        loop {
            match lines.next() {
                Some(Ok(l)) if l.contains("started successfully") => break,
                Some(Ok(_)) => {}
                _ => panic!("chromedriver did not start"),
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let profile = tempfile::tempdir().expect("profile dir");
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).expect("downloads dir");
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                // The device's certificate is self-signed; the TLS tests check it properly.
                "acceptInsecureCerts": true,
                "goog:chromeOptions": {
                    "binary": "/usr/bin/chromium",
                    "prefs": {
                        "download.default_directory": downloads.display().to_string(),
                        "download.prompt_for_download": false,
                    },
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", format!("--window-size={width},{height}"),
                        format!("--user-data-dir={}", profile.path().display()),
                    ]
                }
            }}
        });
        let v = http(port, "POST", "/session", Some(&caps)).expect("new browser session");
        let session = v["sessionId"].as_str().expect("session id").to_owned();
        let b = Browser { driver, port, session, _profile: profile };
        b.call("POST", "/window/rect", json!({ "width": width, "height": height })).expect("window size");
        b
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        let body = if method == "GET" || method == "DELETE" { None } else { Some(&body) };
        http(self.port, method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url })).expect("navigate");
    }

    /// Opens a new tab and makes it the one the other calls act in; returns its handle.
    pub fn new_tab(&self) -> String {
        let v = self.call("POST", "/window/new", json!({ "type": "tab" })).expect("new tab");
        let handle = v["handle"].as_str().expect("handle").to_owned();
        self.switch_to(&handle);
        handle
    }

    /// The handle of the tab the calls act in.
    pub fn tab(&self) -> String {
        self.call("GET", "/window", Value::Null).expect("window").as_str().expect("handle").to_owned()
    }

    /// Makes the tab `handle` the one the calls act in.
    pub fn switch_to(&self, handle: &str) {
        self.call("POST", "/window", json!({ "handle": handle })).expect("switch tab");
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", Value::Null).expect("url").as_str().unwrap_or("").to_owned()
    }

    fn find(&self, css: &str) -> Result<String, String> {
        let v = self.call("POST", "/element", json!({ "using": "css selector", "value": css }))?;
        v[ELEMENT].as_str().map(str::to_owned).ok_or_else(|| format!("no element {css}"))
    }

    /// Does `what` (a WebDriver path under the element, e.g. `/click`) to the
    /// element `css` finds. A live page may put a fresh copy of it in place
    /// between the finding and the doing (the start page's panels are fetched
    /// again at each event): then it is done to the copy there now, as a user
    /// would.
    fn on_element(&self, css: &str, method: &str, what: &str) -> Value {
        for _ in 0..5 {
            let id = self.find(css).expect("element");
            match self.call(method, &format!("/element/{id}{what}"), json!({})) {
                Err(e) if e.contains("stale element") => continue,
                done => return done.unwrap_or_else(|e| panic!("{what} on {css}: {e}")),
            }
        }
        panic!("{css} was replaced at each of five tries of {what}");
    }

    /// Clicks the element `css` finds (its fresh copy, if a live page put one in place).
    pub fn click(&self, css: &str) {
        self.on_element(css, "POST", "/click");
    }

    /// Clicks something that leaves the page (a form's button, a link) and waits
    /// until the next page has loaded.
    pub fn submit(&self, css: &str) {
        let before = self.url();
        self.click(css);
        let cond = format!("location.href !== {} && document.readyState === 'complete'", json!(before));
        assert!(
            self.wait_until(&cond, Duration::from_secs(120)),
            "{css} did not lead anywhere from {before}"
        );
    }

    /// Clicks a button whose form posts to the page itself and waits until
    /// the answer has replaced the page.
    pub fn submit_here(&self, css: &str) {
        self.js("window.__before = true;");
        self.click(css);
        let cond = "window.__before === undefined && document.readyState === 'complete'";
        assert!(self.wait_until(cond, Duration::from_secs(120)), "{css} was not answered");
    }

    pub fn fill(&self, css: &str, text: &str) {
        let id = self.find(css).expect("element to type in");
        self.call("POST", &format!("/element/{id}/clear"), json!({})).expect("clear");
        self.call("POST", &format!("/element/{id}/value"), json!({ "text": text })).expect("type");
    }

    pub fn select(&self, css: &str, value: &str) {
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                      e.dispatchEvent(new Event('change')); return e.value;";
        let got = self.js_args(script, json!([css, value]));
        assert_eq!(got, json!(value), "option {value} in {css}");
    }

    /// The text of the element `css` finds (its fresh copy, if a live page put one in place).
    pub fn text(&self, css: &str) -> String {
        self.on_element(css, "GET", "/text").as_str().unwrap_or("").to_owned()
    }

    pub fn js(&self, script: &str) -> Value {
        self.js_args(script, json!([]))
    }

    fn js_args(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/sync", json!({ "script": script, "args": args })).expect("script")
    }

    /// Waits until the page's `condition` (a JavaScript expression) is true: the
    /// page itself reports it, from a MutationObserver, so nothing polls.
    pub fn wait_until(&self, condition: &str, within: Duration) -> bool {
        let ms = within.as_millis() as u64;
        let _ = self.call("POST", "/timeouts", json!({ "script": ms }));
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const check = () => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }};
             if (check()) {{ done(true); return; }}
             const obs = new MutationObserver(() => {{ if (check()) {{ obs.disconnect(); done(true); }} }});
             obs.observe(document, {{ subtree: true, childList: true, attributes: true, characterData: true }});"
        );
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            match self.call("POST", "/execute/async", json!({ "script": script, "args": [] })) {
                Ok(Value::Bool(true)) => return true,
                // The page went away under the script (a navigation): ask the new one.
                Ok(_) => continue,
                // A navigation replaced the page under the script: ask the new one.
                Err(_) => continue,
            }
        }
        false
    }

    /// Where downloads land.
    pub fn downloads(&self) -> std::path::PathBuf {
        self._profile.path().join("downloads")
    }

    /// Waits for a finished download (Chromium renames it from `.crdownload`
    /// when it is complete); its path.
    pub fn downloaded(&self, within: Duration) -> Option<std::path::PathBuf> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let done = std::fs::read_dir(self.downloads())
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| {
                    let hidden = p.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.'));
                    !hidden && p.extension().is_some_and(|x| x != "crdownload" && x != "tmp")
                });
            if done.is_some() {
                return done;
            }
            // Chromium's download is another process's file: nothing to await here.
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// axe-core's violations on the page as it is now, run with every rule
    /// that is not experimental (WCAG 2.x A and AA, and best practices): one
    /// line per violating node, `rule (impact): element — what is wrong`.
    /// `source` is axe.min.js, injected into the page.
    pub fn axe(&self, source: &str) -> Vec<String> {
        let _ = self.call("POST", "/timeouts", json!({ "script": 60_000 }));
        let script = format!(
            "const done = arguments[arguments.length - 1];
             if (!window.axe) {{ {source}\n }}
             window.axe.run(document).then(r => done(r.violations.flatMap(v => v.nodes.map(n =>
                 `${{v.id}} (${{v.impact}}): ${{n.target.join(' ')}} — ${{n.failureSummary.replace(/\\s+/g, ' ')}}`))),
               e => done([`axe failed: ${{e}}`]));"
        );
        let v = self.call("POST", "/execute/async", json!({ "script": script, "args": [] })).expect("axe");
        v.as_array()
            .expect("a list of violations")
            .iter()
            .map(|l| l.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn body(&self) -> String {
        self.js("return document.body.innerText;").as_str().unwrap_or("").to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(self.port, "DELETE", &format!("/session/{}", self.session), None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
