// WebCTI's small script: live panels over server-sent events, calls without a page
// reload, and times in the browser's own time zone. Every page works without it.
"use strict";

function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) el.textContent = d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  }
}

function flash(text, ok) {
  const el = document.getElementById("flash");
  if (!el) return;
  el.textContent = text;
  el.className = ok ? "notice" : "error";
  el.hidden = false;
}

function wireCalls(root) {
  for (const form of root.querySelectorAll("form.call")) {
    if (form.dataset.wired) continue;
    form.dataset.wired = "1";
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      // A number's button sends the page's one call form with its number.
      const data = new FormData(form, ev.submitter);
      // The calling choice on the start page applies to every number button.
      const mode = document.querySelector("input[name=mode]:checked");
      if (mode && !data.has("mode")) data.set("mode", mode.value);
      const remember = document.querySelector("input[name=remember]:checked");
      if (remember && !data.has("remember")) data.set("remember", "1");
      try {
        const r = await fetch("/call", {
          method: "POST",
          body: new URLSearchParams(data),
          headers: { "x-requested-with": "fetch" },
          credentials: "same-origin",
        });
        const body = await r.json();
        flash(body.message, body.ok);
      } catch (e) {
        flash(String(e), false);
      }
    });
  }
}

async function refreshPanels() {
  const panels = document.getElementById("panels");
  if (!panels) return;
  const r = await fetch("/start/panels", { credentials: "same-origin" });
  if (!r.ok) return;
  panels.innerHTML = await r.text();
  localTimes(panels);
  wireCalls(panels);
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

// An incoming call: the popup on whatever portal page is open, and, where the
// user allowed it, a browser notification while the page is not in view. It
// goes when the call stops ringing here (answered, forwarded, ended).
function popups(es) {
  const box = document.getElementById("popup");
  if (!box) return;
  const notify = document.getElementById("popup-notify");
  const can = "Notification" in window;
  const later = document.getElementById("popup-later");
  const status = document.getElementById("popup-status");
  let shown = null;
  const hide = () => { box.hidden = true; shown = null; };
  document.getElementById("popup-close").addEventListener("click", hide);
  const post = async (path, fields) => {
    const body = new URLSearchParams({ csrf: box.dataset.csrf, ...fields });
    try {
      const r = await fetch(path, {
        method: "POST", body, headers: { "x-requested-with": "fetch" }, credentials: "same-origin",
      });
      status.textContent = (await r.json()).message;
    } catch (e) {
      status.textContent = String(e);
    }
  };
  // "Call back later": on the department's callback list, claimed by him.
  later.addEventListener("click", () => post("/callbacks", { action: "later", number: box.dataset.number }));
  // Answer here, or send the call on: the exchange does it, as for a CTI client.
  document.getElementById("popup-answer").addEventListener("click",
    () => post("/call/control", { action: "answer", call: String(shown) }));
  document.getElementById("popup-deflect").addEventListener("click", () => post("/call/control",
    { action: "deflect", call: String(shown), number: document.getElementById("popup-to").value }));
  notify.addEventListener("click", async () => {
    await Notification.requestPermission();
    notify.hidden = true;
  });
  es.addEventListener("call", (ev) => {
    const c = JSON.parse(ev.data);
    if (!c.popup) {
      if (c.call === shown) hide();
      return;
    }
    shown = c.call;
    box.dataset.number = c.from || "";
    later.hidden = !c.from;
    status.textContent = "";
    document.getElementById("popup-to").value = "";
    const number = c.from || box.dataset.withheld;
    document.getElementById("popup-name").textContent = c.name || "";
    document.getElementById("popup-number").textContent = number;
    notify.hidden = !can || Notification.permission !== "default";
    box.hidden = false;
    if (can && Notification.permission === "granted" && document.hidden) {
      new Notification(document.getElementById("popup-title").textContent,
                       { body: [c.name, number].filter(Boolean).join(" "), tag: String(c.call) });
    }
  });
}

function live() {
  const panels = document.getElementById("panels");
  if (!(panels || document.getElementById("popup")) || !window.EventSource) return;
  const lost = document.getElementById("live-lost");
  const es = liveStream();
  // Back on a page kept for the back button, it reloads (its stream was closed).
  window.addEventListener("pageshow", (ev) => { if (ev.persisted) location.reload(); });
  es.addEventListener("open", () => { if (lost) lost.hidden = true; document.body.dataset.live = "1"; });
  es.addEventListener("error", () => { if (lost) lost.hidden = false; });
  if (panels) for (const kind of ["call_record", "voicemail", "resync"]) es.addEventListener(kind, refreshPanels);
  es.addEventListener("line", (ev) => {
    const state = JSON.parse(ev.data).state;
    document.body.dataset.line = state;
  });
  team(es);
  popups(es);
  // The callback list follows every member's steps and the call records.
  if (document.getElementById("callbacks-live")) es.addEventListener("callbacks", refreshCallbacks);
  // The costs pages follow every priced call, top-up and reset they show.
  const costs = document.getElementById("costs-live");
  if (costs) es.addEventListener("costs", (ev) => {
    const only = costs.dataset.liveCosts;
    if (!only || JSON.parse(ev.data).ext === only) refreshSection("costs-live");
  });
  // The presence page follows its extension's state, however it changes (the
  // clock, the phone, another page, the import, a script).
  const presence = document.getElementById("presence-live");
  if (presence) es.addEventListener("settings", (ev) => {
    const s = JSON.parse(ev.data);
    if (s.what === "presence" && s.ext === presence.dataset.ext) refreshSection("presence-live");
  });
  // A call of his that runs out of credit: a warning, then why it was cut off.
  const warning = document.getElementById("credit-warning");
  if (warning) es.addEventListener("credit", (ev) => {
    const c = JSON.parse(ev.data);
    warning.textContent = c.cleared ? warning.dataset.cleared : warning.dataset.low;
    warning.hidden = false;
  });
}

// The live events, as an EventSource's: from the one stream all of this
// browser's portal pages share (static/live.js), or, without shared workers,
// from a stream of the page's own. Leaving the page closes its part at once:
// a page kept for the back button would hold one of the browser's few
// connections to the exchange (and one of the extension's streams).
function liveStream() {
  if (!window.SharedWorker) {
    const es = new EventSource("/events");
    window.addEventListener("pagehide", () => es.close());
    return es;
  }
  const port = new SharedWorker("/static/live.js", { name: "webcti-live" }).port;
  const events = new EventTarget();
  port.addEventListener("message", (m) => {
    events.dispatchEvent(new MessageEvent(m.data.name, { data: m.data.data }));
  });
  port.start();
  window.addEventListener("pagehide", () => port.postMessage({ bye: true }));
  return {
    addEventListener(name, handler) {
      events.addEventListener(name, handler);
      if (name !== "open" && name !== "error") port.postMessage({ listen: [name] });
    },
  };
}

// Team panels (groups the subscriber is a member of): each member's lamp
// follows its lines' states; a presence change or another device bound by a
// member's account reloads the panels, and a change of the groups reloads the
// page (its stream then follows the new lines).
function team(es) {
  const box = document.getElementById("team-live");
  if (!box) return;
  const labels = JSON.parse(box.dataset.labels || "{}");
  es.addEventListener("lamp", (ev) => {
    const l = JSON.parse(ev.data);
    for (const lamp of box.querySelectorAll(".lamp")) {
      const lines = lamp.dataset.lines.split(" ");
      if (!lines.includes(l.ext)) continue;
      // A member with several lines shows the busiest: the server says which.
      if (lines.length > 1) return refreshSection("team-live");
      lamp.dataset.state = l.state;
      lamp.querySelector(".lamp-state").textContent = labels[l.state] || "";
    }
  });
  es.addEventListener("settings", (ev) => {
    const s = JSON.parse(ev.data);
    if (s.what !== "profile" && box.querySelector(`.lamp[data-lines~="${CSS.escape(s.ext)}"]`)) refreshSection("team-live");
  });
  // A member's account bound another device: its lamp shows that one now.
  es.addEventListener("in_use", (ev) => {
    const u = JSON.parse(ev.data);
    for (const lamp of box.querySelectorAll(".lamp")) {
      if (lamp.dataset.account && lamp.dataset.account.toLowerCase() === u.account.toLowerCase()) return refreshSection("team-live");
    }
  });
  es.addEventListener("groups", () => location.reload());
}

// Fetches this page again and puts the new section `id` in place of the old.
async function refreshSection(id) {
  const r = await fetch(location.href, { credentials: "same-origin" });
  if (!r.ok) return;
  const next = new DOMParser().parseFromString(await r.text(), "text/html").getElementById(id);
  const here = document.getElementById(id);
  if (!next || !here) return;
  here.innerHTML = next.innerHTML;
  localTimes(here);
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

// A file picked for a text field (the tariff's rates) is read into it, to be
// checked and saved with the form.
function fileFills(root) {
  for (const input of root.querySelectorAll("input[type=file][data-fills]")) {
    input.addEventListener("change", async () => {
      const file = input.files[0];
      const target = document.getElementById(input.dataset.fills);
      if (file && target) target.value = await file.text();
    });
  }
}

async function refreshCallbacks() {
  const r = await fetch("/callbacks", { credentials: "same-origin" });
  if (!r.ok) return;
  const next = new DOMParser().parseFromString(await r.text(), "text/html").getElementById("callbacks-live");
  const here = document.getElementById("callbacks-live");
  if (!next || !here) return;
  here.innerHTML = next.innerHTML;
  localTimes(here);
  wireCalls(here);
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

// A long import shows how far the upload is, then the page the server answers.
function importProgress() {
  const form = document.getElementById("import-form");
  const bar = document.getElementById("import-progress");
  if (!form || !bar || !window.XMLHttpRequest) return;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    bar.removeAttribute("value");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("load", () => {
      document.open();
      document.write(xhr.responseText);
      document.close();
      history.replaceState(null, "", "/phonebook");
    });
    xhr.addEventListener("error", () => { bar.hidden = true; flash(form.dataset.failed || "Upload failed", false); });
    xhr.send(new FormData(form));
  });
}

// The settings page's offer to open tel: links here: the browser asks the user,
// and then opens /tel?to=tel:... for every such link.
function telHandler(root) {
  const b = root.querySelector("[data-tel-handler]");
  const state = root.getElementById("tel-handler-state");
  if (!b || !state) return;
  b.addEventListener("click", () => {
    try {
      navigator.registerProtocolHandler("tel", location.origin + b.dataset.telHandler);
      state.textContent = b.dataset.done;
    } catch (e) {
      state.textContent = b.dataset.unsupported;
    }
  });
}

// A message played in the page counts as heard, in the portal and the exchange.
function recordings(root) {
  for (const audio of root.querySelectorAll("audio[data-id]")) {
    audio.addEventListener("play", async () => {
      const row = audio.closest("tr");
      if (!row || !row.classList.contains("new")) return;
      const body = new URLSearchParams({ csrf: audio.dataset.csrf, action: "heard", id: audio.dataset.id });
      const r = await fetch("/voicemail", {
        method: "POST", body, headers: { "x-requested-with": "fetch" }, credentials: "same-origin",
      });
      if (!r.ok) return;
      row.classList.remove("new");
      const state = row.querySelector(".state");
      if (state) state.textContent = audio.dataset.heard;
      const mark = row.querySelector(".mark-heard");
      if (mark) mark.remove();
    }, { once: true });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  wireCalls(document);
  live();
  importProgress();
  telHandler(document);
  recordings(document);
  fileFills(document);
  for (const b of document.querySelectorAll("[data-print]")) b.addEventListener("click", () => window.print());
});
