// What one node remembers of the last window, in memory: group states per node (its own exactly, its
// peers' as their heartbeats said), its decisions, heartbeat gap samples per peer link, health check
// outcomes, virtual and real server counters, and group operation times. Pure: every call carries
// its time; older entries are dropped as new ones come and when a view is taken.
import { servingGaps } from "./gaps.js";
import type {
  BandSegment,
  BandState,
  CheckSample,
  GroupTimeline,
  HeartbeatSample,
  HistoryDecision,
  HistoryView,
  OperationSample,
  RealServerSample,
  VirtualServerSample,
} from "./types.js";

/** A state change of a group on a node. */
interface Transition {
  at: number;
  state: BandState;
}

/** The counters of a virtual server to sample (a subset of VirtualServerStatus). */
export interface VirtualServerCounters {
  name: string;
  active: number;
  total: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
  realServers: { address: string; up: boolean; active: number; total: number }[];
}

/** Fixed facts of the history: who keeps it, how long, and the heartbeat timers. */
export interface HistoryOptions {
  node: string;
  windowMs: number;
  intervalMs: number;
  leaseMs: number;
}

/** Drops entries older than `cutoff` from the front of a time-ordered list. */
function trim<T extends { at: number }>(list: T[], cutoff: number): void {
  let n = 0;
  while (n < list.length && (list[n] as T).at < cutoff) n++;
  if (n > 0) list.splice(0, n);
}

/** Appends to the list under `key`, creating it. */
function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

/** The in-memory history of one node. */
export class HistoryRecorder {
  /** Per "group\0node": transitions, oldest first; the last one before the window is kept. */
  private bands = new Map<string, Transition[]>();
  private decisions: HistoryDecision[] = [];
  private heartbeats = new Map<string, HeartbeatSample[]>();
  private checks = new Map<string, CheckSample[]>();
  private vs = new Map<string, VirtualServerSample[]>();
  private real = new Map<string, RealServerSample[]>();
  private operations: OperationSample[] = [];

  constructor(private o: HistoryOptions) {}

  /** The window (ms), e.g. after a reload changed api.history. */
  setWindow(ms: number): void {
    this.o = { ...this.o, windowMs: ms };
  }

  /** `group` is in `state` on `node` from `at` on (no entry when the state is unchanged). */
  groupState(at: number, node: string, group: string, state: BandState): void {
    const key = `${group}\0${node}`;
    const list = this.bands.get(key);
    const last = list?.[list.length - 1];
    if (last?.state === state) return;
    if (last && at < last.at) at = last.at;
    push(this.bands, key, { at, state });
    this.trimBand(key, at);
  }

  /** A decision sentence (or resource event) of `node`. */
  decision(at: number, node: string, text: string): void {
    this.decisions.push({ at, node, text });
    trim(this.decisions, at - this.o.windowMs);
  }

  /** Heartbeat gap statistics of a peer link ("peer/link"). */
  heartbeat(at: number, link: string, s: { p50: number; p99: number; max: number }): void {
    push(this.heartbeats, link, { at, p50: s.p50, p99: s.p99, max: s.max });
    trim(this.heartbeats.get(link) as HeartbeatSample[], at - this.o.windowMs);
  }

  /** A health check's outcome for a real server of a virtual server. */
  check(at: number, vs: string, address: string, ok: boolean, ms: number): void {
    const key = `${vs}\0${address}`;
    push(this.checks, key, { at, ok, ms: Math.round(ms * 10) / 10 });
    trim(this.checks.get(key) as CheckSample[], at - this.o.windowMs);
  }

  /** The counters of every virtual server and its real servers at `at`. */
  traffic(at: number, list: readonly VirtualServerCounters[]): void {
    const cutoff = at - this.o.windowMs;
    for (const v of list) {
      const { name, active, total, refused, bytesIn, bytesOut } = v;
      push(this.vs, name, { at, active, total, refused, bytesIn, bytesOut });
      trim(this.vs.get(name) as VirtualServerSample[], cutoff);
      for (const r of v.realServers) {
        const key = `${name}\0${r.address}`;
        push(this.real, key, { at, up: r.up, active: r.active, total: r.total });
        trim(this.real.get(key) as RealServerSample[], cutoff);
      }
    }
  }

  /** A group start or stop here that took `ms`. */
  operation(at: number, group: string, op: "start" | "stop", ms: number, ok: boolean): void {
    this.operations.push({ at, group, op, ms: Math.round(ms), ok });
    trim(this.operations, at - this.o.windowMs);
  }

  /** Forgets a group (removed by a reload). */
  forgetGroup(group: string): void {
    for (const key of [...this.bands.keys()]) if (key.startsWith(`${group}\0`)) this.bands.delete(key);
  }

  /** Keeps the transitions inside the window and the last one before it (the state at its start). */
  private trimBand(key: string, now: number): void {
    const list = this.bands.get(key);
    if (!list) return;
    const cutoff = now - this.o.windowMs;
    let n = 0;
    while (n + 1 < list.length && (list[n + 1] as Transition).at <= cutoff) n++;
    if (n > 0) list.splice(0, n);
  }

  /** Each group's timeline over the window ending at `now`. */
  private timelines(now: number): Record<string, GroupTimeline> {
    const from = now - this.o.windowMs;
    const byGroup = new Map<string, Record<string, BandSegment[]>>();
    for (const key of [...this.bands.keys()].sort()) {
      this.trimBand(key, now);
      const [group = "", node = ""] = key.split("\0");
      const list = this.bands.get(key) ?? [];
      const segs: BandSegment[] = list
        .map((t, i) => ({ state: t.state, from: Math.max(t.at, from), to: list[i + 1]?.at ?? null }))
        .filter((s) => s.to === null || s.to > from);
      const nodes = byGroup.get(group) ?? {};
      nodes[node] = segs;
      byGroup.set(group, nodes);
    }
    const out: Record<string, GroupTimeline> = {};
    for (const [group, nodes] of byGroup) out[group] = { nodes, gaps: servingGaps(nodes, now) };
    return out;
  }

  /** Everything kept, over the window ending at `now`. */
  view(now: number): HistoryView {
    const cutoff = now - this.o.windowMs;
    const nested = <T extends { at: number }>(map: Map<string, T[]>) => {
      const out: Record<string, Record<string, T[]>> = {};
      for (const [key, list] of map) {
        trim(list, cutoff);
        const [outer = "", inner = ""] = key.split("\0");
        (out[outer] ??= {})[inner] = [...list];
      }
      return out;
    };
    const flat = <T extends { at: number }>(map: Map<string, T[]>) => {
      const out: Record<string, T[]> = {};
      for (const [key, list] of map) {
        trim(list, cutoff);
        out[key] = [...list];
      }
      return out;
    };
    trim(this.decisions, cutoff);
    trim(this.operations, cutoff);
    return {
      node: this.o.node,
      now,
      from: cutoff,
      windowMs: this.o.windowMs,
      intervalMs: this.o.intervalMs,
      leaseMs: this.o.leaseMs,
      groups: this.timelines(now),
      decisions: [...this.decisions],
      heartbeats: flat(this.heartbeats),
      checks: nested(this.checks),
      virtualServers: flat(this.vs),
      realServers: nested(this.real),
      operations: [...this.operations],
    };
  }
}
