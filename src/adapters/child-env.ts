// The environment a child of the daemon (a resource script, an agent, a check, a notify or fence
// command) starts with: the daemon's own, less what belongs to the daemon alone. NOTIFY_SOCKET would let
// any child tell systemd READY, STOPPING or a new MAINPID (the unit has NotifyAccess=all); LISTEN_* and
// WATCHDOG_* describe the daemon's sockets and watchdog, not the child's; VIGIL_* are vigil's own
// switches (fault injection, runtime dir, log level). What the caller passes (VIGIL_RESOURCE tags,
// VIGIL_GROUP, OCF_RESKEY_*) is added afterwards and kept.

/** Variables never handed to a child, by exact name. */
export const DAEMON_ONLY_VARIABLES = [
  "NOTIFY_SOCKET",
  "LISTEN_FDS",
  "LISTEN_PID",
  "LISTEN_FDNAMES",
  "WATCHDOG_USEC",
  "WATCHDOG_PID",
] as const;
/** Prefix of vigil's own switches, never inherited by a child (only passed on purpose). */
export const DAEMON_ONLY_PREFIX = "VIGIL_";

/** `base` without the daemon-only variables, plus `extra` (which wins, and may set VIGIL_* on purpose). */
export function childEnv(
  base: NodeJS.ProcessEnv = process.env,
  extra: Record<string, string> = {},
): Record<string, string> {
  const drop = new Set<string>(DAEMON_ONLY_VARIABLES);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base))
    if (v !== undefined && !drop.has(k) && !k.startsWith(DAEMON_ONLY_PREFIX)) out[k] = v;
  return { ...out, ...extra };
}
