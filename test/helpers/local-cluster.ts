// Runs a real vigil cluster on loopback for tests and benchmarks: one `vigil run` process per node,
// each with its own UDP port and API port, logs in a temp dir. stop() kills every process it started
// (by pid) and removes the dir, also after a failed test.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { basename, join } from "node:path";
import { newKeyText } from "../../src/adapters/keygen.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;

/** A node's /status as the tests read it. */
export interface NodeStatus {
  name: string;
  term: number;
  isLeader: boolean;
  leader?: string;
  holds: string[];
  groups: Record<string, string>;
  peers: { name: string; alive: boolean; links: boolean[] }[];
  drops: Record<string, number>;
  transportDrops: Record<string, number>;
}

/** One decision line from a node's log. */
export interface Decision {
  node: string;
  at: number;
  msg: string;
}

/** Options for a local cluster. */
export interface LocalClusterOptions {
  nodes?: number;
  /** YAML of the `groups:` section (default: one group `db` preferring n1, running /bin/true). */
  groupsYaml?: string;
  /** Extra YAML appended to the `cluster:` section (e.g. heartbeat timers). */
  clusterYaml?: string;
  /** YAML of the `virtual_servers:` section, if any. */
  virtualServersYaml?: string;
  /** Extra environment of some nodes' processes, by node name. */
  env?: Record<string, Record<string, string>>;
  /** How long to wait for every node's API at start, ms (default 15s). */
  startTimeoutMs?: number;
  /** Starts the nodes one after another, each once the one before answers its API (a rolling start). */
  oneByOne?: boolean;
}

/** Whether 127.0.0.1 has these TCP and UDP ports free right now (others share this machine). */
async function portsFree(tcp: number[], udp: number[]): Promise<boolean> {
  const tryBind = (open: (done: (ok: boolean) => void) => void) => new Promise<boolean>((resolve) => open(resolve));
  const checks = [
    ...tcp.map((port) =>
      tryBind((done) => {
        const srv = createServer().once("error", () => done(false));
        srv.listen(port, "127.0.0.1", () => srv.close(() => done(true)));
      }),
    ),
    ...udp.map((port) =>
      tryBind((done) => {
        const sock = createSocket("udp4").once("error", () => done(false));
        sock.bind(port, "127.0.0.1", () => sock.close(() => done(true)));
      }),
    ),
  ];
  return (await Promise.all(checks)).every(Boolean);
}

/** A random base port whose cluster (base + i) and API (base + 1000 + i) ports are free now. */
async function freeBase(n: number): Promise<number> {
  for (let tries = 0; ; tries++) {
    const base = 10000 + Math.floor(Math.random() * 10000) * 2; // below the kernel's ephemeral range (32768-60999)
    const idx = Array.from({ length: n }, (_, i) => i);
    if (
      tries >= 20 ||
      (await portsFree(
        idx.map((i) => base + 1000 + i),
        idx.map((i) => base + i),
      ))
    )
      return base;
  }
}

/** A running local cluster. */
export class LocalCluster {
  readonly procs = new Map<string, ChildProcess>();
  private constructor(
    readonly dir: string,
    readonly names: string[],
    private apiPorts: Map<string, number>,
    readonly configFile: string,
    private base: number,
  ) {}

  /** The nodes' runtime directory (guard pidfiles, local API sockets): env VIGIL_RUNTIME_DIR when the
   * test set it, else one per cluster, so that clusters of concurrent tests never share one. */
  get runtimeDir(): string {
    return process.env.VIGIL_RUNTIME_DIR ?? join(this.dir, "run");
  }

  /** A node's API address (IP:PORT). */
  apiAddress(name: string): string {
    return `127.0.0.1:${this.apiPorts.get(name)}`;
  }

  /** A node's cluster address (IP:PORT). */
  nodeAddress(name: string): string {
    return `127.0.0.1:${this.base + this.names.indexOf(name)}`;
  }

