// The nftables table of a kernel-forwarded virtual server, built purely from the real servers' state:
// which server owns which scheduler slot, what a health change rewrites, what start-up removes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  installCommands,
  readCounters,
  rrSlots,
  SH_SLOTS,
  shSlots,
  smoothOrder,
  staleTables,
  updateCommands,
  type KernelServer,
  type KernelSpec,
} from "../../src/core/balancer/kernel-ruleset.js";
import { KernelServers } from "../../src/core/balancer/kernel-servers.js";

const server = (n: number, extra: Partial<KernelServer> = {}): KernelServer => ({
  ip: `10.0.1.${n}`,
  port: 80,
  weight: 1,
  up: true,
  draining: false,
  ...extra,
});
const spec = (servers: KernelServer[], extra: Partial<KernelSpec> = {}): KernelSpec => ({
  name: "web",
  forward: "nat",
  protocol: "tcp",
  family: 4,
  vip: "10.0.0.100",
  port: 80,
  scheduler: "sh",
  servers,
  ...extra,
});
const owners = (slots: (KernelServer | undefined)[]) => slots.map((s) => s?.ip);

describe("kernel ruleset: scheduler slots", () => {
  it("wrr interleaves by weight (3:1 goes a b a a, smoothly)", () => {
    assert.deepEqual(smoothOrder([3, 1]), [0, 0, 1, 0]);
    const slots = rrSlots(spec([server(1, { weight: 3 }), server(2)], { scheduler: "wrr" }));
    assert.deepEqual(
      slots.map((s) => s.ip),
      ["10.0.1.1", "10.0.1.1", "10.0.1.2", "10.0.1.1"],
    );
  });

  it("rr has one slot per eligible server and skips a failed or draining one", () => {
    const slots = rrSlots(
      spec([server(1), server(2, { up: false }), server(3, { draining: true }), server(4)], { scheduler: "rr" }),
    );
    assert.deepEqual(
      slots.map((s) => s.ip),
      ["10.0.1.1", "10.0.1.4"],
    );
  });

  it("sh: a failed server's slots go to the others and nobody else's slot moves", () => {
    const all = [server(1), server(2), server(3)];
    const before = owners(shSlots(all));
    assert.equal(before.length, SH_SLOTS);
    const after = owners(shSlots([server(1), server(2, { up: false }), server(3)]));
    before.forEach((ip, i) => {
      if (ip !== "10.0.1.2") assert.equal(after[i], ip, `slot ${i} moved from ${ip}`);
      else assert.notEqual(after[i], "10.0.1.2");
    });
    assert.deepEqual(owners(shSlots(all)), before, "deterministic: every director computes the same slots");
    assert.deepEqual(shSlots([server(1, { up: false })]), [], "no eligible server: no slots");
  });

  it("sh follows weights and does not depend on configuration order", () => {
    const slots = owners(shSlots([server(2), server(1, { weight: 3 })]));
    assert.equal(slots.filter((ip) => ip === "10.0.1.1").length, 192);
    assert.deepEqual(slots, owners(shSlots([server(1, { weight: 3 }), server(2)])));
  });
});

