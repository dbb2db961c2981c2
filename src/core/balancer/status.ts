// What a node reports about its virtual servers in /status, the CLI, the web page and metrics.

/** One real server as this node sees it. */
export interface RealServerStatus {
  /** IP:PORT as configured. */
  address: string;
  /** Configured weight. */
  weight: number;
  /** Weight the scheduler uses now: 0 while down under `quiescent`, or while draining. */
  effectiveWeight: number;
  /** Health as decided by rise/fall. */
  up: boolean;
  /** The last check's outcome in words, e.g. "connected in 2ms" or "HTTP 503 (expected 200)". */
  detail: string;
  /** The last check's duration in ms. */
  latencyMs?: number;
  /** Open proxied connections to it. */
  active: number;
  /** Connections proxied to it since start. */
  total: number;
  /** Removed from the config; kept until its connections finish. */
  draining?: boolean;
  /** Kernel forwarding: bytes of its flows from clients, and back (nftables counters). */
  bytesIn?: number;
  bytesOut?: number;
}

/** One virtual server as this node sees it. */
export interface VirtualServerStatus {
  name: string;
  /** IP:PORT it listens on. */
  listen: string;
  scheduler: string;
  /** How it forwards: proxy (userspace), nat or fullnat (nftables); absent means proxy. */
  forward?: string;
  /** tcp or udp (udp only with kernel forwarding). */
  protocol?: string;
  /** The group whose owner serves it; absent when every node serves it. */
  group?: string;
  /** Whether this node is listening now. */
  serving: boolean;
  /** Open client connections. */
  active: number;
  /** Client connections accepted since start. */
  total: number;
  /** Client connections refused (max_connections, or no server to send them to). */
  refused: number;
  /** Bytes from clients to servers and back. */
  bytesIn: number;
  bytesOut: number;
  realServers: RealServerStatus[];
  /** The sorry server and whether it takes connections now (no real server healthy). */
  sorry?: { address: string; inUse: boolean; active: number };
}