  /** Starts `nodes` vigil processes and returns once every node's API answers. */
  static async start(o: LocalClusterOptions = {}): Promise<LocalCluster> {
    const n = o.nodes ?? 3;
    const dir = mkdtempSync(join(tmpdir(), "vigil-cluster-"));
    writeFileSync(join(dir, "cluster.key"), newKeyText(), { mode: 0o600 });
    writeFileSync(join(dir, "api.token"), "test-token-0123456789\n", { mode: 0o600 });
    const base = await freeBase(n);
    const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
    const nodesYaml = names
      .map((name, i) => `  - { name: ${name}, address: "127.0.0.1:${base + i}", priority: ${200 - i * 10} }`)
      .join("\n");
    const groups =
      o.groupsYaml ??
      "  - name: db\n    prefer: [n1]\n    resources:\n      - { type: exec, path: /bin/true, timeouts: { stop: 500ms } }\n";
    const config = `cluster:\n  name: test\n  key_file: ${join(dir, "cluster.key")}\n${o.clusterYaml ?? ""}api:\n  token_file: ${join(dir, "api.token")}\nnodes:\n${nodesYaml}\ngroups:\n${groups}${o.virtualServersYaml ? `virtual_servers:\n${o.virtualServersYaml}` : ""}`;
    const configFile = join(dir, "vigil.yaml");
    writeFileSync(configFile, config);
    const apiPorts = new Map(names.map((name, i) => [name, base + 1000 + i]));
    const c = new LocalCluster(dir, names, apiPorts, configFile, base);
    try {
      for (const [i, name] of names.entries()) {
        c.spawnNode(name, o.env?.[name]);
        if (o.oneByOne)
          await c.waitFor(
            `${name}'s API to answer`,
            async () => {
              for (const earlier of names.slice(0, i + 1)) {
                const p = c.procs.get(earlier);
                if (p && (p.exitCode !== null || p.signalCode !== null))
                  throw new Error(`${earlier} exited (${p.signalCode ?? `code ${p.exitCode}`}) while ${name} started`);
              }
              return (await c.statuses()).some((st) => st.name === name) ? true : undefined;
            },
            o.startTimeoutMs ?? 15_000,
          );
      }
      await c.waitFor(
        "every node's API to answer",
        async () => ((await c.statuses()).length === n ? true : undefined),
        o.startTimeoutMs ?? 15_000,
      );
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** Starts (or restarts) one node's process, with `env` added to its environment. Its state dir (the
   * incarnation file) is in the cluster's temp dir. */
  spawnNode(name: string, env: Record<string, string> = {}): void {
    // The node (and its guard, which inherits it) writes straight into its log file: a pipe drained by
    // this process would block a busy node's logging whenever this process is slow to read it.
    const log = openSync(join(this.dir, `${name}.log`), "a");
    const child = spawn(
      process.execPath,
      [
        ...nodeArgs(),
        MAIN,
        "run",
        "-c",
        this.configFile,
        "--node",
        name,
        "--api",
        `127.0.0.1:${this.apiPorts.get(name)}`,
      ],
      {
        stdio: ["ignore", "ignore", log],
        env: {
          ...process.env,
          VIGIL_LOG_LEVEL: "info",
          VIGIL_RUNTIME_DIR: this.runtimeDir,
          VIGIL_STATE_DIR: join(this.dir, "state"),
          ...env,
        },
      },
    );
    closeSync(log);
    this.procs.set(name, child);
  }

  pid(name: string): number {
    const pid = this.procs.get(name)?.pid;
    if (pid === undefined) throw new Error(`${name} has no process`);
    return pid;
  }

  signal(name: string, signal: NodeJS.Signals): void {
    process.kill(this.pid(name), signal);
  }

  /** Sends SIGKILL and waits until the process is gone. */
  async kill(name: string): Promise<void> {
    const child = this.procs.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }

  async status(name: string): Promise<NodeStatus | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.apiPorts.get(name)}/status`, {
        signal: AbortSignal.timeout(500),
      });
      return res.ok ? ((await res.json()) as NodeStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  /** POSTs a command path to a node's API; `token` defaults to the right one. */
  async command(
    name: string,
    path: string,
    token: string | null = "test-token-0123456789",
  ): Promise<{ status: number; body: { ok?: boolean; message?: string; error?: string } }> {
    const res = await fetch(`http://127.0.0.1:${this.apiPorts.get(name)}${path}`, {
      method: "POST",
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: (await res.json()) as { ok?: boolean; message?: string; error?: string } };
  }

  /** Statuses of every node that answers. */
  async statuses(): Promise<NodeStatus[]> {
    const all = await Promise.all(this.names.map((n) => this.status(n)));
    return all.filter((s): s is NodeStatus => s !== undefined);
  }

  /** Polls until `pred` holds; throws with `what` after the timeout. */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 10): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}\n${this.tail()}`);
  }

  /** The node that runs `group` with its lease, when exactly one does. */
  async owner(group: string): Promise<string | undefined> {
    const running = (await this.statuses()).filter((s) => s.groups[group] === "running" && s.holds.includes(group));
    return running.length === 1 ? running[0]?.name : undefined;
  }

  /** A node's whole log so far ("" before it wrote one). */
  log(name: string): string {
    try {
      return readFileSync(join(this.dir, `${name}.log`), "utf8");
    } catch {
      return "";
    }
  }

  /** Decision sentences from all logs, in time order. */
  decisions(): Decision[] {
    const out: Decision[] = [];
    for (const name of this.names) {
      let text = "";
      try {
        text = readFileSync(join(this.dir, `${name}.log`), "utf8");
      } catch {
        continue;
      }
      for (const line of text.split("\n")) {
        if (!line.includes('"decision":true')) continue;
        try {
          const j = JSON.parse(line) as { at: number; msg: string };
          out.push({ node: name, at: j.at, msg: j.msg });
        } catch {
          /* a line cut by a kill */
        }
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** The last log lines of every node, for failure messages. */
  tail(lines = 15): string {
    return this.names
      .map((n) => {
        let text = "";
        try {
          text = readFileSync(join(this.dir, `${n}.log`), "utf8");
        } catch {
          /* no log yet */
        }
        return `--- ${n}\n${text.trim().split("\n").slice(-lines).join("\n")}`;
      })
      .join("\n");
  }

  /** Kills every process this cluster started (SIGCONT first, in case one is stopped) and removes its files
   * (with VIGIL_KEEP_LOGS=DIR set, the nodes' logs are copied into DIR first, for a look after a failure). */
  async stop(): Promise<void> {
    // Profiled nodes (VIGIL_NODE_ARGS) write their profiles only when they exit by themselves.
    if (process.env.VIGIL_NODE_ARGS) {
      const live = [...this.procs.values()].filter((c) => c.exitCode === null && c.signalCode === null);
      for (const c of live) c.kill("SIGTERM");
      await Promise.race([
        Promise.all(live.map((c) => new Promise((r) => c.once("exit", r)))),
        new Promise((r) => setTimeout(r, 20_000)),
      ]);
    }
    for (const [, child] of this.procs) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      const gone = new Promise((r) => child.once("exit", r));
      try {
        process.kill(child.pid, "SIGCONT");
        child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
      await gone;
    }
    const keep = process.env.VIGIL_KEEP_LOGS;
    if (keep)
      cpSync(this.dir, join(keep, basename(this.dir)), {
        recursive: true,
        filter: (f) => f === this.dir || /\.(log|yaml)$/.test(f),
      });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Extra arguments for node before each vigil node's script, from VIGIL_NODE_ARGS (such as
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the nodes of a benchmark). */
function nodeArgs(): string[] {
  return (process.env.VIGIL_NODE_ARGS ?? "").split(" ").filter(Boolean);
}
