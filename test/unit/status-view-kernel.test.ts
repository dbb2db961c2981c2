// `vigil status` for a kernel-forwarded virtual server: the mode, and flows and bytes per real server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderVirtualServers } from "../../src/cli/status-view.js";

describe("vigil status: kernel forwarding", () => {
  it("shows the mode and each real server's flows and bytes", () => {
    const text = renderVirtualServers([
      {
        name: "web",
        listen: "10.0.0.100:80",
        scheduler: "sh",
        forward: "nat",
        protocol: "tcp",
        serving: true,
        active: 3,
        total: 40,
        refused: 0,
        bytesIn: 1000,
        bytesOut: 3 * 1024 * 1024,
        realServers: [
          {
            address: "10.0.1.21:80",
            weight: 1,
            effectiveWeight: 1,
            up: true,
            detail: "connected in 1ms",
            active: 3,
            total: 40,
            bytesIn: 1000,
            bytesOut: 3 * 1024 * 1024,
          },
        ],
      },
    ]).join("\n");
    assert.match(text, /forward nat tcp \(nftables/);
    assert.match(text, /-> 10\.0\.1\.21:80 +up +weight 1 +active 3 +flows 40 +bytes 3\.0MiB/);
  });
});
