// The daemon's fail-stop parts without threads: the watchdog bound and its self-stall rule, the guard
// pidfile (a live guard, a dead one, none), waiting for an earlier incarnation's guard, and FailStop.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pino } from "pino";
import { settleAfterEarlierGuard } from "../../src/daemon/earlier-guard.js";
import { FailStop, FAIL_STOP_EXIT_CODE } from "../../src/daemon/fail-stop.js";
import { guardAlive, guardPidfile, readGuardPid, writeGuardPid } from "../../src/daemon/guard-pidfile.js";
import { Watchdog, watchdogBound, watchdogMs } from "../../src/daemon/watchdog.js";

const log = pino({ level: "silent" });
const dir = mkdtempSync(join(tmpdir(), "vigil-failstop-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("watchdog", () => {
  it("is bounded by max(1000, 4 × lease)", () => {
    assert.equal(watchdogMs(150), 1000);
    assert.equal(watchdogMs(400), 1600);
  });

  it("waits at least the session TTL on etcd, where no other node takes over before it", () => {
    assert.equal(watchdogBound({ spec: { lease: 150 } }), 1000);
    assert.equal(watchdogBound({ spec: { lease: 150 }, etcd: { ttl: 3000 } }), 3000);
    assert.equal(watchdogBound({ spec: { lease: 1000 }, etcd: { ttl: 2000 } }), 4000);
  });

  it("fires once after the bound without news, and not when this side itself stalled", () => {
    let now = 0;
    const fired: number[] = [];
    const w = new Watchdog(
      1000,
      25,
      (ms) => fired.push(ms),
      () => now,
    );
    for (now = 25; now <= 1000; now += 25) w.check();
    assert.deepEqual(fired, []);
    now = 1025;
    w.check();
    assert.deepEqual(fired, [1025]);
    const stalled: number[] = [];
    now = 0;
    const v = new Watchdog(
      1000,
      25,
      (ms) => stalled.push(ms),
      () => now,
    );
    now = 3000;
    v.check();
    now = 3025;
    v.check();
    assert.deepEqual(stalled, [], "a check 3s late gives the other side a fresh bound");
    v.heard();
    now = 4100;
    v.check();
    assert.deepEqual(stalled, [], "a check more than half the bound late again gives it a fresh bound");
  });
});

describe("guard pidfile", () => {
  it("names a live vip-guard process, a dead one, a foreign one and none", async () => {
    const path = guardPidfile(join(dir, "run"), "c", "n1");
    assert.deepEqual(guardAlive(path), { alive: false });
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "vip-guard"], { stdio: "ignore" });
    try {
      writeGuardPid(path, child.pid as number);
      assert.deepEqual(readGuardPid(path), { kind: "pid", pid: child.pid });
      assert.equal(guardAlive(path).alive, true);
      writeGuardPid(path, process.pid);
      assert.equal(guardAlive(path).alive, false, "a live process that is not a guard");
    } finally {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await gone;
    }
    writeGuardPid(path, child.pid as number);
    assert.equal(guardAlive(path).alive, false);
    writeFileSync(path, "garbage");
    assert.equal(guardAlive(path).alive, true, "an unparsable pidfile fails closed");
  });

  it("settles at once without an earlier guard, after it exits, and never when unreadable", async () => {
    let settled = 0;
    settleAfterEarlierGuard({ kind: "none" }, () => settled++, log);
    assert.equal(settled, 1);
    settleAfterEarlierGuard({ kind: "unreadable", reason: "x" }, () => settled++, log);
    let alive = true;
    const done = new Promise<void>((resolve) =>
      settleAfterEarlierGuard({ kind: "pid", pid: 4242 }, resolve, log, () => ({ alive })),
    );
    alive = false;
    await done;
    assert.equal(settled, 1);
  });
});

describe("FailStop", () => {
  it("runs every step once even if one throws, then exits 70", async () => {
    const ran: string[] = [];
    const exited = new Promise<number>((resolve) => {
      const f = new FailStop(
        {
          stopGroups: async () => {
            ran.push("groups");
            throw new Error("boom");
          },
          close: async () => void ran.push("close"),
        },
        60_000,
        log,
        resolve,
      );
      f.trigger("test");
      f.trigger("again");
      assert.equal(f.active, true);
    });
    assert.equal(await exited, FAIL_STOP_EXIT_CODE);
    assert.deepEqual(ran, ["groups", "close"]);
  });

  it("exits at the hard deadline when a step hangs", async () => {
    const code = await new Promise<number>((resolve) => {
      new FailStop(
        { stopGroups: () => new Promise(() => undefined), close: async () => undefined },
        50,
        log,
        resolve,
      ).trigger("hang");
    });
    assert.equal(code, FAIL_STOP_EXIT_CODE);
  });
});
