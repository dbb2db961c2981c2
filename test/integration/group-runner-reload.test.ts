// The group runner's share of a reload, against real LSB scripts: the unchanged prefix keeps running,
// the old tail stops in reverse and the new tail starts in order; a new resource that fails to start
// is reported as a failure; an old one that fails to stop makes the group unclean and the new list
// waits until a stop succeeds; a removed group is forgotten once stopped.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { ExecAgent } from "../../src/adapters/resources/exec.js";
import { sameLimits } from "../../src/adapters/resources/resource-agent.js";
import type { ClusterEvent } from "../../src/core/cluster/node.js";
import { GroupRunner, type ManagedResource } from "../../src/daemon/group-runner.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-runner-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = join(dir, "calls.log");
const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []);

/** An LSB script for resource `name`; `fail` makes that action exit 1. */
function res(name: string, fail: "start" | "stop" | "" = ""): ManagedResource {
  const path = join(dir, `${name}.sh`);
  writeFileSync(path, `#!/bin/sh\necho "$1 ${name}" >> ${log}\n[ "$1" = "${fail}" ] && exit 1\nexit 0\n`, {
    mode: 0o755,
  });
  return { agent: new ExecAgent(path, [], sameLimits(2000), "test/res"), monitorEveryMs: 0 };
}

function runner(list: ManagedResource[]): { r: GroupRunner; events: ClusterEvent[] } {
  const events: ClusterEvent[] = [];
  return { r: new GroupRunner(new Map([["g", list]]), (e) => events.push(e), pino({ level: "silent" })), events };
}

describe("group runner: reload", () => {
  it("keeps the prefix running and restarts only the changed tail", async () => {
    writeFileSync(log, "");
    const [a, b, c] = [res("a"), res("b"), res("c")];
    const { r, events } = runner([a, b, c]);
    await r.run({ kind: "start", group: "g" });
    assert.equal(await r.reconfigure("g", [res("a"), res("b2"), res("c2")], 1), "done");
    assert.deepEqual(calls(), ["start a", "start b", "start c", "stop c", "stop b", "start b2", "start c2"]);
    await r.run({ kind: "stop", group: "g" });
    assert.deepEqual(
      calls().slice(7),
      ["stop c2", "stop b2", "stop a"],
      "the kept agent and the new ones are what runs now",
    );
    assert.deepEqual(
      events.map((e) => e.kind),
      ["started", "stopped"],
    );
  });

  it("only swaps the list of a group that is not running here", async () => {
    writeFileSync(log, "");
    const { r } = runner([res("a")]);
    assert.equal(await r.reconfigure("g", [res("a"), res("n")], 1), "done");
    assert.deepEqual(calls(), []);
    await r.run({ kind: "start", group: "g" });
    assert.deepEqual(calls(), ["start a", "start n"]);
  });

  it("reports a new resource that fails to start as a failure of the group", async () => {
    writeFileSync(log, "");
    const { r, events } = runner([res("a")]);
    await r.run({ kind: "start", group: "g" });
    assert.equal(await r.reconfigure("g", [res("a"), res("bad", "start")], 1), "start-failed");
    assert.deepEqual(
      events.map((e) => e.kind),
      ["started", "failed"],
    );
  });

  it("keeps the old list when an old resource fails to stop (unclean), and takes the new one after a clean stop", async () => {
    writeFileSync(log, "");
    const stuck = res("stuck", "stop");
    const { r, events } = runner([res("a"), stuck]);
    await r.run({ kind: "start", group: "g" });
    assert.equal(await r.reconfigure("g", [res("a")], 1), "stop-failed");
    assert.deepEqual(
      events.map((e) => e.kind),
      ["started", "stop-failed"],
    );
    writeFileSync(join(dir, "stuck.sh"), `#!/bin/sh\necho "$1 stuck" >> ${log}\nexit 0\n`, { mode: 0o755 });
    await r.run({ kind: "stop", group: "g" });
    assert.deepEqual(calls().slice(-2), ["stop stuck", "stop a"], "cleanup stops the old list");
    writeFileSync(log, "");
    await r.run({ kind: "start", group: "g" });
    assert.deepEqual(calls(), ["start a"], "then the new list applies");
  });

  it("forgets a removed group once it has stopped here", async () => {
    writeFileSync(log, "");
    const { r } = runner([res("a")]);
    await r.run({ kind: "start", group: "g" });
    await r.retire("g");
    assert.ok(r.isUp("g"));
    await r.run({ kind: "stop", group: "g" });
    assert.equal(r.isUp("g"), false);
    writeFileSync(log, "");
    await r.run({ kind: "start", group: "g" });
    assert.deepEqual(calls(), [], "no resources are left for a forgotten group");
  });
});
