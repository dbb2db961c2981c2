// The VIP guard's pidfile: the cluster worker records its guard's pid, so that a later incarnation of
// the daemon on this node can wait for that guard (which may still hold VIPs until its last lease runs
// out) before it reports that nothing of an earlier incarnation is active here.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The runtime directory: env VIGIL_RUNTIME_DIR, default /run/vigil. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIGIL_RUNTIME_DIR || "/run/vigil";
}

/** The guard pidfile of `node` in `cluster` under `dir`. */
export function guardPidfile(dir: string, cluster: string, node: string): string {
  return join(dir, `${encodeURIComponent(cluster)}.${encodeURIComponent(node)}.guard.pid`);
}

/** Creates the runtime directory (mode 0700) if needed and writes `pid` to `path`; throws saying where. */
export function writeGuardPid(path: string, pid: number): void {
  const dir = join(path, "..");
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${pid}\n`, { mode: 0o600 });
  } catch (err) {
    throw new Error(`guard pidfile ${path}: ${(err as Error).message}`);
  }
}

/** What a guard pidfile says: no file, a pid, or unreadable (with why). */
export type GuardPid = { kind: "none" } | { kind: "pid"; pid: number } | { kind: "unreadable"; reason: string };

/** Reads a guard pidfile; a file that exists but cannot be read or parsed is "unreadable". */
export function readGuardPid(path: string): GuardPid {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "none" };
    return { kind: "unreadable", reason: `${path}: ${(err as Error).message}` };
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0
    ? { kind: "pid", pid }
    : { kind: "unreadable", reason: `${path}: not a pid: ${JSON.stringify(text.slice(0, 40))}` };
}

/** Whether `pid` is a live VIP guard: the process exists and its /proc/PID/cmdline names vip-guard.
 * Fails closed: when that cannot be told (no permission to read), it is taken as alive, with why. */
export function guardPidAlive(pid: number): { alive: boolean; unsure?: string } {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return { alive: false };
    if ((err as NodeJS.ErrnoException).code !== "EPERM")
      return { alive: true, unsure: `signal 0 to pid ${pid}: ${(err as Error).message}` };
  }
  try {
    return { alive: readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("vip-guard") };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ESRCH")
      return { alive: false };
    return { alive: true, unsure: `/proc/${pid}/cmdline: ${(err as Error).message}` };
  }
}

/** Whether the pidfile at `path` names a live VIP guard (fails closed: an unreadable file or process
 * counts as alive, with why). Read it before this incarnation's worker overwrites it. */
export function guardAlive(path: string): { alive: boolean; pid?: number; unsure?: string } {
  const r = readGuardPid(path);
  if (r.kind === "none") return { alive: false };
  if (r.kind === "unreadable") return { alive: true, unsure: r.reason };
  return { ...guardPidAlive(r.pid), pid: r.pid };
}
