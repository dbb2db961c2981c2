import assert from "node:assert/strict";
import { nodeView } from "../helpers/node-view.js";
import { describe, it } from "node:test";
import { FailureLog } from "../../src/core/cluster/failures.js";
import { LockHolder } from "../../src/core/cluster/locks.js";
import { Peers } from "../../src/core/cluster/peers.js";
import { place, type NodeView } from "../../src/core/cluster/placement.js";
import type { GroupSpec } from "../../src/core/cluster/spec.js";
import { Voter } from "../../src/core/cluster/voter.js";
import { VoteTable } from "../../src/core/cluster/votes.js";
import type { Fault } from "../../src/sim/faults.js";
import { clusterProtocol } from "../../src/sim/protocols/cluster.js";
import { runSeed } from "../../src/sim/world.js";

describe("vote table", () => {
  it("promises a lock to one holder until it is released or runs out", () => {
    const v = new VoteTable(150, -150);
    assert.deepEqual(v.judge(1000, "a", ["db"]), { granted: ["db"], denied: [] });
    assert.deepEqual(v.judge(1100, "b", ["db"]), { granted: [], denied: [["db", "a"]] });
    assert.deepEqual(v.judge(1149, "a", ["db"]).granted, ["db"], "the holder renews");
    assert.deepEqual(v.judge(1298, "b", ["db"]).denied, [["db", "a"]]);
    assert.deepEqual(v.judge(1299, "b", ["db"]).granted, ["db"], "the renewed promise ran out at 1149+150");
    v.judge(1300, "b", []);
    assert.equal(v.holder("db", 1301), undefined, "not claiming any more releases it");
  });

  it("keeps the promise of a lock whose stop failed until it runs out, neither renewing nor releasing it", () => {
    const v = new VoteTable(150, -150);
    v.judge(1000, "a", ["db"]);
    v.judge(1100, "a", [], ["db"]);
    assert.equal(v.holder("db", 1101), "a", "an unclean lock is not released");
    assert.deepEqual(v.judge(1120, "b", ["db"]).denied, [["db", "a"]]);
    v.judge(1140, "a", [], ["db"]);
    assert.equal(v.holder("db", 1150), undefined, "nor renewed: the promise of 1000 ran out at 1150");
    assert.deepEqual(v.judge(1151, "b", ["db"]).granted, ["db"]);
  });

  it("grants nothing during the quiet period after a restart", () => {
    const v = new VoteTable(150, 350);
    assert.deepEqual(v.judge(499, "a", ["db"]), { granted: [], denied: [["db", "-"]] });
    assert.deepEqual(v.judge(500, "a", ["db"]).granted, ["db"]);
  });

  it("keeps a silent holder's promise for the lease plus the lock's stop budget, but ends it at once on release", () => {
    const v = new VoteTable(150, -10_000, (lock) => (lock === "db" ? 5000 : 0));
    v.judge(1000, "a", ["db", "web"]);
    assert.deepEqual(
      v.judge(1151, "b", ["db", "web"]),
      { granted: ["web"], denied: [["db", "a"]] },
      "web has no budget: free after the lease",
    );
    assert.deepEqual(
      v.judge(6149, "b", ["db"]).denied,
      [["db", "a"]],
      "a may still be stopping db until 1000 + 150 + 5000",
    );
    assert.deepEqual(v.judge(6150, "b", ["db"]).granted, ["db"]);
    v.judge(7000, "b", []);
    assert.deepEqual(v.judge(7001, "c", ["db"]).granted, ["db"], "b released db (it stopped it): no wait");
  });

  it("takes the larger of its own and the claimant's extension, and stays quiet that long after a restart", () => {
    const v = new VoteTable(150, 1000, () => 0);
    assert.deepEqual(
      v.judge(1200, "a", ["db"], [], { db: 3000 }).denied,
      [["db", "-"]],
      "restarted at 1000: quiet until 1000 + 150 + 3000",
    );
    assert.deepEqual(v.judge(4150, "a", ["db"], [], { db: 3000 }).granted, ["db"]);
    assert.deepEqual(v.judge(7000, "b", ["db"]).denied, [["db", "a"]], "a's promise runs until 4150 + 150 + 3000");
    v.forget("a");
    assert.equal(
      v.holder("db", 7001),
      "a",
      "a restarted holder's old resources may still be stopping: forget keeps the promise",
    );
    v.judge(7002, "a", []);
    assert.equal(v.holder("db", 7003), "a", "nor does the new incarnation release it by not claiming it");
    assert.deepEqual(v.judge(7004, "a", ["db"]).denied, [["db", "a"]], "nor renew it: it runs out");
  });
});

