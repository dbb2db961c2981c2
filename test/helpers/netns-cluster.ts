// A vigil cluster of three hosts in network namespaces, with a VIP in front of a small TCP service on
// every host and a client host that probes the VIP. Used by the namespace tests and the benchmark.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { newKeyText } from "../../src/adapters/keygen.js";
import { Lab } from "./netns.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const NETNS = new URL("../netns/", import.meta.url).pathname;
export const SERVICE_PORT = 8080;
const TOKEN = "netns-test-token";

/** One probe answer: ms since the probe started, and the host that answered ("-": none). */
export interface Answer {
  at: number;
  host: string;
}

/** What the client saw around a failover. */
export interface ProbeReport {
  answers: Answer[];
  /** Longest time without an answer, ms. */
  longestGap: number;
  /** Instants (10ms buckets) in which two different hosts answered, plus answers from a host after another took over and before it answered again. */
  doubleAnswers: number;
}

/** Summarizes probe output lines. */
export function analyse(lines: string[]): ProbeReport {
  const answers = lines
    .map((l) => l.trim().split(" "))
    .filter((p) => p.length === 2 && !Number.isNaN(Number(p[0])))
    .map(([at, host]) => ({ at: Number(at), host: host as string }));
  let longestGap = 0;
  let lastOk: number | undefined;
  for (const a of answers) {
    if (a.host === "-") continue;
    if (lastOk !== undefined) longestGap = Math.max(longestGap, a.at - lastOk);
    lastOk = a.at;
  }
  const buckets = new Map<number, Set<string>>();
  for (const a of answers)
    if (a.host !== "-")
      buckets.set(Math.floor(a.at / 10), (buckets.get(Math.floor(a.at / 10)) ?? new Set()).add(a.host));
  let doubleAnswers = [...buckets.values()].filter((s) => s.size > 1).length;
  const ok = answers.filter((a) => a.host !== "-");
  const seen: string[] = [];
  for (const a of ok) {
    if (seen.at(-1) !== a.host && seen.includes(a.host)) doubleAnswers++;
    if (seen.at(-1) !== a.host) seen.push(a.host);
  }
  return { answers, longestGap, doubleAnswers };
}

/** What a node logs once every member told it that nothing of an earlier incarnation is active. */
const SETTLED = /every member reported nothing left from before a restart/;

/** Asserts that a probe moved from `from` (answering before `at`, ms into the probe) to `to` (answering
 * after it, and last), and never had answers from two hosts at once. `what` names the probe in
 * messages. How fast is the benchmarks' business (bench/vip-failover.ts, bench/resource-failover.ts):
 * a time bound here would only measure how loaded the machine is. */
export function assertFollowed(r: ProbeReport, from: string, to: string, at: number, what: string): void {
  const ok = r.answers.filter((a) => a.host !== "-");
  const first = ok.find((a) => a.host === to);
  const seen = () =>
    `(answers: ${JSON.stringify(r.answers.filter((a, i) => i === 0 || a.host !== r.answers[i - 1]?.host).slice(0, 12))})`;
  assert.ok(
    ok.some((a) => a.host === from && a.at < at),
    `${what}: ${from} answered before the failover ${seen()}`,
  );
  assert.ok(
    first && first.at > at,
    `${what}: first answer from ${to} ${first ? `${Math.round(first.at - at)}ms` : "never"} after the failover ${seen()}`,
  );
  assert.equal(ok.at(-1)?.host, to, `${what}: the last answer came from ${to}`);
  assert.equal(r.doubleAnswers, 0, `${what}: the client got answers from two hosts at once`);
}

/** Three vigil hosts (h1 > h2 > h3 by priority), a client, a VIP at .100 in front of port 8080 (the
 * service listens on IPv4 and IPv6). */
export class NetnsCluster {
  readonly lab: Lab;
  readonly dir: string;
  readonly hosts: string[];
  readonly vip: string;
  private logs = new Map<string, string>();
  private history = new Map<string, string>();
  private vigils = new Map<string, ChildProcess>();

