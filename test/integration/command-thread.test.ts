// The daemon's command thread with real processes: a command's output, exit code, timeout and abort
// come back as they do from a spawn in the calling thread, runCommand goes there once the daemon says
// so, and commands whose thread went away end as failures while later ones run in a new thread.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { CommandThread } from "../../src/adapters/command-thread.js";
import { runCommand, useCommandThread } from "../../src/adapters/run-command.js";

const thread = new CommandThread();
after(async () => {
  useCommandThread(undefined);
  await thread.close();
});

describe("command thread", () => {
  it("runs a command there and returns its exit code and output", async () => {
    const r = await thread.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], { timeoutMs: 5000 });
    assert.equal(r.code, 3);
    assert.match(r.output, /out/);
    assert.match(r.output, /err/);
  });

  it("passes the environment, the resource tag and the caller's environment", async () => {
    process.env.COMMAND_THREAD_TEST_SHARED = "seen";
    const r = await thread.run("/bin/sh", ["-c", 'echo "$A $VIGIL_RESOURCE $COMMAND_THREAD_TEST_SHARED"'], {
      timeoutMs: 5000,
      env: { A: "a1" },
      tag: "g/r",
    });
    delete process.env.COMMAND_THREAD_TEST_SHARED;
    assert.equal(r.output.trim(), "a1 g/r seen");
  });

  it("kills a command at its timeout and when its caller aborts", async () => {
    const timed = await thread.run("/bin/sleep", ["30"], { timeoutMs: 200, graceMs: 0 });
    assert.equal(timed.timedOut, true);
    assert.ok(timed.ms < 5000, `ended after ${timed.ms}ms`);
    const abort = new AbortController();
    const running = thread.run("/bin/sleep", ["30"], { timeoutMs: 30_000, signal: abort.signal, graceMs: 0 });
    setTimeout(() => abort.abort(), 100);
    const aborted = await running;
    assert.notEqual(aborted.code, 0);
    assert.ok(aborted.ms < 5000, `ended after ${aborted.ms}ms`);
  });

  it("reports a program that cannot start as a spawn error", async () => {
    const r = await thread.run("/nonexistent/vigil-test", [], { timeoutMs: 1000 });
    assert.match(r.spawnError ?? "", /ENOENT/);
  });

  it("ends the commands of a thread that went away as failures, and runs later ones in a new thread", async () => {
    const running = thread.run("/bin/sleep", ["30"], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 200));
    await thread.close();
    const r = await running;
    assert.match(r.spawnError ?? "", /^E_COMMAND_THREAD: /);
    const again = await thread.run("/bin/true", [], { timeoutMs: 5000 });
    assert.equal(again.code, 0);
  });

  it("carries runCommand once in use, and no longer once given up", async () => {
    useCommandThread(thread);
    const through = runCommand("/bin/sleep", ["30"], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 200));
    await thread.close();
    assert.match((await through).spawnError ?? "", /^E_COMMAND_THREAD: /, "runCommand ran in the command thread");
    useCommandThread(undefined);
    const here = await runCommand("/bin/true", [], { timeoutMs: 5000 });
    assert.equal(here.code, 0);
  });
});
