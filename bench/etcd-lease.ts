// How fast a lock moves on etcd when its holder freezes, per session TTL, and how much of that is the
// holder's safety margin. One real etcd on loopback (Debian etcd-server); per trial a holder takes a lock
// with a session of the TTL, then stops renewing at a random point; a contender tries to take the lock
// every 20ms. Reported per TTL: takeover (contender's lock − holder's last renewal send), the holder's
// own validity (0.95 × TTL), the margin between the two (must never be negative), and how late after its
// validity a session whose etcd was SIGKILLed reported itself lost.
//   npx tsx bench/etcd-lease.ts [--ttls 2,3,5] [--trials 5]
// Fails loudly when etcd does not start or a takeover never comes. Last line: JSON.
import { performance } from "node:perf_hooks";
import { EtcdClient } from "../src/adapters/etcd/client.js";
import { acquireLock } from "../src/adapters/etcd/lock.js";
import { EtcdSession } from "../src/adapters/etcd/session.js";
import { EtcdCluster } from "../test/helpers/etcd.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const ttls = arg("ttls", "2,3,5").split(",").map(Number);
const trials = Number(arg("trials", "5"));
if (ttls.some((t) => !Number.isInteger(t) || t < 2) || !(trials >= 1)) {
  console.error("usage: npx tsx bench/etcd-lease.ts [--ttls 2,3,5] [--trials N]");
  process.exit(2);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN);
};

async function takeoverTrial(c: EtcdClient, ttl: number, key: string) {
  const a = await EtcdSession.open(c, { ttlSeconds: ttl });
  const b = await EtcdSession.open(c, { ttlSeconds: 10 });
  try {
    const la = await acquireLock(c, a, key, "a");
    if (!la.acquired) throw new Error("holder could not take a free lock");
    await sleep(1000 + Math.random() * ttl * 1000);
    a.pauseRenewals();
    const lastSend = a.renewedFrom;
    const validFor = a.validUntil - lastSend;
    const deadline = performance.now() + ttl * 1000 + 10_000;
    for (;;) {
      const r = await acquireLock(c, b, key, "b");
      if (r.acquired) {
        const at = performance.now();
        return { takeover: at - lastSend, validFor, margin: at - a.validUntil };
      }
      if (performance.now() > deadline) throw new Error(`no takeover within ${ttl}s + 10s`);
      await sleep(20);
    }
  } finally {
    await a.close().catch(() => undefined);
    await b.close().catch(() => undefined);
  }
}

async function deathTrial(ttl: number) {
  const etcd = await EtcdCluster.start(1);
  const c = new EtcdClient({ endpoints: etcd.endpoints, requestTimeoutMs: 500 });
  try {
    const s = await EtcdSession.open(c, { ttlSeconds: ttl });
    await sleep(1000 + Math.random() * ttl * 1000);
    const lost = new Promise<number>((r) => s.onEnd(() => r(performance.now())));
    await etcd.kill(0);
    const at = await lost;
    return { lateAfterValidity: at - s.validUntil, afterLastSend: at - s.renewedFrom };
  } finally {
    c.close();
    await etcd.stop();
  }
}

const results: Record<string, unknown>[] = [];
const etcd = await EtcdCluster.start(1);
const client = new EtcdClient({ endpoints: etcd.endpoints });
try {
  for (const ttl of ttls) {
    const t: Awaited<ReturnType<typeof takeoverTrial>>[] = [];
    const d: Awaited<ReturnType<typeof deathTrial>>[] = [];
    for (let i = 0; i < trials; i++) t.push(await takeoverTrial(client, ttl, `/bench/${ttl}/${i}`));
    for (let i = 0; i < trials; i++) d.push(await deathTrial(ttl));
    const row = {
      ttl_s: ttl,
      trials,
      takeover_p50_ms: pct(
        t.map((x) => x.takeover),
        50,
      ),
      takeover_max_ms: pct(
        t.map((x) => x.takeover),
        100,
      ),
      holder_validity_ms: Math.round(t[0]?.validFor ?? NaN),
      margin_min_ms: pct(
        t.map((x) => x.margin),
        0,
      ),
      margin_max_ms: pct(
        t.map((x) => x.margin),
        100,
      ),
      lost_after_validity_max_ms: pct(
        d.map((x) => x.lateAfterValidity),
        100,
      ),
      lost_after_last_send_max_ms: pct(
        d.map((x) => x.afterLastSend),
        100,
      ),
    };
    console.log(
      `ttl ${ttl}s: takeover p50 ${row.takeover_p50_ms}ms max ${row.takeover_max_ms}ms after the holder's last renewal ` +
        `(holder valid for ${row.holder_validity_ms}ms; margin ${row.margin_min_ms}..${row.margin_max_ms}ms); ` +
        `etcd SIGKILLed: lost reported at most ${row.lost_after_validity_max_ms}ms after the validity ended`,
    );
    if (row.margin_min_ms < 0)
      throw new Error(`SAFETY: a contender took the lock ${-row.margin_min_ms}ms before the holder's validity ended`);
    results.push(row);
  }
} finally {
  client.close();
  await etcd.stop();
}
console.log(JSON.stringify({ bench: "etcd-lease", results }));
