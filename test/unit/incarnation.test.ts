// The incarnation file: next = max(last + 1, wall clock), recorded before use; damage falls back to
// the clock with a warning instead of stopping the node.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { incarnationClock, nextIncarnation } from "../../src/daemon/incarnation.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-inc-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("incarnation", () => {
  it("grows across restarts even when the clock steps back", () => {
    const file = join(dir, "a", "c.n1.incarnation");
    const first = nextIncarnation(file, 1_800_000_000_000);
    assert.deepEqual(first, { inc: 1_800_000_000_000, warnings: [] });
    const back = nextIncarnation(file, 1_700_000_000_000);
    assert.deepEqual(back, { inc: 1_800_000_000_001, previous: 1_800_000_000_000, warnings: [] });
    assert.equal(readFileSync(file, "utf8"), "1800000000001\n");
    assert.equal(nextIncarnation(file, 1_900_000_000_000).inc, 1_900_000_000_000);
  });

  it("falls back to the clock, with a warning, when the file is damaged", () => {
    const file = join(dir, "c.n2.incarnation");
    writeFileSync(file, "garbage");
    const r = nextIncarnation(file, 5000);
    assert.equal(r.inc, 5000);
    assert.match(r.warnings[0] ?? "", /holds no incarnation/);
    assert.equal(nextIncarnation(file, 10).inc, 5001);
  });

  it("warns when it cannot record the incarnation", () => {
    const blocker = join(dir, "blocker");
    writeFileSync(blocker, "");
    const r = nextIncarnation(join(blocker, "x.incarnation"), 42);
    assert.equal(r.inc, 42);
    assert.match(r.warnings.join("\n"), /cannot record incarnation 42 in .*make .* writable/);
  });

  it("shifts the clock only by the test offset", () => {
    const t = incarnationClock({ VIGIL_TEST_CLOCK_OFFSET_MS: "-1000000" })();
    assert.ok(Math.abs(t - (Date.now() - 1_000_000)) < 1000);
  });
});
