// The answer to the core's boot probe: is anything of an earlier incarnation of this daemon still
// active here? Resources were stopped by that incarnation or are covered by its stop budget; what can
// outlive it is its VIP guard, which removes the VIPs only when the last lease runs out. So the node
// reports itself settled once that guard (named by the pidfile before this incarnation overwrote it)
// has exited.
import type { Logger } from "../adapters/logger.js";
import { guardPidAlive, type GuardPid } from "./guard-pidfile.js";

/** How often the earlier guard is checked, ms. */
export const EARLIER_GUARD_POLL_MS = 50;

/** Calls `settled` once the earlier guard is gone (at once when there was none); returns a cancel
 * function. Fails closed: an unreadable pidfile, or a process that cannot be inspected, counts as a
 * live guard, so the node never reports itself settled and peers keep their full quiet. */
export function settleAfterEarlierGuard(
  earlier: GuardPid,
  settled: () => void,
  log: Logger,
  alive = guardPidAlive,
): () => void {
  if (earlier.kind === "none") {
    settled();
    return () => undefined;
  }
  if (earlier.kind === "unreadable") {
    log.error(
      { pidfile: earlier.reason },
      `cannot tell whether the guard of an earlier incarnation is still active (${earlier.reason}); this node does not report itself settled`,
    );
    return () => undefined;
  }
  let told = false;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const r = alive(earlier.pid);
    if (!r.alive) {
      if (told) log.info({ pid: earlier.pid }, `the guard of an earlier incarnation (pid ${earlier.pid}) has finished`);
      return settled();
    }
    if (!told) {
      told = true;
      log.warn(
        { pid: earlier.pid },
        `waiting for the guard of an earlier incarnation (pid ${earlier.pid}) to finish${r.unsure ? ` (cannot inspect it: ${r.unsure})` : ""}`,
      );
    }
    timer = setTimeout(check, EARLIER_GUARD_POLL_MS);
  };
  check();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
