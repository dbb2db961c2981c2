// The etcd version floor (issue 15247: early lease revocation, fixed in 3.5.13 and 3.4.31).
import assert from "node:assert/strict";
import { it } from "node:test";
import { etcdVersionProblem } from "../../src/core/etcd/version-floor.js";

it("refuses etcd releases that can revoke a lease early, accepts the fixed ones", () => {
  assert.match(
    etcdVersionProblem("3.4.23") ?? "",
    /^etcd 3\.4\.23 can revoke a lease early .*15247.*use 3\.4\.31 or newer$/,
  );
  assert.match(etcdVersionProblem("3.5.12") ?? "", /use 3\.5\.13 or newer/);
  assert.match(etcdVersionProblem("3.3.27") ?? "", /use 3\.5\.13 or newer/);
  assert.match(etcdVersionProblem("v3") ?? "", /cannot read/);
  for (const ok of ["3.4.31", "3.4.35", "3.5.13", "3.5.21", "3.6.0", "4.0.0"])
    assert.equal(etcdVersionProblem(ok), undefined, ok);
});
