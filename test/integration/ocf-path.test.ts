// The OCF adapter runs only agents whose real path stays under the OCF root (or their provider's
// directory): an agent symlinked out of it fails its operations with why, and is never run.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { OcfAgent } from "../../src/adapters/resources/ocf.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-ocfpath-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const limits = { start: 5000, stop: 5000, monitor: 5000 };

describe("OcfAgent and the agents' directory", () => {
  const root = join(dir, "ocf");
  mkdirSync(join(root, "resource.d", "test"), { recursive: true });
  const ran = join(dir, "ran");
  const outside = join(dir, "outside-agent");
  writeFileSync(outside, `#!/bin/sh\ntouch ${ran}\nexit 0\n`, { mode: 0o755 });
  symlinkSync(outside, join(root, "resource.d", "test", "Escape"));
  writeFileSync(join(root, "resource.d", "test", "Fine"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });

  it("refuses an agent symlinked out of the OCF root without running it", async () => {
    const a = new OcfAgent("test/Escape", "x", {}, limits, "test/ocfpath", root);
    const r = await a.start();
    assert.equal(r.ok, false);
    assert.match(r.detail, /resolves to .*outside-agent, outside the OCF root/);
    assert.equal((await a.monitor()).state, "failed");
    assert.equal(existsSync(ran), false, "the agent ran");
  });

  it("runs an agent inside it", async () => {
    const r = await new OcfAgent("test/Fine", "x", {}, limits, "test/ocfpath", root).start();
    assert.equal(r.ok, true, r.detail);
  });
});
