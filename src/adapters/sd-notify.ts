// Tells systemd how the service is doing (Type=notify): READY=1 once the daemon serves, STOPPING=1 when
// it leaves. Node has no unix datagram sockets, so the message goes through `systemd-notify`, which
// waits until systemd has processed it (no race with its own exit); the unit needs NotifyAccess=all.
// Without NOTIFY_SOCKET (not started by systemd as Type=notify) nothing is sent.
import type { Logger } from "./logger.js";
import { describeResult, runCommand } from "./run-command.js";

/** How long systemd-notify may take. */
const NOTIFY_TIMEOUT_MS = 5000;

/** Sends `VAR=VALUE` assignments to systemd when NOTIFY_SOCKET is set; never throws. */
export async function sdNotify(assignments: string[], log: Logger): Promise<boolean> {
  if (!process.env.NOTIFY_SOCKET) return false;
  // The one child that must see NOTIFY_SOCKET (children do not inherit it, see child-env.ts).
  const r = await runCommand("systemd-notify", assignments, {
    timeoutMs: NOTIFY_TIMEOUT_MS,
    env: { NOTIFY_SOCKET: process.env.NOTIFY_SOCKET },
  });
  if (r.code === 0) return true;
  log.warn(
    { notify: assignments, output: r.output.trim() || undefined },
    `could not notify systemd (${assignments.join(" ")}): systemd-notify ${describeResult(r)}; systemd may not see the service as started`,
  );
  return false;
}
