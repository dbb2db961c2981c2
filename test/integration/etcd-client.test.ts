// The etcd client adapter against a real etcd (one member on loopback, Debian etcd-server): linearizable
// reads and transactions, the session lease counted from the send time of its keepalives, locks with
// mutual exclusion and fencing, watches that resume from a revision, endpoint failover, and an etcd that
// dies. Skipped loudly where etcd is not installed.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { EtcdClient } from "../../src/adapters/etcd/client.js";
import { EtcdError, isEtcdError } from "../../src/adapters/etcd/errors.js";
import { acquireLock, fencedWrite, holderWrite, releaseLock } from "../../src/adapters/etcd/lock.js";
import { EtcdSession, SESSION_DRIFT_MARGIN } from "../../src/adapters/etcd/session.js";
import { EtcdWatch, type WatchEvent } from "../../src/adapters/etcd/watch.js";
import { etcdVersionProblem } from "../../src/core/etcd/version-floor.js";
import { EtcdCluster, etcdMissing, freePort, post } from "../helpers/etcd.js";

const missing = etcdMissing();
if (missing) console.warn(`SKIPPED etcd client tests: ${missing}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` holds, polling every 20ms; fails with `what` after `timeoutMs`. */
async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves with why the session ended. */
function ended(s: EtcdSession): Promise<{ why: EtcdError; at: number }> {
  return new Promise((resolve) => s.onEnd((why) => resolve({ why, at: performance.now() })));
}

describe("etcd client against a real etcd", { skip: missing || undefined }, () => {
  let etcd: EtcdCluster;
  const clients: EtcdClient[] = [];
  const client = (endpoints = etcd.endpoints, requestTimeoutMs = 1000) => {
    const c = new EtcdClient({ endpoints, requestTimeoutMs });
    clients.push(c);
    return c;
  };
  let n = 0;
  const prefix = () => `/vigil-test/${++n}/`;

  before(async () => {
    etcd = await EtcdCluster.start(1);
  });
  after(async () => {
    for (const c of clients) c.close();
    await etcd?.stop();
  });

  it("reads the member's version; Debian's 3.4.23 is below the production floor", async () => {
    const v = await client().version();
    assert.match(v.server, /^3\.\d+\.\d+/);
    if (v.server === "3.4.23") assert.match(etcdVersionProblem(v.server) ?? "", /15247/);
  });

  it("reads linearizably and applies transactions atomically", async () => {
    const c = client();
    const p = prefix();
    const t = await c.txn({
      compare: [{ key: `${p}a`, target: "version", result: "EQUAL", value: 0 }],
      success: [{ put: { key: `${p}a`, value: "1" } }, { put: { key: `${p}b`, value: "ünïcode" } }],
    });
    assert.equal(t.succeeded, true);
    const r = await c.range({ key: p, prefix: true });
    assert.deepEqual(
      r.kvs.map((kv) => [kv.key, kv.value, kv.createRevision]),
      [
        [`${p}a`, "1", t.revision],
        [`${p}b`, "ünïcode", t.revision],
      ],
    );
    const again = await c.txn({
      compare: [{ key: `${p}a`, target: "version", result: "EQUAL", value: 0 }],
      success: [{ put: { key: `${p}a`, value: "2" } }],
      failure: [{ range: { key: `${p}a` } }],
    });
    assert.equal(again.succeeded, false);
    assert.equal(again.responses[0]?.kvs[0]?.value, "1");
  });

  it("reads only keys changed since a revision, still counting every key (what the core's polls rely on)", async () => {
    const c = client();
    const p = `/mirror-${Date.now()}/`;
    for (const k of ["a", "b", "c"]) await c.txn({ compare: [], success: [{ put: { key: `${p}${k}`, value: "1" } }] });
    const base = await c.range({ key: p, prefix: true });
    assert.equal(base.count, 3);
    await c.txn({ compare: [], success: [{ put: { key: `${p}b`, value: "2" } }] });
    const changed = await c.range({ key: p, prefix: true, minModRevision: base.revision + 1 });
    assert.deepEqual(
      changed.kvs.map((kv) => [kv.key, kv.value]),
      [[`${p}b`, "2"]],
    );
    assert.equal(changed.count, 3, "count counts the keys the filter left out");
    await c.txn({ compare: [], success: [{ delete: { key: `${p}a` } }] });
    const afterDelete = await c.range({ key: p, prefix: true, minModRevision: changed.revision + 1 });
    assert.deepEqual(afterDelete.kvs, [], "a deletion returns nothing");
    assert.equal(afterDelete.count, 2, "but the count falls");
  });

  it("counts the session from the send time of the keepalive that renewed it, minus the drift margin", async () => {
    const c = client();
    const s = await EtcdSession.open(c, { ttlSeconds: 2 });
    try {
      await until(() => s.renewals >= 2, "two keepalives");
      assert.equal(s.validUntil, s.renewedFrom + 2000 * (1 - SESSION_DRIFT_MARGIN));
      assert.ok(s.valid());
      // The lease on the server outlives the holder's view: stop renewing, and the key attached to the
      // lease disappears only after the holder's validity ended.
      const p = prefix();
      await c.txn({ compare: [], success: [{ put: { key: `${p}k`, value: "x", lease: s.id } }] });
      const end = ended(s);
      s.pauseRenewals();
      const validUntil = s.validUntil;
      await until(async () => (await c.range({ key: `${p}k` })).kvs.length === 0, "etcd to expire the lease");
      const goneAt = performance.now();
      assert.ok(
        goneAt >= validUntil,
        `etcd dropped the lease ${validUntil - goneAt}ms before the holder's validity ended`,
      );
      const { why, at } = await end;
      assert.equal(why.code, "E_ETCD_SESSION_EXPIRED");
      assert.ok(at >= validUntil, "the session ended no earlier than its validity");
      assert.equal(s.valid(), false);
      assert.throws(
        () => s.assertValid(),
        (e: unknown) => isEtcdError(e, "E_ETCD_SESSION_EXPIRED"),
      );
      await assert.rejects(c.leaseKeepAlive(s.id), (e: unknown) => isEtcdError(e, "E_ETCD_LEASE_LOST"));
    } finally {
      await s.close().catch(() => undefined);
    }
  });

  it("ends the session at once when etcd says the lease is gone (revoked elsewhere)", async () => {
    const s = await EtcdSession.open(client(), { ttlSeconds: 5, keepalivesPerTtl: 10 });
    const end = ended(s);
    await post(etcd.endpoints[0] ?? "", "/v3/lease/revoke", { ID: s.id });
    const { why } = await end;
    assert.equal(why.code, "E_ETCD_LEASE_LOST");
    assert.ok(s.validUntil > performance.now() - 1000 || !s.valid(), "validity cut short");
    assert.equal(s.valid(), false, "not valid although its time had not run out");
  });

  it("gives a lock to exactly one of several contenders, and its token fences the others", async () => {
    const p = prefix();
    const lockKey = `${p}lock`;
    const sessions = await Promise.all([1, 2, 3, 4, 5].map(() => EtcdSession.open(client(), { ttlSeconds: 10 })));
    try {
      const results = await Promise.all(
        sessions.map((s, i) => acquireLock(clients[clients.length - 5 + i]!, s, lockKey, `n${i}`)),
      );
      const winners = results.filter((r) => r.acquired);
      assert.equal(winners.length, 1, JSON.stringify(results));
      const w = winners[0];
      assert.ok(w?.acquired);
      for (const r of results) if (!r.acquired) assert.equal(r.holder?.createRevision, w.lock.token);
      // A repeated acquire by the holder is the same lock (a retried request is harmless).
      const wi = results.indexOf(w);
      const again = await acquireLock(client(), sessions[wi]!, lockKey, `n${wi}`);
      assert.deepEqual(again, w);
      await assert.rejects(
        fencedWrite(client(), { key: lockKey, token: w.lock.token + 1 }, [{ put: { key: `${p}data`, value: "x" } }]),
        (e: unknown) => isEtcdError(e, "E_ETCD_FENCED"),
      );
      assert.equal(await releaseLock(client(), { key: lockKey, token: w.lock.token + 1 }), false);
      assert.equal(await releaseLock(client(), w.lock), true);
    } finally {
      await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    }
  });

  it("refuses a stale holder's writes once its lease expired and another took the lock", async () => {
    const p = prefix();
    const lockKey = `${p}lock`;
    const data = `${p}owner`;
    const ca = client();
    const cb = client();
    const a = await EtcdSession.open(ca, { ttlSeconds: 2 });
    const b = await EtcdSession.open(cb, { ttlSeconds: 10 });
    try {
      const la = await acquireLock(ca, a, lockKey, "a");
      assert.ok(la.acquired);
      await holderWrite(ca, a, la.lock, [{ put: { key: data, value: "a" } }]);
      assert.equal((await acquireLock(cb, b, lockKey, "b")).acquired, false, "b must not get a held lock");
      a.pauseRenewals(); // a freezes: it sends no more keepalives
      const got: { r?: Awaited<ReturnType<typeof acquireLock>> } = {};
      await until(async () => (got.r = await acquireLock(cb, b, lockKey, "b")).acquired, "b to take the lock");
      const lb = got.r;
      assert.ok(lb?.acquired);
      assert.ok(lb.lock.token > la.lock.token);
      assert.equal(a.valid(), false, "a's own view had ended before b could take the lock");
      // a wakes up: its own check refuses, and so does etcd when a writes anyway.
      await assert.rejects(holderWrite(ca, a, la.lock, [{ put: { key: data, value: "a" } }]), (e: unknown) =>
        isEtcdError(e, "E_ETCD_SESSION_EXPIRED"),
      );
      await assert.rejects(
        fencedWrite(ca, la.lock, [{ put: { key: data, value: "a-stale" } }]),
        (e: unknown) => isEtcdError(e, "E_ETCD_FENCED") && /now held with token \d+ by "b"/.test(e.message),
      );
      await holderWrite(cb, b, lb.lock, [{ put: { key: data, value: "b" } }]);
      assert.equal((await cb.range({ key: data })).kvs[0]?.value, "b");
    } finally {
      await a.close().catch(() => undefined);
      await b.close().catch(() => undefined);
    }
  });

  it("watches a prefix from a revision, in order, and reports a compacted revision", async () => {
    const c = client();
    const p = prefix();
    const start = (await c.range({ key: p, prefix: true })).revision + 1;
    const seen: WatchEvent[] = [];
    const w = new EtcdWatch(c, { key: p, prefix: true, startRevision: start, onEvents: (e) => seen.push(...e) });
    try {
      await c.txn({ compare: [], success: [{ put: { key: `${p}1`, value: "a" } }] });
      await c.txn({
        compare: [],
        success: [{ put: { key: `${p}1`, value: "b" } }, { put: { key: `${p}2`, value: "c" } }],
      });
      await c.txn({ compare: [], success: [{ delete: { key: `${p}1` } }] });
      await c.txn({ compare: [], success: [{ put: { key: "/elsewhere", value: "x" } }] });
      await until(() => seen.length >= 4, "four events");
      assert.deepEqual(
        seen.map((e) => `${e.type} ${e.kv.key.slice(p.length)}=${e.kv.value}`),
        ["put 1=a", "put 1=b", "put 2=c", "delete 1="],
      );
    } finally {
      w.close();
    }
    const rev = (await c.range({ key: p })).revision;
    await post(etcd.endpoints[0] ?? "", "/v3/kv/compaction", { revision: String(rev) });
    const endedWith = await new Promise<EtcdError>((resolve) => {
      new EtcdWatch(c, { key: p, prefix: true, startRevision: start, onEvents: () => undefined, onEnd: resolve });
    });
    assert.equal(endedWith.code, "E_ETCD_COMPACTED");
  });

  it("fails over past a refused and a silent endpoint, and fails closed when none answers", async () => {
    const refused = `http://127.0.0.1:${await freePort()}`;
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => sockets.add(s)); // accepts, never answers (a frozen member)
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const addr = silent.address();
    const silentUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
    try {
      const c = client([refused, silentUrl, ...etcd.endpoints], 300);
      const r = await c.range({ key: "/none" });
      assert.ok(r.revision > 0);
      assert.equal(c.transport.preferred, etcd.endpoints[0], "the next call starts at the endpoint that answered");
      const s = await EtcdSession.open(c, { ttlSeconds: 2 });
      await s.close();
      // A plain write that may have reached the silent member is not sent again elsewhere (it could be
      // applied twice): the caller gets E_ETCD_TIMEOUT, and the next call starts at the next endpoint.
      const once = client([silentUrl, ...etcd.endpoints], 300);
      const put = { compare: [], success: [{ put: { key: "/vigil-test/once", value: "1" } }] };
      await assert.rejects(once.txn(put), (e: unknown) => isEtcdError(e, "E_ETCD_TIMEOUT"));
      assert.equal((await once.txn(put)).succeeded, true);
      const dead = client([refused, silentUrl], 300);
      await assert.rejects(
        dead.range({ key: "/none" }),
        (e: unknown) =>
          isEtcdError(e, "E_ETCD_UNAVAILABLE") &&
          /ECONNREFUSED.*no answer within 300ms \[E_ETCD_TIMEOUT\]/.test(e.message),
      );
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("resumes a watch after etcd restarts, and a session reports etcd's death within its validity", async () => {
    const c = client(etcd.endpoints, 500);
    const p = prefix();
    const start = (await c.range({ key: p, prefix: true })).revision + 1;
    const seen: string[] = [];
    const states: boolean[] = [];
    const w = new EtcdWatch(c, {
      key: p,
      prefix: true,
      startRevision: start,
      retryMs: 100,
      onEvents: (e) => seen.push(...e.map((x) => x.kv.value)),
      onState: (up) => states.push(up),
    });
    const s = await EtcdSession.open(c, { ttlSeconds: 2 });
    try {
      await c.txn({ compare: [], success: [{ put: { key: `${p}k`, value: "before" } }] });
      await until(() => seen.length === 1, "the first event");
      await until(() => s.renewals >= 1, "a keepalive");
      const end = ended(s);
      await etcd.kill(0);
      const killedAt = performance.now();
      const { why, at } = await end;
      const lastSend = s.renewedFrom;
      assert.equal(why.code, "E_ETCD_SESSION_EXPIRED");
      assert.ok(at >= s.validUntil, "not before its validity ended");
      console.log(
        `etcd SIGKILLed: session reported lost ${Math.round(at - killedAt)}ms later, ` +
          `${Math.round(at - lastSend)}ms after its last renewal was sent (ttl 2000ms, validity ${2000 * (1 - SESSION_DRIFT_MARGIN)}ms)`,
      );
      // A generous bound (a loaded machine delays timers), far below the 2 × TTL of common client libraries.
      assert.ok(at - lastSend < 2000 + 1500, `lost reported ${Math.round(at - lastSend)}ms after the last renewal`);
      await until(() => states.includes(false), "the watch to report its lost connection");
      await etcd.restart(0);
      await c.txn({ compare: [], success: [{ put: { key: `${p}k`, value: "after" } }] });
      await until(() => seen.length === 2, "the event written after the restart");
      assert.deepEqual(seen, ["before", "after"]);
      assert.ok(w.reconnections >= 1);
    } finally {
      w.close();
      await s.close().catch(() => undefined);
    }
  });
});

describe("etcd client: answers that are not etcd's fail closed", () => {
  it("reports bad JSON, an HTTP error and a keepalive without a TTL with their codes", async () => {
    const { createServer: createHttpServer } = await import("node:http");
    const answers: Record<string, [number, string]> = {
      "/v3/kv/range": [200, "<html>not etcd</html>"],
      "/v3/kv/txn": [400, JSON.stringify({ error: "etcdserver: too many operations in txn request", code: 3 })],
      "/v3/lease/keepalive": [200, `${JSON.stringify({ result: { header: { revision: "3" }, ID: "5" } })}\n`],
      "/v3/lease/grant": [200, JSON.stringify({ header: {}, ID: "99999999999999999999x", TTL: "3" })],
    };
    const srv = createHttpServer((req, res) => {
      const [status, body] = answers[req.url ?? ""] ?? [404, "{}"];
      req.resume();
      res.writeHead(status, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const a = srv.address();
    const c = new EtcdClient({ endpoints: [`http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`] });
    try {
      await assert.rejects(
        c.range({ key: "/k" }),
        (e: unknown) => isEtcdError(e, "E_ETCD_PROTOCOL") && /expected JSON/.test(e.message),
      );
      await assert.rejects(
        c.txn({ compare: [], success: [] }),
        (e: unknown) =>
          isEtcdError(e, "E_ETCD_REQUEST") && /gRPC code 3: etcdserver: too many operations/.test(e.message),
      );
      await assert.rejects(c.leaseKeepAlive("5"), (e: unknown) => isEtcdError(e, "E_ETCD_LEASE_LOST"));
      await assert.rejects(c.leaseGrant(3), (e: unknown) => isEtcdError(e, "E_ETCD_PROTOCOL"));
    } finally {
      c.close();
      srv.close();
    }
  });
});
