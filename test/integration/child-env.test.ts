// Resource children get a clean environment: a daemon started by systemd (NOTIFY_SOCKET, LISTEN_FDS,
// LISTEN_PID, WATCHDOG_USEC set) with vigil switches (VIGIL_FAULT_INJECTION) runs an exec resource that
// dumps its environment: none of these reach it, but its VIGIL_RESOURCE tag (used by kill-tagged) does.
// Its parent is the daemon's command helper process, not the daemon (a fork of the daemon would stall its
// cluster thread).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { newKeyText } from "../../src/adapters/keygen.js";

const MAIN = new URL("../../dist/cli/main.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "vigil-childenv-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("resource children's environment", () => {
  it("has no NOTIFY_SOCKET, LISTEN_*, WATCHDOG_* or inherited VIGIL_*, keeps VIGIL_RESOURCE, and is spawned by the command helper", async () => {
    const base = 23000 + Math.floor(Math.random() * 4000) * 2;
    const dump = join(dir, "env.txt");
    const script = join(dir, "dump-env");
    writeFileSync(
      script,
      `#!/bin/sh\ncase "$1" in\n  start) tr '\\0' ' ' < /proc/$PPID/cmdline > ${dump}.parent; env > ${dump}.tmp && mv ${dump}.tmp ${dump} ;;\nesac\nexit 0\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(dir, "cluster.key"), newKeyText(), { mode: 0o600 });
    const config = join(dir, "vigil.yaml");
    writeFileSync(
      config,
      `cluster:
  name: childenv
  key_file: ${join(dir, "cluster.key")}
api:
  listen: 127.0.0.1:${base + 1}
nodes:
  - { name: n1, address: "127.0.0.1:${base}" }
groups:
  - name: g
    resources:
      - { type: exec, path: ${script} }
`,
    );
    const child = spawn(process.execPath, [MAIN, "run", "-c", config], {
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        ...process.env,
        NOTIFY_SOCKET: join(dir, "notify.sock"),
        LISTEN_FDS: "1",
        LISTEN_PID: "1",
        WATCHDOG_USEC: "1000000",
        VIGIL_FAULT_INJECTION: "1",
        VIGIL_RUNTIME_DIR: join(dir, "run"),
        VIGIL_LOG_LEVEL: "warn",
      },
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    try {
      const deadline = Date.now() + 15_000;
      while (!existsSync(dump)) {
        assert.equal(child.exitCode, null, `the daemon exited: ${stderr}`);
        assert.ok(Date.now() < deadline, `the resource never started: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const env = Object.fromEntries(
        readFileSync(dump, "utf8")
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      for (const name of ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC"])
        assert.equal(env[name], undefined, `${name} reached the resource`);
      const vigil = Object.keys(env).filter((k) => k.startsWith("VIGIL_"));
      assert.deepEqual(vigil, ["VIGIL_RESOURCE"], `VIGIL_* in the child: ${vigil.join(", ")}`);
      assert.equal(env.VIGIL_RESOURCE, "childenv/n1/g-0");
      assert.equal(env.PATH, process.env.PATH, "the rest of the environment is kept");
      assert.match(readFileSync(`${dump}.parent`, "utf8"), /command-helper-process/, "spawned by the command helper");
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    }
  });
});
