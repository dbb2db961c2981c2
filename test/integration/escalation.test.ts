// A stop that fails or hangs escalates in the group runner, with real processes: SIGKILL of the
// resource's tagged processes; when that cannot make sure it is gone, the last resort; without one the
// stop fails and the group is unclean.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { createAgent } from "../../src/adapters/resources/agent.js";
import { killTagged } from "../../src/adapters/resources/kill-tagged.js";
import type { ClusterEvent } from "../../src/core/cluster/node.js";
import { groupSchema } from "../../src/core/config/schema.js";
import { GroupRunner } from "../../src/daemon/group-runner.js";
import type { LastResort } from "../../src/daemon/stop-escalation.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-escalation-"));
const owner = `test-escalation/${process.pid}`;
const started: string[] = [];
after(async () => {
  for (const name of started) {
    await killTagged(`${owner}/${name}-0`);
    const pid = daemonPid(name);
    if (pid !== undefined)
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
  }
  rmSync(dir, { recursive: true, force: true });
});

const pidFile = (name: string) => join(dir, `${name}.pid`);
function daemonPid(name: string): number | undefined {
  return existsSync(pidFile(name)) ? Number(readFileSync(pidFile(name), "utf8")) : undefined;
}

/** An LSB script whose start leaves a daemon (a sleep in its own session; `untagged`: without the
 * resource's tag, so no kill by tag can find it), whose status checks that daemon, and whose stop runs `stop`. */
function script(name: string, stop: string, opts: { untagged?: boolean } = {}): string {
  const path = join(dir, name);
  // The daemon writes its own pid once it runs in its new session (setsid may fork).
  const detach = `setsid sh -c 'echo $$ > "$pidfile"; exec sleep 300'`;
  const launch = opts.untagged ? `env -u VIGIL_RESOURCE ${detach}` : detach;
  writeFileSync(
    path,
    `#!/bin/sh
pidfile=${pidFile(name)}
case "$1" in
  start) rm -f "$pidfile"; export pidfile; ${launch} > /dev/null 2>&1 &
         while [ ! -s "$pidfile" ]; do sleep 0.01; done ;;
  stop) ${stop} ;;
  status) pid=$(cat "$pidfile" 2>/dev/null) || exit 3
          grep -qv ') Z' /proc/$pid/stat 2>/dev/null && exit 0 || exit 3 ;;
esac
`,
    { mode: 0o755 },
  );
  return path;
}

/** A group "NAME" of one exec resource, started by a runner; resolves to what the test needs. */
async function startedGroup(
  name: string,
  path: string,
  timeouts: Record<string, string> = {},
  lastResort?: LastResort,
) {
  started.push(name);
  const g = groupSchema.parse({ name, resources: [{ type: "exec", path, timeouts }] });
  const agents = g.resources.map((r, i) => ({ agent: createAgent(r, `${name}-${i}`, owner), monitorEveryMs: 0 }));
  const events: ClusterEvent[] = [];
  const lines: string[] = [];
  const log = pino(
    { level: "info" },
    { write: (s: string) => void lines.push((JSON.parse(s) as { msg: string }).msg) },
  );
  const runner = new GroupRunner(new Map([[name, agents]]), (e) => events.push(e), log, undefined, lastResort);
  await runner.run({ kind: "start", group: name });
  assert.deepEqual(
    events.map((e) => e.kind),
    ["started"],
  );
  const pid = daemonPid(name);
  assert.ok(pid !== undefined && existsSync(`/proc/${pid}`), "the resource's daemon runs");
  return { runner, events, lines, pid };
}

const kinds = (events: ClusterEvent[]) => events.map((e) => e.kind);

describe("stop escalation in the group runner", () => {
  it("a stop that exits 1 is escalated: its daemon is killed by tag and the group is stopped", async () => {
    const { runner, events, lines } = await startedGroup("fails", script("fails", "exit 1"));
    await runner.run({ kind: "stop", group: "fails" });
    assert.deepEqual(kinds(events), ["started", "stopped"]);
    assert.ok(
      lines.some((l) =>
        /^fails: exec .* stop failed \(exit 1 in \d+ms\); escalated: SIGKILL of 1 processes, none left$/.test(l),
      ),
      lines.join("\n"),
    );
  });

  it("a stop that hangs past timeouts.stop is killed and escalated within the stop timeout + 1s", async () => {
    const { runner, events, lines } = await startedGroup("hangs", script("hangs", "sleep 300"), { stop: "500ms" });
    const t0 = performance.now();
    await runner.run({ kind: "stop", group: "hangs" });
    const took = performance.now() - t0;
    assert.deepEqual(kinds(events), ["started", "stopped"]);
    assert.ok(took < 1500, `stopped after ${Math.round(took)}ms`);
    assert.ok(
      lines.some((l) =>
        /stop failed \(timed out after \d+ms and was killed\); escalated: SIGKILL of 1 processes, none left$/.test(l),
      ),
      lines.join("\n"),
    );
  });

  it("when the kill cannot end it, the last resort runs and the group counts as stopped", async () => {
    const marker = join(dir, "last-resort-ran");
    const lr = join(dir, "last-resort");
    writeFileSync(lr, `#!/bin/sh\necho "$VIGIL_GROUP $*" > ${marker}\nkill -9 $(cat ${pidFile("untagged")})\n`, {
      mode: 0o755,
    });
    const { runner, events, lines } = await startedGroup(
      "untagged",
      script("untagged", "exit 1", { untagged: true }),
      {},
      { path: lr, args: ["reboot"], timeout: 5000 },
    );
    await runner.run({ kind: "stop", group: "untagged" });
    assert.deepEqual(kinds(events), ["started", "stopped"]);
    assert.equal(readFileSync(marker, "utf8"), "untagged reboot\n");
    assert.ok(
      lines.some((l) =>
        /escalated: SIGKILL of 0 processes, none left, but it is not known to be stopped: .*status: exit 0.*; the last resort must end it$/.test(
          l,
        ),
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /^untagged: last resort .* exit 0 in \d+ms; the group's resources count as gone$/.test(l)),
      lines.join("\n"),
    );
  });

  it("when the kill cannot end it and there is no last resort, the stop fails", async () => {
    const { runner, events, lines, pid } = await startedGroup("stuck", script("stuck", "exit 1", { untagged: true }));
    await runner.run({ kind: "stop", group: "stuck" });
    assert.deepEqual(kinds(events), ["started", "stop-failed"]);
    assert.ok(existsSync(`/proc/${pid}`), "the untagged daemon still runs, and the runner says so");
    assert.ok(
      lines.some((l) => /no cluster.last_resort is configured, so it may still be active here$/.test(l)),
      lines.join("\n"),
    );
  });
});
