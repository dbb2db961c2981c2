// Three MariaDB hosts run by vigil (`type: mariadb` + a VIP) and a client host, in network namespaces,
// with the field reports' insert test: writers insert unique rows through the VIP while a fault is
// injected, then every server is checked for every acknowledged row. Used by test/netns/db-failover
// and bench/db-failover; with other resources in front of the VIP (`opts.resources`) by the shared-disk
// form (test/netns/db-shared-disk).
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsCluster } from "./netns-cluster.js";
import { checkServers, runWriters, type CheckReport, type InsertTarget, type WriterReport } from "./insert-test.js";

export const DB_PORT = 3306;
export const DB_USER = "vigil";
export const DB_PASSWORD = "netns-db-password-0123";

export type { CheckReport, WriterReport };

/** The database status one node's API reports for the group. */
export interface DbStatus {
  role: string;
  primary?: string;
  received: string;
  applied: string;
  replicationIo?: string;
  lastError?: string;
  detail: string;
  semiSync: { clients: number; active: boolean };
}

/** A vigil cluster whose group `web` is a promotable MariaDB (or the resources given) followed by the VIP. */
export class DbCluster {
  readonly c: NetnsCluster;
  readonly dbDir: string;
  /** The current trial's run number (rows carry it). */
  run = 0;

  /** `opts.resources` replaces the promotable `mariadb` resource by these (YAML list items, one per line,
   * each "      - {...}"), still followed by the VIP; `opts.ownMounts`: a mount namespace per host (Lab). */
  constructor(
    tag: string,
    opts: {
      stop?: string;
      semiSync?: "strict" | "on" | "off";
      monitor?: string;
      heartbeat?: [string, string];
      resources?: string;
      ownMounts?: boolean;
    } = {},
  ) {
    this.dbDir = mkdtempSync(join(tmpdir(), "vigil-db-"));
    const pw = join(this.dbDir, "db.password");
    writeFileSync(pw, `${DB_PASSWORD}\n`, { mode: 0o600 });
    for (const h of ["h1", "h2", "h3"]) mkdirSync(join(this.dbDir, h), { recursive: true });
    const promotable = `      - { type: mariadb, datadir: "${this.dbDir}/{node}/data", port: ${DB_PORT}, socket: "${this.dbDir}/{node}/mysqld.sock", user: ${DB_USER}, password_file: ${pw}, semi_sync: ${opts.semiSync ?? "strict"}, monitor: { interval: ${opts.monitor ?? "500ms"}, timeout: 5s }, timeouts: { start: 60s, stop: ${opts.stop ?? "4s"}, promote: 60s } }`;
    const resources = (opts.resources ?? promotable).trim();
    this.c = new NetnsCluster(tag, "    failback: false\n    migration_threshold: 1\n", "", {
      ownMounts: opts.ownMounts,
      vipResource: `${resources.replace(/^- /, "")}\n      - { type: vip, address: VIP/24, interface: eth0 }`,
      // Slower timers than the default: on this shared 2-core machine, three mariadbd recovering at once
      // have starved a daemon's cluster thread past the 1s fail-stop bound of a 150ms lease.
      clusterYaml: `  heartbeat: { interval: ${opts.heartbeat?.[0] ?? "100ms"}, lease: ${opts.heartbeat?.[1] ?? "600ms"} }\n`,
    });
  }

  private stopping = false;
  /** How often a vigil was restarted after it exited (as systemd's Restart=on-failure does after 2s). */
  restarts: string[] = [];

  /** Starts every host, restarting a vigil that exits (the unit's Restart=on-failure, RestartSec=2s): on
   * this shared machine a starved daemon fails stop now and then, which is what it must do. */
  async start(): Promise<void> {
    await this.c.start();
    for (const h of this.c.hosts) this.keepRunning(h);
  }

  /** Hosts whose vigil a test killed on purpose: not restarted. */
  private killed = new Set<string>();

  /** SIGKILLs a host's vigil (a fault: its guard is left to stop the resources); it is not restarted. */
  async killVigil(host: string): Promise<void> {
    this.killed.add(host);
    await this.c.signalVigil(host, "SIGKILL");
  }

  private keepRunning(host: string): void {
    void this.c.exited(host).then(async (code) => {
      if (this.stopping || this.killed.has(host)) return;
      this.restarts.push(`${host} (exit ${code})`);
      await new Promise((r) => setTimeout(r, 2000));
      if (this.stopping) return;
      this.c.startVigil(host);
      this.keepRunning(host);
    });
  }

  addr(host: string): string {
    return this.c.lab.addr(11 + this.c.hosts.indexOf(host));
  }

  /** A host's database status from its API (undefined when it does not answer). */
  db(host: string): DbStatus | undefined {
    return (this.c.status(host) as unknown as { databases?: Record<string, DbStatus> } | undefined)?.databases?.web;
  }

