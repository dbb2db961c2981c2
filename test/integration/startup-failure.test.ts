// A fatal start-up error (the cluster UDP port or the API port held by another process) makes
// `vigil run` exit non-zero at once with a message that says where, and leaves nothing running: no
// guard process, no other process of its process group.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { newKeyText } from "../../src/adapters/keygen.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "vigil-startup-"));
writeFileSync(join(dir, "cluster.key"), newKeyText(), { mode: 0o600 });
after(() => rmSync(dir, { recursive: true, force: true }));

/** A random port pair (cluster UDP, API TCP) below the ephemeral range. */
function ports(): { udp: number; api: number } {
  const base = 20000 + Math.floor(Math.random() * 5000) * 2;
  return { udp: base, api: base + 1 };
}

function writeConfig(p: { udp: number; api: number }): string {
  const file = join(dir, `vigil-${p.udp}.yaml`);
  writeFileSync(
    file,
    `cluster:
  name: startup
  key_file: ${join(dir, "cluster.key")}
api:
  listen: 127.0.0.1:${p.api}
nodes:
  - { name: n1, address: "127.0.0.1:${p.udp}" }
  - { name: n2, address: "127.0.0.1:${p.udp + 10}" }
  - { name: n3, address: "127.0.0.1:${p.udp + 20}" }
groups:
  - name: db
    resources:
      - { type: exec, path: /bin/true }
`,
  );
  return file;
}

/** Pids of live processes in process group `pgid` (from /proc/PID/stat). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") out.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Runs `vigil run` as its own process group; resolves with its exit, stderr and timings. */
async function runVigil(config: string, runtime: string) {
  const start = performance.now();
  const child = spawn(process.execPath, [MAIN, "run", "-c", config, "--node", "n1"], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, VIGIL_RUNTIME_DIR: runtime, VIGIL_LOG_LEVEL: "warn" },
  });
  let stderr = "";
  let errorAt: number | undefined;
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
    if (errorAt === undefined && stderr.includes("vigil run:")) errorAt = performance.now();
  });
  const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 15_000);
  const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  clearTimeout(killer);
  const exitAt = performance.now();
  await new Promise((r) => setTimeout(r, 200)); // let a straggler show up if there is one
  return { code, stderr, pgid: child.pid!, totalMs: exitAt - start, afterErrorMs: exitAt - (errorAt ?? start) };
}

/** The guard pid recorded under `runtime`, if any. */
function guardPid(runtime: string): number | undefined {
  try {
    const f = readdirSync(runtime).find((n) => n.endsWith(".guard.pid"));
    return f === undefined ? undefined : Number(readFileSync(join(runtime, f), "utf8").trim());
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (a zombie left for a non-reaping init does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function assertFailsCleanly(
  held: () => Promise<() => void>,
  p: { udp: number; api: number },
  message: RegExp,
): Promise<void> {
  const release = await held();
  const runtime = join(dir, `run-${p.udp}`);
  try {
    const r = await runVigil(writeConfig(p), runtime);
    console.log(
      `# exit ${r.code} ${Math.round(r.totalMs)}ms after spawn, ${Math.round(r.afterErrorMs)}ms after the error line`,
    );
    assert.notEqual(r.code, 0, r.stderr);
    assert.notEqual(r.code, null, `killed after 15s: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(r.afterErrorMs < 3000, `exited ${Math.round(r.afterErrorMs)}ms after its error`);
    assert.ok(r.totalMs < 10_000, `exited ${Math.round(r.totalMs)}ms after spawn`);
    assert.deepEqual(groupMembers(r.pgid), [], "processes of vigil's process group still run");
    const gp = guardPid(runtime);
    if (gp !== undefined) assert.equal(alive(gp), false, `guard ${gp} still runs`);
  } finally {
    release();
  }
}

describe("vigil run: fatal start-up errors", () => {
  it("exits non-zero, says so and leaves nothing running when the cluster port is taken", async () => {
    const p = ports();
    await assertFailsCleanly(
      async () => {
        const sock = createSocket("udp4");
        await new Promise<void>((r) => sock.bind(p.udp, "127.0.0.1", r));
        return () => sock.close();
      },
      p,
      new RegExp(`cannot bind the cluster port: .*EADDRINUSE 127\\.0\\.0\\.1:${p.udp}.*node n1`),
    );
  });

  it("exits non-zero, says so and leaves nothing running when the API port is taken", async () => {
    const p = ports();
    await assertFailsCleanly(
      async () => {
        const srv = createServer();
        await new Promise<void>((r) => srv.listen(p.api, "127.0.0.1", r));
        return () => srv.close();
      },
      p,
      new RegExp(`cannot listen for the API \\(api\\.listen 127\\.0\\.0\\.1:${p.api}\\): .*EADDRINUSE`),
    );
  });

  it("exits non-zero with a located error when the config cannot be read", async () => {
    const runtime = join(dir, "run-missing");
    const r = await runVigil(join(dir, "missing.yaml"), runtime);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.yaml:1:1: .*file not found/);
    assert.deepEqual(groupMembers(r.pgid), []);
  });
});
