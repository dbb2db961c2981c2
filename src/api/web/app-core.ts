// Client script, part 1: DOM helpers and the live loop. Every POLL_MS it reads /status and
// /events from the node that served the page; when that fails it says so (connection lost,
// retrying) and greys the view out instead of presenting old data as current.

/** DOM helpers, polling and connection state (plain browser JS). */
export const CORE_JS = String.raw`
const POLL_MS = 500;
const TIMEOUT_MS = 2000;
const EVENTS_SHOWN = 40;
const live = { status: null, lastOk: 0, lostSince: 0, error: "" };

function $(id) { return document.getElementById(id); }

/** Makes an element; strings among children become text nodes (never HTML). */
function el(tag, props, children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = String(v);
    else if (k.startsWith("data-")) e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children || []) {
    if (c === undefined || c === null) continue;
    e.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return e;
}

/** Replaces an element's children. */
function fill(parent, children) { parent.replaceChildren(...children); }

/** Re-renders a part only when its data changed, so buttons and selects stay put between polls. */
const shown = new Map();
function changed(part, data) {
  const key = JSON.stringify(data);
  if (shown.get(part) === key) return false;
  shown.set(part, key);
  return true;
}

function clock(ms) {
  const d = new Date(ms);
  const p = (n, w) => String(n).padStart(w || 2, "0");
  return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + "." + p(d.getMilliseconds(), 3);
}

/** GETs JSON with a timeout; throws an Error saying what went wrong. */
async function getJson(path) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(path, { signal: ctl.signal, cache: "no-store" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((body && body.error) || "HTTP " + res.status);
    return body;
  } catch (err) {
    throw new Error(err && err.name === "AbortError" ? "no answer within " + TIMEOUT_MS / 1000 + " s" : err.message);
  } finally {
    clearTimeout(timer);
  }
}

async function poll() {
  try {
    const [status, events] = await Promise.all([getJson("/status"), getJson("/events?limit=" + EVENTS_SHOWN)]);
    live.status = status;
    live.lastOk = Date.now();
    live.lostSince = 0;
    render(status, events);
  } catch (err) {
    if (!live.lostSince) live.lostSince = Date.now();
    live.error = err.message;
  }
  showConnection();
  setTimeout(poll, POLL_MS);
}

function showConnection() {
  const lost = $("lost");
  const conn = $("conn");
  const who = live.status ? live.status.name + " (" + location.host + ")" : location.host;
  if (!live.lostSince) {
    lost.hidden = true;
    $("view").classList.remove("stale");
    conn.className = "conn live";
    conn.textContent = "live from " + who;
    return;
  }
  const since = live.lastOk ? "; what is shown below is from " + clock(live.lastOk) + " and may be out of date" : "";
  lost.hidden = false;
  lost.textContent = "Connection lost to " + who + ": " + live.error + ". Retrying every " + POLL_MS / 1000 + " s" + since + ".";
  $("view").classList.add("stale");
  conn.className = "conn down";
  conn.textContent = "connection lost, retrying";
}
`;