describe("voter", () => {
  it("judges a refused claim again only while its heartbeat is fresh, and counts the promise from that heartbeat", () => {
    const votes = new VoteTable(150, -10_000, (lock) => (lock === "db" ? 5000 : 0));
    const voter = new Voter(votes);
    votes.judge(1000, "b", ["db"]);
    const hb = { from: "a", seq: 7, inc: 1, claims: ["*leader", "db"], unclean: [] };
    assert.deepEqual(voter.judge(1100, hb)?.denied, [["db", "b"]], "b holds db");
    votes.judge(1140, "b", []);
    const acks = voter.rejudge(1200);
    assert.deepEqual(acks[0]?.granted, ["*leader", "db"], "b released db: a's pending claim is granted");
    assert.equal(votes.promiseEnd("*leader"), 1100 + 150, "the promise runs from the heartbeat, not from now");
    assert.equal(votes.promiseEnd("db"), 1100 + 150 + 5000);

    votes.judge(2000, "b", ["db", "*leader"]);
    voter.judge(2100, { ...hb, seq: 8 });
    assert.deepEqual(voter.wakeTimes(), [2150], "b's leader promise ends in time to matter, its db promise does not");
    assert.deepEqual(voter.rejudge(2300), [], "a fell silent: its old claims are not granted again");
    assert.equal(votes.holder("*leader", 2251), undefined, "and keep no promise alive");
  });
});

describe("lock holder", () => {
  const votes = () => 1;
  it("holds from the send time of the heartbeat a quorum granted, less the drift margin", () => {
    const h = new LockHolder(votes, 2, 150, 0.05);
    h.want("db", 1);
    h.sentHeartbeat(1, 1000);
    h.answer("a", 1, ["db"], []);
    assert.equal(h.holds("db", 1000), false, "one vote of three is no quorum");
    h.sentHeartbeat(2, 1025);
    h.answer("b", 2, ["db"], []);
    assert.equal(h.heldUntil("db"), 1000 + 142.5, "the second-newest grant bounds the lease");
  });

  it("ignores grants of heartbeats sent before it asked again", () => {
    const h = new LockHolder(votes, 2, 150, 0.05);
    h.want("db", 1);
    h.sentHeartbeat(1, 1000);
    h.release("db");
    h.want("db", 2);
    h.answer("a", 1, ["db"], []);
    h.answer("b", 1, ["db"], []);
    assert.equal(h.holds("db", 1001), false);
    h.answer("c", 1, [], [["db", "x"]]);
    assert.deepEqual(h.refusedFor("db"), ["x"]);
  });
});

describe("peers", () => {
  it("drops replays and stale incarnations, accepts a restart", () => {
    const p = new Peers("a", ["a", "b"], () => 2, 150);
    assert.equal(p.accept(0, "b", 5, 10, 0), undefined);
    assert.equal(p.accept(1, "b", 5, 10, 1), "replayed");
    assert.equal(p.accept(2, "b", 5, 9, 0), "replayed");
    assert.equal(p.accept(3, "b", 4, 99, 0), "stale-incarnation");
    assert.equal(p.accept(4, "b", 6, 1, 0), undefined);
    assert.equal(p.accept(5, "c", 1, 1, 0), "unknown-sender");
    assert.deepEqual(p.drops, { replayed: 2, "stale-incarnation": 1, "unknown-sender": 1 });
    assert.deepEqual(p.links("b", 100), [true, true], "a duplicate on link 1 still shows the link alive");
    assert.deepEqual(p.links("b", 152), [true, false]);
  });
});

