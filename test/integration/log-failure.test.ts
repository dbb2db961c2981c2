// Logging failures never stop the daemon: `vigil run` with stdout and stderr on /dev/full (ENOSPC), or
// on pipes whose reader is gone (EPIPE), keeps running, runs its group, serves /status, and still
// exits 0 on SIGTERM (no flush at exit may loop on a destination that keeps failing).
import assert from "node:assert/strict";
import { spawn, type StdioOptions } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { newKeyText } from "../../src/adapters/keygen.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "vigil-logfail-"));
writeFileSync(join(dir, "cluster.key"), newKeyText(), { mode: 0o600 });
after(() => rmSync(dir, { recursive: true, force: true }));

function config(base: number): string {
  const file = join(dir, `vigil-${base}.yaml`);
  writeFileSync(
    file,
    `cluster:
  name: logfail
  key_file: ${join(dir, "cluster.key")}
api:
  listen: 127.0.0.1:${base + 1}
nodes:
  - { name: n1, address: "127.0.0.1:${base}" }
groups:
  - name: db
    resources:
      - { type: exec, path: /bin/true }
`,
  );
  return file;
}

async function status(api: number): Promise<{ groups?: Record<string, string> } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${api}/status`, { signal: AbortSignal.timeout(500) });
    return res.ok ? ((await res.json()) as { groups: Record<string, string> }) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a one-node daemon with `stdio`; asserts it runs its group and answers for 2s, then stops it. */
async function survives(stdio: StdioOptions, afterSpawn: (c: ReturnType<typeof spawn>) => void = () => undefined) {
  const base = 21000 + Math.floor(Math.random() * 4000) * 2;
  const child = spawn(process.execPath, [MAIN, "run", "-c", config(base)], {
    stdio,
    env: { ...process.env, VIGIL_RUNTIME_DIR: join(dir, `run-${base}`), VIGIL_LOG_LEVEL: "debug" },
  });
  afterSpawn(child);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  try {
    const deadline = Date.now() + 15_000;
    while ((await status(base + 1))?.groups?.db !== "running") {
      assert.equal(child.exitCode, null, "the daemon exited");
      assert.ok(Date.now() < deadline, "db never ran");
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 20; i++) {
      assert.equal((await status(base + 1))?.groups?.db, "running", `status ${i}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    assert.equal(await exited, 0, "SIGTERM must end it with 0 (killed after 10s otherwise)");
    clearTimeout(killer);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

describe("vigil run with a failing log destination", () => {
  it("keeps running with stdout and stderr on /dev/full", async () => {
    const full = openSync("/dev/full", "w");
    try {
      await survives(["ignore", full, full]);
    } finally {
      closeSync(full);
    }
  });

  it("keeps running with stdout and stderr pipes whose reader is gone", async () => {
    await survives(["ignore", "pipe", "pipe"], (c) => {
      c.stdout?.destroy();
      c.stderr?.destroy();
    });
  });
});
