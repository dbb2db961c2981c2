// The glue between a cluster node and the world around it, shared by the daemon's cluster thread and the
// simulator: after every step it tells the VIP guard how long the lease still covers each group that
// may be active here, reports link state changes, and once the main thread stops answering (the daemon's
// watchdog) it falls silent for good: no heartbeat, no ack, no cover, so the guard stops the groups when
// their leases end and every other node sees this one gone.
import { noOutput, type Machine, type MachineInput, type StepOutput } from "../machine.js";
import type { ClusterAction, ClusterEvent, ClusterStatus, ClusterView } from "./events.js";

/** A cluster member the driver can wrap: the builtin ClusterNode (messages: heartbeats and acks) or the
 * etcd backend's EtcdCoordNode (messages: etcd's answers). */
export interface CoordinatedNode<M> extends Machine<M, ClusterAction, ClusterEvent, ClusterView> {
  /** Per active group, ms the guard may leave it running. */
  groupCover(now: number): Record<string, number>;
  /** Changes whenever the set of groups groupCover reports may change (the group driver's version). */
  coverVersion(): number;
  /** Each peer's links as status() reports them, without the rest of the status. */
  peerLinks(now: number): { name: string; links: boolean[] }[];
  status(now: number): ClusterStatus;
}

/** What the driver adds to the node's actions. `cover`: per group that may be active here, ms its lease
 * still covers it (for the guard). `links`: each peer's links, when any changed. */
export type DriverAction =
  ClusterAction | { kind: "cover"; groups: Record<string, number> } | { kind: "links"; peers: ClusterStatus["peers"] };

/** What the driver takes besides the node's events: the watchdog found the main thread silent. */
export type DriverEvent = ClusterEvent | { kind: "main-silent"; silentMs: number };

/** A cluster node with its guard cover, link reports and watchdog. */
export class NodeDriver<M> implements Machine<M, DriverAction, DriverEvent, ClusterView> {
  private muted = false;
  private lastCoverEmpty = true;
  private lastCoverAt = -Infinity;
  private coveredUntil: Record<string, number> = {};
  private lastCoverVersion = -1;
  /** The earliest time a group's last reported cover runs out. */
  private coverRunsOutAt = Infinity;
  private lastLinks = "";

  /** `interval`: the heartbeat interval; a cover report goes out at least every half of it while any group is active. */
  constructor(
    readonly node: CoordinatedNode<M>,
    private interval: number,
  ) {}

  get id(): string {
    return this.node.id;
  }

  /** Whether the watchdog has silenced this node. */
  get silenced(): boolean {
    return this.muted;
  }

  step(now: number, input: MachineInput<M, DriverEvent>): StepOutput<M, DriverAction> {
    if (this.muted) return noOutput();
    if (input.kind === "local" && input.event.kind === "main-silent") {
      this.muted = true;
      const out = noOutput<M, DriverAction>();
      out.decisions.push(
        `${this.id} stops renewing its leases: its main thread has not answered for ${Math.round(input.event.silentMs)}ms (watchdog); the guard stops its groups as their leases end`,
      );
      return out;
    }
    const out: StepOutput<M, DriverAction> = this.node.step(now, input as MachineInput<M, ClusterEvent>);
    this.cover(now, out.actions);
    if (input.kind === "tick") this.links(now, out.actions);
    return out;
  }

  private cover(now: number, actions: DriverAction[]): void {
    // The same groups are active as at the last report (the version says so without building the cover
    // of every group on each step, which with hundreds of groups is most of a node's work).
    const same = this.node.coverVersion() === this.lastCoverVersion;
    const recent = this.lastCoverEmpty || now - this.lastCoverAt < this.interval / 2;
    if (same && now < this.coverRunsOutAt && recent) return;
    const groups = this.node.groupCover(now);
    // A group whose reported cover has run out (the guard took it as stopping) but that is covered again
    // (started anew) is reported at once: else a freeze before the next report leaves it to no one.
    if (same && recent && !Object.entries(groups).some(([g, left]) => left > 0 && (this.coveredUntil[g] ?? 0) <= now))
      return;
    this.lastCoverVersion = this.node.coverVersion();
    this.lastCoverAt = now;
    this.coveredUntil = {};
    this.coverRunsOutAt = Infinity;
    this.lastCoverEmpty = true;
    for (const [g, left] of Object.entries(groups)) {
      this.coveredUntil[g] = now + left;
      this.coverRunsOutAt = Math.min(this.coverRunsOutAt, now + left);
      this.lastCoverEmpty = false;
    }
    actions.push({ kind: "cover", groups });
  }

  private links(now: number, actions: DriverAction[]): void {
    const key = this.node
      .peerLinks(now)
      .map((p) => `${p.name}:${p.links.map((l) => (l ? 1 : 0)).join("")}`)
      .join(" ");
    if (key === this.lastLinks) return;
    this.lastLinks = key;
    actions.push({ kind: "links", peers: this.node.status(now).peers });
  }

  observe(now: number): ClusterView {
    return this.node.observe(now);
  }
}
