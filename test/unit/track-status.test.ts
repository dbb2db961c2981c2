// `vigil status` with a clone and a tracked group: the clone is listed with every node it runs on, and
// each node that fails a group's track checks is named with the reason.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderStatus } from "../../src/cli/status-view.js";
import { EMPTY_ADMIN } from "../../src/core/cluster/admin.js";
import type { WorkerStatus } from "../../src/daemon/worker-protocol.js";

const peer = (name: string, running: string[], track: Record<string, string> = {}) => ({
  name,
  alive: true,
  links: [true],
  running,
  standby: false,
  failures: {},
  track,
});

describe("vigil status with clones and track checks", () => {
  it("lists the clone on every node and says why a node may not run the tracked group", () => {
    const s: WorkerStatus = {
      name: "h1",
      inc: 1,
      term: 2,
      isLeader: true,
      leader: "h1",
      holds: ["*leader"],
      groups: { proxies: "stopped", front: "stopped" },
      assignments: { front: "h2" },
      standby: false,
      admin: EMPTY_ADMIN,
      failures: { proxies: 1 },
      peers: [
        peer("h2", ["front", "proxies"]),
        peer("h3", ["proxies"], { front: "fails track ping 10.77.0.1 (3 checks in a row)" }),
      ],
      drops: {},
      track: { front: "fails track group proxies (the clone is not running there)" },
      clones: ["proxies"],
      transportDrops: {},
      sendErrors: {},
      heartbeatGaps: {},
    };
    const text = renderStatus(s).join("\n");
    assert.match(text, /^ {2}proxies +\(clone\) running on h2, h3 +failures h1:1$/m);
    assert.match(text, /^ {2}front +running on h2$/m);
    assert.match(text, /^ {6}h1 fails track group proxies \(the clone is not running there\)$/m);
    assert.match(text, /^ {6}h3 fails track ping 10\.77\.0\.1 \(3 checks in a row\)$/m);
  });
});
