// The cluster core in the simulator, driven through the same NodeDriver the daemon runs, with a model of
// the resources behind it and its safety and liveness checkers.
// Safety: no two nodes hold a valid lease on the same lock (a group, or leadership) at the same real
// instant, each judged by its own drifting clock; no running node runs a group without its lease; and
// no group's resources are active on two nodes at once, counting a node from the moment it issued the
// start until its stop really finished (or the guard's, or the last resort's). Liveness: once faults
// stop, one leader and every group running on exactly one node.
import { NodeDriver, type DriverAction, type DriverEvent } from "../../core/cluster/driver.js";
import { describeMessage, type ClusterMsg } from "../../core/cluster/messages.js";
import { NameBook, specNames } from "../../core/cluster/wire-ids.js";
import { fromWire, toWire } from "../../adapters/compact-wire.js";
import { ClusterNode, type ClusterView } from "../../core/cluster/node.js";
import { LEADER_LOCK, type ClusterSpec, type GroupSpec } from "../../core/cluster/spec.js";
import type { Invariant, Observation } from "../invariants.js";
import type { SimProtocol } from "../world.js";
import { mutantParts, mutantSpec, type Mutant } from "./mutants.js";
import { ResourceModel } from "./resource-model.js";
import { trackKey, type TrackCheck } from "../../core/cluster/track.js";

/** The ping check of `track` runs (its result is what the schedule changes). */
export const SIM_PING: Extract<TrackCheck, { type: "ping" }> = {
  type: "ping",
  address: "10.0.0.1",
  interval: 100,
  timeout: 100,
  rise: 2,
  fall: 3,
};
/** The clone of `track` runs. */
export const SIM_CLONE = "c1";

/** Options of a simulated cluster. */
export interface ClusterSimOptions {
  nodes: number;
  /** Whether the last node is a resource-less witness. */
  witness: boolean;
  groups: number;
  interval: number;
  lease: number;
  /** Two voting nodes under quorum: two_node, with a fence that powers the peer off. */
  twoNode: boolean;
  /** Stop budget of group i (cycled): 0 is a group of VIPs only; others stop in up to that long. */
  budgets: number[];
  /** A deliberately broken machine the checkers must catch. */
  mutant?: Mutant;
  /** A clone group `c1` on every runner, tracked by every other group together with a ping check whose
   * result changes on random nodes at random times during the faulty part of the run. */
  track?: boolean;
  /** Every group is promotable: runners report random, growing replication positions during the faulty
   * part of the run, and the leader moves a group to the node that received the most. */
  promotable?: boolean;
}

/** The guard's timing in the simulator: it waits 4 intervals for a silent daemon; its SIGKILL takes up to
 * 50ms; removing a VIP takes up to 20ms (less than the fence margin of one interval). */
export const SIM_GUARD = { silence: 100, kill: 50, removal: 20 };

/** Options left out take these. */
export const DEFAULTS: ClusterSimOptions = {
  nodes: 3,
  witness: false,
  groups: 2,
  interval: 25,
  lease: 150,
  twoNode: false,
  budgets: [0, 1200, 500],
};

const wireEncoder = new TextEncoder();
const wireDecoder = new TextDecoder("utf-8", { fatal: true });

