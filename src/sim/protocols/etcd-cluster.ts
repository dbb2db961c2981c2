// `coordination: etcd` in the simulator: the etcd backend's core (EtcdCoordNode) on every member, driven
// through the same NodeDriver the daemon runs, and etcd itself as one more simulated host running the
// in-memory etcd model (src/sim/etcd-model.ts): the schedule's faults reach it like any host, so a member
// cut off from etcd, etcd frozen (SIGSTOP: its clock runs on, leases expire at resume), etcd crashed and
// restarted (an election: no service meanwhile, then every lease extended by its TTL) and messages
// lost, late or duplicated all happen. The checkers are the builtin cluster's: one holder per lock at
// any real instant, each judged by its own drifting clock; no group's resources active on two nodes;
// once faults stop, one leader and every group running once.
import { NodeDriver, type DriverAction, type DriverEvent } from "../../core/cluster/driver.js";
import type { ClusterView } from "../../core/cluster/node.js";
import { EMPTY_ADMIN } from "../../core/cluster/admin.js";
import { EtcdCoordNode, type EtcdCoordSpec } from "../../core/etcd/coord-node.js";
import {
  describeEtcdWire,
  ETCD_PEER,
  type EtcdAnswer,
  type EtcdRequest,
  type EtcdWire,
} from "../../core/etcd/coord-wire.js";
import type { Txn } from "../../core/etcd/kv.js";
import { noOutput, type Machine, type MachineInput, type StepOutput } from "../../core/machine.js";
import { EtcdModel, EtcdModelError } from "../etcd-model.js";
import type { SimProtocol } from "../world.js";
import { DEFAULTS, DRIVER_TRACE, liveness, safety, SIM_GUARD, simSpec, type ClusterSimOptions } from "./cluster.js";
import { ResourceModel } from "./resource-model.js";

/** Deliberately broken etcd members the checkers must catch: `etcd-no-stop-budget` starts a group at once
 * on a lock that vanished with its holder's lease; `etcd-blind-lock` takes a lock without requiring it
 * to be free. */
export type EtcdMutant = "etcd-no-stop-budget" | "etcd-blind-lock";

/** Every etcd mutant. */
export const ETCD_MUTANTS: readonly EtcdMutant[] = ["etcd-no-stop-budget", "etcd-blind-lock"];

class NoBudgetWait extends EtcdCoordNode {
  protected override budgetWait(): number {
    return 0;
  }
}

class BlindLock extends EtcdCoordNode {
  protected override acquireTxn(g: string, lease: string): Txn {
    return { ...super.acquireTxn(g, lease), compare: [] };
  }
}

/** Options of a simulated etcd cluster. */
export interface EtcdSimOptions {
  mutant?: EtcdMutant;
  nodes: number;
  groups: number;
  /** Session TTL, whole seconds. */
  ttlSeconds: number;
  /** Poll interval of the members (also their fence margin), ms. */
  interval: number;
  budgets: number[];
}

const ETCD_DEFAULTS: EtcdSimOptions = { nodes: 3, groups: 3, ttlSeconds: 2, interval: 50, budgets: [0, 1200, 500] };

/** How long an election takes after etcd restarts, ms. */
const ELECTION_MS = 1000;

/** etcd as a simulated host: requests in, answers out, the model's scans and elections on its clock. */
export class EtcdServer implements Machine<EtcdWire, never, never, ClusterView> {
  readonly id = ETCD_PEER;
  constructor(private model: EtcdModel) {}

  step(now: number, input: MachineInput<EtcdWire, never>): StepOutput<EtcdWire, never> {
    this.model.advance(now);
    const out = noOutput<EtcdWire, never>();
    if (input.kind === "message" && input.msg.t === "req") {
      const { id, req } = input.msg;
      try {
        out.sends.push({ to: input.from, msg: { t: "ok", id, answer: this.serve(now, req) } });
      } catch (e) {
        if (!(e instanceof EtcdModelError)) throw e;
        out.sends.push({ to: input.from, msg: { t: "err", id, code: e.code, message: e.message } });
      }
      this.model.compact(this.model.revision);
    }
    out.wakeAt = this.model.nextEventAt();
    return out;
  }

  private serve(now: number, req: EtcdRequest): EtcdAnswer {
    switch (req.op) {
      case "grant": {
        const g = this.model.grant(now, req.ttlSeconds);
        return { op: "grant", lease: g.id, ttlSeconds: g.ttlSeconds };
      }
      case "keepalive":
        return { op: "keepalive", ttlSeconds: this.model.keepAlive(now, req.lease).ttlSeconds };
      case "txn":
        return { op: "txn", result: this.model.txn(now, req.txn) };
      case "range":
        return { op: "range", result: this.model.range(now, req.range) };
    }
  }

