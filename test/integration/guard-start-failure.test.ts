// A guard that cannot start (here: its script is missing, so node exits at once) rejects
// GuardClient.started, which the cluster worker turns into a fatal start-up error; a working guard
// resolves it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GuardClient } from "../../src/daemon/guard-client.js";

describe("GuardClient.started", () => {
  it("rejects when the first guard ends before it is ready", async () => {
    const c = new GuardClient(() => undefined, ["/nonexistent/vip-guard.js"]);
    await assert.rejects(c.started, /the guard process ended \(exit \d+\) before it was ready/);
    await c.close();
  });

  it("resolves once a real guard reads its stdin", async () => {
    const c = new GuardClient(() => undefined);
    await c.started;
    assert.ok(c.pid !== undefined);
    await c.close();
  });
});