  /** `resourcesYaml` adds resources after the VIP (indented as list items under `resources:`; VIP6
   * stands for the IPv6 VIP). `opts.vipResource` replaces the VIP resource (a YAML flow mapping; VIP
   * stands for the IPv4 VIP); `opts.clusterYaml` is added to the `cluster:` section (e.g. heartbeat timers;
   * LABNET stands for the lab's 10.77.SUBNET);
   * `opts.ownMounts` gives every host one mount namespace of its own (see Lab); `opts.hosts` makes fewer
   * hosts than three (h1, h2). */
  constructor(
    tag: string,
    groupExtra = "    failback: false\n",
    resourcesYaml = "",
    opts: { vipResource?: string; clusterYaml?: string; ownMounts?: boolean; hosts?: number } = {},
  ) {
    this.hosts = ["h1", "h2", "h3"].slice(0, opts.hosts ?? 3);
    this.lab = new Lab(tag, { ownMounts: opts.ownMounts });
    this.dir = mkdtempSync(join(tmpdir(), "vigil-netns-"));
    this.hosts.forEach((h, i) => this.lab.addHost(h, 11 + i));
    this.lab.addHost("client", 50);
    this.vip = this.lab.addr(100);
    writeFileSync(join(this.dir, "cluster.key"), newKeyText(), { mode: 0o600 });
    writeFileSync(join(this.dir, "api.token"), `${TOKEN}\n`, { mode: 0o600 });
    const nodes = this.hosts
      .map((h, i) => `  - { name: ${h}, address: ${this.lab.addr(11 + i)}, priority: ${200 - i * 50} }`)
      .join("\n");
    const vipResource = (opts.vipResource ?? "{ type: vip, address: VIP/24, interface: eth0 }").replaceAll(
      "VIP",
      this.vip,
    );
    writeFileSync(
      join(this.dir, "vigil.yaml"),
      `cluster:\n  name: lab\n  key_file: ${join(this.dir, "cluster.key")}\n${(opts.clusterYaml ?? "").replaceAll("LABNET", `10.77.${this.lab.subnet}`)}api:\n  token_file: ${join(this.dir, "api.token")}\nnodes:\n${nodes}\ngroups:\n  - name: web\n    prefer: [h1]\n${groupExtra}    resources:\n      - ${vipResource}\n${resourcesYaml.replaceAll("VIP6", this.vip6(100))}`,
    );
  }

  /** An IPv6 address in this lab's ULA prefix (fd77:SUBNET::n). */
  vip6(n: number): string {
    return `fd77:${this.lab.subnet}::${n}`;
  }

  /** Starts the service on every host and vigil on the given hosts. */
  async start(hosts = this.hosts): Promise<void> {
    for (const h of this.hosts)
      this.lab.start(h, process.execPath, [join(NETNS, "responder.mjs"), h, String(SERVICE_PORT)]);
    for (const h of hosts) this.startVigil(h);
  }

  /** Environment added to every vigil this cluster starts (e.g. VIGIL_FAULT_INJECTION); per host by a function. */
  vigilEnv: (host: string) => Record<string, string> = () => ({});

  startVigil(host: string): void {
    const i = this.hosts.indexOf(host);
    this.history.set(host, (this.history.get(host) ?? "") + (this.logs.get(host) ?? ""));
    this.logs.set(host, "");
    const child = this.lab.start(
      host,
      process.execPath,
      [MAIN, "run", "-c", join(this.dir, "vigil.yaml"), "--node", host, "--api", `${this.lab.addr(11 + i)}:7480`],
      {
        // The hosts share one file system: each gets its own HA_RSCTMP and runtime dir, as its own /run would be.
        env: {
          HA_RSCTMP: join(this.dir, "run", host),
          VIGIL_RUNTIME_DIR: join(this.dir, "run", host),
          ...this.vigilEnv(host),
        },
        log: (c) => this.logs.set(host, (this.logs.get(host) ?? "") + c),
      },
    );
    this.vigils.set(host, child);
  }

