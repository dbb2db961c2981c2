// The field reports' own database failover, in network namespaces: a MariaDB primary (h1) and replica
// (h2) — the field's pair — with GTID replication and MariaDB's default semi-sync, keepalived on both
// moving a VIP (state BACKUP + nopreempt, a check of mariadbd, a notify script that promotes the replica),
// and a client host. The field has no automatic rejoin, so reset() rebuilds the pair from a template
// datadir before every trial. Used by bench/db-failover.ts. destroy() removes everything, also after a
// failure; every setup step that does not happen throws.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsCluster } from "./netns-cluster.js";
import type { InsertTarget } from "./insert-test.js";
import { hostFiles, keepalivedExtra, writeMyCnf, writeNotifyScript, type HostFiles } from "./keepalived-db-config.js";

const PORT = 3306;
const APP_USER = "app";
const APP_PASSWORD = "field-app-password-0123";
const REPL_PASSWORD = "field-repl-password-0123";
/** keepalived's advertisement interval (s): the field's 1s. */
export const ADVERT_INT = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Installs Debian's keepalived when it is missing (root; apt-get update once if the install fails). */
export function ensureKeepalived(): void {
  if (spawnSync("sh", ["-c", "command -v keepalived"]).status === 0) return;
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "keepalived"], {
      encoding: "utf8",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  console.log("installing keepalived (apt-get)");
  let r = install();
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-qq"]);
    r = install();
  }
  if (r.status !== 0) throw new Error(`keepalived is missing and apt-get install failed: ${r.stderr.slice(-400)}`);
}

/** The keepalived + semi-sync pair and its client. */
export class KeepalivedDb {
  readonly c: NetnsCluster;
  readonly base: string;
  /** Primary first: h1 (keepalived priority 200), then the replica h2 (150). */
  readonly hosts = ["h1", "h2"];
  /** The current trial's run number (rows carry it). */
  run = 0;
  private readonly files = new Map<string, HostFiles>();
  private readonly servers = new Map<string, ChildProcess>();
  private readonly template: string;

  constructor(tag: string) {
    this.c = new NetnsCluster(tag, undefined, undefined, { hosts: 2 });
    this.base = mkdtempSync(join(tmpdir(), "vigil-kadb-"));
    this.template = join(this.base, "template");
    this.hosts.forEach((h, i) => {
      const f = hostFiles(this.base, h);
      mkdirSync(join(f.dir, "tmp"), { recursive: true });
      writeMyCnf(f, i + 1, i > 0, PORT);
      this.files.set(h, f);
    });
  }

  /** The writers' account and port (for runWriters / checkServers). */
  target(): InsertTarget {
    return { lab: this.c.lab, port: PORT, user: APP_USER, password: APP_PASSWORD };
  }

  addr(host: string): string {
    return this.c.lab.addr(11 + this.hosts.indexOf(host));
  }

  /** Makes the template datadir once: system tables, the application's and the replication account, the
   * test table; no binary log, so both servers start from the same empty GTID position. */
  async prepare(): Promise<void> {
    ensureKeepalived();
    const t = this.template;
    const r = spawnSync(
      "mariadb-install-db",
      ["--no-defaults", `--datadir=${t}`, "--user=root", "--auth-root-authentication-method=socket", "--skip-test-db"],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`mariadb-install-db failed: ${`${r.stdout}${r.stderr}`.slice(-400)}`);
    const sock = join(this.base, "template.sock");
    const server = spawn(
      "mariadbd",
      [
        "--no-defaults",
        "--user=root",
        `--datadir=${t}`,
        `--socket=${sock}`,
        "--skip-networking",
        `--pid-file=${join(this.base, "template.pid")}`,
        `--log-error=${join(this.base, "template.err")}`,
        `--tmpdir=${join(this.base, "h1", "tmp")}`,
        "--innodb-buffer-pool-size=16M",
        "--innodb-log-file-size=16M",
      ],
      { stdio: "ignore" },
    );
    const gone = new Promise((res) => server.once("exit", res));
    try {
      await this.until("the template server answers", () => ping(sock), 60_000);
      mysql(sock, [
        `CREATE USER '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}'`,
        `GRANT ALL ON vigiltest.* TO '${APP_USER}'@'%'`,
        `CREATE USER 'repl'@'%' IDENTIFIED BY '${REPL_PASSWORD}'`,
        "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'",
        "CREATE DATABASE vigiltest",
        "CREATE TABLE vigiltest.warmup (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB",
        "CREATE TABLE vigiltest.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, run INT NOT NULL, writer INT NOT NULL, n INT NOT NULL) ENGINE=InnoDB",
      ]);
      server.kill("SIGTERM");
      await Promise.race([gone, sleep(60_000)]);
      if (server.exitCode === null) throw new Error("the template server did not shut down within 60s");
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
    }
  }

