// The leader's placement: which node should run each group, from preferences, stickiness, failback,
// standby, failure counts, track verdicts and liveness. Pure: the same view gives the same answer and
// the same reasons. Clones are not placed: they run on every eligible node by themselves.
import type { GroupSpec } from "./spec.js";
import { fullestFirst } from "./positions.js";
import { verdictReason, type TrackVerdict } from "./track.js";

/** What the leader knows of one node when it places groups. */
export interface NodeView {
  name: string;
  alive: boolean;
  /** Local time since when the node has been continuously alive (for failback settling). */
  aliveSince: number;
  /** How long ago the node was last heard, ms (for reasons). */
  silentFor: number;
  witness: boolean;
  standby: boolean;
  priority: number;
  failures: Record<string, number>;
  claims: readonly string[];
  running: readonly string[];
  /** Groups whose track checks fail on the node, with the first failing check (none: all pass). */
  untracked?: Readonly<Record<string, TrackVerdict>>;
  /** Per group with track checks: local time since when the node has passed them all (failback waits
   * for it to settle, as it waits after a node comes up). */
  passingSince?: Readonly<Record<string, number>>;
  /** Per promotable group: the replication position the node's database has received (positions.ts). */
  positions?: Readonly<Record<string, string>>;
}

/** Inputs of one placement round. */
export interface PlacementInput {
  now: number;
  groups: readonly GroupSpec[];
  nodes: readonly NodeView[];
  previous: Readonly<Record<string, string | null>>;
  failbackSettle: number;
  /** Groups pinned to a node by an operator's `move`; they go there whenever it is eligible. */
  moves?: Readonly<Record<string, string>>;
  /** Until this local time (the leader's start-up), a group that runs nowhere waits for its preferred
   * node instead of going to whichever node happened to start first. */
  waitForPreferredUntil?: number;
}

/** Group → node (null: nowhere), with one sentence per change. */
export interface PlacementResult {
  assignments: Record<string, string | null>;
  decisions: string[];
  /** Groups kept on a node that fails their track checks because no node passes them, with the sentence
   * that says so (logged once by the leader while it stays true). */
  held?: Record<string, string>;
}

/** Why `n` may not run `g`, track checks included. */
function ineligibility(n: NodeView | undefined, g: GroupSpec): string | undefined {
  const base = baseIneligibility(n, g);
  if (base !== undefined) return base;
  const verdict = n?.untracked?.[g.name];
  return verdict ? verdictReason(g.track, verdict) : undefined;
}

/** Why `n` may not run `g`, track checks aside. */
function baseIneligibility(n: NodeView | undefined, g: GroupSpec): string | undefined {
  if (!n) return "is not a member";
  if (n.witness) return "is a witness";
  if (!n.alive) return `unheard for ${Math.round(n.silentFor)}ms`;
  if (n.standby) return "is in standby";
  if ((n.failures[g.name] ?? 0) >= g.migrationThreshold)
    return `reached ${n.failures[g.name]} failures (migration_threshold ${g.migrationThreshold})`;
  return undefined;
}

