// Soak run of vigil's TCP proxy under bad backends and bad clients, watching the daemon's open
// descriptors and memory. A one-node vigil cluster serves two virtual servers on loopback:
//   mix      rr over an echo server, one that resets, one that hangs, one that closes half-way and one
//            that listens for 5 s then refuses for 5 s (checks mark it down and up, connects in between
//            are refused and retried); idle_timeout 1s, max_connections 200
//   stream   one server that streams forever; clients read a little and leave mid-stream
// Clients (40 at a time) do exchanges with and without half-close, connect and vanish, read a stream and
// leave; every 10 s a flood of 300 connections at once goes beyond the limit and must be refused.
// Every 5 s: the daemon's open descriptors (/proc/PID/fd) and RSS. At the end load stops, and the
// descriptors must come back to where they were before the load.
// Usage: npx tsx bench/proxy-soak.ts [--seconds 300]
import { readdirSync, readFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { closeAll, exchange, startBackend } from "../test/helpers/backends.js";
import { LocalCluster } from "../test/helpers/local-cluster.js";

const i = process.argv.indexOf("--seconds");
const seconds = i >= 0 ? Number(process.argv[i + 1]) : 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface VsStatus {
  name: string;
  total: number;
  active: number;
  /** Refused at the limit or with no reachable server. */
  refused: number;
}

/** A server that listens for 5 s, then refuses for 5 s, and so on. */
async function flapping(): Promise<{ address: string; stop: () => void }> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  let server: Server | undefined;
  const toggle = () => {
    if (server) {
      server.close();
      server = undefined;
    } else {
      server = createServer((s) => {
        s.on("error", () => undefined);
        s.pipe(s);
      }).listen(port, "127.0.0.1");
    }
  };
  toggle();
  const timer = setInterval(toggle, 5000);
  return { address: `127.0.0.1:${port}`, stop: () => (clearInterval(timer), server?.close()) };
}

let cluster: LocalCluster | undefined;
let flap: { stop: () => void } | undefined;
async function cleanup(): Promise<void> {
  flap?.stop();
  await cluster?.stop();
  await closeAll();
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

function sample(pid: number): { fds: number; rssMiB: number } {
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMiB: rss / 1024 };
}

/** A client that connects to the stream, reads about 256 KiB and leaves. */
function leaveMidStream(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let got = 0;
    s.on("data", (d: Buffer) => {
      if ((got += d.length) > 256 * 1024) s.destroy();
    });
    s.on("error", () => undefined);
    s.on("close", () => resolve());
    setTimeout(() => s.destroy(), 3000);
  });
}

/** Opens `n` connections at once, holds them 500 ms, closes them. */
async function flood(port: number, n: number): Promise<void> {
  const socks = Array.from({ length: n }, () => connect(port, "127.0.0.1").on("error", () => undefined));
  await sleep(500);
  for (const s of socks) s.destroy();
}

