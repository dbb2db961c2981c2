// Who is alive, on which links, and which packets are fresh: per sender the boot incarnation and the
// highest sequence seen. Stale incarnations and replayed or reordered sequences are dropped and counted.

/** Reasons a packet is dropped; the transport adds its own (bad-mac, wrong-cluster, ...). */
export type DropReason = "unknown-sender" | "stale-incarnation" | "replayed" | "self";

/** What is known of one peer. */
export interface PeerState {
  name: string;
  inc: number;
  lastSeq: number;
  /** Local time a fresh or duplicate authenticated packet was last received, per link index. */
  linkHeard: number[];
  lastHeard: number;
  /** Local time this peer was first heard in its current run of being alive. */
  aliveSince: number;
}

/** The peer table of one node. */
export class Peers {
  private peers = new Map<string, PeerState>();
  readonly drops: Record<string, number> = {};

  constructor(
    private self: string,
    names: readonly string[],
    private linkCount: (peer: string) => number,
    private lease: number,
  ) {
    for (const n of names)
      if (n !== self)
        this.peers.set(n, {
          name: n,
          inc: -1,
          lastSeq: -1,
          linkHeard: [],
          lastHeard: -Infinity,
          aliveSince: -Infinity,
        });
  }

  /** Records an authenticated packet; returns undefined if fresh, else why it must be ignored. */
  accept(now: number, from: string, inc: number, seq: number, link: number): DropReason | undefined {
    if (from === this.self) return this.drop("self");
    const p = this.peers.get(from);
    if (!p) return this.drop("unknown-sender");
    if (inc < p.inc) return this.drop("stale-incarnation");
    if (link >= 0 && link < this.linkCount(from)) p.linkHeard[link] = now;
    if (inc === p.inc && seq <= p.lastSeq) return this.drop("replayed");
    if (!this.isAlive(p, now) || inc > p.inc) p.aliveSince = now;
    p.inc = inc;
    p.lastSeq = seq;
    p.lastHeard = now;
    return undefined;
  }

  /** Counts a drop decided elsewhere (decoder, transport). */
  drop<R extends string>(reason: R): R {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    return reason;
  }

  get(name: string): PeerState | undefined {
    return this.peers.get(name);
  }

  /** A peer is alive while it was heard within the lease. */
  alive(name: string, now: number): boolean {
    const p = this.peers.get(name);
    return p !== undefined && this.isAlive(p, now);
  }

  private isAlive(p: PeerState, now: number): boolean {
    return now - p.lastHeard < this.lease;
  }

  /** Per-link state of a peer: up while heard on that link within the lease. */
  links(name: string, now: number): boolean[] {
    const p = this.peers.get(name);
    const n = this.linkCount(name);
    return Array.from({ length: n }, (_, i) => p !== undefined && now - (p.linkHeard[i] ?? -Infinity) < this.lease);
  }

  all(): PeerState[] {
    return [...this.peers.values()];
  }
}
