import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Balancer } from "../../src/core/balancer/balancer.js";
import { PersistenceTable } from "../../src/core/balancer/persistence.js";
import { Pool } from "../../src/core/balancer/pool.js";
import { proxyV1, proxyV2 } from "../../src/core/balancer/proxy-header.js";
import { Scheduler, type Candidate } from "../../src/core/balancer/scheduler.js";

const servers = (...weights: number[]): Candidate[] =>
  weights.map((weight, i) => ({ address: `10.0.0.${i + 1}:80`, weight, active: 0 }));

function tally(
  s: Scheduler,
  cs: Candidate[],
  n: number,
  ip = (i: number) => `192.0.2.${i % 250}`,
): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = s.pick(cs, ip(i));
    assert.ok(c);
    out.set(c.address, (out.get(c.address) ?? 0) + 1);
  }
  return out;
}

describe("balancer: schedulers", () => {
  it("rr takes every server in turn, ignoring weights but skipping weight 0", () => {
    const s = new Scheduler("rr");
    const cs = servers(5, 1, 0, 1);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => s.pick(cs, "x")?.address),
      ["10.0.0.1:80", "10.0.0.2:80", "10.0.0.4:80", "10.0.0.1:80", "10.0.0.2:80", "10.0.0.4:80"],
    );
  });

  it("wrr splits exactly by weight and interleaves (3:1 → a b a a, not a a a b)", () => {
    const s = new Scheduler("wrr");
    const cs = servers(3, 1);
    const t = tally(s, cs, 400);
    assert.equal(t.get("10.0.0.1:80"), 300);
    assert.equal(t.get("10.0.0.2:80"), 100);
    const seq = [1, 2, 3, 4].map(() => s.pick(cs, "x")?.address.slice(-4));
    assert.equal(seq.filter((a) => a === "2:80").length, 1);
    assert.notDeepEqual(seq, ["1:80", "1:80", "1:80", "2:80"]);
  });

  it("lc picks the server with the fewest open connections, wlc relative to weight", () => {
    const lc = new Scheduler("lc");
    const cs: Candidate[] = [
      { address: "a", weight: 4, active: 6 },
      { address: "b", weight: 1, active: 2 },
      { address: "c", weight: 2, active: 5 },
    ];
    assert.equal(lc.pick(cs, "x")?.address, "b");
    const wlc = new Scheduler("wlc");
    assert.equal(wlc.pick(cs, "x")?.address, "a", "6/4 = 1.5 beats 2/1 and 5/2");
  });

  it("lc spreads ties instead of piling on the first server", () => {
    const t = tally(new Scheduler("lc"), servers(1, 1, 1), 300);
    assert.deepEqual([...t.values()], [100, 100, 100]);
  });

  it("sh keeps a client on one server, spreads clients by weight, and moves only a failed server's clients", () => {
    const s = new Scheduler("sh");
    const cs = servers(1, 1, 2);
    const before = new Map<string, string>();
    for (let i = 0; i < 4000; i++)
      before.set(`198.51.${i >> 8}.${i & 255}`, s.pick(cs, `198.51.${i >> 8}.${i & 255}`)?.address ?? "");
    for (const [ip, a] of before) assert.equal(s.pick(cs, ip)?.address, a);
    const share = (a: string) => [...before.values()].filter((x) => x === a).length / before.size;
    assert.ok(Math.abs(share("10.0.0.3:80") - 0.5) < 0.04, `weight 2 of 4 gets ${share("10.0.0.3:80")}`);
    const down = cs.map((c) => (c.address === "10.0.0.1:80" ? { ...c, weight: 0 } : c));
    let moved = 0;
    for (const [ip, a] of before) {
      const now = s.pick(down, ip)?.address;
      if (a !== "10.0.0.1:80") assert.equal(now, a, "a client of a healthy server must stay");
      else moved++;
    }
    assert.ok(moved > 0);
  });

  it("skips servers already tried for this connection and says when none is left", () => {
    const s = new Scheduler("wrr");
    const cs = servers(1, 1);
    assert.equal(s.pick(cs, "x", new Set(["10.0.0.1:80"]))?.address, "10.0.0.2:80");
    assert.equal(s.pick(cs, "x", new Set(["10.0.0.1:80", "10.0.0.2:80"])), undefined);
  });
});

