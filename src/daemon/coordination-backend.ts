// Which coordination backend `vigil run` can use. Only builtin is wired into the daemon so far; a config
// asking for etcd is refused at start-up, never run on builtin instead (that would break the operator's
// assumption about who holds the locks).
import type { Config } from "../core/config/schema.js";
import { StartupError } from "./startup-error.js";

/** Stable code of the refusal, printed in brackets. */
export const E_COORDINATION_UNAVAILABLE = "E_COORDINATION_UNAVAILABLE";

/** Throws a StartupError when the config asks for a backend this daemon cannot run. */
export function requireAvailableCoordination(config: Config): void {
  if (config.cluster.coordination === "builtin") return;
  throw new StartupError(
    `cluster.coordination: etcd is not available yet: the etcd client exists (docs/etcd.md) but vigil run ` +
      `does not coordinate through it; use coordination: builtin [${E_COORDINATION_UNAVAILABLE}]`,
  );
}
