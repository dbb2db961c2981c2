// Virtual servers as /status will report them (VirtualServerStatus), for rendering tests until the
// balancer produces them: healthy, down, draining and sorry cases, and a name made of markup.
import type { VirtualServerStatus } from "../../src/core/balancer/status.js";

/** Two virtual servers: `web` with three real servers, and one whose name is HTML. */
export const VS_FIXTURE: VirtualServerStatus[] = [
  {
    name: "web",
    listen: "10.0.0.10:80",
    scheduler: "wlc",
    group: "db",
    serving: true,
    active: 3,
    total: 120,
    refused: 2,
    bytesIn: 1_500_000,
    bytesOut: 20_000_000,
    realServers: [
      {
        address: "10.0.1.1:8080",
        weight: 3,
        effectiveWeight: 3,
        up: true,
        detail: "HTTP 200 in 2ms",
        latencyMs: 2,
        active: 2,
        total: 100,
      },
      {
        address: "10.0.1.2:8080",
        weight: 1,
        effectiveWeight: 0,
        up: false,
        detail: "HTTP 503 (expected 200)",
        latencyMs: 5,
        active: 0,
        total: 20,
      },
      {
        address: "10.0.1.3:8080",
        weight: 2,
        effectiveWeight: 0,
        up: true,
        detail: "removed from the config",
        active: 1,
        total: 0,
        draining: true,
      },
    ],
    sorry: { address: "10.0.9.9:80", inUse: false, active: 0 },
  },
  {
    name: "<img src=x onerror=alert(1)>",
    listen: "10.0.0.11:443",
    scheduler: "rr",
    serving: false,
    active: 4,
    total: 4,
    refused: 0,
    bytesIn: 10,
    bytesOut: 2048,
    realServers: [
      {
        address: "10.0.2.1:443",
        weight: 1,
        effectiveWeight: 0,
        up: false,
        detail: "<b>connection refused</b>",
        active: 0,
        total: 0,
      },
    ],
    sorry: { address: "10.0.9.9:443", inUse: true, active: 4 },
  },
];
