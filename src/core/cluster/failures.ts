// Failures of each group on this node, forgotten after the group's failure_timeout (if any) or on
// cleanup. Placement moves a group away from a node once its count reaches migration_threshold.

/** Failure times per group on one node. */
export class FailureLog {
  private times = new Map<string, number[]>();

  /** `timeouts`: group → ms after which a failure is forgotten (absent: never). */
  constructor(private timeouts: ReadonlyMap<string, number>) {}

  /** Takes new failure_timeout settings (a reload); counts are kept. */
  setTimeouts(timeouts: ReadonlyMap<string, number>): void {
    this.timeouts = timeouts;
  }

  record(group: string, now: number): number {
    const list = this.live(group, now);
    list.push(now);
    this.times.set(group, list);
    return list.length;
  }

  /** Records failures until the count reaches `count` (a failed stop makes the node ineligible at once). */
  atLeast(group: string, count: number, now: number): void {
    while (this.live(group, now).length < count) this.record(group, now);
  }

  /** Forgets every failure of a group (`vigil cleanup`). */
  cleanup(group: string): void {
    this.times.delete(group);
  }

  /** Current counts, as announced in heartbeats. */
  counts(now: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const g of this.times.keys()) {
      const n = this.live(g, now).length;
      if (n > 0) out[g] = n;
    }
    return out;
  }

  /** When the next failure will be forgotten (for wake-ups), or Infinity. */
  nextExpiry(): number {
    let next = Infinity;
    for (const [g, list] of this.times) {
      const t = this.timeouts.get(g);
      if (t !== undefined && list[0] !== undefined) next = Math.min(next, list[0] + t);
    }
    return next;
  }

  private live(group: string, now: number): number[] {
    const t = this.timeouts.get(group);
    const list = this.times.get(group) ?? [];
    return t === undefined ? list : list.filter((at) => now - at < t);
  }
}
