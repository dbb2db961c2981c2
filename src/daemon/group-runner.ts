// Starts and stops resource groups as the cluster core asks: resources start in order and stop in
// reverse; a start that fails is stopped too (it may have left a daemon behind), with what was
// already started. Operations on one group never overlap. A stop that fails or times out escalates
// (see stop-escalation.ts): the resource counts as stopped once a kill made sure it is gone or the
// last resort ran.
// While a group runs, each resource with a `monitor` is checked on its interval; a resource found
// stopped or failed is reported to the core, which restarts the group or moves it away. A reload
// replaces a group's resources in the same queue: only the changed tail of a running group restarts.
import type { Logger } from "../adapters/logger.js";
import type { ResourceAgent } from "../adapters/resources/resource-agent.js";
import type { ClusterEvent } from "../core/cluster/node.js";
import { StartSlots } from "./start-slots.js";
import { stopWithEscalation, type LastResort } from "./stop-escalation.js";

/** A group action of the core. */
export type GroupAction = { kind: "start" | "stop"; group: string };

/** How a reconfigure ended: done; a new resource failed to start (reported as a failure); an old one
 * failed to stop (unclean); or deferred until the group stops cleanly. */
export type ReconfigureOutcome = "done" | "start-failed" | "stop-failed" | "deferred";

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
  /** Groups whose resources may be active here: from the first start until a stop succeeded. */
  private up = new Set<string>();
  /** Removed from the config: forgotten once stopped here. */
  private retired = new Set<string>();
  /** New resource lists waiting for the group to stop cleanly (a stop of the old ones failed). */
  private deferred = new Map<string, ManagedResource[]>();
  /** Starts wait here for one of the node's start slots. */
  private readonly slots = new StartSlots();

  constructor(
    private resources: Map<string, ManagedResource[]>,
    private report: (e: ClusterEvent) => void,
    private log: Logger,
    /** Told of every operation's outcome (metrics). */
    private onOp: (group: string, op: "start" | "stop" | "monitor", ok: boolean) => void = () => undefined,
    /** `cluster.last_resort`: run when a failed stop could not be ended by a kill either. */
    private lastResort?: LastResort,
  ) {}

  private agentsOf(group: string): ResourceAgent[] {
    return (this.resources.get(group) ?? []).map((r) => r.agent);
  }

  /** Queues an action behind any operation already running on the same group. */
  run(action: GroupAction): Promise<void> {
    if (action.kind === "stop") {
      this.slots.cancel(action.group);
      return this.enqueue(action.group, () => this.stop(action.group));
    }
    return this.enqueue(action.group, async () => {
      if (!(await this.slots.acquire(action.group))) return;
      try {
        await this.start(action.group);
      } finally {
        this.slots.release();
      }
    });
  }

  /** Whether the group's resources may be active here. */
  isUp(group: string): boolean {
    return this.up.has(group);
  }

  /** Takes a group's new resources (a reload; a new group when unknown), queued behind its operations.
   * When the group is up here, the first `keep` resources stay up, the old rest stops in reverse and the
   * new rest starts in order. Kept resources keep their agent, except the indexes in `refresh` (a new
   * monitor setting). A failed start is reported as a failure (the core restarts or moves the group); a
   * failed stop as stop-failed, and the old list stays until a later stop succeeds. */
  reconfigure(
    group: string,
    next: ManagedResource[],
    keep: number,
    refresh: readonly number[] = [],
  ): Promise<ReconfigureOutcome> {
    this.retired.delete(group);
    let outcome: ReconfigureOutcome = "done";
    return this.enqueue(group, async () => {
      const old = this.resources.get(group) ?? [];
      const merged = next.map((r, i) => (i < keep && !refresh.includes(i) ? (old[i] ?? r) : r));
      if (this.deferred.has(group)) {
        outcome = "deferred";
        return void this.deferred.set(group, merged);
      }
      if (!this.up.has(group)) return void this.resources.set(group, merged);
      if (
        !(await this.stopAgents(
          group,
          old
            .slice(keep)
            .map((r) => r.agent)
            .reverse(),
        ))
      ) {
        outcome = "stop-failed";
        this.deferred.set(group, merged);
        this.log.error(
          { group },
          `${group}: a resource removed by the reload could not be stopped; the node is unclean for ${group} until \`vigil cleanup ${group}\``,
        );
        return this.report({ kind: "stop-failed", group });
      }
      this.resources.set(group, merged);
      for (const r of merged.slice(keep)) {
        const res = await r.agent.start();
        this.onOp(group, "start", res.ok);
        if (res.detail) this.log.info({ group, op: "start", ok: res.ok, output: res.output || undefined }, res.detail);
        if (!res.ok) {
          this.log.error({ group }, `${group}: start failed at ${r.agent.description} after the reload`);
          outcome = "start-failed";
          return this.report({ kind: "failed", group });
        }
      }
      if ((this.pending.get(group) ?? 1) <= 1) this.startMonitors(group);
    }).then(() => outcome);
  }

  /** Forgets a group removed from the config once it is stopped here (the core stops it). */
  retire(group: string): Promise<void> {
    this.retired.add(group);
    return this.enqueue(group, async () => this.forgetIfRetired(group));
  }

  private forgetIfRetired(group: string): void {
    if (!this.retired.has(group) || this.up.has(group)) return;
    this.retired.delete(group);
    this.resources.delete(group);
    this.deferred.delete(group);
  }

  private enqueue(group: string, op: () => Promise<void>): Promise<void> {
    this.stopMonitors(group);
    this.pending.set(group, (this.pending.get(group) ?? 0) + 1);
    const prev = this.queues.get(group) ?? Promise.resolve();
    const next = prev.then(op).finally(() => this.pending.set(group, (this.pending.get(group) ?? 1) - 1));
    this.queues.set(group, next);
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
        this.log.error(
          { group, op: "monitor", output: m.output || undefined },
          `${group}: ${m.detail}: resource ${m.state === "stopped" ? "stopped unexpectedly" : "failed"}`,
        );
        this.stopMonitors(group);
        this.report({ kind: "failed", group });
      };
      const i = timers.length;
      timers.push(setTimeout(() => void tick(), r.monitorEveryMs));
    }
    this.monitors.set(group, timers);
  }

  private async start(group: string): Promise<void> {
    const agents = this.agentsOf(group);
    this.up.add(group);
    for (const [i, agent] of agents.entries()) {
      const r = await agent.start();
      this.onOp(group, "start", r.ok);
      if (r.detail) this.log.info({ group, op: "start", ok: r.ok, output: r.output || undefined }, r.detail);
      if (!r.ok) {
        this.log.error(
          { group },
          `${group}: start failed at ${agent.description}; stopping it and what was started before it`,
        );
        if (await this.stopAgents(group, agents.slice(0, i + 1).reverse())) {
          this.up.delete(group);
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
    if (await this.stopAgents(group, this.agentsOf(group).reverse())) {
      this.up.delete(group);
      const next = this.deferred.get(group);
      if (next) this.resources.set(group, next);
      this.deferred.delete(group);
      this.forgetIfRetired(group);
      this.log.info({ group }, `${group} stopped`);
      this.report({ kind: "stopped", group });
    } else {
      this.log.error(
        { group },
        `${group}: a resource could not be stopped; the node is unclean for ${group} until \`vigil cleanup ${group}\``,
      );
      this.report({ kind: "stop-failed", group });
    }
  }

  /** Stops every agent (all are tried even after a failure), escalating a failed stop (kill, then the
   * last resort); true when each is stopped or escalated away. */
  private stopAgents(group: string, agents: ResourceAgent[]): Promise<boolean> {
    return stopWithEscalation(group, agents, {
      lastResort: this.lastResort,
      log: (level, msg, output) => this.log[level]({ group, op: "stop", output }, msg),
      onStop: (ok) => this.onOp(group, "stop", ok),
    });
  }
}
