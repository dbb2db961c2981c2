// What lets the etcd backend carry hundreds of groups: reads that return only what changed since the last
// one (and still see deletions), leader writes split to fit etcd's limit of operations per transaction,
// and a node's starts taken a few at a time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StartSlots } from "../../src/daemon/start-slots.js";
import { KeyMirror } from "../../src/core/etcd/key-mirror.js";
import { MAX_TXN_OPS, type KeyRange, type Txn } from "../../src/core/etcd/kv.js";
import { EtcdModel, EtcdModelError } from "../../src/sim/etcd-model.js";
import type { MachineInput } from "../../src/core/machine.js";
import type { ClusterEvent } from "../../src/core/cluster/events.js";
import { EtcdCoordNode, type EtcdCoordSpec } from "../../src/core/etcd/coord-node.js";
import { ETCD_PEER, type EtcdWire } from "../../src/core/etcd/coord-wire.js";
import { DEFAULTS, simSpec } from "../../src/sim/protocols/cluster.js";
import { EtcdServer } from "../../src/sim/protocols/etcd-cluster.js";
import { etcdSpecOf } from "../../src/core/etcd/coord-spec.js";
import { etcdSchema } from "../../src/core/config/etcd-schema.js";

const put = (key: string, value: string): Txn => ({ compare: [], success: [{ put: { key, value } }] });
const del = (key: string): Txn => ({ compare: [], success: [{ delete: { key } }] });

/** Reads `/p/` through a mirror, as the core does each poll. */
function reader(etcd: EtcdModel) {
  const mirror = new KeyMirror({ key: "/p/", prefix: true });
  return (now: number) => {
    const sent: KeyRange = mirror.next();
    const r = etcd.range(now, sent);
    return { sent, answer: r, read: mirror.apply(sent, r) };
  };
}

const values = (kvs: { key: string; value: string }[]) =>
  Object.fromEntries([...kvs].sort((a, b) => (a.key < b.key ? -1 : 1)).map((kv) => [kv.key, kv.value]));

describe("etcd reads of only what changed", () => {
  it("asks for changes since the last read and gets the same keys a whole read would", () => {
    const etcd = new EtcdModel();
    for (let i = 0; i < 50; i++) etcd.txn(0, put(`/p/k${i}`, "v0"));
    const read = reader(etcd);
    const first = read(1);
    assert.equal(first.sent.minModRevision, undefined, "the first read is whole");
    assert.equal(first.read?.result.kvs.length, 50);
    etcd.txn(2, put("/p/k7", "v1"));
    etcd.txn(2, put("/p/new", "n"));
    etcd.txn(2, put("/other", "x"));
    const second = read(3);
    assert.ok((second.sent.minModRevision ?? 0) > 0);
    assert.equal(second.answer.kvs.length, 2, "only the two changed keys travel");
    assert.deepEqual(values(second.read?.result.kvs ?? []), values(etcd.range(3, { key: "/p/", prefix: true }).kvs));
    const quiet = read(4);
    assert.equal(quiet.answer.kvs.length, 0);
    assert.equal(quiet.read?.changed, false, "nothing changed: the snapshot can be kept");
  });

  it("notices a deletion (nothing comes back for it, but the count falls) and reads whole again", () => {
    const etcd = new EtcdModel();
    for (let i = 0; i < 5; i++) etcd.txn(0, put(`/p/k${i}`, "v"));
    const read = reader(etcd);
    read(1);
    etcd.txn(2, del("/p/k3"));
    etcd.txn(2, put("/p/k9", "v"));
    const after = read(3);
    assert.equal(after.read, undefined, "a read that cannot tell which key went is not used");
    const whole = read(4);
    assert.equal(whole.sent.minModRevision, undefined);
    assert.deepEqual(Object.keys(values(whole.read?.result.kvs ?? [])), ["/p/k0", "/p/k1", "/p/k2", "/p/k4", "/p/k9"]);
  });

  it("takes a key deleted and created again as changed", () => {
    const etcd = new EtcdModel();
    etcd.txn(0, put("/p/lock", "n1"));
    const read = reader(etcd);
    read(1);
    etcd.txn(2, del("/p/lock"));
    etcd.txn(2, put("/p/lock", "n2"));
    assert.deepEqual(values(read(3).read?.result.kvs ?? []), { "/p/lock": "n2" });
  });
});

