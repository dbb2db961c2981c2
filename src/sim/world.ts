// The simulated world: a fake real-time clock, drifting local clocks, the network and the nodes, all
// driven by one PRNG from one seed. Runs a protocol through a fault schedule and checks its invariants.
import type { Machine, MachineInput, StepOutput } from "../core/machine.js";
import { describeFault, makeSchedule, type Fault, type Schedule } from "./faults.js";
import type { Invariant, Observation } from "./invariants.js";
import { CALM, Network } from "./network.js";
import { Prng } from "./prng.js";
import { EventQueue } from "./queue.js";

/** A protocol the simulator can run: how to make its nodes, and what must hold. */
export interface SimProtocol<M, A, E, V> {
  name: string;
  nodes: string[];
  interval: number;
  lease: number;
  /** Largest clock rate error the protocol claims to tolerate (e.g. 0.01). */
  maxDrift: number;
  faultyFor: number;
  calmFor: number;
  /** After faults stop, liveness must hold within this many real ms. */
  livenessBound: number;
  /** A run with more events than this fails as a message storm (a livelock the checkers would miss). */
  maxEvents: number;
  create(id: string, incarnation: number, localNow: number): Machine<M, A, E, V>;
  /** What an action leads to (a resource finishing its start, say), each after a delay. */
  onAction?(id: string, action: A, prng: Prng, realNow: number, node: SimNodeHandle): ActionResult<E>[];
  /** Fresh checkers for one run (they may keep ground truth across the run). */
  invariants(): Invariant<V>[];
  /** Operator inputs to inject during the faulty part of the run (commands, say), from the run's PRNG. */
  operatorInputs?(prng: Prng, faultyFor: number): { at: number; node: string; event: E }[];
  /** Told of every operator input when it is due, even for a node that is down (which loses it): an
   * operator who edits a node's config file changes what that node reads when it boots next. */
  onOperator?(node: string, event: E): void;
  /** A fixed fault script instead of a random schedule (for scenario tests); clocks stay exact. */
  scripted?: { faults: Fault[]; healAt: number; endAt: number; operator?: { at: number; node: string; event: E }[] };
  describeMessage(msg: M): string;
  /** When given, every message crosses the simulated network encoded and is decoded on arrival, as on
   * the wire; one that fails to decode is a failure of the run. Otherwise messages are deep-copied. */
  codec?: { encode(msg: M): Uint8Array; decode(bytes: Uint8Array): M | undefined };
  describeAction?(action: A): string;
  /** Actions too frequent to trace (the guard's cover reports). */
  quietAction?(action: A): boolean;
  describeEvent?(event: E): string;
}

/** One consequence of an action. `delay` is real ms; `localDelay` is measured on the node's own clock
 * (a timeout, a timer), so it follows the clock's rate changes. When due: `effect` runs (ground truth
 * kept by the protocol, whatever the node's state), `crash` crashes a node, and `event` reaches the node
 * if the incarnation that took the action still runs (queued while it is paused). */
export interface ActionResult<E> {
  delay?: number;
  localDelay?: number;
  event?: E;
  crash?: string;
  /** Boots a crashed node again (a node the last resort rebooted). */
  restart?: string;
  effect?: () => void;
  /** Like `event`, but decided when due (undefined: nothing to report). */
  eventIf?: () => E | undefined;
}

/** The node an action came from, as the protocol may ask about it later. */
export interface SimNodeHandle {
  readonly incarnation: number;
  /** Whether that incarnation is up and not paused right now (its daemon can act). */
  running(): boolean;
  /** The node's clock now. */
  localNow(): number;
}

/** What one seeded run found. */
export interface RunResult {
  seed: number;
  ok: boolean;
  failure?: string;
  /** Real ms from the end of faults until liveness held. */
  convergedAfter?: number;
  events: number;
  trace: string[];
}

type Item<M, E> =
  | { t: "fault"; fault: Fault }
  | { t: "deliver"; from: string; to: string; msg: M | Uint8Array }
  | { t: "wake"; node: string; token: number }
  | { t: "local"; node: string; incarnation: number; event: E }
  | { t: "resume"; node: string; token: number }
  | { t: "timer"; id: number; version: number }
  | { t: "start"; node: string }
  | { t: "operator"; node: string; event: E };

