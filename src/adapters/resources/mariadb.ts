// `mariadb` resources: the primary role of a promotable MariaDB. start = make sure this node's mariadbd
// runs, then promote it only when its received GTID position holds every other replica's (catching up
// from a fuller replica first, waiting while a replica that may hold the newest commit is unheard,
// refusing divergence), apply the relay log, open writes. stop = demotion: read_only, client connections
// killed, mariadbd stopped (SIGKILLed when commits wait for an acknowledgement that will not come, so
// their unacknowledged tail is truncated when it rejoins as a replica). The replica role on the other
// nodes is kept by the daemon's replica keeper (src/daemon/db-replicas.ts).
import type { MariadbConfig } from "../../core/config/schema.js";
import { opTimeouts, promoteTimeout } from "../../core/config/stop-budget.js";
import { formatGtidPos, type GtidPos } from "../../core/db/gtid.js";
import { decidePromotion, type ReplicaReport } from "../../core/db/promotion.js";
import { readDbPassword } from "../mariadb/password.js";
import { killServer, runningPid, shutdownServer, startServer, type ServerSpec } from "../mariadb/server-process.js";
import {
  closeWrites,
  killClients,
  openWrites,
  pointAt,
  readState,
  unionPos,
  waitApplied,
  type ServerState,
} from "../mariadb/replication.js";
import { promotionEnded, promotionForced, promotionWaits } from "../mariadb/promotion-gate.js";
import { withServerLock } from "../mariadb/server-lock.js";
import { owedTo } from "../mariadb/source-owed.js";
import { connect, withSql, type SqlTarget } from "../mariadb/sql.js";
import { dbTopology, forNode, nodeOfTag, type DbNode, type DbTopology } from "../mariadb/topology.js";
import { killTagged } from "./kill-tagged.js";
import type { MonitorResult, OpResult, ResourceAgent } from "./resource-agent.js";

/** How long a peer's server may take to answer a position read during promotion, ms. */
const PEER_MS = 800;
/** Default deadline of one monitor (connect, then each statement), ms. */
const MONITOR_MS = 5_000;
/** Pause between promotion rounds while waiting, ms. */
const RETRY_MS = 200;

/** The server spec of this node for `config` (throws when the topology does not name this node). */
export function serverSpecOf(config: MariadbConfig, topology: DbTopology, tag: string): ServerSpec {
  const me = topology.nodes.find((n) => n.name === topology.self);
  if (!me) throw new Error(`node ${topology.self} runs no database (a witness)`);
  const own = forNode(config, topology.self);
  return { config: own, serverId: me.serverId, host: me.host, password: readDbPassword(own.password_file), tag };
}

/** Reads a peer's state, or why it could not be heard. */
export async function peerReport(
  config: MariadbConfig,
  password: string,
  n: DbNode,
): Promise<ReplicaReport & { state?: ServerState }> {
  try {
    const state = await withSql(
      { host: n.host, port: config.port, user: config.user, password },
      (sql) => readState(sql, PEER_MS),
      PEER_MS,
    );
    return {
      node: n.name,
      heard: true,
      received: state.received,
      primary: !state.readOnly,
      replicated: unionPos(state.applied, state.receivedIo),
      state,
    };
  } catch (err) {
    return {
      node: n.name,
      heard: false,
      why: (err as Error).message.replace(/^cannot connect to MariaDB at \S+: /, ""),
    };
  }
}

/** Drives the primary role of one `mariadb` resource on this node. */
export class MariadbAgent implements ResourceAgent {
  readonly description: string;

  private config: MariadbConfig;

  constructor(
    config: MariadbConfig,
    private tag: string,
  ) {
    this.config = forNode(config, nodeOfTag(tag));
    this.description = `mariadb ${this.config.datadir}`;
  }

  private local(password: string): SqlTarget {
    return { socket: this.config.socket, user: this.config.user, password };
  }

  async start(): Promise<OpResult> {
    const topology = dbTopology();
    if (!topology) return { ok: false, detail: `${this.description} start: no cluster topology (internal error)` };
    try {
      const spec = serverSpecOf(this.config, topology, this.tag);
      const t = opTimeouts(this.config);
      return await withServerLock(this.config.datadir, async () => {
        await startServer(spec, t.start);
        try {
          const reason = await this.promote(spec, topology, promoteTimeout(this.config));
          return { ok: true, detail: `${this.description} promoted: ${reason}` };
        } finally {
          promotionEnded(this.config.datadir);
        }
      });
    } catch (err) {
      return { ok: false, detail: `${this.description} start: ${(err as Error).message}` };
    }
  }

