// The cluster core while its nodes are reloaded one by one (scripted, no faults): a group removed from a
// node's config stops there and is not started elsewhere; a group added to it starts only once the
// leader has it too; the leader drops a group it no longer has. (The simulator protocol cluster-reload
// checks the same under random faults and reload times.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterEvent } from "../../src/core/cluster/events.js";
import { clusterReloadProtocol, reloadSpecs } from "../../src/sim/protocols/cluster-reload.js";
import { runSeed } from "../../src/sim/world.js";

describe("cluster core: reloading nodes one by one", () => {
  it("never runs a group on two nodes, and says why at each step", () => {
    const base = clusterReloadProtocol();
    const event: ClusterEvent = { kind: "groups", groups: reloadSpecs().after.groups };
    const reloadOf = (node: string, at: number) => ({ at, node, event });
    const p = {
      ...base,
      scripted: {
        faults: [],
        healAt: 2500,
        endAt: 3500,
        operator: [reloadOf("n2", 1000), reloadOf("n1", 1500), reloadOf("n3", 1600)],
      },
    };
    const r = runSeed(p, 7, true);
    assert.ok(r.ok, r.failure);
    const d = r.trace
      .filter((l) => l.includes("▸"))
      .map((l) => ({ at: Number(l.trim().split(/\s+/)[0]), text: l.slice(l.indexOf("▸") + 2) }));
    const first = (re: RegExp) => d.find((x) => re.test(x.text))?.at ?? Infinity;
    assert.ok(first(/^n2 starts g2/) < 1000, "g2 ran on n2 before the reload");
    assert.equal(first(/^n2 stops g2: removed from the config/), 1000);
    assert.equal(first(/^n[13] starts g2/), Infinity, "g2 never moves to a node that still has it");
    assert.ok(first(/^g3 placed on n2/) >= 1500, "the leader places g3 only once it has it");
    assert.ok(first(/^n2 starts g3/) > 1500);
    assert.ok(first(/^g2 is no longer placed: it is not in the leader's config/) >= 1500);
  });
});
