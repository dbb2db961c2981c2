// Rules for `mariadb` resources that span keys: one per group, before the group's addresses (clients
// reach the primary only once it accepts writes), not in two groups on the same datadir or port.
import type { ConfigIssue } from "./issues.js";
import type { GroupConfig } from "./schema.js";
import { virtualAddressOf } from "./virtual-address.js";

/** Every cross-field problem of the configured `mariadb` resources. */
export function checkMariadb(groups: readonly (GroupConfig | undefined)[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const datadirs = new Map<string, string>();
  const ports = new Map<number, string>();
  groups.forEach((g, gi) => {
    if (!g) return;
    const dbs = g.resources.flatMap((r, ri) => (r.type === "mariadb" ? [{ r, ri }] : []));
    for (const { ri } of dbs.slice(1))
      issues.push({
        code: "E_MARIADB",
        path: ["groups", gi, "resources", ri],
        message: `a group may have one mariadb resource (it already has one at resources[${dbs[0]?.ri}]); use a group per database`,
      });
    const first = dbs[0];
    if (!first) return;
    const vipBefore = g.resources.findIndex((r) => virtualAddressOf(r) !== undefined);
    if (vipBefore !== -1 && vipBefore < first.ri)
      issues.push({
        code: "E_MARIADB",
        path: ["groups", gi, "resources", vipBefore],
        message: `this address comes before the mariadb resource (resources[${first.ri}]); put it after, so clients reach the primary only once it accepts writes`,
      });
    const other = datadirs.get(first.r.datadir);
    if (other !== undefined)
      issues.push({
        code: "E_MARIADB",
        path: ["groups", gi, "resources", first.ri, "datadir"],
        message: `group ${other} already uses ${first.r.datadir}; two databases need two datadirs`,
      });
    else datadirs.set(first.r.datadir, g.name);
    const otherPort = ports.get(first.r.port);
    if (otherPort !== undefined)
      issues.push({
        code: "E_MARIADB",
        path: ["groups", gi, "resources", first.ri, "port"],
        message: `group ${otherPort} already uses port ${first.r.port}; two databases need two ports`,
      });
    else ports.set(first.r.port, g.name);
  });
  return issues;
}
