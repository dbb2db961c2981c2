// Per-source budget of MAC verifications: a token bucket per source address. A peer sends a few
// packets per heartbeat interval (its heartbeat, its acks, now and then a command), far below the
// budget; a flood from (or spoofing) one address gets at most `perInterval` HMACs per interval, and
// the rest is dropped as "rate-limited" before any cryptography, so the cluster thread stays free for
// the other peers' heartbeats.

/** Budget parameters: tokens added per interval, the bucket size, and the interval (ms). */
export interface BudgetOptions {
  perInterval: number;
  burst: number;
  intervalMs: number;
}

/** The default budget: 16 verifications per heartbeat interval, bursts of 64. */
export function defaultBudget(intervalMs: number): BudgetOptions {
  return { perInterval: 16, burst: 64, intervalMs };
}

/** Token buckets by source key. */
export class SourceBudget {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private o: BudgetOptions) {}

  /** Takes one token for `source` at time `now` (ms); false when its bucket is empty. */
  take(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (!b) {
      b = { tokens: this.o.burst, at: now };
      this.buckets.set(source, b);
    } else {
      b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) * this.o.perInterval) / this.o.intervalMs);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
