// The cluster as the core sees it: members, votes, timers and groups, derived once from a Config.
import type { Config } from "../config/schema.js";
import { stopBudget } from "../config/stop-budget.js";
import type { TrackCheck } from "./track.js";

/** One member as far as membership, election and placement care. */
export interface MemberSpec {
  name: string;
  priority: number;
  votes: number;
  witness: boolean;
}

/** One group as far as placement cares. */
export interface GroupSpec {
  name: string;
  prefer: string[];
  failback: boolean;
  migrationThreshold: number;
  /** Failures older than this are forgotten, ms (undefined: kept until cleanup). */
  failureTimeout?: number;
  /** How long its resources may take to be gone from a node that must stop them, ms (0: VIPs only,
   * which the guard removes at the lease's end). Voters keep a silent holder's promise this much longer. */
  stopBudget: number;
  /** Runs on every eligible node at once, without a lock or a leader's assignment. */
  clone?: boolean;
  /** Checks a node must pass to run the group (see track.ts). */
  track?: readonly TrackCheck[];
  /** Has a promotable resource (`type: mariadb`): a move picks the node that received the most. */
  promotable?: boolean;
}

/** Everything the cluster core needs to know about the configuration. */
export interface ClusterSpec {
  clusterName: string;
  members: MemberSpec[];
  groups: GroupSpec[];
  /** Heartbeat interval, ms. */
  interval: number;
  /** Lease, ms: how long a promise lasts and how long a silent node stays alive. */
  lease: number;
  /** Fraction of the lease a holder gives up as clock-drift margin (0.05 tolerates rate errors of ±2.5%). */
  driftMargin: number;
  /** Votes a lease needs. */
  quorumVotes: number;
  quorumMode: "majority" | "two_node";
  /** How long a returning preferred node must stay up before a group fails back to it, ms. */
  failbackSettle: number;
  /** two_node: whether a fence command is configured (then the survivor fences before taking over). */
  fence: boolean;
  /** two_node: whether a tiebreaker address is configured (then the survivor must reach it). */
  tiebreaker: boolean;
}

/** The default drift margin: leases are shortened by 5% on the holder's side. */
export const DEFAULT_DRIFT_MARGIN = 0.05;

/** Builds the spec from a validated config. */
export function clusterSpecFrom(config: Config): ClusterSpec {
  const members = config.nodes.map((n) => ({ name: n.name, priority: n.priority, votes: n.votes, witness: n.witness }));
  const total = members.reduce((s, m) => s + m.votes, 0);
  const { interval, lease } = config.cluster.heartbeat;
  return {
    clusterName: config.cluster.name,
    members,
    groups: groupSpecsFrom(config),
    interval,
    lease,
    driftMargin: DEFAULT_DRIFT_MARGIN,
    quorumVotes: Math.floor(total / 2) + 1,
    quorumMode: config.cluster.quorum,
    failbackSettle: Math.max(2000, 4 * lease),
    fence: config.cluster.fence !== undefined,
    tiebreaker: config.cluster.tiebreaker !== undefined,
  };
}

/** The groups of a validated config as placement sees them (also sent to the core on a reload). */
export function groupSpecsFrom(config: Config): GroupSpec[] {
  const silence = guardSilence(config.cluster.heartbeat.interval);
  return config.groups.map((g) => ({
    name: g.name,
    prefer: g.prefer,
    failback: g.failback,
    migrationThreshold: g.migration_threshold,
    failureTimeout: g.failure_timeout,
    stopBudget: stopBudget(g, config.cluster, silence),
    ...(g.clone ? { clone: true } : {}),
    ...(g.track.length > 0 ? { track: g.track } : {}),
    ...(g.resources.some((r) => r.type === "mariadb") ? { promotable: true } : {}),
  }));
}

/** How long the guard waits for a silent daemon before it stops the groups itself, ms. */
export function guardSilence(interval: number): number {
  return 4 * interval;
}

/** Group → failure_timeout (ms) of the groups that have one. */
export function failureTimeouts(groups: readonly GroupSpec[]): Map<string, number> {
  return new Map(groups.flatMap((g) => (g.failureTimeout ? [[g.name, g.failureTimeout] as const] : [])));
}

/** Orders members for leadership: higher priority first, then name. Witnesses never lead. */
export function leadershipOrder(members: readonly MemberSpec[]): string[] {
  return members
    .filter((m) => !m.witness)
    .sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((m) => m.name);
}

/** The name of the lock that makes a node leader; groups lock under their own names. */
export const LEADER_LOCK = "*leader";
