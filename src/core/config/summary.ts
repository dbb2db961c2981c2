// The one-screen summary `vigil check` prints for a valid config.
import { formatDuration } from "./duration.js";
import type { Config, ResourceConfig } from "./schema.js";
import { guardCovered, opTimeouts, stopBudget } from "./stop-budget.js";
import { guardSilence } from "../cluster/spec.js";

function describeResource(r: ResourceConfig): string {
  const t = opTimeouts(r);
  const limits = guardCovered(r) ? "" : ` (start ${formatDuration(t.start)}, stop ${formatDuration(t.stop)})`;
  return describeKind(r) + limits;
}

function describeKind(r: ResourceConfig): string {
  switch (r.type) {
    case "vip":
      return `vip ${r.address} on ${r.interface}`;
    case "exec":
      return `exec ${[r.path, ...r.args].join(" ")}`;
    case "ocf":
      return `ocf ${r.agent}`;
    case "systemd":
      return `systemd ${r.unit}`;
    case "mariadb":
      return `mariadb ${r.datadir} port ${r.port} (promotable, semi_sync ${r.semi_sync})`;
  }
}

/** Votes needed for quorum: a strict majority of all configured votes. */
export function quorumVotes(config: Config): number {
  const total = config.nodes.reduce((s, n) => s + n.votes, 0);
  return Math.floor(total / 2) + 1;
}

function twoNodeNote(config: Config): string {
  const c = config.cluster;
  if (c.quorum !== "two_node") return "";
  const guards = [
    c.tiebreaker ? `reaches ${c.tiebreaker}` : "",
    c.fence ? `fenced the peer with ${c.fence.path}` : "",
  ].filter(Boolean);
  return `; a survivor acts alone${guards.length ? ` once it ${guards.join(" and ")}` : " (no tiebreaker or fence: a partition can run groups on both nodes)"}`;
}

/** What a takeover of the group waits for when its owner is unreachable. */
function budgetNote(config: Config, g: Config["groups"][number]): string {
  const budget = stopBudget(g, config.cluster, guardSilence(config.cluster.heartbeat.interval));
  const lease = formatDuration(config.cluster.heartbeat.lease);
  if (budget === 0)
    return `takeover from an unreachable owner after its lease (${lease}): VIPs only, the guard removes them`;
  const lastResort = config.cluster.last_resort
    ? `, then ${config.cluster.last_resort.path}`
    : "; no cluster.last_resort: a stop that cannot be killed leaves the group blocked";
  return `stop budget ${formatDuration(budget)} (stops, SIGKILL${lastResort}): takeover from an unreachable owner after lease + budget`;
}

/** Renders the summary as lines of text. */
export function summarize(config: Config, file: string): string[] {
  const c = config.cluster;
  const total = config.nodes.reduce((s, n) => s + n.votes, 0);
  const lines = [
    `${file}: valid`,
    `cluster ${c.name}: port ${c.port}, heartbeat every ${formatDuration(c.heartbeat.interval)}, lease ${formatDuration(c.heartbeat.lease)}`,
    `quorum: ${c.quorum}, ${quorumVotes(config)} of ${total} votes${twoNodeNote(config)}`,
    `nodes (${config.nodes.length}):`,
  ];
  for (const n of config.nodes) {
    const role = n.witness ? "witness" : `priority ${n.priority}`;
    const links = n.links.length > 0 ? ` + links ${n.links.join(", ")}` : "";
    lines.push(`  ${n.name.padEnd(12)} ${n.address}${links}  ${role}, ${n.votes} vote${n.votes === 1 ? "" : "s"}`);
  }
  lines.push(`groups (${config.groups.length}):`);
  for (const g of config.groups) {
    const prefer = g.prefer.length > 0 ? `prefer ${g.prefer.join(" > ")}` : "no preference";
    lines.push(
      `  ${g.name.padEnd(12)} ${prefer}, failback ${g.failback ? "on" : "off"}, move after ${g.migration_threshold} failures`,
    );
    lines.push(`  ${"".padEnd(12)} ${g.resources.map(describeResource).join(" → ")}`);
    lines.push(`  ${"".padEnd(12)} ${budgetNote(config, g)}`);
  }
  lines.push(`virtual servers (${config.virtual_servers.length}):`);
  for (const v of config.virtual_servers) {
    const sorry = v.sorry_server ? `, sorry ${v.sorry_server}` : "";
    lines.push(
      `  ${v.name.padEnd(12)} ${v.listen} ${v.scheduler} → ${v.real_servers.map((r) => `${r.address}×${r.weight}`).join(", ")}${sorry}`,
    );
    lines.push(
      `  ${"".padEnd(12)} check ${v.check.type} every ${formatDuration(v.check.interval)} (rise ${v.check.rise}, fall ${v.check.fall})`,
    );
  }
  lines.push(`api: ${config.api.listen}${config.api.token_file ? "" : " (no token_file: commands disabled)"}`);
  return lines;
}