  /** Promotion rounds until the decision is "promote" (done), "refuse" or the time is out (thrown). */
  private async promote(spec: ServerSpec, topology: DbTopology, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const others = topology.nodes.filter((n) => n.name !== topology.self);
    let lastWait = "";
    for (;;) {
      let sql: Awaited<ReturnType<typeof connect>>;
      try {
        sql = await connect(this.local(spec.password));
      } catch (err) {
        // The local server is slow to answer (recovery, a loaded host): another round, within the limit.
        if (Date.now() + RETRY_MS > deadline) throw err;
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      try {
        const mine = await readState(sql);
        if (!mine.readOnly && !mine.replication) {
          await openWrites(sql, this.config.semi_sync);
          return `already the primary (${formatGtidPos(mine.binlog) || "empty"})`;
        }
        if (mine.replication?.lastSqlError)
          throw new Error(`its replication stopped applying (${mine.replication.lastSqlError}); it cannot be promoted`);
        const oldPrimary = others.find((n) => n.host === mine.replication?.masterHost)?.name;
        const reports = await Promise.all(others.map((n) => peerReport(this.config, spec.password, n)));
        const stillOpen = reports.find((r) => r.heard && r.primary);
        const decision = stillOpen
          ? {
              kind: "wait" as const,
              reason: `${stillOpen.node} still accepts writes (read_only is off); waiting for its demotion`,
            }
          : decidePromotion({
              candidate: topology.self,
              candidateReceived: mine.received,
              others: reports,
              oldPrimary,
              oldPrimaryOwed: oldPrimary === undefined ? undefined : owedTo(this.config.datadir, oldPrimary),
              force: promotionForced(this.config.datadir),
            });
        if (decision.kind === "refuse") throw new Error(decision.reason);
        if (decision.kind === "wait") {
          promotionWaits(this.config.datadir, decision.reason, !stillOpen);
          if (decision.reason !== lastWait) topology.log(`${this.description}: ${decision.reason}`);
          lastWait = decision.reason;
          if (Date.now() + RETRY_MS > deadline)
            throw new Error(`not promoted within ${timeoutMs}ms: ${decision.reason}`);
          await new Promise((r) => setTimeout(r, RETRY_MS));
          continue;
        }
        // Apply what this node received before anything restarts its replication threads.
        if (mine.replication && !(await waitApplied(sql, mine.receivedIo, Math.max(100, deadline - Date.now()))))
          throw new Error(`its relay log (${formatGtidPos(mine.receivedIo)}) was not applied within ${timeoutMs}ms`);
        if (decision.kind === "catch-up") {
          topology.log(`${this.description}: ${decision.reason}`);
          await this.catchUp(
            sql,
            spec,
            others.find((n) => n.name === decision.from) as DbNode,
            decision.target,
            deadline,
          );
          continue;
        }
        await openWrites(sql, this.config.semi_sync);
        return decision.reason;
      } finally {
        await sql.close();
      }
    }
  }

  /** Fetches what `from` holds beyond this node: `from` applies its own relay log (so its binlog has it),
   * this node replicates from it until it applied `target`. */
  private async catchUp(
    sql: Awaited<ReturnType<typeof connect>>,
    spec: ServerSpec,
    from: DbNode,
    target: GtidPos,
    deadline: number,
  ): Promise<void> {
    const left = () => Math.max(100, deadline - Date.now());
    await withSql(
      { host: from.host, port: this.config.port, user: this.config.user, password: spec.password },
      async (peer) => {
        const st = await readState(peer);
        if (st.replication && !(await waitApplied(peer, st.receivedIo, left())))
          throw new Error(`${from.name} did not apply its relay log in time`);
      },
    );
    await pointAt(sql, { host: from.host, port: this.config.port, user: this.config.user, password: spec.password });
    if (!(await waitApplied(sql, target, left())))
      throw new Error(`catching up from ${from.name} did not finish in time`);
    await sql.query("STOP SLAVE", [], 10_000);
  }

  async stop(): Promise<OpResult> {
    const stopMs = opTimeouts(this.config).stop;
    return withServerLock(this.config.datadir, async () => {
      if (runningPid(this.config.datadir) === undefined)
        return { ok: true, detail: `${this.description} stop: not running` };
      let how: string;
      try {
        const password = readDbPassword(this.config.password_file);
        how = await withSql(this.local(password), async (sql) => {
          const st = await readState(sql, 1000);
          if (st.semiSync.waiting > 0)
            return `crash-stop: ${st.semiSync.waiting} commit(s) wait for a replica's acknowledgement`;
          if (!(await closeWrites(sql, Math.min(2000, stopMs / 4))))
            return "crash-stop: read_only did not take effect (commits blocked)";
          const killed = await killClients(sql);
          return `read_only on, ${killed} client connection(s) killed`;
        });
      } catch (err) {
        how = `crash-stop: ${(err as Error).message}`;
      }
      if (how.startsWith("crash-stop")) {
        const ok = await killServer(this.config.datadir, 2000);
        return {
          ok,
          detail: `${this.description} demoted by SIGKILL (${how}; the unacknowledged tail is truncated when it rejoins)`,
        };
      }
      const ok = await shutdownServer(this.config.datadir, Math.max(1000, stopMs - 3000));
      return {
        ok,
        detail: `${this.description} demoted: ${how}, ${ok ? "mariadbd stopped" : "mariadbd did not stop in time"}`,
      };
    });
  }

  async monitor(): Promise<MonitorResult> {
    if (runningPid(this.config.datadir) === undefined)
      return { state: "stopped", detail: `${this.description}: mariadbd is not running` };
    try {
      const password = readDbPassword(this.config.password_file);
      const ms = this.config.monitor?.timeout ?? MONITOR_MS;
      const st = await withSql(this.local(password), (sql) => readState(sql, ms), ms);
      if (st.readOnly) return { state: "failed", detail: `${this.description}: read_only is on, not a primary` };
      const fellBack = this.config.semi_sync !== "off" && st.semiSync.masterEnabled && !st.semiSync.masterActive;
      return {
        state: "running",
        detail: `${this.description}: primary${fellBack ? " (semi-sync fell back to async)" : ""}`,
      };
    } catch (err) {
      return { state: "failed", detail: `${this.description}: ${(err as Error).message}` };
    }
  }

  async kill(): Promise<OpResult> {
    const gone = await killServer(this.config.datadir, 1000);
    const k = await killTagged(this.tag, 1000);
    const ok = gone && k.ok && runningPid(this.config.datadir) === undefined;
    return { ok, detail: `SIGKILL of mariadbd (${gone ? "gone" : "still there"}); ${k.detail}` };
  }
}
