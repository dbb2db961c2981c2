// SIGKILL of every process of one resource: the escalation after a stop that failed or timed out.
// Every command an agent runs carries VIGIL_RESOURCE=<tag> in its environment, and every process it
// starts inherits it (also a daemon that calls setsid or double-forks to leave the process group), so
// scanning /proc/PID/environ for that exact entry finds them all. Needs root (as vigil runs) to read the
// environment of every process: one that cannot be read makes the kill fail, it is never assumed clean
// (except PID 1 and kernel threads, which no resource can be, and whose environ may be unreadable).
import { readdir, readFile } from "node:fs/promises";
import { KILL_BOUND_MS } from "../../core/config/stop-budget.js";

/** The environment variable that marks a resource's processes. */
export const TAG_VARIABLE = "VIGIL_RESOURCE";

/** How often the scan repeats while killed processes are still there, ms. */
const POLL_MS = 20;

/** How a kill by tag ended. */
export interface KillResult {
  /** True only when a full scan of /proc found no process of the tag left. */
  ok: boolean;
  /** How many distinct processes were sent SIGKILL. */
  killed: number;
  /** Pids of the tag still there at the end (or that could not be signalled). */
  left: number[];
  /** One line for the log. */
  detail: string;
}

/** PF_KTHREAD in /proc/PID/stat's flags. */
const PF_KTHREAD = 0x00200000;

/** Whether `pid` is a kernel thread (no environment of its own; its environ may be unreadable). A
 * process that is gone counts as one: it can hold nothing either. */
async function isKernelThread(procRoot: string, pid: string): Promise<boolean> {
  try {
    const stat = await readFile(`${procRoot}/${pid}/stat`, "utf8");
    const flags = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[6]);
    return (flags & PF_KTHREAD) !== 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ESRCH";
  }
}

type Scan = { ok: true; pids: number[] } | { ok: false; why: string };

/** The pids (other than this process) whose environment holds exactly `VIGIL_RESOURCE=<tag>`. */
async function scan(entry: string, procRoot: string): Promise<Scan> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch (err) {
    return { ok: false, why: `cannot list ${procRoot}: ${(err as Error).message}` };
  }
  const pids: number[] = [];
  for (const name of names) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    let env: Buffer;
    try {
      env = await readFile(`${procRoot}/${name}/environ`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ESRCH" || name === "1" || (await isKernelThread(procRoot, name))) continue;
      return { ok: false, why: `cannot read ${procRoot}/${name}/environ: ${(err as Error).message}` };
    }
    if (env.toString("utf8").split("\0").includes(entry)) pids.push(Number(name));
  }
  return { ok: true, pids };
}

/** SIGKILLs every process tagged `tag`, again on each scan (a fork may race the first kill), until a
 * scan finds none or `boundMs` passed. Fails closed: when /proc cannot be read, ok is false. */
export async function killTagged(tag: string, boundMs = KILL_BOUND_MS, procRoot = "/proc"): Promise<KillResult> {
  const entry = `${TAG_VARIABLE}=${tag}`;
  const deadline = performance.now() + boundMs;
  const killed = new Set<number>();
  const refused = new Set<number>();
  for (;;) {
    const s = await scan(entry, procRoot);
    if (!s.ok) return { ok: false, killed: killed.size, left: [], detail: `kill of ${tag}: ${s.why}` };
    for (const pid of s.pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") refused.add(pid);
      }
    }
    if (s.pids.length === 0)
      return { ok: true, killed: killed.size, left: [], detail: `SIGKILL of ${killed.size} processes, none left` };
    if (performance.now() >= deadline) {
      const why = refused.size > 0 ? ` (not allowed to signal ${[...refused].join(", ")})` : "";
      return {
        ok: false,
        killed: killed.size,
        left: s.pids,
        detail: `SIGKILL of ${killed.size} processes of ${tag}: ${s.pids.length} still there after ${boundMs}ms: ${s.pids.join(", ")}${why}`,
      };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
