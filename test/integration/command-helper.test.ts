// The daemon's command helper process with real processes: a command's output, exit code, timeout and
// abort come back as they do from a spawn in the daemon itself, runCommand goes there once the daemon says
// so, commands whose helper went away end as failures while later ones run in a new helper, the helper
// outlives the terminal's and service manager's signals, and it ends with the process that started it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { CommandHelper } from "../../src/adapters/command-helper.js";
import { runCommand, useCommandHelper } from "../../src/adapters/run-command.js";
import { until } from "../helpers/kernel-lab.js";

const helper = new CommandHelper();
after(async () => {
  useCommandHelper(undefined);
  await helper.close();
});

/** Whether `pid` runs (exists and has not exited: a zombie waits only for init to reap it). */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

describe("command helper", () => {
  it("runs a command there and returns its exit code and output", async () => {
    const r = await helper.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], { timeoutMs: 5000 });
    assert.equal(r.code, 3);
    assert.match(r.output, /out/);
    assert.match(r.output, /err/);
    assert.notEqual(helper.pid, process.pid);
  });

  it("passes the daemon's environment from the helper's start, the resource tag and the caller's environment", async () => {
    process.env.COMMAND_HELPER_TEST_SHARED = "seen";
    const fresh = new CommandHelper();
    try {
      fresh.start();
      delete process.env.COMMAND_HELPER_TEST_SHARED;
      const r = await fresh.run("/bin/sh", ["-c", 'echo "$A $VIGIL_RESOURCE $COMMAND_HELPER_TEST_SHARED"'], {
        timeoutMs: 5000,
        env: { A: "a1" },
        tag: "g/r",
      });
      assert.equal(r.output.trim(), "a1 g/r seen");
    } finally {
      await fresh.close();
    }
  });

  it("kills a command at its timeout and when its caller aborts", async () => {
    const timed = await helper.run("/bin/sleep", ["30"], { timeoutMs: 200, graceMs: 0 });
    assert.equal(timed.timedOut, true);
    assert.ok(timed.ms < 5000, `ended after ${timed.ms}ms`);
    const abort = new AbortController();
    const running = helper.run("/bin/sleep", ["30"], { timeoutMs: 30_000, signal: abort.signal, graceMs: 0 });
    setTimeout(() => abort.abort(), 100);
    const aborted = await running;
    assert.notEqual(aborted.code, 0);
    assert.ok(aborted.ms < 5000, `ended after ${aborted.ms}ms`);
  });

  it("keeps stderr apart, carries a whole large output, and cuts one past maxOutput", async () => {
    const script = "head -c 300000 /dev/zero | tr '\\0' x; echo warn >&2";
    const whole = await helper.run("/bin/sh", ["-c", script], {
      timeoutMs: 5000,
      maxOutput: 1 << 20,
      stderrApart: true,
      untilClosed: true,
    });
    assert.equal(whole.output.length, 300_000);
    assert.equal(whole.stderr?.trim(), "warn");
    assert.equal(whole.cut, undefined);
    const cut = await helper.run("/bin/sh", ["-c", script], { timeoutMs: 5000, maxOutput: 1000, stderrApart: true });
    assert.equal(cut.cut, true);
    assert.equal(cut.output.length, 1000);
  });

  it("reports a program that cannot start as a spawn error", async () => {
    const r = await helper.run("/nonexistent/vigil-test", [], { timeoutMs: 1000 });
    assert.match(r.spawnError ?? "", /ENOENT/);
  });

  it("keeps running through SIGINT, SIGTERM and SIGHUP (the daemon stops its groups through it)", async () => {
    await helper.run("/bin/true", [], { timeoutMs: 5000 });
    const pid = helper.pid ?? 0;
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.kill(pid, s);
    const r = await helper.run("/bin/sh", ["-c", "sleep 0.2; echo done"], { timeoutMs: 5000 });
    assert.equal(r.output.trim(), "done");
    assert.equal(helper.pid, pid, "the same helper answered");
  });

  it("ends the commands of a helper that died as failures, and runs later ones in a new helper", async () => {
    const running = helper.run("/bin/sleep", ["30"], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 200));
    const pid = helper.pid ?? 0;
    process.kill(pid, "SIGKILL");
    const r = await running;
    assert.match(r.spawnError ?? "", /^E_COMMAND_HELPER: /);
    const again = await helper.run("/bin/true", [], { timeoutMs: 5000 });
    assert.equal(again.code, 0);
    assert.notEqual(helper.pid, pid);
  });

  it("carries runCommand once in use, and no longer once given up", async () => {
    useCommandHelper(helper);
    const through = runCommand("/bin/sleep", ["30"], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 200));
    await helper.close();
    assert.match((await through).spawnError ?? "", /^E_COMMAND_HELPER: /, "runCommand ran in the command helper");
    useCommandHelper(undefined);
    const here = await runCommand("/bin/true", [], { timeoutMs: 5000 });
    assert.equal(here.code, 0);
  });

  it("exits when the process that started it is SIGKILLed", async () => {
    const src = new URL("../../src/adapters/command-helper.ts", import.meta.url).href;
    const parent = spawn(
      process.execPath,
      [
        "--import",
        import.meta.resolve("tsx"),
        "--input-type=module",
        "-e",
        `const { CommandHelper } = await import(${JSON.stringify(src)}); const h = new CommandHelper(); h.start(); console.log(h.pid); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    parent.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await until("the helper's pid", () => /^\d+\n/.test(out));
      const pid = Number(out.trim());
      assert.ok(running(pid), "the helper runs");
      parent.kill("SIGKILL");
      await until(`helper ${pid} to exit after its parent's SIGKILL`, () => !running(pid));
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
