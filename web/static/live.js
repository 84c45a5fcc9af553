// One live stream for all of a browser's portal pages (a SharedWorker).
// Over HTTP/1.1 a browser opens at most six connections to the exchange, and
// each page's own EventSource held one for as long as the page was open: a
// seventh page could not even load. Here the pages share one EventSource; each
// says which events it wants and is sent those, as its own stream would.
// EventSource reconnects by itself and sends Last-Event-ID: nothing is missed.
"use strict";

const ports = new Set();
const names = new Set();
let es = null;
let open = false;

function send(msg) {
  for (const port of ports) port.postMessage(msg);
}

function listen(name) {
  if (names.has(name)) return;
  names.add(name);
  if (es) es.addEventListener(name, (ev) => send({ name, data: ev.data }));
}

function start() {
  es = new EventSource("/events");
  open = false;
  es.addEventListener("open", () => { open = true; send({ name: "open" }); });
  es.addEventListener("error", () => { open = false; send({ name: "error" }); });
  for (const name of names) es.addEventListener(name, (ev) => send({ name, data: ev.data }));
}

function stop() {
  if (es) es.close();
  es = null;
  open = false;
}

self.addEventListener("connect", (ev) => {
  const port = ev.ports[0];
  ports.add(port);
  port.addEventListener("message", (m) => {
    if (Array.isArray(m.data.listen)) for (const name of m.data.listen) listen(String(name));
    if (m.data.bye) {
      ports.delete(port);
      // The last page is gone: the stream goes with it.
      if (!ports.size) stop();
    }
  });
  port.start();
  // A stream the server ended for good (logged out) starts anew for a new page.
  if (!es || es.readyState === EventSource.CLOSED) start();
  else if (open) port.postMessage({ name: "open" });
});