  /** Puts the pair back to a healthy primary (h1, holding the VIP) and replica (h2, replicating with
   * semi-sync active) on fresh copies of the template, as an operator re-seeding after a failover would. */
  async reset(): Promise<void> {
    for (const h of this.hosts) {
      this.signalAll(h, "SIGCONT");
      this.c.lab.link(h, true);
      this.c.lab.unblock(h);
    }
    for (const h of this.hosts) this.signalAll(h, "SIGKILL");
    await this.until("the database hosts' processes gone", () => this.hosts.every((h) => !this.pids(h).length), 20_000);
    for (const h of this.hosts) {
      this.c.lab.exec(h, "ip", "addr", "del", `${this.c.vip}/24`, "dev", "eth0");
      const f = this.file(h);
      rmSync(f.datadir, { recursive: true, force: true });
      rmSync(f.socket, { force: true });
      cpSync(this.template, f.datadir, { recursive: true });
      writeFileSync(f.notifyLog, "");
    }
    this.c.lab.exec("client", "ip", "neigh", "flush", "dev", "eth0");
    this.run++;
    for (const h of this.hosts) this.startServer(h);
    for (const h of this.hosts) await this.until(`mariadbd on ${h} answers`, () => this.alive(h), 60_000);
    const [primary, replica] = this.hosts as [string, string];
    this.sql(replica, [
      `CHANGE MASTER TO master_host='${this.addr(primary)}', master_port=${PORT}, master_user='repl', master_password='${REPL_PASSWORD}', master_use_gtid=slave_pos`,
      "START SLAVE",
    ]);
    await this.until(
      `${primary} has its semi-sync replica`,
      () => {
        const s = this.status(primary, ["Rpl_semi_sync_master_status", "Rpl_semi_sync_master_clients"]);
        return s.Rpl_semi_sync_master_status === "ON" && s.Rpl_semi_sync_master_clients === "1";
      },
      30_000,
    );
    // A replica that has run for a while: its applier's first commit waited out the semi-sync timeout (the
    // replica's own master side is on, has no replica, and waits with wait_no_slave=ON: 10s), after which
    // its master side is off and it applies at once. A fresh one would still be stuck in that wait.
    this.sql(primary, ["INSERT INTO vigiltest.warmup VALUES ()"]);
    const pos = this.sql(primary, ["SELECT @@gtid_binlog_pos"]).trim();
    await this.until(
      `${replica} applied the warm-up row (${pos})`,
      () => this.sql(replica, ["SELECT @@gtid_slave_pos"]).trim() === pos,
      60_000,
    );
    this.startKeepalived(primary);
    await this.c.waitForOwner(primary, 30_000);
    await this.until(`${primary} promoted by its notify script`, () => this.notified(primary, "master done"), 30_000);
    this.startKeepalived(replica);
    await this.until(`${replica} in BACKUP`, () => this.notified(replica, "backup done"), 30_000);
    if (this.c.vipHolders().join() !== primary)
      throw new Error(`VIP holders after reset: ${this.c.vipHolders().join()}`);
  }

  /** The semi-sync settings the primary runs with (MariaDB's defaults, reported by the bench). */
  semiSyncSettings(): string {
    return this.sql(this.hosts[0] as string, [
      "SELECT CONCAT('timeout ', @@rpl_semi_sync_master_timeout, 'ms, wait point ', @@rpl_semi_sync_master_wait_point, ', wait_no_slave ', @@rpl_semi_sync_master_wait_no_slave)",
    ]).trim();
  }

  /** Starts the host's mariadbd on its datadir (not waiting for it): also the restart after a crash. */
  startServer(host: string): void {
    const child = this.c.lab.start(host, "mariadbd", [`--defaults-file=${this.file(host).cnf}`]);
    this.servers.set(host, child);
  }

  private startKeepalived(host: string): void {
    const f = this.file(host);
    this.c.startKeepalived(host, ADVERT_INT, keepalivedExtra(f, writeNotifyScript(f)));
  }

