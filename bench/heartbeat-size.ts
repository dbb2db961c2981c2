// Heartbeat size and CPU against the number of groups and nodes.
//  1. In process: the leader's heartbeat (it announces every group's assignment and claims its share
//     of the groups) in the previous JSON-with-names form and in the compact wire form, the worst case
//     `vigil check` allows for, and the CPU one node spends framing (HMAC included) and decoding the
//     heartbeats of one interval (to and from every peer) at the default 25ms interval.
//  2. Real `vigil run` processes on loopback (3 nodes; groups of `exec /bin/true`, no monitor): CPU
//     per node over --seconds once every group runs.
// Usage: npx tsx bench/heartbeat-size.ts [--seconds 10] [--real 1,20] [--real-nodes 3]
import { readFileSync } from "node:fs";
import { toWire } from "../src/adapters/compact-wire.js";
import { FrameCodec } from "../src/adapters/frame.js";
import { encodeMessage, MAX_PAYLOAD, type Heartbeat } from "../src/core/cluster/messages.js";
import { LEADER_LOCK } from "../src/core/cluster/spec.js";
import { NameBook } from "../src/core/cluster/wire-ids.js";
import { worstHeartbeatBytes } from "../src/core/config/wire-limits.js";
import { LocalCluster } from "../test/helpers/local-cluster.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}
const seconds = Number(arg("seconds", "10"));
const real = arg("real", "1,20").split(",").filter(Boolean).map(Number);
const realNodes = Number(arg("real-nodes", "3"));
const INTERVAL_MS = 25;

/** The leader's heartbeat: names of 20 characters, groups spread round-robin over the nodes. */
function leaderHeartbeat(groups: number, nodes: number): { hb: Heartbeat; names: string[] } {
  const nodeNames = Array.from({ length: nodes }, (_, i) => `node-${i}`.padEnd(20, "-"));
  const groupNames = Array.from({ length: groups }, (_, i) => `group-${i}`.padEnd(20, "-"));
  const mine = groupNames.filter((_, i) => i % nodes === 0);
  const hb: Heartbeat = {
    type: "hb",
    from: nodeNames[0] as string,
    inc: 1_800_000_000_000,
    seq: 123_456,
    term: 7,
    claims: [LEADER_LOCK, ...mine],
    budgets: Object.fromEntries(mine.map((g) => [g, 3600])),
    running: mine,
    unclean: [],
    settled: true,
    standby: false,
    alive: nodeNames.slice(1),
    failures: {},
    leader: {
      term: 7,
      version: 3,
      assignments: Object.fromEntries(groupNames.map((g, i) => [g, nodeNames[i % nodes] as string])),
      admin: { standby: [], moves: {}, cleanups: {}, maintenance: false },
    },
  };
  return { hb, names: [...nodeNames, ...groupNames, LEADER_LOCK] };
}

/** Microseconds per frame (HMAC included) and per decode of `hb`. */
function cost(codec: FrameCodec, hb: Heartbeat): { enc: number; dec: number } {
  const size = Buffer.byteLength(JSON.stringify(toWire(hb)));
  const n = Math.max(1000, Math.round(2_000_000 / (size + 100)));
  const copies = Array.from({ length: 64 }, () => ({ ...hb }));
  let packet = codec.encode(hb);
  for (let i = 0; i < 200; i++) codec.decode(codec.encode(copies[i % 64] as Heartbeat));
  let t = performance.now();
  for (let i = 0; i < n; i++) packet = codec.encode(copies[i % 64] as Heartbeat);
  const enc = ((performance.now() - t) * 1000) / n;
  t = performance.now();
  for (let i = 0; i < n; i++) codec.decode(packet);
  return { enc, dec: ((performance.now() - t) * 1000) / n };
}

function inProcess(): void {
  console.log(
    `1. leader heartbeat, in process (names of 20 characters; limit ${MAX_PAYLOAD} bytes). CPU of the leader and of a follower per ${INTERVAL_MS}ms interval: framing its own heartbeat once (one packet goes to every peer) and decoding every peer's`,
  );
  console.log("nodes groups  JSON+names  compact  worst case  frame µs  decode µs  CPU leader  CPU follower");
  const key = Buffer.alloc(32, 1);
  for (const nodes of [3, 5, 9])
    for (const groups of [1, 10, 100, 500]) {
      const { hb, names } = leaderHeartbeat(groups, nodes);
      const { leader: _, ...follower } = { ...hb, claims: hb.running, from: hb.alive[0] as string };
      const codec = new FrameCodec({ send: key, accept: [key] }, "bench", new NameBook(names));
      const old = encodeMessage(hb).length;
      const compact = Buffer.byteLength(JSON.stringify(toWire(hb)));
      const worst = worstHeartbeatBytes(groups, nodes, 63);
      const l = cost(codec, hb);
      const f = cost(codec, follower);
      const us = INTERVAL_MS * 1000;
      const cpuLeader = (l.enc + (nodes - 1) * f.dec) / us;
      const cpuFollower = (f.enc + l.dec + (nodes - 2) * f.dec) / us;
      console.log(
        `${String(nodes).padStart(5)} ${String(groups).padStart(6)} ${String(old).padStart(11)} ${String(compact).padStart(8)} ${String(worst).padStart(11)} ${l.enc.toFixed(0).padStart(9)} ${l.dec.toFixed(0).padStart(10)} ${(cpuLeader * 100).toFixed(1).padStart(10)}% ${(cpuFollower * 100).toFixed(1).padStart(12)}%`,
      );
    }
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function realCluster(groups: number): Promise<void> {
  const groupsYaml = Array.from(
    { length: groups },
    (_, i) =>
      `  - name: group-${i}\n    resources:\n      - { type: exec, path: /bin/true, timeouts: { stop: 500ms } }\n`,
  ).join("");
  const c = await LocalCluster.start({ nodes: realNodes, groupsYaml });
  try {
    await c.waitFor(
      `all ${groups} groups running`,
      async () => {
        const s = await c.statuses();
        const running = s.reduce((n, x) => n + Object.values(x.groups).filter((g) => g === "running").length, 0);
        return running === groups ? true : undefined;
      },
      120_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const before = c.names.map((n) => cpuSeconds(c.pid(n)));
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const secs = (performance.now() - t0) / 1000;
    const cpu = c.names.map((n, i) => (cpuSeconds(c.pid(n)) - (before[i] as number)) / secs);
    const drops = (await c.statuses()).map((s) => Object.values(s.transportDrops).reduce((a, b) => a + b, 0));
    console.log(
      `${String(realNodes).padStart(5)} ${String(groups).padStart(6)}  ${cpu.map((x) => `${(x * 100).toFixed(1)}%`).join("  ")}   (transport drops: ${drops.join(", ")})`,
    );
  } finally {
    await c.stop();
  }
}

inProcess();
if (real.length > 0) {
  console.log(`\n2. real vigil processes on loopback, CPU per node (whole process) over ${seconds}s, heartbeat 25ms`);
  console.log("nodes groups  CPU of each node");
  for (const g of real) await realCluster(g);
}
