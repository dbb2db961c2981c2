// A VIP whose presence cannot be checked is never reported gone: with a failing or missing `ip`
// (stand-ins first on PATH), removal fails and says why, the monitor reports failed and start fails.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import { removeAddress, VipAgent } from "../../src/adapters/resources/vip.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-vip-"));
const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Puts a directory first on PATH whose `ip` runs `body` (none at all when body is undefined). */
function standInIp(name: string, body?: string): void {
  const bin = join(dir, name);
  mkdirSync(bin);
  if (body !== undefined) writeFileSync(join(bin, "ip"), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  process.env.PATH = body === undefined ? bin : `${bin}:${savedPath}`;
}

describe("VIP operations fail closed", () => {
  it("an `ip` that fails: removal is not ok and does not say 'not present'", async () => {
    standInIp("failing", `echo "Cannot open netlink socket: Too many open files" >&2; exit 2`);
    const r = await removeAddress("10.99.0.1/24", "eth0");
    assert.equal(r.ok, false);
    assert.doesNotMatch(r.detail, /not present/);
    assert.match(r.detail, /could not check whether it is present.*Too many open files/);
  });

  it("no `ip` at all: removal, monitor and start all fail", async () => {
    standInIp("empty");
    const r = await removeAddress("10.99.0.1/24", "eth0");
    assert.equal(r.ok, false);
    assert.match(r.detail, /could not start: ENOENT/);
    const vip = new VipAgent("10.99.0.1/24", "eth0");
    const m = await vip.monitor();
    assert.equal(m.state, "failed", m.detail);
    const s = await vip.start();
    assert.equal(s.ok, false, s.detail);
    assert.equal((await vip.kill()).ok, false);
  });

  it("an `ip addr del` that fails while the address stays: removal is not ok", async () => {
    standInIp(
      "del-fails",
      `case "$*" in\n  *show*) echo "2: eth0    inet 10.99.0.1/24 scope global eth0" ;;\n  *) echo "RTNETLINK answers: Operation not permitted" >&2; exit 2 ;;\nesac`,
    );
    const r = await removeAddress("10.99.0.1/24", "eth0");
    assert.equal(r.ok, false);
    assert.match(r.detail, /ip addr del exit 2.*still present/);
  });

  it("an interface that does not exist holds no address: removal is ok", async () => {
    standInIp("no-device", `echo 'Device "eth9" does not exist.' >&2; exit 1`);
    const r = await removeAddress("10.99.0.1/24", "eth9");
    assert.equal(r.ok, true, r.detail);
  });
});