/** Builds the spec of a simulated cluster: n1 has the highest priority; groups prefer different nodes. */
export function simSpec(o: ClusterSimOptions): ClusterSpec {
  const members = Array.from({ length: o.nodes }, (_, i) => ({
    name: `n${i + 1}`,
    priority: 200 - i * 10,
    votes: 1,
    witness: o.witness && i === o.nodes - 1,
  }));
  const total = members.reduce((s, m) => s + m.votes, 0);
  const runners = members.filter((m) => !m.witness).map((m) => m.name);
  const groups: GroupSpec[] = Array.from({ length: o.groups }, (_, i) => ({
    name: `g${i + 1}`,
    prefer: [runners[i % runners.length] as string],
    failback: i % 2 === 1,
    migrationThreshold: 3,
    stopBudget: o.budgets[i % o.budgets.length] ?? 0,
    ...(o.track ? { track: [{ type: "group" as const, name: SIM_CLONE }, SIM_PING] } : {}),
    ...(o.promotable ? { promotable: true } : {}),
  }));
  if (o.track)
    groups.push({ name: SIM_CLONE, prefer: [], failback: false, migrationThreshold: 3, stopBudget: 500, clone: true });
  return {
    clusterName: "sim",
    members,
    groups,
    interval: o.interval,
    lease: o.lease,
    driftMargin: 0.05,
    quorumVotes: Math.floor(total / 2) + 1,
    quorumMode: o.twoNode ? "two_node" : "majority",
    failbackSettle: 4 * o.lease,
    fence: o.twoNode,
    tiebreaker: false,
  };
}

/** No two nodes hold a lease on the same lock; no node runs a group without its lease; no group's
 * resources are active on two nodes (when a resource model is given). */
export function safety(spec: ClusterSpec, model?: ResourceModel): Invariant<ClusterView> {
  const locked = spec.groups.filter((g) => !g.clone);
  const locks = [LEADER_LOCK, ...locked.map((g) => g.name)];
  return {
    name: "one holder per lock, resources on one node",
    safety(obs: Observation<ClusterView>) {
      for (const lock of locks) {
        const holders = obs.nodes.filter((n) => n.view?.holds.includes(lock)).map((n) => n.id);
        if (holders.length > 1)
          return `${holders.join(" and ")} both hold ${lock === LEADER_LOCK ? "leadership" : lock}`;
      }
      for (const n of obs.nodes) {
        if (!n.view || n.paused) continue;
        for (const [g, state] of Object.entries(n.view.groups)) {
          if (spec.groups.some((s) => s.name === g && s.clone)) continue; // a clone runs without a lease
          if ((state === "starting" || state === "running") && !n.view.holds.includes(g))
            return `${n.id} runs ${g} (${state}) without holding its lease`;
        }
      }
      for (const g of locked) {
        const on = model?.activeOn(g.name) ?? [];
        if (on.length > 1) return `${g.name}'s resources are active on ${on.join(" and ")} at once`;
      }
      return undefined;
    },
  };
}

/** Once faults stop: one leader, and every group of `spec` running on exactly one node (a group left
 * unclean somewhere is blocked until cleanup and is not expected to run). */
export function liveness(spec: ClusterSpec): Invariant<ClusterView> {
  return {
    name: "leader and every group placed",
    liveness(obs: Observation<ClusterView>) {
      const up = obs.nodes.filter((n) => n.view && !n.paused);
      const leaders = up.filter((n) => n.view?.isLeader);
      if (leaders.length !== 1) return `${leaders.length} leaders`;
      const admin = leaders[0]?.view?.admin;
      const runners = spec.members.filter((m) => !m.witness && !admin?.standby.includes(m.name));
      if (runners.length === 0) return undefined;
      for (const g of spec.groups) {
        if (obs.nodes.some((n) => n.view?.groups[g.name] === "unclean")) continue;
        if (g.clone) {
          const missing = up.filter(
            (n) => runners.some((r) => r.name === n.id) && n.view?.groups[g.name] !== "running",
          );
          if (missing.length > 0) return `clone ${g.name} does not run on ${missing.map((n) => n.id).join(", ")}`;
          continue;
        }
        const running = up.filter((n) => n.view?.groups[g.name] === "running" && n.view.holds.includes(g.name));
        if (running.length !== 1) return `${g.name} runs on ${running.length} nodes`;
      }
      return undefined;
    },
  };
}

/** How long faults are injected, real ms. */
const FAULTY_FOR = 4000;

/** The longest a start takes in the resource model, ms. */
const MAX_START = 400;

