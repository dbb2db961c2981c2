// `vigil status`: a crm_mon-like screen built from one node's /status.
import type { WorkerStatus } from "../daemon/worker-protocol.js";

/** Renders a node's status as lines of text. */
export function renderStatus(s: WorkerStatus): string[] {
  const members = [
    { name: s.name, alive: true, links: [] as boolean[], running: Object.entries(s.groups).filter(([, st]) => st !== "stopped").map(([g]) => g), standby: s.standby, failures: s.failures },
    ...s.peers,
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  const lines = [
    `vigil — as seen by ${s.name}: leader ${s.leader ?? "none"}${s.term ? ` (term ${s.term})` : ""}${s.admin.maintenance ? "  *** MAINTENANCE: resources are not touched ***" : ""}`,
    "",
    "nodes:",
  ];
  for (const m of members) {
    const state = !m.alive ? "OFFLINE" : m.standby || s.admin.standby.includes(m.name) ? "standby" : "online";
    const role = m.name === s.leader ? "leader" : "";
    const links = m.links.length > 1 && m.alive ? `  links ${m.links.map((l, i) => `${i}:${l ? "up" : "DOWN"}`).join(" ")}` : "";
    lines.push(`  ${m.name.padEnd(12)} ${state.padEnd(8)} ${role.padEnd(7)}${links}`);
  }
  lines.push("", "groups:");
  const groups = Object.keys(s.assignments).length > 0 ? Object.keys(s.assignments) : Object.keys(s.groups);
  for (const g of groups.sort()) {
    const owners = members.filter((m) => m.alive && m.running.includes(g)).map((m) => (m.name === s.name ? `${m.name} (${s.groups[g]})` : m.name));
    const target = s.assignments[g];
    const failures = members.filter((m) => (m.failures[g] ?? 0) > 0).map((m) => `${m.name}:${m.failures[g]}`);
    const pinned = s.admin.moves[g] ? `  moved to ${s.admin.moves[g]}` : "";
    lines.push(`  ${g.padEnd(12)} ${owners.length ? `running on ${owners.join(", ")}` : "stopped"}${target && !owners.some((o) => o.startsWith(target)) ? `  → ${target}` : ""}${failures.length ? `  failures ${failures.join(" ")}` : ""}${pinned}`);
  }
  const drops = { ...s.drops, ...s.transportDrops };
  if (Object.keys(drops).length > 0) lines.push("", `dropped packets: ${Object.entries(drops).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  return lines;
}
