// How long a group's resources may take to be gone from a node once it must stop them: the group's
// stop budget. A takeover elsewhere waits for the old owner's lease plus this budget (unless the old
// owner reports the group stopped first), so it is the one number the resource guarantee rests on.
import type { ClusterConfig, GroupConfig, ResourceConfig } from "./schema.js";

/** Default time one start or stop may take, ms. */
export const DEFAULT_OP_TIMEOUT_MS = 20_000;

/** After a stop failed or timed out: how long the SIGKILL of the resource's processes may take to leave
 * none of them, ms. */
export const KILL_BOUND_MS = 1_000;

/** Start and stop limits of a resource, ms. */
export function opTimeouts(r: ResourceConfig): { start: number; stop: number } {
  return { start: r.timeouts.start ?? DEFAULT_OP_TIMEOUT_MS, stop: r.timeouts.stop ?? DEFAULT_OP_TIMEOUT_MS };
}

/** Whether the VIP guard removes this resource by itself when the lease ends (it adds nothing to the budget). */
export function guardCovered(r: ResourceConfig): boolean {
  return r.type === "vip";
}

/** The stop budget of a group, ms: every resource the guard does not cover may use its whole stop
 * timeout and then the SIGKILL bound, and the last resort its own timeout once; `silenceMs` is how long
 * the guard waits for a silent daemon before it takes the stop over. 0 for a group of VIPs only. */
export function stopBudget(g: Pick<GroupConfig, "resources">, cluster: Pick<ClusterConfig, "last_resort">, silenceMs: number): number {
  const slow = g.resources.filter((r) => !guardCovered(r));
  if (slow.length === 0) return 0;
  const stops = slow.reduce((sum, r) => sum + opTimeouts(r).stop + KILL_BOUND_MS, 0);
  return stops + (cluster.last_resort?.timeout ?? 0) + silenceMs;
}
