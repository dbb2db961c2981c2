// The databases section of `vigil status` and the output of `vigil db explain GROUP`.
import type { DbNodeRow } from "../daemon/db-replicas.js";

/** What /status carries per database group (this node's keeper). */
export interface DbGroupStatus {
  nodes?: DbNodeRow[];
}

function semi(r: DbNodeRow): string {
  const s = r.semiSync;
  if (!s) return "";
  if (r.role !== "primary") return "";
  if (!s.enabled) return "semi-sync off";
  return s.fellBack
    ? `semi-sync FELL BACK to async (${s.unacknowledged} commits unacknowledged)`
    : `semi-sync on, ${s.clients} replica(s) acknowledging${s.waiting ? `, ${s.waiting} commit(s) waiting` : ""}`;
}

/** One line per database node: role, received/applied GTID, lag, semi-sync. */
export function renderDatabases(dbs: Record<string, DbGroupStatus> | undefined): string[] {
  if (!dbs || Object.keys(dbs).length === 0) return [];
  const lines = ["", "databases:"];
  for (const [group, d] of Object.entries(dbs)) {
    lines.push(`  ${group}`);
    for (const r of d.nodes ?? []) {
      if (!r.heard) {
        lines.push(`    ${r.node.padEnd(10)} UNREACHABLE  ${r.why ?? ""}`);
        continue;
      }
      const lag =
        r.role === "primary"
          ? ""
          : `  lag ${r.lagTransactions ?? "?"} trx${r.secondsBehind !== undefined && r.secondsBehind !== null ? ` / ${r.secondsBehind}s` : ""}`;
      const from = r.replicatesFrom ? ` from ${r.replicatesFrom}` : "";
      lines.push(
        `    ${r.node.padEnd(10)} ${(r.role + from).padEnd(18)} received ${(r.received || "-").padEnd(14)} applied ${(r.applied || "-").padEnd(14)}${lag}  ${semi(r)}${r.lastError ? `  ERROR ${r.lastError}` : ""}`,
      );
    }
  }
  return lines;
}

/** `vigil db explain`: the sentences, then the nodes. */
export function renderExplain(e: { lines: string[]; nodes?: DbNodeRow[] }): string[] {
  return [...e.lines];
}