  /** Resolves with the exit code of a host's vigil once it has exited. */
  exited(host: string): Promise<number | null> {
    const child = this.vigils.get(host);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child?.exitCode ?? null);
    return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Sends a signal to a host's vigil; for SIGKILL waits until it is gone. */
  async signalVigil(host: string, signal: NodeJS.Signals): Promise<void> {
    const child = this.vigils.get(host);
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = signal === "SIGKILL" ? new Promise((r) => child.once("exit", r)) : undefined;
    process.kill(child.pid, signal);
    await gone;
  }

  /** Starts keepalived (VRRP only) on a host instead of vigil, for side-by-side measurements. `extra` adds
   * configuration lines: `globalDefs` inside global_defs, `before` ahead of the vrrp_instance (e.g. a
   * vrrp_script), `instance` inside it (track_script, notify_*). */
  startKeepalived(
    host: string,
    advertInt: number,
    extra: { globalDefs?: string[]; before?: string[]; instance?: string[] } = {},
  ): void {
    const i = this.hosts.indexOf(host);
    const conf = join(this.dir, `keepalived-${host}.conf`);
    writeFileSync(
      conf,
      [
        "global_defs {",
        `  router_id ${host}`,
        "  vrrp_version 3",
        "  vrrp_garp_master_delay 0",
        "  vrrp_garp_master_repeat 3",
        ...(extra.globalDefs ?? []).map((l) => `  ${l}`),
        "}",
        ...(extra.before ?? []),
        "vrrp_instance VI_1 {",
        "  state BACKUP",
        "  interface eth0",
        "  virtual_router_id 51",
        `  priority ${200 - i * 50}`,
        `  advert_int ${advertInt}`,
        "  nopreempt",
        "  virtual_ipaddress {",
        `    ${this.vip}/24 dev eth0`,
        "  }",
        ...(extra.instance ?? []).map((l) => `  ${l}`),
        "}",
        "",
      ].join("\n"),
    );
    this.logs.set(host, "");
    const child = this.lab.start(
      host,
      "keepalived",
      [
        "-n",
        "-l",
        "-P",
        "-f",
        conf,
        "-p",
        join(this.dir, `ka-${host}.pid`),
        "-r",
        join(this.dir, `ka-vrrp-${host}.pid`),
      ],
      {
        log: (c) => this.logs.set(host, (this.logs.get(host) ?? "") + c),
      },
    );
    this.vigils.set(host, child);
  }

  /** SIGKILLs every process of a host's HA daemon (vigil or all keepalived processes), leaving the host up.
   * All of them are stopped first: keepalived's VRRP process gets SIGTERM when its parent dies and would
   * otherwise have time to shut down cleanly (removing the VIP) before its own SIGKILL. */
  killDaemon(host: string, daemon: "vigil" | "keepalived"): void {
    const pids = this.lab.exec(host, "ip", "netns", "pids", this.lab.ns(host)).out.trim().split(/\s+/).filter(Boolean);
    const own = this.vigils.get(host)?.pid;
    const targets = pids.map(Number).filter((pid) => {
      let comm = "";
      try {
        comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        return false;
      }
      return (daemon === "keepalived" && comm === "keepalived") || (daemon === "vigil" && pid === own);
    });
    for (const signal of ["SIGSTOP", "SIGKILL"] as const)
      for (const pid of targets)
        try {
          process.kill(pid, signal);
        } catch {
          /* gone */
        }
  }

