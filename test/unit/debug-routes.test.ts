// The API's fault-injection routes: absent (404) unless the daemon offers them, token required, 202
// before the fault is injected, and a bad duration refused.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { after, describe, it } from "node:test";
import { startApi, type ApiBackend, type DebugFault } from "../../src/api/server.js";
import { parseIp } from "../../src/core/net/address.js";

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function api(injectFault?: (f: DebugFault) => void): Promise<string> {
  const backend: ApiBackend = {
    status: async () => ({ groups: {}, holds: [] }),
    events: () => [],
    metrics: async () => "",
    command: async () => ({ ok: true, message: "" }),
    token: "t0k",
    ...(injectFault ? { injectFault } : {}),
  };
  const s = await startApi({ ip: parseIp("127.0.0.1") as NonNullable<ReturnType<typeof parseIp>>, port: 0 }, backend);
  servers.push(s);
  const addr = s.address();
  return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
}

const post = (base: string, path: string, token?: string) =>
  fetch(`${base}${path}`, { method: "POST", headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("debug routes", () => {
  it("are 404 unless fault injection is on", async () => {
    assert.equal((await post(await api(), "/debug/crash-worker", "t0k")).status, 404);
  });

  it("need the token, check the duration, answer 202 and then inject", async () => {
    const got: DebugFault[] = [];
    let injected: () => void = () => undefined;
    const done = new Promise<void>((r) => (injected = r));
    const base = await api((f) => {
      got.push(f);
      injected();
    });
    assert.equal((await post(base, "/debug/block-main?ms=5")).status, 401);
    assert.equal((await post(base, "/debug/block-main?ms=-1", "t0k")).status, 400);
    const r = await post(base, "/debug/block-main?ms=5", "t0k");
    assert.equal(r.status, 202);
    await done;
    assert.deepEqual(got, [{ kind: "block-main", ms: 5 }]);
  });
});
