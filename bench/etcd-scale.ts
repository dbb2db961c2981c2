// How `coordination: etcd` scales, beside the builtin backend, with real processes on this machine: a
// 3-member etcd (Debian etcd-server, on loopback) and N `vigil run` nodes carrying G groups of one cheap
// exec resource each (a shell script; a start, a stop and the start-up probe are one process each).
//  1. Scale, per backend and size: the nodes started one after another (each once the one before answers),
//     time from the first start until every group runs once on its preferred node; then 20s of steady state (CPU and
//     RSS per vigil node with its guard, CPU of the etcd members, etcd requests per second from their
//     grpc_server_started_total); then SIGKILL the node running most groups (not the leader), and then
//     the leader (builtin: after the first victim is back and every group home again, since 3 nodes
//     less 2 hold no majority): per group, time from the kill until it runs on another node (its
//     "GROUP running" log line), p50 / p99 / max. CPU and RSS per node include its guard and command
//     helper.
//  2. One group on 3 nodes per session TTL: SIGKILL its owner, time until it runs elsewhere.
// Every configuration's cluster is stopped (by pid) before the next starts. Fails loudly when etcd or a
// node does not start, a group never runs, or a group runs on two nodes at once: such a size prints
// FAILED with the cause (where a backend stops working here), the others still run, and it exits 1.
//   npx tsx bench/etcd-scale.ts [--sizes etcd:10x1000,etcd:9x500,builtin:9x500,builtin:3x100]
//                               [--ttls 2,3,5] [--trials 3] [--steady 20]
// Needs `npm run build` first. Last line: JSON.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdCluster } from "../test/helpers/etcd.js";
import { LocalCluster, type NodeStatus } from "../test/helpers/local-cluster.js";
import { cpuSeconds, rssMiB, withChildren } from "./proc-stats.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

interface Size {
  backend: "etcd" | "builtin";
  nodes: number;
  groups: number;
}

const sizes: Size[] = arg("sizes", "etcd:10x1000,etcd:9x500,builtin:9x500,builtin:3x100")
  .split(",")
  .filter(Boolean)
  .map((s) => {
    const m = /^(etcd|builtin):(\d+)x(\d+)$/.exec(s);
    if (!m) throw new Error(`--sizes: expected BACKEND:NODESxGROUPS such as etcd:10x1000, got ${s}`);
    return { backend: m[1] as Size["backend"], nodes: Number(m[2]), groups: Number(m[3]) };
  });
const ttls = arg("ttls", "2,3,5").split(",").filter(Boolean).map(Number);
const trials = Number(arg("trials", "3"));
const steadySeconds = Number(arg("steady", "20"));
const ETCD_TTL = 3;
/** The etcd members run at the nice value the vigil daemons give themselves (-10): etcd runs on hosts of
 * its own in a deployment; sharing this machine at nice 0 it would get a ninth of each daemon's share of
 * the CPU, its answers would come late, and sessions would end for that alone. */
const DAEMON_NICE = -10;
const PREFIX = "/vigil-bench";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN);
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const work = mkdtempSync(join(tmpdir(), "vigil-etcd-scale-"));
const script = join(work, "svc");
writeFileSync(script, '#!/bin/sh\ncase "$1" in start|stop) exit 0 ;; status) exit 3 ;; esac\nexit 1\n');
chmodSync(script, 0o755);

const groupName = (i: number) => `g${String(i).padStart(4, "0")}`;
/** Group i's preferred node: groups are spread evenly (placement alone puts them all on the best node). */
const preferred = (i: number, nodes: number) => `n${(i % nodes) + 1}`;
/** `n` groups, each preferring its node and failing back to it (the nodes start one after another). */
const groupsYaml = (n: number, nodes: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `  - { name: ${groupName(i)}, prefer: [${preferred(i, nodes)}], failback: true, resources: [{ type: exec, path: ${script}, timeouts: { start: 10s, stop: 1s } }] }\n`,
  ).join("");

/** Per group, the nodes that run it with its lock, from every node that answers. */
async function owners(c: LocalCluster): Promise<{ statuses: NodeStatus[]; by: Map<string, string[]> }> {
  const statuses = await c.statuses();
  const by = new Map<string, string[]>();
  for (const s of statuses)
    for (const [g, st] of Object.entries(s.groups))
      if (st === "running" && s.holds.includes(g)) by.set(g, [...(by.get(g) ?? []), s.name]);
  return { statuses, by };
}

function assertSingle(by: Map<string, string[]>): void {
  for (const [g, ns] of by)
    if (ns.length > 1) throw new Error(`safety: ${g} runs on ${ns.join(" and ")} at once (with its lock on each)`);
}