  /** A host's /status, fetched from inside the client namespace. */
  status(host: string):
    | {
        groups: Record<string, string>;
        isLeader: boolean;
        holds: string[];
        failures: Record<string, number>;
        cluster?: { quorum: { heard: number; total: number } };
      }
    | undefined {
    const i = this.hosts.indexOf(host);
    const r = this.lab.exec(
      "client",
      process.execPath,
      join(NETNS, "get.mjs"),
      `http://${this.lab.addr(11 + i)}:7480/status`,
    );
    try {
      return JSON.parse(r.out.slice(r.out.indexOf("\n") + 1)) as {
        groups: Record<string, string>;
        isLeader: boolean;
        holds: string[];
        failures: Record<string, number>;
        cluster?: { quorum: { heard: number; total: number } };
      };
    } catch {
      return undefined;
    }
  }

  /** POSTs a command to a host's API from the client namespace; returns the HTTP status. */
  command(host: string, path: string): number {
    const i = this.hosts.indexOf(host);
    const r = this.lab.exec(
      "client",
      process.execPath,
      join(NETNS, "get.mjs"),
      `http://${this.lab.addr(11 + i)}:7480${path}`,
      "POST",
      TOKEN,
    );
    return Number(r.out.split("\n")[0]);
  }

  /** Waits until every host runs, hears every other, and has heard from all of them that nothing of an
   * earlier incarnation is active (so a restarted host is a full voter again): a fault injected before
   * that tests a cluster still forming, not the failover. */
  async waitForMembers(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const joined = (h: string) => {
      const q = this.status(h)?.cluster?.quorum;
      return q !== undefined && q.heard === q.total && SETTLED.test(this.log(h));
    };
    while (Date.now() < deadline) {
      if (this.hosts.every(joined)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `not every host joined within ${timeoutMs}ms (joined: ${this.hosts.filter(joined).join(", ") || "none"})\n${this.tail()}`,
    );
  }

  /** Which host has the VIP on eth0 right now (by `ip addr`). */
  vipHolders(): string[] {
    return this.hosts.filter((h) =>
      this.lab.exec(h, "ip", "-o", "addr", "show", "dev", "eth0").out.includes(` ${this.vip}/`),
    );
  }

  /** Waits until exactly `host` (or any one host) holds the VIP and answers on it. */
  async waitForOwner(host?: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const holders = this.vipHolders();
      if (holders.length === 1 && (host === undefined || holders[0] === host)) return holders[0] as string;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `no single VIP owner${host ? ` ${host}` : ""} within ${timeoutMs}ms (holders: ${this.vipHolders().join(", ") || "none"})\n${this.tail()}`,
    );
  }

  /** Runs the client probe of `address` (default: the IPv4 VIP) for `ms`, calling `during` after `after`
   * ms; returns what the client saw. */
  async probe(ms: number, after: number, during: () => void | Promise<void>, address = this.vip): Promise<ProbeReport> {
    let out = "";
    let started: () => void = () => undefined;
    const ready = new Promise<void>((r) => (started = r));
    const child = this.lab.start(
      "client",
      process.execPath,
      [join(NETNS, "probe.mjs"), address, String(SERVICE_PORT), "5", String(ms)],
      {
        log: (c) => {
          out += c;
          if (out.includes("started")) started();
        },
      },
    );
    const done = new Promise((r) => child.once("exit", r));
    // `after` counts from the probe's own start (its clock), not from the spawn, which is slow under load.
    await Promise.race([ready, done]);
    await new Promise((r) => setTimeout(r, after));
    await during();
    await done;
    return analyse(out.split("\n"));
  }

  tail(lines = 80): string {
    return this.hosts
      .map((h) => `--- ${h}\n${(this.logs.get(h) ?? "").trim().split("\n").slice(-lines).join("\n")}`)
      .join("\n");
  }

  /** What the host's current vigil logged so far. */
  log(host: string): string {
    return this.logs.get(host) ?? "";
  }

  /** What every vigil this cluster started on the host logged, the current one last. */
  fullLog(host: string): string {
    return (this.history.get(host) ?? "") + this.log(host);
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
