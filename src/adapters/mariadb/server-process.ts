// The `mariadbd` process of one node, started and stopped by vigil itself: a fresh datadir is
// initialised (mariadb-install-db) and vigil's account created without binary logging; the server runs
// detached in its own process group with the durable settings enforced on its command line, carries the
// resource's tag (so the guard's SIGKILL by tag finds it), and is stopped by its pid.
import { spawn } from "node:child_process";
import { getPriority, userInfo } from "node:os";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { MariadbConfig } from "../../core/config/schema.js";
import { childEnv } from "../child-env.js";
import { runCommand } from "../run-command.js";
import { TAG_VARIABLE } from "../resources/kill-tagged.js";
import { connect, quote } from "./sql.js";

/** Semi-sync timeout that means "never fall back to async" (ms; about 49 days, the variable's range). */
export const STRICT_SEMI_SYNC_TIMEOUT_MS = 4_294_967_295;
/** MariaDB's own default fall-back timeout, used for `semi_sync: on`. */
export const DEFAULT_SEMI_SYNC_TIMEOUT_MS = 10_000;

/** One node's server: its identity and what it runs. */
export interface ServerSpec {
  config: MariadbConfig;
  /** This node's server_id (unique in the cluster: the node's place in the config, from 1). */
  serverId: number;
  /** This node's own address (listened on alone with `bind: node`). */
  host: string;
  /** The password of `config.user` (read from password_file). */
  password: string;
  /** VIGIL_RESOURCE tag of the process. */
  tag: string;
}

/** `cmd args` run at normal priority: the daemon raises its own (nice -10) and children inherit it, so
 * a database starting or recovering would compete with the heartbeats; `nice` puts it back at 0. */
export function atNormalPriority(cmd: string, args: string[]): [string, string[]] {
  const own = getPriority();
  return own < 0 ? ["nice", ["-n", String(-own), cmd, ...args]] : [cmd, args];
}

/** The files vigil keeps in the datadir. */
export function pidFileOf(datadir: string): string {
  return join(datadir, "vigil-mariadbd.pid");
}
/** The server's own tmpdir, beside the datadir (DATADIR.tmp): a starting mariadbd deletes every `#sql*`
 * file in its tmpdir, so servers sharing /tmp (several nodes on one host, as the demo runs them, or
 * another server beside this one) would delete each other's temporary tables, which breaks a
 * `mariadb-install-db` running at that moment. */
export function tmpdirOf(datadir: string): string {
  return `${datadir.replace(/\/+$/, "")}.tmp`;
}

/** Creates the server's tmpdir when missing (0700). */
function ensureTmpdir(datadir: string): string {
  const dir = tmpdirOf(datadir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function errorLogOf(datadir: string): string {
  return join(datadir, "vigil-mariadbd.err");
}
function bootstrapMarkerOf(datadir: string): string {
  return join(datadir, "vigil-bootstrap-pending");
}
function initialisedMarkerOf(datadir: string): string {
  return join(datadir, "vigil-initialised");
}

/** Whether vigil began initialising this datadir and never finished (mariadb-install-db interrupted, e.g.
 * by a daemon that failed stop): its content is vigil's own half-made system tables, made again. */
function halfInitialised(datadir: string): boolean {
  return existsSync(bootstrapMarkerOf(datadir)) && !existsSync(initialisedMarkerOf(datadir));
}

/** The pid of this datadir's mariadbd when it runs (the pid file names a live mariadbd on this datadir). */
export function runningPid(datadir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFileOf(datadir), "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (!cmd.some((a) => a.endsWith("mariadbd")) || !cmd.includes(`--datadir=${datadir}`)) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z") ? undefined : pid;
  } catch {
    return undefined;
  }
}

/** The command line of mariadbd: the durable settings (sync_binlog=1, innodb_flush_log_at_trx_commit=1,
 * sync_relay_log=1, gtid_strict_mode, log_slave_updates, one GTID domain, this node's server_id), semi-sync
 * AFTER_SYNC (strict: no fall-back), small memory, always read-only at start (promotion opens writes),
 * and `--init-rpl-role=SLAVE`, so a former primary's unacknowledged tail is truncated in recovery. */
