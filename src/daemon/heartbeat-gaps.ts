// How evenly peers' heartbeats arrive: the gaps between consecutive heartbeats from each peer on each
// link, over a recent window. Shows whether anything (proxy load, a busy host) delays the cluster.

/** Gap statistics of one peer's link, in ms. */
export interface GapSummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** How many recent gaps each peer link keeps (30 s at the default 25 ms interval). */
const WINDOW = 1200;

/** Records heartbeat arrival times and summarises the gaps. */
export class HeartbeatGaps {
  private last = new Map<string, number>();
  private gaps = new Map<string, number[]>();

  /** A heartbeat from `peer` arrived on `link` at `now` (ms). */
  record(peer: string, link: number, now: number): void {
    const key = `${peer}/${link}`;
    const prev = this.last.get(key);
    this.last.set(key, now);
    if (prev === undefined) return;
    let ring = this.gaps.get(key);
    if (!ring) this.gaps.set(key, (ring = []));
    ring.push(now - prev);
    if (ring.length > WINDOW) ring.shift();
  }

  /** Per "peer/link": count, p50, p99 and max of the recent gaps. */
  summary(): Record<string, GapSummary> {
    const out: Record<string, GapSummary> = {};
    for (const [key, ring] of this.gaps) {
      const sorted = [...ring].sort((a, b) => a - b);
      const at = (q: number) =>
        Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
      out[key] = { count: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
    }
    return out;
  }
}
