// Ground truth for the simulator: where each group's resources are really active, whatever the nodes
// believe. A group counts as active on a node from the moment its start is issued until a stop has
// really finished there: the runner's own stop (quick, slow, or hanging until the daemon kills it), the
// last resort (a stop that cannot be killed reboots the node), or the guard's, which takes a silent
// daemon's groups over once their lease cover has run out. Durations are on the node's own clock.
import type { Prng } from "../prng.js";
import type { ActionResult, SimNodeHandle } from "../world.js";

/** What the model needs to know of a group. */
export interface ModelGroup {
  /** The stop budget, ms (0: VIPs only, gone once the guard's removal of them has finished). */
  budget: number;
  /** A clone: not the guard's, so a restarted node need not wait for it to be gone. */
  clone?: boolean;
}

/** The guard's timing: how long it waits for a silent daemon, how long its SIGKILL takes, and how long
 * removing a VIP takes (by the guard or the runner), ms. */
export interface GuardTiming {
  silence: number;
  kill: number;
  removal: number;
}

/** Events the model reports to a node's machine. */
export type ModelEvent = { kind: "started" | "stopped"; group: string } | { kind: "settled" };

/** Where the resources of every group are active, node by node. */
export class ResourceModel {
  /** node → group → ids of activities (one per start) not yet ended. */
  private active = new Map<string, Map<string, Set<number>>>();
  private nextId = 1;
  /** `node/incarnation/group` → local time the runner's queue for that group is busy until. */
  private busy = new Map<string, number>();
  /** `node/incarnation` → number of its latest cover report (each daemon has its own guard). */
  private lines = new Map<string, number>();

  constructor(
    private groups: Map<string, ModelGroup>,
    private guard: GuardTiming,
  ) {}

  /** A booted node asks whether anything of an earlier incarnation is still active here (its old guard
   * still stopping it): answered "settled" once nothing is, checked every 25ms for up to 10s. */
  probe(node: string): ActionResult<ModelEvent>[] {
    let told = false;
    const check = (): ModelEvent | undefined => {
      const left = [...(this.active.get(node) ?? [])].filter(([g, ids]) => ids.size > 0 && !this.groups.get(g)?.clone);
      if (told || left.length > 0) return undefined;
      told = true;
      return { kind: "settled" };
    };
    return Array.from({ length: 400 }, (_, k) => ({ localDelay: k * 25, eventIf: check }));
  }

  /** A node powered off (fenced): nothing of it runs any more. */
  poweredOff(node: string): void {
    this.endAll(node);
  }

  /** Nodes on which the group's resources are active now. */
  activeOn(group: string): string[] {
    return [...this.active]
      .filter(([, gs]) => (gs.get(group)?.size ?? 0) > 0)
      .map(([n]) => n)
      .sort();
  }

  private ids(node: string, group: string): Set<number> {
    let gs = this.active.get(node);
    if (!gs) this.active.set(node, (gs = new Map()));
    let ids = gs.get(group);
    if (!ids) gs.set(group, (ids = new Set()));
    return ids;
  }

  private end(node: string, group: string, ids: readonly number[]): void {
    const set = this.ids(node, group);
    for (const id of ids) set.delete(id);
  }

  private endAll(node: string): void {
    for (const ids of this.active.get(node)?.values() ?? []) ids.clear();
  }

  private budget(group: string): number {
    return this.groups.get(group)?.budget ?? 0;
  }

  /** The runner's share of a stop budget: what is not kept for the guard. */
  private work(group: string): number {
    const budget = this.budget(group);
    return budget > 0 ? budget - this.guard.silence - this.guard.kill : this.guard.removal;
  }

  /** The runner queues operations of one group: the local delay until this one has finished. */
  private queue(node: string, h: SimNodeHandle, group: string, duration: number): number {
    const key = `${node}/${h.incarnation}/${group}`;
    const now = h.localNow();
    const end = Math.max(now, this.busy.get(key) ?? now) + duration;
    this.busy.set(key, end);
    return end - now;
  }