export function serverArgs(spec: ServerSpec): string[] {
  const c = spec.config;
  const semiTimeout = c.semi_sync === "strict" ? STRICT_SEMI_SYNC_TIMEOUT_MS : DEFAULT_SEMI_SYNC_TIMEOUT_MS;
  const asRoot = (process.geteuid?.() ?? 1) === 0;
  return [
    "--no-defaults",
    `--datadir=${c.datadir}`,
    `--socket=${c.socket}`,
    `--port=${c.port}`,
    `--bind-address=${c.bind === "node" ? spec.host : "0.0.0.0"}`,
    `--pid-file=${pidFileOf(c.datadir)}`,
    `--log-error=${errorLogOf(c.datadir)}`,
    `--tmpdir=${tmpdirOf(c.datadir)}`,
    ...(asRoot ? ["--user=root"] : []),
    "--skip-name-resolve",
    "--innodb-buffer-pool-size=16M",
    "--innodb-log-file-size=16M",
    "--performance-schema=OFF",
    "--max-connections=300",
    `--server-id=${spec.serverId}`,
    "--gtid-domain-id=0",
    "--gtid-strict-mode=ON",
    "--log-bin=mariadb-bin",
    "--binlog-format=ROW",
    "--log-slave-updates=ON",
    "--sync-binlog=1",
    "--innodb-flush-log-at-trx-commit=1",
    "--sync-relay-log=1",
    "--sync-master-info=1",
    "--relay-log=relay-bin",
    "--skip-slave-start",
    "--read-only=ON",
    "--init-rpl-role=SLAVE",
    `--rpl-semi-sync-slave-enabled=${c.semi_sync === "off" ? "OFF" : "ON"}`,
    "--rpl-semi-sync-master-enabled=OFF",
    "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
    "--rpl-semi-sync-master-wait-no-slave=ON",
    `--rpl-semi-sync-master-timeout=${semiTimeout}`,
  ];
}

/** What the durable settings must read on a running server (checked after every start). */
export const DURABLE_SETTINGS: Record<string, string> = {
  sync_binlog: "1",
  innodb_flush_log_at_trx_commit: "1",
  sync_relay_log: "1",
  gtid_strict_mode: "1",
  log_slave_updates: "1",
  log_bin: "1",
  gtid_domain_id: "0",
  rpl_semi_sync_master_wait_point: "AFTER_SYNC",
};

function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** Initialises an empty datadir (mariadb-install-db) and marks it for the account bootstrap. */
/** The account mariadb-install-db made for the user that ran it, reachable over the socket by that
 * user alone (unix_socket authentication): root, or the invoking user when vigil runs without root (the
 * demo). vigil's own account is created through it. */
function installer(): string {
  return (process.geteuid?.() ?? 1) === 0 ? "root" : userInfo().username;
}

async function initialise(c: MariadbConfig, timeoutMs: number): Promise<void> {
  mkdirSync(c.datadir, { recursive: true, mode: 0o700 });
  writeFileSync(bootstrapMarkerOf(c.datadir), "vigil creates its account at the first start\n");
  const asRoot = (process.geteuid?.() ?? 1) === 0;
  const r = await runCommand(
    ...atNormalPriority("mariadb-install-db", [
      "--no-defaults",
      `--datadir=${c.datadir}`,
      ...(asRoot ? ["--user=root"] : []),
      "--auth-root-authentication-method=socket",
      "--skip-test-db",
      `--tmpdir=${ensureTmpdir(c.datadir)}`,
    ]),
    { timeoutMs },
  );
  if (r.code === 0) writeFileSync(initialisedMarkerOf(c.datadir), "mariadb-install-db finished\n");
  if (r.code !== 0)
    throw new Error(
      `mariadb-install-db on ${c.datadir} failed (${r.spawnError ?? `exit ${r.code}`}): ${errorLines(r.output)}`,
    );
}

/** The lines of a tool's output that name an error (else its last 400 characters): mariadb-install-db
 * ends every failure with the same advice, which says nothing. */
