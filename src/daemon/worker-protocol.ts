// Messages between the daemon's main thread and its cluster worker thread.
import type { ClusterAction, ClusterEvent, ClusterStatus } from "../core/cluster/node.js";
import type { DebugFault } from "../api/server.js";
import type { GapSummary } from "./heartbeat-gaps.js";
import type { GroupSpec } from "../core/cluster/spec.js";
import type { GuardConfig } from "./guard-protocol.js";
import type { PeerChange } from "./peer-watch.js";

/** The worker's full status, with transport counters. */
export interface WorkerStatus extends ClusterStatus {
  transportDrops: Record<string, number>;
  sendErrors: Record<string, number>;
  /** Gaps between heartbeats received from each "peer/link" over the recent window, ms. */
  heartbeatGaps: Record<string, GapSummary>;
  /** coordination: etcd: the session and the link as this node sees them. */
  etcd?: EtcdStatus;
}

/** The etcd backend's health on this node. */
export interface EtcdStatus {
  /** The session lease (absent: no valid session, so this node holds nothing). */
  lease?: string;
  /** How long the session stays valid without another keepalive answered, ms. */
  validForMs: number;
  /** The store revision of the last read. */
  revision: number;
  /** The leader named by the leader key at the last read. */
  leader?: string;
  endpoint: string;
  lastKeepaliveMs?: number;
  requests: number;
  prefix: string;
  ttlSeconds: number;
}

/** Main thread → worker. `reload`: the groups of a reloaded config, and the VIPs the guard covers.
 * `ping`: the main thread is alive (every heartbeat interval; answered by `pong`). `silence`: the main
 * thread fails stop; the node stops renewing its leases for good. `fault`: tests only (ignored unless
 * the worker was started with fault injection). `keys`: the cluster keys after a reload (hex, the
 * sending key first). */
export type ToWorker =
  | { t: "event"; event: ClusterEvent }
  | { t: "ping" }
  | { t: "silence"; reason: string }
  | { t: "fault"; fault: Exclude<DebugFault, { kind: "block-main" }> }
  | { t: "status?"; id: number }
  | { t: "keys"; keysHex: string[] }
  | { t: "reload"; groups: GroupSpec[]; vips: Record<string, [string, string][]>; guard: GuardConfig }
  | { t: "stop" };

/** Worker → main thread. `at` is wall-clock ms, for logs. `pong`: answers a ping. `silenced`: no ping
 * came for the watchdog bound, so the worker silenced the node for good (the main thread must fail stop).
 * `peer`: see peer-watch.ts. */
export type FromWorker =
  | { t: "ready" }
  | { t: "pong" }
  | { t: "silenced"; silentMs: number }
  | { t: "fatal"; message: string }
  | { t: "warn"; message: string }
  | { t: "decisions"; at: number; lines: string[] }
  | { t: "action"; at: number; action: ClusterAction }
  | { t: "links"; at: number; peers: ClusterStatus["peers"] }
  /** A peer's reported groups changed, or it is no longer heard (for the timeline). */
  | { t: "peer"; change: PeerChange }
  | { t: "status"; id: number; status: WorkerStatus };
