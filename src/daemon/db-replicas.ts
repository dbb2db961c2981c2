// The replica role of every `mariadb` group, on every database node that does not run the group: keeps
// this node's mariadbd running read-only (started with --init-rpl-role=SLAVE, so a former primary's
// unacknowledged tail is truncated) and replicating with GTID from the node that runs the group. Before
// it points at a new primary it compares positions: a server holding a transaction the primary lacks
// is refused and explained, never merged. It also records what the operator view shows.
import type { Logger } from "../adapters/logger.js";
import { readState, pointAt, unionPos, type ServerState } from "../adapters/mariadb/replication.js";
import { killServer, runningPid, startServer } from "../adapters/mariadb/server-process.js";
import { forcePromotion } from "../adapters/mariadb/promotion-gate.js";
import { withServerLock } from "../adapters/mariadb/server-lock.js";
import { pointedAt } from "../adapters/mariadb/source-owed.js";
import { withSql } from "../adapters/mariadb/sql.js";
import { forNode, nodeOfTag, type DbTopology } from "../adapters/mariadb/topology.js";
import { peerReport, serverSpecOf } from "../adapters/resources/mariadb.js";
import type { ClusterStatus } from "../core/cluster/node.js";
import { opTimeouts } from "../core/config/stop-budget.js";
import type { Config, MariadbConfig } from "../core/config/schema.js";
import { explainPromotion, type Explanation } from "../core/db/explain.js";
import { compareGtid, formatGtidPos, transactionsBehind } from "../core/db/gtid.js";

/** How often the keeper reads every database node for the cluster-wide view, ms. */
const VIEW_EVERY_MS = 2000;

type ReplicaReportWithState = Awaited<ReturnType<typeof peerReport>>;

/** A group's database as the keeper drives it on this node. */
export interface DbGroup {
  group: string;
  config: MariadbConfig;
  /** The resource's tag (the same the primary role's agent uses). */
  tag: string;
  /** The group's `prefer` list and migration_threshold (for `vigil db explain`). */
  prefer: string[];
  migrationThreshold: number;
}

/** One database node as every node's keeper reads it (the cluster-wide view of `vigil status`). */
export interface DbNodeRow {
  node: string;
  heard: boolean;
  why?: string;
  role: "primary" | "replica" | "no replication" | "unreachable";
  received: string;
  applied: string;
  replicatesFrom?: string;
  lagTransactions?: number;
  secondsBehind?: number | null;
  lastError?: string;
  semiSync?: {
    enabled: boolean;
    active: boolean;
    clients: number;
    waiting: number;
    fellBack: boolean;
    unacknowledged: number;
  };
}

/** What this node's server is doing for one group (API `databases`, `vigil status`, metrics). */
export interface DbNodeStatus {
  node: string;
  role: "primary" | "replica" | "stopped" | "diverged" | "unknown";
  /** The node it replicates from (replicas). */
  primary?: string;
  /** Gtid_IO_Pos (replicas) or gtid_binlog_pos (primary). */
  received: string;
  /** gtid_slave_pos (replicas) or gtid_binlog_pos (primary). */
  applied: string;
  /** Transactions the primary has that this server has not applied (replicas, when the primary answers). */
  lagTransactions?: number;
  secondsBehind?: number | null;
  replicationIo?: string;
  replicationSql?: string;
  lastError?: string;
  semiSync: {
    enabled: boolean;
    active: boolean;
    clients: number;
    waiting: number;
    fellBack: boolean;
    replicaActive: boolean;
  };
  detail: string;
  at: number;
}

/** The mariadb groups of `config`, with their resources' tags. */
export function dbGroupsOf(config: Config, owner: string): DbGroup[] {
  return config.groups.flatMap((g) =>
    g.resources.flatMap((r, ri) =>
      r.type === "mariadb"
        ? [
            {
              group: g.name,
              config: forNode(r, nodeOfTag(`${owner}/x`)),
              tag: `${owner}/${g.name}-${ri}`,
              prefer: g.prefer,
              migrationThreshold: g.migration_threshold,
            },
          ]
        : [],
    ),
  );
}

