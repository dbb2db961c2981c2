// Placement with track checks and clones: a group leaves a node whose checks fail, says why in one
// sentence, fails back once the preferred node passes again, stays put when no node passes, and clones
// are never placed. Plus the node's own verdict and its wire form.
import assert from "node:assert/strict";
import { nodeView } from "../helpers/node-view.js";
import { describe, it } from "node:test";
import { place, type NodeView } from "../../src/core/cluster/placement.js";
import { clusterProtocol, SIM_PING } from "../../src/sim/protocols/cluster.js";
import { runSeed } from "../../src/sim/world.js";
import type { GroupSpec } from "../../src/core/cluster/spec.js";
import {
  ownVerdict,
  packVerdict,
  trackKey,
  unpackVerdict,
  type ProbeResult,
  type TrackCheck,
} from "../../src/core/cluster/track.js";

const ping: TrackCheck = { type: "ping", address: "10.77.0.1", interval: 1000, timeout: 1000, rise: 2, fall: 3 };
const link: TrackCheck = { type: "interface", name: "eth1", interval: 200, rise: 1, fall: 1 };
const clone: TrackCheck = { type: "group", name: "proxies" };
const front: GroupSpec = {
  name: "front",
  prefer: ["h1"],
  failback: true,
  migrationThreshold: 3,
  stopBudget: 0,
  track: [clone, link, ping],
};
const proxies: GroupSpec = {
  name: "proxies",
  prefer: [],
  failback: false,
  migrationThreshold: 3,
  stopBudget: 0,
  clone: true,
};

const node = (name: string, over: Partial<NodeView> = {}): NodeView =>
  nodeView(name, { priority: name === "h1" ? 200 : 100, ...over });
const owner = (name: string, over: Partial<NodeView> = {}) =>
  node(name, { claims: ["front"], running: ["front", "proxies"], ...over });
const run = (nodes: NodeView[], previous: Record<string, string | null>, now = 10_000) =>
  place({ now, groups: [proxies, front], nodes, previous, failbackSettle: 2000 });

describe("placement with track checks", () => {
  it("moves the group off a node whose ping fails, in one sentence naming the check and the count", () => {
    const r = run([owner("h1", { untracked: { front: { check: 2, inARow: 3 } } }), node("h2")], { front: "h1" });
    assert.deepEqual(r.assignments, { front: "h2" });
    assert.deepEqual(r.decisions, ["front moves h1→h2: h1 fails track ping 10.77.0.1 (3 checks in a row)"]);
  });

  it("names an interface that went down and a clone that is not running", () => {
    const down = run([owner("h1", { untracked: { front: { check: 1, inARow: 1 } } }), node("h2")], { front: "h1" });
    assert.deepEqual(down.decisions, ["front moves h1→h2: h1 fails track interface eth1 (1 check)"]);
    const dead = run([owner("h1", { untracked: { front: { check: 0, inARow: 1 } } }), node("h2")], { front: "h1" });
    assert.deepEqual(dead.decisions, [
      "front moves h1→h2: h1 fails track group proxies (the clone is not running there)",
    ]);
  });

  it("does not place the group on a node that fails its checks, nor on one without results yet", () => {
    const r = run([node("h1", { untracked: { front: { check: 2, inARow: 0 } } }), node("h2")], {});
    assert.deepEqual(r.assignments, { front: "h2" });
    assert.deepEqual(r.decisions, ["front placed on h2: best eligible node"]);
  });

  it("at start-up, waits for the preferred node's first track results before taking another node", () => {
    const nodes = [node("h1", { untracked: { front: { check: 2, inARow: 0 } } }), node("h2")];
    const early = place({
      now: 1000,
      groups: [front],
      nodes,
      previous: {},
      failbackSettle: 2000,
      waitForPreferredUntil: 2000,
    });
    assert.deepEqual(early.assignments, { front: null });
    const late = place({
      now: 2001,
      groups: [front],
      nodes,
      previous: {},
      failbackSettle: 2000,
      waitForPreferredUntil: 2000,
    });
    assert.deepEqual(late.assignments, { front: "h2" });
  });

  it("fails back once the preferred node passes again (failback: true), and stays without failback", () => {
    const back = run([node("h1"), owner("h2")], { front: "h2" });
    assert.deepEqual(back.assignments, { front: "h1" });
    assert.match(back.decisions[0] ?? "", /^front fails back h2→h1: h1 is preferred/);
    const sticky = place({
      now: 10_000,
      groups: [{ ...front, failback: false }],
      nodes: [node("h1"), owner("h2")],
      previous: { front: "h2" },
      failbackSettle: 2000,
    });
    assert.deepEqual(sticky.assignments, { front: "h2" });
    assert.deepEqual(sticky.decisions, []);
  });

  it("fails back only once the preferred node has passed its checks for the settle delay", () => {
    const h1 = node("h1", { passingSince: { front: 9000 } });
    assert.deepEqual(run([h1, owner("h2")], { front: "h2" }, 10_000).assignments, { front: "h2" });
    const r = run([h1, owner("h2")], { front: "h2" }, 11_000);
    assert.deepEqual(r.assignments, { front: "h1" });
    assert.deepEqual(r.decisions, [
      "front fails back h2→h1: h1 is preferred and has passed its track checks for 2000ms",
    ]);
  });

  it("does not fail back to a preferred node that still fails a check", () => {
    const r = run([node("h1", { untracked: { front: { check: 2, inARow: 3 } } }), owner("h2")], { front: "h2" });
    assert.deepEqual(r.assignments, { front: "h2" });
  });

  it("keeps the group where it runs when no node passes its checks, and says so", () => {
    const r = run(
      [
        owner("h1", { untracked: { front: { check: 2, inARow: 3 } } }),
        node("h2", { untracked: { front: { check: 2, inARow: 3 } } }),
      ],
      { front: "h1" },
    );
    assert.deepEqual(r.assignments, { front: "h1" });
    assert.deepEqual(r.decisions, []);
    assert.deepEqual(r.held, {
      front:
        "front stays on h1 although h1 fails track ping 10.77.0.1 (3 checks in a row): no node passes its track checks",
    });
    // But a dead owner is no reason to stay: with nobody passing, the group runs nowhere.
    const gone = run(
      [owner("h1", { alive: false, silentFor: 400 }), node("h2", { untracked: { front: { check: 2, inARow: 3 } } })],
      { front: "h1" },
    );
    assert.deepEqual(gone.assignments, { front: null });
    assert.equal(gone.held, undefined);
  });

  it("never places a clone, and ignores track verdicts of other groups", () => {
    const r = run([node("h1", { untracked: { other: { check: 0, inARow: 3 } } }), node("h2")], {});
    assert.deepEqual(r.assignments, { front: "h1" });
    assert.ok(!("proxies" in r.assignments));
  });
});

