// Replication positions for placement. Each node reports with its heartbeat what its database server
// of each promotable group has received (MariaDB's received GTID position), and when such a group must
// move, the leader picks, among the eligible nodes, one whose position holds every other eligible
// node's: the promotion then needs no catch-up and leaves no replica's transactions behind. This is the
// choice only; the promotion itself still compares every replica's position over SQL and waits for an
// unheard one (adapters/resources/mariadb, core/db/promotion), so a stale or missing report costs time,
// never a row.
import { formatGtidPos, holds, parseGtidPos, type GtidPos } from "../db/gtid.js";
import type { NodeView } from "./placement.js";

/** The longest position a heartbeat carries, characters (about eight replication domains). */
export const MAX_POSITION_CHARS = 400;

/** A reportable position: parsed and within the size a heartbeat carries (undefined: not reported). */
export function reportablePosition(text: string): string | undefined {
  if (text.length > MAX_POSITION_CHARS) return undefined;
  const pos = parseGtidPos(text);
  return pos === undefined ? undefined : formatGtidPos(pos);
}

/** Eligible nodes (in preference order) reordered so that those whose position of `group` holds every
 * other's come first, with a note naming why when that changes the first choice. Unchanged unless
 * every eligible node reported a position and one of them holds all the others (no divergence). */
export function fullestFirst(group: string, eligible: readonly NodeView[]): { nodes: NodeView[]; note?: string } {
  const positions = eligible.map((n) => {
    const text = n.positions?.[group];
    return text === undefined ? undefined : parseGtidPos(text);
  });
  if (eligible.length < 2 || positions.some((p) => p === undefined)) return { nodes: [...eligible] };
  const known = positions as GtidPos[];
  const complete = known.map((p) => known.every((o) => holds(p, o)));
  if (!complete.some(Boolean)) return { nodes: [...eligible] };
  const nodes = [...eligible.filter((_, i) => complete[i]), ...eligible.filter((_, i) => !complete[i])];
  const first = nodes[0] as NodeView;
  if (first === eligible[0]) return { nodes };
  const text = formatGtidPos(known[eligible.indexOf(first)] as GtidPos) || "empty";
  return { nodes, note: `${first.name} received the most of ${group} (${text})` };
}
