// The simulator's in-memory etcd: linearizable transactions on a revisioned store, leases revoked by a
// 500ms scan after they expire, leases extended when a new leader takes over, and late but ordered
// watch events.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Txn } from "../../src/core/etcd/kv.js";
import { EtcdModel, EtcdModelError, type ModelWatchEvent } from "../../src/sim/etcd-model.js";

const lockTxn = (key: string, value: string, lease: string): Txn => ({
  compare: [{ key, target: "create", result: "EQUAL", value: 0 }],
  success: [{ put: { key, value, lease } }],
  failure: [{ range: { key } }],
});
const fenced = (lockKey: string, token: number, key: string, value: string): Txn => ({
  compare: [{ key: lockKey, target: "create", result: "EQUAL", value: token }],
  success: [{ put: { key, value } }],
  failure: [{ range: { key: lockKey } }],
});
const code = (c: string) => (e: unknown) => e instanceof EtcdModelError && e.code === c;

describe("etcd model: transactions", () => {
  it("gives a lock to the first of two contenders; the second learns the holder and its token", () => {
    const m = new EtcdModel();
    const a = m.grant(0, 3);
    const b = m.grant(0, 3);
    const ra = m.txn(10, lockTxn("/l", "a", a.id));
    const rb = m.txn(10, lockTxn("/l", "b", b.id));
    assert.equal(ra.succeeded, true);
    assert.equal(rb.succeeded, false);
    assert.equal(rb.responses[0]?.kvs[0]?.value, "a");
    assert.equal(rb.responses[0]?.kvs[0]?.createRevision, ra.revision);
    assert.equal(rb.revision, ra.revision, "a failed compare writes nothing");
  });

  it("applies a write guarded by the token only while the lock still has it", () => {
    const m = new EtcdModel();
    const a = m.grant(0, 2);
    const token = m.txn(0, lockTxn("/l", "a", a.id)).revision;
    assert.equal(m.txn(100, fenced("/l", token, "/data", "a1")).succeeded, true);
    // a stops renewing: its lease expires at 2000, the scan at 2000 revokes it and deletes the lock.
    m.advance(2000);
    const b = m.grant(2000, 10);
    const tb = m.txn(2001, lockTxn("/l", "b", b.id));
    assert.equal(tb.succeeded, true);
    assert.ok(tb.revision > token);
    const stale = m.txn(2002, fenced("/l", token, "/data", "a2"));
    assert.equal(stale.succeeded, false);
    assert.equal(stale.responses[0]?.kvs[0]?.value, "b");
    assert.equal(m.range(2003, { key: "/data" }).kvs[0]?.value, "a1");
  });

  it("keeps create revision and counts versions across puts; a delete makes the key absent again", () => {
    const m = new EtcdModel();
    const r1 = m.txn(0, { compare: [], success: [{ put: { key: "/k", value: "1" } }] });
    const r2 = m.txn(0, {
      compare: [],
      success: [{ put: { key: "/k", value: "2" } }, { put: { key: "/j", value: "x" } }],
    });
    const kv = m.range(0, { key: "/k" }).kvs[0];
    assert.deepEqual(kv, {
      key: "/k",
      value: "2",
      createRevision: r1.revision,
      modRevision: r2.revision,
      version: 2,
      lease: "0",
    });
    assert.equal(r2.revision, r1.revision + 1, "one revision per transaction");
    m.txn(0, { compare: [], success: [{ delete: { key: "/", prefix: true } }] });
    assert.equal(m.range(0, { key: "/", prefix: true }).kvs.length, 0);
    assert.equal(m.txn(0, lockTxn("/k", "again", "0")).succeeded, true, "absent again: create_revision 0");
  });

  it("refuses a put on a lease it does not have, changing nothing", () => {
    const m = new EtcdModel();
    const before = m.revision;
    assert.throws(
      () =>
        m.txn(0, {
          compare: [],
          success: [{ put: { key: "/a", value: "1" } }, { put: { key: "/b", value: "1", lease: "42" } }],
        }),
      code("E_ETCD_LEASE_LOST"),
    );
    assert.equal(m.revision, before);
    assert.equal(m.range(0, { key: "/a" }).kvs.length, 0);
  });
});