  /** A start issued: active from now; "started" once it finished. */
  start(node: string, group: string, prng: Prng, h: SimNodeHandle): ActionResult<ModelEvent>[] {
    this.ids(node, group).add(this.nextId++);
    const slow = this.budget(group) > 0 && prng.chance(0.3);
    const localDelay = this.queue(node, h, group, slow ? prng.between(5, 400) : prng.between(0.1, 5));
    return [{ localDelay, event: { kind: "started", group } }];
  }

  /** A stop issued by the runner: quick, slow, hanging until the daemon's timer kills it (a paused daemon
   * kills it, and reports it stopped, only once it resumes), or (1%) one that nothing kills, so the last
   * resort reboots the node (only while faults are injected: a reboot is a fault too). */
  stop(node: string, group: string, prng: Prng, h: SimNodeHandle, mayReboot = true): ActionResult<ModelEvent>[] {
    const work = this.work(group);
    const slowStops = this.budget(group) > 0;
    const r = prng.next();
    const ids = [...this.ids(node, group)];
    if (r < 0.01 && mayReboot) {
      const localDelay = this.queue(node, h, group, prng.between(0.9, 1) * work);
      return [
        { localDelay, effect: () => h.running() && this.endAll(node), crash: node },
        { localDelay: localDelay + prng.between(100, 1000), restart: node },
      ];
    }
    const hangs = slowStops && r < 0.15;
    const duration = hangs
      ? prng.between(0.8, 1) * work
      : !slowStops
        ? prng.between(0.1, this.guard.removal)
        : r < 0.6
          ? prng.between(0.1, 5)
          : prng.between(5, 0.6 * work);
    const localDelay = this.queue(node, h, group, duration);
    if (!hangs) return [{ localDelay, effect: () => this.end(node, group, ids), event: { kind: "stopped", group } }];
    let killed = false;
    const kill = (): ModelEvent | undefined => {
      if (killed || !h.running()) return undefined;
      killed = true;
      this.end(node, group, ids);
      return { kind: "stopped", group };
    };
    // The runner's kill escalation, retried until the daemon runs at one of them (a pause can cover the
    // first ones; a kill needs the daemon running, so it comes after the pause, never during it).
    return [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((k) => ({ localDelay: localDelay + k * 25, eventIf: kill }));
  }

  /** A cover report to the guard. If no newer one follows, the guard removes a group of VIPs when its
   * cover runs out; any other group it takes over once the daemon has also been silent for `silence`:
   * a full stop (within the runner's share) if the cover had not run out when the daemon fell silent,
   * else SIGKILL at once (the daemon was already stopping it past its lease). */
  cover(node: string, groups: Record<string, number>, prng: Prng, h: SimNodeHandle): ActionResult<ModelEvent>[] {
    const daemon = `${node}/${h.incarnation}`;
    const line = (this.lines.get(daemon) ?? 0) + 1;
    this.lines.set(daemon, line);
    const silent = () => this.lines.get(daemon) === line;
    return Object.entries(groups).flatMap(([group, left]): ActionResult<ModelEvent>[] => {
      if (this.budget(group) === 0) {
        let taken: number[] = [];
        const removal = prng.between(0.1, this.guard.removal);
        return [
          { localDelay: left, effect: () => void (taken = silent() ? [...this.ids(node, group)] : []) },
          { localDelay: left + removal, effect: () => this.end(node, group, taken) },
        ];
      }
      const takeover = Math.max(left, this.guard.silence);
      const takes = left > 0 ? prng.between(0.1, this.work(group)) : prng.between(0.1, this.guard.kill);
      let taken: number[] = [];
      return [
        { localDelay: takeover, effect: () => void (taken = silent() ? [...this.ids(node, group)] : []) },
        { localDelay: takeover + takes, effect: () => this.end(node, group, taken) },
      ];
    });
  }
}