  observe(): ClusterView {
    return {
      name: ETCD_PEER,
      inc: 0,
      term: 0,
      isLeader: false,
      leader: undefined,
      holds: [],
      groups: {},
      assignments: {},
      standby: false,
      admin: EMPTY_ADMIN,
    };
  }
}

type Member = NodeDriver<EtcdWire> | EtcdServer;

/** The etcd backend as a simulator protocol. */
export function etcdClusterProtocol(
  o: Partial<EtcdSimOptions> = {},
): SimProtocol<EtcdWire, DriverAction, DriverEvent, ClusterView> {
  const opts: EtcdSimOptions = { ...ETCD_DEFAULTS, ...o };
  const ttl = opts.ttlSeconds * 1000;
  const base: ClusterSimOptions = {
    ...DEFAULTS,
    nodes: opts.nodes,
    groups: opts.groups,
    interval: opts.interval,
    lease: ttl,
    budgets: opts.budgets,
  };
  const spec: EtcdCoordSpec = {
    ...simSpec(base),
    prefix: "/vigil/sim",
    ttlSeconds: opts.ttlSeconds,
    pollEvery: opts.interval,
    requestTimeout: ttl / 3,
    failbackSettle: 2 * ttl,
  };
  const members = spec.members.map((m) => m.name);
  const maxExtension = Math.max(0, ...spec.groups.map((g) => g.stopBudget / (1 - spec.driftMargin)));
  // The last session to run out (TTL, + a scan), then a request round and the stop budget's wait and a
  // start, and a failback's settle; then a failback move.
  const livenessBound = 2 * ttl + 1000 + 20 * opts.interval + maxExtension + 400 + spec.failbackSettle;
  let model = new ResourceModel(new Map(), SIM_GUARD);
  let etcd = new EtcdModel({ minTtlSeconds: 1 });
  return {
    name: `cluster core on etcd (${opts.nodes} nodes + etcd, ${opts.groups} groups, ttl ${opts.ttlSeconds}s, stop budgets ${spec.groups.map((g) => g.stopBudget).join("/")}ms${opts.mutant ? `, MUTANT ${opts.mutant}` : ""})`,
    nodes: [...members, ETCD_PEER],
    interval: opts.interval,
    lease: ttl,
    maxDrift: 0.025,
    faultyFor: 8000,
    calmFor: livenessBound + 1500,
    livenessBound,
    maxEvents: 400_000,
    create: (id, inc, now): Member => {
      if (id === ETCD_PEER) {
        if (inc === 1) etcd = new EtcdModel({ minTtlSeconds: 1, firstScanAt: now + 500 });
        else etcd.loseLeader(now, ELECTION_MS);
        return new EtcdServer(etcd);
      }
      const Node =
        opts.mutant === "etcd-no-stop-budget"
          ? NoBudgetWait
          : opts.mutant === "etcd-blind-lock"
            ? BlindLock
            : EtcdCoordNode;
      return new NodeDriver(new Node(spec, id, inc, now), opts.interval);
    },
    onAction(id, action, prng, realNow, h) {
      switch (action.kind) {
        case "fence":
        case "command-result":
        case "links":
          return [];
        case "cover":
          return model.cover(id, action.groups, prng, h);
        case "probe":
          return model.probe(id);
        case "start":
          return model.start(id, action.group, prng, h);
        case "stop":
          return model.stop(id, action.group, prng, h, true);
      }
    },
    invariants: () => {
      model = new ResourceModel(
        new Map(spec.groups.map((g) => [g.name, { budget: g.stopBudget, clone: g.clone === true }])),
        SIM_GUARD,
      );
      return [safety(spec, model), liveness(spec)];
    },
    operatorInputs(prng, faultyFor) {
      const out: { at: number; node: string; event: DriverEvent }[] = [];
      const count = prng.int(4);
      for (let i = 0; i < count; i++) {
        const at = prng.between(0, faultyFor);
        const via = prng.pick(members);
        if (prng.chance(0.5))
          out.push({
            at,
            node: via,
            event: {
              kind: "command",
              id: i + 1,
              cmd: { kind: "move", group: prng.pick(spec.groups).name, node: prng.pick(members) },
            },
          });
        else
          out.push({
            at,
            node: via,
            event: { kind: "command", id: i + 1, cmd: { kind: "cleanup", group: prng.pick(spec.groups).name } },
          });
      }
      return out;
    },
    describeMessage: describeEtcdWire,
    ...DRIVER_TRACE,
  };
}
