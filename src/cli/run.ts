// `vigil run -c FILE [--node NAME]`: the daemon in the foreground until SIGTERM or SIGINT. SIGHUP
// reloads the config file. Under systemd (Type=notify) it says READY=1 once the API serves. A daemon
// that fails stop (its cluster thread died or hung, or its main thread hung) stops its groups and exits
// with code 70 by itself; a signal during that only waits for it.
import { createLogger } from "../adapters/logger.js";
import { sdNotify } from "../adapters/sd-notify.js";
import { StartupError, startDaemon, type Daemon, type RunOptions } from "../daemon/daemon.js";

/** Time SIGTERM waits for groups to move away before exiting anyway (the systemd unit's
 * TimeoutStopSec must be longer). */
export const DRAIN_TIMEOUT_MS = 10_000;

/** How long a failed start may take to close what it opened before the process exits anyway, ms. */
export const STARTUP_EXIT_GRACE_MS = 500;

/** Writes to stderr, ignoring a write error (a closed or full stderr must not hide the exit code). */
function writeStderr(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    /* nowhere to say it */
  }
}

/** Exits with `code` once the event loop is empty, or after STARTUP_EXIT_GRACE_MS at the latest: start-up
 * has already closed what it opened (the worker, the guard, the sockets), so a handle left open by a
 * library must not keep a failed daemon alive. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), STARTUP_EXIT_GRACE_MS).unref();
}

/** Runs the daemon; resolves with the exit code once it has stopped. */
export async function runCommand(opts: RunOptions): Promise<number> {
  const log = createLogger();
  let daemon: Daemon | undefined;
  let stopping = false;
  let hupWhileStarting = false;
  // Installed before start-up: the default action of SIGHUP would kill the process.
  const onHup = () => {
    if (stopping) return;
    if (!daemon) {
      hupWhileStarting = true;
      return;
    }
    void daemon.reload();
  };
  process.on("SIGHUP", onHup);
  try {
    daemon = await startDaemon(opts, log);
  } catch (err) {
    process.off("SIGHUP", onHup);
    const why = err instanceof StartupError ? err.message : `start-up failed: ${(err as Error).message}`;
    writeStderr(`vigil run: ${why}\n`);
    exitSoon(1);
    return 1;
  }
  const d = daemon;
  void sdNotify(["READY=1", `STATUS=running as ${d.name}`], log);
  if (hupWhileStarting) void d.reload();
  return new Promise((resolve) => {
    const shutdown = async (signal: string) => {
      if (d.failingStop)
        return void log.warn(
          { node: d.name },
          `${signal} during a fail stop: the groups are being stopped; exiting when done`,
        );
      if (stopping) return;
      stopping = true;
      void sdNotify(["STOPPING=1", `STATUS=${signal}: handing groups over`], log);
      log.info({ node: d.name }, `${signal}: handing groups over before leaving`);
      const drained = await d.drain(DRAIN_TIMEOUT_MS);
      if (d.failingStop) return;
      if (!drained)
        log.warn(
          { node: d.name },
          `groups did not move away within ${DRAIN_TIMEOUT_MS}ms; stopping them here and leaving`,
        );
      await d.stop();
      log.info({ node: d.name }, "stopped");
      resolve(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
  });
}