interface SimNode<M, A, E, V> {
  id: string;
  rate: number;
  /** Local time at real time `rateSince`, when the clock took its current rate. */
  base: number;
  rateSince: number;
  /** Local time of the next wake the machine asked for. */
  wakeAtLocal: number | undefined;
  up: boolean;
  incarnation: number;
  machine: Machine<M, A, E, V> | undefined;
  /** Real time a pause ends; 0 while not paused (cleared only when the resume is processed). */
  pausedUntil: number;
  pauseToken: number;
  buffered: MachineInput<M, E>[];
  wakeToken: number;
}

/** Runs one seed of a protocol; `trace` records a readable log of every event. */
export function runSeed<M, A, E, V>(protocol: SimProtocol<M, A, E, V>, seed: number, trace = false): RunResult {
  return new World(protocol, seed, trace).run();
}

class World<M, A, E, V> {
  private prng: Prng;
  private net = new Network();
  private queue = new EventQueue<Item<M, E>>();
  private nodes = new Map<string, SimNode<M, A, E, V>>();
  private now = 0;
  private events = 0;
  private lines: string[] = [];
  private schedule: Schedule;
  private invariants: Invariant<V>[];
  private undecodable: string | undefined;
  /** Pending timers measured on a node's clock, re-queued when its rate changes. */
  private timers = new Map<number, { node: string; atLocal: number; version: number; fire: () => void }>();
  private nextTimer = 1;

  constructor(
    private p: SimProtocol<M, A, E, V>,
    private seed: number,
    private tracing: boolean,
  ) {
    this.prng = new Prng(seed);
    this.invariants = p.invariants();
    this.schedule = p.scripted
      ? { rates: {}, offsets: {}, faults: p.scripted.faults, healAt: p.scripted.healAt, endAt: p.scripted.endAt }
      : makeSchedule(this.prng, {
          nodes: p.nodes,
          interval: p.interval,
          lease: p.lease,
          maxDrift: p.maxDrift,
          faultyFor: p.faultyFor,
          calmFor: p.calmFor,
        });
    for (const id of p.nodes) {
      this.nodes.set(id, {
        id,
        rate: this.schedule.rates[id] ?? 1,
        base: this.schedule.offsets[id] ?? 0,
        rateSince: 0,
        wakeAtLocal: undefined,
        up: false,
        incarnation: 0,
        machine: undefined,
        pausedUntil: 0,
        pauseToken: 0,
        buffered: [],
        wakeToken: 0,
      });
      this.queue.push(this.prng.between(0, p.interval), { t: "start", node: id });
    }
    for (const fault of this.schedule.faults) this.queue.push(fault.at, { t: "fault", fault });
    for (const op of p.scripted ? (p.scripted.operator ?? []) : (p.operatorInputs?.(this.prng, p.faultyFor) ?? [])) {
      this.queue.push(op.at, { t: "operator", node: op.node, event: op.event });
    }
    this.queue.push(this.schedule.healAt, { t: "fault", fault: { at: this.schedule.healAt, kind: "calm" } });
  }

  run(): RunResult {
    if (this.tracing) {
      this.log(
        "sim",
        `seed ${this.seed}: ${this.p.name} on ${this.p.nodes.join(", ")}; faults until ${this.schedule.healAt}ms, end ${this.schedule.endAt}ms`,
      );
      for (const n of this.nodes.values()) this.log(n.id, `clock rate ${n.rate.toFixed(5)}, offset ${n.base}`);
    }
    let convergedAt: number | undefined;
    for (;;) {
      const next = this.queue.pop();
      if (!next || next.at > this.schedule.endAt) break;
      this.now = next.at;
      this.events++;
      if (this.events > this.p.maxEvents) return this.fail(`message storm: more than ${this.p.maxEvents} events`);
      this.handle(next.item);
      if (this.undecodable) return this.fail(`codec: ${this.undecodable}`);
      const obs = this.observe();
      for (const inv of this.invariants) {
        const v = inv.safety?.(obs);
        if (v !== undefined) return this.fail(`safety "${inv.name}" violated at ${this.now.toFixed(3)}ms: ${v}`);
      }
      if (convergedAt === undefined && this.now >= this.schedule.healAt && this.livenessMissing(obs) === undefined) {
        convergedAt = this.now;
        if (this.tracing)
          this.log("sim", `liveness holds, ${(this.now - this.schedule.healAt).toFixed(1)}ms after faults stopped`);
      }
    }
    this.now = this.schedule.endAt;
    const missing = this.livenessMissing(this.observe());
    if (convergedAt === undefined || missing !== undefined)
      return this.fail(`liveness: at the end of the run, ${missing ?? "state changed after converging"}`);
    const after = convergedAt - this.schedule.healAt;
    if (after > this.p.livenessBound)
      return this.fail(`liveness: took ${after.toFixed(1)}ms after faults stopped, bound is ${this.p.livenessBound}ms`);
    return { seed: this.seed, ok: true, convergedAfter: after, events: this.events, trace: this.lines };
  }

