// The stretches during which no node served a group, from the bands of a group's timeline: a node
// serves while it runs the group (its own `running`, a peer's `active`). Only holes after someone
// served count (before that, this node simply knows nothing yet).
import type { BandSegment, BandState, ServingGap } from "./types.js";

/** Whether a band state means the node serves the group. */
export function serves(state: BandState): boolean {
  return state === "running" || state === "active";
}

/** The gaps without a server in `bands` up to `now`, oldest first. */
export function servingGaps(bands: Record<string, BandSegment[]>, now: number): ServingGap[] {
  const spans = Object.entries(bands)
    .flatMap(([node, segs]) =>
      segs.filter((s) => serves(s.state)).map((s) => ({ node, from: s.from, to: s.to ?? now })),
    )
    .sort((a, b) => a.from - b.from);
  const gaps: ServingGap[] = [];
  let coveredTo: number | undefined;
  let lastNode: string | undefined;
  for (const s of spans) {
    if (coveredTo !== undefined && s.from > coveredTo)
      gaps.push({ from: coveredTo, to: s.from, ms: s.from - coveredTo, before: lastNode, after: s.node });
    if (coveredTo === undefined || s.to >= coveredTo) {
      coveredTo = s.to;
      lastNode = s.node;
    }
  }
  if (coveredTo !== undefined && coveredTo < now)
    gaps.push({ from: coveredTo, to: null, ms: now - coveredTo, before: lastNode });
  return gaps;
}
