// Kernel forwarding benchmark in network namespaces: a client host, three vigil directors (h1 owns the
// VIP; the others stand by: a two-node cluster needs a witness, so the third director is it), and two
// real servers r1, r2 on another subnet running nginx (1 worker each). Side by side in one run, all
// through the same director:
//   routing   plain IP routing through the director to r1 and r2 (the physical limit; no NAT)
//   dnat      one hand-written nftables DNAT rule (numgen over r1 and r2): the kernel's NAT path alone
//   nat       vigil forward: nat (nftables DNAT, rr over r1 and r2)
//   proxy     vigil forward: proxy (the userspace proxy, rr)
//   haproxy   HAProxy 2.6 mode tcp, nbthread 1, roundrobin (at the same nice -10 as vigil)
// Loads, each by two wrk processes (-t1) at once: keep-alive 128 B responses, 16 KiB responses, 1 MiB
// responses, and a new connection per request (Connection: close). Each round runs a load through
// every target back to back (alternating the order); the median of the rounds is reported (a ratio is
// the median of the per-round ratios), with the userspace CPU per new connection of each forwarder (nat
// has none: the daemon's CPU over those runs is shown). conntrack's TIME_WAIT is 1s in the director's
// namespace (one benchmark client reuses source ports at 10k+ connections/s; real traffic comes from
// many clients). Last line: forward: nat/routing ka=R mid=R big=R conn=R nat/haproxy ka=R mid=R big=R conn=R
// Usage: npx tsx bench/forward.ts [--seconds 5] [--rounds 3]   (root; after npm run build)
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KernelLab, until } from "../test/helpers/kernel-lab.js";
import { netnsUnavailable } from "../test/helpers/netns.js";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const seconds = arg("seconds", 5);
const rounds = arg("rounds", 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const why = netnsUnavailable();
if (why) {
  console.error(`cannot run: ${why}`);
  process.exit(2);
}
for (const tool of ["nginx", "haproxy", "wrk", "nft", "conntrack"])
  if (spawnSync("sh", ["-c", `command -v ${tool} || test -x /usr/sbin/${tool}`]).status !== 0) {
    console.error(`${tool} is not installed (scripts/packages.sh)`);
    process.exit(2);
  }

const dir = mkdtempSync(join(tmpdir(), "vigil-bench-forward-"));
chmodSync(dir, 0o755);
writeFileSync(join(dir, "small.txt"), "x".repeat(128));
writeFileSync(join(dir, "mid.bin"), Buffer.alloc(16 * 1024, 7));
writeFileSync(join(dir, "big.bin"), Buffer.alloc(1024 * 1024, 7));

type Target = "routing" | "dnat" | "nat" | "proxy" | "haproxy";
const TARGETS: Target[] = ["routing", "dnat", "nat", "proxy", "haproxy"];
const LOADS = [
  { name: "ka", path: "/small.txt", connections: 50, close: false },
  { name: "mid", path: "/mid.bin", connections: 50, close: false },
  { name: "big", path: "/big.bin", connections: 10, close: false },
  { name: "conn", path: "/small.txt", connections: 50, close: true },
] as const;
type Load = (typeof LOADS)[number];

interface WrkResult {
  rps: number;
  bytesPerSec: number;
}

function unit(value: string, suffix: string): number {
  const scale: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  return Number(value) * (scale[suffix] ?? NaN);
}

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

let lab: KernelLab | undefined;

async function main(): Promise<void> {
  const k = (lab = new KernelLab("fw"));
  const ns = (h: string) => k.c.lab.ns(h);
  const nsExec = (h: string, ...cmd: string[]) => {
    const r = spawnSync("ip", ["netns", "exec", ns(h), ...cmd], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${h}: ${cmd.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };
  for (const r of ["r1", "r2"]) {
    writeFileSync(
      join(dir, `nginx-${r}.conf`),
      `worker_processes 1;\ndaemon off;\npid ${dir}/nginx-${r}.pid;\nerror_log ${dir}/nginx-${r}-error.log;\nevents { worker_connections 8192; }\nhttp {\n  access_log off;\n  keepalive_requests 10000000;\n  server { listen 80 backlog=8192 reuseport; root ${dir}; }\n}\n`,
    );
    k.c.lab.start(r, "nginx", ["-c", join(dir, `nginx-${r}.conf`), "-p", dir]);
  }
  // The client reaches the real servers' subnet through h1 (plain routing); it has many source ports.
  // Routed connections leave from a second client address: with one address, a nat connection right
  // after a routed run reached a real server with the 4-tuple of one of its TIME_WAIT sockets (one
  // client reusing its ports; the real server closes first) and waited for a SYN retransmit: 469-713
  // new conn/s when nat followed routing, 13659 when it ran first.
  // The bare DNAT rule below is reached at an address of its own on h1 (.98), from a third client
  // address, for the same reason.
  k.addClientAddresses(2);
  nsExec("client", "ip", "route", "add", `10.78.${k.s}.0/24`, "via", k.c.lab.addr(11), "src", k.clientAddr(60));
  const bareAddr = k.c.lab.addr(98);
  nsExec("client", "ip", "route", "add", `${bareAddr}/32`, "dev", "eth0", "src", k.clientAddr(61));
  nsExec("client", "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000");
  for (const h of k.c.hosts) nsExec(h, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_time_wait=1");
  const real = `      - { address: 10.78.S.21:80 }\n      - { address: 10.78.S.22:80 }\n`;
  const check = `    check: { type: tcp, interval: 1s, timeout: 500ms }\n`;
  await k.startDirectors(
    `  - name: nat\n    listen: VIP:80\n    forward: nat\n    scheduler: rr\n    real_servers:\n${real}${check}` +
      `  - name: proxy\n    listen: VIP:8081\n    scheduler: rr\n    real_servers:\n${real}${check}`,
  );
  const owner = await k.c.waitForOwner("h1", 60_000);
  await until(
    "h1 forwards and proxies",
    () => k.status(owner)?.virtual_servers?.every((v) => v.serving) === true,
    30_000,
  );
  // The conntrack sysctl exists once nf_conntrack is loaded in the namespace (vigil's table loads it).
  nsExec(owner, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_timeout_time_wait=1");
  writeFileSync(
    join(dir, "haproxy.cfg"),
    `global\n  nbthread 1\n  maxconn 8000\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\nlisten bench\n  bind ${k.vip}:8082\n  balance roundrobin\n  server r1 10.78.${k.s}.21:80\n  server r2 10.78.${k.s}.22:80\n`,
  );
  let haproxyOut = "";
  const haproxy = k.c.lab.start(owner, "nice", ["-n", "-10", "haproxy", "-f", join(dir, "haproxy.cfg"), "-db"], {
    log: (c) => (haproxyOut += c),
  });
  await sleep(1000);
  if (haproxy.exitCode !== null) throw new Error(`HAProxy exited at start: ${haproxyOut}`);
  const haproxyPid = Number(
    spawnSync("pgrep", ["-f", `haproxy -f ${join(dir, "haproxy.cfg")}`], { encoding: "utf8" })
      .stdout.trim()
      .split("\n")[0],
  );
  const vigilPid = Number(
    spawnSync("ip", ["netns", "pids", ns(owner)], { encoding: "utf8" })
      .stdout.split(/\s+/)
      .filter(Boolean)
      .find((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("cli/main.js\0run");
        } catch {
          return false;
        }
      }),
  );
  if (!haproxyPid || !vigilPid) throw new Error(`pids not found: haproxy ${haproxyPid}, vigil ${vigilPid}`);

  // The kernel's NAT path alone, for reference: one hand-written DNAT rule alternating over r1 and r2, in
  // a table of the bench's own (vigil removes only vigil_* tables).
  const bare = join(dir, "bare-dnat.nft");
  writeFileSync(
    bare,
    `table ip bench_dnat {\n  chain prerouting {\n    type nat hook prerouting priority dstnat;\n    ip daddr ${bareAddr} tcp dport 8083 dnat to numgen inc mod 2 map { 0 : 10.78.${k.s}.21, 1 : 10.78.${k.s}.22 } : 80\n  }\n}\n`,
  );
  nsExec(owner, "ip", "addr", "add", `${bareAddr}/24`, "dev", "eth0");
  nsExec(owner, "nft", "-f", bare);
  const urls = (t: Target, path: string): string[] => {
    if (t === "routing") return [`http://10.78.${k.s}.21${path}`, `http://10.78.${k.s}.22${path}`];
    if (t === "dnat") return [`http://${bareAddr}:8083${path}`, `http://${bareAddr}:8083${path}`];
    const port = { nat: 80, proxy: 8081, haproxy: 8082 }[t];
    return [`http://${k.vip}:${port}${path}`, `http://${k.vip}:${port}${path}`];
  };
  const wrkOnce = async (url: string, connections: number, close: boolean): Promise<WrkResult> => {
    const args = ["netns", "exec", ns("client"), "wrk", "-t1", `-c${connections}`, `-d${seconds}s`];
    if (close) args.push("-H", "Connection: close");
    args.push(url);
    const child = spawn("ip", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once("exit", r));
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
    const tr = /Transfer\/sec:\s+([\d.]+)([KMG]?)B/.exec(out);
    if (!rps || !tr) throw new Error(`could not read wrk's output for ${url}:\n${out}`);
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (non2xx) throw new Error(`${url}: ${non2xx[1]} non-2xx responses:\n${out}`);
    const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const requests = Number(rps[1]) * seconds;
    const errors = errs ? Number(errs[1]) + Number(errs[3]) + Number(errs[4]) : 0;
    if (errors > requests * 0.01) throw new Error(`${url}: ${errors} socket errors in ${requests} requests:\n${out}`);
    return { rps: Number(rps[1]), bytesPerSec: unit(tr[1] ?? "", tr[2] ?? "") };
  };
  const run = async (t: Target, l: Load): Promise<WrkResult> => {
    const parts = await Promise.all(urls(t, l.path).map((u) => wrkOnce(u, l.connections / 2, l.close)));
    return parts.reduce((a, b) => ({ rps: a.rps + b.rps, bytesPerSec: a.bytesPerSec + b.bytesPerSec }));
  };

  for (const t of TARGETS) await run(t, { ...LOADS[0], name: "ka" }); // warm-up
  const results = new Map<string, WrkResult[]>();
  const perConn = new Map<Target, { cpu: number; conns: number }>();
  for (let r = 0; r < rounds; r++)
    for (const [li, l] of LOADS.entries()) {
      const order = (r + li) % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const t of order) {
        const pid = t === "haproxy" ? haproxyPid : t === "nat" || t === "proxy" ? vigilPid : undefined;
        const before = pid ? cpuMs(pid) : 0;
        const res = await run(t, l);
        if (pid && l.close) {
          const acc = perConn.get(t) ?? { cpu: 0, conns: 0 };
          perConn.set(t, { cpu: acc.cpu + cpuMs(pid) - before, conns: acc.conns + res.rps * seconds });
        }
        results.set(`${t}/${l.name}`, [...(results.get(`${t}/${l.name}`) ?? []), res]);
        process.stdout.write(
          `round ${r + 1} ${t}/${l.name}: ${res.rps.toFixed(0)} req/s, ${(res.bytesPerSec / 1024 ** 2).toFixed(1)} MiB/s\n`,
        );
        if (haproxy.exitCode !== null) throw new Error("HAProxy died during the run");
        if (!k.alive(owner)) throw new Error(`vigil on ${owner} stopped answering during the run`);
      }
    }
  const perRound = (t: Target, l: Load) =>
    (results.get(`${t}/${l.name}`) ?? []).map((x) => (l.name === "mid" || l.name === "big" ? x.bytesPerSec : x.rps));
  const metric = (t: Target, l: Load) => median(perRound(t, l));
  const fmt = (l: Load, x: number) =>
    l.name === "mid" || l.name === "big" ? `${(x / 1024 ** 2).toFixed(0)} MiB/s` : `${x.toFixed(0)}/s`;
  const cpu = (t: Target) => {
    const v = perConn.get(t);
    return v ? ((v.cpu * 1000) / v.conns).toFixed(1) : "–";
  };
  // The ratio of two targets is the median of their per-round ratios: each round runs a load's targets
  // back to back, so a change in the machine's load between rounds moves both sides of a ratio alike.
  const ratio = (a: Target, b: Target, l: Load) => {
    const bs = perRound(b, l);
    return median(perRound(a, l).map((x, i) => x / (bs[i] ?? NaN))).toFixed(2);
  };
  const lines = [
    "",
    `forward benchmark: median of ${rounds} rounds × ${seconds}s per load, 2 × wrk -t1 from one client namespace, nginx 1 worker on each of 2 real servers, HAProxy nbthread 1 and vigil at nice -10, conntrack TIME_WAIT 1s on the director`,
    "",
    "| load | routing | one DNAT rule | vigil nat | vigil proxy | HAProxy | nat / routing | nat / DNAT rule | nat / HAProxy |",
    "|---|---|---|---|---|---|---|---|---|",
    ...LOADS.map(
      (l) =>
        `| ${{ ka: "keep-alive, 128 B (req/s)", mid: "keep-alive, 16 KiB (MiB/s)", big: "1 MiB (MiB/s)", conn: "new connection per request (conn/s)" }[l.name]} | ${TARGETS.map((t) => fmt(l, metric(t, l))).join(" | ")} | ${ratio("nat", "routing", l)} | ${ratio("nat", "dnat", l)} | ${ratio("nat", "haproxy", l)} |`,
    ),
    `| userspace CPU per new connection (µs) | – | – | ${cpu("nat")} (vigil's daemon; the kernel forwards) | ${cpu("proxy")} | ${cpu("haproxy")} | | |`,
    "",
    `kernel NAT: dnat/routing ${LOADS.map((l) => `${l.name}=${ratio("dnat", "routing", l)}`).join(" ")} nat/dnat ${LOADS.map((l) => `${l.name}=${ratio("nat", "dnat", l)}`).join(" ")}`,
    `forward: nat/routing ${LOADS.map((l) => `${l.name}=${ratio("nat", "routing", l)}`).join(" ")} nat/haproxy ${LOADS.map((l) => `${l.name}=${ratio("nat", "haproxy", l)}`).join(" ")}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function cleanup(): Promise<void> {
  await lab?.destroy();
  rmSync(dir, { recursive: true, force: true });
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

main().then(cleanup, async (err: Error) => {
  console.error(err);
  await cleanup();
  process.exit(1);
});
