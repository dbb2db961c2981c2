// The cluster core while operators reload a changed config node by node, during faults: nodes disagree
// for a while on which groups exist and how they are placed. The rule under test: a group's lock is
// granted by voters whether or not they know the group, and a node runs only groups of its own config
// that the leader it follows assigned to it, so disagreement may delay a group but never runs it twice.
// Before: g1 (prefers n1, no failback), g2 (prefers n2, failback). After: g1 prefers n3 with failback,
// g2 is removed, g3 (prefers n2) is added. Every node is reloaded at a random time of the faulty part; a
// node that is down then boots with the new config.
import type { DriverEvent } from "../../core/cluster/driver.js";
import type { ClusterSpec, GroupSpec } from "../../core/cluster/spec.js";
import type { Invariant, Observation } from "../invariants.js";
import type { ClusterView } from "../../core/cluster/events.js";
import { clusterProtocol, DEFAULTS, liveness, safety, simSpec, type ClusterSimOptions } from "./cluster.js";

/** The groups after the reload. */
function reloadedGroups(before: readonly GroupSpec[], runners: string[]): GroupSpec[] {
  const g1 = before.find((g) => g.name === "g1");
  const last = runners[runners.length - 1] as string;
  return [
    ...(g1 ? [{ ...g1, prefer: [last], failback: true }] : []),
    {
      name: "g3",
      prefer: [runners[1 % runners.length] as string],
      failback: false,
      migrationThreshold: 3,
      stopBudget: 800,
    },
  ];
}

/** Groups that were removed must run nowhere once faults stop (unclean: its stop failed, so a reload
 * would try it again; as for configured groups, the checker accepts that state). */
function removedRunNowhere(removed: string[]): Invariant<ClusterView> {
  return {
    name: "removed groups stopped",
    liveness(obs: Observation<ClusterView>) {
      for (const g of removed) {
        const on = obs.nodes
          .filter((n) => n.view && !["stopped", "unclean", undefined].includes(n.view.groups[g]))
          .map((n) => n.id);
        if (on.length > 0) return `${g} is still active on ${on.join(", ")}`;
      }
      return undefined;
    },
  };
}

/** The specs before and after the reload. */
export function reloadSpecs(o: Partial<ClusterSimOptions> = {}): {
  opts: ClusterSimOptions;
  before: ClusterSpec;
  after: ClusterSpec;
} {
  const opts: ClusterSimOptions = { ...DEFAULTS, ...o };
  const before = simSpec(opts);
  const runners = before.members.filter((m) => !m.witness).map((m) => m.name);
  return { opts, before, after: { ...before, groups: reloadedGroups(before.groups, runners) } };
}

/** The cluster protocol with a rolling reload of the groups. */
export function clusterReloadProtocol(o: Partial<ClusterSimOptions> = {}) {
  const { opts, before, after } = reloadSpecs(o);
  const removed = before.groups.map((g) => g.name).filter((g) => !after.groups.some((a) => a.name === g));
  const everyLock: ClusterSpec = {
    ...before,
    groups: [...before.groups, ...after.groups.filter((g) => !before.groups.some((b) => b.name === g.name))],
  };
  const edited = new Set<string>();
  const base = clusterProtocol(opts, {
    specOf: (id) => (edited.has(id) ? after : before),
    everyGroup: everyLock,
    invariants: (model) => [safety(everyLock, model), liveness(after), removedRunNowhere(removed)],
  });
  return {
    ...base,
    name: `${base.name}, reloaded node by node (g2 removed, g3 added, g1 re-preferred)`,
    operatorInputs(prng, faultyFor) {
      const out = base.operatorInputs?.(prng, faultyFor) ?? [];
      for (const m of before.members)
        out.push({ at: prng.between(0, faultyFor), node: m.name, event: { kind: "groups", groups: after.groups } });
      return out;
    },
    onOperator(node: string, event: DriverEvent) {
      if (event.kind === "groups") edited.add(node);
    },
    describeEvent: (e: DriverEvent) =>
      e.kind === "groups" ? `reload: groups ${e.groups.map((g) => g.name).join(", ")}` : JSON.stringify(e),
  } satisfies ReturnType<typeof clusterProtocol>;
}