describe("etcd model: leases", () => {
  it("revokes an expired lease only at the next 500ms scan, deleting its keys", () => {
    const m = new EtcdModel({ firstScanAt: 250 });
    const l = m.grant(0, 2);
    m.txn(0, { compare: [], success: [{ put: { key: "/k", value: "v", lease: l.id } }] });
    m.advance(2249);
    assert.equal(m.range(2249, { key: "/k" }).kvs.length, 1, "expired at 2000, not yet scanned");
    assert.throws(() => m.keepAlive(2249, l.id), code("E_ETCD_LEASE_LOST"), "but it can no longer be renewed");
    m.advance(2250);
    assert.equal(m.range(2250, { key: "/k" }).kvs.length, 0);
    assert.deepEqual(m.expiries, [{ id: l.id, at: 2250, expiry: 2000 }]);
  });

  it("renews by the full TTL from the time etcd handles a keepalive", () => {
    const m = new EtcdModel();
    const l = m.grant(0, 2);
    assert.deepEqual(m.keepAlive(1900, l.id), { ttlSeconds: 2 });
    assert.equal(m.leaseExpiry(l.id), 3900);
    m.advance(3500);
    assert.equal(m.leaseExpiry(l.id), 3900);
    m.advance(4000);
    assert.equal(m.leaseExpiry(l.id), undefined);
  });

  it("raises a TTL below the minimum etcd grants", () => {
    assert.equal(new EtcdModel().grant(0, 1).ttlSeconds, 2);
    assert.equal(new EtcdModel({ minTtlSeconds: 3 }).grant(0, 2).ttlSeconds, 3);
  });

  it("serves nothing during an election, expires nothing, then extends every lease by its TTL", () => {
    const m = new EtcdModel();
    const l = m.grant(0, 2);
    m.txn(0, { compare: [], success: [{ put: { key: "/k", value: "v", lease: l.id } }] });
    m.loseLeader(1500, 1000);
    assert.throws(() => m.range(1600, { key: "/k" }), code("E_ETCD_UNAVAILABLE"));
    assert.throws(() => m.keepAlive(1700, l.id), code("E_ETCD_UNAVAILABLE"));
    m.advance(2400);
    assert.equal(m.leaseExpiry(l.id), 2000, "past its expiry, but no leader scans");
    assert.equal(m.range(2500, { key: "/k" }).kvs.length, 1, "the new leader extended it");
    assert.equal(m.leaseExpiry(l.id), 4500);
    m.advance(4499);
    assert.equal(m.range(4499, { key: "/k" }).kvs.length, 1);
    m.advance(4500);
    assert.equal(m.range(4500, { key: "/k" }).kvs.length, 0);
  });
});

describe("etcd model: watches", () => {
  it("delivers each batch after its delay, never out of order, only for its range", () => {
    const delays = [300, 10, 50];
    const m = new EtcdModel({ watchDelayMs: () => delays.shift() ?? 0 });
    const got: { at: number; events: string[] }[] = [];
    let now = 0;
    m.watch(0, { key: "/g/", prefix: true }, m.revision + 1, (ev: ModelWatchEvent[]) =>
      got.push({ at: now, events: ev.map((e) => `${e.type} ${e.kv.key}=${e.kv.value}`) }),
    );
    m.txn(0, { compare: [], success: [{ put: { key: "/g/a", value: "1" } }] });
    m.txn(1, { compare: [], success: [{ put: { key: "/other", value: "x" } }, { put: { key: "/g/b", value: "2" } }] });
    m.txn(2, { compare: [], success: [{ delete: { key: "/g/a" } }] });
    for (now = 2; now <= 400; now++) m.advance(now);
    assert.deepEqual(got, [
      { at: 300, events: ["put /g/a=1"] },
      { at: 300, events: ["put /g/b=2"] },
      { at: 300, events: ["delete /g/a="] },
    ]);
  });

  it("replays history from the start revision, and refuses a compacted one", () => {
    const m = new EtcdModel();
    const first = m.txn(0, { compare: [], success: [{ put: { key: "/k", value: "1" } }] }).revision;
    m.txn(0, { compare: [], success: [{ put: { key: "/k", value: "2" } }] });
    const seen: string[] = [];
    m.watch(0, { key: "/k" }, first, (ev) => seen.push(...ev.map((e) => e.kv.value)));
    m.advance(1);
    assert.deepEqual(seen, ["1", "2"]);
    m.compact(first);
    assert.throws(() => m.watch(1, { key: "/k" }, first, () => undefined), code("E_ETCD_COMPACTED"));
  });

  it("reports a lease expiry to watchers as deletes", () => {
    const m = new EtcdModel();
    const l = m.grant(0, 2);
    m.txn(0, { compare: [], success: [{ put: { key: "/lock", value: "a", lease: l.id } }] });
    const seen: string[] = [];
    m.watch(0, { key: "/lock" }, m.revision + 1, (ev) => seen.push(...ev.map((e) => e.type)));
    m.advance(2000);
    assert.deepEqual(seen, ["delete"]);
  });
});
