import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { noOutput, type Machine, type MachineInput, type StepOutput } from "../../src/core/machine.js";
import { makeSchedule } from "../../src/sim/faults.js";
import { Network } from "../../src/sim/network.js";
import { Prng } from "../../src/sim/prng.js";
import { clusterProtocol } from "../../src/sim/protocols/cluster.js";
import { gossipProtocol, type GossipMsg, type GossipView } from "../../src/sim/protocols/gossip.js";
import { runSeed, type SimProtocol } from "../../src/sim/world.js";

describe("simulator determinism", () => {
  it("replays a seed bit for bit, and different seeds differ", () => {
    const a = runSeed(gossipProtocol(3), 4242, true);
    const b = runSeed(gossipProtocol(3), 4242, true);
    const c = runSeed(gossipProtocol(3), 4243, true);
    assert.ok(a.trace.length > 100);
    assert.deepEqual(a.trace, b.trace);
    assert.notDeepEqual(a.trace, c.trace);
  });

  it("the PRNG gives the same stream for the same seed", () => {
    const x = new Prng(7);
    const y = new Prng(7);
    const xs = Array.from({ length: 5 }, () => x.nextU32());
    assert.deepEqual(
      xs,
      Array.from({ length: 5 }, () => y.nextU32()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 5 }, () => new Prng(8).nextU32()),
    );
  });
});

describe("simulated network", () => {
  it("drops one-way cuts in one direction only", () => {
    const net = new Network();
    const prng = new Prng(1);
    net.cut("a", "b");
    assert.deepEqual(net.route("a", "b", prng), []);
    assert.equal(net.route("b", "a", prng).length, 1);
    net.healAll();
    assert.equal(net.route("a", "b", prng).length, 1);
  });

  it("loses, duplicates and delays at the configured rates", () => {
    const net = new Network();
    const prng = new Prng(2);
    net.conditions = { loss: 0.5, duplicate: 0.5, delayMin: 5, delayMax: 10, reorder: 0, reorderMax: 0 };
    let lost = 0;
    let dup = 0;
    for (let i = 0; i < 4000; i++) {
      const d = net.route("a", "b", prng);
      if (d.length === 0) lost++;
      if (d.length === 2) dup++;
      for (const x of d) assert.ok(x >= 5 && x < 10);
    }
    assert.ok(Math.abs(lost / 4000 - 0.5) < 0.05, `loss ${lost}`);
    assert.ok(Math.abs(dup / 2000 - 0.5) < 0.07, `dup ${dup}`);
  });

  it("schedules include every kind of fault and drift within the bound", () => {
    const kinds = new Set<string>();
    for (let s = 0; s < 200; s++) {
      const sch = makeSchedule(new Prng(s), {
        nodes: ["a", "b", "c"],
        interval: 25,
        lease: 150,
        maxDrift: 0.01,
        faultyFor: 3000,
        calmFor: 1000,
      });
      for (const f of sch.faults) kinds.add(f.kind);
      for (const r of Object.values(sch.rates)) assert.ok(Math.abs(r - 1) <= 0.01);
      for (const f of sch.faults)
        if (f.kind === "rate") assert.ok(Math.abs(f.rate - 1) <= 0.01, "rate changes stay within the bound");
    }
    assert.deepEqual([...kinds].sort(), ["conditions", "crash", "cut", "heal", "pause", "rate", "restart"]);
  });
});

/** A node that claims counts it never reached once it hears from n2: the checker must catch it. */
class LyingNode implements Machine<GossipMsg, never, never, GossipView> {
  private heard = false;
  constructor(readonly id: string) {}
  step(now: number, input: MachineInput<GossipMsg, never>): StepOutput<GossipMsg, never> {
    if (input.kind === "message") this.heard = true;
    return noOutput(now + 25);
  }
  observe(): GossipView {
    return { own: 0, known: this.heard ? { n2: 1e12 } : {} };
  }
}

describe("invariant checking", () => {
  it("the gossip protocol passes its invariants across seeds", () => {
    for (let s = 1; s <= 30; s++) assert.ok(runSeed(gossipProtocol(4), s).ok, `seed ${s}`);
  });

  it("reports a safety violation with the seed and a trace that shows it", () => {
    const base = gossipProtocol(3);
    const lying: SimProtocol<GossipMsg, never, never, GossipView> = {
      ...base,
      create: (id, inc, now) => (id === "n1" ? new LyingNode(id) : base.create(id, inc, now)),
    };
    const r = runSeed(lying, 99, true);
    assert.equal(r.ok, false);
    assert.match(
      r.failure ?? "",
      /safety "no phantom counts" violated at [\d.]+ms: n1 believes n2 reached 1000000000000/,
    );
    assert.match(r.trace.at(-1) ?? "", /FAILED/);
  });

  it("reports a liveness failure when a node never catches up", () => {
    const base = gossipProtocol(3);
    const deaf: SimProtocol<GossipMsg, never, never, GossipView> = {
      ...base,
      create: (id, inc, now) => {
        const inner = base.create(id, inc, now);
        if (id !== "n3") return inner;
        return {
          id,
          observe: (t) => inner.observe(t),
          step: (t, input) => inner.step(t, input.kind === "message" ? { kind: "tick" } : input),
        };
      },
    };
    const r = runSeed(deaf, 5);
    assert.equal(r.ok, false);
    assert.match(r.failure ?? "", /^liveness: .*n3 knows n1 at -1/);
  });

  it("a two_node fence that lands after the faults stopped power-cycles the peer (seed 357172487)", () => {
    // The fence issued at the end of the faults killed the peer just after the calm booted it; a fence
    // that only powered off left it down for good, and with the survivor in standby nothing could run.
    const r = runSeed(clusterProtocol({ nodes: 2, groups: 2, twoNode: true }), 357172487, true);
    assert.ok(r.ok, r.failure);
    assert.ok(r.trace.some((l) => /sim +crash n2/.test(l) && Number.parseFloat(l) >= 4000));
  });
});