/** Each "GROUP running" log line of `node` after `since` (epoch ms): group → time. */
function runningTimes(c: LocalCluster, node: string, since: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of c.log(node).split("\n")) {
    if (!line.includes(' running"')) continue;
    try {
      const j = JSON.parse(line) as { time?: string; msg?: string; group?: string };
      const at = Date.parse(j.time ?? "");
      if (j.group && j.msg === `${j.group} running` && at >= since && !out.has(j.group)) out.set(j.group, at);
    } catch {
      /* a line cut by a kill */
    }
  }
  return out;
}

async function startCluster(size: Size, etcd: EtcdCluster | undefined, ttl = ETCD_TTL, groups?: string) {
  const clusterYaml = etcd
    ? `  coordination: etcd\n  etcd: { endpoints: [${etcd.endpoints.join(", ")}], prefix: ${PREFIX}, ttl: ${ttl}s }\n`
    : "";
  return LocalCluster.start({
    nodes: size.nodes,
    groupsYaml: groups ?? groupsYaml(size.groups, size.nodes),
    clusterYaml,
    startTimeoutMs: 60_000,
    oneByOne: true,
  });
}

async function etcdRequests(etcd: EtcdCluster): Promise<number> {
  let n = 0;
  for (const url of etcd.endpoints) {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`etcd ${url}/metrics answered ${res.status}`);
    for (const line of (await res.text()).split("\n"))
      if (line.startsWith("grpc_server_started_total{")) n += Number(line.split(" ").pop());
  }
  return n;
}

/** SIGKILLs `victim`; per group it ran, ms until it runs on another node. */
async function killAndTime(c: LocalCluster, victim: string, theirs: string[], all: number): Promise<number[]> {
  const t0 = Date.now();
  await c.kill(victim);
  const deadline = t0 + 90_000;
  const survivors = c.names.filter((n) => c.procs.get(n)?.exitCode === null && c.procs.get(n)?.signalCode === null);
  for (;;) {
    const { by } = await owners(c);
    assertSingle(by);
    if (theirs.every((g) => (by.get(g) ?? []).some((n) => n !== victim)) && by.size === all) break;
    if (Date.now() > deadline)
      throw new Error(
        `after killing ${victim}: ${theirs.filter((g) => !(by.get(g) ?? []).some((n) => n !== victim)).length} of its groups never ran elsewhere in 90s\n${c.tail(5)}`,
      );
    await sleep(200);
  }
  const at = new Map<string, number>();
  for (const n of survivors) for (const [g, t] of runningTimes(c, n, t0)) if (!at.has(g)) at.set(g, t);
  const missing = theirs.filter((g) => !at.has(g));
  if (missing.length > 0) throw new Error(`no "running" log line after the kill for ${missing.slice(0, 5).join(", ")}`);
  return theirs.map((g) => (at.get(g) as number) - t0);
}

interface ScaleResult extends Size {
  allRunningS: number;
  cpuPctPerNode: number;
  cpuPctMaxNode: number;
  rssMiBPerNode: number;
  etcdCpuPct?: number;
  etcdReqPerS?: number;
  kills: { victim: string; leader: boolean; groups: number; p50: number; p99: number; max: number }[];
}

async function scale(size: Size): Promise<ScaleResult> {
  const etcd = size.backend === "etcd" ? await EtcdCluster.start(3, undefined, undefined, DAEMON_NICE) : undefined;
  let c: LocalCluster | undefined;
  try {
    const t0 = Date.now();
    c = await startCluster(size, etcd);
    const cluster = c;
    const allHome = () =>
      cluster.waitFor(
        `all ${size.groups} groups running once, each on its preferred node`,
        async () => {
          const { by } = await owners(cluster);
          assertSingle(by);
          const home = [...by].filter(([g, ns]) => ns[0] === preferred(Number(g.slice(1)), size.nodes)).length;
          return home === size.groups ? true : undefined;
        },
        240_000,
        500,
      );
    await allHome();
    const allRunningS = (Date.now() - t0) / 1000;
    await sleep(3000);
    const pids = new Map(c.names.map((n) => [n, withChildren(c?.pid(n) ?? -1)]));
    const cpu = (n: string) => (pids.get(n) ?? []).reduce((a, p) => a + cpuSeconds(p), 0);
    const etcdPids = etcd ? etcd.members.map((m) => m.proc?.pid ?? -1) : [];
    const before = new Map(c.names.map((n) => [n, cpu(n)]));
    const etcdBefore = etcdPids.reduce((a, p) => a + cpuSeconds(p), 0);
    const reqBefore = etcd ? await etcdRequests(etcd) : 0;
    const w0 = performance.now();
    await sleep(steadySeconds * 1000);
    const secs = (performance.now() - w0) / 1000;
    const pctOf = (n: string) => ((cpu(n) - (before.get(n) ?? 0)) / secs) * 100;
    const cpus = c.names.map(pctOf);
    const rss = c.names.map((n) => (pids.get(n) ?? []).reduce((a, p) => a + rssMiB(p), 0));
    const result: ScaleResult = {
      ...size,
      allRunningS,
      cpuPctPerNode: Math.round(mean(cpus) * 10) / 10,
      cpuPctMaxNode: Math.round(Math.max(...cpus) * 10) / 10,
      rssMiBPerNode: Math.round(mean(rss)),
      kills: [],
    };
    if (etcd) {
      result.etcdCpuPct = Math.round(((etcdPids.reduce((a, p) => a + cpuSeconds(p), 0) - etcdBefore) / secs) * 100);
      result.etcdReqPerS = Math.round(((await etcdRequests(etcd)) - reqBefore) / secs);
    }
    for (const killLeader of [false, true]) {
      const { statuses, by } = await owners(c);
      const leader = statuses.find((s) => s.isLeader)?.name;
      const count = (n: string) => [...by.values()].filter((ns) => ns.includes(n)).length;
      const candidates = statuses.map((s) => s.name).filter((n) => (n === leader) === killLeader);
      const victim = candidates.sort((a, b) => count(b) - count(a))[0];
      if (!victim) throw new Error(`no ${killLeader ? "leader" : "non-leader"} node to kill`);
      const theirs = [...by].filter(([, ns]) => ns.includes(victim)).map(([g]) => g);
      if (theirs.length === 0) throw new Error(`${victim} runs no group: nothing to time`);
      const times = await killAndTime(c, victim, theirs, size.groups);
      result.kills.push({
        victim,
        leader: killLeader,
        groups: theirs.length,
        p50: pct(times, 50),
        p99: pct(times, 99),
        max: Math.max(...times),
      });
      await sleep(2000);
      // builtin: the killed node comes back before the next kill (a majority of the nodes must remain;
      // 3 nodes less 2 have none). etcd holds the quorum itself, so there the next kill leaves N-2.
      if (!etcd && !killLeader) {
        c.spawnNode(victim);
        await allHome();
      }
    }
    return result;
  } finally {
    await c?.stop();
    await etcd?.stop();
  }
}

