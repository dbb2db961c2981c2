// The guard keeps removing a lapsed group's VIP until `ip` confirms it is gone, logging each distinct
// failure once, however often it retries (a stand-in `ip` first on PATH fails until told otherwise).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Guard } from "../../src/daemon/guard.js";
import type { StoppedLine, VipsRemovedLine } from "../../src/daemon/guard-protocol.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-guard-vip-"));
const savedPath = process.env.PATH;
after(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

const calls = join(dir, "calls");
const fixed = join(dir, "fixed");
writeFileSync(
  join(dir, "ip"),
  `#!/bin/sh\necho x >> ${calls}\n[ -f ${fixed} ] && exit 0\necho "Cannot open netlink socket: Too many open files" >&2\nexit 2\n`,
  { mode: 0o755 },
);

const callCount = () => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").length - 1 : 0);
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe("guard VIP removal", () => {
  it("retries until ip works, with one log line per distinct failure", async () => {
    process.env.PATH = `${dir}:${savedPath}`;
    const lines: string[] = [];
    const out: (StoppedLine | VipsRemovedLine)[] = [];
    const guard = new Guard(
      (l) => out.push(l),
      (m) => lines.push(m),
    );
    guard.configure({
      owner: "t/n",
      silenceMs: 60_000,
      lastResort: null,
      groups: { v: [{ type: "vip", address: "10.99.0.1/24", interface: "eth0", timeouts: {} }] },
    });
    guard.cover({ v: 0 });
    await until(() => callCount() >= 3);
    writeFileSync(fixed, "");
    await until(() =>
      lines.some((l) =>
        /v: the lease ran out without renewal from the daemon; vip 10.99.0.1\/24 on eth0: not present/.test(l),
      ),
    );
    const failures = lines.filter((l) => /could not remove a VIP, retrying every 100ms: .*Too many open files/.test(l));
    assert.equal(failures.length, 1, lines.join("\n"));
    await guard.close();
    // The daemon was still heard: it is told its VIPs are gone; closed, the guard stops the group.
    assert.deepEqual(out, [
      { t: "vips-removed", group: "v" },
      { t: "stopped", group: "v", ok: true },
    ]);
  });
});