  /** SIGKILLs the host's mariadbd (the crash fault); true when there was one. */
  killServer(host: string): boolean {
    const pid = this.servers.get(host)?.pid;
    if (pid === undefined || this.servers.get(host)?.exitCode !== null) return false;
    try {
      process.kill(pid, "SIGKILL");
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the host's notify script logged `what` (e.g. "master done") since the last reset. */
  notified(host: string, what: string): boolean {
    return (
      existsSync(this.file(host).notifyLog) && readFileSync(this.file(host).notifyLog, "utf8").includes(` ${what}`)
    );
  }

  /** The notify calls of the host since the last reset, one per line. */
  notifyLog(host: string): string {
    return readFileSync(this.file(host).notifyLog, "utf8").trim();
  }

  /** Which host the client reaches through the VIP (by server_id), waiting up to `ms`; undefined if none. */
  async reachedViaVip(ms: number): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const r = this.c.lab.exec(
        "client",
        "mariadb",
        "--no-defaults",
        `--host=${this.c.vip}`,
        `--port=${PORT}`,
        `--user=${APP_USER}`,
        `--password=${APP_PASSWORD}`,
        "--connect-timeout=2",
        "-N",
        "-B",
        "-e",
        "SELECT @@server_id",
      );
      const id = Number(r.out.trim());
      if (r.code === 0 && id >= 1 && id <= this.hosts.length) return this.hosts[id - 1];
      await sleep(500);
    }
    return undefined;
  }

  /** Sends a signal to every process of the host's namespace (the freeze fault: SIGSTOP, then SIGCONT). */
  signalAll(host: string, signal: NodeJS.Signals): void {
    for (const pid of this.pids(host))
      try {
        process.kill(pid, signal);
      } catch {
        /* gone */
      }
  }

  private pids(host: string): number[] {
    return spawnSync("ip", ["netns", "pids", this.c.lab.ns(host)], { encoding: "utf8" })
      .stdout.split(/\s+/)
      .filter(Boolean)
      .map(Number);
  }

  private alive(host: string): boolean {
    const child = this.servers.get(host);
    if (!child || child.exitCode !== null || child.signalCode !== null)
      throw new Error(`mariadbd on ${host} exited at start: ${this.errorTail(host)}`);
    return ping(this.file(host).socket);
  }

  private errorTail(host: string): string {
    try {
      return readFileSync(this.file(host).errorLog, "utf8").trim().split("\n").slice(-5).join(" | ");
    } catch {
      return "(no error log)";
    }
  }

  /** SHOW GLOBAL STATUS values of a host. */
  private status(host: string, names: string[]): Record<string, string> {
    const out = this.sql(host, [`SHOW GLOBAL STATUS WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(",")})`]);
    return Object.fromEntries(out.split("\n").map((l) => l.split("\t") as [string, string]));
  }

  /** What the host's replication had received and applied (GTID positions from SHOW SLAVE STATUS, which
   * keeps them after STOP SLAVE), e.g. "received 0-1-18960, applied 0-1-16983"; "-" when unknown. */
  replicated(host: string): string {
    try {
      const [head, row] = mysql(this.file(host).socket, ["SHOW SLAVE STATUS"], true).split("\n");
      if (!head || !row) return "-";
      const cols = head.split("\t");
      const vals = row.split("\t");
      const get = (n: string) => vals[cols.indexOf(n)] ?? "?";
      const applied = mysql(this.file(host).socket, ["SELECT @@gtid_slave_pos"]).trim();
      return `received ${get("Gtid_IO_Pos") || "none"}, applied ${applied || "none"}`;
    } catch {
      return "-";
    }
  }

  /** Runs statements as root on the host's socket; returns the output (throws on an error). */
  sql(host: string, statements: string[]): string {
    return mysql(this.file(host).socket, statements);
  }

  private file(host: string): HostFiles {
    const f = this.files.get(host);
    if (!f) throw new Error(`no database host ${host}`);
    return f;
  }

  /** Waits until `check` holds, polling; throws with `what`, the notify logs and keepalived's log tail. */
  async until(what: string, check: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (check()) return;
      await sleep(200);
    }
    const notes = this.hosts.map((h) => `${h} notify: ${existsSync(this.file(h).notifyLog) ? this.notifyLog(h) : "-"}`);
    throw new Error(`${what} not within ${ms}ms\n${notes.join("\n")}\n${this.c.tail(10)}`);
  }

  /** Kills every process of the lab (by pid) and removes the namespaces and the files. */
  async destroy(): Promise<void> {
    for (const h of this.hosts) this.signalAll(h, "SIGCONT");
    await this.c.destroy();
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** Whether a server answers on its socket. */
function ping(socket: string): boolean {
  return (
    existsSync(socket) &&
    spawnSync("mariadb-admin", ["--no-defaults", `--socket=${socket}`, "--user=root", "--connect-timeout=1", "ping"])
      .status === 0
  );
}

/** Runs statements as root over a socket (unix_socket authentication); returns the output (tab-separated,
 * with a header line when `names`). */
function mysql(socket: string, statements: string[], names = false): string {
  const r = spawnSync(
    "mariadb",
    [
      "--no-defaults",
      `--socket=${socket}`,
      "--user=root",
      ...(names ? [] : ["-N"]),
      "-B",
      "-e",
      statements.join(";\n"),
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`SQL on ${socket} failed: ${`${r.stdout}${r.stderr}`.trim().slice(-400)}`);
  return r.stdout;
}