  private livenessMissing(obs: Observation<V>): string | undefined {
    for (const inv of this.invariants) {
      const m = inv.liveness?.(obs);
      if (m !== undefined) return `${inv.name}: ${m}`;
    }
    return undefined;
  }

  private fail(failure: string): RunResult {
    if (this.tracing) this.log("sim", `FAILED: ${failure}`);
    return { seed: this.seed, ok: false, failure, events: this.events, trace: this.lines };
  }

  private local(n: SimNode<M, A, E, V>): number {
    return n.base + n.rate * (this.now - n.rateSince);
  }

  /** Real time at which `n`'s clock reads `atLocal`, at its current rate. */
  private toReal(n: SimNode<M, A, E, V>, atLocal: number): number {
    return Math.max(this.now, n.rateSince + (atLocal - n.base) / n.rate + 1e-6);
  }

  private setRate(n: SimNode<M, A, E, V>, rate: number): void {
    n.base = this.local(n);
    n.rateSince = this.now;
    n.rate = rate;
    if (n.wakeAtLocal !== undefined)
      this.queue.push(this.toReal(n, n.wakeAtLocal), { t: "wake", node: n.id, token: ++n.wakeToken });
    for (const [id, timer] of this.timers) {
      if (timer.node === n.id)
        this.queue.push(this.toReal(n, timer.atLocal), { t: "timer", id, version: ++timer.version });
    }
  }

  /** A timer in real time (not re-queued on rate changes). */
  private addTimer(node: string, fire: () => void): number {
    const id = this.nextTimer++;
    this.timers.set(id, { node: `~${node}`, atLocal: 0, version: 0, fire });
    return id;
  }

  /** Runs `fire` when `n`'s clock has advanced by `localDelay`. */
  private localTimer(n: SimNode<M, A, E, V>, localDelay: number, fire: () => void): void {
    const id = this.nextTimer++;
    const atLocal = this.local(n) + localDelay;
    this.timers.set(id, { node: n.id, atLocal, version: 0, fire });
    this.queue.push(this.toReal(n, atLocal), { t: "timer", id, version: 0 });
  }

  private observe(): Observation<V> {
    const nodes = [...this.nodes.values()].map((n) => ({
      id: n.id,
      up: n.up,
      paused: n.pausedUntil > 0,
      localTime: this.local(n),
      view: n.machine?.observe(this.local(n)),
    }));
    return { realTime: this.now, nodes };
  }

  private handle(item: Item<M, E>): void {
    switch (item.t) {
      case "start":
        return this.boot(this.node(item.node));
      case "operator": {
        const n = this.node(item.node);
        this.p.onOperator?.(n.id, item.event);
        if (this.tracing) this.log(n.id, `◆ operator: ${this.p.describeEvent?.(item.event) ?? "input"}`);
        return this.input(n, { kind: "local", event: item.event });
      }
      case "fault":
        return this.applyFault(item.fault);
      case "deliver": {
        const n = this.node(item.to);
        const msg = this.p.codec ? this.p.codec.decode(item.msg as Uint8Array) : (item.msg as M);
        if (msg === undefined) {
          this.undecodable = `${item.from}→${item.to}: a message failed to decode`;
          return;
        }
        if (this.tracing) this.log(n.id, `← ${item.from} ${this.p.describeMessage(msg)}${n.up ? "" : " (down, lost)"}`);
        return this.input(n, { kind: "message", from: item.from, msg });
      }
      case "timer": {
        const timer = this.timers.get(item.id);
        if (!timer || timer.version !== item.version) return;
        this.timers.delete(item.id);
        return timer.fire();
      }
      case "wake": {
        const n = this.node(item.node);
        if (item.token !== n.wakeToken) return;
        return this.input(n, { kind: "tick" });
      }
      case "local": {
        const n = this.node(item.node);
        if (n.incarnation !== item.incarnation) return;
        if (this.tracing) this.log(n.id, `◇ ${this.p.describeEvent?.(item.event) ?? "local event"}`);
        return this.input(n, { kind: "local", event: item.event });
      }
      case "resume": {
        const n = this.node(item.node);
        if (item.token !== n.pauseToken || !n.up) return;
        n.pausedUntil = 0;
        if (this.tracing) this.log(n.id, `resumes with ${n.buffered.length} buffered inputs`);
        const buffered = n.buffered;
        n.buffered = [];
        this.step(n, { kind: "tick" });
        for (const input of buffered) this.step(n, input);
        return;
      }
    }
  }

