// Hosts as Linux network namespaces joined by a bridge: a "switch" namespace holds the bridge, each host
// namespace gets eth0 (a veth whose peer is plugged into the bridge) and an address in 10.77.N.0/24.
// Everything made here is removed by destroy(), which tests call in `after` so it runs on failure too.
// `ip netns exec` gives every command its own new mount namespace; a lab made with `ownMounts` gives each
// host one mount namespace instead, kept by a holder process, and runs every command of the host in it
// (nsenter): a mount made by one of the host's processes (an OCF Filesystem agent) is then seen by all of
// them, also by a daemon restarted later, and by no other host, as on a real machine.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";

/** Whether this machine lets us make namespaces (root and iproute2); the reason when not. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  const r = spawnSync("ip", ["netns", "add", "vigil-probe"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return `ip netns add failed: ${r.error?.message ?? r.stderr.trim()}`;
  spawnSync("ip", ["netns", "del", "vigil-probe"]);
  return undefined;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Starts a process that idles in its own mount namespace inside network namespace `ns` (made by `ip netns
 * exec`, which also mounts that network namespace's /sys there) and returns its pid once it is in it. It
 * lives until destroy() kills every process of the network namespace. */
function startHolder(ns: string): number {
  const r = spawnSync("ip", ["netns", "exec", ns, "sh", "-c", "sleep infinity </dev/null >/dev/null 2>&1 & echo $!"], {
    encoding: "utf8",
  });
  const pid = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isInteger(pid) || pid <= 1)
    throw new Error(`could not start the mount namespace holder of ${ns}: ${r.error?.message ?? r.stderr.trim()}`);
  return pid;
}

/** A set of hosts on one bridge. */
export class Lab {
  readonly prefix: string;
  readonly subnet: number;
  private procs: ChildProcess[] = [];
  private hosts: string[] = [];
  private holders = new Map<string, number>();
  private readonly ownMounts: boolean;

  /** `opts.ownMounts`: one mount namespace per host (see the top of this file). */
  constructor(tag: string, opts: { ownMounts?: boolean } = {}) {
    this.ownMounts = opts.ownMounts ?? false;
    this.subnet = 1 + Math.floor(Math.random() * 250);
    this.prefix = `vg${tag}${this.subnet}`;
    const sw = this.ns("sw");
    ip("netns", "add", sw);
    ip("-n", sw, "link", "add", "br0", "type", "bridge");
    ip("-n", sw, "link", "set", "br0", "up");
    ip("-n", sw, "link", "set", "lo", "up");
  }

  /** Namespace name of a host. */
  ns(host: string): string {
    return `${this.prefix}-${host}`;
  }

  /** The address of host number `n` (10.77.SUBNET.n). */
  addr(n: number): string {
    return `10.77.${this.subnet}.${n}`;
  }

  /** Adds a host with eth0 = 10.77.SUBNET.n/24. */
  addHost(host: string, n: number): string {
    const ns = this.ns(host);
    const peer = `${this.prefix.slice(0, 8)}${n}`.slice(0, 15);
    ip("netns", "add", ns);
    this.hosts.push(host);
    ip("link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", ns);
    ip("link", "set", peer, "netns", this.ns("sw"));
    ip("-n", this.ns("sw"), "link", "set", peer, "master", "br0");
    ip("-n", this.ns("sw"), "link", "set", peer, "up");
    ip("-n", ns, "link", "set", "lo", "up");
    ip("-n", ns, "addr", "add", `${this.addr(n)}/24`, "dev", "eth0");
    ip("-n", ns, "link", "set", "eth0", "up");
    if (this.ownMounts) this.holders.set(host, startHolder(ns));
    return this.addr(n);
  }

  /** The pid of the process that keeps a host's mount namespace (labs made with `ownMounts`); its
   * /proc/PID/mounts is the host's mount table. */
  mountHolder(host: string): number {
    const pid = this.holders.get(host);
    if (pid === undefined) throw new Error(`${host} has no mount namespace of its own (make the Lab with ownMounts)`);
    return pid;
  }

  /** The command that runs `cmd args` in a host's namespaces. */
  private enter(host: string, cmd: string, args: string[]): [string, string[]] {
    const holder = this.holders.get(host);
    if (holder === undefined) return ["ip", ["netns", "exec", this.ns(host), cmd, ...args]];
    return ["nsenter", [`--target=${holder}`, "--mount", "--net", `--wd=${process.cwd()}`, "--", cmd, ...args]];
  }

  /** Runs a command in a host's namespace and waits for it. */
  exec(host: string, cmd: string, ...args: string[]): { code: number | null; out: string } {
    const r = spawnSync(...this.enter(host, cmd, args), { encoding: "utf8" });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  /** Starts a long-running process in a host's namespace; destroy() kills it by pid. */
  start(
    host: string,
    cmd: string,
    args: string[],
    opts: { env?: Record<string, string>; log?: (chunk: string) => void } = {},
  ): ChildProcess {
    const child = spawn(...this.enter(host, cmd, args), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    child.stdout?.on("data", (c: Buffer) => opts.log?.(c.toString()));
    child.stderr?.on("data", (c: Buffer) => opts.log?.(c.toString()));
    this.procs.push(child);
    return child;
  }

  /** The MAC address of a host's eth0. */
  mac(host: string): string {
    return this.exec(host, "cat", "/sys/class/net/eth0/address").out.trim();
  }

  /** A host's neighbour entry for `address` on eth0: link-layer address and state (REACHABLE, STALE, …). */
  neighbour(host: string, address: string): { mac?: string; state?: string; line: string } {
    const line = this.exec(host, "ip", "neigh", "show", address, "dev", "eth0").out.trim();
    const m = /lladdr (\S+).* ([A-Z]+)$/.exec(line);
    return { mac: m?.[1], state: m?.[2] ?? line.split(" ").at(-1), line };
  }

  /** Takes a host's link down or up (the host drops off the network). */
  link(host: string, up: boolean): void {
    ip("-n", this.ns(host), "link", "set", "eth0", up ? "up" : "down");
  }

  /** Drops, inside `host`, everything from the given addresses (one-way cut: host stops hearing them). */
  block(host: string, from: string[]): void {
    for (const a of from) this.mustExec(host, "iptables", "-A", "INPUT", "-s", a, "-j", "DROP");
  }

  /** Removes every iptables rule in a host. */
  unblock(host: string): void {
    this.mustExec(host, "iptables", "-F", "INPUT");
  }

  /** Like exec, but a command that fails throws: a cut that did not happen must not pass as one. */
  mustExec(host: string, cmd: string, ...args: string[]): string {
    const r = this.exec(host, cmd, ...args);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} in ${host} failed (exit ${r.code}): ${r.out.trim()}`);
    return r.out;
  }

  /** Kills every process started here and deletes every namespace (and with them the veths). */
  async destroy(): Promise<void> {
    for (const p of this.procs) {
      if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) continue;
      const gone = new Promise((r) => p.once("exit", r));
      try {
        process.kill(p.pid, "SIGCONT");
      } catch {
        /* gone */
      }
      p.kill("SIGKILL");
      await gone;
    }
    // What the processes started (resource daemons, holders) lives on in the namespaces: kill it too.
    for (const h of [...this.hosts, "sw"]) {
      const pids = spawnSync("ip", ["netns", "pids", this.ns(h)], { encoding: "utf8" }).stdout.split(/\s+/);
      for (const pid of pids.filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          /* gone */
        }
      }
      spawnSync("ip", ["netns", "del", this.ns(h)]);
    }
  }
}
