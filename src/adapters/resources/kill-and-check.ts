// The kill of a resource that has processes: SIGKILL of everything tagged with it, then its own status
// check, both within one KILL_BOUND_MS. Killing its processes is not enough to call it gone: a resource
// may hold what no process shows (a mount, a firewall rule, a process it did not start itself), so only
// a status that says "stopped" afterwards makes the kill ok; anything else is for the last resort.
import { KILL_BOUND_MS } from "../../core/config/stop-budget.js";
import { killTagged } from "./kill-tagged.js";
import type { MonitorResult, OpResult } from "./resource-agent.js";

/** Least time a status check is given when the SIGKILL took most of the bound, ms. */
const MIN_STATUS_MS = 100;

/** SIGKILLs the processes tagged `tag`, then asks `status` (with what is left of `boundMs`); ok only when
 * none is left and the status says stopped. */
export async function killAndCheck(
  tag: string,
  status: (timeoutMs: number) => Promise<MonitorResult>,
  boundMs = KILL_BOUND_MS,
): Promise<OpResult> {
  const deadline = performance.now() + boundMs;
  const k = await killTagged(tag, boundMs);
  if (!k.ok) return { ok: false, detail: k.detail };
  const s = await status(Math.max(MIN_STATUS_MS, deadline - performance.now()));
  if (s.state === "stopped") return { ok: true, detail: k.detail };
  return {
    ok: false,
    detail: `${k.detail}, but it is not known to be stopped: ${s.detail}`,
    output: s.output || undefined,
  };
}