/** Keeps the replicas of this node's database groups; `tick` runs every `everyMs`. */
export class DbReplicaKeeper {
  private timer: NodeJS.Timeout | undefined;
  private states = new Map<string, DbNodeStatus>();
  private views = new Map<string, DbNodeRow[]>();
  private viewAt = 0;
  private said = new Map<string, string>();
  private busy = false;

  constructor(
    private groups: DbGroup[],
    private topology: DbTopology,
    private status: () => Promise<ClusterStatus>,
    private isUpHere: (group: string) => boolean,
    private log: Logger,
    /** Tells the cluster what this node's server of a group has received (placement's choice). */
    private reportPosition: (group: string, received: string) => void = () => undefined,
    private everyMs = 500,
  ) {}

  private reported = new Map<string, string>();

  /** Whether this node runs databases at all (not a witness, some mariadb group). */
  get active(): boolean {
    return this.groups.length > 0 && this.topology.nodes.some((n) => n.name === this.topology.self);
  }

  start(): void {
    if (!this.active) return;
    const loop = async () => {
      if (!this.busy) {
        this.busy = true;
        await this.tick().catch((err: Error) => this.once("tick", `database replica keeper: ${err.message}`));
        this.busy = false;
      }
      if (this.timer !== undefined) this.timer = setTimeout(() => void loop(), this.everyMs);
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Per group, what this node's server does and how every database node looked at the last read. */
  snapshot(): Record<string, DbNodeStatus & { nodes: DbNodeRow[] }> {
    return Object.fromEntries([...this.states].map(([g, st]) => [g, { ...st, nodes: this.views.get(g) ?? [] }]));
  }

  /** Reads every database node of `g` now. */
  private async reports(g: DbGroup): Promise<ReplicaReportWithState[]> {
    const password = serverSpecOf(g.config, this.topology, g.tag).password;
    return Promise.all(this.topology.nodes.map((n) => peerReport(g.config, password, n)));
  }

  private rows(reports: ReplicaReportWithState[]): DbNodeRow[] {
    const primary = reports.find((r) => r.heard && r.state && !r.state.readOnly)?.state;
    return reports.map((r) => {
      if (!r.heard || !r.state)
        return {
          node: r.node,
          heard: false,
          why: r.heard ? "" : r.why,
          role: "unreachable",
          received: "",
          applied: "",
        };
      const st = r.state;
      const isPrimary = !st.readOnly;
      const from = this.topology.nodes.find((n) => n.host === st.replication?.masterHost)?.name;
      return {
        node: r.node,
        heard: true,
        role: isPrimary ? "primary" : st.replication ? "replica" : "no replication",
        received: formatGtidPos(isPrimary ? st.binlog : st.replication ? st.receivedIo : st.received),
        applied: formatGtidPos(isPrimary ? st.binlog : st.applied),
        ...(from ? { replicatesFrom: from } : {}),
        ...(!isPrimary && primary
          ? { lagTransactions: transactionsBehind(unionPos(st.applied, st.binlog), primary.binlog) }
          : {}),
        ...(st.replication ? { secondsBehind: st.replication.secondsBehind } : {}),
        ...(st.replication && (st.replication.lastIoError || st.replication.lastSqlError)
          ? { lastError: st.replication.lastIoError || st.replication.lastSqlError }
          : {}),
        semiSync: {
          enabled: st.semiSync.masterEnabled,
          active: st.semiSync.masterActive,
          clients: st.semiSync.clients,
          waiting: st.semiSync.waiting,
          fellBack: isPrimary && st.semiSync.masterEnabled && !st.semiSync.masterActive,
          unacknowledged: st.semiSync.unacknowledged,
        },
      };
    });
  }

  /** `vigil db explain GROUP`: who would be promoted now, why, and whether it would lose nothing. */
  async explain(group: string): Promise<(Explanation & { nodes: DbNodeRow[] }) | undefined> {
    const g = this.groups.find((x) => x.group === group);
    if (!g) return undefined;
    const [s, reports] = await Promise.all([this.status(), this.reports(g)]);
    const running = s.groups[group] === "running" ? s.name : s.peers.find((p) => p.running.includes(group))?.name;
    const names = this.topology.nodes.map((n) => n.name);
    const order = [...g.prefer.filter((n) => names.includes(n)), ...names.filter((n) => !g.prefer.includes(n))];
    const ineligible: Record<string, string> = {};
    for (const p of s.peers) {
      if (p.standby) ineligible[p.name] = "in standby";
      else if (!p.alive) ineligible[p.name] = "its vigil is not heard";
      else if ((p.failures[group] ?? 0) >= g.migrationThreshold)
        ineligible[p.name] =
          `${p.failures[group]} failures of ${group} (migration_threshold ${g.migrationThreshold}; vigil cleanup ${group})`;
    }
    if (s.standby) ineligible[s.name] = "in standby";
    else if ((s.failures[group] ?? 0) >= g.migrationThreshold)
      ineligible[s.name] =
        `${s.failures[group]} failures of ${group} (migration_threshold ${g.migrationThreshold}; vigil cleanup ${group})`;
    return {
      ...explainPromotion({ group, ...(running ? { primary: running } : {}), order, reports, ineligible }),
      nodes: this.rows(reports),
    };
  }

  /** An operator forces the promotion of `group` waiting on this node past replicas that cannot be
   * heard (undefined: no such database group). */
  force(group: string): { ok: boolean; message: string } | undefined {
    const g = this.groups.find((x) => x.group === group);
    if (!g) return undefined;
    const r = forcePromotion(forNode(g.config, this.topology.self).datadir, "the operator");
    const message = `${group} on ${this.topology.self}: ${r.message}`;
    this.log.warn({ group, forced: r.ok }, `database promotion forced by the operator: ${message}`);
    return { ok: r.ok, message };
  }

  private once(key: string, message: string, level: "info" | "warn" | "error" = "warn"): void {
    if (this.said.get(key) === message) return;
    this.said.set(key, message);
    this.log[level]({ db: true }, message);
  }

  private async tick(): Promise<void> {
    const s = await this.status();
    for (const g of this.groups)
      await this.keep(g, s).catch((err: Error) => this.once(g.group, `${g.group}: ${err.message}`));
    if (Date.now() - this.viewAt >= VIEW_EVERY_MS) {
      this.viewAt = Date.now();
      for (const g of this.groups) this.views.set(g.group, this.rows(await this.reports(g)));
    }
  }

  private async keep(g: DbGroup, s: ClusterStatus): Promise<void> {
    const self = this.topology.self;
    const mineHere = this.isUpHere(g.group) || (s.groups[g.group] ?? "stopped") !== "stopped";
    const spec = serverSpecOf(g.config, this.topology, g.tag);
    const local = { socket: g.config.socket, user: g.config.user, password: spec.password };
    if (mineHere) {
      if (runningPid(g.config.datadir) === undefined)
        return this.record(g.group, "stopped", undefined, "primary role starting or stopping");
      const st = await withSql(local, (sql) => readState(sql, 1000)).catch(() => undefined);
      return this.record(
        g.group,
        st && !st.readOnly ? "primary" : "unknown",
        st,
        st ? "runs the group" : "not answering",
      );
    }
    const primary = s.peers.find((p) => p.alive && p.running.includes(g.group))?.name;
    const primaryNode = this.topology.nodes.find((n) => n.name === primary);
    await withServerLock(g.config.datadir, async () => {
      if (this.isUpHere(g.group)) return;
      if (runningPid(g.config.datadir) === undefined) {
        await startServer(spec, opTimeouts(g.config).start);
        this.once(g.group, `${g.group}: mariadbd started as a replica (read-only, --init-rpl-role=SLAVE)`, "info");
      }
      let st = await withSql(local, (sql) => readState(sql, 1500));
      if (!st.readOnly) {
        // A writable server this node does not run the group for (left over by a restarted daemon).
        await killServer(g.config.datadir, 2000);
        return this.once(
          g.group,
          `${g.group}: mariadbd accepted writes without the group here; crash-stopped it to rejoin as a replica`,
          "error",
        );
      }
      if (!primaryNode || primary === self) return this.record(g.group, "replica", st, "no primary runs the group now");
      const r = st.replication;
      const pointed = r && r.masterHost === primaryNode.host;
      if (pointed && (r.ioRunning !== "No" || r.lastIoError === "")) {
        const primaryState = await this.primaryState(g, spec.password, primaryNode.name);
        return this.record(g.group, "replica", st, `replicates from ${primary}`, primary, primaryState);
      }
      if (pointed && r.lastIoError !== "") {
        return this.record(g.group, "diverged", st, `replication from ${primary} stopped: ${r.lastIoError}`, primary);
      }
      // (Re)point at the new primary, after checking this server holds nothing the primary lacks.
      const p = await peerReport(g.config, spec.password, primaryNode);
      if (!p.heard || !p.state)
        return this.record(g.group, "replica", st, `primary ${primary} not reachable: ${p.heard ? "" : p.why}`);
      const held = unionPos(st.binlog, st.applied);
      const order = compareGtid(held, p.state.binlog);
      if ((order.kind === "ahead" || order.kind === "divergent") && p.state.readOnly)
        // Still promoting (catching up from a replica that received more): what it lacks now it may apply
        // in a moment, so nothing is judged until it opens writes.
        return this.record(
          g.group,
          "replica",
          st,
          `primary ${primary} is still catching up (${order.reason}); waiting until it accepts writes`,
        );
      if (order.kind === "ahead" || order.kind === "divergent") {
        const why = `${self} holds transactions primary ${primary} lacks (${order.reason}); refusing to rejoin it — they were never acknowledged under strict semi-sync; inspect them, then re-seed this node (empty ${g.config.datadir})`;
        this.once(g.group, `${g.group}: ${why}`, "error");
        return this.record(g.group, "diverged", st, why, primary);
      }
      await withSql(local, (sql) =>
        pointAt(sql, { host: primaryNode.host, port: g.config.port, user: g.config.user, password: spec.password }),
      );
      pointedAt(g.config.datadir, primaryNode.name, unionPos(p.state.applied, p.state.receivedIo));
      this.once(g.group, `${g.group}: replicating from ${primary} (from ${formatGtidPos(held) || "empty"})`, "info");
      st = await withSql(local, (sql) => readState(sql, 1500));
      this.record(g.group, "replica", st, `replicates from ${primary}`, primary, p.state);
    });
  }

  private async primaryState(g: DbGroup, password: string, node: string): Promise<ServerState | undefined> {
    const n = this.topology.nodes.find((x) => x.name === node);
    if (!n) return undefined;
    const r = await peerReport(g.config, password, n);
    return r.heard ? r.state : undefined;
  }

  private record(
    group: string,
    role: DbNodeStatus["role"],
    st: ServerState | undefined,
    detail: string,
    primary?: string,
    primaryState?: ServerState,
  ): void {
    const isPrimary = role === "primary";
    if (st) {
      const received = formatGtidPos(st.received);
      if (this.reported.get(group) !== received) this.reportPosition(group, received);
      this.reported.set(group, received);
    }
    this.states.set(group, {
      node: this.topology.self,
      role,
      ...(primary ? { primary } : {}),
      received: st ? formatGtidPos(isPrimary ? st.binlog : st.replication ? st.receivedIo : st.received) : "",
      applied: st ? formatGtidPos(isPrimary ? st.binlog : st.applied) : "",
      ...(st && primaryState
        ? { lagTransactions: transactionsBehind(unionPos(st.applied, st.binlog), primaryState.binlog) }
        : {}),
      ...(st?.replication
        ? {
            secondsBehind: st.replication.secondsBehind,
            replicationIo: st.replication.ioRunning,
            replicationSql: st.replication.sqlRunning,
            lastError: st.replication.lastIoError || st.replication.lastSqlError || undefined,
          }
        : {}),
      semiSync: {
        enabled: st?.semiSync.masterEnabled ?? false,
        active: st?.semiSync.masterActive ?? false,
        clients: st?.semiSync.clients ?? 0,
        waiting: st?.semiSync.waiting ?? 0,
        fellBack: (st?.semiSync.masterEnabled ?? false) && !(st?.semiSync.masterActive ?? false),
        replicaActive: st?.semiSync.replicaActive ?? false,
      },
      detail,
      at: Date.now(),
    });
  }
}
