// The guard process, spawned through GuardClient, takes a group over when the daemon is gone: once the
// group's last cover runs out (not before) it stops the group's resource, and reports it stopped. A
// guard killed with SIGKILL is respawned with its config and the remaining cover, and still takes over.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createAgent } from "../../src/adapters/resources/agent.js";
import { killTagged } from "../../src/adapters/resources/kill-tagged.js";
import { groupSchema, type ResourceConfig } from "../../src/core/config/schema.js";
import { GuardClient } from "../../src/daemon/guard-client.js";
import type { StoppedLine } from "../../src/daemon/guard-protocol.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-guard-"));
const owner = `test-guard/${process.pid}`;
const clients: GuardClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const g of ["g", "k", "s"]) await killTagged(`${owner}/${g}-0`);
  rmSync(dir, { recursive: true, force: true });
});

/** A group of one exec resource whose start runs a background process and writes a marker, and whose
 * stop kills that process and removes the marker. Started here, as the daemon would have. */
async function runningGroup(name: string): Promise<{ resources: ResourceConfig[]; marker: string }> {
  const marker = join(dir, `${name}.marker`);
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh
case "$1" in
  start) setsid sleep 300 > /dev/null 2>&1 &
         echo $! > ${marker} ;;
  stop) [ -f ${marker} ] && kill $(cat ${marker}); rm -f ${marker} ;;
  status) [ -f ${marker} ] && exit 0 || exit 3 ;;
esac
`,
    { mode: 0o755 },
  );
  const { resources } = groupSchema.parse({ name, resources: [{ type: "exec", path, timeouts: { stop: "2s" } }] });
  const r = await createAgent(resources[0] as ResourceConfig, `${name}-0`, owner).start();
  assert.equal(r.ok, true, r.detail);
  assert.ok(existsSync(marker));
  return { resources, marker };
}

/** A guard client whose log lines are kept, and a promise of the first group it reports stopped. */
function client() {
  const lines: string[] = [];
  const waiters: ((msg: string) => void)[] = [];
  const c = new GuardClient(
    (msg) => {
      lines.push(msg);
      for (const w of waiters) w(msg);
    },
    undefined,
    "relay",
  );
  clients.push(c);
  const stopped = new Promise<StoppedLine & { at: number }>((resolve) =>
    c.onStopped((l) => resolve({ ...l, at: performance.now() })),
  );
  const logged = (re: RegExp) =>
    new Promise<void>((resolve) =>
      lines.some((l) => re.test(l)) ? resolve() : waiters.push((m) => re.test(m) && resolve()),
    );
  return { c, lines, stopped, logged };
}

/** Resolves when `path` is gone, polling every 10ms. */
async function removed(path: string): Promise<number> {
  while (existsSync(path)) await new Promise((r) => setTimeout(r, 10));
  return performance.now();
}

describe("guard takeover", () => {
  it("stops a covered group once its cover runs out after the daemon is gone, not before", async () => {
    const { resources, marker } = await runningGroup("g");
    const pid = Number(readFileSync(marker, "utf8"));
    const { c, lines, stopped } = client();
    await c.ready();
    c.configure({ owner, silenceMs: 100, lastResort: null, groups: { g: resources } });
    c.cover({ g: 300 });
    const closedAt = performance.now();
    const exited = c.close();
    assert.ok(existsSync(marker), "still running right after the daemon went");
    const goneAt = await removed(marker);
    const line = await stopped;
    assert.deepEqual([line.group, line.ok], ["g", true]);
    assert.ok(
      goneAt - closedAt >= 290,
      `stopped ${Math.round(goneAt - closedAt)}ms after close, before the cover ran out`,
    );
    assert.ok(goneAt - closedAt < 2000, `stopped ${Math.round(goneAt - closedAt)}ms after close`);
    assert.ok(
      !existsSync(`/proc/${pid}`) || /\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")),
      "the resource's process is gone",
    );
    await exited;
    assert.ok(
      lines.some((l) => /g: the daemon is gone and the lease ran out; stopping the group/.test(l)),
      lines.join("\n"),
    );
  });

  it("a guard killed with SIGKILL is respawned and still takes over", async () => {
    const { resources, marker } = await runningGroup("k");
    const { c, stopped, logged } = client();
    await c.ready();
    c.configure({ owner, silenceMs: 60_000, lastResort: null, groups: { k: resources } });
    const coveredAt = performance.now();
    c.cover({ k: 4000 });
    const first = c.pid;
    assert.ok(first !== undefined);
    process.kill(first, "SIGKILL");
    await logged(/guard process \(pid \d+\) ended \(SIGKILL\) while the daemon runs; starting a new one/);
    await logged(/a new guard process \(pid \d+\) has the config and the last cover/);
    assert.notEqual(c.pid, first);
    await c.ready();
    void c.close();
    assert.ok(existsSync(marker), "still running right after the daemon went");
    const line = await stopped;
    assert.deepEqual([line.group, line.ok], ["k", true]);
    assert.equal(existsSync(marker), false);
    const at = line.at - coveredAt;
    assert.ok(at >= 3990 && at < 5500, `stopped ${Math.round(at)}ms after the cover was sent, which covered 4000ms`);
  });

  it("takes a group over from a daemon that is alive but silent, once the cover ran out", async () => {
    const { resources, marker } = await runningGroup("s");
    const { c, stopped, lines } = client();
    await c.ready();
    c.configure({ owner, silenceMs: 100, lastResort: null, groups: { s: resources } });
    const coveredAt = performance.now();
    c.cover({ s: 250 });
    const line = await stopped;
    assert.deepEqual([line.group, line.ok], ["s", true]);
    assert.equal(existsSync(marker), false);
    assert.ok(line.at - coveredAt >= 240, `stopped ${Math.round(line.at - coveredAt)}ms after the last cover`);
    assert.ok(
      lines.some((l) => /s: the daemon is silent for \d+ms and the lease ran out; stopping the group/.test(l)),
      lines.join("\n"),
    );
  });
});
