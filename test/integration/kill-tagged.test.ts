// killTagged against a real process tree: a start script that leaves a background sleep behind and
// another that calls setsid to leave the process group; SIGKILL by tag leaves none of them, and a
// process of another tag survives.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { killTagged } from "../../src/adapters/resources/kill-tagged.js";
import { runCommand } from "../../src/adapters/run-command.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-kill-"));
const tag = (name: string) => `test-kill/${process.pid}/${name}`;
after(async () => {
  await killTagged(tag("tree"));
  await killTagged(tag("other"));
  rmSync(dir, { recursive: true, force: true });
});

/** Starts, under `t`, a script that leaves two sleeps running (one in its own session) and exits. */
async function startTree(name: string, t: string): Promise<number[]> {
  const script = join(dir, `${name}.sh`);
  const pids = join(dir, `${name}.pids`);
  writeFileSync(script, `#!/bin/sh\nsleep 300 &\necho $! > ${pids}\nsetsid sleep 300 &\necho $! >> ${pids}\n`, {
    mode: 0o755,
  });
  const r = await runCommand(script, [], { timeoutMs: 5000, tag: t });
  assert.equal(r.code, 0, r.output);
  return readFileSync(pids, "utf8").trim().split("\n").map(Number);
}

/** Whether `pid` is a live process (a zombie waiting for its parent counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("killTagged", () => {
  it("kills every process of the tag, also one in its own session, and no other", async () => {
    const tree = await startTree("tree", tag("tree"));
    const other = await startTree("other", tag("other"));
    assert.ok([...tree, ...other].every(running), "all sleeps run before the kill");
    const k = await killTagged(tag("tree"));
    assert.equal(k.ok, true, k.detail);
    assert.equal(k.killed, 2, k.detail);
    assert.deepEqual(k.left, []);
    assert.deepEqual(tree.filter(running), [], "none of the tagged processes is left");
    assert.deepEqual(other.filter(running), other, "the other tag's processes still run");
    assert.equal((await killTagged(tag("other"))).ok, true);
  });

  it("with nothing of the tag running, is ok and killed none", async () => {
    const k = await killTagged(tag("none"));
    assert.deepEqual([k.ok, k.killed], [true, 0]);
  });

  it("fails closed when /proc cannot be read", async () => {
    const k = await killTagged(tag("tree"), 100, join(dir, "no-proc"));
    assert.equal(k.ok, false);
    assert.match(k.detail, /cannot list .*no-proc/);
  });
});