describe("placement", () => {
  const g: GroupSpec = { name: "db", prefer: ["h1"], failback: false, migrationThreshold: 3, stopBudget: 0 };
  const node = nodeView;
  const run = (nodes: NodeView[], previous: Record<string, string | null>, group = g, now = 10_000) =>
    place({ now, groups: [group], nodes, previous, failbackSettle: 2000 });

  it("places a group on its preferred node, never on a witness", () => {
    assert.deepEqual(run([node("w3", { witness: true, priority: 255 }), node("h2"), node("h1")], {}), {
      assignments: { db: "h1" },
      decisions: ["db placed on h1: its preferred node"],
    });
    assert.equal(run([node("w3", { witness: true })], {}).assignments.db, null);
  });

  it("at start-up, waits for the preferred node rather than taking whichever node came up first", () => {
    const nodes = [node("h1", { alive: false }), node("h2")];
    assert.deepEqual(
      place({ now: 1000, groups: [g], nodes, previous: {}, failbackSettle: 2000, waitForPreferredUntil: 2000 }),
      { assignments: { db: null }, decisions: [] },
    );
    assert.equal(
      place({ now: 2001, groups: [g], nodes, previous: {}, failbackSettle: 2000, waitForPreferredUntil: 2000 })
        .assignments.db,
      "h2",
    );
  });

  it("moves a group away from an unheard owner, saying why", () => {
    const r = run([node("h1", { alive: false, silentFor: 310, claims: ["db"], running: ["db"] }), node("h2")], {
      db: "h1",
    });
    assert.deepEqual(r, { assignments: { db: "h2" }, decisions: ["db moves h1→h2: h1 unheard for 310ms"] });
  });

  it("keeps a group where it runs when failback is off, and fails back after the settle delay when on", () => {
    const nodes = (since: number) => [
      node("h1", { aliveSince: since }),
      node("h2", { claims: ["db"], running: ["db"] }),
    ];
    assert.deepEqual(run(nodes(9000), { db: "h2" }).decisions, []);
    assert.equal(run(nodes(0), { db: "h2" }).assignments.db, "h2");
    const fb = { ...g, failback: true };
    assert.equal(run(nodes(9000), { db: "h2" }, fb).assignments.db, "h2", "h1 is back for only 1s");
    assert.deepEqual(run(nodes(7000), { db: "h2" }, fb).decisions, [
      "db fails back h2→h1: h1 is preferred and up for 3000ms",
    ]);
  });

  it("moves a group off standby nodes and nodes past the migration threshold", () => {
    assert.deepEqual(
      run([node("h1", { standby: true, claims: ["db"], running: ["db"] }), node("h2")], { db: "h1" }).decisions,
      ["db moves h1→h2: h1 is in standby"],
    );
    assert.deepEqual(run([node("h1", { failures: { db: 3 }, claims: ["db"] }), node("h2")], { db: "h1" }).decisions, [
      "db moves h1→h2: h1 reached 3 failures (migration_threshold 3)",
    ]);
  });
});

