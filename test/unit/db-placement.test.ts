// Placement of promotable groups by replication position: a database group that must move goes to the
// replica that received the most (saying so), falls back to the preference order when a report is
// missing or the positions diverge, and the positions travel in heartbeats over the compact wire form.
import assert from "node:assert/strict";
import { nodeView } from "../helpers/node-view.js";
import { describe, it } from "node:test";
import { fromWire, toWire } from "../../src/adapters/compact-wire.js";
import type { Heartbeat } from "../../src/core/cluster/messages.js";
import { place, type NodeView } from "../../src/core/cluster/placement.js";
import { MAX_POSITION_CHARS, reportablePosition } from "../../src/core/cluster/positions.js";
import type { GroupSpec } from "../../src/core/cluster/spec.js";
import { NameBook } from "../../src/core/cluster/wire-ids.js";
import { clusterProtocol } from "../../src/sim/protocols/cluster.js";
import { runSeed } from "../../src/sim/world.js";

const db: GroupSpec = {
  name: "db",
  prefer: ["h1", "h2", "h3"],
  failback: false,
  migrationThreshold: 1,
  stopBudget: 8000,
  promotable: true,
};
const node = nodeView;
const lost = node("h1", { alive: false, silentFor: 700, claims: ["db"], running: ["db"] });
const run = (nodes: NodeView[], group = db) =>
  place({ now: 10_000, groups: [group], nodes, previous: { db: "h1" }, failbackSettle: 2000 });

describe("placement of a promotable group by replication position", () => {
  it("moves it to the replica that received the most, not the preferred one, and says why", () => {
    const r = run([lost, node("h2", { positions: { db: "0-1-100" } }), node("h3", { positions: { db: "0-1-104" } })]);
    assert.deepEqual(r.assignments, { db: "h3" });
    assert.deepEqual(r.decisions, ["db moves h1→h3: h1 unheard for 700ms; h3 received the most of db (0-1-104)"]);
  });

  it("keeps the preference order when the preferred replica holds as much", () => {
    const r = run([lost, node("h2", { positions: { db: "0-1-104" } }), node("h3", { positions: { db: "0-1-104" } })]);
    assert.deepEqual(r.assignments, { db: "h2" });
    assert.deepEqual(r.decisions, ["db moves h1→h2: h1 unheard for 700ms"]);
  });

  it("keeps the preference order when a replica has not reported (the promotion waits or catches up)", () => {
    const r = run([lost, node("h2", { positions: { db: "0-1-100" } }), node("h3")]);
    assert.deepEqual(r.assignments, { db: "h2" });
  });

  it("keeps the preference order when the positions diverge (the promotion refuses, an operator decides)", () => {
    const r = run([lost, node("h2", { positions: { db: "0-1-100" } }), node("h3", { positions: { db: "0-3-100" } })]);
    assert.deepEqual(r.assignments, { db: "h2" });
  });

  it("ignores positions of a group that is not promotable", () => {
    const plain = { ...db, promotable: undefined };
    const r = run(
      [lost, node("h2", { positions: { db: "0-1-1" } }), node("h3", { positions: { db: "0-1-9" } })],
      plain,
    );
    assert.deepEqual(r.assignments, { db: "h2" });
  });

  it("compares every domain: a replica ahead in one domain only wins when it is behind in none", () => {
    const r = run([
      lost,
      node("h2", { positions: { db: "0-1-100,1-1-7" } }),
      node("h3", { positions: { db: "0-1-100,1-1-9" } }),
    ]);
    assert.deepEqual(r.assignments, { db: "h3" });
  });
});

/** h2's heartbeat carrying `positions`. */
const heartbeat = (positions: Record<string, string>): Heartbeat => ({
  type: "hb",
  from: "h2",
  inc: 1,
  seq: 5,
  term: 1,
  claims: [],
  running: [],
  unclean: [],
  standby: false,
  alive: ["h1", "h3"],
  failures: {},
  positions,
});

describe("replication positions on the wire", () => {
  it("carries them in the compact heartbeat and reads them back by group name", () => {
    const hb = heartbeat({ db: "0-1-104,1-2-7" });
    const back = fromWire(JSON.parse(JSON.stringify(toWire(hb))), new NameBook(["h1", "h2", "h3", "db"]));
    assert.deepEqual((back as Heartbeat).positions, { db: "0-1-104,1-2-7" });
  });

  it("refuses a position longer than a heartbeat carries, and reports only real GTID positions", () => {
    const hb = toWire(heartbeat({ db: "0-1-1" }));
    const long = { ...hb, positions: [[1, "x".repeat(MAX_POSITION_CHARS + 1)]] };
    assert.equal(fromWire(long, new NameBook(["h2", "db"])), undefined);
    assert.equal(reportablePosition("0-1-5, 1-2-3"), "0-1-5,1-2-3");
    assert.equal(reportablePosition("garbage"), undefined);
    assert.equal(reportablePosition(Array.from({ length: 40 }, (_, i) => `${i}-1-123456789`).join(",")), undefined);
  });
});

describe("a promotable group in the simulated cluster", () => {
  it("fails over to the node whose reported position is the fullest, through real heartbeats", () => {
    const p = clusterProtocol({ nodes: 3, groups: 1, budgets: [0], promotable: true });
    const position = (at: number, node: string, seq: number) => ({
      at,
      node,
      event: { kind: "position" as const, group: "g1", received: `0-1-${seq}` },
    });
    const cut = ["n2", "n3"].flatMap((o) => [
      { at: 1000, kind: "cut" as const, from: "n1", to: o },
      { at: 1000, kind: "cut" as const, from: o, to: "n1" },
    ]);
    const operator = [position(100, "n1", 10), position(100, "n2", 10), position(100, "n3", 10)];
    operator.push(position(900, "n2", 40), position(900, "n3", 45));
    const r = runSeed({ ...p, scripted: { faults: cut, healAt: 2500, endAt: 3500, operator } }, 3, true);
    assert.ok(r.ok, r.failure);
    const move = r.trace.find((l) => /g1 moves n1→/.test(l)) ?? "";
    assert.match(move, /g1 moves n1→n3: n1 unheard for \d+ms; n3 received the most of g1 \(0-1-45\)/);
  });
});