/** Ranks candidates: prefer-list order first, then higher priority, then name. */
function byPreference(g: GroupSpec): (a: NodeView, b: NodeView) => number {
  const pos = (n: NodeView) => {
    const i = g.prefer.indexOf(n.name);
    return i < 0 ? g.prefer.length : i;
  };
  return (a, b) => pos(a) - pos(b) || b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Per group, the live nodes that claim it, and per node the groups it runs: looked up once per round
 * instead of searching every node's lists for every group (a round stays linear in the groups). */
interface ClaimIndex {
  claimers: Map<string, NodeView[]>;
  running: Map<string, Set<string>>;
}

function claimIndex(nodes: readonly NodeView[]): ClaimIndex {
  const claimers = new Map<string, NodeView[]>();
  for (const n of nodes) {
    if (!n.alive) continue;
    for (const g of n.claims) claimers.set(g, [...(claimers.get(g) ?? []), n]);
  }
  return { claimers, running: new Map(nodes.map((n) => [n.name, new Set(n.running)])) };
}

/** Places every group. */
export function place(input: PlacementInput): PlacementResult {
  const byName = new Map(input.nodes.map((n) => [n.name, n]));
  const index = claimIndex(input.nodes);
  const assignments: Record<string, string | null> = {};
  const decisions: string[] = [];
  const held: Record<string, string> = {};
  const clones = new Set(input.groups.filter((g) => g.clone).map((g) => g.name));
  for (const g of input.groups) {
    if (g.clone) continue;
    const prev = input.previous[g.name] ?? null;
    const choice = placeOne(g, input, byName, index, prev);
    assignments[g.name] = choice.node;
    if (choice.node !== prev) decisions.push(choice.reason);
    if (choice.held) held[g.name] = choice.held;
  }
  for (const g of Object.keys(input.previous)) {
    if (!(g in assignments))
      decisions.push(
        clones.has(g)
          ? `${g} is no longer placed: it is a clone and runs on every eligible node`
          : `${g} is no longer placed: it is not in the leader's config`,
      );
  }
  return { assignments, decisions, ...(Object.keys(held).length > 0 ? { held } : {}) };
}

/** One group's placement; an operator's move to a node that may not run the group is said once, with why. */
function placeOne(
  g: GroupSpec,
  input: PlacementInput,
  byName: Map<string, NodeView>,
  index: ClaimIndex,
  prev: string | null,
): { node: string | null; reason: string; held?: string } {
  const choice = placeFreely(g, input, byName, index, prev);
  const pinned = input.moves?.[g.name];
  if (pinned === undefined || choice.node === pinned) return choice;
  const why = ineligibility(byName.get(pinned), g);
  return why === undefined
    ? choice
    : { ...choice, held: `${g.name} is not moved to ${pinned}, where an operator moved it: ${pinned} ${why}` };
}

function placeFreely(
  g: GroupSpec,
  input: PlacementInput,
  byName: Map<string, NodeView>,
  index: ClaimIndex,
  prev: string | null,
): { node: string | null; reason: string; held?: string } {
  const eligible = input.nodes.filter((n) => ineligibility(n, g) === undefined).sort(byPreference(g));
  const claimers = index.claimers.get(g.name) ?? [];
  const holder = claimers.find((n) => index.running.get(n.name)?.has(g.name)) ?? claimers[0];
  const current = holder?.name ?? prev;
  const currentNode = current === null ? undefined : byName.get(current);
  const why = current === null ? undefined : ineligibility(currentNode, g);
  const pinned = input.moves?.[g.name];
  if (pinned !== undefined && ineligibility(byName.get(pinned), g) === undefined) {
    if (current === pinned) return { node: pinned, reason: `${g.name} stays on ${pinned}: moved there by an operator` };
    return { node: pinned, reason: `${g.name} moves ${current ?? "nowhere"}→${pinned}: moved by an operator` };
  }

  if (current !== null && why === undefined) {
    const best = eligible[0];
    const passingSince = best?.passingSince?.[g.name] ?? -Infinity;
    const since = best === undefined ? Infinity : Math.max(best.aliveSince, passingSince);
    const settled = input.now - since >= input.failbackSettle;
    if (
      g.failback &&
      best &&
      best.name !== current &&
      g.prefer.includes(best.name) &&
      settled &&
      byPreference(g)(best, currentNode as NodeView) < 0
    ) {
      return {
        node: best.name,
        reason: `${g.name} fails back ${current}→${best.name}: ${best.name} is preferred and ${passingSince > best.aliveSince ? "has passed its track checks" : "up"} for ${Math.round(input.now - since)}ms`,
      };
    }
    return {
      node: current,
      reason: `${g.name} stays on ${current}: ${g.failback ? "already on its best node" : "failback is off"}`,
    };
  }
  // A promotable group goes to a node that received the most, when the reports tell one.
  const fullest = g.promotable ? fullestFirst(g.name, eligible) : { nodes: eligible };
  const best = fullest.nodes[0];
  const fuller = fullest.note ? `; ${fullest.note}` : "";
  if (!best && current !== null && why !== undefined && baseIneligibility(currentNode, g) === undefined) {
    // Only track checks fail where it runs, and they fail everywhere: moving cannot help, stopping
    // would leave nothing; it stays (and says so).
    const reason = `${g.name} stays on ${current} although ${current} ${why}: no node passes its track checks`;
    return { node: current, held: reason, reason };
  }
  const preferred = g.prefer[0] === undefined ? undefined : byName.get(g.prefer[0]);
  const preferredPending = preferred?.untracked?.[g.name]?.inARow === 0;
  if (
    current === null &&
    preferred &&
    (!preferred.alive || preferredPending) &&
    input.now < (input.waitForPreferredUntil ?? -Infinity)
  ) {
    return {
      node: null,
      reason: `${g.name} waits for ${preferred.name} to ${preferred.alive ? "finish its first track checks" : "start"}`,
    };
  }
  if (!best) {
    const whyNot = input.nodes
      .filter((n) => !n.witness)
      .map((n) => `${n.name} ${ineligibility(n, g) ?? "is eligible"}`)
      .join(", ");
    return { node: null, reason: `${g.name} cannot run anywhere: no eligible node (${whyNot})` };
  }
  if (current === null)
    return {
      node: best.name,
      reason: `${g.name} placed on ${best.name}: ${g.prefer[0] === best.name ? "its preferred node" : "best eligible node"}${fuller}`,
    };
  return { node: best.name, reason: `${g.name} moves ${current}→${best.name}: ${current} ${why}${fuller}` };
}
