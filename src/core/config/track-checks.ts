// Rules for `clone:` and `track:` that span keys: what a clone may hold, what a track may name, and
// timer sanity of track checks.
import type { ConfigIssue } from "./issues.js";
import type { GroupConfig, VirtualServerConfig } from "./schema.js";

/** OCF agents that add an address: on a clone they would hold it on several nodes at once. */
const ADDRESS_AGENTS = new Set(["heartbeat/IPaddr", "heartbeat/IPaddr2", "heartbeat/IPv6addr", "heartbeat/IPsrcaddr"]);

/** Problems of clones and track checks given the (possibly partly invalid) groups and virtual servers. */
export function checkTrackAndClone(
  groups: readonly (GroupConfig | undefined)[],
  servers: readonly (VirtualServerConfig | undefined)[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const byName = new Map(groups.flatMap((g) => (g ? [[g.name, g] as const] : [])));
  const allKnown = !groups.includes(undefined);
  groups.forEach((g, gi) => {
    if (!g) return;
    const at = (...rest: (string | number)[]) => ["groups", gi, ...rest];
    if (g.clone) issues.push(...cloneIssues(g, at));
    const seen = new Map<string, number>();
    g.track.forEach((t, ti) => {
      const key = JSON.stringify(t.type === "group" || t.type === "interface" ? [t.type, t.name] : t);
      const first = seen.get(key);
      if (first !== undefined)
        issues.push({
          code: "E_DUPLICATE",
          path: at("track", ti),
          message: `the same check as track[${first}]; list each check once`,
        });
      else seen.set(key, ti);
      if ((t.type === "ping" || t.type === "exec") && t.timeout > t.interval)
        issues.push({
          code: "E_TIMING",
          path: at("track", ti, "timeout"),
          message: `track timeout ${t.timeout}ms exceeds its interval ${t.interval}ms`,
        });
      if (t.type !== "group") return;
      const target = byName.get(t.name);
      if (!target && allKnown)
        issues.push({
          code: "E_REFERENCE",
          path: at("track", ti, "name"),
          message: `no group named "${t.name}" (clone groups: ${clones(groups) || "none"})`,
        });
      else if (target && !target.clone)
        issues.push({
          code: "E_REFERENCE",
          path: at("track", ti, "name"),
          message: `group "${t.name}" is not a clone; only a group with clone: true runs on every node and can be tracked (clone groups: ${clones(groups) || "none"})`,
        });
    });
  });
  servers.forEach((v, vi) => {
    if (v?.group === undefined) return;
    if (byName.get(v.group)?.clone)
      issues.push({
        code: "E_REFERENCE",
        path: ["virtual_servers", vi, "group"],
        message: `group "${v.group}" is a clone; a virtual server without group: is already served on every node`,
      });
  });
  return issues;
}

function clones(groups: readonly (GroupConfig | undefined)[]): string {
  return groups.flatMap((g) => (g?.clone ? [g.name] : [])).join(", ");
}

function cloneIssues(g: GroupConfig, at: (...rest: (string | number)[]) => ConfigIssue["path"]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (g.prefer.length > 0)
    issues.push({
      code: "E_VALUE",
      path: at("prefer"),
      message: "a clone runs on every eligible node at once; prefer does not apply (remove it, or clone: false)",
    });
  if (g.failback)
    issues.push({
      code: "E_VALUE",
      path: at("failback"),
      message: "a clone runs on every eligible node at once; failback does not apply (remove it, or clone: false)",
    });
  if (g.track.length > 0)
    issues.push({
      code: "E_VALUE",
      path: at("track"),
      message:
        "a clone cannot track checks; track the clone from the group that needs it ({ type: group, name: " +
        g.name +
        " })",
    });
  g.resources.forEach((r, ri) => {
    if (r.type === "vip" || (r.type === "ocf" && ADDRESS_AGENTS.has(r.agent)))
      issues.push({
        code: "E_VALUE",
        path: at("resources", ri),
        message: `a clone runs on every node at once, so this address would be held by several nodes; put it in a group that tracks the clone`,
      });
  });
  return issues;
}