function errorLines(output: string): string {
  const errors = output.split("\n").filter((l) => /error|fatal|abort|can't|cannot|could not/i.test(l));
  return (errors.length > 0 ? errors.slice(0, 6).join(" | ") : output.trim()).slice(-600);
}

/** Creates vigil's account on a freshly initialised server, without binary logging (every node makes the
 * same account itself, so it is not a transaction to replicate). */
async function bootstrap(spec: ServerSpec, timeoutMs: number): Promise<void> {
  const u = spec.config.user;
  const pw = quote(spec.password);
  const statements = [
    "SET sql_log_bin=0",
    ...["%", "localhost"].flatMap((h) => [
      `CREATE USER IF NOT EXISTS ${quote(u)}@${quote(h)} IDENTIFIED BY ${pw}`,
      `ALTER USER ${quote(u)}@${quote(h)} IDENTIFIED BY ${pw}`,
      `GRANT ALL PRIVILEGES ON *.* TO ${quote(u)}@${quote(h)} WITH GRANT OPTION`,
    ]),
  ].join(";");
  const r = await runCommand(
    "mariadb",
    ["--no-defaults", `--socket=${spec.config.socket}`, `--user=${installer()}`, "-e", statements],
    { timeoutMs },
  );
  if (r.code !== 0) throw new Error(`creating the ${u} account failed: ${r.output.trim().slice(-400)}`);
  rmSync(bootstrapMarkerOf(spec.config.datadir), { force: true });
}

/** The last lines of the server's error log (for a failed start). */
export function errorLogTail(datadir: string, lines = 5): string {
  try {
    return readFileSync(errorLogOf(datadir), "utf8").trim().split("\n").slice(-lines).join(" | ");
  } catch {
    return "(no error log)";
  }
}

/** Starts mariadbd on the datadir (initialising an empty one) and waits until vigil's account can
 * connect on the socket; resolves with the pid. Already running: returns its pid. */
export async function startServer(spec: ServerSpec, timeoutMs: number): Promise<number> {
  const c = spec.config;
  const running = runningPid(c.datadir);
  if (running !== undefined) {
    // A daemon that died between the server's start and its account's creation left the marker.
    if (existsSync(bootstrapMarkerOf(c.datadir))) await bootstrap(spec, timeoutMs);
    return running;
  }
  const deadline = Date.now() + timeoutMs;
  if (halfInitialised(c.datadir)) rmSync(c.datadir, { recursive: true, force: true });
  if (isEmptyDir(c.datadir) || !existsSync(join(c.datadir, "mysql"))) await initialise(c, timeoutMs);
  mkdirSync(dirname(c.socket), { recursive: true });
  ensureTmpdir(c.datadir);
  rmSync(pidFileOf(c.datadir), { force: true });
  const log = openSync(errorLogOf(c.datadir), "a");
  const child = spawn(...atNormalPriority("mariadbd", serverArgs(spec)), {
    detached: true,
    stdio: ["ignore", log, log],
    env: childEnv(process.env, { [TAG_VARIABLE]: spec.tag }),
  });
  closeSync(log);
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = signal ?? `exit ${code}`));
  child.once("error", (err) => (exited = err.message));
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`mariadbd did not start: ${exited ?? "no pid"}`);
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new Error(`mariadbd on ${c.datadir} exited at start (${exited}): ${errorLogTail(c.datadir)}`);
    const ok = await canConnectAsRoot(spec).catch(() => false);
    if (ok) {
      if (existsSync(bootstrapMarkerOf(c.datadir))) await bootstrap(spec, Math.max(1000, deadline - Date.now()));
      await checkDurable(spec);
      return pid;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, "SIGKILL");
  throw new Error(`mariadbd on ${c.datadir} did not answer within ${timeoutMs}ms: ${errorLogTail(c.datadir)}`);
}

/** Whether the server answers on its socket (as the installing user while vigil's account may not exist
 * yet; as vigil's account afterwards). */
async function canConnectAsRoot(spec: ServerSpec): Promise<boolean> {
  if (!existsSync(spec.config.socket)) return false;
  if (existsSync(bootstrapMarkerOf(spec.config.datadir))) {
    const r = await runCommand(
      "mariadb",
      ["--no-defaults", `--socket=${spec.config.socket}`, `--user=${installer()}`, "-e", "SELECT 1"],
      { timeoutMs: 2000 },
    );
    return r.code === 0;
  }
  const sql = await connect({ socket: spec.config.socket, user: spec.config.user, password: spec.password }, 1000);
  await sql.close();
  return true;
}

/** Refuses a server whose durable settings do not read as required (a changed binary or a my.cnf). */
async function checkDurable(spec: ServerSpec): Promise<void> {
  const sql = await connect({ socket: spec.config.socket, user: spec.config.user, password: spec.password });
  try {
    const names = Object.keys(DURABLE_SETTINGS);
    const rows = await sql.query(
      `SELECT VARIABLE_NAME AS n, VARIABLE_VALUE AS v FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME IN (${names.map(() => "?").join(",")})`,
      names.map((n) => n.toUpperCase()),
    );
    const got = new Map(rows.map((r) => [String(r.n).toLowerCase(), String(r.v)]));
    const wrong = names.filter((n) => {
      const v = got.get(n);
      const want = DURABLE_SETTINGS[n];
      return v === undefined || !(v === want || (want === "1" && v === "ON"));
    });
    if (wrong.length > 0)
      throw new Error(
        `mariadbd on ${spec.config.datadir} runs without the durable settings: ${wrong.map((n) => `${n}=${got.get(n) ?? "?"} (need ${DURABLE_SETTINGS[n]})`).join(", ")}`,
      );
  } finally {
    await sql.close();
  }
}

/** Waits until `pid` is gone, up to `ms`; true when it is. */
export async function waitGone(datadir: string, pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!alive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/** SIGKILL of the server (a crash stop: InnoDB and the binlog recover; a primary's unacknowledged tail is
 * truncated at its next start as a replica). True once it is gone. */
export async function killServer(datadir: string, ms = 1000): Promise<boolean> {
  const pid = runningPid(datadir);
  if (pid === undefined) return true;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* gone already */
  }
  return waitGone(datadir, pid, ms);
}

/** A clean shutdown by SIGTERM, waiting up to `ms`; true once it is gone. */
export async function shutdownServer(datadir: string, ms: number): Promise<boolean> {
  const pid = runningPid(datadir);
  if (pid === undefined) return true;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return true;
  }
  return waitGone(datadir, pid, ms);
}
