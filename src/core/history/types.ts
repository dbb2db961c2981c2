// The shape of GET /history: what one node remembers of the last window, for the page's timeline and
// charts, `vigil report`, the demo's text timeline and scripts. Times are wall-clock ms.

/** A group's state on one node over a stretch of time. The node's own states are exact (from its
 * resource layer); a peer's are what its heartbeats said: `active` (starting, running or stopping
 * there), `stopped`, or `offline` (not heard within the lease; its band ends at its last heartbeat). */
export type BandState = "starting" | "running" | "stopping" | "stopped" | "failed" | "unclean" | "active" | "offline";

/** One stretch of a band: `to` is null while it lasts. */
export interface BandSegment {
  state: BandState;
  from: number;
  to: number | null;
}

/** A stretch during which no node served a group (no node running it, as this node saw it). */
export interface ServingGap {
  from: number;
  /** null while the gap lasts. */
  to: number | null;
  /** Its length so far, ms. */
  ms: number;
  /** Who served before and after (undefined when unknown or not yet). */
  before?: string;
  after?: string;
}

/** One group's timeline: a band per node, and the gaps without a server. */
export interface GroupTimeline {
  nodes: Record<string, BandSegment[]>;
  gaps: ServingGap[];
}

/** One decision sentence or resource event of the node serving the history. */
export interface HistoryDecision {
  at: number;
  node: string;
  text: string;
}

/** Heartbeat gap statistics of one peer link at one time (over the worker's recent window), ms. */
export interface HeartbeatSample {
  at: number;
  p50: number;
  p99: number;
  max: number;
}

/** One health check's outcome. */
export interface CheckSample {
  at: number;
  ok: boolean;
  ms: number;
}

/** A virtual server's counters at one time. */
export interface VirtualServerSample {
  at: number;
  active: number;
  total: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
}

/** A real server's state and counters at one time. */
export interface RealServerSample {
  at: number;
  up: boolean;
  active: number;
  total: number;
}

/** One group start or stop on this node and how long it took. */
export interface OperationSample {
  at: number;
  group: string;
  op: "start" | "stop";
  ms: number;
  ok: boolean;
}

/** GET /history. */
export interface HistoryView {
  /** The node that kept it. */
  node: string;
  now: number;
  /** Start of the window (now - windowMs). */
  from: number;
  windowMs: number;
  /** The cluster's heartbeat interval and lease, ms (the charts draw the lease as a line). */
  intervalMs: number;
  leaseMs: number;
  groups: Record<string, GroupTimeline>;
  decisions: HistoryDecision[];
  /** Per "peer/link". */
  heartbeats: Record<string, HeartbeatSample[]>;
  /** Per virtual server, per real server address. */
  checks: Record<string, Record<string, CheckSample[]>>;
  virtualServers: Record<string, VirtualServerSample[]>;
  /** Per virtual server, per real server address. */
  realServers: Record<string, Record<string, RealServerSample[]>>;
  operations: OperationSample[];
}
