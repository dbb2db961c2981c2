// Stopping a group's resources so that none is left on this node, whatever their stop scripts do: the
// part of vigil's promise that lets another node start the group once the stop budget has passed. A
// resource whose stop fails or times out is killed (SIGKILL of its tagged processes, see killTagged);
// if that cannot make sure it is gone, the last resort runs (e.g. a forced reboot), once per group stop.
// The group runner and the guard share this, so a stop taken over by the guard escalates the same way.
import type { ResourceAgent } from "../adapters/resources/resource-agent.js";
import { describeResult, runCommand } from "../adapters/run-command.js";

/** `cluster.last_resort`: run as `PATH ARGS...` (with VIGIL_GROUP set) when a kill did not end a resource. */
export interface LastResort {
  /** Absolute path of the program. */
  path: string;
  /** Its arguments. */
  args: readonly string[];
  /** How long it may run before it is killed and counts as failed, ms. */
  timeout: number;
}

/** Where the steps are told: one line per step, at the level it deserves. */
export type EscalationLog = (level: "info" | "warn" | "error", msg: string, output?: string) => void;

/** How a group's stop escalates. */
export interface EscalationOptions {
  /** Run when a kill did not make sure a resource is gone; none: such a stop fails. */
  lastResort?: LastResort;
  log: EscalationLog;
  /** Told of every stop's own outcome, before escalation (metrics). */
  onStop?: (ok: boolean) => void;
}

/** The detail of a stop without the resource's name in front, for "RESOURCE stop failed (…)". */
function why(agent: ResourceAgent, detail: string): string {
  return detail.startsWith(`${agent.description} stop: `) ? detail.slice(agent.description.length + 7) : detail;
}

/** Stops `agents` in the order given (pass them reversed), every one even after a failure, escalating
 * each failed stop; true when every resource is stopped or was escalated away. */
export async function stopWithEscalation(
  group: string,
  agents: readonly ResourceAgent[],
  opts: EscalationOptions,
): Promise<boolean> {
  let lastResort: Promise<boolean> | undefined;
  const runLastResort = () => (lastResort ??= runOnce(group, opts));
  let all = true;
  for (const agent of agents) {
    const stop = await agent.stop();
    opts.onStop?.(stop.ok);
    if (stop.ok) {
      if (stop.detail) opts.log("info", stop.detail, stop.output || undefined);
      continue;
    }
    const failed = `${group}: ${agent.description} stop failed (${why(agent, stop.detail)})`;
    const kill = await agent.kill();
    if (kill.ok) {
      opts.log("warn", `${failed}; escalated: ${kill.detail}`, stop.output || undefined);
      continue;
    }
    if (!opts.lastResort) {
      opts.log(
        "error",
        `${failed}; escalated: ${kill.detail}; no cluster.last_resort is configured, so it may still be active here`,
        stop.output || undefined,
      );
      all = false;
      continue;
    }
    opts.log("error", `${failed}; escalated: ${kill.detail}; the last resort must end it`, stop.output || undefined);
    all = (await runLastResort()) && all;
  }
  return all;
}

/** Runs the last resort; true on exit 0. */
async function runOnce(group: string, opts: EscalationOptions): Promise<boolean> {
  const lr = opts.lastResort;
  if (!lr) return false;
  const r = await runCommand(lr.path, lr.args, { timeoutMs: lr.timeout, graceMs: 0, env: { VIGIL_GROUP: group } });
  const ok = r.code === 0;
  const cmd = [lr.path, ...lr.args].join(" ");
  if (ok)
    opts.log(
      "warn",
      `${group}: last resort ${cmd}: ${describeResult(r)}; the group's resources count as gone`,
      r.output.trim() || undefined,
    );
  else
    opts.log(
      "error",
      `${group}: last resort ${cmd}: ${describeResult(r)}; the group may still be active here`,
      r.output.trim() || undefined,
    );
  return ok;
}
