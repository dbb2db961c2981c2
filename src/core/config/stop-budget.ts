// How long a group's resources may take to be gone from a node once it must stop them: the group's
// stop budget. A takeover elsewhere waits for the old owner's lease plus this budget (unless the old
// owner reports the group stopped first), so it is the one number the resource guarantee rests on.
import type { ClusterConfig, GroupConfig, ResourceConfig } from "./schema.js";
import { virtualAddressOf } from "./virtual-address.js";

/** Default time one start or stop may take, ms. */
export const DEFAULT_OP_TIMEOUT_MS = 20_000;

/** After a stop failed or timed out: how long the SIGKILL of the resource's processes may take to leave
 * none of them, ms. */
export const KILL_BOUND_MS = 1_000;

/** How long a stop command that timed out may take to exit after SIGTERM, before it gets SIGKILL, ms. */
export const TERM_GRACE_MS = 1_000;

/** Default limits of a `mariadb` resource, ms: a start may initialise or seed a datadir. */
export const MARIADB_DEFAULT_TIMEOUTS = { start: 120_000, stop: 60_000, promote: 30_000 } as const;

/** Start and stop limits of a resource, ms. */
export function opTimeouts(r: ResourceConfig): { start: number; stop: number } {
  const d =
    r.type === "mariadb" ? MARIADB_DEFAULT_TIMEOUTS : { start: DEFAULT_OP_TIMEOUT_MS, stop: DEFAULT_OP_TIMEOUT_MS };
  return { start: r.timeouts.start ?? d.start, stop: r.timeouts.stop ?? d.stop };
}

/** How long a `mariadb` promotion may take (apply the relay log, catch up from a fuller replica), ms. */
export function promoteTimeout(r: Extract<ResourceConfig, { type: "mariadb" }>): number {
  return r.timeouts.promote ?? MARIADB_DEFAULT_TIMEOUTS.promote;
}

/** Whether the VIP guard removes this resource by itself when the lease ends (a `vip` or an IPaddr2 with
 * `ip` and `nic`; it adds nothing to the budget). */
export function guardCovered(r: ResourceConfig): boolean {
  return virtualAddressOf(r) !== undefined;
}

/** The stop budget of a group, ms, in two parts. The runner's own stop: every resource the guard does
 * not cover may use its whole stop timeout, the grace after SIGTERM and the SIGKILL of its processes,
 * and the last resort its timeout once. The guard's reserve: if the daemon falls silent, the guard
 * notices within `silenceMs` and, for a group the daemon was already stopping past its lease, goes
 * straight to SIGKILL and the last resort. 0 for a group of VIPs only (the guard removes them at the
 * lease's end). */
export function stopBudget(
  g: Pick<GroupConfig, "resources">,
  cluster: Pick<ClusterConfig, "last_resort">,
  silenceMs: number,
): number {
  const slow = g.resources.filter((r) => !guardCovered(r));
  if (slow.length === 0) return 0;
  const lastResort = cluster.last_resort?.timeout ?? 0;
  const runner = slow.reduce((sum, r) => sum + opTimeouts(r).stop + TERM_GRACE_MS + KILL_BOUND_MS, 0) + lastResort;
  return runner + guardReserve(cluster, silenceMs);
}

/** The part of a stop budget kept for the guard: noticing a silent daemon, SIGKILL, the last resort. */
export function guardReserve(cluster: Pick<ClusterConfig, "last_resort">, silenceMs: number): number {
  return silenceMs + KILL_BOUND_MS + (cluster.last_resort?.timeout ?? 0);
}
