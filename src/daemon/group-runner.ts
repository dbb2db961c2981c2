// Starts and stops resource groups as the cluster core asks: resources start in order and stop in
// reverse; a start that fails stops what was already started. Operations on one group never overlap.
// While a group runs, each resource with a `monitor` is checked on its interval; a resource found
// stopped or failed is reported to the core, which restarts the group or moves it away.
import type { Logger } from "../adapters/logger.js";
import type { ResourceAgent } from "../adapters/resources/agent.js";
import type { ClusterEvent } from "../core/cluster/node.js";

/** A group action of the core. */
export type GroupAction = { kind: "start" | "stop"; group: string };

/** A resource of a group with how often to monitor it (0: never). */
export interface ManagedResource {
  agent: ResourceAgent;
  monitorEveryMs: number;
}

/** Runs the start/stop actions of all groups and reports their outcome as core events. */
export class GroupRunner {
  private queues = new Map<string, Promise<void>>();
  private pending = new Map<string, number>();
  private monitors = new Map<string, NodeJS.Timeout[]>();

  constructor(
    private resources: Map<string, ManagedResource[]>,
    private report: (e: ClusterEvent) => void,
    private log: Logger,
    /** Told of every operation's outcome (metrics). */
    private onOp: (group: string, op: "start" | "stop" | "monitor", ok: boolean) => void = () => undefined,
  ) {}

  private get agents(): Map<string, ResourceAgent[]> {
    return new Map([...this.resources].map(([g, rs]) => [g, rs.map((r) => r.agent)]));
  }

  /** Queues an action behind any operation already running on the same group. */
  run(action: GroupAction): Promise<void> {
    this.stopMonitors(action.group);
    this.pending.set(action.group, (this.pending.get(action.group) ?? 0) + 1);
    const prev = this.queues.get(action.group) ?? Promise.resolve();
    const next = prev
      .then(() => (action.kind === "start" ? this.start(action.group) : this.stop(action.group)))
      .finally(() => this.pending.set(action.group, (this.pending.get(action.group) ?? 1) - 1));
    this.queues.set(action.group, next);
    return next;
  }

  /** Stops every monitor timer (the daemon is leaving). */
  close(): void {
    for (const g of this.monitors.keys()) this.stopMonitors(g);
  }

  private stopMonitors(group: string): void {
    for (const t of this.monitors.get(group) ?? []) clearTimeout(t);
    this.monitors.delete(group);
  }

  private startMonitors(group: string): void {
    const timers: NodeJS.Timeout[] = [];
    for (const r of this.resources.get(group) ?? []) {
      if (r.monitorEveryMs <= 0) continue;
      const tick = async () => {
        if ((this.pending.get(group) ?? 0) > 0 || !this.monitors.has(group)) return;
        const m = await r.agent.monitor();
        this.onOp(group, "monitor", m.state === "running");
        if (!this.monitors.has(group) || (this.pending.get(group) ?? 0) > 0) return;
        if (m.state === "running") {
          timers[i] = setTimeout(() => void tick(), r.monitorEveryMs);
          return;
        }
        this.log.error({ group, op: "monitor", output: m.output || undefined }, `${group}: ${m.detail}: resource ${m.state === "stopped" ? "stopped unexpectedly" : "failed"}`);
        this.stopMonitors(group);
        this.report({ kind: "failed", group });
      };
      const i = timers.length;
      timers.push(setTimeout(() => void tick(), r.monitorEveryMs));
    }
    this.monitors.set(group, timers);
  }

  private async start(group: string): Promise<void> {
    const agents = this.agents.get(group) ?? [];
    for (const [i, agent] of agents.entries()) {
      const r = await agent.start();
      this.onOp(group, "start", r.ok);
      this.log.info({ group, op: "start", ok: r.ok, output: r.output || undefined }, r.detail);
      if (!r.ok) {
        this.log.error({ group }, `${group}: start failed at ${agent.description}; stopping what was started`);
        if (await this.stopAgents(group, agents.slice(0, i).reverse())) {
          this.report({ kind: "stopped", group });
          this.report({ kind: "failed", group });
        } else this.report({ kind: "stop-failed", group });
        return;
      }
    }
    this.log.info({ group }, `${group} running`);
    this.report({ kind: "started", group });
    if ((this.pending.get(group) ?? 1) <= 1) this.startMonitors(group);
  }

  private async stop(group: string): Promise<void> {
    if (await this.stopAgents(group, [...(this.agents.get(group) ?? [])].reverse())) {
      this.log.info({ group }, `${group} stopped`);
      this.report({ kind: "stopped", group });
    } else {
      this.log.error({ group }, `${group}: a resource could not be stopped; the node is unclean for ${group} until \`vigil cleanup ${group}\``);
      this.report({ kind: "stop-failed", group });
    }
  }

  /** Stops every agent (all are tried even after a failure); true when all stopped. */
  private async stopAgents(group: string, agents: ResourceAgent[]): Promise<boolean> {
    let all = true;
    for (const agent of agents) {
      const r = await agent.stop();
      this.onOp(group, "stop", r.ok);
      all &&= r.ok;
      if (r.ok) this.log.info({ group, op: "stop", output: r.output || undefined }, r.detail);
      else this.log.error({ group, op: "stop", output: r.output || undefined }, `${r.detail} (stop failed)`);
    }
    return all;
  }
}
