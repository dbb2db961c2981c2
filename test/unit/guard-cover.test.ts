// A cover is counted from when the daemon sent it, not from when the guard read it: a guard that reads
// a line late (just spawned, descheduled) must not cover a group past the lease.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Guard } from "../../src/daemon/guard.js";
import { monotonicMs, type StoppedLine } from "../../src/daemon/guard-protocol.js";

describe("guard cover", () => {
  it("a cover of 300ms sent 250ms ago runs out 50ms after it is read", async () => {
    let stoppedAt = 0;
    const stopped = new Promise<StoppedLine>((resolve) => {
      const guard = new Guard(
        (l) => {
          if (l.t !== "stopped") return;
          stoppedAt = monotonicMs();
          resolve(l);
        },
        () => undefined,
      );
      guard.configure({ owner: "t/n", silenceMs: 0, lastResort: null, groups: { g: [] } });
      guard.cover({ g: 300 }, monotonicMs() - 250);
    });
    const readAt = monotonicMs();
    assert.deepEqual(await stopped, { t: "stopped", group: "g", ok: true });
    assert.ok(
      stoppedAt - readAt >= 40 && stoppedAt - readAt < 200,
      `taken over ${Math.round(stoppedAt - readAt)}ms after the line was read`,
    );
  });
});
