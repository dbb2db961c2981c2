// `vigil db explain GROUP`, pure: who would be promoted if the primary failed now, why, and whether that
// promotion would lose nothing. The candidates are tried in placement order (the group's `prefer`, then
// the other database nodes); each gets the same decision the promoting node itself would take.
import { formatGtidPos, transactionsBehind, type GtidPos } from "./gtid.js";
import { decidePromotion, type PromotionDecision, type ReplicaReport } from "./promotion.js";

/** What explain is given: every database node's report, the node that runs the group, candidate order. */
export interface ExplainInput {
  group: string;
  /** The node running the group now (undefined: none). */
  primary?: string;
  /** Database nodes in the order placement would try them. */
  order: readonly string[];
  reports: readonly ReplicaReport[];
  /** Nodes that cannot take the group now (standby, failures over the threshold), with why. */
  ineligible?: Readonly<Record<string, string>>;
}

/** The answer: the node that would be promoted (if any), its decision, and sentences for the operator. */
export interface Explanation {
  candidate?: string;
  decision?: PromotionDecision;
  losesNothing: boolean;
  lines: string[];
}

/** Explains the next promotion of a database group. */
export function explainPromotion(input: ExplainInput): Explanation {
  const lines: string[] = [];
  const byNode = new Map(input.reports.map((r) => [r.node, r]));
  const primaryReport = input.primary ? byNode.get(input.primary) : undefined;
  const primaryPos: GtidPos | undefined = primaryReport?.heard ? primaryReport.received : undefined;
  lines.push(
    input.primary
      ? `${input.group} runs on ${input.primary}${primaryPos ? ` at ${formatGtidPos(primaryPos) || "empty"}` : primaryReport && !primaryReport.heard ? ` (its server does not answer: ${primaryReport.why})` : ""}`
      : `${input.group} runs nowhere now`,
  );
  for (const r of input.reports) {
    if (r.node === input.primary) continue;
    if (!r.heard) lines.push(`  ${r.node}: not heard (${r.why})`);
    else
      lines.push(
        `  ${r.node}: received ${formatGtidPos(r.received) || "nothing"}${primaryPos ? `, ${transactionsBehind(r.received, primaryPos)} transaction(s) behind the primary` : ""}`,
      );
  }
  for (const node of input.order) {
    if (node === input.primary) continue;
    const why = input.ineligible?.[node];
    if (why) {
      lines.push(`${node} is skipped: ${why}`);
      continue;
    }
    const mine = byNode.get(node);
    if (!mine?.heard) {
      lines.push(`${node} is skipped: its server does not answer${mine && !mine.heard ? ` (${mine.why})` : ""}`);
      continue;
    }
    const decision = decidePromotion({
      candidate: node,
      candidateReceived: mine.received,
      others: input.reports.filter((r) => r.node !== node),
      ...(input.primary ? { oldPrimary: input.primary } : {}),
    });
    const losesNothing = decision.kind === "promote" || decision.kind === "catch-up";
    const verb =
      decision.kind === "promote"
        ? "would be promoted now"
        : decision.kind === "catch-up"
          ? `would catch up from ${decision.from}, then be promoted`
          : decision.kind === "wait"
            ? "would wait before promoting"
            : "would refuse to promote";
    lines.push(`${node} ${verb}: ${decision.reason}`);
    if (primaryPos && losesNothing) {
      const best = decision.kind === "catch-up" ? decision.target : mine.received;
      const tail = transactionsBehind(best, primaryPos);
      lines.push(
        tail === 0
          ? "no transaction would be lost: the candidate has everything the primary wrote"
          : `the primary's last ${tail} transaction(s) are on no replica: under semi_sync strict none of them was acknowledged to a client (they are rolled back when the primary rejoins)`,
      );
    } else
      lines.push(
        losesNothing ? "no acknowledged transaction would be lost" : "nothing is promoted until this is resolved",
      );
    return { candidate: node, decision, losesNothing, lines };
  }
  lines.push("no node could be promoted now");
  return { losesNothing: false, lines };
}
