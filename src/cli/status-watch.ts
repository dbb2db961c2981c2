// `vigil status --watch`: one node's /status and /history as a fixed screen redrawn every second
// (status, a text timeline per group, the last decisions), or without a terminal the changes only.
import type { VirtualServerStatus } from "../core/balancer/status.js";
import type { HistoryView } from "../core/history/types.js";
import type { WorkerStatus } from "../daemon/worker-protocol.js";
import { renderStatus } from "./status-view.js";
import { clockTime, textTimeline, timelineLegend } from "./text-timeline.js";

type Status = WorkerStatus & { virtual_servers?: VirtualServerStatus[] };

/** How far back the text timeline reaches, ms. */
export const WATCH_SPAN_MS = 60_000;

/** How many decisions the screen lists. */
const DECISIONS_SHOWN = 8;

/** The whole screen for a terminal `cols` wide. */
export function watchScreen(s: Status, h: HistoryView | undefined, cols: number): string[] {
  const lines = [...renderStatus(s)];
  lines[0] = `${lines[0]}   ${clockTime(Date.now()).slice(0, 8)}  (Ctrl-C quits)`;
  if (!h) return lines;
  lines.push("", timelineLegend(WATCH_SPAN_MS), ...textTimeline(h, WATCH_SPAN_MS, Math.max(20, cols - 22)));
  lines.push("", `last decisions of ${h.node}:`);
  for (const d of h.decisions.slice(-DECISIONS_SHOWN)) lines.push(`  ${clockTime(d.at)}  ${d.text}`);
  return lines;
}

/** What a change-only watch compares: members, leader, groups, virtual and real server health, decisions. */
export function watchFacts(s: Status, h: HistoryView | undefined): string[] {
  const facts = renderStatus({ ...s, virtual_servers: [], drops: {}, transportDrops: {} })
    .filter((l) => l.startsWith("  ") || l.startsWith("vigil"))
    .map((l) => l.trim().replace(/\s+/g, " "));
  for (const v of s.virtual_servers ?? []) {
    facts.push(`virtual server ${v.name}: ${v.serving ? "serving here" : "not served here"}`);
    for (const r of v.realServers) facts.push(`virtual server ${v.name}: ${r.address} ${r.up ? "up" : "DOWN"}`);
  }
  for (const d of h?.decisions ?? []) facts.push(`[${d.node}] ${clockTime(d.at)} ${d.text}`);
  return facts;
}
