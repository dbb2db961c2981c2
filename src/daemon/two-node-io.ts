// The I/O of a two_node cluster: the tiebreaker reachability loop and the fence command, each
// reporting its outcome to the cluster as an event.
import type { Logger } from "../adapters/logger.js";
import { fence, tiebreakerReachable } from "../adapters/two-node.js";
import type { Config } from "../core/config/schema.js";
import type { ClusterEvent } from "../core/cluster/node.js";

/** How often the tiebreaker is checked, ms (after the previous check ended). */
const TIEBREAKER_EVERY_MS = 500;
/** How long one tiebreaker check may take, ms. */
const TIEBREAKER_TIMEOUT_MS = 1000;

/** Checks `address` in a loop and reports each change as a `tiebreaker` event; returns the stop function. */
export function startTiebreakerLoop(address: string, report: (e: ClusterEvent) => void, log: Logger): () => void {
  let last: boolean | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const ok = await tiebreakerReachable(address, TIEBREAKER_TIMEOUT_MS).catch(() => false);
    if (stopped) return;
    if (ok !== last) {
      log[ok ? "info" : "warn"](
        { tiebreaker: address, ok },
        `tiebreaker ${address} ${ok ? "reachable" : "unreachable"}`,
      );
      report({ kind: "tiebreaker", ok });
      last = ok;
    }
    timer = setTimeout(() => void check(), TIEBREAKER_EVERY_MS);
  };
  void check();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** Fences `node` with the configured command (ok at once without one) and reports a `fenced` event. */
export async function runFence(
  spec: Config["cluster"]["fence"],
  node: string,
  report: (e: ClusterEvent) => void,
  log: Logger,
): Promise<void> {
  if (!spec) return report({ kind: "fenced", node, ok: true });
  const r = await fence(spec, node).catch((err: Error) => ({
    ok: false,
    detail: `fence ${node} with ${spec.path}: ${err.message}`,
  }));
  (r.ok ? log.warn.bind(log) : log.error.bind(log))({ fence: node, ok: r.ok }, r.detail);
  report({ kind: "fenced", node, ok: r.ok });
}
