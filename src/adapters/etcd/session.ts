// A node's session: one etcd lease, renewed by keepalives, whose validity the holder counts as the
// builtin backend counts its own: from the SEND time of the keepalive that renewed it, shortened by the
// drift margin (`send + ttl × (1 − margin)`). etcd restarts the lease's TTL when it handles that
// keepalive, which is after it was sent, so the holder's view ends first. When no keepalive is answered
// before the validity ends, or etcd says the lease is gone, the session is lost for good (fail closed):
// everything held under it must be presumed taken, and a new session is needed.
import { performance } from "node:perf_hooks";
import type { EtcdClient } from "./client.js";
import { EtcdError, isEtcdError } from "./errors.js";

/** The builtin backend's drift margin: clocks may differ in rate by up to ±2.5%. */
export const SESSION_DRIFT_MARGIN = 0.05;

/** How a session is kept. */
export interface SessionOptions {
  /** The lease TTL asked for, whole seconds (etcd may grant more; the granted TTL is counted). */
  ttlSeconds: number;
  /** Fraction of the TTL the holder gives up against clock-rate drift (default 0.05). */
  driftMargin?: number;
  /** Keepalives per TTL (default 3: one every ttl / 3). */
  keepalivesPerTtl?: number;
  /** Time to wait after a failed keepalive before the next, ms (default 100). */
  retryMs?: number;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
}

/** Why a session ended. */
export type SessionEnd = EtcdError;

/** A lease held by this node, renewed in the background until lost or closed. */
export class EtcdSession {
  /** The lease id (decimal string). */
  readonly id: string;
  /** The TTL etcd granted, seconds. */
  readonly ttlSeconds: number;
  private until: number;
  private lastSend: number;
  private ended: SessionEnd | undefined;
  private readonly listeners: ((why: SessionEnd) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private readonly margin: number;
  private readonly now: () => number;
  private keepalives = 0;
  private paused = false;
  private endedAt = Infinity;

  private constructor(
    private readonly client: EtcdClient,
    grant: { id: string; ttlSeconds: number },
    sentAt: number,
    private readonly opts: SessionOptions,
  ) {
    this.id = grant.id;
    this.ttlSeconds = grant.ttlSeconds;
    this.now = opts.now ?? (() => performance.now());
    this.margin = opts.driftMargin ?? SESSION_DRIFT_MARGIN;
    this.lastSend = sentAt;
    this.until = this.validityFrom(sentAt, grant.ttlSeconds);
    this.armExpiry();
    this.schedule(this.intervalMs());
  }

  /** Grants a lease and starts keeping it. Throws an EtcdError when etcd does not grant one. */
  static async open(client: EtcdClient, opts: SessionOptions): Promise<EtcdSession> {
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1)
      throw new Error("ttlSeconds: expected whole seconds ≥ 1");
    const now = opts.now ?? (() => performance.now());
    const sentAt = now();
    const grant = await client.leaseGrant(opts.ttlSeconds);
    const session = new EtcdSession(client, grant, sentAt, opts);
    if (!session.valid()) {
      session.end(new EtcdError("E_ETCD_SESSION_EXPIRED", `lease ${grant.id} was granted too late to be of use`));
      throw session.ended;
    }
    return session;
  }

  /** Monotonic time (ms) until which this node may act on the lease. */
  get validUntil(): number {
    return this.ended ? Math.min(this.until, this.endedAt) : this.until;
  }

  /** Send time of the keepalive (or grant) that gave the current validity. */
  get renewedFrom(): number {
    return this.lastSend;
  }

  /** How many keepalives were answered. */
  get renewals(): number {
    return this.keepalives;
  }

  /** Why the session ended, if it did. */
  get endReason(): SessionEnd | undefined {
    return this.ended;
  }

  /** Whether the lease may be relied on at `now` (never once the session ended). */
  valid(now = this.now()): boolean {
    return this.ended === undefined && now < this.until;
  }

  /** Throws the reason when the session may not be relied on now. */
  assertValid(): void {
    if (this.ended) throw this.ended;
    if (!this.valid())
      throw new EtcdError("E_ETCD_SESSION_EXPIRED", `lease ${this.id}: no keepalive answered within its validity`);
  }

  /** Calls `fn` once when the session ends (at once if it already has). */
  onEnd(fn: (why: SessionEnd) => void): void {
    if (this.ended) fn(this.ended);
    else this.listeners.push(fn);
  }

  /** Stops renewing without revoking (a frozen or cut-off node, in tests). */
  pauseRenewals(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.paused = true;
  }

  /** Ends the session and revokes the lease (its keys are deleted at once). Throws when etcd did not
   * confirm the revoke; the session is ended either way. */
  async close(): Promise<void> {
    const wasEnded = this.ended !== undefined;
    this.end(new EtcdError("E_ETCD_CLOSED", `session ${this.id} closed`));
    if (!wasEnded) await this.client.leaseRevoke(this.id);
  }

  private end(why: SessionEnd): void {
    if (this.ended) return;
    this.ended = why;
    this.endedAt = this.now();
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
    for (const fn of this.listeners.splice(0)) fn(why);
  }

  private validityFrom(sentAt: number, ttlSeconds: number): number {
    return sentAt + ttlSeconds * 1000 * (1 - this.margin);
  }

  private intervalMs(): number {
    return (this.ttlSeconds * 1000) / (this.opts.keepalivesPerTtl ?? 3);
  }

  private armExpiry(): void {
    clearTimeout(this.expiry);
    const wait = Math.max(0, this.until - this.now());
    this.expiry = setTimeout(() => {
      if (this.now() >= this.until)
        this.end(
          new EtcdError("E_ETCD_SESSION_EXPIRED", `lease ${this.id}: no keepalive answered within its validity`),
        );
      else this.armExpiry();
    }, wait);
  }

  private schedule(ms: number): void {
    if (this.ended || this.paused) return;
    this.timer = setTimeout(() => void this.renew(), ms);
  }

  private async renew(): Promise<void> {
    if (this.ended || this.paused) return;
    const sentAt = this.now();
    const left = this.until - sentAt;
    try {
      // An answer after the validity ended is of no use: wait at most until then (and at least 100ms).
      const { ttlSeconds } = await this.client.leaseKeepAlive(
        this.id,
        Math.max(100, Math.min(left, this.intervalMs())),
      );
      if (this.ended) return;
      this.keepalives++;
      const until = this.validityFrom(sentAt, ttlSeconds);
      if (until > this.until) {
        this.until = until;
        this.lastSend = sentAt;
        this.armExpiry();
      }
      this.schedule(Math.max(0, sentAt + this.intervalMs() - this.now()));
    } catch (err) {
      if (this.ended) return;
      if (isEtcdError(err, "E_ETCD_LEASE_LOST", "E_ETCD_CLOSED")) return this.end(err);
      if (!this.valid())
        return this.end(
          new EtcdError("E_ETCD_SESSION_EXPIRED", `lease ${this.id}: last keepalive failed: ${(err as Error).message}`),
        );
      this.schedule(this.opts.retryMs ?? 100);
    }
  }
}