describe("etcd transactions of many groups", () => {
  it("refuses a transaction of more operations than etcd's default limit, as etcd does", () => {
    const etcd = new EtcdModel();
    const ops = Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => ({ put: { key: `/p/a${i}`, value: "n1" } }));
    assert.throws(
      () => etcd.txn(0, { compare: [], success: ops }),
      (e: unknown) => e instanceof EtcdModelError && e.code === "E_ETCD_REQUEST",
    );
    assert.equal(etcd.range(0, { key: "/p/", prefix: true }).count, 0, "nothing of it was applied");
  });

  it("assigns and starts 300 groups: the leader writes its assignments over several transactions", () => {
    const spec: EtcdCoordSpec = {
      ...simSpec({ ...DEFAULTS, nodes: 1, groups: 300, budgets: [0] }),
      prefix: "/v",
      ttlSeconds: 2,
      pollEvery: 50,
      requestTimeout: 700,
      failbackSettle: 0,
    };
    const node = new EtcdCoordNode(spec, "n1", 1, 0);
    const etcd = new EtcdModel({ minTtlSeconds: 1 });
    const server = new EtcdServer(etcd);
    const refused: string[] = [];
    const started = new Set<string>();
    let inputs: MachineInput<EtcdWire, ClusterEvent>[] = [{ kind: "tick" }];
    for (let now = 0; now < 10_000 && started.size < 300; now += 10) {
      const next: MachineInput<EtcdWire, ClusterEvent>[] = [];
      for (const input of [...inputs, { kind: "tick" } as const]) {
        const out = node.step(now, input);
        for (const { msg } of out.sends)
          for (const a of server.step(now, { kind: "message", from: "n1", msg }).sends) {
            if (a.msg.t === "err") refused.push(a.msg.message);
            next.push({ kind: "message", from: ETCD_PEER, msg: a.msg });
          }
        for (const a of out.actions)
          if (a.kind === "probe") next.push({ kind: "local", event: { kind: "settled" } });
          else if (a.kind === "start") {
            started.add(a.group);
            next.push({ kind: "local", event: { kind: "started", group: a.group } });
          }
      }
      inputs = next;
    }
    assert.deepEqual(refused, [], "etcd refused none of the leader's transactions");
    assert.equal(started.size, 300);
    const assigned = etcd.range(10_000, { key: "/v/assign/", prefix: true }).kvs;
    assert.equal(assigned.filter((kv) => kv.value === "n1").length, 300);
  });
});

describe("etcd spec", () => {
  it("waits two session TTLs for a group's preferred node at a cold start (nodes start together)", () => {
    const etcd = etcdSchema.parse({ endpoints: ["http://127.0.0.1:2379"], prefix: "/v", ttl: "5s" });
    const spec = etcdSpecOf({ ...simSpec(DEFAULTS), failbackSettle: 2000 }, etcd);
    assert.equal(spec.failbackSettle, 10_000);
    assert.equal(spec.pollEvery, 500);
  });
});

describe("start slots", () => {
  it("lets a few starts run at once, one handed out per turn of the event loop, the rest in turn", async () => {
    const turns: (() => void)[] = [];
    const slots = new StartSlots(2, (f) => void turns.push(f));
    const granted: string[] = [];
    for (const g of ["a", "b", "c"]) void slots.acquire(g).then((ok) => granted.push(`${g}:${ok}`));
    const turn = async () => {
      turns.shift()?.();
      await new Promise((r) => setImmediate(r));
    };
    await turn();
    assert.deepEqual(granted, ["a:true"], "one per turn");
    await turn();
    assert.deepEqual(granted, ["a:true", "b:true"]);
    await turn();
    assert.deepEqual(granted, ["a:true", "b:true"], "c waits: both slots are busy");
    assert.equal(slots.queued, 1);
    slots.release();
    await turn();
    assert.deepEqual(granted, ["a:true", "b:true", "c:true"]);
  });

  it("gives a waiting start back when a stop of its group comes, so the stop does not wait behind it", async () => {
    const slots = new StartSlots(1);
    assert.equal(await slots.acquire("a"), true);
    const waiting = slots.acquire("b");
    assert.equal(slots.cancel("b"), true);
    assert.equal(await waiting, false);
    assert.equal(slots.queued, 0);
    slots.release();
    assert.equal(await slots.acquire("c"), true, "the slot freed by a is free again");
  });
});
