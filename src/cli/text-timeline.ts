// The timeline of GET /history as text, for `vigil status --watch` and `vigil demo`: per group, one
// row per node (one character per time slot) and a line naming each gap without a server.
import type { BandSegment, BandState, HistoryView } from "../core/history/types.js";

/** The character of each state: running (a peer's `active` too) full, starting/stopping half, stopped
 * a dot, failed X, not heard blank. */
const CHAR: Record<BandState, string> = {
  running: "█",
  active: "█",
  starting: "▄",
  stopping: "▀",
  stopped: "·",
  failed: "X",
  unclean: "X",
  offline: " ",
};

/** A clock time HH:MM:SS.mmm of wall-clock ms. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A duration in ms as "352ms" or "4.00s". */
export function shortDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** The state that covers most of [from, to) (a failure anywhere in it wins), or undefined if none. */
function slotState(segs: readonly BandSegment[], from: number, to: number, now: number): BandState | undefined {
  let best: BandState | undefined;
  let bestMs = 0;
  for (const s of segs) {
    const overlap = Math.min(to, s.to ?? now) - Math.max(from, s.from);
    if (overlap <= 0) continue;
    if (s.state === "failed" || s.state === "unclean") return s.state;
    if (overlap > bestMs) [best, bestMs] = [s.state, overlap];
  }
  return best;
}

/** Lines for every group over the last `spanMs`, `width` characters of band per node. */
export function textTimeline(h: HistoryView, spanMs: number, width: number): string[] {
  const to = h.now;
  const from = Math.max(h.from, to - spanMs);
  const slot = (to - from) / width;
  const lines: string[] = [];
  for (const [group, tl] of Object.entries(h.groups).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const nodes = Object.keys(tl.nodes).sort();
    nodes.forEach((n, i) => {
      let band = "";
      for (let k = 0; k < width; k++) {
        const st = slotState(tl.nodes[n] ?? [], from + k * slot, from + (k + 1) * slot, to);
        band += st ? CHAR[st] : " ";
      }
      lines.push(`  ${(i === 0 ? group : "").padEnd(10)} ${n.padEnd(6)}│${band}│`);
    });
    for (const g of tl.gaps.filter((x) => (x.to ?? to) > from).slice(-3))
      lines.push(
        g.to === null
          ? `  ${"".padEnd(10)} no node serves ${group} since ${clockTime(g.from)} (${shortDuration(g.ms)} so far)`
          : `  ${"".padEnd(10)} no node served ${group} for ${shortDuration(g.ms)} at ${clockTime(g.from)}${g.before ? ` (${g.before} → ${g.after})` : ""}`,
      );
  }
  return lines;
}

/** The legend of the text timeline, with its span. */
export function timelineLegend(spanMs: number): string {
  return `timeline, last ${Math.round(spanMs / 1000)}s (█ running  ▄ starting  ▀ stopping  · stopped  X failed  blank: not heard):`;
}
