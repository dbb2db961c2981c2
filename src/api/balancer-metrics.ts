// Prometheus metrics of the virtual servers: serving state, connections, bytes, real server health and
// check outcomes and latency. Totals are read from the proxies at scrape time.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { VirtualServerStatus } from "../core/balancer/status.js";

/** Virtual server metrics registered on a daemon's registry. */
export class BalancerMetrics {
  /** Health check outcomes by virtual server, real server and result (ok | failed). */
  readonly checks: Counter<"vs" | "real_server" | "result">;
  /** Health check durations in seconds. */
  readonly checkLatency: Histogram<"vs">;
  private refresh: () => void;

  constructor(registry: Registry, status: () => VirtualServerStatus[]) {
    const r = [registry];
    this.checks = new Counter({
      name: "vigil_check_results_total",
      help: "Health checks of real servers by result",
      labelNames: ["vs", "real_server", "result"],
      registers: r,
    });
    this.checkLatency = new Histogram({
      name: "vigil_check_duration_seconds",
      help: "How long health checks took",
      labelNames: ["vs"],
      registers: r,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    });
    const serving = new Gauge({
      name: "vigil_vs_serving",
      help: "1 while this node listens for the virtual server",
      labelNames: ["vs"],
      registers: r,
    });
    const active = new Gauge({
      name: "vigil_vs_connections_active",
      help: "Open client connections",
      labelNames: ["vs"],
      registers: r,
    });
    const conns = new Counter({
      name: "vigil_vs_connections_total",
      help: "Client connections accepted",
      labelNames: ["vs"],
      registers: r,
    });
    const refused = new Counter({
      name: "vigil_vs_connections_refused_total",
      help: "Client connections refused (limit reached or no server reachable)",
      labelNames: ["vs"],
      registers: r,
    });
    const bytes = new Counter({
      name: "vigil_vs_bytes_total",
      help: "Bytes proxied, by direction (in: client to server)",
      labelNames: ["vs", "direction"],
      registers: r,
    });
    const rsUp = new Gauge({
      name: "vigil_real_server_up",
      help: "1 while a real server passes its health checks",
      labelNames: ["vs", "real_server"],
      registers: r,
    });
    const rsActive = new Gauge({
      name: "vigil_real_server_connections_active",
      help: "Open connections to a real server",
      labelNames: ["vs", "real_server"],
      registers: r,
    });
    const rsWeight = new Gauge({
      name: "vigil_real_server_weight",
      help: "Weight the scheduler uses now",
      labelNames: ["vs", "real_server"],
      registers: r,
    });
    const rsConns = new Counter({
      name: "vigil_real_server_connections_total",
      help: "Connections (kernel forwarding: flows) sent to a real server",
      labelNames: ["vs", "real_server"],
      registers: r,
    });
    const rsBytes = new Counter({
      name: "vigil_real_server_bytes_total",
      help: "Bytes of a real server's flows by direction (in: client to server); kernel forwarding only",
      labelNames: ["vs", "real_server", "direction"],
      registers: r,
    });
    const seen = new Map<string, number>();
    const advance = (name: string, c: Counter<string>, labels: Record<string, string>, total: number) => {
      const key = `${name}|${JSON.stringify(labels)}`;
      const delta = total - (seen.get(key) ?? 0);
      if (delta > 0) c.inc(labels, delta);
      seen.set(key, total);
    };
    this.refresh = () => {
      for (const v of status()) {
        const vs = { vs: v.name };
        serving.set(vs, v.serving ? 1 : 0);
        active.set(vs, v.active);
        advance("conns", conns, vs, v.total);
        advance("refused", refused, vs, v.refused);
        advance("bytes", bytes, { ...vs, direction: "in" }, v.bytesIn);
        advance("bytes", bytes, { ...vs, direction: "out" }, v.bytesOut);
        for (const rs of v.realServers) {
          const l = { vs: v.name, real_server: rs.address };
          rsUp.set(l, rs.up ? 1 : 0);
          rsActive.set(l, rs.active);
          rsWeight.set(l, rs.effectiveWeight);
          advance("rsConns", rsConns, l, rs.total);
          if (rs.bytesIn !== undefined) advance("rsBytes", rsBytes, { ...l, direction: "in" }, rs.bytesIn);
          if (rs.bytesOut !== undefined) advance("rsBytes", rsBytes, { ...l, direction: "out" }, rs.bytesOut);
        }
      }
    };
  }

  /** Brings the scrape-time values up to date. */
  update(): void {
    this.refresh();
  }
}
