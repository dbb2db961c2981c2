// The simulator's checkers can fail: each mutant machine breaks one rule the safety argument needs, and
// the checkers must catch it within a few hundred seeds, on a seed the real machine passes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clusterProtocol } from "../../src/sim/protocols/cluster.js";
import { ETCD_MUTANTS, etcdClusterProtocol, type EtcdMutant } from "../../src/sim/protocols/etcd-cluster.js";
import { MUTANTS, type Mutant } from "../../src/sim/protocols/mutants.js";
import { runSeed } from "../../src/sim/world.js";

/** What each mutant must be caught doing. */
const EXPECTED: Record<Mutant, RegExp> = {
  "no-drift-margin": /both hold/,
  "grant-all": /both hold/,
  "no-stop-budget": /resources are active on n\d and n\d at once/,
};

/** The first failing seed of a mutant within `limit` seeds. */
function firstFailure(mutant: Mutant, limit: number): { seed: number; failure: string } | undefined {
  for (let seed = 1; seed <= limit; seed++) {
    const r = runSeed(clusterProtocol({ mutant }), seed);
    if (!r.ok) return { seed, failure: r.failure ?? "" };
  }
  return undefined;
}

describe("mutant machines", () => {
  for (const mutant of MUTANTS) {
    it(`catches ${mutant} within 300 seeds, on a seed the real machine passes`, () => {
      const caught = firstFailure(mutant, 300);
      assert.ok(caught, `${mutant} survived 300 seeds: the checkers cannot see what it breaks`);
      assert.match(caught.failure, EXPECTED[mutant]);
      const real = runSeed(clusterProtocol(), caught.seed);
      assert.ok(real.ok, `seed ${caught.seed} fails the real machine too: ${real.failure}`);
    });
  }
});

/** What each etcd mutant must be caught doing. */
const ETCD_EXPECTED: Record<EtcdMutant, RegExp> = {
  "etcd-no-stop-budget": /resources are active on n\d and n\d at once/,
  "etcd-blind-lock": /both hold|resources are active/,
};

describe("mutant etcd members", () => {
  for (const mutant of ETCD_MUTANTS) {
    it(`catches ${mutant} within 300 seeds, on a seed the real member passes`, () => {
      let caught: { seed: number; failure: string } | undefined;
      for (let seed = 1; seed <= 300 && !caught; seed++) {
        const r = runSeed(etcdClusterProtocol({ mutant }), seed);
        if (!r.ok) caught = { seed, failure: r.failure ?? "" };
      }
      assert.ok(caught, `${mutant} survived 300 seeds: the checkers cannot see what it breaks`);
      assert.match(caught.failure, ETCD_EXPECTED[mutant]);
      const real = runSeed(etcdClusterProtocol(), caught.seed);
      assert.ok(real.ok, `seed ${caught.seed} fails the real member too: ${real.failure}`);
    });
  }
});
