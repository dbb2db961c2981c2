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
    // It found nothing to remove in the end, so the daemon is not told of a removal; closed, the guard
    // stops the group.
    assert.deepEqual(out, [{ t: "stopped", group: "v", ok: true }]);
  });
});

describe("guard VIP removal while the daemon is heard", () => {
  it("tells the daemon it removed a VIP that was up, so that its group does not run on without it", async () => {
    const d = mkdtempSync(join(tmpdir(), "vigil-guard-up-"));
    try {
      // A stand-in `ip`: the VIP is up until `ip addr del`.
      writeFileSync(
        join(d, "ip"),
        `#!/bin/sh\ncase "$*" in\n  *"addr del"*) touch ${d}/deleted ;;\n  *"addr show"*) [ -f ${d}/deleted ] || echo "2: eth0    inet 10.99.0.2/24 scope global eth0" ;;\nesac\nexit 0\n`,
        { mode: 0o755 },
      );
      process.env.PATH = `${d}:${savedPath}`;
      const out: (StoppedLine | VipsRemovedLine)[] = [];
      const lines: string[] = [];
      const guard = new Guard(
        (l) => out.push(l),
        (m) => lines.push(m),
      );
      guard.configure({
        owner: "t/n",
        silenceMs: 60_000,
        lastResort: null,
        groups: { w: [{ type: "vip", address: "10.99.0.2/24", interface: "eth0", timeouts: {} }] },
      });
      guard.cover({ w: 0 });
      await until(() => out.length > 0);
      assert.deepEqual(out, [{ t: "vips-removed", group: "w" }], lines.join("\n"));
      assert.ok(existsSync(join(d, "deleted")), "the VIP was deleted");
      guard.cover({});
      await guard.close();
    } finally {
      process.env.PATH = savedPath;
      rmSync(d, { recursive: true, force: true });
    }
  });
});
