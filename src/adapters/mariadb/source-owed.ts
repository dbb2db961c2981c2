// What this node's replica owes to the primary it was last pointed at: when the replica keeper points
// the server at a new primary, it records what that primary had received by replication from earlier
// primaries (a replica promoted moments before may be the only server left with the earlier primary's
// last acknowledged commits). Should that primary fail before this server received all of it, a
// promotion here waits for it instead of passing it over as the old primary (core/db/promotion).
// In memory: a restarted daemon knows nothing and passes the old primary over, as before.
import type { GtidPos } from "../../core/db/gtid.js";

const owed = new Map<string, { primary: string; pos: GtidPos }>();

/** The server on `datadir` now replicates from `primary`, which had replicated `pos` from earlier ones. */
export function pointedAt(datadir: string, primary: string, pos: GtidPos): void {
  owed.set(datadir, { primary, pos });
}

/** What the server on `datadir` owes to `primary` when that is the primary it was pointed at last. */
export function owedTo(datadir: string, primary: string): GtidPos | undefined {
  const o = owed.get(datadir);
  return o && o.primary === primary ? o.pos : undefined;
}
