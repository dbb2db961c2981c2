// `vigil report`: one self-contained HTML file with what a node remembers of the last window (its
// GET /history) and its status when the report was made: the failover timeline and the charts of the
// web page, drawn by the same script and uPlot, all inlined, for an incident ticket. The file loads
// nothing from anywhere (its Content-Security-Policy forbids it).
import { writeFileSync } from "node:fs";
import type { HistoryView } from "../core/history/types.js";
import { CORE_JS } from "../api/web/app-core.js";
import { HISTORY_JS } from "../api/web/app-history.js";
import { VS_JS } from "../api/web/app-vs.js";
import { PAGE_CSS } from "../api/web/page-css.js";
import { UPLOT_CSS, UPLOT_JS } from "../api/web/vendor.js";
import type { WorkerStatus } from "../daemon/worker-protocol.js";
import { renderStatus } from "./status-view.js";
import { clockTime } from "./text-timeline.js";

/** The report's Content-Security-Policy: its own inline script and style, nothing fetched. */
export const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** JSON that can sit inside a <script> element (no "</script>", no "<!--"). */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");

const START_JS = `
hist.last = JSON.parse(document.getElementById("history-data").textContent);
hist.range = Infinity;
setupHistory();
drawHistory();
`;

/** The report's HTML. */
export function reportHtml(h: HistoryView, s: Parameters<typeof renderStatus>[0]): string {
  const title = `vigil report: ${h.node}, ${new Date(h.from).toISOString()} to ${new Date(h.now).toISOString()}`;
  const script = `"use strict";\n(() => {\n${[CORE_JS, VS_JS, HISTORY_JS, START_JS].join("\n")}\n})();\n`;
  const decisions = h.decisions.map((d) => `${clockTime(d.at)}  ${d.node}  ${d.text}`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<title>${escapeHtml(title)}</title>
<style>${UPLOT_CSS}\n${PAGE_CSS}\npre { background: #fff; border: 1px solid var(--line); padding: .6em; overflow: auto; font-size: .85em; }</style>
</head>
<body>
<header><h1>vigil report <span id="cluster-name">${escapeHtml(`as kept by ${h.node}`)}</span></h1>
<span>${escapeHtml(`${new Date(h.from).toLocaleString()} → ${new Date(h.now).toLocaleString()} (${Math.round(h.windowMs / 1000)}s window)`)}</span></header>
<main id="view">
  <section id="timeline-section">
    <h2>Timeline <small id="history-node"></small>
      <label class="range">show <select id="tl-range"></select></label></h2>
    <div id="timeline"></div>
  </section>
  <section id="charts-section">
    <h2>Charts</h2>
    <div id="charts" class="charts"></div>
  </section>
  <section>
    <h2>Status when the report was made</h2>
    <pre id="status">${escapeHtml(renderStatus(s).join("\n"))}</pre>
  </section>
  <section>
    <h2>Every decision of ${escapeHtml(h.node)} in the window</h2>
    <pre id="decisions">${escapeHtml(decisions)}</pre>
  </section>
</main>
<script type="application/json" id="history-data">${scriptJson(h)}</script>
<script>${UPLOT_JS}</script>
<script>${script.replace(/<\/script/gi, "<\\/script")}</script>
</body>
</html>
`;
}

/** Writes the report to `file`. */
export function writeReport(file: string, h: HistoryView, s: WorkerStatus): void {
  writeFileSync(file, reportHtml(h, s));
}