describe("kernel ruleset: transactions", () => {
  it("an install replaces a stale table of the same name in the same transaction", () => {
    const cmds = installCommands(spec([server(1)]));
    assert.deepEqual(cmds.slice(0, 3), [
      { add: { table: { family: "ip", name: "vigil_web" } } },
      { delete: { table: { family: "ip", name: "vigil_web" } } },
      { add: { table: { family: "ip", name: "vigil_web" } } },
    ]);
    const text = JSON.stringify(cmds);
    assert.match(text, /"jhash":\{"mod":256,"seed":\d+/, "sh hashes the client address with a fixed seed");
    assert.match(text, /"snat":\{"family":"ip","addr":"10.0.0.100","port":80\}/, "nat continues flows begun elsewhere");
  });

  it("a health change rewrites the chains and forgets the failed server's persistent clients, without deleting the table", () => {
    const a = spec([server(1), server(2)], { persistenceMs: 60_000 });
    const b = spec([server(1), server(2, { up: false })], { persistenceMs: 60_000 });
    const cmds = updateCommands(a, b);
    const text = JSON.stringify(cmds);
    assert.doesNotMatch(text, /"delete":\{"table"/);
    assert.match(text, /"flush":\{"set":\{"family":"ip","table":"vigil_web","name":"p_10_0_1_2_80"\}\}/);
    assert.doesNotMatch(text, /"add":\{"set"/, "existing sets are not added again");
  });

  it("a server gone from the config loses its chain, counters and set", () => {
    const cmds = JSON.stringify(
      updateCommands(spec([server(1), server(2)], { persistenceMs: 1000 }), spec([server(1)], { persistenceMs: 1000 })),
    );
    for (const obj of [
      '"chain":{"family":"ip","table":"vigil_web","name":"rs_10_0_1_2_80"}',
      '"set":{"family":"ip","table":"vigil_web","name":"p_10_0_1_2_80"}',
    ])
      assert.ok(cmds.includes(`"delete":{${obj}}`), obj);
  });

  it("a new persistence timeout or protocol reinstalls the table", () => {
    const cmds = updateCommands(spec([server(1)]), spec([server(1)], { protocol: "udp" }));
    assert.deepEqual(cmds[1], { delete: { table: { family: "ip", name: "vigil_web" } } });
  });

  it("start-up removes only tables with vigil's prefix", () => {
    const listing = {
      nftables: [
        { metainfo: {} },
        { table: { family: "ip", name: "vigil_web" } },
        { table: { family: "inet", name: "filter" } },
        { table: { family: "ip6", name: "vigil_dns" } },
      ],
    };
    assert.deepEqual(staleTables(listing), [
      { family: "ip", name: "vigil_web" },
      { family: "ip6", name: "vigil_dns" },
    ]);
  });

  it("reads flows and bytes per real server back from the counters", () => {
    const r = readCounters({
      nftables: [
        { counter: { name: "n_10_0_1_1_80", packets: 5, bytes: 300 } },
        { counter: { name: "i_10_0_1_1_80", packets: 50, bytes: 4000 } },
        { counter: { name: "o_10_0_1_1_80", packets: 60, bytes: 90000 } },
        { counter: { name: "sorry", packets: 2, bytes: 120 } },
      ],
    });
    assert.deepEqual(r.servers.get("10_0_1_1_80"), { flows: 5, bytesIn: 4000, bytesOut: 90000 });
    assert.equal(r.sorry, 2);
  });
});

describe("kernel servers: health and reload", () => {
  const config = (addresses: string[], quiescent = false) =>
    ({
      name: "web",
      listen: "10.0.0.100:80",
      forward: "nat",
      protocol: "tcp",
      scheduler: "rr",
      quiescent,
      real_servers: addresses.map((address) => ({ address, weight: 1 })),
    }) as unknown as ConstructorParameters<typeof KernelServers>[0];

  it("a failure deletes flows unless quiescent, and says so", () => {
    const k = new KernelServers(config(["10.0.1.1:80", "10.0.1.2:80"]));
    assert.deepEqual(k.setHealth("10.0.1.2:80", false), {
      changed: true,
      dropFlows: true,
      reason: "10.0.1.2:80 removed from rotation; its flows are deleted from conntrack",
    });
    const q = new KernelServers(config(["10.0.1.1:80", "10.0.1.2:80"], true));
    assert.equal(q.setHealth("10.0.1.2:80", false).dropFlows, false);
  });

  it("a server removed by a reload drains until conntrack holds none of its flows", () => {
    const k = new KernelServers(config(["10.0.1.1:80", "10.0.1.2:80"]));
    assert.deepEqual(k.setConfig(config(["10.0.1.1:80"])), ["10.0.1.2:80"]);
    assert.deepEqual(
      k.spec().servers.map((s) => [s.ip, s.draining]),
      [
        ["10.0.1.1", false],
        ["10.0.1.2", true],
      ],
    );
    assert.equal(k.drained("10.0.1.2:80"), true);
    assert.equal(k.spec().servers.length, 1);
  });
});
