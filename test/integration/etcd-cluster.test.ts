// The etcd client against a real three-member etcd on loopback: the etcd leader SIGKILLed, then frozen
// (SIGSTOP). A session keeps its lease through the other members (keepalives fail over), a watch on the
// leader resumes on another member, a contender
// never takes a lock while its holder's session is valid, and a lease nobody renews is dropped by etcd
// only after its holder's own view of it ended, even across the leader change (which extends leases).
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { EtcdClient } from "../../src/adapters/etcd/client.js";
import { acquireLock, holderWrite, type HeldLock } from "../../src/adapters/etcd/lock.js";
import { EtcdSession } from "../../src/adapters/etcd/session.js";
import { EtcdWatch } from "../../src/adapters/etcd/watch.js";
import { EtcdCluster, etcdMissing } from "../helpers/etcd.js";

const missing = etcdMissing();
if (missing) console.warn(`SKIPPED etcd cluster tests: ${missing}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  get: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("etcd client against a real three-member etcd", { skip: missing || undefined }, () => {
  let etcd: EtcdCluster;
  const clients: EtcdClient[] = [];
  const client = () => {
    const c = new EtcdClient({ endpoints: etcd.endpoints, requestTimeoutMs: 500 });
    clients.push(c);
    return c;
  };

  before(async () => {
    etcd = await EtcdCluster.start(3);
  });
  after(async () => {
    for (const c of clients) c.close();
    await etcd?.stop();
  });

  /** Holds a lock with a 5s session while `fault` runs against the leader, a contender trying all along
   * and an unrenewed session whose key etcd must not drop before that session's own validity ended. */
  async function survive(name: string, fault: (leader: number) => Promise<() => Promise<void>>): Promise<void> {
    const ca = client();
    const holder = await EtcdSession.open(ca, { ttlSeconds: 5 });
    const contender = await EtcdSession.open(client(), { ttlSeconds: 5 });
    const idle = await EtcdSession.open(client(), { ttlSeconds: 3 });
    const key = `/vigil-test/${name}/lock`;
    const idleKey = `/vigil-test/${name}/idle`;
    try {
      const got = await acquireLock(ca, holder, key, "holder");
      assert.ok(got.acquired);
      const lock: HeldLock = got.lock;
      await client().txn({ compare: [], success: [{ put: { key: idleKey, value: "x", lease: idle.id } }] });
      idle.pauseRenewals();
      const idleValidUntil = idle.validUntil;
      let stop = false;
      const violations: string[] = [];
      const contend = (async () => {
        const cb = client();
        while (!stop) {
          try {
            const r = await acquireLock(cb, contender, key, "contender");
            if (r.acquired && holder.valid())
              violations.push("the contender took the lock while the holder's session was valid");
            if (r.acquired) return;
          } catch {
            /* etcd unavailable meanwhile: no decision */
          }
          await sleep(100);
        }
      })();
      const leader = await until(() => etcd.leader(), "a leader");
      // A watch connected to the leader, which the fault takes away: it must resume on another member.
      const wc = new EtcdClient({
        endpoints: [etcd.endpoints[leader] ?? "", ...etcd.endpoints.filter((_, i) => i !== leader)],
        requestTimeoutMs: 500,
      });
      clients.push(wc);
      const seen: string[] = [];
      let connected = false;
      const start = (await wc.range({ key: "/" })).revision + 1;
      const watch = new EtcdWatch(wc, {
        key: `/vigil-test/${name}/data`,
        startRevision: start,
        idleMs: 1500,
        retryMs: 100,
        onEvents: (ev) => seen.push(...ev.map((e) => e.kv.value)),
        onState: (up) => (connected ||= up),
      });
      await until(() => (connected ? true : undefined), "the watch to connect");
      assert.equal(watch.endpoint, etcd.endpoints[leader]);
      const recover = await fault(leader);
      // Watch the unrenewed session's key from the test: it must outlive that session's own view.
      const reader = client();
      const goneAt = await until(async () => {
        try {
          return (await reader.range({ key: idleKey })).kvs.length === 0 ? performance.now() : undefined;
        } catch {
          return undefined;
        }
      }, "etcd to drop the unrenewed lease");
      assert.ok(
        goneAt >= idleValidUntil,
        `etcd dropped a lease ${Math.round(idleValidUntil - goneAt)}ms before its holder's validity ended`,
      );
      await sleep(6000 - Math.min(6000, goneAt - idleValidUntil)); // more than the holder's TTL after the fault
      assert.equal(holder.endReason?.message, undefined, "the holder's session survived the fault");
      assert.ok(holder.valid());
      await holderWrite(ca, holder, lock, [{ put: { key: `/vigil-test/${name}/data`, value: "still the holder" } }]);
      await until(() => (seen.length > 0 ? true : undefined), "the watch to deliver the write from another member");
      assert.deepEqual(seen, ["still the holder"]);
      assert.notEqual(watch.endpoint, etcd.endpoints[leader]);
      watch.close();
      stop = true;
      await contend;
      assert.deepEqual(violations, []);
      await recover();
    } finally {
      for (const s of [holder, contender, idle]) await s.close().catch(() => undefined);
    }
  }

  it("the etcd leader SIGKILLed: the session keeps its lease through the others", async () => {
    await survive("kill", async (leader) => {
      await etcd.kill(leader);
      return () => etcd.restart(leader);
    });
  });

  it("the etcd leader frozen (SIGSTOP): the session fails over to the others", async () => {
    await survive("stop", async (leader) => {
      etcd.freeze(leader);
      return async () => {
        etcd.thaw(leader);
        await until(() => etcd.leader(), "a leader after the thaw");
      };
    });
  });
});
