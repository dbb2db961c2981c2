// The node's etcd session as the pure core counts it: one lease, renewed by one keepalive at a time,
// valid until the send time of the keepalive etcd last renewed it with, plus the granted TTL shortened by
// the drift margin. etcd restarts the TTL when it handles the keepalive (after the send) and revokes an
// expired lease only on its next scan, so etcd's lease outlives this view; never the reverse.

/** One session: the lease and how long this node may count on it. */
export interface Session {
  lease: string;
  ttlSeconds: number;
  /** Local time until which the lease is surely held. */
  validUntil: number;
  /** Local time the last keepalive was sent. */
  lastKeepaliveAt: number;
  /** Local time the session began (the grant's send time). */
  since: number;
}

/** Sessions of one node, in order; a session that ended never comes back. */
export class SessionClock {
  private current: Session | undefined;
  /** Leases of this incarnation's sessions (a lock found under one of them was taken by this node). */
  readonly mine = new Set<string>();

  constructor(private driftMargin: number) {}

  get session(): Session | undefined {
    return this.current;
  }

  /** The session, when its lease is surely held at `now`. */
  valid(now: number): Session | undefined {
    return this.current && now < this.current.validUntil ? this.current : undefined;
  }

  /** Local time until which the lease is surely held (-Infinity without a session). */
  validUntil(): number {
    return this.current?.validUntil ?? -Infinity;
  }

  /** etcd granted `lease` for a grant sent at `sentAt`. */
  granted(lease: string, ttlSeconds: number, sentAt: number): void {
    this.current = {
      lease,
      ttlSeconds,
      validUntil: this.until(sentAt, ttlSeconds),
      lastKeepaliveAt: sentAt,
      since: sentAt,
    };
    this.mine.add(lease);
  }

  /** etcd renewed `lease` by a keepalive sent at `sentAt`; false when that lease is no longer the session. */
  renewed(lease: string, ttlSeconds: number, sentAt: number): boolean {
    if (!this.current || this.current.lease !== lease) return false;
    this.current.validUntil = Math.max(this.current.validUntil, this.until(sentAt, ttlSeconds));
    return true;
  }

  /** A keepalive of the session goes out at `now`. */
  keepaliveSent(now: number): void {
    if (this.current) this.current.lastKeepaliveAt = now;
  }

  /** A keepalive failed or went unanswered: the next one goes out at `at` instead of a third of the TTL
   * after it (an etcd election takes about a second; the validity does not wait for the usual rhythm). */
  retryKeepaliveAt(at: number): void {
    if (this.current) this.current.lastKeepaliveAt = at - (this.current.ttlSeconds * 1000) / 3;
  }

  /** When the next keepalive is due (every third of the TTL). */
  keepaliveDue(): number {
    return this.current ? this.current.lastKeepaliveAt + (this.current.ttlSeconds * 1000) / 3 : Infinity;
  }

  /** The session ended (expired, or etcd lost the lease); whatever was held under it is presumed taken. */
  end(): Session | undefined {
    const was = this.current;
    this.current = undefined;
    return was;
  }

  private until(sentAt: number, ttlSeconds: number): number {
    return sentAt + ttlSeconds * 1000 * (1 - this.driftMargin);
  }
}