  /** Waits until `check` holds, polling; throws with `what` and the cluster's log tail. */
  async until(what: string, check: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (check()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    const dbs = this.c.hosts.map((h) => `${h}: ${JSON.stringify(this.db(h) ?? "no answer")}`).join("\n");
    throw new Error(`${what} not within ${ms}ms\n${dbs}\n${this.c.tail(20)}`);
  }

  /** Waits until `want` (or any one host) holds the VIP and the group, and every other host replicates from
   * it; returns the primary. */
  async settled(want?: string, ms = 60_000): Promise<string> {
    let primary = await this.c.waitForOwner(want, ms);
    await this.until(
      `replicas of the primary running`,
      () => {
        // Without `want`, whichever host holds the VIP now (a failed first start may move the group).
        if (want === undefined) primary = this.owner() ?? primary;
        return this.c.hosts
          .filter((h) => h !== primary)
          .every((h) => {
            const d = this.db(h);
            return d?.role === "replica" && d.primary === primary && d.replicationIo === "Yes";
          });
      },
      ms,
    );
    return primary;
  }

  /** Runs SQL through the VIP from the client (setup). */
  sqlViaVip(statements: string[]): void {
    const code = `import("mariadb").then(async (m) => { const c = await m.default.createConnection({ host: ${JSON.stringify(this.c.vip)}, port: ${DB_PORT}, user: ${JSON.stringify(DB_USER)}, password: ${JSON.stringify(DB_PASSWORD)} }); for (const s of ${JSON.stringify(statements)}) await c.query(s); c.destroy(); console.log("ok"); }).catch((e) => { console.log("error " + e.message); process.exit(1); })`;
    const r = this.c.lab.exec("client", process.execPath, "--input-type=module", "-e", code);
    if (!r.out.includes("ok")) throw new Error(`SQL through the VIP failed: ${r.out}`);
  }

  /** Creates the test table (through the VIP, so it replicates). */
  createTable(): void {
    this.sqlViaVip([
      "CREATE DATABASE IF NOT EXISTS vigiltest",
      "CREATE TABLE IF NOT EXISTS vigiltest.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, run INT NOT NULL, writer INT NOT NULL, n INT NOT NULL) ENGINE=InnoDB",
    ]);
  }

  /** Runs `writers` writers for `ms` as a new run, calling `fault` `after` ms into it. With `settleMs`
   * they end earlier: that long after writes resumed following a gap of over 1s past `after` (a takeover). */
  async write(
    writers: number,
    ms: number,
    after: number,
    fault: () => void | Promise<void>,
    settleMs?: number,
  ): Promise<WriterReport> {
    this.run++;
    return runWriters(this.target(), this.c.vip, this.run, writers, ms, after, fault, settleMs);
  }

  /** Checks every server (or those of `hosts`) for the acknowledged rows of the last run, after they
   * converged (up to `waitMs`). */
  async check(acked: [number, number][], waitMs = 60_000, hosts = this.c.hosts): Promise<CheckReport> {
    return checkServers(
      this.target(),
      this.run,
      acked,
      waitMs,
      hosts.map((h) => this.addr(h)),
    );
  }

  private target(): InsertTarget {
    return { lab: this.c.lab, port: DB_PORT, user: DB_USER, password: DB_PASSWORD };
  }

  /** POSTs an operator command to a host's API from the client; returns "STATUS BODY" (30s limit). */
  post(host: string, path: string): string {
    const url = `http://${this.addr(host)}:7480${path}`;
    const code = `fetch(${JSON.stringify(url)}, { method: "POST", headers: { authorization: "Bearer netns-test-token" }, signal: AbortSignal.timeout(30000) }).then(async (r) => console.log(r.status + " " + (await r.text())), (e) => console.log("0 " + e.message))`;
    return this.c.lab.exec("client", process.execPath, "-e", code).out.trim();
  }

  /** Which host runs the group (holds the VIP). */
  owner(): string | undefined {
    const h = this.c.vipHolders();
    return h.length === 1 ? h[0] : undefined;
  }

  /** A second failure during a rejoin: SIGKILLs `from`'s mariadbd, waits until another host holds the VIP
   * (its promotion done), then SIGKILLs that host's mariadbd at once, while `from` restarts its server
   * and rejoins. Returns a line saying what was done and where `from` stood at the second kill. */
  async crashDuringRejoin(from: string): Promise<string> {
    if (!this.killMariadb(from)) throw new Error(`could not SIGKILL ${from}'s mariadbd`);
    const deadline = Date.now() + 30_000;
    let next: string | undefined;
    while (Date.now() < deadline && !next) {
      const o = this.owner();
      if (o && o !== from) next = o;
      else await new Promise((r) => setTimeout(r, 10));
    }
    if (!next) throw new Error(`no other host took the VIP within 30s of killing ${from}'s mariadbd`);
    if (!this.killMariadb(next)) throw new Error(`could not SIGKILL ${next}'s mariadbd`);
    const old = this.db(from);
    return `rejoin-crash: ${from}'s mariadbd killed, then ${next}'s once it held the VIP (${from}: ${old?.role ?? "no answer"})`;
  }

  /** SIGKILLs the host's mariadbd (by the pid file in its datadir). */
  killMariadb(host: string): boolean {
    const r = this.c.lab.exec(host, "sh", "-c", `kill -9 $(cat ${this.dbDir}/${host}/data/vigil-mariadbd.pid)`);
    return r.code === 0;
  }

  async destroy(): Promise<void> {
    this.stopping = true;
    await this.c.destroy();
    rmSync(this.dbDir, { recursive: true, force: true });
  }
}
