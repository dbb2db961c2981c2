// Deliberately broken cluster machines. Each breaks one rule the safety argument needs; the simulator's
// checkers must catch every one of them within a few hundred seeds (test/unit/mutants.test.ts), which is
// what shows the checkers can fail at all.
import type { NodeParts } from "../../core/cluster/node.js";
import type { ClusterSpec } from "../../core/cluster/spec.js";
import { VoteTable, type Verdict } from "../../core/cluster/votes.js";

/** `no-drift-margin`: holders count the whole lease although clocks drift. `grant-all`: a voter grants
 * every claim, promised elsewhere or not. `no-stop-budget`: voters free a silent holder's lock after the
 * lease alone, while its resources may still be stopping. */
export type Mutant = "no-drift-margin" | "grant-all" | "no-stop-budget";

/** Every mutant, for the command line and the tests. */
export const MUTANTS: readonly Mutant[] = ["no-drift-margin", "grant-all", "no-stop-budget"];

/** A voter that grants everything it is asked. */
class GrantAll extends VoteTable {
  override judge(
    now: number,
    from: string,
    claims: readonly string[],
    unclean: readonly string[] = [],
    claimed: Readonly<Record<string, number>> = {},
  ): Verdict {
    super.judge(now, from, claims, unclean, claimed);
    return { granted: [...claims], denied: [] };
  }
}

/** A voter that keeps no promise past the lease, whatever the lock's stop budget. */
class NoBudget extends VoteTable {
  override judge(now: number, from: string, claims: readonly string[], unclean: readonly string[] = []): Verdict {
    return super.judge(now, from, claims, unclean, {});
  }
}

/** The spec the mutant's nodes run with. */
export function mutantSpec(spec: ClusterSpec, mutant: Mutant | undefined): ClusterSpec {
  return mutant === "no-drift-margin" ? { ...spec, driftMargin: 0 } : spec;
}

/** The parts the mutant replaces. */
export function mutantParts(mutant: Mutant | undefined): NodeParts {
  if (mutant === "grant-all")
    return { voteTable: (lease, bootAt, extensionOf) => new GrantAll(lease, bootAt, extensionOf) };
  if (mutant === "no-stop-budget") return { voteTable: (lease, bootAt) => new NoBudget(lease, bootAt, () => 0) };
  return {};
}