describe("a node's own track verdict", () => {
  const results = (entries: [TrackCheck, ProbeResult][]) => new Map(entries.map(([c, r]) => [trackKey(c), r]));

  it("is the first failing check in track order, with 0 in a row before any result", () => {
    assert.deepEqual(
      ownVerdict(front.track ?? [], results([]), () => true),
      { check: 1, inARow: 0 },
    );
    assert.deepEqual(
      ownVerdict(
        front.track ?? [],
        results([
          [link, { passing: true, inARow: 1 }],
          [ping, { passing: false, inARow: 3 }],
        ]),
        () => true,
      ),
      { check: 2, inARow: 3 },
    );
    assert.deepEqual(
      ownVerdict(
        front.track ?? [],
        results([
          [link, { passing: true, inARow: 1 }],
          [ping, { passing: true, inARow: 2 }],
        ]),
        () => false,
      ),
      { check: 0, inARow: 1 },
    );
    assert.equal(
      ownVerdict(
        front.track ?? [],
        results([
          [link, { passing: true, inARow: 1 }],
          [ping, { passing: true, inARow: 2 }],
        ]),
        () => true,
      ),
      undefined,
    );
  });

  it("round-trips through its wire form", () => {
    for (const v of [
      { check: 0, inARow: 0 },
      { check: 15, inARow: 100 },
      { check: 3, inARow: 65535 },
    ])
      assert.deepEqual(unpackVerdict(packVerdict(v)), v);
  });
});

