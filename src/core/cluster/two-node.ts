// quorum: two_node. With both nodes up, every lease needs both votes, as in a majority cluster. When
// the peer has been silent for a lease, the survivor may act alone (keepalived semantics), guarded by
// two optional checks: the tiebreaker must be reachable, and the configured fence command must have
// succeeded against the peer. A node keeps what it held with both votes on its own vote (the peer can
// take nothing without first declaring it dead and fencing it), so losing the peer causes no restart;
// it takes new locks (leadership, the peer's groups) alone only once the peer is fenced. The lower-priority node waits one
// more lease before fencing, so that in a true partition the higher-priority node wins the fence race.

import type { ClusterSpec } from "./spec.js";

/** The guard for member `self` when the cluster runs two_node with exactly two voters; otherwise none.
 * `order` is the leadership order (highest priority first). */
export function twoNodeGuardFor(
  spec: ClusterSpec,
  self: string,
  order: readonly string[],
  bootAt: number,
): TwoNodeGuard | undefined {
  const voters = spec.members.filter((m) => m.votes > 0);
  const peer = voters.find((m) => m.name !== self);
  if (spec.quorumMode !== "two_node" || voters.length !== 2 || !peer || !spec.members.some((m) => m.name === self))
    return undefined;
  const outranks = order.indexOf(self) < order.indexOf(peer.name) || !order.includes(peer.name);
  return new TwoNodeGuard(self, peer.name, spec.lease, spec.fence, spec.tiebreaker, outranks, bootAt);
}

/** What the guard decides this step. */
export interface SoloDecision {
  /** Whether locks held before the peer went silent may be kept on this node's own vote. */
  keep: boolean;
  /** Whether new locks may be taken on this node's own vote. */
  take: boolean;
  /** Set when the fence command should be run against the peer now. */
  fence?: string;
  reason?: string;
}

/** Tracks the peer, the tiebreaker and fencing for one two_node member. */
export class TwoNodeGuard {
  private tiebreakerOk: boolean;
  private fenced = false;
  private fencing = false;
  private lostAt: number | undefined;
  private retryAt = -Infinity;

  constructor(
    private self: string,
    /** The other voter. */
    readonly peer: string,
    private lease: number,
    private useFence: boolean,
    useTiebreaker: boolean,
    private outranksPeer: boolean,
    /** Local boot time: a peer never heard since boot counts as lost only one lease after it. */
    private bootAt: number,
  ) {
    this.tiebreakerOk = !useTiebreaker;
  }

  /** The tiebreaker adapter reports reachability. */
  setTiebreaker(ok: boolean): void {
    this.tiebreakerOk = ok;
  }

  /** The fence command finished. */
  fenceResult(ok: boolean, now: number): string {
    this.fencing = false;
    this.fenced = ok;
    if (!ok) this.retryAt = now + this.lease;
    return ok
      ? `${this.self} fenced ${this.peer}: it may now run alone`
      : `${this.self} could not fence ${this.peer}; retrying in ${this.lease}ms`;
  }

  /** When fencing is due for a silent peer (local time), for wake-ups. */
  nextCheck(): number {
    if (this.lostAt === undefined || this.fenced || this.fencing) return Infinity;
    return Math.max(this.retryAt, this.lostAt + (this.outranksPeer ? 0 : this.lease));
  }

  /** Decides, given whether the peer is heard now and how long it has been silent. */
  decide(now: number, peerAlive: boolean, silentFor: number): SoloDecision {
    if (peerAlive) {
      this.lostAt = undefined;
      this.fenced = false;
      this.fencing = false;
      return { keep: this.tiebreakerOk, take: false };
    }
    this.lostAt ??= Math.max(now, this.bootAt + this.lease);
    if (!this.tiebreakerOk) return { keep: false, take: false };
    if (now < this.lostAt) return { keep: true, take: false };
    if (!this.useFence || this.fenced) return { keep: true, take: true };
    if (!this.fencing && now >= this.nextCheck()) {
      this.fencing = true;
      return {
        keep: true,
        take: false,
        fence: this.peer,
        reason: `${this.self} fences ${this.peer}: unheard for ${Math.round(silentFor)}ms and the tiebreaker is reachable`,
      };
    }
    return { keep: true, take: false };
  }
}
