// Prometheus metrics of database groups (`type: mariadb`), read from the replica keeper's last view of
// every database node at scrape time: role, received/applied GTID seq_no, lag, semi-sync state.
import { Gauge, type Registry } from "prom-client";
import type { DbNodeRow } from "../daemon/db-replicas.js";

/** The highest seq_no of a position text ("0-1-100,1-2-5" → 100), 0 when empty. */
function seqOf(pos: string): number {
  return pos
    .split(",")
    .map((g) => Number(g.split("-")[2] ?? 0))
    .reduce((a, b) => Math.max(a, b), 0);
}

/** Registers the database gauges on `registry`; `view` gives, per group, the rows of every database node. */
export function registerDbMetrics(registry: Registry, view: () => Record<string, { nodes?: DbNodeRow[] }>): void {
  const r = [registry];
  const rows = (): [string, DbNodeRow][] =>
    Object.entries(view()).flatMap(([g, d]) => (d.nodes ?? []).map((n) => [g, n] as [string, DbNodeRow]));
  const gauge = (name: string, help: string, value: (n: DbNodeRow) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["group", "db_node"],
      registers: r,
      collect() {
        this.reset();
        for (const [group, n] of rows()) {
          const v = value(n);
          if (v !== undefined) this.set({ group, db_node: n.node }, v);
        }
      },
    });
  gauge("vigil_db_up", "1 while the database node's server answers", (n) => (n.heard ? 1 : 0));
  gauge("vigil_db_primary", "1 on the database node that accepts writes", (n) => (n.role === "primary" ? 1 : 0));
  gauge("vigil_db_received_seq", "Highest GTID seq_no received (relay log; binlog on the primary)", (n) =>
    n.heard ? seqOf(n.received) : undefined,
  );
  gauge("vigil_db_applied_seq", "Highest GTID seq_no applied", (n) => (n.heard ? seqOf(n.applied) : undefined));
  gauge(
    "vigil_db_lag_transactions",
    "Transactions the primary has that this replica has not applied",
    (n) => n.lagTransactions,
  );
  gauge("vigil_db_semi_sync_clients", "Replicas acknowledging semi-sync commits (primary)", (n) =>
    n.role === "primary" ? n.semiSync?.clients : undefined,
  );
  gauge("vigil_db_semi_sync_fell_back", "1 while the primary's semi-sync has fallen back to async", (n) =>
    n.role === "primary" ? (n.semiSync?.fellBack ? 1 : 0) : undefined,
  );
  gauge("vigil_db_semi_sync_waiting", "Commits waiting for a replica's acknowledgement now (primary)", (n) =>
    n.role === "primary" ? n.semiSync?.waiting : undefined,
  );
}
