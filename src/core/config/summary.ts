// The one-screen summary `vigil check` prints for a valid config.
import { formatDuration } from "./duration.js";
import { coordinationSummary } from "./etcd-schema.js";
import type { Config, ResourceConfig } from "./schema.js";
import type { TrackCheckConfig } from "./track-schema.js";
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

/** A track check as the summary says it: `ping 10.77.0.1 answers (every 1s, fall 3, rise 2)`. */
function describeCheck(c: TrackCheckConfig): string {
  const timing = (c: { interval: number; fall: number; rise: number }) =>
    ` (every ${formatDuration(c.interval)}, fall ${c.fall}, rise ${c.rise})`;
  switch (c.type) {
    case "group":
      return `clone ${c.name} runs`;
    case "interface":
      return `${c.name} is up${timing(c)}`;
    case "ping":
      return `${c.address} answers${timing(c)}`;
    case "exec":
      return `${c.path} exits 0${timing(c)}`;
  }
}

/** How a kernel-forwarded virtual server reaches its real servers, and what the network must do for it. */
function forwardNote(v: Config["virtual_servers"][number]): string {
  const proto = v.protocol === "udp" ? "udp, " : "";
  if (v.forward === "nat")
    return `forward nat (${proto}nftables DNAT, client address kept): each real server must route replies through the owner, e.g. \`ip route replace default via VIP\` with a vip of the group on the real servers' network`;
  if (v.forward === "fullnat")
    return `forward fullnat (${proto}nftables DNAT + SNAT to the owner's address): any topology; real servers see the owner, not the client`;
  return "";
}

/** Renders the summary as lines of text. */
export function summarize(config: Config, file: string): string[] {
  const c = config.cluster;
  const total = config.nodes.reduce((s, n) => s + n.votes, 0);
  const lines = [
    `${file}: valid`,
    `cluster ${c.name}: port ${c.port}, heartbeat every ${formatDuration(c.heartbeat.interval)}, lease ${formatDuration(c.heartbeat.lease)}`,
    `quorum: ${c.quorum}, ${quorumVotes(config)} of ${total} votes${twoNodeNote(config)}`,
    coordinationSummary(c),
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
      g.clone
        ? `  ${g.name.padEnd(12)} clone: on every eligible node at once, stops on a node after ${g.migration_threshold} failures`
        : `  ${g.name.padEnd(12)} ${prefer}, failback ${g.failback ? "on" : "off"}, move after ${g.migration_threshold} failures`,
    );
    if (g.track.length > 0) lines.push(`  ${"".padEnd(12)} runs only where ${g.track.map(describeCheck).join(", ")}`);
    lines.push(`  ${"".padEnd(12)} ${g.resources.map(describeResource).join(" → ")}`);
    lines.push(
      `  ${"".padEnd(12)} ${g.clone ? "no lease: a daemon that dies leaves it running and the next one adopts it" : budgetNote(config, g)}`,
    );
  }
  lines.push(`virtual servers (${config.virtual_servers.length}):`);
  for (const v of config.virtual_servers) {
    const sorry = v.sorry_server ? `, sorry ${v.sorry_server}` : "";
    lines.push(
      `  ${v.name.padEnd(12)} ${v.listen} ${v.scheduler} → ${v.real_servers.map((r) => `${r.address}×${r.weight}`).join(", ")}${sorry}`,
    );
    const forwarding = forwardNote(v);
    if (forwarding) lines.push(`  ${"".padEnd(12)} ${forwarding}`);
    lines.push(
      `  ${"".padEnd(12)} check ${v.check.type}${v.check.type === "mariadb" ? ` (${v.check.role ?? "primary"} as ${v.check.user})` : ""} every ${formatDuration(v.check.interval)} (rise ${v.check.rise}, fall ${v.check.fall})`,
    );
  }
  lines.push(`api: ${config.api.listen}${config.api.token_file ? "" : " (no token_file: commands disabled)"}`);
  return lines;
}
