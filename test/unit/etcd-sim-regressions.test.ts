// Simulator seeds of the etcd backend that once failed (a safety violation, a liveness harness gap), replayed: each failed before
// its fix (the seed's schedule is fixed by the core's behaviour, so a later change may move the fault
// elsewhere; they stay as examples that must keep passing).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { etcdClusterProtocol } from "../../src/sim/protocols/etcd-cluster.js";
import { runSeed } from "../../src/sim/world.js";

describe("etcd simulator regressions", () => {
  it("a lock given back before its stop-budget wait was over still owes the wait (seed 4014141)", () => {
    const r = runSeed(etcdClusterProtocol(), 4014141);
    assert.ok(r.ok, r.failure);
  });

  it("a node's own earlier lease does not excuse a wait it never served (seed 4014222)", () => {
    const r = runSeed(etcdClusterProtocol(), 4014222);
    assert.ok(r.ok, r.failure);
  });

  it("a pause that outlasts the faults ends with them, so liveness counts from the calm (seed 543)", () => {
    // n2 was paused 1.6s before the calm for 7.7s; liveness was judged 13s after the calm while the
    // recovery from the late resume (failback, a reboot, a new leader, a stop-budget wait) still ran.
    const r = runSeed(etcdClusterProtocol(), 543);
    assert.ok(r.ok, r.failure);
  });
});