/** One group on 3 nodes at session TTL `ttl`: ms from SIGKILL of its owner until it runs elsewhere. */
async function ttlTrials(ttl: number): Promise<number[]> {
  const etcd = await EtcdCluster.start(3, undefined, undefined, DAEMON_NICE);
  let c: LocalCluster | undefined;
  const out: number[] = [];
  try {
    c = await startCluster({ backend: "etcd", nodes: 3, groups: 1 }, etcd, ttl, groupsYaml(1, 3));
    const cluster = c;
    const g = groupName(0);
    for (let t = 0; t < trials; t++) {
      const owner = await c.waitFor(
        `${g} running on one node`,
        async () => {
          const { statuses, by } = await owners(cluster);
          assertSingle(by);
          return statuses.length === 3 ? by.get(g)?.[0] : undefined;
        },
        60_000,
        100,
      );
      await sleep(1000 + Math.random() * 1000);
      const [ms] = await killAndTime(c, owner, [g], 1);
      out.push(ms as number);
      c.spawnNode(owner);
    }
    return out;
  } finally {
    await c?.stop();
    await etcd.stop();
  }
}

try {
  const results: ScaleResult[] = [];
  const failed: { size: Size; error: string }[] = [];
  for (const size of sizes) {
    // A size that does not work is a result (where a backend stops working on this machine): it is
    // printed as FAILED with its cause, the next size runs, and the run exits 1 at the end.
    let r: ScaleResult;
    try {
      r = await scale(size);
    } catch (err) {
      const error = String((err as Error).stack ?? err);
      failed.push({ size, error: error.split("\n")[0] ?? error });
      console.log(`FAILED ${size.backend} ${size.nodes} nodes x ${size.groups} groups: ${error}`);
      continue;
    }
    results.push(r);
    const e = r.backend === "etcd" ? ` etcd ${r.etcdCpuPct}% CPU (3 members), ${r.etcdReqPerS} req/s;` : "";
    console.log(
      `${r.backend} ${r.nodes} nodes x ${r.groups} groups: all running after ${r.allRunningS.toFixed(1)}s; per node ${r.cpuPctPerNode}% CPU (max ${r.cpuPctMaxNode}%), ${r.rssMiBPerNode} MiB;${e} ` +
        r.kills
          .map(
            (k) =>
              `kill ${k.leader ? "leader " : ""}${k.victim} (${k.groups} groups): p50 ${k.p50}ms p99 ${k.p99}ms max ${k.max}ms`,
          )
          .join("; "),
    );
  }
  const ttlResults: { ttl: number; ms: number[] }[] = [];
  for (const ttl of ttls) {
    const ms = await ttlTrials(ttl);
    ttlResults.push({ ttl, ms });
    console.log(`etcd ttl ${ttl}s, one group, owner SIGKILLed: ${ms.join(", ")} ms (median ${pct(ms, 50)})`);
  }
  console.log(JSON.stringify({ scale: results, failed, ttl: ttlResults }));
  if (failed.length > 0) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