describe("cluster core in scripted scenarios", () => {
  const script = (faults: Fault[], endAt = 3000) => ({
    ...clusterProtocol({ nodes: 3, groups: 1 }),
    scripted: { faults, healAt: endAt - 1000, endAt },
  });
  const decisions = (trace: string[]) =>
    trace.filter((l) => l.includes("▸")).map((l) => l.replace(/^\s*[\d.]+\s+/, ""));

  it("elects the highest-priority node and places the group on its preferred node", () => {
    const r = runSeed(script([]), 1, true);
    assert.ok(r.ok, r.failure);
    const d = decisions(r.trace);
    assert.ok(
      d.some((l) => /^n1 +▸ n1 leads term 1: /.test(l)),
      d.join("\n"),
    );
    assert.ok(
      d.some((l) => /n1 starts g1: assigned by n1 \(term 1\) and its lease is held/.test(l)),
      d.join("\n"),
    );
  });

  it("fails over when the leader crashes, and tells why in one sentence", () => {
    const r = runSeed(script([{ at: 1000, kind: "crash", node: "n1" }]), 2, true);
    assert.ok(r.ok, r.failure);
    const d = decisions(r.trace);
    assert.ok(
      d.some((l) => /n2 leads term 2: n1 unheard for 1[45]\dms/.test(l)),
      d.join("\n"),
    );
    assert.ok(
      d.some((l) => /g1 moves n1→n2: n1 unheard for 1[45]\dms/.test(l)),
      d.join("\n"),
    );
    assert.ok(
      d.some((l) => /n2 starts g1/.test(l)),
      d.join("\n"),
    );
  });

  it("an owner cut off from the others stops its group before anyone else starts it", () => {
    const cut: Fault[] = ["n2", "n3"].flatMap((o) => [
      { at: 1000, kind: "cut" as const, from: "n1", to: o },
      { at: 1000, kind: "cut" as const, from: o, to: "n1" },
    ]);
    const r = runSeed(script(cut, 3000), 3, true);
    assert.ok(r.ok, r.failure);
    const stop = r.trace.findIndex((l) => /n1 stops g1: its lease .* without a quorum \(self-fence\)/.test(l));
    const start = r.trace.findIndex((l) => /n2 starts g1/.test(l));
    assert.ok(stop > 0 && start > stop, `self-fence at line ${stop}, takeover at line ${start}`);
  });

  it("two_node: the higher-priority survivor of a partition fences its peer, then runs everything", () => {
    const cut: Fault[] = [
      { at: 1000, kind: "cut", from: "n1", to: "n2" },
      { at: 1000, kind: "cut", from: "n2", to: "n1" },
    ];
    const p = {
      ...clusterProtocol({ nodes: 2, groups: 2, twoNode: true }),
      scripted: { faults: cut, healAt: 2500, endAt: 5000 },
    };
    const r = runSeed(p, 4, true);
    assert.ok(r.ok, r.failure);
    const d = decisions(r.trace);
    const fence = d.findIndex((l) => /n1 fences n2: unheard for 1[5-9]\dms/.test(l));
    assert.ok(fence >= 0, d.join("\n"));
    assert.ok(
      !d.some((l) => /n2 fences n1/.test(l)),
      "the lower-priority node waits a lease longer and is fenced first",
    );
    assert.ok(
      d.slice(fence).some((l) => /n1 fenced n2: it may now run alone/.test(l)),
      d.join("\n"),
    );
    assert.ok(
      d.slice(fence).some((l) => /n1 starts g2/.test(l)),
      d.join("\n"),
    );
  });
});

describe("failure log", () => {
  it("forgets failures after the group's failure_timeout, and on cleanup", () => {
    const log = new FailureLog(new Map([["db", 1000]]));
    log.record("db", 0);
    log.record("db", 600);
    log.record("web", 600);
    assert.deepEqual(log.counts(700), { db: 2, web: 1 });
    assert.deepEqual(log.counts(1200), { db: 1, web: 1 }, "the failure at 0 is older than 1s");
    assert.equal(log.nextExpiry(), 1000);
    log.cleanup("web");
    assert.deepEqual(log.counts(1200), { db: 1 });
  });
});

describe("maintenance", () => {
  it("stops touching resources: an owner cut off from the others keeps its group, and nothing starts elsewhere", () => {
    const cut: Fault[] = ["n2", "n3"].flatMap((o) => [
      { at: 1500, kind: "cut" as const, from: "n1", to: o },
      { at: 1500, kind: "cut" as const, from: o, to: "n1" },
    ]);
    const p = {
      ...clusterProtocol({ nodes: 3, groups: 1 }),
      invariants: () => [],
      scripted: {
        faults: cut,
        healAt: 3000,
        endAt: 3100,
        operator: [
          {
            at: 1000,
            node: "n2",
            event: { kind: "command" as const, id: 1, cmd: { kind: "maintenance" as const, on: true } },
          },
        ],
      },
    };
    const r = runSeed(p, 5, true);
    const d = r.trace.filter((l) => l.includes("▸"));
    assert.ok(
      d.some((l) => /maintenance on: vigil stops touching resources by an operator/.test(l)),
      d.join("\n"),
    );
    assert.ok(!d.some((l) => /n1 stops g1/.test(l)), "no self-fence while in maintenance");
    assert.ok(!d.some((l) => /n[23] starts g1/.test(l)), "no start elsewhere while in maintenance");
  });
});
