// Replication state and role changes of one MariaDB server, over a connection: reading positions
// (Gtid_IO_Pos received, gtid_slave_pos applied, gtid_binlog_pos written), pointing a replica at a
// primary with GTID, applying the relay log before writes open (MASTER_GTID_WAIT, replication threads
// left running until then: restarting them first would purge what was received), and demotion.
import { EMPTY_POS, formatGtidPos, parseGtidPos, type Gtid, type GtidPos } from "../../core/db/gtid.js";
import { quote, type Sql } from "./sql.js";

/** What a server says about its role and replication. */
export interface ServerState {
  serverId: number;
  readOnly: boolean;
  /** gtid_binlog_pos: what this server has in its binary log (its own writes and, as a replica, applied ones). */
  binlog: GtidPos;
  /** gtid_slave_pos: what its replication applied. */
  applied: GtidPos;
  /** Gtid_IO_Pos: what its replication received into the relay log (empty without replication). */
  receivedIo: GtidPos;
  /** Everything this server holds or received: per domain the highest of the three above. */
  received: GtidPos;
  replication?: {
    masterHost: string;
    masterPort: number;
    ioRunning: string;
    sqlRunning: string;
    lastIoError: string;
    lastSqlError: string;
    secondsBehind: number | null;
  };
  semiSync: {
    /** rpl_semi_sync_master_enabled */
    masterEnabled: boolean;
    /** Rpl_semi_sync_master_status: ON while commits wait for a replica; OFF after a fall-back. */
    masterActive: boolean;
    /** Rpl_semi_sync_master_clients: replicas acknowledging. */
    clients: number;
    /** Rpl_semi_sync_master_wait_sessions: commits waiting for an acknowledgement now. */
    waiting: number;
    /** Rpl_semi_sync_master_no_tx: commits that went without an acknowledgement (fell back). */
    unacknowledged: number;
    /** Rpl_semi_sync_slave_status */
    replicaActive: boolean;
  };
}

/** Per domain, the highest GTID of the positions (what a server holds in any form). */
export function unionPos(...positions: GtidPos[]): GtidPos {
  const out = new Map<number, Gtid>();
  for (const p of positions)
    for (const [d, g] of p) {
      const had = out.get(d);
      if (!had || had.seq < g.seq) out.set(d, g);
    }
  return out;
}

function pos(v: unknown): GtidPos {
  return parseGtidPos(String(v ?? "")) ?? EMPTY_POS;
}

/** Reads the server's state in a few statements. */
export async function readState(sql: Sql, timeoutMs?: number): Promise<ServerState> {
  const vars = (
    await sql.query(
      "SELECT @@server_id AS sid, @@read_only AS ro, @@gtid_binlog_pos AS b, @@gtid_slave_pos AS s, @@rpl_semi_sync_master_enabled AS sme",
      [],
      timeoutMs,
    )
  )[0];
  const status = new Map(
    (
      await sql.query(
        "SELECT VARIABLE_NAME AS n, VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME LIKE 'RPL_SEMI_SYNC_%'",
        [],
        timeoutMs,
      )
    ).map((r) => [String(r.n).toLowerCase(), String(r.v)]),
  );
  const slave = (await sql.query("SHOW SLAVE STATUS", [], timeoutMs))[0];
  const binlog = pos(vars?.b);
  const applied = pos(vars?.s);
  const receivedIo = slave ? pos(slave.Gtid_IO_Pos) : EMPTY_POS;
  const num = (k: string) => Number(status.get(k) ?? 0);
  return {
    serverId: Number(vars?.sid ?? 0),
    readOnly: Number(vars?.ro ?? 1) === 1,
    binlog,
    applied,
    receivedIo,
    received: unionPos(binlog, applied, receivedIo),
    ...(slave
      ? {
          replication: {
            masterHost: String(slave.Master_Host ?? ""),
            masterPort: Number(slave.Master_Port ?? 0),
            ioRunning: String(slave.Slave_IO_Running ?? "No"),
            sqlRunning: String(slave.Slave_SQL_Running ?? "No"),
            lastIoError: String(slave.Last_IO_Error ?? ""),
            lastSqlError: String(slave.Last_SQL_Error ?? ""),
            secondsBehind: slave.Seconds_Behind_Master === null ? null : Number(slave.Seconds_Behind_Master),
          },
        }
      : {}),
    semiSync: {
      masterEnabled: Number(vars?.sme ?? 0) === 1,
      masterActive: status.get("rpl_semi_sync_master_status") === "ON",
      clients: num("rpl_semi_sync_master_clients"),
      waiting: num("rpl_semi_sync_master_wait_sessions"),
      unacknowledged: num("rpl_semi_sync_master_no_tx"),
      replicaActive: status.get("rpl_semi_sync_slave_status") === "ON",
    },
  };
}

/** Where a replica fetches from, and as whom. */
export interface PrimaryEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Points this server's replication at `primary` with GTID (current_pos: a former primary continues from
 * its own binlog; under gtid_strict_mode a transaction the primary lacks stops the IO thread, never merged). */
export async function pointAt(sql: Sql, primary: PrimaryEndpoint): Promise<void> {
  await sql.query("STOP SLAVE", [], 10_000);
  await sql.query(
    `CHANGE MASTER TO MASTER_HOST=${quote(primary.host)}, MASTER_PORT=${primary.port}, MASTER_USER=${quote(primary.user)}, MASTER_PASSWORD=${quote(primary.password)}, MASTER_USE_GTID=current_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.5`,
  );
  await sql.query("START SLAVE");
}

/** Waits until this server applied `target` (MASTER_GTID_WAIT); false on timeout. Replication threads are
 * not restarted: the relay log holds what was received. */
export async function waitApplied(sql: Sql, target: GtidPos, timeoutMs: number): Promise<boolean> {
  const text = formatGtidPos(target);
  if (text === "") return true;
  const r = await sql.value("SELECT MASTER_GTID_WAIT(?, ?) AS w", [text, timeoutMs / 1000], timeoutMs + 2000);
  return Number(r) === 0;
}

/** Opens writes on a server that applied everything: replication removed, semi-sync primary on (unless
 * `off`), read_only off. */
export async function openWrites(sql: Sql, semiSync: "strict" | "on" | "off"): Promise<void> {
  await sql.query("STOP SLAVE", [], 10_000);
  await sql.query("RESET SLAVE ALL");
  await sql.query(`SET GLOBAL rpl_semi_sync_master_enabled=${semiSync === "off" ? "OFF" : "ON"}`);
  await sql.query("SET GLOBAL read_only=OFF");
}

/** Stops writes: read_only on within `ms` (it waits for commits in progress); false when it did not
 * finish in time (commits blocked waiting for a replica's acknowledgement). */
export async function closeWrites(sql: Sql, ms: number): Promise<boolean> {
  try {
    await sql.query("SET GLOBAL read_only=ON", [], ms);
    return true;
  } catch {
    return false;
  }
}

/** Kills every client connection except this one and replication's own threads; how many were killed. */
export async function killClients(sql: Sql): Promise<number> {
  const rows = await sql.query(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Binlog Dump', 'Slave_IO', 'Slave_SQL', 'Slave_worker', 'Daemon') AND USER NOT IN ('system user', 'event_scheduler')",
  );
  let n = 0;
  for (const r of rows) {
    await sql.query(`KILL CONNECTION ${Number(r.id)}`).then(
      () => n++,
      () => undefined,
    );
  }
  return n;
}
