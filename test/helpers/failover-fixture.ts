// A three-node loopback cluster whose group `web` carries virtual server `site` (over two real
// servers), and a client that connects to the site every few ms and records when it was answered:
// the common set-up of the timeline browser test and scripts/screenshots.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setPriority } from "node:os";
import { LocalCluster } from "./local-cluster.js";

const PROBER = new URL("./prober.mjs", import.meta.url).pathname;
const ANSWER = new URL("./answer-server.mjs", import.meta.url).pathname;

/** A client in its own process (prober.mjs) starting a connection to 127.0.0.1:port every `everyMs`;
 * keeps the time each one a real server answered on was accepted. */
export class Prober {
  readonly answers: number[] = [];
  private child: ChildProcess | undefined;

  constructor(
    private port: number,
    private everyMs = 5,
  ) {}

  start(): void {
    const child = spawn(process.execPath, [PROBER, String(this.port), String(this.everyMs)], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    raise(child.pid);
    let rest = "";
    child.stdout?.on("data", (d: Buffer) => {
      const lines = (rest + d.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) if (Number(l) > 0) this.answers.push(Number(l));
      this.answers.sort((a, b) => a - b);
    });
    this.child = child;
  }

  stop(): void {
    this.child?.kill("SIGKILL");
  }

  /** The longest stretch between two answers after `since`: [last answer before, first answer after]. */
  longestGap(since: number): { from: number; to: number; ms: number } | undefined {
    const list = this.answers.filter((t, i) => t >= since || (this.answers[i + 1] ?? 0) >= since);
    let best: { from: number; to: number; ms: number } | undefined;
    for (let i = 1; i < list.length; i++) {
      const from = list[i - 1] as number;
      const to = list[i] as number;
      if (!best || to - from > best.ms) best = { from, to, ms: to - from };
    }
    return best;
  }
}

/** Gives a helper process the daemon's priority (nice -10), so that a busy machine does not starve
 * the measuring client or the real servers (root only; otherwise they run as they are). */
function raise(pid: number | undefined): void {
  try {
    if (pid !== undefined) setPriority(pid, -10);
  } catch {
    /* not root */
  }
}

/** Starts a real server (answer-server.mjs) in its own process; resolves with it and its address. */
async function startServer(name: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [ANSWER, name], { stdio: ["ignore", "pipe", "ignore"] });
  raise(child.pid);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once("exit", () => reject(new Error(`real server ${name} exited`)));
  });
  return { child, address: `127.0.0.1:${port}` };
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  return port;
}

/** The cluster, the site's port, and a stop() that removes everything. */
export interface FailoverFixture {
  cluster: LocalCluster;
  sitePort: number;
  stop(): Promise<void>;
}

/** Starts two real servers and the cluster (web prefers n1, then n2), and waits until n1 serves. */
export async function startFailoverFixture(
  clusterYaml = "  heartbeat: { interval: 20ms, lease: 1s }\n",
): Promise<FailoverFixture> {
  const backends = await Promise.all(["app-1", "app-2"].map((n) => startServer(n)));
  const closeAll = async () => {
    for (const b of backends) b.child.kill("SIGKILL");
  };
  const sitePort = await freePort();
  const cluster = await LocalCluster.start({
    clusterYaml,
    startTimeoutMs: 40_000,
    groupsYaml:
      "  - name: web\n    prefer: [n1, n2]\n    failback: true\n    resources:\n      - { type: exec, path: /bin/true, timeouts: { stop: 500ms } }\n",
    virtualServersYaml: `  - name: site\n    listen: 127.0.0.1:${sitePort}\n    group: web\n    scheduler: rr\n    real_servers:\n${backends.map((b) => `      - { address: "${b.address}" }`).join("\n")}\n    check: { type: tcp, interval: 1s, timeout: 800ms }\n`,
  }).catch(async (err: unknown) => {
    await closeAll();
    throw err;
  });
  const stop = async () => {
    await cluster.stop();
    await closeAll();
  };
  try {
    await cluster.waitFor(
      "web running on n1",
      async () => ((await cluster.owner("web")) === "n1" ? true : undefined),
      40_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { cluster, sitePort, stop };
}