describe("balancer: persistence, pool and sorry server", () => {
  it("persistence keeps a client's server until the timeout after its last connection closed", () => {
    const p = new PersistenceTable(1000);
    p.opened("c1", "s1", 0);
    assert.equal(p.lookup("c1", 5000), "s1", "still bound while a connection is open");
    p.closed("c1", "s1", 5000);
    assert.equal(p.lookup("c1", 5999), "s1");
    assert.equal(p.lookup("c1", 6000), undefined);
  });

  it("a persistent client follows its server, and moves when that server goes down", () => {
    const b = new Balancer({ scheduler: "rr", quiescent: false, persistenceMs: 60_000, realServers: servers(1, 1, 1) });
    const first = b.choose("c1", 0, new Set());
    assert.ok(first);
    b.opened("c1", first.address, 0);
    b.closed("c1", first.address, 10);
    for (let i = 0; i < 5; i++) assert.equal(b.choose("c1", 100, new Set())?.address, first.address);
    b.setHealth(first.address, false);
    const next = b.choose("c1", 200, new Set());
    assert.notEqual(next?.address, first.address);
  });

  it("quiescent gives a failed server weight 0 and keeps its connections; otherwise they are dropped", () => {
    const q = new Pool(
      [
        { address: "a", weight: 2 },
        { address: "b", weight: 1 },
      ],
      true,
    );
    q.opened("a");
    const eq = q.setHealth("a", false);
    assert.equal(eq.dropConnections, false);
    assert.deepEqual(
      q.candidates().map((c) => c.weight),
      [0, 1],
    );
    assert.match(eq.reason, /weight 0 \(quiescent\); its 1 open connections may finish/);
    const d = new Pool(
      [
        { address: "a", weight: 2 },
        { address: "b", weight: 1 },
      ],
      false,
    );
    d.opened("a");
    assert.equal(d.setHealth("a", false).dropConnections, true);
  });

  it("uses the sorry server only while no real server is available", () => {
    const b = new Balancer({
      scheduler: "wrr",
      quiescent: true,
      sorryServer: "10.0.0.9:80",
      realServers: servers(1, 1),
    });
    assert.equal(b.choose("c", 0, new Set())?.sorry, false);
    b.setHealth("10.0.0.1:80", false);
    assert.equal(b.choose("c", 0, new Set())?.address, "10.0.0.2:80");
    b.setHealth("10.0.0.2:80", false);
    assert.deepEqual(b.choose("c", 0, new Set()), { address: "10.0.0.9:80", sorry: true });
    b.setHealth("10.0.0.1:80", true);
    assert.deepEqual(b.choose("c", 0, new Set()), { address: "10.0.0.1:80", sorry: false });
  });

  it("a server removed from the config drains: no new connections, gone after its last one closes", () => {
    const b = new Balancer({ scheduler: "rr", quiescent: false, realServers: servers(1, 1) });
    b.opened("c", "10.0.0.1:80", 0);
    assert.deepEqual(b.reconfigure({ scheduler: "rr", quiescent: false, realServers: servers(0, 1).slice(1) }), []);
    for (let i = 0; i < 4; i++) assert.equal(b.choose("c", 0, new Set())?.address, "10.0.0.2:80");
    assert.equal(b.pool.status(() => undefined).find((r) => r.address === "10.0.0.1:80")?.draining, true);
    assert.equal(b.closed("c", "10.0.0.1:80", 1), true);
    assert.deepEqual(b.pool.addresses(), ["10.0.0.2:80"]);
  });
});

describe("balancer: PROXY protocol header", () => {
  const v4 = { sourceIp: "::ffff:192.0.2.7", sourcePort: 51000, destIp: "10.77.0.100", destPort: 3306 };
  it("v1 is one text line, UNKNOWN when the families differ", () => {
    assert.equal(proxyV1(v4), "PROXY TCP4 192.0.2.7 10.77.0.100 51000 3306\r\n");
    assert.equal(
      proxyV1({ sourceIp: "2001:db8::1", sourcePort: 1, destIp: "2001:db8::100", destPort: 80 }),
      "PROXY TCP6 2001:db8::1 2001:db8::100 1 80\r\n",
    );
    assert.equal(proxyV1({ ...v4, destIp: "2001:db8::100" }), "PROXY UNKNOWN\r\n");
  });

  it("v2 has the signature, PROXY command, family, length and addresses", () => {
    const h = Buffer.from(proxyV2(v4));
    assert.equal(h.subarray(0, 12).toString("hex"), "0d0a0d0a000d0a515549540a");
    assert.equal(h[12], 0x21);
    assert.equal(h[13], 0x11);
    assert.equal(h.readUInt16BE(14), 12);
    assert.equal([...h.subarray(16, 20)].join("."), "192.0.2.7");
    assert.equal(h.readUInt16BE(24), 51000);
    assert.equal(h.readUInt16BE(26), 3306);
    const h6 = Buffer.from(proxyV2({ sourceIp: "2001:db8::1", sourcePort: 1, destIp: "::1", destPort: 80 }));
    assert.equal(h6[13], 0x21);
    assert.equal(h6.readUInt16BE(14), 36);
    assert.equal(h6.subarray(16, 32).toString("hex"), "20010db8000000000000000000000001");
    assert.equal(h6.subarray(32, 48).toString("hex"), "00000000000000000000000000000001");
  });
});
