// What `vigil run` checks about its coordination backend before it starts. With etcd: the version every
// reachable endpoint reports, against the floor that vigil's lease reasoning needs (etcd issue 15247); a
// member below it or unreachable is a warning, not a refusal: the node coordinates through whichever
// members answer, and holds nothing while none does.
import type { Logger } from "pino";
import type { Config } from "../core/config/schema.js";
import { etcdVersionProblem } from "../core/etcd/version-floor.js";
import { EtcdClient } from "../adapters/etcd/client.js";
import { readEtcdTls } from "../adapters/etcd/from-config.js";
import { StartupError } from "./startup-error.js";

/** How long the start-up version check waits for each endpoint, ms. */
const VERSION_CHECK_MS = 1500;

/** Logs a warning per etcd endpoint that is unreachable or below the version floor; a TLS file that
 * cannot be read is a StartupError naming its key. */
export async function checkCoordinationAtStart(config: Config, log: Logger): Promise<void> {
  const e = config.cluster.etcd;
  if (config.cluster.coordination !== "etcd" || !e) return;
  let tls: ReturnType<typeof readEtcdTls>;
  try {
    tls = readEtcdTls(e);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  await Promise.all(
    e.endpoints.map(async (endpoint) => {
      const client = new EtcdClient({ endpoints: [endpoint], tls, requestTimeoutMs: VERSION_CHECK_MS });
      try {
        const v = await client.version();
        const problem = etcdVersionProblem(v.server);
        if (problem) log.warn({ etcd: endpoint }, `etcd ${endpoint}: ${problem} [E_ETCD_VERSION]`);
        else log.info({ etcd: endpoint }, `etcd ${endpoint}: version ${v.server}`);
      } catch (err) {
        log.warn(
          { etcd: endpoint },
          `etcd ${endpoint} does not answer at start-up: ${(err as Error).message}; this node holds nothing until a member answers`,
        );
      } finally {
        client.close();
      }
    }),
  );
}
