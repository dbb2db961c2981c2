// Starts and stops resource groups as the cluster core asks: resources start in order and stop in
// reverse; a start that fails stops what was already started. Operations on one group never overlap.
import type { Logger } from "../adapters/logger.js";
import type { ResourceAgent } from "../adapters/resources/agent.js";
import type { ClusterAction, ClusterEvent } from "../core/cluster/node.js";

/** Runs the start/stop actions of all groups and reports their outcome as core events. */
export class GroupRunner {
  private queues = new Map<string, Promise<void>>();

  constructor(private agents: Map<string, ResourceAgent[]>, private report: (e: ClusterEvent) => void, private log: Logger) {}

  /** Queues an action behind any operation already running on the same group. */
  run(action: ClusterAction): Promise<void> {
    const prev = this.queues.get(action.group) ?? Promise.resolve();
    const next = prev.then(() => (action.kind === "start" ? this.start(action.group) : this.stop(action.group)));
    this.queues.set(action.group, next);
    return next;
  }

  private async start(group: string): Promise<void> {
    const agents = this.agents.get(group) ?? [];
    for (const [i, agent] of agents.entries()) {
      const r = await agent.start();
      this.log.info({ group, op: "start", ok: r.ok, output: r.output || undefined }, r.detail);
      if (!r.ok) {
        this.log.error({ group }, `${group}: start failed at ${agent.description}; stopping what was started`);
        await this.stopAgents(group, agents.slice(0, i).reverse());
        this.report({ kind: "stopped", group });
        this.report({ kind: "failed", group });
        return;
      }
    }
    this.log.info({ group }, `${group} running`);
    this.report({ kind: "started", group });
  }

  private async stop(group: string): Promise<void> {
    await this.stopAgents(group, [...(this.agents.get(group) ?? [])].reverse());
    this.log.info({ group }, `${group} stopped`);
    this.report({ kind: "stopped", group });
  }

  private async stopAgents(group: string, agents: ResourceAgent[]): Promise<void> {
    for (const agent of agents) {
      const r = await agent.stop();
      if (r.ok) this.log.info({ group, op: "stop", output: r.output || undefined }, r.detail);
      else this.log.error({ group, op: "stop", output: r.output || undefined }, `${r.detail} (stop failed)`);
    }
  }
}
