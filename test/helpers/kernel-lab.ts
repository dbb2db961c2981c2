// A NetnsCluster of three directors (h1 > h2 > h3) in front of real servers on other subnets, for kernel
// forwarding (forward: nat | fullnat): the directors forward (ip_forward=1, no redirects), the group
// `web` holds the client-side VIP (10.77.S.100) and a gateway VIP on the real servers' subnet
// (10.78.S.1, their default route: nat's replies go back through the owner). Real servers r1, r2 and
// a sorry server on 10.78.S.0/24; r3 on 10.79.S.0/24 with no route to clients (fullnat only).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NetnsCluster } from "./netns-cluster.js";

const NETNS = new URL("../netns/", import.meta.url).pathname;

/** Runs PROGRAM ARGS inside a namespace and returns stdout. */
function nsRun(ns: string, program: string, ...args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns, program, ...args], { encoding: "utf8" });
}

/** The directors and real servers of a kernel forwarding test. */
export class KernelLab {
  readonly c: NetnsCluster;
  readonly s: number;
  /** Real server name → address on its subnet. */
  readonly backends: Record<string, string> = {};
  private base: string;

  constructor(tag: string, opts: { stale?: boolean } = {}) {
    // The gateway VIP's subnet is known only once the lab exists; NetnsCluster fills in VIP itself.
    // Slow heartbeats and leases of 2s: the shared test machine is often loaded, and these tests are about
    // forwarding, not failover speed.
    this.c = new NetnsCluster(tag, "    failback: false\n", "", {
      clusterYaml: "  heartbeat: { interval: 250ms, lease: 2s }\n",
    });
    this.s = this.c.lab.subnet;
    const file = join(this.c.dir, "vigil.yaml");
    this.base = readFileSync(file, "utf8").replace(
      /(\n\s+resources:\n\s+- .*\n)/,
      `$1      - { type: vip, address: ${this.gateway}/24, interface: eth0 }\n`,
    );
    const lab = this.c.lab;
    for (const [i, h] of this.c.hosts.entries()) {
      const ns = lab.ns(h);
      nsRun(ns, "ip", "addr", "add", `10.78.${this.s}.${11 + i}/24`, "dev", "eth0");
      nsRun(ns, "ip", "addr", "add", `10.79.${this.s}.${11 + i}/24`, "dev", "eth0");
      for (const k of [
        "net.ipv4.ip_forward=1",
        "net.ipv4.conf.all.send_redirects=0",
        "net.ipv4.conf.eth0.send_redirects=0",
      ])
        nsRun(ns, "sysctl", "-qw", k);
      if (opts.stale) {
        nsRun(ns, "nft", "add", "table", "ip", "vigil_old");
        nsRun(ns, "nft", "add", "chain", "ip", "vigil_old", "pre", "{ type nat hook prerouting priority dstnat; }");
        nsRun(ns, "nft", "add", "table", "ip", "someone_else");
      }
    }
    const add = (name: string, n: number, subnet: number, gateway?: string) => {
      lab.addHost(name, n);
      const ns = lab.ns(name);
      nsRun(ns, "ip", "addr", "flush", "dev", "eth0");
      const addr = `10.${subnet}.${this.s}.${n}`;
      nsRun(ns, "ip", "addr", "add", `${addr}/24`, "dev", "eth0");
      if (gateway) nsRun(ns, "ip", "route", "add", "default", "via", gateway);
      this.backends[name] = addr;
    };
    add("r1", 21, 78, this.gateway);
    add("r2", 22, 78, this.gateway);
    add("sorry", 30, 78, this.gateway);
    add("r3", 23, 79);
  }

  /** The client-side VIP. */
  get vip(): string {
    return this.c.vip;
  }

  /** The VIP on the real servers' subnet that they route through. */
  get gateway(): string {
    return `10.78.${this.s}.1`;
  }

  /** A client address (the client host has .50; `addClientAddresses` adds more). */
  clientAddr(n = 50): string {
    return this.c.lab.addr(n);
  }

