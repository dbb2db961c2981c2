// A three-member etcd cluster in network namespaces of a Lab (hosts e1..e3 on the lab's bridge), for the
// fault tests of `coordination: etcd`: members are SIGKILLed, SIGSTOPped and restarted by pid, and the
// test reads keys and the leader from inside the client namespace (curl), never through the client
// under test. Data in /dev/shm; the Lab's destroy() kills what is left.
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Lab } from "./netns.js";

/** One member in its namespace. */
interface Member {
  host: string;
  address: string;
  proc?: ChildProcess;
  log: string[];
}

/** etcd members e1..eN in a lab. */
export class NetnsEtcd {
  readonly members: Member[];
  private readonly root: string;

  /** Adds hosts e1..e`size` to `lab` at addresses .31, .32, ... */
  constructor(
    private lab: Lab,
    size = 3,
  ) {
    this.root = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "vigil-netns-etcd-"));
    this.members = Array.from({ length: size }, (_, i) => {
      const host = `e${i + 1}`;
      return { host, address: lab.addHost(host, 31 + i), log: [] };
    });
  }

  /** The client URLs, as vigil's config lists them. */
  get endpoints(): string[] {
    return this.members.map((m) => `http://${m.address}:2379`);
  }

  /** Starts every member and waits until each answers /health. */
  async start(): Promise<void> {
    for (const m of this.members) this.spawn(m, "new");
    for (const m of this.members) await this.waitHealthy(m);
  }

  private spawn(m: Member, state: "new" | "existing"): void {
    const cluster = this.members.map((x) => `${x.host}=http://${x.address}:2380`).join(",");
    m.proc = this.lab.start(
      m.host,
      "etcd",
      [
        `--name=${m.host}`,
        `--data-dir=${join(this.root, m.host)}`,
        `--listen-client-urls=http://${m.address}:2379`,
        `--advertise-client-urls=http://${m.address}:2379`,
        `--listen-peer-urls=http://${m.address}:2380`,
        `--initial-advertise-peer-urls=http://${m.address}:2380`,
        `--initial-cluster=${cluster}`,
        `--initial-cluster-state=${state}`,
        "--initial-cluster-token=vigil-netns",
        "--heartbeat-interval=100",
        "--election-timeout=1000",
        "--logger=zap",
        "--log-level=warn",
      ],
      {
        log: (c) => {
          m.log.push(c);
          if (m.log.length > 200) m.log.shift();
        },
      },
    );
  }

  private async waitHealthy(m: Member, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = this.lab.exec("client", "curl", "-s", "-m", "1", `http://${m.address}:2379/health`);
      if (r.out.includes('"health":"true"')) return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`etcd ${m.host} not healthy within ${timeoutMs}ms:\n${m.log.join("")}`);
  }

  /** A JSON POST to the gateway of member `i`, from the client namespace (undefined: no answer). */
  private post(i: number, path: string, body: unknown): Record<string, unknown> | undefined {
    const m = this.members[i] as Member;
    const r = this.lab.exec(
      "client",
      "curl",
      "-s",
      "-m",
      "1",
      "-X",
      "POST",
      "-d",
      JSON.stringify(body),
      `http://${m.address}:2379${path}`,
    );
    try {
      return JSON.parse(r.out) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  /** The value of `key`, read (linearizably) through any member that answers; undefined when absent. */
  get(key: string): string | undefined {
    return this.getKv(key)?.value;
  }

  /** `key` with the revision that created it (a lock's token), or undefined when absent. */
  getKv(key: string): { value: string; createRevision: number } | undefined {
    for (let i = 0; i < this.members.length; i++) {
      const a = this.post(i, "/v3/kv/range", { key: Buffer.from(key).toString("base64") });
      if (!a?.header) continue;
      const kv = (a.kvs as { value?: string; create_revision?: string }[] | undefined)?.[0];
      if (kv?.value === undefined) return undefined;
      return { value: Buffer.from(kv.value, "base64").toString(), createRevision: Number(kv.create_revision) };
    }
    throw new Error(`no etcd member answered a read of ${key}`);
  }

  /** The index of the member that leads (undefined: none answers as leader). */
  leader(): number | undefined {
    for (let i = 0; i < this.members.length; i++) {
      const a = this.post(i, "/v3/maintenance/status", {});
      const h = a?.header as { member_id?: string } | undefined;
      if (a && h?.member_id !== undefined && a.leader === h.member_id) return i;
    }
    return undefined;
  }

  /** SIGKILLs member `i` and waits until it exited. */
  async kill(i: number): Promise<void> {
    const p = this.members[i]?.proc;
    if (!p || p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once("exit", r));
    process.kill(p.pid, "SIGCONT");
    process.kill(p.pid, "SIGKILL");
    await gone;
  }

  /** SIGSTOPs (true) or SIGCONTs (false) member `i`. */
  freeze(i: number, on: boolean): void {
    process.kill(this.members[i]?.proc?.pid ?? -1, on ? "SIGSTOP" : "SIGCONT");
  }

  /** Starts member `i` again on its data and waits until it is healthy. */
  async restart(i: number): Promise<void> {
    const m = this.members[i] as Member;
    this.spawn(m, "existing");
    await this.waitHealthy(m);
  }

  /** Every member's last lines (for a failing test). */
  logs(lines = 10): string {
    return this.members.map((m) => `--- ${m.host}\n${m.log.slice(-lines).join("")}`).join("\n");
  }

  /** Kills every member and removes the data (the Lab removes the namespaces). */
  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i).catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}
