// Health check capacity: one HealthChecker in this process checks N real servers at a 1s interval.
// The servers are real TCP (or HTTP) listeners on many loopback addresses and ports, kept in a child
// process so that the CPU figure below is the checker's alone.
// Usage: npx tsx bench/checks.ts [--servers 5000] [--seconds 20] [--type tcp|http] [--interval 1000]
// Needs about N file descriptors in each process (the listener child holds N listening sockets): raise
// `ulimit -n` above 2N if the child reports EMFILE.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { HealthChecker } from "../src/balancer/health-checker.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

const servers = Number(arg("servers", "5000"));
const seconds = Number(arg("seconds", "20"));
const type = arg("type", "tcp") === "http" ? "http" : "tcp";
const interval = Number(arg("interval", "1000"));
/** Checks are counted from this many ms after start, when the first (spread) round has begun. */
const WARMUP_MS = 2000;
const PORTS_PER_IP = 50;

/** The i-th server: 50 ports on each of many 127.20.x.y addresses. */
function address(i: number): { ip: string; port: number } {
  const k = Math.floor(i / PORTS_PER_IP);
  return { ip: `127.20.${Math.floor(k / 250)}.${(k % 250) + 1}`, port: 20000 + (i % PORTS_PER_IP) };
}

function pct(sorted: Float64Array, p: number): number {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN) : NaN;
}

/** Child role: listen on every address, answer HTTP with one shared server, report readiness. */
async function serve(): Promise<void> {
  const http = createHttpServer((_req, res) => res.writeHead(200, { "Content-Type": "text/plain" }).end("OK\n"));
  const onConnection = (s: Socket) => {
    s.on("error", () => undefined);
    if (type === "http") http.emit("connection", s);
    else s.resume();
  };
  const listeners: Server[] = [];
  await Promise.all(
    Array.from({ length: servers }, (_, i) => {
      const { ip, port } = address(i);
      const server = createTcpServer(onConnection);
      listeners.push(server);
      return new Promise<void>((resolve, reject) =>
        server.once("error", reject).listen({ host: ip, port, backlog: 511 }, () => resolve()),
      );
    }),
  ).catch((err: NodeJS.ErrnoException) => {
    process.stderr.write(
      `listener: ${err.message}${err.code === "EMFILE" ? " (raise the file limit: ulimit -n)" : ""}\n`,
    );
    process.exit(1);
  });
  process.stdout.write("ready\n");
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

/** CPU seconds a process used so far, from /proc (for the listener child). */
function procCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--serve", "--servers", String(servers), "--type", type],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const ready = await new Promise<boolean>((resolve) => {
    createInterface({ input: child.stdout }).once("line", (l) => resolve(l === "ready"));
    child.once("exit", () => resolve(false));
  });
  if (!ready) throw new Error("the listener process did not start");
  const childCpu0 = procCpuSeconds(child.pid ?? 0);

  let completed = 0;
  let failed = 0;
  let downs = 0;
  let late = 0;
  const lateness: number[] = [];
  const latencies: number[] = [];
  let measuring = false;
  const checker = new HealthChecker({
    vs: {
      name: "bench",
      check: {
        type,
        interval,
        timeout: interval,
        rise: 2,
        fall: 3,
        ...(type === "http" ? { path: "/health", expect_body: "OK" } : {}),
      },
      real_servers: Array.from({ length: servers }, (_, i) => ({ address: `${address(i).ip}:${address(i).port}` })),
    },
    log: pino({ level: "silent" }),
    onTransition: (_a, up) => void (up ? 0 : downs++),
    onResult: (_a, ok, latencyMs, lateMs) => {
      if (!measuring) return;
      completed++;
      if (!ok) failed++;
      if (lateMs > 100) late++;
      lateness.push(lateMs);
      latencies.push(latencyMs);
    },
  });
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  checker.start();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  checker.stop();
  clearInterval(sampler);
  const childCpu = procCpuSeconds(child.pid ?? 0) - childCpu0;
  child.stdin?.end();

  const lt = Float64Array.from(lateness).sort();
  const lat = Float64Array.from(latencies).sort();
  const f = (n: number) => n.toFixed(1);
  const out = [
    `${servers} ${type} servers, interval ${interval}ms, measured ${f(wall)}s after a ${WARMUP_MS / 1000}s warm-up (load average before: ${loadavg()[0]?.toFixed(2)})`,
    `  checks completed: ${f(completed / wall)}/s (expected ${f((servers * 1000) / interval)}/s), failed ${failed}, servers marked down ${downs}`,
    `  check start lateness: p50 ${f(pct(lt, 50))}ms  p99 ${f(pct(lt, 99))}ms  max ${f(lt[lt.length - 1] ?? NaN)}ms; late (>100ms) ${late} (${f((100 * late) / Math.max(1, completed))}%)`,
    `  check latency: p50 ${f(pct(lat, 50))}ms  p99 ${f(pct(lat, 99))}ms`,
    `  checker CPU: ${f((100 * (cpu.user + cpu.system)) / 1e6 / wall)}% of one core (user ${f(cpu.user / 1e6)}s, system ${f(cpu.system / 1e6)}s); listener child ${f((100 * childCpu) / wall)}%`,
    `  CPU per check: ${f((cpu.user + cpu.system) / Math.max(1, completed))}µs, so one core would do about ${Math.round(completed / ((cpu.user + cpu.system) / 1e6))} checks/s`,
    `  checker RSS: ${f(process.memoryUsage().rss / 2 ** 20)} MiB now, ${f(peakRss / 2 ** 20)} MiB peak`,
  ];
  process.stdout.write(out.join("\n") + "\n");
}

if (process.argv.includes("--serve")) await serve();
else await main();
