// `vigil status`: a crm_mon-like screen built from one node's /status.
import type { EtcdStatus } from "../daemon/worker-protocol.js";
import type { VirtualServerStatus } from "../core/balancer/status.js";
import type { WorkerStatus } from "../daemon/worker-protocol.js";
import { renderDatabases, type DbGroupStatus } from "./db-view.js";

/** Bytes as B, KiB, MiB or GiB with one decimal. */
function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${n.toFixed(1)}${units[i]}`;
}

/** The virtual servers section, like `ipvsadm -L`: each real server with health, weight and connections. */
export function renderVirtualServers(list: readonly VirtualServerStatus[]): string[] {
  if (list.length === 0) return [];
  const lines = ["", "virtual servers:"];
  for (const v of list) {
    lines.push(
      `  ${v.name.padEnd(12)} ${v.listen.padEnd(22)} ${v.scheduler.padEnd(4)} ${v.serving ? "serving here" : "not served here"}  active ${v.active}  total ${v.total}  refused ${v.refused}${v.group ? `  (group ${v.group})` : ""}`,
    );
    const kernel = v.forward !== undefined && v.forward !== "proxy";
    if (kernel)
      lines.push(
        `    forward ${v.forward} ${v.protocol ?? "tcp"} (nftables; flows and bytes from conntrack and counters)`,
      );
    for (const r of v.realServers) {
      const weight = r.effectiveWeight === r.weight ? `${r.weight}` : `${r.effectiveWeight} (of ${r.weight})`;
      const traffic = kernel
        ? `flows ${String(r.total).padEnd(7)} bytes ${formatBytes((r.bytesIn ?? 0) + (r.bytesOut ?? 0)).padEnd(9)} `
        : "";
      lines.push(
        `    -> ${r.address.padEnd(22)} ${(r.up ? "up" : "DOWN").padEnd(5)} weight ${weight.padEnd(10)} active ${String(r.active).padEnd(5)} ${traffic}${r.draining ? "draining  " : ""}${r.detail}`,
      );
    }
    if (v.sorry)
      lines.push(`    sorry ${v.sorry.address}${v.sorry.inUse ? "  IN USE (no real server available)" : ""}`);
  }
  return lines;
}

/** The coordination line of `coordination: etcd`: the session, or that this node holds nothing. */
function etcdLine(e: EtcdStatus): string {
  const via = `coordination: etcd via ${e.endpoint} (prefix ${e.prefix}, ttl ${e.ttlSeconds}s)`;
  if (!e.lease) return `${via}: NO SESSION — etcd unreachable from this node, so it holds nothing`;
  const rtt = e.lastKeepaliveMs !== undefined ? `, last keepalive ${e.lastKeepaliveMs}ms` : "";
  return `${via}: session ${e.lease} valid for ${e.validForMs}ms${rtt}, revision ${e.revision}`;
}

/** Renders a node's status as lines of text. */
export function renderStatus(s: WorkerStatus & { virtual_servers?: VirtualServerStatus[] }): string[] {
  const members = [
    {
      name: s.name,
      alive: true,
      links: [] as boolean[],
      running: Object.entries(s.groups)
        .filter(([, st]) => st !== "stopped")
        .map(([g]) => g),
      standby: s.standby,
      failures: s.failures,
      track: s.track ?? {},
    },
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
    const links =
      m.links.length > 1 && m.alive ? `  links ${m.links.map((l, i) => `${i}:${l ? "up" : "DOWN"}`).join(" ")}` : "";
    lines.push(`  ${m.name.padEnd(12)} ${state.padEnd(8)} ${role.padEnd(7)}${links}`);
  }
  if (s.etcd) lines.push("", etcdLine(s.etcd));
  lines.push("", "groups:");
  const placed = Object.keys(s.assignments).length > 0 ? Object.keys(s.assignments) : Object.keys(s.groups);
  const clones = new Set(s.clones ?? []);
  const groups = [...new Set([...placed, ...clones])];
  for (const g of groups.sort()) {
    const owners = members
      .filter((m) => m.alive && m.running.includes(g))
      .map((m) => (m.name === s.name ? `${m.name} (${s.groups[g]})` : m.name));
    const target = s.assignments[g];
    const failures = members.filter((m) => (m.failures[g] ?? 0) > 0).map((m) => `${m.name}:${m.failures[g]}`);
    const pinned = s.admin.moves[g] ? `  moved to ${s.admin.moves[g]}` : "";
    const clone = clones.has(g) ? "(clone) " : "";
    lines.push(
      `  ${g.padEnd(12)} ${clone}${owners.length ? `running on ${owners.join(", ")}` : "stopped"}${target && !owners.some((o) => o.startsWith(target)) ? `  → ${target}` : ""}${failures.length ? `  failures ${failures.join(" ")}` : ""}${pinned}`,
    );
    for (const m of members) {
      const why = m.alive ? m.track[g] : undefined;
      if (why) lines.push(`      ${m.name} ${why}`);
    }
  }
  lines.push(...renderVirtualServers(s.virtual_servers ?? []));
  lines.push(...renderDatabases((s as { databases?: Record<string, DbGroupStatus> }).databases));
  const drops = { ...s.drops, ...s.transportDrops };
  if (Object.keys(drops).length > 0)
    lines.push(
      "",
      `dropped packets: ${Object.entries(drops)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  return lines;
}
