// Rise/fall of one real server: what a sequence of check results does to its health and what is said.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyCheck, initialHealth, type HealthRules, type HealthState } from "../../src/core/balancer/health.js";

const ok = { ok: true, detail: "connected in 1ms" };
const refused = { ok: false, detail: "connection refused" };

/** Feeds `results` in order; returns the final state and every transition's reason. */
function run(
  results: { ok: boolean; detail: string }[],
  rules: HealthRules = { rise: 2, fall: 3 },
  from: HealthState = initialHealth(),
) {
  let state = from;
  const reasons: string[] = [];
  for (const r of results) {
    const step = applyCheck(state, r, rules, "10.0.0.1:80");
    state = step.state;
    if (step.transition) reasons.push(step.transition.reason);
  }
  return { state, reasons };
}

describe("health rise/fall", () => {
  it("starts up and unchecked", () => {
    assert.deepEqual(initialHealth(), { up: true, checked: false, streak: 0 });
  });

  it("a first success confirms up without a transition", () => {
    const r = run([ok]);
    assert.equal(r.state.up, true);
    assert.deepEqual(r.reasons, []);
  });

  it("a first failure marks the server down at once, whatever fall is", () => {
    const r = run([refused], { rise: 2, fall: 5 });
    assert.equal(r.state.up, false);
    assert.deepEqual(r.reasons, ["10.0.0.1:80 down: connection refused (first check)"]);
  });

  it("takes an up server down after fall failures in a row, once", () => {
    const r = run([ok, refused, refused, refused, refused, refused]);
    assert.equal(r.state.up, false);
    assert.deepEqual(r.reasons, ["10.0.0.1:80 down: connection refused (3 failed checks in a row)"]);
  });

  it("a success between failures resets the count", () => {
    const r = run([ok, refused, refused, ok, refused, refused]);
    assert.equal(r.state.up, true);
    assert.deepEqual(r.reasons, []);
  });

  it("brings a down server up after rise successes in a row, once", () => {
    const r = run([refused, ok, refused, ok, ok, ok, ok]);
    assert.equal(r.state.up, true);
    assert.deepEqual(r.reasons, [
      "10.0.0.1:80 down: connection refused (first check)",
      "10.0.0.1:80 up: connected in 1ms (2 successful checks in a row)",
    ]);
  });

  it("rise 1 and fall 1 flip on every change, saying a single check", () => {
    const r = run([ok, { ok: false, detail: "HTTP 503 (expected 200)" }, ok], { rise: 1, fall: 1 });
    assert.deepEqual(r.reasons, [
      "10.0.0.1:80 down: HTTP 503 (expected 200) (1 failed check)",
      "10.0.0.1:80 up: connected in 1ms (1 successful check)",
    ]);
  });

  it("flapping below the thresholds never changes health", () => {
    const flap = Array.from({ length: 40 }, (_, i) => (i % 3 === 2 ? ok : refused));
    assert.deepEqual(run([ok, ...flap]).reasons, []);
  });

  it("is deterministic: the same results give the same states", () => {
    const seq = [ok, refused, refused, refused, ok, ok, refused];
    assert.deepEqual(run(seq), run(seq));
  });
});