describe("track and clones in the simulated cluster", () => {
  const key = trackKey(SIM_PING);
  const decisions = (trace: string[]) =>
    trace.filter((l) => l.includes("▸")).map((l) => l.replace(/^\s*[\d.]+\s+/, ""));

  it("runs the clone on every node at once, moves the tracking group off a node that fails its ping, and back", () => {
    // g2 prefers n2 and fails back (the simulator's groups alternate failback off and on).
    const p = clusterProtocol({ nodes: 3, groups: 2, track: true });
    const r = runSeed(
      {
        ...p,
        scripted: {
          faults: [],
          healAt: 4000,
          endAt: 6000,
          operator: [
            { at: 1000, node: "n2", event: { kind: "track", key, passing: false, inARow: 3 } },
            { at: 2000, node: "n2", event: { kind: "track", key, passing: true, inARow: 2 } },
          ],
        },
      },
      1,
      true,
    );
    assert.ok(r.ok, r.failure);
    const d = decisions(r.trace);
    for (const n of ["n1", "n2", "n3"])
      assert.ok(
        d.some((l) => l.includes(`${n} starts clone c1: a clone runs on every eligible node`)),
        n,
      );
    const moved = d.findIndex((l) => /g2 moves n2→n1: n2 fails track ping 10\.0\.0\.1 \(3 checks in a row\)/.test(l));
    const back = d.findIndex((l) =>
      /g2 fails back n1→n2: n2 is preferred and has passed its track checks for \d+ms/.test(l),
    );
    assert.ok(moved > 0 && back > moved, d.join("\n"));
    assert.equal(d.filter((l) => /g2 moves n2→n1/.test(l)).length, 1, "the move is logged once");
  });

  it("keeps the group where it runs, saying so once, while every node fails the check", () => {
    const p = clusterProtocol({ nodes: 3, groups: 1, track: true });
    // The owner n1 fails last and recovers first (otherwise the leader would rightly move g1 to a node
    // that passes while it has not yet heard that the others fail too).
    const all = (at: number, passing: boolean) =>
      ["n2", "n3", "n1"].map((node) => ({
        at: at + (node === "n1" ? (passing ? -200 : 200) : 0),
        node,
        event: { kind: "track" as const, key, passing, inARow: 3 },
      }));
    const r = runSeed(
      {
        ...p,
        scripted: { faults: [], healAt: 4000, endAt: 6000, operator: [...all(1000, false), ...all(2500, true)] },
      },
      1,
      true,
    );
    assert.ok(r.ok, r.failure);
    const d = decisions(r.trace);
    assert.ok(!d.some((l) => /g1 moves/.test(l)), d.join("\n"));
    assert.equal(
      d.filter((l) =>
        /g1 stays on n1 although n1 fails track ping 10\.0\.0\.1 \(3 checks in a row\): no node passes its track checks/.test(
          l,
        ),
      ).length,
      1,
      d.join("\n"),
    );
  });
});

describe("an operator's move to a node that may not run the group", () => {
  it("keeps the group where it runs and says once why it was not moved; moves it once the node qualifies", () => {
    const web: GroupSpec = { name: "web", prefer: ["h1"], failback: false, migrationThreshold: 1, stopBudget: 0 };
    const nodes = (h2Failures: number) => [
      node("h1", { claims: ["web"], running: ["web"] }),
      node("h2", { failures: { web: h2Failures } }),
    ];
    const moves = { web: "h2" };
    const r = place({
      now: 10_000,
      groups: [web],
      nodes: nodes(1),
      previous: { web: "h1" },
      failbackSettle: 2000,
      moves,
    });
    assert.deepEqual(r.assignments, { web: "h1" });
    assert.deepEqual(r.decisions, []);
    assert.deepEqual(r.held, {
      web: "web is not moved to h2, where an operator moved it: h2 reached 1 failures (migration_threshold 1)",
    });
    const later = place({
      now: 11_000,
      groups: [web],
      nodes: nodes(0),
      previous: { web: "h1" },
      failbackSettle: 2000,
      moves,
    });
    assert.deepEqual(later.assignments, { web: "h2" });
    assert.deepEqual(later.decisions, ["web moves h1→h2: moved by an operator"]);
    assert.equal(later.held, undefined);
  });
});

describe("a group no node may run", () => {
  it("says why for every node", () => {
    const web: GroupSpec = { name: "web", prefer: ["h1"], failback: false, migrationThreshold: 1, stopBudget: 0 };
    const r = place({
      now: 10_000,
      groups: [web],
      nodes: [
        node("h1", { alive: false, silentFor: 619, claims: ["web"], running: ["web"] }),
        node("h2", { failures: { web: 1 } }),
        node("h3", { standby: true }),
      ],
      previous: { web: "h1" },
      failbackSettle: 2000,
    });
    assert.deepEqual(r.assignments, { web: null });
    assert.deepEqual(r.decisions, [
      "web cannot run anywhere: no eligible node (h1 unheard for 619ms, h2 reached 1 failures (migration_threshold 1), h3 is in standby)",
    ]);
  });
});
