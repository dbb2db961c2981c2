// Real etcd members for tests: each a Debian `etcd` process on loopback, on free ports, with its data in
// a temporary directory (on /dev/shm when there is one: fsync on a loaded disk would make elections
// slow). Killed by pid (never by name); stop() also removes the data. Skips loudly where no etcd exists.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether the `etcd` binary is installed (Debian etcd-server); a reason to skip otherwise. */
export function etcdMissing(): string | false {
  const r = spawnSync("etcd", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? false : "etcd is not installed (Debian etcd-server; scripts/packages.sh installs it as root)";
}

/** A free TCP port on 127.0.0.1 (bound and released: another process could take it meanwhile). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One etcd member process. */
export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  proc: ChildProcess | undefined;
  /** Its stdout and stderr, for a failing test's message. */
  log: string[];
}

/** An etcd cluster of one or more members on loopback. */
export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  private readonly root: string;

  private constructor(
    names: string[],
    ports: number[],
    private readonly timers: { heartbeatMs: number; electionMs: number },
    private readonly tls?: EtcdTestTls,
    private readonly nice?: number,
  ) {
    const shm = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
    this.root = mkdtempSync(join(shm, "vigil-etcd-"));
    names.forEach((name, i) =>
      this.members.push({
        name,
        clientUrl: `${tls ? "https" : "http"}://127.0.0.1:${ports[2 * i]}`,
        peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
        dataDir: join(this.root, name),
        proc: undefined,
        log: [],
      }),
    );
  }

  /** Starts `size` members (default 1) and waits until every one answers /health. */
  static async start(
    size = 1,
    timers: { heartbeatMs: number; electionMs: number } = { heartbeatMs: 100, electionMs: 1000 },
    tls?: EtcdTestTls,
    /** Runs the members at this nice value (a benchmark that shares the CPU with vigil nodes at theirs). */
    nice?: number,
  ): Promise<EtcdCluster> {
    const ports: number[] = [];
    for (let i = 0; i < size * 2; i++) ports.push(await freePort());
    const c = new EtcdCluster(
      Array.from({ length: size }, (_, i) => `m${i + 1}`),
      ports,
      timers,
      tls,
      nice,
    );
    try {
      for (const m of c.members) c.spawn(m);
      await Promise.all(c.members.map((m) => c.waitHealthy(m)));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** The client URLs of every member. */
  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  /** SIGKILLs member `i` (by pid) and waits until it has exited. */
  async kill(i: number): Promise<void> {
    const m = this.member(i);
    const p = m.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    process.kill(p.pid ?? -1, "SIGKILL");
    await exited;
  }

  /** SIGSTOPs (freezes) member `i`. */
  freeze(i: number): void {
    process.kill(this.member(i).proc?.pid ?? -1, "SIGSTOP");
  }

  /** SIGCONTs member `i`. */
  thaw(i: number): void {
    process.kill(this.member(i).proc?.pid ?? -1, "SIGCONT");
  }

  /** Starts member `i` again on its ports and data, and waits until it answers /health. */
  async restart(i: number): Promise<void> {
    const m = this.member(i);
    this.spawn(m, "existing");
    await this.waitHealthy(m);
  }

  /** The index of the member that leads, as the members themselves report it (undefined: none). */
  async leader(): Promise<number | undefined> {
    for (const m of this.members) {
      try {
        const r = await post(m.clientUrl, "/v3/maintenance/status", {});
        const h = (r.header ?? {}) as { member_id?: string };
        if (r.leader !== undefined && r.leader === h.member_id) return this.members.indexOf(m);
      } catch {
        /* down or frozen */
      }
    }
    return undefined;
  }

  /** Kills every member by pid and removes the data directory. */
  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) {
      const p = this.members[i]?.proc;
      if (p?.pid && p.exitCode === null && p.signalCode === null) {
        try {
          process.kill(p.pid, "SIGCONT");
        } catch {
          /* gone */
        }
      }
      await this.kill(i).catch(() => undefined);
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The last lines each member logged (for a failing test). */
  logs(lines = 20): string {
    return this.members.map((m) => `--- ${m.name}\n${m.log.slice(-lines).join("")}`).join("\n");
  }

  private member(i: number): EtcdMember {
    const m = this.members[i];
    if (!m) throw new Error(`no etcd member ${i}`);
    return m;
  }

  private spawn(m: EtcdMember, state: "new" | "existing" = "new"): void {
    const cluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(",");
    const args = [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=${m.clientUrl}`,
      `--advertise-client-urls=${m.clientUrl}`,
      `--listen-peer-urls=${m.peerUrl}`,
      `--initial-advertise-peer-urls=${m.peerUrl}`,
      `--initial-cluster=${cluster}`,
      `--initial-cluster-state=${state}`,
      `--initial-cluster-token=vigil-test`,
      `--heartbeat-interval=${this.timers.heartbeatMs}`,
      `--election-timeout=${this.timers.electionMs}`,
      ...(this.tls
        ? [
            `--cert-file=${this.tls.serverCert}`,
            `--key-file=${this.tls.serverKey}`,
            `--trusted-ca-file=${this.tls.ca}`,
            "--client-cert-auth",
          ]
        : []),
      "--logger=zap",
      "--log-level=warn",
    ];
    const [cmd, cmdArgs] =
      this.nice === undefined ? ["etcd", args] : ["nice", ["-n", String(this.nice), "etcd", ...args]];
    const proc = spawn(cmd, cmdArgs, { stdio: ["ignore", "pipe", "pipe"] });
    m.proc = proc;
    const keep = (b: Buffer) => {
      m.log.push(b.toString());
      if (m.log.length > 200) m.log.shift();
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("error", (err) => m.log.push(`spawn failed: ${err.message}\n`));
  }

  private async waitHealthy(m: EtcdMember, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (m.proc?.exitCode !== null && m.proc?.exitCode !== undefined)
        throw new Error(`etcd ${m.name} exited with ${m.proc.exitCode}:\n${m.log.join("")}`);
      try {
        if (this.tls) {
          // fetch cannot present a client certificate: with TLS, ready means the port accepts TLS.
          if (await tlsAnswers(m.clientUrl, this.tls)) return;
        } else {
          const r = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
          const body = (await r.json()) as { health?: string };
          if (body.health === "true") return;
        }
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`etcd ${m.name} not healthy within ${timeoutMs}ms:\n${m.log.join("")}`);
  }
}

/** A plain JSON POST to one member (test-side reads that must not go through the client under test). */
export async function post(
  endpoint: string,
  path: string,
  body: unknown,
  timeoutMs = 2000,
): Promise<Record<string, unknown>> {
  const r = await fetch(`${endpoint}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, unknown>;
}

/** Certificates for an etcd that requires client certificates (files made by makeTestCertificates). */
export interface EtcdTestTls {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Makes a CA, a server certificate for 127.0.0.1 and a client certificate in `dir` with openssl. */
export function makeTestCertificates(dir: string): EtcdTestTls {
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  writeFileSync(f("client.ext"), "extendedKeyUsage=clientAuth\n");
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=vigil-test-ca",
  ]);
  for (const who of ["server", "client"]) {
    run([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      f(`${who}.key`),
      "-out",
      f(`${who}.csr`),
      "-subj",
      `/CN=vigil-${who}`,
    ]);
    run([
      "x509",
      "-req",
      "-in",
      f(`${who}.csr`),
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-out",
      f(`${who}.pem`),
      "-days",
      "2",
      "-extfile",
      f(`${who}.ext`),
    ]);
  }
  return {
    ca: f("ca.pem"),
    serverCert: f("server.pem"),
    serverKey: f("server.key"),
    clientCert: f("client.pem"),
    clientKey: f("client.key"),
  };
}

/** Whether etcd's /health answers over TLS with the test client certificate. */
function tlsAnswers(url: string, tls: EtcdTestTls): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      `${url}/health`,
      { ca: readFileSync(tls.ca), cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey), timeout: 1000 },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(body.includes('"health":"true"')));
      },
    );
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}
