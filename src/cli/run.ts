// `vigil run -c FILE [--node NAME]`: the daemon in the foreground until SIGTERM or SIGINT.
import { createLogger } from "../adapters/logger.js";
import { StartupError, startDaemon, type RunOptions } from "../daemon/daemon.js";

/** Time SIGTERM waits for groups to move away before exiting anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

/** Runs the daemon; resolves with the exit code once it has stopped. */
export async function runCommand(opts: RunOptions): Promise<number> {
  const log = createLogger();
  let daemon;
  try {
    daemon = await startDaemon(opts, log);
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`vigil run: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const d = daemon;
  return new Promise((resolve) => {
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ node: d.name }, `${signal}: handing groups over before leaving`);
      const drained = await d.drain(DRAIN_TIMEOUT_MS);
      if (!drained) log.warn({ node: d.name }, `groups did not move away within ${DRAIN_TIMEOUT_MS}ms; leaving anyway`);
      await d.stop();
      log.info({ node: d.name }, "stopped");
      resolve(0);
    };
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
    process.on("SIGINT", () => void shutdown("SIGINT"));
  });
}