async function main(): Promise<void> {
  const [echo, reset, hang, half, stream] = await Promise.all([
    startBackend("echo", "echo"),
    startBackend("reset", "reset"),
    startBackend("hang", "hang"),
    startBackend("half", "half-close"),
    startBackend("stream", "stream"),
  ]);
  const f = await flapping();
  flap = f;
  const mixPort = 9100 + Math.floor(Math.random() * 400) * 2; // below the ephemeral range, where outgoing connections take ports
  const streamPort = mixPort + 1;
  const rs = (addrs: string[]) => addrs.map((a) => `      - { address: "${a}" }`).join("\n");
  cluster = await LocalCluster.start({
    nodes: 1,
    groupsYaml: "  - name: lb\n    resources:\n      - { type: exec, path: /bin/true }\n",
    virtualServersYaml:
      `  - name: mix\n    listen: 127.0.0.1:${mixPort}\n    group: lb\n    scheduler: rr\n    idle_timeout: 1s\n    connect_timeout: 200ms\n    retries: 2\n    max_connections: 200\n    real_servers:\n${rs([echo.address, reset.address, hang.address, half.address, f.address])}\n    check: { type: tcp, interval: 1s, timeout: 500ms, rise: 1, fall: 2 }\n` +
      `  - name: stream\n    listen: 127.0.0.1:${streamPort}\n    group: lb\n    idle_timeout: 2s\n    real_servers:\n${rs([stream.address])}\n    check: { type: tcp, interval: 1s, timeout: 500ms }\n`,
  });
  const c = cluster;
  await c.waitFor("n1 serving", async () => ((await c.owner("lb")) === "n1" ? true : undefined), 20_000);
  await sleep(1500);
  const pid = c.pid("n1");
  const vsStatus = async () =>
    ((await c.status("n1")) as unknown as { virtual_servers?: VsStatus[] } | undefined)?.virtual_servers ?? [];
  const before = sample(pid);
  console.log(`before load: ${before.fds} descriptors, RSS ${before.rssMiB.toFixed(1)} MiB`);
  /** The main thread's V8 heap: in use and reserved (MiB), from the daemon's own /metrics. */
  const heap = async () => {
    const text = await (await fetch(`http://${c.apiAddress("n1")}/metrics`)).text();
    const get = (name: string) =>
      Number(new RegExp(`^vigil_process_nodejs_${name}\\{[^}]*\\} (\\S+)`, "m").exec(text)?.[1] ?? NaN) / 1024 ** 2;
    return { used: get("heap_size_used_bytes"), total: get("heap_size_total_bytes") };
  };
  console.log(
    "| t (s) | descriptors | RSS (MiB) | JS heap used / reserved (MiB) | connections so far | open now | refused |",
  );
  console.log("|---|---|---|---|---|---|---|");

  const end = Date.now() + seconds * 1000;
  let running = true;
  const worker = async (w: number) => {
    for (let n = 0; running; n++) {
      const kind = (n + w) % 6;
      if (kind === 0) await leaveMidStream(streamPort);
      else if (kind === 1) {
        await new Promise<void>((resolve) => {
          const s = connect(mixPort, "127.0.0.1");
          s.on("error", () => undefined);
          s.on("connect", () => s.destroy());
          s.on("close", () => resolve());
        });
      } else await exchange(mixPort, "ping", kind !== 2, 3000);
    }
  };
  const workers = Array.from({ length: 40 }, (_, w) => worker(w));
  const flooder = (async () => {
    while (running) {
      await sleep(10_000);
      if (running) await flood(mixPort, 300);
    }
  })();
  const samples: { t: number; fds: number; rssMiB: number }[] = [];
  const t0 = Date.now();
  while (Date.now() < end) {
    await sleep(5000);
    const s = sample(pid);
    const t = Math.round((Date.now() - t0) / 1000);
    samples.push({ t, ...s });
    const [vs, h] = [await vsStatus(), await heap()];
    const sum = (k: keyof VsStatus) => vs.reduce((a, v) => a + Number(v[k]), 0);
    console.log(
      `| ${t} | ${s.fds} | ${s.rssMiB.toFixed(1)} | ${h.used.toFixed(1)} / ${h.total.toFixed(1)} | ${sum("total")} | ${sum("active")} | ${sum("refused")} |`,
    );
  }
  running = false;
  await Promise.all([...workers, flooder]);
  await c.waitFor(
    "all proxied connections closed",
    async () => ((await vsStatus()).every((v) => v.active === 0) ? true : undefined),
    10_000,
    100,
  );
  await sleep(500);
  const afterLoad = sample(pid);
  const third = Math.max(1, Math.floor(samples.length / 3));
  const avg = (xs: { rssMiB: number }[]) => xs.reduce((a, x) => a + x.rssMiB, 0) / xs.length;
  const middle = avg(samples.slice(third, 2 * third));
  const last = avg(samples.slice(-third));
  const vs = await vsStatus();
  console.log("");
  console.log(
    `${seconds}s: ${vs.reduce((a, v) => a + v.total, 0)} connections, ${vs.reduce((a, v) => a + v.refused, 0)} refused (over the limit or no reachable server)`,
  );
  console.log(
    `descriptors: ${before.fds} before the load, ${afterLoad.fds} after it (max during ${Math.max(...samples.map((s) => s.fds))})`,
  );
  console.log(
    `RSS: ${before.rssMiB.toFixed(1)} MiB before, middle third avg ${middle.toFixed(1)}, last third avg ${last.toFixed(1)} (${(((last - middle) / middle) * 100).toFixed(1)}%), after ${afterLoad.rssMiB.toFixed(1)} MiB`,
  );
  if (afterLoad.fds > before.fds + 2) {
    console.error(`descriptors leaked: ${afterLoad.fds - before.fds}`);
    process.exitCode = 1;
  }
}

main().then(cleanup, async (err: Error) => {
  console.error(err);
  await cleanup();
  process.exit(1);
});
