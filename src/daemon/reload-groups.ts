// The groups' share of a reload. Added groups are handed to the cluster core, which places and starts
// them as usual; removed groups are stopped by the core where they run and then forgotten; a changed
// group has only what changed applied: placement keys go to the core without touching resources, and
// of its resources the unchanged prefix keeps running while the changed tail restarts (a monitor-only
// change just updates the monitor). Groups that did not change are not touched at all.
//
// While nodes disagree (each node is reloaded on its own), safety does not depend on agreement: a
// group's lock is granted by voters whether or not they know the group, so at most one node ever holds
// it. A node runs only groups of its own config that the leader it follows assigned to it; the leader
// places only groups of its own config. So an added group starts once the leader and the assigned node
// have it; a removed group stops on each node as soon as that node is reloaded; a changed group runs
// with the definition of the node that runs it until all nodes are reloaded.
import { groupSpecsFrom } from "../core/cluster/spec.js";
import { describeGroupChange, resourcesChanged, sameValue, type GroupChange } from "../core/config/reload-plan.js";
import type { Config } from "../core/config/schema.js";
import type { ResourceAgent } from "../adapters/resources/resource-agent.js";
import type { GroupRunner, ReconfigureOutcome } from "./group-runner.js";
import { guardConfigOf, notifyScriptsOf, resourcesOf, vipsOf } from "./group-resources.js";
import type { Notifier } from "./notifier.js";
import type { ReloadablePart, ReloadIssue } from "./reload.js";
import type { ToWorker, WorkerStatus } from "./worker-protocol.js";

/** What the groups part works with. */
export interface GroupsPartDeps {
  runner: GroupRunner;
  notifier: Notifier;
  status(): Promise<WorkerStatus>;
  post(m: ToWorker): void;
  /** The agent that makes the group's virtual servers listen (its last resource). */
  listener(group: string): ResourceAgent;
  /** "CLUSTER/NODE": tags the processes of the resources (see createAgent). */
  owner: string;
}

/** Whether a change of an existing group touches its resources or monitors (not only placement keys). */
function touchesResources(c: GroupChange): boolean {
  return c.kind === "changed" && (resourcesChanged(c) || c.monitors.length > 0);
}

/** VIPs the guard covers: the new ones, plus old ones of changed and removed groups, which may still be
 * up here until their stop is done. */
function coveredVips(current: Config, next: Config): Record<string, [string, string][]> {
  const before = vipsOf(current);
  const after = vipsOf(next);
  const out: Record<string, [string, string][]> = { ...before };
  for (const [g, vips] of Object.entries(after)) {
    const all = [...vips, ...(before[g] ?? [])];
    out[g] = all.filter(([a, i], k) => all.findIndex(([b, j]) => a === b && i === j) === k);
  }
  return out;
}

function outcomeNote(o: ReconfigureOutcome): string {
  if (o === "start-failed") return " (a new resource failed to start: the group restarts or moves)";
  if (o === "stop-failed") return " (an old resource failed to stop: unclean until cleanup)";
  if (o === "deferred") return " (applied once the group has stopped cleanly)";
  return "";
}

/** The groups as a reloadable part. */
export function groupsPart(d: GroupsPartDeps): ReloadablePart {
  return {
    name: "groups",
    async check(_current, _next, plan) {
      const touched = plan.groups.filter(touchesResources);
      if (touched.length === 0) return [];
      const s = await d.status();
      const issues: ReloadIssue[] = [];
      for (const c of touched) {
        const path = ["groups", c.index, "resources"];
        if (s.groups[c.name] === "unclean") {
          issues.push({
            code: "E_RELOAD_UNCLEAN",
            path,
            message: `group ${c.name} is unclean on this node (a stop failed); its resources can change once \`vigil cleanup ${c.name}\` has stopped them`,
          });
        } else if (s.admin.maintenance && d.runner.isUp(c.name)) {
          issues.push({
            code: "E_RELOAD_MAINTENANCE",
            path,
            message: `group ${c.name} runs here and maintenance is on, so vigil may not restart its resources; reload after \`vigil maintenance off\``,
          });
        }
      }
      return issues;
    },
    async apply(current, next, plan) {
      const ops: Promise<string>[] = [];
      for (const c of plan.groups) {
        const g = next.groups.find((x) => x.name === c.name);
        const running = d.runner.isUp(c.name);
        const phrase = describeGroupChange(c, running);
        if (c.kind === "removed") {
          d.notifier.removeGroup(c.name, running);
          void d.runner.retire(c.name);
        } else if (g && (c.kind === "added" || touchesResources(c))) {
          const keep = c.kind === "changed" && c.keep >= g.resources.length ? g.resources.length + 1 : c.keep; // the listener stays when nothing before it changed
          ops.push(
            d.runner
              .reconfigure(c.name, resourcesOf(g, d.listener, d.owner), keep, c.monitors)
              .then((o) => phrase + outcomeNote(o)),
          );
          continue;
        }
        ops.push(Promise.resolve(phrase));
      }
      d.notifier.setScripts(notifyScriptsOf(next, d.owner));
      for (const c of plan.groups) if (c.kind === "added") void d.notifier.notify(c.name, "backup");
      const [specs, vips] = [groupSpecsFrom(next), coveredVips(current, next)];
      const guard = guardConfigOf(next, d.owner, current);
      if (
        !sameValue(specs, groupSpecsFrom(current)) ||
        !sameValue(vips, vipsOf(current)) ||
        !sameValue(guard, guardConfigOf(current, d.owner))
      )
        d.post({ t: "reload", groups: specs, vips, guard });
      return Promise.all(ops);
    },
  };
}
