// TCP proxy benchmark: vigil's virtual server side by side with HAProxy (Debian package, mode tcp, one
// thread), both in front of the same nginx on loopback, driven by wrk in the same run:
//   keep-alive   small responses over 50 kept-alive connections (requests/s)
//   big          1 MiB responses over 10 connections (bytes/s)
//   new-conn     a new connection per request, 50 at a time (connections/s)
//   latency      wrk's p99 on keep-alive, minus going to nginx directly
// Rounds alternate the order; the median of the rounds is reported. vigil runs as a real three-node
// cluster on loopback (n1 serves the virtual server), so the heartbeat gaps that n2 sees from the
// loaded n1 (and n1 from n2) under full proxy load are reported too, with memory of both proxies.
// Usage: npx tsx bench/proxy.ts [--seconds 10] [--rounds 3]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../test/helpers/local-cluster.js";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const seconds = arg("seconds", 10);
const rounds = arg("rounds", 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

for (const tool of ["nginx", "haproxy", "wrk"]) {
  if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0) {
    console.error(`${tool} is not installed: apt-get install nginx-light haproxy wrk`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), "vigil-bench-proxy-"));
chmodSync(dir, 0o755);
const base = 5000 + Math.floor(Math.random() * 1000) * 4; // below the ephemeral range, where outgoing connections take ports
const ports = { nginx: base, haproxy: base + 1, vigil: base + 2 };
writeFileSync(join(dir, "small.txt"), "x".repeat(128));
writeFileSync(join(dir, "big.bin"), Buffer.alloc(1024 * 1024, 7));
writeFileSync(
  join(dir, "nginx.conf"),
  `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx-error.log;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  keepalive_requests 10000000;\n  server { listen 127.0.0.1:${ports.nginx} backlog=4096; root ${dir}; }\n}\n`,
);
writeFileSync(
  join(dir, "haproxy.cfg"),
  `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\nlisten bench\n  bind 127.0.0.1:${ports.haproxy}\n  server nginx 127.0.0.1:${ports.nginx}\n`,
);

const procs: ChildProcess[] = [];
let cluster: LocalCluster | undefined;
/** Stops nginx and HAProxy with SIGTERM (a SIGKILLed nginx master leaves its worker running), then
 * SIGKILL after 2 s for anything still there. */
async function cleanup(): Promise<void> {
  await Promise.all(
    procs
      .filter((p) => p.exitCode === null && p.signalCode === null)
      .map(
        (p) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => p.kill("SIGKILL"), 2000);
            p.once("exit", () => {
              clearTimeout(force);
              resolve();
            });
            p.kill("SIGTERM");
          }),
      ),
  );
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

interface WrkResult {
  rps: number;
  bytesPerSec: number;
  p99ms: number;
}

function unit(value: string, suffix: string): number {
  const scale: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, us: 0.001, ms: 1, s: 1000 };
  return Number(value) * (scale[suffix] ?? NaN);
}

function wrk(port: number, path: string, connections: number, close: boolean): WrkResult {
  const args = [
    "-t1",
    `-c${connections}`,
    `-d${seconds}s`,
    "--latency",
    ...(close ? ["-H", "Connection: close"] : []),
    `http://127.0.0.1:${port}${path}`,
  ];
  const out = spawnSync("wrk", args, { encoding: "utf8" }).stdout;
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const tr = /Transfer\/sec:\s+([\d.]+)([KMG]?)B/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  if (!rps || !tr || !p99) throw new Error(`could not read wrk's output:\n${out}`);
  return { rps: Number(rps[1]), bytesPerSec: unit(tr[1] ?? "", tr[2] ?? ""), p99ms: unit(p99[1] ?? "", p99[2] ?? "") };
}

/** A process's resident memory (KiB): all of it, its peak, and its private part (RssAnon: without the
 * pages of the executable and libraries, which the kernel shares between processes). */
function memoryKiB(pid: number): { rss: number; peak: number; anon: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const get = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: get("VmRSS"), peak: get("VmHWM"), anon: get("RssAnon") };
}

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10ms
}

type Target = "direct" | "haproxy" | "vigil";
const scenarios = [
  { name: "keep-alive", path: "/small.txt", connections: 50, close: false },
  { name: "big", path: "/big.bin", connections: 10, close: false },
  { name: "new-conn", path: "/small.txt", connections: 50, close: true },
] as const;

