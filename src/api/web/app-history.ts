// Client script, part 5: the failover timeline and the live charts, drawn from GET /history (shaped
// as HistoryView in src/core/history/types.ts). Shared by the page (which polls /history) and by
// `vigil report` (which embeds one answer). Needs el/fill/clock from part 1 and uPlot.
//
// Timeline: per group, a band per node (its states over the chosen range; hover a stretch for its
// times), the decisions as numbered markers (hover one, or read the list below), and every stretch
// without a server shaded and labelled with its length. Charts: heartbeat gaps per peer link with the
// lease, health check times per real server (failed checks as red points), virtual server and real
// server connections and bytes (the counters /metrics exposes), and group start/stop times.

/** Timeline and charts (plain browser JS). */
export const HISTORY_JS = String.raw`
const TL_RANGES = [["1 min", 60e3], ["2 min", 120e3], ["5 min", 300e3], ["whole window", Infinity]];
const STATE_TEXT = { running: "running", starting: "starting", stopping: "stopping", stopped: "stopped", failed: "FAILED",
  unclean: "UNCLEAN (stop failed)", active: "running (as its heartbeats said)", offline: "not heard" };
const COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4b5563", "#db2777"];

function fmtMs(ms) {
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60e3) return (ms / 1000).toFixed(ms < 10e3 ? 2 : 1) + " s";
  const s = Math.round((ms % 60e3) / 1000);
  return Math.floor(ms / 60e3) + " min" + (s ? " " + s + " s" : "");
}

function place(e, left, width) {
  e.style.left = left + "%";
  if (width !== undefined) e.style.width = Math.max(width, 0.15) + "%";
  return e;
}

/** Whether a decision sentence concerns group g (names it), or the leadership. */
function concerns(text, g) {
  return new RegExp("(^|[^\\w-])" + g.replace(/[^\w-]/g, "\\$&") + "([^\\w-]|$)").test(text) || / lead/.test(text);
}

function ticks(from, to) {
  const steps = [1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 1800e3, 3600e3];
  const step = steps.find((s) => (to - from) / s <= 8) || 3600e3;
  const out = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

function renderTimeline(root, h, rangeMs) {
  const to = h.now;
  const from = Math.max(h.from, to - rangeMs);
  const pct = (t) => ((Math.min(Math.max(t, from), to) - from) / (to - from)) * 100;
  const groups = Object.keys(h.groups).sort();
  if (!groups.length) return fill(root, [el("p", { class: "muted", text: "No groups." })]);
  fill(root, groups.map((g) => groupTimeline(g, h.groups[g], h, from, to, pct)));
}

function groupTimeline(g, tl, h, from, to, pct) {
  const nodes = Object.keys(tl.nodes).sort();
  const rows = nodes.map((n) => el("div", { class: "tl-row", "data-node": n }, [
    el("span", { class: "tl-label", text: n + (n === h.node ? " (this node)" : "") }),
    el("div", { class: "tl-track" }, tl.nodes[n].filter((s) => (s.to === null ? to : s.to) > from).map((s) => {
      const end = s.to === null ? to : s.to;
      return place(el("div", { class: "tl-seg seg-" + s.state, "data-state": s.state, "data-from": s.from, "data-to": s.to === null ? "" : s.to,
        title: n + ": " + STATE_TEXT[s.state] + "\n" + clock(s.from) + " → " + (s.to === null ? "now" : clock(s.to)) + " (" + fmtMs(end - s.from) + ")" }),
        pct(s.from), pct(end) - pct(s.from));
    })),
  ]));
  const decisions = h.decisions.filter((d) => d.at >= from && d.at <= to && concerns(d.text, g));
  const marks = decisions.map((d, i) => place(el("div", { class: "tl-mark", title: clock(d.at) + "  " + d.node + ": " + d.text, text: String(i + 1) }), pct(d.at)));
  const gaps = tl.gaps.filter((x) => (x.to === null ? to : x.to) > from);
  const shades = gaps.map((x) => {
    const end = x.to === null ? to : x.to;
    return place(el("div", { class: "tl-gap", title: "no node served " + g + " for " + fmtMs(x.ms) + (x.to === null ? " (so far)" : "") },
      pct(end) - pct(x.from) >= 5 || gaps.length === 1 ? [el("span", { class: "tl-gap-label", text: "no server " + fmtMs(x.ms) })] : []),
      pct(x.from), pct(end) - pct(x.from));
  });
  const axis = ticks(from, to).map((t) => place(el("span", { class: "tl-tick", text: clock(t).slice(0, 8) }), pct(t)));
  return el("div", { class: "tl-group", "data-group": g }, [
    el("h3", {}, [el("b", { text: g }), el("small", { class: "muted", text: "  as " + h.node + " saw it, " + clock(from).slice(0, 8) + " → " + clock(to).slice(0, 8) })]),
    el("div", { class: "tl-grid" }, rows.concat([
      el("div", { class: "tl-row tl-marks" }, [el("span", { class: "tl-label muted", text: "decisions" }), el("div", { class: "tl-track" }, marks)]),
      el("div", { class: "tl-row tl-axis" }, [el("span", { class: "tl-label" }), el("div", { class: "tl-track" }, axis)]),
      el("div", { class: "tl-overlay" }, shades),
    ])),
    el("ul", { class: "tl-gaps" }, gaps.map((x) => el("li", { "data-ms": x.ms, "data-from": x.from, "data-to": x.to === null ? "" : x.to, class: x.to === null ? "error" : "" }, [
      x.to === null
        ? "no node serves " + g + " since " + clock(x.from) + " (" + fmtMs(x.ms) + " so far" + (x.before ? "; last served by " + x.before : "") + ")"
        : "no node served " + g + " for " + fmtMs(x.ms) + ": " + clock(x.from) + " → " + clock(x.to) + (x.before ? " (" + x.before + " → " + x.after + ")" : ""),
    ]))),
    el("ol", { class: "tl-decisions" }, decisions.map((d) => el("li", {}, [
      el("span", { class: "when", text: clock(d.at) }), el("span", { class: "who", text: d.node }), el("span", { class: "what", text: d.text }),
    ]))),
  ]);
}

/** Points of several series on one time axis (seconds), null where a series has no point. */
function align(series) {
  const times = Array.from(new Set(series.flatMap((s) => s.points.map((p) => p[0])))).sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  return [times.map((t) => t / 1000)].concat(series.map((s) => {
    const ys = new Array(times.length).fill(null);
    for (const [t, v] of s.points) ys[index.get(t)] = v;
    return ys;
  }));
}

const charts = new Map();

/** The page's live history: polled every HISTORY_MS, drawn over the range chosen in #tl-range. */
const HISTORY_MS = 1000;
const hist = { last: null, range: 120e3 };

function drawHistory() {
  if (!hist.last) return;
  renderTimeline($("timeline"), hist.last, hist.range);
  renderCharts($("charts"), hist.last);
  $("history-node").textContent = "as kept by " + hist.last.node + " (window " + fmtMs(hist.last.windowMs) + ")";
}

function setupHistory() {
  const pick = $("tl-range");
  fill(pick, TL_RANGES.map(([label, ms]) => el("option", { value: String(ms), text: label })));
  pick.value = String(hist.range);
  pick.addEventListener("change", () => { hist.range = Number(pick.value); drawHistory(); });
  window.addEventListener("resize", drawHistory);
}

async function pollHistory() {
  try {
    hist.last = await getJson("/history");
    drawHistory();
  } catch {
    // the status loop says when the node is lost
  }
  setTimeout(pollHistory, HISTORY_MS);
}

/** A chart: created once per key, its data replaced on every update. */
function chart(key, title, unit, series, now) {
  const data = align(series);
  const first = Math.min(now - 60e3, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const last = series.map((s) => {
    const p = s.points[s.points.length - 1];
    return el("span", { class: "chart-value", "data-series": s.label, "data-value": p ? String(p[1]) : "" }, [
      el("i", { class: "swatch" }), s.label + " " + (p ? fmtValue(p[1], unit) : "–"),
    ]);
  });
  last.forEach((e, i) => { e.firstChild.style.background = series[i].color; });
  const sig = series.map((s) => s.label).join("\u0000");
  let c = charts.get(key);
  if (!c || c.sig !== sig) {
    if (c) c.u.destroy();
    const plot = el("div", { class: "chart-plot" });
    const caption = el("p", { class: "chart-last" });
    const wrap = el("div", { class: "chart", "data-chart": key }, [el("h4", { text: title }), plot, caption]);
    const opts = {
      width: 560, height: 170, legend: { show: false },
      scales: { x: { time: true, range: () => [charts.get(key).xFrom, charts.get(key).xTo] } },
      axes: [{ stroke: "#6b7280" }, { stroke: "#6b7280", size: 64, values: (u, vals) => vals.map((v) => fmtValue(v, unit)) }],
      series: [{}].concat(series.map((s) => Object.assign({ label: s.label, stroke: s.color, width: s.width || 1.5, spanGaps: true, dash: s.dash },
        s.scatter ? { paths: () => null, points: { show: true, size: 6, stroke: s.color, fill: s.color } } : { points: { show: false } }))),
    };
    c = { sig, wrap, caption, xFrom: first / 1000, xTo: now / 1000 };
    charts.set(key, c);
    c.u = new uPlot(opts, data, plot);
  } else {
    c.xFrom = first / 1000;
    c.xTo = now / 1000;
    c.u.setData(data);
  }
  c.wrap.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
  fill(c.caption, ["latest: "].concat(last.flatMap((e, i) => (i ? [" · ", e] : [e]))));
  return c.wrap;
}

function fmtValue(v, unit) {
  if (v === null || v === undefined) return "–";
  if (unit === "ms") return v >= 1000 ? (Math.round(v / 100) / 10) + " s" : (Math.round(v * 10) / 10) + " ms";
  if (unit === "bytes") return typeof bytes === "function" ? bytes(v) : v + " B";
  return String(Math.round(v * 100) / 100);
}

function renderCharts(root, h) {
  const blocks = [];
  const range = (list) => (list.length ? [list[0].at, list[list.length - 1].at] : [h.from, h.now]);
  for (const link of Object.keys(h.heartbeats).sort()) {
    const s = h.heartbeats[link];
    const [a, b] = range(s);
    blocks.push(chart("hb:" + link, "heartbeat gaps from " + link.replace("/", " (link ") + ")", "ms", [
      { label: "p50", color: COLORS[1], points: s.map((x) => [x.at, x.p50]) },
      { label: "p99", color: COLORS[2], points: s.map((x) => [x.at, x.p99]) },
      { label: "max", color: COLORS[4], points: s.map((x) => [x.at, x.max]) },
      { label: "lease", color: "#111827", dash: [6, 4], width: 1, points: [[a, h.leaseMs], [b, h.leaseMs]] },
    ], h.now));
  }
  for (const vs of Object.keys(h.checks).sort()) {
    const reals = Object.keys(h.checks[vs]).sort();
    blocks.push(chart("checks:" + vs, "health check time, " + vs, "ms", reals.map((r, i) => (
      { label: r, color: COLORS[i % COLORS.length], points: h.checks[vs][r].filter((x) => x.ok).map((x) => [x.at, x.ms]) }
    )).concat([{ label: "failed", color: "#dc2626", scatter: true,
      points: reals.flatMap((r) => h.checks[vs][r].filter((x) => !x.ok).map((x) => [x.at, x.ms])).sort((a, b) => a[0] - b[0]) }]), h.now));
  }
  for (const vs of Object.keys(h.virtualServers).sort()) {
    const s = h.virtualServers[vs];
    blocks.push(chart("conns:" + vs, "connections, " + vs, "", [
      { label: "total", color: COLORS[0], points: s.map((x) => [x.at, x.total]) },
      { label: "active", color: COLORS[1], points: s.map((x) => [x.at, x.active]) },
      { label: "refused", color: COLORS[4], points: s.map((x) => [x.at, x.refused]) },
    ], h.now));
    blocks.push(chart("bytes:" + vs, "bytes, " + vs, "bytes", [
      { label: "in", color: COLORS[0], points: s.map((x) => [x.at, x.bytesIn]) },
      { label: "out", color: COLORS[2], points: s.map((x) => [x.at, x.bytesOut]) },
    ], h.now));
    const reals = Object.keys((h.realServers || {})[vs] || {}).sort();
    if (reals.length)
      blocks.push(chart("real:" + vs, "connections per real server (total), " + vs, "", reals.map((r, i) => (
        { label: r, color: COLORS[i % COLORS.length], points: h.realServers[vs][r].map((x) => [x.at, x.total]) })), h.now));
  }
  const ops = Array.from(new Set(h.operations.map((o) => o.group + " " + o.op))).sort();
  if (ops.length)
    blocks.push(chart("ops", "group start and stop times on " + h.node, "ms", ops.map((k, i) => (
      { label: k, color: COLORS[i % COLORS.length], scatter: true, points: h.operations.filter((o) => o.group + " " + o.op === k).map((o) => [o.at, o.ms]) })), h.now));
  if (!blocks.length) blocks.push(el("p", { class: "muted", text: "Nothing sampled yet." }));
  if (blocks.length !== root.children.length || blocks.some((b, i) => root.children[i] !== b)) fill(root, blocks);
  for (const c of charts.values()) {
    const w = Math.max(280, Math.min(c.wrap.clientWidth || 560, 900) - 2);
    if (c.u.width !== w) c.u.setSize({ width: w, height: 170 });
  }
}
`;
