// Seeded schedules over the simulator's etcd: three clients with drifting clocks keep sessions, race for
// one lock and count their validity as the real client does (send time of the renewing keepalive + TTL ×
// 0.95, on their own clock), while messages are delayed and lost, clients freeze, and etcd loses its
// leader. At no instant may two clients believe they hold the lock. With no drift margin and slow
// clocks the same check must find a violation (the test can fail).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EtcdModel, EtcdModelError } from "../../src/sim/etcd-model.js";
import { Prng } from "../../src/sim/prng.js";

const TTL = 2;
const STEP = 5;
const END = 30_000;
const LOCK = "/vigil/lock";

interface Client {
  rate: number;
  offset: number;
  lease?: string;
  validUntil: number; // local ms
  nextKeepalive: number; // local ms
  token?: number;
  busy: boolean; // a grant or acquire in flight
  frozenUntil: number; // true ms
}

interface Msg {
  at: number;
  /** Runs at step time `now` (≥ at: the step after it is due). */
  run: (now: number) => void;
}

/** Runs one schedule; returns the violations found and how many times the lock changed hands. */
function run(seed: number, margin: number, rates: [number, number]): { violations: string[]; takeovers: number } {
  const rng = new Prng(seed);
  const etcd = new EtcdModel({ firstScanAt: rng.between(1, 500) });
  const clients: Client[] = [0, 1, 2].map(() => ({
    rate: rng.between(rates[0], rates[1]),
    offset: rng.between(0, 10_000),
    validUntil: -Infinity,
    nextKeepalive: 0,
    busy: false,
    frozenUntil: 0,
  }));
  const local = (c: Client, t: number) => c.offset + c.rate * t;
  const queue: Msg[] = [];
  const violations: string[] = [];
  let takeovers = 0;
  let lastHolder = -1;
  const delay = () => (rng.chance(0.05) ? Infinity : rng.between(0, 40));
  /** Sends `req` to etcd from client `c`; `onReply` runs on the client when the answer arrives. */
  const send = <T>(t: number, req: (at: number) => T, onReply: (r: T | EtcdModelError) => void) => {
    const there = t + delay();
    if (!Number.isFinite(there)) return onLost();
    queue.push({
      at: there,
      run: (now) => {
        let r: T | EtcdModelError;
        try {
          r = req(now);
        } catch (e) {
          if (!(e instanceof EtcdModelError)) throw e;
          r = e;
        }
        const back = now + delay();
        if (Number.isFinite(back)) queue.push({ at: back, run: () => onReply(r) });
        else onLost();
      },
    });
    function onLost() {
      // The client learns of a lost request only by its own time limit: treat as a failed reply later.
      queue.push({ at: t + 500, run: () => onReply(new EtcdModelError("E_ETCD_TIMEOUT", "lost")) });
    }
  };

  for (let t = 0; t <= END; t += STEP) {
    etcd.advance(t);
    // Faults: etcd loses its leader, a client freezes.
    if (rng.chance(0.0005)) etcd.loseLeader(t, rng.between(300, 3000));
    for (const c of clients) if (t >= c.frozenUntil && rng.chance(0.0003)) c.frozenUntil = t + rng.between(100, 6000);
    // Deliver what is due (to a frozen client only once it thaws).
    queue.sort((a, b) => a.at - b.at);
    for (let i = 0; i < queue.length;) {
      const m = queue[i];
      if (!m || m.at > t) break;
      queue.splice(i, 1);
      m.run(t);
    }
    clients.forEach((c, i) => {
      if (t < c.frozenUntil) return;
      const now = local(c, t);
      if (c.lease !== undefined && now >= c.validUntil) {
        c.lease = undefined;
        c.token = undefined;
      }
      if (c.busy) return;
      if (c.lease === undefined) {
        c.busy = true;
        const sent = now;
        send(
          t,
          (at) => etcd.grant(at, TTL),
          (r) => {
            c.busy = false;
            if (r instanceof EtcdModelError) return;
            c.lease = r.id;
            c.validUntil = sent + r.ttlSeconds * 1000 * (1 - margin);
            c.nextKeepalive = sent + (r.ttlSeconds * 1000) / 3;
          },
        );
      } else if (now >= c.nextKeepalive) {
        c.busy = true;
        const sent = now;
        const lease = c.lease;
        send(
          t,
          (at) => etcd.keepAlive(at, lease),
          (r) => {
            c.busy = false;
            if (c.lease !== lease) return;
            if (r instanceof EtcdModelError) {
              if (r.code === "E_ETCD_LEASE_LOST") c.lease = c.token = undefined;
              return;
            }
            c.validUntil = Math.max(c.validUntil, sent + r.ttlSeconds * 1000 * (1 - margin));
            c.nextKeepalive = sent + (r.ttlSeconds * 1000) / 3;
          },
        );
      } else if (c.token === undefined) {
        c.busy = true;
        const lease = c.lease;
        send(
          t,
          (at) =>
            etcd.txn(at, {
              compare: [{ key: LOCK, target: "create", result: "EQUAL", value: 0 }],
              success: [{ put: { key: LOCK, value: String(i), lease } }],
            }),
          (r) => {
            c.busy = false;
            if (c.lease === lease && !(r instanceof EtcdModelError) && r.succeeded) c.token = r.revision;
          },
        );
      }
    });
    // The invariant, at this instant of true time.
    const holders = clients.flatMap((c, i) =>
      c.token !== undefined && c.lease !== undefined && local(c, t) < c.validUntil ? [i] : [],
    );
    if (holders.length > 1) violations.push(`seed ${seed} t=${t}: clients ${holders.join(" and ")} both hold the lock`);
    if (holders.length === 1 && holders[0] !== lastHolder) {
      takeovers++;
      lastHolder = holders[0] ?? -1;
    }
  }
  return { violations, takeovers };
}

describe("etcd model: seeded lock safety with drifting clients", () => {
  it("never has two clients holding the lock at once (200 seeds, clocks ±2.5%, margin 5%)", () => {
    let takeovers = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = run(seed, 0.05, [0.975, 1.025]);
      assert.deepEqual(r.violations.slice(0, 3), [], `seed ${seed}`);
      takeovers += r.takeovers;
    }
    assert.ok(takeovers > 200, `the lock changed hands only ${takeovers} times: the schedules exercise too little`);
  });

  it("finds two holders when the margin is dropped and client clocks run slow", () => {
    let found = 0;
    for (let seed = 1; seed <= 200 && found === 0; seed++) found += run(seed, 0, [0.9, 0.9]).violations.length;
    assert.ok(found > 0, "the check never fails: it would not catch a wrong validity rule");
  });
});
