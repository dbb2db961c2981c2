// The etcd backend's spec, from the cluster spec and the `cluster.etcd` section.
import type { ClusterSpec } from "../cluster/spec.js";
import type { EtcdConfig } from "../config/etcd-schema.js";
import type { EtcdCoordSpec } from "./coord-node.js";

/** Every key is read each heartbeat interval, but not more often than this, ms. */
export const MIN_ETCD_POLL_MS = 100;

/** Nor more often than this share of the session TTL: a failover waits the TTL anyway, and each read costs
 * every node a request and etcd a scan of the prefix (bench/etcd-scale.ts). */
export const ETCD_POLL_TTL_SHARE = 1 / 10;

/** The time limit of one request at one endpoint: a third of the TTL, at most 1s (the client's). */
export const etcdAttemptMs = (e: EtcdConfig) => Math.min(1000, e.ttl / 3);

/** The time limit of one keepalive at one endpoint: a sixth of the TTL, 200ms to 1s. */
export const etcdKeepaliveAttemptMs = (e: EtcdConfig) => Math.max(200, Math.min(1000, e.ttl / 6));

/** The spec of a member on etcd: the session TTL in whole seconds, reads every heartbeat interval (at
 * least 100ms and a tenth of the TTL apart), a request given up once the client could have tried every
 * endpoint (its answer is ignored after that; a keepalive is then sent again), and a failback settle of
 * two TTLs at least (also how long a new leader waits for a group's preferred node to come up before
 * placing it elsewhere: nodes starting together do not all have a session within the builtin's 2s). */
export function etcdSpecOf(spec: ClusterSpec, e: EtcdConfig): EtcdCoordSpec {
  return {
    ...spec,
    prefix: e.prefix,
    ttlSeconds: Math.round(e.ttl / 1000),
    pollEvery: Math.max(MIN_ETCD_POLL_MS, e.ttl * ETCD_POLL_TTL_SHARE, spec.interval),
    requestTimeout: etcdAttemptMs(e) * e.endpoints.length + 500,
    failbackSettle: Math.max(spec.failbackSettle, 2 * e.ttl),
  };
}
