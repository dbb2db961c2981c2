// The compact heartbeat: 500 groups on 9 nodes fit in one packet even in the worst case, the worst-case
// formula that `vigil check` applies bounds the real encoding, and names sharing a wire id are refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toWire } from "../../src/adapters/compact-wire.js";
import { FrameCodec } from "../../src/adapters/frame.js";
import { MAX_PAYLOAD, type Heartbeat } from "../../src/core/cluster/messages.js";
import { MAX_POSITION_CHARS } from "../../src/core/cluster/positions.js";
import { LEADER_LOCK } from "../../src/core/cluster/spec.js";
import { NameBook, wireId } from "../../src/core/cluster/wire-ids.js";
import { wireIssues, worstHeartbeatBytes } from "../../src/core/config/wire-limits.js";
import type { Config } from "../../src/core/config/schema.js";

const long = (prefix: string, i: number) => `${prefix}${i}`.padEnd(63, "x");

/** The largest heartbeat of `g` groups on `n` nodes: every list full, every name 63 characters; the
 * first `p` groups promotable, each with the longest position a heartbeat carries. */
function worst(g: number, n: number, p = 0): Heartbeat {
  const nodes = Array.from({ length: n }, (_, i) => long("node", i));
  const groups = Array.from({ length: g }, (_, i) => long("group", i));
  const each = <T>(v: (k: string) => T) => Object.fromEntries(groups.map((k) => [k, v(k)]));
  return {
    type: "hb",
    from: nodes[0] as string,
    inc: Number.MAX_SAFE_INTEGER,
    seq: Number.MAX_SAFE_INTEGER,
    term: Number.MAX_SAFE_INTEGER,
    claims: [LEADER_LOCK, ...groups],
    budgets: Object.fromEntries([LEADER_LOCK, ...groups].map((k) => [k, 4_000_000_000])),
    running: groups,
    unclean: groups,
    settled: true,
    standby: true,
    alive: nodes,
    failures: each(() => 4_000_000_000),
    track: each(() => 15 * 65536 + 65535),
    ...(p > 0
      ? { positions: Object.fromEntries(groups.slice(0, p).map((k) => [k, "9".repeat(MAX_POSITION_CHARS)])) }
      : {}),
    leader: {
      term: Number.MAX_SAFE_INTEGER,
      version: Number.MAX_SAFE_INTEGER,
      assignments: each(() => nodes[1] as string),
      admin: { standby: nodes, moves: each(() => nodes[2] as string), cleanups: each(() => 4e9), maintenance: true },
    },
  };
}

const size = (m: Heartbeat) => Buffer.byteLength(JSON.stringify(toWire(m)));
const config = (g: number, n: number, p = 0) =>
  ({
    nodes: Array.from({ length: n }, (_, i) => ({ name: long("node", i) })),
    groups: Array.from({ length: g }, (_, i) => ({
      name: long("group", i),
      resources: i < p ? [{ type: "mariadb" }] : [],
    })),
  }) as unknown as Pick<Config, "nodes" | "groups">;

describe("compact heartbeat", () => {
  it("carries the worst heartbeat of 500 groups on 9 nodes in one packet, and decodes it back", () => {
    const hb = worst(500, 9);
    const bytes = size(hb);
    assert.ok(bytes <= MAX_PAYLOAD, `${bytes} bytes`);
    const names = [...hb.alive, ...hb.running, LEADER_LOCK];
    const key = Buffer.alloc(32, 1);
    const codec = new FrameCodec({ send: key, accept: [key] }, "c", new NameBook(names));
    assert.deepEqual(codec.decode(codec.encode(hb)), { ok: true, msg: hb });
    assert.deepEqual(wireIssues(config(500, 9)), []);
  });

  it("bounds the real size by the formula vigil check applies", () => {
    for (const [g, n] of [
      [0, 2],
      [1, 3],
      [50, 5],
      [500, 9],
      [700, 9],
    ] as const) {
      const real = size(worst(g, n));
      const bound = worstHeartbeatBytes(g, n, 63);
      assert.ok(real <= bound && bound - real < 1000, `${g} groups, ${n} nodes: ${real} real, ${bound} bound`);
    }
    for (const [g, n, p] of [
      [1, 3, 1],
      [50, 5, 20],
      [300, 9, 30],
    ] as const) {
      const real = size(worst(g, n, p));
      const bound = worstHeartbeatBytes(g, n, 63, p);
      assert.ok(real <= bound && bound - real < 1000 + 20 * p, `${g} groups (${p} promotable): ${real} ≤ ${bound}`);
    }
    assert.equal(wireIssues(config(300, 9, 30)).length, 0);
    assert.equal(wireIssues(config(300, 9, 80))[0]?.code, "E_WIRE_SIZE");
  });

  it("refuses configs whose heartbeat cannot fit, or whose names share a wire id", () => {
    const issues = wireIssues(config(800, 9));
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.code, "E_WIRE_SIZE");
    assert.match(
      issues[0]?.message ?? "",
      /^800 groups on 9 nodes can make a heartbeat of \d+ bytes, more than the 49152/,
    );
    // FNV-1a collisions among short names, found by search: "costarring" and "liquid" hash alike.
    assert.equal(wireId("costarring"), wireId("liquid"));
    const clash = {
      nodes: [{ name: "a" }],
      groups: [
        { name: "costarring", resources: [] },
        { name: "liquid", resources: [] },
      ],
    } as unknown as Config;
    assert.deepEqual(
      wireIssues(clash).map((i) => [i.code, i.path.join(".")]),
      [["E_WIRE_ID", "groups.1.name"]],
    );
  });
});