  private node(id: string): SimNode<M, A, E, V> {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }

  private boot(n: SimNode<M, A, E, V>): void {
    n.incarnation++;
    n.up = true;
    n.pausedUntil = 0;
    n.buffered = [];
    n.machine = this.p.create(n.id, n.incarnation, this.local(n));
    if (this.tracing) this.log(n.id, `boots, incarnation ${n.incarnation}`);
    this.step(n, { kind: "tick" });
  }

  private applyFault(f: Fault): void {
    if (this.tracing) this.log("sim", describeFault(f));
    switch (f.kind) {
      case "crash": {
        const n = this.node(f.node);
        n.up = false;
        n.machine = undefined;
        n.buffered = [];
        n.wakeToken++;
        return;
      }
      case "restart": {
        const n = this.node(f.node);
        if (!n.up) this.boot(n);
        return;
      }
      case "pause": {
        const n = this.node(f.node);
        if (!n.up) return;
        n.pausedUntil = Math.max(n.pausedUntil, this.now + f.duration);
        n.pauseToken++;
        this.queue.push(n.pausedUntil, { t: "resume", node: n.id, token: n.pauseToken });
        return;
      }
      case "rate":
        return this.setRate(this.node(f.node), f.rate);
      case "cut":
        return this.net.cut(f.from, f.to);
      case "heal":
        return this.net.heal(f.from, f.to);
      case "conditions":
        this.net.conditions = f.conditions;
        return;
      case "calm":
        this.net.healAll();
        this.net.conditions = CALM;
        for (const n of this.nodes.values()) if (!n.up) this.boot(n);
        // A pause still running ends too: liveness is judged from here, not from a resume seconds later.
        for (const n of this.nodes.values())
          if (n.pausedUntil > this.now) {
            n.pausedUntil = this.now;
            n.pauseToken++;
            this.queue.push(this.now, { t: "resume", node: n.id, token: n.pauseToken });
          }
        return;
    }
  }

  private input(n: SimNode<M, A, E, V>, input: MachineInput<M, E>): void {
    if (!n.up) return;
    if (n.pausedUntil > 0) {
      if (input.kind !== "tick") n.buffered.push(input);
      return;
    }
    this.step(n, input);
  }

  private step(n: SimNode<M, A, E, V>, input: MachineInput<M, E>): void {
    if (!n.machine) return;
    const out: StepOutput<M, A> = n.machine.step(this.local(n), input);
    for (const d of out.decisions) if (this.tracing) this.log(n.id, `▸ ${d}`);
    for (const s of out.sends) {
      for (const delay of this.net.route(n.id, s.to, this.prng)) {
        this.queue.push(this.now + delay, {
          t: "deliver",
          from: n.id,
          to: s.to,
          msg: this.p.codec ? this.p.codec.encode(s.msg) : structuredClone(s.msg),
        });
      }
    }
    const incarnation = n.incarnation;
    const handle: SimNodeHandle = {
      incarnation,
      running: () => n.up && n.incarnation === incarnation && n.pausedUntil === 0,
      localNow: () => this.local(n),
    };
    for (const a of out.actions) {
      if (this.tracing && !this.p.quietAction?.(a)) this.log(n.id, `⚙ ${this.p.describeAction?.(a) ?? "action"}`);
      for (const r of this.p.onAction?.(n.id, a, this.prng, this.now, handle) ?? []) {
        const fire = () => {
          r.effect?.();
          if (r.crash) this.applyFault({ at: this.now, kind: "crash", node: r.crash });
          if (r.restart) this.applyFault({ at: this.now, kind: "restart", node: r.restart });
          const event = r.eventIf ? r.eventIf() : r.event;
          if (event !== undefined) this.handle({ t: "local", node: n.id, incarnation, event });
        };
        if (r.localDelay !== undefined) this.localTimer(n, r.localDelay, fire);
        else this.queue.push(this.now + (r.delay ?? 0), { t: "timer", id: this.addTimer(n.id, fire), version: 0 });
      }
    }
    n.wakeToken++;
    n.wakeAtLocal = out.wakeAt;
    if (out.wakeAt !== undefined)
      this.queue.push(this.toReal(n, out.wakeAt), { t: "wake", node: n.id, token: n.wakeToken });
  }

  private log(who: string, text: string): void {
    this.lines.push(`${this.now.toFixed(3).padStart(11)}  ${who.padEnd(6)} ${text}`);
  }
}
