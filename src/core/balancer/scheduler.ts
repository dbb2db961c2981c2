// Picks the real server for a new connection: rr, wrr, lc, wlc and sh (source hash), as LVS names them.
// Pure: the caller passes the candidates with their current weights and open connection counts.

/** A real server as the scheduler sees it. */
export interface Candidate {
  /** IP:PORT, the server's identity. */
  address: string;
  /** Weight now (0 = takes no new connections). */
  weight: number;
  /** Open connections to it. */
  active: number;
}

/** The scheduling algorithms of `virtual_servers[].scheduler`. */
export type SchedulerKind = "rr" | "wrr" | "lc" | "wlc" | "sh";

/** 32-bit FNV-1a of a string. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Mixes a 32-bit hash so nearby inputs spread (murmur3 finaliser). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A scheduler with the little state rr and wrr need between picks. */
export class Scheduler {
  private next = 0;
  private current = new Map<string, number>();

  constructor(readonly kind: SchedulerKind) {}

  /** The server for a connection from `clientIp`, among candidates with weight > 0 that are not in
   * `exclude` (servers already tried for this connection); undefined when none is left. */
  pick(
    candidates: readonly Candidate[],
    clientIp: string,
    exclude: ReadonlySet<string> = new Set(),
  ): Candidate | undefined {
    const open = candidates.filter((c) => c.weight > 0 && !exclude.has(c.address));
    if (open.length === 0) return undefined;
    switch (this.kind) {
      case "rr":
        return open[this.next++ % open.length];
      case "wrr":
        return this.smoothWeighted(open);
      case "lc":
        return this.least(open, (a, b) => a.active - b.active);
      case "wlc":
        return this.least(open, (a, b) => a.active * b.weight - b.active * a.weight);
      case "sh":
        return this.sourceHash(open, clientIp);
    }
  }

  /** Smooth weighted round robin: each pick adds every weight to its server's credit and takes the
   * server with the most credit, which then pays the total. Spreads a 3:1 split as a b a a, not a a a b. */
  private smoothWeighted(open: Candidate[]): Candidate {
    let best: Candidate | undefined;
    let bestCredit = -Infinity;
    let total = 0;
    for (const c of open) {
      const credit = (this.current.get(c.address) ?? 0) + c.weight;
      this.current.set(c.address, credit);
      total += c.weight;
      if (credit > bestCredit) {
        best = c;
        bestCredit = credit;
      }
    }
    const chosen = best as Candidate;
    this.current.set(chosen.address, bestCredit - total);
    if (this.current.size > open.length * 2) this.forgetAbsent(open);
    return chosen;
  }

  private forgetAbsent(open: Candidate[]): void {
    const present = new Set(open.map((c) => c.address));
    for (const a of this.current.keys()) if (!present.has(a)) this.current.delete(a);
  }

  /** The smallest by `cmp`; ties go round robin so equal servers share the load. */
  private least(open: Candidate[], cmp: (a: Candidate, b: Candidate) => number): Candidate {
    const start = this.next++ % open.length;
    let best = open[start] as Candidate;
    for (let i = 1; i < open.length; i++) {
      const c = open[(start + i) % open.length] as Candidate;
      if (cmp(c, best) < 0) best = c;
    }
    return best;
  }

  /** Weighted rendezvous hashing: a client keeps its server while that server is up, and when one
   * server goes, only its own clients move. */
  private sourceHash(open: Candidate[], clientIp: string): Candidate {
    let best = open[0] as Candidate;
    let bestScore = -Infinity;
    for (const c of open) {
      const u = (mix(fnv1a(`${clientIp}|${c.address}`)) + 0.5) / 4294967296;
      const score = -c.weight / Math.log(u);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    return best;
  }
}
