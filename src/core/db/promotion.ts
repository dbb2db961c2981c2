// Which replica may become the primary, pure: a candidate is promoted only when its received GTID
// position holds every other replica's (so every commit the old primary had acknowledged under
// semi-sync is in it), it catches up first from a replica that holds more, and it waits, saying why,
// while a replica that may hold the newest acknowledged commit cannot be heard. Divergent positions
// are refused and reported, never merged. The old primary's own tail is not owed: under strict
// semi-sync no commit it acknowledged is missing from every replica. What it received as a replica of
// an earlier primary is owed when it can be heard (a replica promoted moments before it failed may be
// the only server left with the earlier primary's last acknowledged commits).
import { compareGtid, formatGtidPos, holds, type GtidPos } from "./gtid.js";

/** What one node's database said when asked (or that it could not be asked). */
export type ReplicaReport =
  | {
      node: string;
      heard: true;
      /** Everything it holds or received (binlog, gtid_slave_pos, Gtid_IO_Pos). */
      received: GtidPos;
      primary: boolean;
      /** What it received through replication only (gtid_slave_pos joined with Gtid_IO_Pos): what an old
       * primary still owes (undefined: not known, the old primary owes nothing). */
      replicated?: GtidPos;
    }
  | { node: string; heard: false; why: string };

/** The inputs of a promotion decision. */
export interface PromotionInput {
  candidate: string;
  /** What the candidate received (Gtid_IO_Pos, or its binlog position when it has no replication). */
  candidateReceived: GtidPos;
  /** Every other eligible node's report. */
  others: readonly ReplicaReport[];
  /** The node that was primary before (its unacknowledged tail is not owed), when known. */
  oldPrimary?: string;
  /** What the old primary had replicated from earlier primaries when the candidate was pointed at it
   * (owed: while the old primary is unheard and the candidate lacks it, the promotion waits). */
  oldPrimaryOwed?: GtidPos;
  /** An operator forces the promotion past unheard replicas (never past divergence). */
  force?: boolean;
}

/** The decision, with a one-line reason. */
export type PromotionDecision =
  | { kind: "promote"; reason: string }
  | { kind: "catch-up"; from: string; target: GtidPos; reason: string }
  | { kind: "wait"; reason: string }
  | { kind: "refuse"; reason: string };

/** Decides whether `candidate` may be promoted now. */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { candidate, candidateReceived: mine } = input;
  const replicas = input.others.flatMap((r): ReplicaReport[] => {
    if (r.node !== input.oldPrimary) return [r];
    return r.heard && r.replicated ? [{ ...r, received: r.replicated }] : [];
  });
  const unheard = replicas.filter((r) => !r.heard);
  const heard = replicas.filter((r): r is Extract<ReplicaReport, { heard: true }> => r.heard);
  for (const r of heard) {
    const o = compareGtid(mine, r.received);
    if (o.kind === "divergent")
      return {
        kind: "refuse",
        reason: `${candidate} and ${r.node} have diverged (${o.reason}); promoting either would lose the other's transactions — resolve by hand`,
      };
  }
  for (const [i, a] of heard.entries())
    for (const b of heard.slice(i + 1)) {
      const o = compareGtid(a.received, b.received);
      if (o.kind === "divergent")
        return { kind: "refuse", reason: `${a.node} and ${b.node} have diverged (${o.reason}) — resolve by hand` };
    }
  const fuller = heard.filter((r) => !holds(mine, r.received));
  const old = input.others.find((r) => r.node === input.oldPrimary);
  if (old && !old.heard && input.oldPrimaryOwed && !holds(mine, input.oldPrimaryOwed)) {
    unheard.push({
      ...old,
      why: `${old.why}; ${candidate} has not yet received what it replicated before it became primary (${formatGtidPos(input.oldPrimaryOwed)})`,
    });
  }
  if (unheard.length > 0 && !input.force)
    return {
      kind: "wait",
      reason: `waiting for ${unheard.map((r) => `${r.node} (${r.why})`).join(", ")}: it may hold the newest acknowledged commit`,
    };
  if (fuller.length > 0) {
    const best = fuller.find((r) => heard.every((o) => holds(r.received, o.received))) ?? fuller[0];
    if (!best) return { kind: "refuse", reason: "no replica holds every other's transactions" };
    return {
      kind: "catch-up",
      from: best.node,
      target: best.received,
      reason: `${best.node} received more (${formatGtidPos(best.received)} against ${formatGtidPos(mine) || "nothing"}); ${candidate} catches up from it first`,
    };
  }
  const skipped = !old
    ? ""
    : old.heard && old.replicated
      ? `; old primary ${old.node}: only what it replicated is owed`
      : `; old primary ${old.node} not owed`;
  const forced = unheard.length > 0 ? `; forced past unheard ${unheard.map((r) => r.node).join(", ")}` : "";
  return {
    kind: "promote",
    reason: `${candidate} holds every replica's transactions (${formatGtidPos(mine) || "empty"}; ${heard.length} replica${heard.length === 1 ? "" : "s"} compared${skipped}${forced})`,
  };
}

/** Among reports of heard replicas, the nodes whose position holds every other's, in the given order
 * (who could be promoted without a catch-up; `vigil db explain`). */
export function completeReplicas(heard: readonly { node: string; received: GtidPos }[]): string[] {
  return heard.filter((r) => heard.every((o) => holds(r.received, o.received))).map((r) => r.node);
}