async function main(): Promise<void> {
  procs.push(spawn("nginx", ["-c", join(dir, "nginx.conf"), "-p", dir], { stdio: "ignore" }));
  // vigil's daemon raises itself to nice -10 (for its heartbeats); HAProxy gets the same priority so
  // neither proxy is favoured by the scheduler over the other programs (nginx, wrk) on these 2 cores.
  const asRoot = process.getuid?.() === 0;
  const haproxy = spawn(
    asRoot ? "nice" : "haproxy",
    [...(asRoot ? ["-n", "-10", "haproxy"] : []), "-f", join(dir, "haproxy.cfg"), "-db"],
    { stdio: "ignore" },
  );
  procs.push(haproxy);
  cluster = await LocalCluster.start({
    groupsYaml: "  - name: lb\n    prefer: [n1]\n    resources:\n      - { type: exec, path: /bin/true }\n",
    virtualServersYaml: `  - name: bench\n    listen: 127.0.0.1:${ports.vigil}\n    group: lb\n    real_servers:\n      - { address: "127.0.0.1:${ports.nginx}" }\n    check: { type: tcp, interval: 1s, timeout: 500ms }\n`,
  });
  const c = cluster;
  await c.waitFor("n1 serving", async () => ((await c.owner("lb")) === "n1" ? true : undefined), 20_000);
  await sleep(1000);
  const port = (t: Target) => (t === "direct" ? ports.nginx : ports[t]);
  for (const t of ["direct", "haproxy", "vigil"] as Target[])
    spawnSync("wrk", ["-t1", "-c10", "-d2s", `http://127.0.0.1:${port(t)}/small.txt`]);
  const haproxyPid = Number(
    spawnSync("pgrep", ["-f", `haproxy -f ${join(dir, "haproxy.cfg")}`], { encoding: "utf8" })
      .stdout.trim()
      .split("\n")[0],
  );
  const pidOf = (t: Target) => (t === "haproxy" ? haproxyPid : t === "vigil" ? c.pid("n1") : undefined);
  /** Per proxy, CPU ms and connections over its new-connection runs. */
  const perConn = new Map<Target, { cpu: number; conns: number }>();
  const results = new Map<string, WrkResult[]>();
  const order: Target[][] = [
    ["direct", "haproxy", "vigil"],
    ["vigil", "haproxy", "direct"],
  ];
  for (let r = 0; r < rounds; r++) {
    for (const t of order[r % 2] ?? []) {
      for (const s of scenarios) {
        const pid = pidOf(t);
        const cpuBefore = pid ? cpuMs(pid) : 0;
        const res = wrk(port(t), s.path, s.connections, s.close);
        if (pid && s.close) {
          const acc = perConn.get(t) ?? { cpu: 0, conns: 0 };
          perConn.set(t, { cpu: acc.cpu + cpuMs(pid) - cpuBefore, conns: acc.conns + res.rps * seconds });
        }
        const key = `${t}/${s.name}`;
        results.set(key, [...(results.get(key) ?? []), res]);
        process.stdout.write(
          `round ${r + 1} ${key}: ${res.rps.toFixed(0)} req/s, ${(res.bytesPerSec / 1024 ** 2).toFixed(1)} MiB/s, p99 ${res.p99ms.toFixed(2)}ms\n`,
        );
      }
    }
  }
  const gaps = async (node: string, from: string) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`http://${c.apiAddress(node)}/status`, {
          signal: AbortSignal.timeout(5000),
          headers: { connection: "close" },
        });
        return (
          (await res.json()) as {
            heartbeatGaps?: Record<string, { p50: number; p99: number; max: number; count: number }>;
          }
        ).heartbeatGaps?.[`${from}/0`];
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  };
  // 30 s of full load on vigil (keep-alive and new connections in turn), so the gap window covers only it.
  const hogEnd = Date.now() + 30_000;
  for (let i = 0; Date.now() < hogEnd; i++) wrk(port("vigil"), "/small.txt", 50, i % 2 === 1);
  const [n2sees, n1sees] = [await gaps("n2", "n1"), await gaps("n1", "n2")];
  const mem = { haproxy: memoryKiB(haproxyPid), vigil: memoryKiB(c.pid("n1")) };

  const med = (t: Target, s: string, f: (r: WrkResult) => number) => median((results.get(`${t}/${s}`) ?? []).map(f));
  const row = (label: string, s: string, f: (r: WrkResult) => number, fmt: (x: number) => string) => {
    const [d, h, v] = (["direct", "haproxy", "vigil"] as Target[]).map((t) => med(t, s, f));
    return `| ${label} | ${fmt(d ?? NaN)} | ${fmt(h ?? NaN)} | ${fmt(v ?? NaN)} | ${((v ?? NaN) / (h ?? NaN)).toFixed(2)} |`;
  };
  const cpuPerConn = (t: Target) => {
    const v = perConn.get(t);
    return v ? ((v.cpu * 1000) / v.conns).toFixed(0) : "?";
  };
  const mib = (m: { rss: number; peak: number; anon: number }) =>
    [m.rss, m.peak, m.anon].map((k) => (k / 1024).toFixed(0)).join(" / ");
  const lat = (t: Target) => med(t, "keep-alive", (r) => r.p99ms) - med("direct", "keep-alive", (r) => r.p99ms);
  const lines = [
    "",
    `proxy benchmark: median of ${rounds} rounds × ${seconds}s per scenario, wrk -t1, nginx 1 worker, HAProxy nbthread 1${asRoot ? ", both proxies at nice -10" : ""}`,
    "",
    "| scenario | direct to nginx | HAProxy | vigil | vigil / HAProxy |",
    "|---|---|---|---|---|",
    row(
      "keep-alive, 128 B responses (req/s)",
      "keep-alive",
      (r) => r.rps,
      (x) => x.toFixed(0),
    ),
    row(
      "1 MiB responses (MiB/s)",
      "big",
      (r) => r.bytesPerSec / 1024 ** 2,
      (x) => x.toFixed(0),
    ),
    row(
      "new connection per request (conn/s)",
      "new-conn",
      (r) => r.rps,
      (x) => x.toFixed(0),
    ),
    `| p99 latency added over direct, keep-alive (ms) | – | ${lat("haproxy").toFixed(2)} | ${lat("vigil").toFixed(2)} | |`,
    `| CPU per new connection, all rounds (µs) | – | ${cpuPerConn("haproxy")} | ${cpuPerConn("vigil")} | |`,
    `| memory after the run: RSS / peak / private (MiB) | – | ${mib(mem.haproxy)} | ${mib(mem.vigil)} | |`,
    "",
    `heartbeat gaps over the last 30 s of full proxy load on n1 (interval 25ms):`,
    `  n2 hears n1: p50 ${n2sees?.p50}ms p99 ${n2sees?.p99}ms max ${n2sees?.max}ms (${n2sees?.count} gaps)`,
    `  n1 hears n2: p50 ${n1sees?.p50}ms p99 ${n1sees?.p99}ms max ${n1sees?.max}ms (${n1sees?.count} gaps)`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().then(cleanup, async (err: Error) => {
  console.error(err);
  await cleanup();
  process.exit(1);
});
