// `vigil demo --db`: the database part of the demo. Three nodes on loopback addresses 127.0.0.11-13
// each run a `mariadbd` (type mariadb, `bind: node`) as the invoking user; group "db" promotes the one
// on its node; virtual server "sql" (served by the owner of "db") sends clients to the server that
// accepts writes. A writer inserts unique rows through "sql" as fast as commits return and keeps every
// acknowledged id, so that the end of the demo can count them on the primary: none may be missing.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runningPid } from "../adapters/mariadb/server-process.js";
import { connect, type Sql } from "../adapters/mariadb/sql.js";
import { demoHead, type DemoPorts, type DemoTimers } from "./demo-config.js";

/** The database account of the demo (vigil's replication and monitoring account, also the writer's). */
const USER = "vigil";

/** Loopback address of demo node i (0-based): each mariadbd listens on its own. */
export const dbHost = (i: number) => `127.0.0.${11 + i}`;

/** The port every demo mariadbd listens on (each on its own address). */
export const dbPort = (p: DemoPorts) => p.app + 20;

/** The port of virtual server "sql". */
export const sqlPort = (p: DemoPorts) => p.site + 1;

/** The datadir of a node's server. */
export const dbDatadir = (dir: string, node: string) => join(dir, `db-${node}`);

/** Writes the password file the servers and the virtual server's check share. */
export function writeDbFiles(dir: string, password: string): void {
  writeFileSync(join(dir, "db.password"), `${password}\n`, { mode: 0o600 });
}

/** The YAML of the database demo. */
export function demoDbConfig(dir: string, p: DemoPorts, timers: DemoTimers): string {
  const servers = [0, 1, 2].map((i) => `      - { address: "${dbHost(i)}:${dbPort(p)}" }`).join("\n");
  const title = "vigil demo --db: three nodes on loopback, a promotable MariaDB (made by `vigil demo --db`)";
  return `${demoHead(title, "demo-db", dir, p, timers, dbHost)}groups:
  - name: db
    prefer: [n1]
    failback: false
    migration_threshold: 1              # a crashed primary is replaced by a promoted replica, not restarted
    resources:
      - type: mariadb
        datadir: ${dir}/db-{node}
        port: ${dbPort(p)}
        bind: node                      # each node's server on its own loopback address
        socket: ${dir}/db-{node}.sock
        user: ${USER}
        password_file: ${dir}/db.password
        semi_sync: strict
        monitor: { interval: 250ms, timeout: 2s }
        timeouts: { start: 60s, stop: 5s, promote: 20s }   # a 5s stop keeps the stop budget near 8s
virtual_servers:
  - name: sql
    listen: 127.0.0.1:${sqlPort(p)}
    group: db
    scheduler: rr
    real_servers:
${servers}
    check: { type: mariadb, user: ${USER}, password_file: ${dir}/db.password, role: primary, interval: 400ms, timeout: 350ms, rise: 1, fall: 1 }
`;
}

/** What the writer has seen so far. */
export interface WriterCounts {
  acked: number;
  /** Commits whose outcome is unknown (the connection broke before the answer). */
  unknown: number;
  /** Longest time without an acknowledgement since the first one, ms. */
  longestGapMs: number;
  /** The error of the last failed attempt, while the writer cannot write. */
  failing?: string;
}

/** Inserts unique rows through the virtual server, one at a time, reconnecting after any error. */
export class DemoWriter {
  private acked = new Set<number>();
  private unknown = new Set<number>();
  private next = 1;
  private lastAck = 0;
  private longestGapMs = 0;
  private failing: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private port: number,
    private password: string,
  ) {}

  counts(): WriterCounts {
    return {
      acked: this.acked.size,
      unknown: this.unknown.size,
      longestGapMs: this.longestGapMs,
      ...(this.failing ? { failing: this.failing } : {}),
    };
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private target() {
    return { host: "127.0.0.1", port: this.port, user: USER, password: this.password };
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sql: Sql | undefined;
      try {
        sql = await connect(this.target(), 1000);
        await sql.query("CREATE DATABASE IF NOT EXISTS demo");
        await sql.query("CREATE TABLE IF NOT EXISTS demo.t (id INT PRIMARY KEY, at TIMESTAMP(3) NOT NULL)");
        this.failing = undefined;
        while (this.running) {
          const id = this.next++;
          try {
            await sql.query("INSERT INTO demo.t VALUES (?, NOW(3))", [id], 3000);
          } catch (e) {
            this.unknown.add(id);
            throw e;
          }
          const now = Date.now();
          if (this.lastAck) this.longestGapMs = Math.max(this.longestGapMs, now - this.lastAck);
          this.lastAck = now;
          this.acked.add(id);
        }
      } catch (e) {
        this.failing = (e as Error).message.split("\n")[0]?.slice(0, 100);
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await sql?.close();
      }
    }
  }

  /** Counts the acknowledged ids present on the server behind the virtual server (the primary). */
  async audit(): Promise<string> {
    let sql: Sql | undefined;
    try {
      sql = await connect(this.target(), 2000);
      const rows = await sql.query("SELECT id FROM demo.t", [], 10_000);
      const present = new Set(rows.map((r) => Number(r.id)));
      const missing = [...this.acked].filter((id) => !present.has(id)).length;
      const unknownIn = [...this.unknown].filter((id) => present.has(id)).length;
      const verdict = missing === 0 ? "equal: no acknowledged row lost" : `${missing} ACKNOWLEDGED ROWS LOST`;
      return `writer: ${this.acked.size} rows acknowledged, ${this.acked.size - missing} of them present on the primary (${verdict}); ${rows.length} rows in all, ${unknownIn} of ${this.unknown.size} unknown commits made it; longest gap ${this.longestGapMs}ms`;
    } catch (e) {
      return `writer: ${this.acked.size} rows acknowledged; the primary could not be read to count them: ${(e as Error).message}`;
    } finally {
      await sql?.close();
    }
  }
}

/** The pid of a node's running mariadbd, if any. */
export const dbPid = (dir: string, node: string) => runningPid(dbDatadir(dir, node));

/** Stops the replicas vigil leaves running when it exits (a stopped node's replica keeps its data
 * current): SIGTERM, then SIGKILL after 10s. */
export async function stopReplicas(dir: string): Promise<void> {
  const pids = ["n1", "n2", "n3"].flatMap((n) => dbPid(dir, n) ?? []);
  const signal = (pid: number, sig: NodeJS.Signals | 0) => {
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of pids) signal(pid, "SIGTERM");
  const end = Date.now() + 10_000;
  while (pids.some((p) => signal(p, 0)) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) signal(pid, "SIGKILL");
}
