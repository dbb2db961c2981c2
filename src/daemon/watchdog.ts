// The mutual watchdog between the daemon's main thread and its cluster thread: each pings or answers
// the other every heartbeat interval, and acts when it has heard nothing for the bound.

/** The smallest watchdog bound, ms: garbage collection or a slow disk write must not trip it. */
export const WATCHDOG_MIN_MS = 1000;

/** The watchdog bound WATCHDOG_MS = max(1000, 4 × lease) ms. The cluster thread that gets no ping from
 * the main thread for this long silences the node for good; the main thread that gets no pong for this
 * long (or whose cluster thread died, or silenced the node) fails stop and exits with code 70. */
export function watchdogMs(lease: number): number {
  return Math.max(WATCHDOG_MIN_MS, 4 * lease);
}

/** The watchdog bound of a node: WATCHDOG_MS, or with coordination: etcd at least the session TTL. On etcd
 * no other node takes a group over before the session TTL has passed whatever this node does, so a
 * shorter stall of one of its threads (a loaded machine starting hundreds of groups) is no reason to fail
 * stop; the guard still stops every group whose cover runs out meanwhile. */
export function watchdogBound(init: { spec: { lease: number }; etcd?: { ttl: number } }): number {
  return Math.max(watchdogMs(init.spec.lease), init.etcd?.ttl ?? 0);
}

/** Calls `onSilent` once when `heard()` was not called for `boundMs`. A check that itself runs more
 * than half the bound late means this thread was stalled, not the other: the other side then gets a
 * fresh bound (its messages are still queued behind the stall). */
export class Watchdog {
  private lastHeard: number;
  private lastCheck: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private boundMs: number,
    private everyMs: number,
    private onSilent: (silentMs: number) => void,
    private now: () => number = () => performance.now(),
  ) {
    this.lastHeard = this.lastCheck = now();
  }

  /** Starts checking every `everyMs` (the timer does not keep the process alive). */
  start(): void {
    this.lastHeard = this.lastCheck = this.now();
    this.timer = setInterval(() => this.check(), this.everyMs);
    this.timer.unref();
  }

  /** The other side answered. */
  heard(): void {
    this.lastHeard = this.now();
  }

  /** Stops checking. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check (called by the timer; exposed for tests). */
  check(): void {
    const now = this.now();
    if (now - this.lastCheck > this.boundMs / 2) this.lastHeard = now;
    this.lastCheck = now;
    if (now - this.lastHeard <= this.boundMs) return;
    this.stop();
    this.onSilent(now - this.lastHeard);
  }
}
