// Warnings about packets a node cannot read (another protocol major version), at most one per source
// and reason per minute, with the number held back since the last one: a flood cannot flood the log.

/** Rate-limits warnings by key. */
export class WireWarnings {
  private last = new Map<string, { at: number; held: number }>();

  constructor(
    private emit: (message: string) => void,
    private everyMs = 60_000,
  ) {}

  /** Emits `message` unless a warning with this key was emitted within the interval (then counts it). */
  warn(now: number, key: string, message: string): void {
    const l = this.last.get(key);
    if (l && now - l.at < this.everyMs) {
      l.held++;
      return;
    }
    const held = l && l.held > 0 ? ` (${l.held} more such packets since the last warning)` : "";
    if (this.last.size > 1000) this.last.clear();
    this.last.set(key, { at: now, held: 0 });
    this.emit(`${message}${held}`);
  }
}
