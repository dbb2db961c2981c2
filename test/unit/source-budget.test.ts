// The per-source budget of MAC verifications: a burst, then the refill rate; sources are independent;
// the frame decoder asks for it only after the header checks, before the MAC.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameCodec } from "../../src/adapters/frame.js";
import { SourceBudget } from "../../src/adapters/source-budget.js";
import { NameBook } from "../../src/core/cluster/wire-ids.js";

const book = new NameBook([]);

describe("source budget", () => {
  it("allows a burst, then perInterval per interval, per source", () => {
    const b = new SourceBudget({ perInterval: 4, burst: 10, intervalMs: 100 });
    let ok = 0;
    for (let i = 0; i < 50; i++) if (b.take("a", 0)) ok++;
    assert.equal(ok, 10);
    assert.equal(b.take("b", 0), true, "another source has its own bucket");
    ok = 0;
    for (let t = 1; t <= 1000; t++) if (b.take("a", t)) ok++;
    assert.ok(ok >= 39 && ok <= 41, `${ok} in 10 intervals`);
  });

  it("is consulted after the cheap checks and before the MAC", () => {
    const key = Buffer.alloc(32, 1);
    const codec = new FrameCodec({ send: key, accept: [key] }, "c", book);
    let asked = 0;
    const deny = () => (asked++, false);
    assert.equal(codec.decode(Buffer.from("garbage garbage garbage garbage garbage garbage"), deny).ok, false);
    assert.equal(asked, 0);
    const other = new FrameCodec({ send: Buffer.alloc(32, 2), accept: [Buffer.alloc(32, 2)] }, "c", book);
    assert.deepEqual(codec.decode(other.frame(Buffer.from("{}")), deny), { ok: false, drop: "unknown-key" });
    assert.equal(asked, 0);
    assert.deepEqual(codec.decode(codec.frame(Buffer.from("{}")), deny), { ok: false, drop: "rate-limited" });
    assert.equal(asked, 1);
  });
});
