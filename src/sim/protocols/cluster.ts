// The cluster core in the simulator, with its safety and liveness checkers.
// Safety: no two nodes ever hold a valid lease on the same lock (a group, or leadership) at the same
// real instant, each judged by its own drifting clock; and a running node never runs a group without
// its lease. Liveness: once faults stop, one leader and every group running on exactly one node.
import { LEADER_LOCK, type ClusterSpec } from "../../core/cluster/spec.js";
import { decodeMessage, describeMessage, encodeMessage, type ClusterMsg } from "../../core/cluster/messages.js";
import { ClusterNode, type ClusterAction, type ClusterEvent, type ClusterView } from "../../core/cluster/node.js";
import type { Invariant, Observation } from "../invariants.js";
import type { SimProtocol } from "../world.js";

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
}

/** Builds the spec of a simulated cluster: n1 has the highest priority; groups prefer different nodes. */
export function simSpec(o: ClusterSimOptions): ClusterSpec {
  const members = Array.from({ length: o.nodes }, (_, i) => ({
    name: `n${i + 1}`, priority: 200 - i * 10, votes: 1, witness: o.witness && i === o.nodes - 1,
  }));
  const total = members.reduce((s, m) => s + m.votes, 0);
  const runners = members.filter((m) => !m.witness).map((m) => m.name);
  const groups = Array.from({ length: o.groups }, (_, i) => ({
    name: `g${i + 1}`, prefer: [runners[i % runners.length] as string], failback: i % 2 === 1, migrationThreshold: 3, stopBudget: 0,
  }));
  return {
    clusterName: "sim", members, groups, interval: o.interval, lease: o.lease, driftMargin: 0.05,
    quorumVotes: Math.floor(total / 2) + 1, quorumMode: o.twoNode ? "two_node" : "majority", failbackSettle: 4 * o.lease,
    fence: o.twoNode, tiebreaker: false,
  };
}

/** No two nodes hold a lease on the same lock; no node runs a group without its lease. */
export function safety(spec: ClusterSpec): Invariant<ClusterView> {
  const locks = [LEADER_LOCK, ...spec.groups.map((g) => g.name)];
  return {
    name: "one holder per lock",
    safety(obs: Observation<ClusterView>) {
      for (const lock of locks) {
        const holders = obs.nodes.filter((n) => n.view?.holds.includes(lock)).map((n) => n.id);
        if (holders.length > 1) return `${holders.join(" and ")} both hold ${lock === LEADER_LOCK ? "leadership" : lock}`;
      }
      for (const n of obs.nodes) {
        if (!n.view || n.paused) continue;
        for (const [g, state] of Object.entries(n.view.groups)) {
          if ((state === "starting" || state === "running") && !n.view.holds.includes(g)) return `${n.id} runs ${g} (${state}) without holding its lease`;
        }
      }
      return undefined;
    },
  };
}

/** Once faults stop: one leader, and every group of `spec` running on exactly one node. */
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
        if (!runners.some((m) => obs.nodes.find((n) => n.id === m.name)?.view?.groups[g.name] !== "unclean")) continue;
        const running = up.filter((n) => n.view?.groups[g.name] === "running" && n.view.holds.includes(g.name));
        if (running.length !== 1) return `${g.name} runs on ${running.length} nodes`;
      }
      return undefined;
    },
  };
}

/** The cluster core as a simulator protocol. */
export function clusterProtocol(o: Partial<ClusterSimOptions> = {}): SimProtocol<ClusterMsg, ClusterAction, ClusterEvent, ClusterView> {
  const opts: ClusterSimOptions = { nodes: 3, witness: false, groups: 2, interval: 25, lease: 150, twoNode: false, ...o };
  const spec = simSpec(opts);
  const busyUntil = new Map<string, number>();
  return {
    name: `cluster core (${opts.nodes} nodes${opts.witness ? " incl. witness" : ""}${opts.twoNode ? ", two_node with fencing" : ""}, ${opts.groups} groups)`,
    nodes: spec.members.map((m) => m.name),
    interval: opts.interval,
    lease: opts.lease,
    maxDrift: 0.02,
    faultyFor: 4000,
    calmFor: 2000,
    livenessBound: 3 * opts.lease + 10 * opts.interval,
    maxEvents: 8000 * opts.nodes * opts.nodes,
    create: (id, inc, now) => new ClusterNode(spec, id, inc, now),
    onAction(id, action, prng, realNow) {
      if (action.kind === "fence") {
        const delay = prng.between(1, 50);
        return [{ delay, crash: action.node }, { delay, event: { kind: "fenced", node: action.node, ok: true } }];
      }
      if (action.kind === "command-result") return [];
      const key = `${id}/${action.group}`;
      const at = Math.max(realNow, busyUntil.get(key) ?? 0) + prng.between(0.1, 5);
      busyUntil.set(key, at);
      const failsToStop = action.kind === "stop" && prng.chance(0.02);
      return [{ delay: at - realNow, event: { kind: action.kind === "start" ? "started" : failsToStop ? "stop-failed" : "stopped", group: action.group } }];
    },
    invariants: () => [safety(spec), liveness(spec)],
    operatorInputs(prng, faultyFor) {
      const runners = spec.members.filter((m) => !m.witness).map((m) => m.name);
      const out: { at: number; node: string; event: ClusterEvent }[] = [];
      let id = 1;
      const count = prng.int(4);
      for (let i = 0; i < count; i++) {
        const at = prng.between(0, faultyFor);
        const via = prng.pick(spec.members).name;
        const kind = prng.int(3);
        if (kind === 0 && spec.groups.length > 0) out.push({ at, node: via, event: { kind: "command", id: id++, cmd: { kind: "move", group: prng.pick(spec.groups).name, node: prng.pick(runners) } } });
        else if (kind === 1 && runners.length > 1) {
          const node = prng.pick(runners);
          out.push({ at, node: via, event: { kind: "command", id: id++, cmd: { kind: "standby", node } } });
          out.push({ at: at + prng.between(50, 1500), node: prng.pick(spec.members).name, event: { kind: "command", id: id++, cmd: { kind: "online", node } } });
        } else out.push({ at, node: via, event: { kind: "command", id: id++, cmd: { kind: "cleanup", group: prng.pick(spec.groups).name } } });
      }
      return out;
    },
    describeMessage,
    codec: {
      encode: encodeMessage,
      decode: (bytes) => {
        const r = decodeMessage(bytes);
        return r.ok ? r.msg : undefined;
      },
    },
    describeAction: (a) => `${a.kind} ${a.kind === "fence" ? a.node : a.kind === "command-result" ? a.message : a.group}`,
    describeEvent: (e) => JSON.stringify(e),
  };
}
