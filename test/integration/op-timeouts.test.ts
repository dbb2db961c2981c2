// Per-operation limits from the config: a start may take its `timeouts.start` however short the
// monitor's timeout is, and a start past `timeouts.start` fails and is killed.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createAgent } from "../../src/adapters/resources/agent.js";
import { groupSchema, type ResourceConfig } from "../../src/core/config/schema.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-optimeouts-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A script whose start writes its pid, then takes `seconds`. */
function slowStart(name: string, seconds: number): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh\ncase "$1" in\n  start) echo $$ > ${join(dir, `${name}.pid`)}; sleep ${seconds} ;;\n  *) exit 0 ;;\nesac\n`,
    { mode: 0o755 },
  );
  return path;
}

/** One resource as the config loader would type it. */
function resource(raw: Record<string, unknown>): ResourceConfig {
  const r = groupSchema.parse({ name: "g", resources: [raw] }).resources[0];
  assert.ok(r);
  return r;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("per-operation timeouts", () => {
  it("a start of 2s succeeds although the monitor's timeout is 1s", async () => {
    const r = resource({ type: "exec", path: slowStart("slow-ok", 2), monitor: { interval: "5s", timeout: "1s" } });
    const res = await createAgent(r, "g-0", "test/node").start();
    assert.equal(res.ok, true, res.detail);
  });

  it("a start past timeouts.start fails and its process is killed", async () => {
    const r = resource({
      type: "exec",
      path: slowStart("slow-bad", 30),
      timeouts: { start: "500ms" },
      monitor: { interval: "5s", timeout: "20s" },
    });
    const started = performance.now();
    const res = await createAgent(r, "g-0", "test/node").start();
    assert.equal(res.ok, false);
    assert.match(res.detail, /start: timed out after \d+ms and was killed/);
    assert.ok(performance.now() - started < 2000, "ended at the start limit, not the monitor's");
    const pid = Number(readFileSync(join(dir, "slow-bad.pid"), "utf8"));
    assert.equal(alive(pid), false, `start script ${pid} still runs`);
  });
});
