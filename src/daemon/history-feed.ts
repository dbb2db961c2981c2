// Feeds the node's in-memory history (src/core/history) from the daemon: its own group states as its
// resource layer reports them (exact), its peers' as the cluster thread heard them, its decisions,
// health check outcomes, group operation times, and once a second the heartbeat gaps per peer link
// and the virtual servers' counters.
import type { ClusterAction, ClusterEvent } from "../core/cluster/node.js";
import { HistoryRecorder, type HistoryOptions, type VirtualServerCounters } from "../core/history/recorder.js";
import type { HistoryView } from "../core/history/types.js";
import type { GapSummary } from "./heartbeat-gaps.js";
import type { PeerChange } from "./peer-watch.js";

/** How often heartbeat gaps and virtual server counters are sampled, ms. */
export const SAMPLE_MS = 1000;

/** What the feed samples once a second. */
export interface HistorySources {
  /** The groups this node knows and the worker's heartbeat gap summary. */
  status(): Promise<{ groups: Record<string, string>; heartbeatGaps: Record<string, GapSummary> }>;
  virtualServers(): readonly VirtualServerCounters[];
}

/** The daemon's history: call its methods as things happen; `view()` for GET /history. */
export class HistoryFeed {
  private recorder: HistoryRecorder;
  private groups: Set<string>;
  /** Groups with a start or stop under way here: which and since when. */
  private ops = new Map<string, { op: "start" | "stop"; at: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private o: HistoryOptions,
    groups: readonly string[],
    private sources: HistorySources,
    private now: () => number = Date.now,
  ) {
    this.recorder = new HistoryRecorder(o);
    this.groups = new Set(groups);
    const at = now();
    for (const g of this.groups) this.recorder.groupState(at, o.node, g, "stopped");
  }

  /** Samples every SAMPLE_MS until stop(). */
  start(): void {
    const tick = () => {
      void this.sample().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, SAMPLE_MS).unref();
      });
    };
    this.timer = setTimeout(tick, SAMPLE_MS).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  setWindow(ms: number): void {
    this.recorder.setWindow(ms);
  }

  /** One sample of heartbeat gaps and virtual server counters. */
  async sample(): Promise<void> {
    const at = this.now();
    this.recorder.traffic(at, this.sources.virtualServers());
    const s = await this.sources.status().catch(() => undefined);
    if (!s) return;
    for (const [link, g] of Object.entries(s.heartbeatGaps)) this.recorder.heartbeat(at, link, g);
    const names = new Set(Object.keys(s.groups));
    for (const g of this.groups) if (!names.has(g)) this.recorder.forgetGroup(g);
    for (const g of names) if (!this.groups.has(g)) this.recorder.groupState(at, this.o.node, g, "stopped");
    this.groups = names;
  }

  /** An action of the cluster thread: a start or stop issued here. */
  action(a: ClusterAction): void {
    if (a.kind !== "start" && a.kind !== "stop") return;
    const at = this.now();
    this.ops.set(a.group, { op: a.kind, at });
    this.recorder.groupState(at, this.o.node, a.group, a.kind === "start" ? "starting" : "stopping");
  }

  /** An outcome of the resource layer here. */
  groupEvent(e: ClusterEvent): void {
    if (!("group" in e)) return;
    const at = this.now();
    const state =
      e.kind === "started"
        ? "running"
        : e.kind === "stopped"
          ? "stopped"
          : e.kind === "failed"
            ? "failed"
            : e.kind === "stop-failed"
              ? "unclean"
              : undefined;
    if (!state) return;
    const op = this.ops.get(e.group);
    if (op && (e.kind === "started" || e.kind === "stopped" || e.kind === "failed" || e.kind === "stop-failed")) {
      this.ops.delete(e.group);
      this.recorder.operation(at, e.group, op.op, at - op.at, e.kind === "started" || e.kind === "stopped");
    }
    this.recorder.groupState(at, this.o.node, e.group, state);
  }

  /** A peer's reported groups changed, or it is no longer heard. */
  peer(c: PeerChange): void {
    for (const g of this.groups)
      this.recorder.groupState(c.at, c.name, g, !c.alive ? "offline" : c.running.includes(g) ? "active" : "stopped");
  }

  /** A decision sentence of this node. */
  decision(at: number, text: string): void {
    this.recorder.decision(at, this.o.node, text);
  }

  /** A health check outcome. */
  check(vs: string, address: string, ok: boolean, ms: number): void {
    this.recorder.check(this.now(), vs, address, ok, ms);
  }

  view(): HistoryView {
    return this.recorder.view(this.now());
  }
}