  /** Adds client addresses .60 … .60+n-1 (distinct sources for sh). */
  addClientAddresses(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const a = this.c.lab.addr(60 + i);
      nsRun(this.c.lab.ns("client"), "ip", "addr", "add", `${a}/24`, "dev", "eth0");
      out.push(a);
    }
    return out;
  }

  /** Starts the real servers (service port 80, health port 81) and the directors' vigil. */
  async start(virtualServersYaml: string): Promise<void> {
    for (const name of Object.keys(this.backends))
      this.c.lab.start(name, process.execPath, [join(NETNS, "kernel-backend.mjs"), name, "80", "81"]);
    this.writeConfig(virtualServersYaml);
    await this.c.start();
  }

  /** Starts only the directors' vigil (the caller runs its own real servers, e.g. nginx in a benchmark). */
  async startDirectors(virtualServersYaml: string): Promise<void> {
    this.writeConfig(virtualServersYaml);
    await this.c.start();
  }

  /** Writes the config with these virtual servers (YAML list items, indented by two). */
  writeConfig(virtualServersYaml: string): void {
    writeFileSync(
      join(this.c.dir, "vigil.yaml"),
      `${this.base}virtual_servers:\n${virtualServersYaml.replaceAll("VIP", this.vip).replaceAll("S.", `${this.s}.`)}`,
    );
  }

  /** Rewrites the config and reloads every director. */
  async reload(virtualServersYaml: string): Promise<void> {
    this.writeConfig(virtualServersYaml);
    const count = (h: string) => (this.c.log(h).match(/reload (applied|rejected|failed)/g) ?? []).length;
    const before = new Map(this.c.hosts.map((h) => [h, count(h)]));
    const alive = this.c.hosts.filter((h) => this.alive(h));
    for (const h of alive) await this.c.signalVigil(h, "SIGHUP");
    await until("every director reloaded", () => alive.every((h) => count(h) > (before.get(h) ?? 0)));
    for (const h of alive) {
      const last =
        this.c
          .log(h)
          .match(/reload (applied|rejected|failed)[^\n]*/g)
          ?.at(-1) ?? "";
      if (!last.startsWith("reload applied")) throw new Error(`${h}: ${last}\n${this.c.tail(30)}`);
    }
  }

  private killed = new Set<string>();

  /** SIGKILLs a director's vigil (reloads skip it from then on). */
  async killVigil(h: string): Promise<void> {
    this.killed.add(h);
    await this.c.signalVigil(h, "SIGKILL");
  }

  /** Whether a director's vigil was not killed by killVigil. */
  alive(h: string): boolean {
    return !this.killed.has(h);
  }

  /** GET from inside the client namespace with curl (much cheaper than a node process on a loaded machine). */
  private get(host: string, path: string): string {
    const i = this.c.hosts.indexOf(host);
    const r = this.c.lab.exec("client", "curl", "-s", "-m", "5", `http://${this.c.lab.addr(11 + i)}:7480${path}`);
    return r.code === 0 ? r.out : "";
  }

  /** Runs the test client in the client namespace and returns its JSON line. */
  client<T = { results: { server?: string; seen?: string; error?: string; src?: string }[] }>(...args: string[]): T {
    const r = this.c.lab.exec("client", process.execPath, join(NETNS, "kernel-client.mjs"), ...args);
    const line = r.out.trim().split("\n").at(-1) ?? "";
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`kernel-client ${args.join(" ")} printed: ${r.out}`);
    }
  }

  /** How many connections each real server answered, from the client's results. */
  static tally(results: { server?: string; error?: string }[]): Record<string, number> {
    const t: Record<string, number> = {};
    for (const r of results) t[r.server ?? `error:${r.error}`] = (t[r.server ?? `error:${r.error}`] ?? 0) + 1;
    return t;
  }

  /** A director's /status as JSON (from the client namespace). */
  status(host: string): { virtual_servers?: VsStatus[]; groups?: Record<string, string> } | undefined {
    try {
      return JSON.parse(this.get(host, "/status")) as { virtual_servers?: VsStatus[]; groups?: Record<string, string> };
    } catch {
      return undefined;
    }
  }

  /** A director's /metrics text. */
  metrics(host: string): string {
    return this.get(host, "/metrics");
  }

  /** The nftables tables of a host. */
  tables(host: string): string {
    return nsRun(this.c.lab.ns(host), "nft", "list", "tables");
  }

  /** Sends a signal to a real server's process (SIGUSR1: fail health checks, SIGUSR2: pass again). */
  signalBackend(name: string, signal: NodeJS.Signals): void {
    const ns = this.c.lab.ns(name);
    const pids = execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes("kernel-backend.mjs")) process.kill(Number(pid), signal);
    }
  }

  async destroy(): Promise<void> {
    await this.c.destroy();
  }
}

/** What the tests read of a virtual server's status. */
export interface VsStatus {
  name: string;
  serving: boolean;
  forward?: string;
  total: number;
  realServers: {
    address: string;
    up: boolean;
    total: number;
    active: number;
    bytesIn?: number;
    bytesOut?: number;
    draining?: boolean;
  }[];
  sorry?: { inUse: boolean };
}

/** Waits until `cond` holds (checked every 100ms), or throws with `what` after `ms`. */
export async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
