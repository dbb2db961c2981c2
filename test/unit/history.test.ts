// The in-memory history behind GET /history: bands per node from state changes, the gaps without a
// server measured between one node's last serving moment and the next one's first, the window, and
// the text timeline of `vigil status --watch` and `vigil demo`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HistoryRecorder } from "../../src/core/history/recorder.js";
import { servingGaps } from "../../src/core/history/gaps.js";
import { textTimeline } from "../../src/cli/text-timeline.js";
import { PeerWatch } from "../../src/daemon/peer-watch.js";

const T = 1_000_000;
const recorder = () => new HistoryRecorder({ node: "n2", windowMs: 60_000, intervalMs: 25, leaseMs: 150 });

describe("history", () => {
  it("measures the gap from the killed owner's last heartbeat to the new owner's running", () => {
    const h = recorder();
    h.groupState(T, "n2", "web", "stopped");
    h.groupState(T + 10, "n1", "web", "active");
    h.groupState(T + 5_000, "n1", "web", "offline"); // last heard at T+5000
    h.groupState(T + 5_160, "n2", "web", "starting");
    h.groupState(T + 5_200, "n2", "web", "running");
    const v = h.view(T + 6_000);
    assert.deepEqual(v.groups.web?.gaps, [{ from: T + 5_000, to: T + 5_200, ms: 200, before: "n1", after: "n2" }]);
    assert.deepEqual(v.groups.web?.nodes.n1, [
      { state: "active", from: T + 10, to: T + 5_000 },
      { state: "offline", from: T + 5_000, to: null },
    ]);
    assert.equal(v.groups.web?.nodes.n2?.at(-1)?.to, null);
  });

  it("names an ongoing gap, and none before anyone served or while serving overlaps", () => {
    assert.deepEqual(servingGaps({ n1: [{ state: "stopped", from: T, to: null }] }, T + 100), []);
    assert.deepEqual(
      servingGaps(
        {
          n1: [{ state: "running", from: T, to: T + 100 }],
          n2: [{ state: "active", from: T + 50, to: T + 300 }],
        },
        T + 500,
      ),
      [{ from: T + 300, to: null, ms: 200, before: "n2" }],
    );
  });

  it("keeps only the window, and the state at its start", () => {
    const h = recorder();
    h.groupState(T, "n2", "web", "running");
    h.decision(T, "n2", "old");
    h.heartbeat(T, "n1/0", { p50: 25, p99: 30, max: 40 });
    h.decision(T + 70_000, "n2", "new");
    const v = h.view(T + 70_000);
    assert.deepEqual(
      v.decisions.map((d) => d.text),
      ["new"],
    );
    assert.deepEqual(v.heartbeats["n1/0"], []);
    assert.deepEqual(v.groups.web?.nodes.n2, [{ state: "running", from: T + 10_000, to: null }]);
  });

  it("draws the timeline as text, one character per slot, with the gap named", () => {
    const h = recorder();
    h.groupState(T, "n1", "web", "active");
    h.groupState(T + 30_000, "n1", "web", "offline");
    h.groupState(T, "n2", "web", "stopped");
    h.groupState(T + 33_000, "n2", "web", "running");
    const lines = textTimeline(h.view(T + 60_000), 60_000, 20);
    assert.equal(lines[0], "  web        n1    │██████████          │");
    assert.equal(lines[1], "             n2    │···········█████████│");
    assert.match(lines[2] ?? "", /no node served web for 3\.00s at [\d:.]+ \(n1 → n2\)/);
  });

  it("reports a peer's change from the heartbeat that said it, and its end at its last heartbeat", () => {
    const w = new PeerWatch();
    assert.deepEqual(w.heard("n1", ["web"], 100), { name: "n1", at: 100, alive: true, running: ["web"] });
    assert.equal(w.heard("n1", ["web"], 125), undefined);
    assert.deepEqual(w.liveness([{ name: "n1", alive: false }]), [{ name: "n1", at: 125, alive: false, running: [] }]);
    assert.deepEqual(w.liveness([{ name: "n1", alive: false }]), []);
    assert.equal(w.heard("n1", ["web"], 900)?.alive, true, "heard again");
  });
});
