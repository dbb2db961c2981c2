// When a node asks for the leader lock, keeps it, or gives it up. The lock itself (votes and leases)
// makes leadership exclusive; these rules only make the highest-priority reachable node win quickly
// and make contenders step aside instead of splitting the votes forever.

import { LEADER_LOCK } from "./spec.js";

/** Peers whose latest heartbeat asks for the leader lock (among those still heard), and whether each
 * hears enough voters, itself included, to win it. */
export function leaderClaimants(
  reports: ReadonlyMap<string, { claims: readonly string[]; alive: readonly string[] }>,
  heard: (node: string) => boolean,
  votesOf: (node: string) => number,
  quorumVotes: number,
): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const [name, r] of reports) {
    if (!heard(name) || !r.claims.includes(LEADER_LOCK)) continue;
    m.set(name, [name, ...r.alive].reduce((sum, n) => sum + votesOf(n), 0) >= quorumVotes);
  }
  return m;
}

/** What a node knows when it decides about leadership. */
export interface LeadershipView {
  self: string;
  now: number;
  interval: number;
  lease: number;
  /** Eligible nodes, best first (see leadershipOrder). */
  order: readonly string[];
  alive: (name: string) => boolean;
  /** Peers whose latest heartbeat claims the leader lock, with whether they reach a quorum. */
  claimants: ReadonlyMap<string, boolean>;
  /** The node whose leader announcement was heard last, and when (local time). */
  lastLeader: { name: string; at: number } | undefined;
  /** Local time this node booted: the baseline while no leader was ever heard. */
  bootAt: number;
  holds: boolean;
  wants: boolean;
  /** Holders named by voters that refused us the leader lock. */
  refusedFor: readonly string[];
  /** After stepping aside for a stronger node, do not ask again before this local time. */
  backoffUntil: number;
}

/** Keep, take or drop the leader lock, with the sentence that explains a change. */
export type LeadershipChoice = { want: boolean; reason?: string };

function rank(order: readonly string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

/** Decides whether to want the leader lock now. */
export function chooseLeadership(v: LeadershipView): LeadershipChoice {
  const me = rank(v.order, v.self);
  if (me === Number.MAX_SAFE_INTEGER) return { want: false };
  const better = (n: string) => rank(v.order, n) < me;
  if (v.holds) {
    const successor = [...v.claimants].find(([n, reaches]) => reaches && better(n) && v.alive(n));
    if (successor)
      return {
        want: false,
        reason: `${v.self} hands leadership to ${successor[0]}: it has higher priority and reaches a quorum`,
      };
    return { want: true };
  }
  if (v.wants) {
    // Only a stronger node this one still hears: a silent one's promise is merely running out.
    const stronger = v.refusedFor.find((n) => better(n) && v.alive(n));
    if (stronger)
      return {
        want: false,
        reason: `${v.self} stops asking to lead: ${stronger} holds the votes and has higher priority`,
      };
    return { want: true };
  }
  if (v.now < v.backoffUntil) return { want: false };
  const aliveBetter = v.order.slice(0, me).filter((n) => v.alive(n));
  const leaderFresh = v.lastLeader !== undefined && v.now - v.lastLeader.at < v.lease && v.alive(v.lastLeader.name);
  if (aliveBetter.length === 0 && !(leaderFresh && v.lastLeader && better(v.lastLeader.name))) {
    const why =
      leaderFresh && v.lastLeader
        ? `it outranks the current leader ${v.lastLeader.name}`
        : v.lastLeader
          ? `${v.lastLeader.name} unheard for ${Math.round(v.now - v.lastLeader.at)}ms`
          : "no leader yet";
    return { want: true, reason: `${v.self} asks to lead: ${why}` };
  }
  const patience = v.lease + me * 2 * v.interval;
  const silentFor = v.now - (v.lastLeader?.at ?? v.bootAt);
  if (!leaderFresh && silentFor >= patience && aliveBetter.every((n) => !v.claimants.has(n))) {
    return {
      want: true,
      reason: `${v.self} asks to lead: no leader heard for ${Math.round(silentFor)}ms and no better node is asking`,
    };
  }
  return { want: false };
}