/** What a variant of the protocol (rolling reloads) changes. */
export interface ClusterSimHooks {
  /** The spec a node boots with (a reload changes it). */
  specOf?: (id: string) => ClusterSpec;
  /** The spec whose groups the resource model and the safety checker cover (all groups of any spec). */
  everyGroup?: ClusterSpec;
  /** The checkers, given the run's resource model. */
  invariants?: (model: ResourceModel) => Invariant<ClusterView>[];
}

/** The cluster core as a simulator protocol. */
export function clusterProtocol(
  o: Partial<ClusterSimOptions> = {},
  hooks: ClusterSimHooks = {},
): SimProtocol<ClusterMsg, DriverAction, DriverEvent, ClusterView> {
  const opts: ClusterSimOptions = { ...DEFAULTS, ...o };
  const spec = simSpec(opts);
  const covered = hooks.everyGroup ?? spec;
  const specOf = (id: string) => mutantSpec(hooks.specOf?.(id) ?? spec, opts.mutant);
  const parts = mutantParts(opts.mutant);
  const book = new NameBook(specNames(covered, LEADER_LOCK));
  const maxBudget = Math.max(0, ...spec.groups.map((g) => g.stopBudget));
  const maxExtension = Math.max(0, ...spec.groups.map((g) => g.stopBudget / (1 - spec.driftMargin)));
  const livenessBound = 4 * opts.lease + 10 * opts.interval + maxExtension + (maxExtension > 0 ? MAX_START : 0);
  let model = new ResourceModel(new Map(), SIM_GUARD);
  /** `track` runs: per node, the real-time windows in which its ping check fails. */
  let failing = new Map<string, [number, number][]>();
  const pingEvent = (node: string, realNow: number): DriverEvent => {
    const down = (failing.get(node) ?? []).some(([from, to]) => realNow >= from && realNow < to);
    return { kind: "track", key: trackKey(SIM_PING), passing: !down, inARow: 1 };
  };
  return {
    name: `cluster core (${opts.nodes} nodes${opts.witness ? " incl. witness" : ""}${opts.twoNode ? ", two_node with fencing" : ""}, ${opts.groups} groups, stop budgets ${spec.groups.map((g) => g.stopBudget).join("/")}ms${opts.mutant ? `, MUTANT ${opts.mutant}` : ""})`,
    nodes: spec.members.map((m) => m.name),
    interval: opts.interval,
    lease: opts.lease,
    maxDrift: 0.025,
    faultyFor: FAULTY_FOR,
    calmFor: livenessBound + 1500,
    livenessBound,
    maxEvents: 16000 * opts.nodes * opts.nodes,
    create: (id, inc, now) =>
      new NodeDriver(new ClusterNode(specOf(id), id, inc, now, undefined, parts), opts.interval),
    onAction(id, action, prng, realNow, h) {
      switch (action.kind) {
        case "fence": {
          // Powers the peer off; the calm at the end of the faults boots it again. A fence that lands
          // after that is a power cycle (the peer boots 0.3–1.5s later): else it stays down for good.
          const delay = prng.between(1, 50);
          const cycle = realNow + delay >= FAULTY_FOR;
          return [
            { delay, crash: action.node, effect: () => model.poweredOff(action.node) },
            { delay, event: { kind: "fenced", node: action.node, ok: true } },
            ...(cycle ? [{ delay: delay + prng.between(300, 1500), restart: action.node }] : []),
          ];
        }
        case "command-result":
        case "links":
          return [];
        case "cover":
          return model.cover(id, action.groups, prng, h);
        case "probe":
          // A (re)started node learns its ping check's state with its first check.
          return [
            ...model.probe(id),
            ...(opts.track ? [{ delay: prng.between(1, 100), event: pingEvent(id, realNow) }] : []),
          ];
        case "start":
          return model.start(id, action.group, prng, h);
        case "stop":
          return model.stop(id, action.group, prng, h, realNow + maxBudget < FAULTY_FOR);
      }
    },
    invariants: () => {
      model = new ResourceModel(
        new Map(covered.groups.map((g) => [g.name, { budget: g.stopBudget, clone: g.clone === true }])),
        SIM_GUARD,
      );
      return hooks.invariants?.(model) ?? [safety(spec, model), liveness(spec)];
    },
    operatorInputs(prng, faultyFor) {
      const runners = spec.members.filter((m) => !m.witness).map((m) => m.name);
      const out: { at: number; node: string; event: DriverEvent }[] = [];
      let id = 1;
      failing = new Map();
      if (opts.track) {
        // Ping failures on random runners, each healed before the faults end; sometimes on all at once.
        const windows = prng.int(5);
        for (let i = 0; i < windows; i++) {
          const at = prng.between(0, faultyFor * 0.8);
          const to = Math.min(at + prng.between(50, 1500), faultyFor - 1);
          const nodes = prng.chance(0.2) ? runners : [prng.pick(runners)];
          for (const node of nodes) {
            failing.set(node, [...(failing.get(node) ?? []), [at, to]]);
            const key = trackKey(SIM_PING);
            out.push({ at, node, event: { kind: "track", key, passing: false, inARow: SIM_PING.fall } });
            out.push({ at: to, node, event: { kind: "track", key, passing: true, inARow: SIM_PING.rise } });
          }
        }
      }
      if (opts.promotable)
        // Each runner's received position grows at its own pace (a replica lagging more or less).
        for (const node of runners) {
          let seq = 0;
          for (let at = prng.between(0, 200); at < faultyFor; at += prng.between(50, 400)) {
            seq += prng.int(5);
            for (const g of spec.groups)
              out.push({ at, node, event: { kind: "position", group: g.name, received: `0-1-${seq}` } });
          }
        }
      const count = prng.int(4);
      for (let i = 0; i < count; i++) {
        const at = prng.between(0, faultyFor);
        const via = prng.pick(spec.members).name;
        const kind = prng.int(3);
        if (kind === 0 && spec.groups.length > 0)
          out.push({
            at,
            node: via,
            event: {
              kind: "command",
              id: id++,
              cmd: { kind: "move", group: prng.pick(spec.groups).name, node: prng.pick(runners) },
            },
          });
        else if (kind === 1 && runners.length > 1) {
          const node = prng.pick(runners);
          out.push({ at, node: via, event: { kind: "command", id: id++, cmd: { kind: "standby", node } } });
          out.push({
            at: at + prng.between(50, 1500),
            node: prng.pick(spec.members).name,
            event: { kind: "command", id: id++, cmd: { kind: "online", node } },
          });
        } else
          out.push({
            at,
            node: via,
            event: { kind: "command", id: id++, cmd: { kind: "cleanup", group: prng.pick(spec.groups).name } },
          });
      }
      return out;
    },
    describeMessage,
    // The compact wire form of the real frames (names as ids), named back with every name of the run.
    codec: {
      encode: (m) => wireEncoder.encode(JSON.stringify(toWire(m))),
      decode: (bytes) => {
        try {
          return fromWire(JSON.parse(wireDecoder.decode(bytes)), book);
        } catch {
          return undefined;
        }
      },
    },
    ...DRIVER_TRACE,
  };
}

/** How a driven member's actions and events read in a trace (shared with the etcd protocol). */
export const DRIVER_TRACE = {
  describeAction: (a: DriverAction): string => {
    switch (a.kind) {
      case "fence":
        return `fence ${a.node}`;
      case "command-result":
        return `command-result ${a.message}`;
      case "cover":
        return `cover ${JSON.stringify(a.groups)}`;
      case "links":
        return "links";
      case "probe":
        return "probe";
      default:
        return `${a.kind} ${a.group}`;
    }
  },
  quietAction: (a: DriverAction): boolean => a.kind === "cover" || a.kind === "links",
  describeEvent: (e: DriverEvent): string => JSON.stringify(e),
};
