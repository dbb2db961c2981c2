// The holder's side of a lease. A node asks for a lock in its heartbeats; each voter that grants it
// promises not to grant it to anyone else for a lease from when it received that heartbeat. The holder
// counts its lease from when it *sent* the heartbeat, shortened by the drift margin, so it always runs
// out before the promises of a quorum of voters do: no two nodes ever hold the same lock at once.

/** One lock this node wants. */
interface Wanted {
  /** Sequence number of the first heartbeat that asked for it in this episode: older grants do not count. */
  sinceSeq: number;
  /** Per voter: local send time of the newest heartbeat of this episode it granted. */
  anchors: Map<string, number>;
  /** Per voter: the holder it named when it last refused. */
  deniedBy: Map<string, string>;
  /** Lease end computed from `anchors` (recomputed when they change). */
  until: number;
}

/** The locks one node wants, and the leases it holds on them. */
export class LockHolder {
  private wanted = new Map<string, Wanted>();
  /** Local send time of each recent heartbeat, by sequence number. */
  private sent = new Map<number, number>();

  constructor(
    private votesOf: (voter: string) => number,
    private quorumVotes: number,
    private lease: number,
    private driftMargin: number,
  ) {}

  /** Starts asking for a lock from the next heartbeat on (no-op if already wanted). */
  want(lock: string, nextSeq: number): void {
    if (!this.wanted.has(lock))
      this.wanted.set(lock, { sinceSeq: nextSeq, anchors: new Map(), deniedBy: new Map(), until: -Infinity });
  }

  /** Stops asking: the next heartbeat releases it at every voter. */
  release(lock: string): void {
    this.wanted.delete(lock);
  }

  wants(lock: string): boolean {
    return this.wanted.has(lock);
  }

  /** Locks to claim in the next heartbeat. */
  claims(): string[] {
    return [...this.wanted.keys()].sort();
  }

  /** Remembers when a heartbeat was sent, so grants of it can be anchored there. */
  sentHeartbeat(seq: number, now: number): void {
    this.sent.set(seq, now);
    for (const [s, t] of this.sent) {
      if (now - t > this.lease * 2) this.sent.delete(s);
      else break;
    }
  }

  /** Applies a voter's answer to one of our heartbeats. */
  answer(voter: string, ackSeq: number, granted: readonly string[], denied: readonly [string, string][]): void {
    const sentAt = this.sent.get(ackSeq);
    if (sentAt === undefined) return;
    for (const lock of granted) {
      const w = this.wanted.get(lock);
      if (!w || ackSeq < w.sinceSeq) continue;
      if ((w.anchors.get(voter) ?? -Infinity) < sentAt) {
        w.anchors.set(voter, sentAt);
        w.until = this.leaseEnd(w.anchors);
      }
      w.deniedBy.delete(voter);
    }
    for (const [lock, holder] of denied) this.wanted.get(lock)?.deniedBy.set(voter, holder);
  }

  /** Local time until which this node holds `lock`; -Infinity when it holds no quorum of grants. */
  heldUntil(lock: string): number {
    return this.wanted.get(lock)?.until ?? -Infinity;
  }

  /** The newest send time granted by a quorum of votes, plus the lease less the drift margin. */
  private leaseEnd(granted: Map<string, number>): number {
    const anchors = [...granted].sort((a, b) => b[1] - a[1]);
    let votes = 0;
    for (const [voter, at] of anchors) {
      votes += this.votesOf(voter);
      if (votes >= this.quorumVotes) return at + this.lease * (1 - this.driftMargin);
    }
    return -Infinity;
  }

  /** Lease end counting only `voter`'s own grant (two_node survivor acting alone). */
  ownUntil(lock: string, voter: string): number {
    const at = this.wanted.get(lock)?.anchors.get(voter);
    return at === undefined ? -Infinity : at + this.lease * (1 - this.driftMargin);
  }

  holds(lock: string, now: number): boolean {
    return now < this.heldUntil(lock);
  }

  /** Holders named by voters that refused us this lock. */
  refusedFor(lock: string): string[] {
    return [...new Set(this.wanted.get(lock)?.deniedBy.values() ?? [])].filter((h) => h !== "-");
  }
}
