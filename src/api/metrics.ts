// Prometheus metrics at /metrics (prom-client): node and link state, leadership and term, quorum,
// group ownership and starts, resource operations, and dropped packets by reason. Values are read from
// the node's status at scrape time; counters of things that happen are bumped as they happen.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { VirtualServerStatus } from "../core/balancer/status.js";
import type { WorkerStatus } from "../daemon/worker-protocol.js";
import { BalancerMetrics } from "./balancer-metrics.js";
import { clusterInfo } from "./cluster-info.js";
import type { ClusterSpec } from "../core/cluster/spec.js";

/** The metrics of one daemon. */
export class Metrics {
  readonly registry = new Registry();
  /** Resource operations by group, operation and outcome. */
  readonly resourceOps = new Counter({
    name: "vigil_resource_operations_total",
    help: "Resource operations run here",
    labelNames: ["group", "op", "outcome"],
    registers: [this.registry],
  });
  /** Groups started on this node (a failover or move onto it counts one). */
  readonly groupStarts = new Counter({
    name: "vigil_group_starts_total",
    help: "Times a group was started on this node",
    labelNames: ["group"],
    registers: [this.registry],
  });

  /** Virtual server metrics. */
  readonly balancer: BalancerMetrics;

  constructor(
    node: string,
    status: () => Promise<WorkerStatus>,
    spec: ClusterSpec,
    virtualServers: () => VirtualServerStatus[] = () => [],
    trackChecks: () => { check: string; passing: boolean | undefined }[] = () => [],
  ) {
    this.registry.setDefaultLabels({ node });
    collectDefaultMetrics({ register: this.registry, prefix: "vigil_process_" });
    const r = [this.registry];
    this.balancer = new BalancerMetrics(this.registry, virtualServers);
    const peerUp = new Gauge({
      name: "vigil_peer_up",
      help: "1 while a peer is heard within the lease",
      labelNames: ["peer"],
      registers: r,
    });
    const linkUp = new Gauge({
      name: "vigil_link_up",
      help: "1 while a peer is heard on this link",
      labelNames: ["peer", "link"],
      registers: r,
    });
    const leader = new Gauge({
      name: "vigil_is_leader",
      help: "1 while this node holds the leader lease",
      registers: r,
    });
    const term = new Gauge({ name: "vigil_term", help: "Highest leader term this node knows", registers: r });
    const quorum = new Gauge({
      name: "vigil_quorum",
      help: "1 while this node hears a quorum of votes (itself included)",
      registers: r,
    });
    const running = new Gauge({
      name: "vigil_group_running",
      help: "1 while a group runs here with its lease (a clone: while it runs here)",
      labelNames: ["group"],
      registers: r,
    });
    const failures = new Gauge({
      name: "vigil_group_failures",
      help: "Current failure count of a group on this node",
      labelNames: ["group"],
      registers: r,
    });
    const eligible = new Gauge({
      name: "vigil_group_track_passing",
      help: "1 while every track check of a group passes on this node (groups with track: only)",
      labelNames: ["group"],
      registers: r,
    });
    const check = new Gauge({
      name: "vigil_track_check_passing",
      help: "1 while a track check passes on this node, 0 while it fails (absent before its first result)",
      labelNames: ["check"],
      registers: r,
    });
    const drops = new Gauge({
      name: "vigil_dropped_packets",
      help: "Cluster packets dropped since start, by reason",
      labelNames: ["reason"],
      registers: r,
    });
    const refresh = async () => {
      const s = await status();
      leader.set(s.isLeader ? 1 : 0);
      term.set(s.term);
      quorum.set(clusterInfo(spec, s.name, s.peers).quorum.ok ? 1 : 0);
      for (const p of s.peers) {
        peerUp.set({ peer: p.name }, p.alive ? 1 : 0);
        p.links.forEach((up, i) => linkUp.set({ peer: p.name, link: String(i) }, up ? 1 : 0));
      }
      for (const [g, st] of Object.entries(s.groups)) {
        const held = s.holds.includes(g) || (s.clones ?? []).includes(g); // a clone runs without a lease
        running.set({ group: g }, st === "running" && held ? 1 : 0);
        failures.set({ group: g }, s.failures[g] ?? 0);
      }
      for (const g of spec.groups)
        if (g.track && g.track.length > 0) eligible.set({ group: g.name }, s.track?.[g.name] === undefined ? 1 : 0);
      check.reset();
      for (const t of trackChecks()) if (t.passing !== undefined) check.set({ check: t.check }, t.passing ? 1 : 0);
      for (const [reason, n] of Object.entries({ ...s.drops, ...s.transportDrops })) drops.set({ reason }, n);
    };
    this.refresh = refresh;
  }

  private refresh: () => Promise<void>;

  /** The exposition text, fresh. */
  async render(): Promise<string> {
    await this.refresh();
    this.balancer.update();
    return this.registry.metrics();
  }
}
