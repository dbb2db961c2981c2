// The etcd backend's spec, from the cluster spec and the `cluster.etcd` section.
import type { ClusterSpec } from "../cluster/spec.js";
import type { EtcdConfig } from "../config/etcd-schema.js";
import type { EtcdCoordSpec } from "./coord-node.js";

/** Every key is read each heartbeat interval, but not more often than this, ms. */
export const MIN_ETCD_POLL_MS = 100;

/** The spec of a member on etcd: the session TTL in whole seconds, requests given up after a third of it
 * (at most 1s, as the client's own time limit), and reads every heartbeat interval (at least 100ms). */
export function etcdSpecOf(spec: ClusterSpec, e: EtcdConfig): EtcdCoordSpec {
  return {
    ...spec,
    prefix: e.prefix,
    ttlSeconds: Math.round(e.ttl / 1000),
    pollEvery: Math.max(MIN_ETCD_POLL_MS, spec.interval),
    requestTimeout: Math.min(1000, e.ttl / 3) + 500,
  };
}
