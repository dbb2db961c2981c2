// `vigil import keepalived`: one keepalived.conf per node (includes already expanded by the adapter)
// to one vigil config. Pure: tokens in, config, comments and notes out.
import { parseIp } from "../net/address.js";
import { clusterSections, type ImportedNode } from "./cluster-shape.js";
import { Draft, finish } from "./draft.js";
import { readInstance, type TrackRef } from "./keepalived-instance.js";
import { mapVirtualServers } from "./keepalived-lvs.js";
import { assertKeepalived, type KaStmt, type KaToken, parseKeepalived } from "./keepalived-syntax.js";
import { readScript, type ScriptDef } from "./keepalived-track.js";
import { mapVrrp, type NodeVrrp, type SyncGroupDef } from "./keepalived-vrrp.js";
import { globalReason, TOP_LEVEL_REASONS } from "./keepalived-words.js";
import { ImportError, type ImportResult } from "./types.js";

/** One node's keepalived.conf as tokens (includes expanded). */
export interface KeepalivedNodeInput {
  name: string;
  file: string;
  tokens: readonly KaToken[];
}

/** What `vigil import keepalived` was given. */
export interface KeepalivedInput {
  nodes: readonly KeepalivedNodeInput[];
  /** Addresses given on the command line (`--address NAME=IP`), which win over the files. */
  addresses: ReadonlyMap<string, string>;
  clusterName: string;
  keyFile: string;
}

/** Imports keepalived.conf files; throws ImportError when a file is not keepalived.conf or a node
 * has no address. */
export function importKeepalived(input: KeepalivedInput): ImportResult {
  const d = new Draft();
  const vrrpNodes: NodeVrrp[] = [];
  const lvs: { node: string; stmts: KaStmt[] }[] = [];
  for (const n of input.nodes) {
    const stmts = parseKeepalived(n.tokens);
    assertKeepalived(stmts, n.file);
    const node: NodeVrrp = { node: n.name, instances: [], scripts: new Map<string, ScriptDef>(), syncGroups: [] };
    const servers: KaStmt[] = [];
    for (const s of stmts) {
      if (s.keyword === "global_defs") readGlobals(d, s);
      else if (s.keyword === "vrrp_script") node.scripts.set(s.args[0] ?? "", readScript(d, s));
      else if (s.keyword === "vrrp_instance") node.instances.push(readInstance(d, n.name, s));
      else if (s.keyword === "vrrp_sync_group") node.syncGroups.push(readSyncGroup(d, s));
      else if (s.keyword === "virtual_server") servers.push(s);
      else if (TOP_LEVEL_REASONS[s.keyword]) d.note(s.at, "unmapped", `${s.keyword}: ${TOP_LEVEL_REASONS[s.keyword]}`);
      else if (s.keyword.startsWith("@") || s.keyword.startsWith("$"))
        d.note(
          s.at,
          "unmapped",
          `"${s.keyword}": conditional lines and $ parameters are not evaluated; expand them first (one file per node)`,
        );
      else d.unknown(s.at, s.keyword, "keepalived.conf");
    }
    vrrpNodes.push(node);
    lvs.push({ node: n.name, stmts: servers });
  }
  const order = input.nodes.map((n) => n.name);
  const vrrp = mapVrrp(d, vrrpNodes, order);
  const virtualServers = mapVirtualServers(d, lvs);
  const nodes = nodeAddresses(input, vrrp.sourceIps, vrrp.peers).map((n) => ({
    ...n,
    priority: vrrp.priorities.get(n.name),
  }));
  const config: Record<string, unknown> = clusterSections(d, {
    name: input.clusterName,
    keyFile: input.keyFile,
    heartbeat: vrrp.heartbeat,
    nodes,
  });
  if (vrrp.groups.length > 0) config.groups = vrrp.groups;
  if (virtualServers.length > 0) config.virtual_servers = virtualServers;
  const header = [
    `Imported by \`vigil import keepalived\` from ${input.nodes.map((n) => `${n.name}=${n.file}`).join(", ")}.`,
    "Deploy the same file on every node. Before the first start:",
    `  vigil keygen -o ${input.keyFile}    (on one node; copy it to the others with scp -p)`,
    "  vigil check -c vigil.yaml",
    'Comments starting with "≈" mark where vigil behaves differently from keepalived; what could not be',
    "imported is listed at the end, each with its file and line.",
  ];
  return finish(d, config, header);
}

function readGlobals(d: Draft, stmt: KaStmt): void {
  for (const s of stmt.block ?? []) {
    const why = globalReason(s.keyword);
    if (why) d.note(s.at, "unmapped", `global_defs ${s.keyword}: ${why}`);
    else d.unknown(s.at, s.keyword, "global_defs");
  }
}

function readSyncGroup(d: Draft, stmt: KaStmt): SyncGroupDef {
  const def: SyncGroupDef = { name: stmt.args[0] ?? "sync", members: [], notify: [], tracks: [], at: stmt.at };
  for (const s of stmt.block ?? []) {
    if (s.keyword === "group") for (const m of s.block ?? []) def.members.push(m.keyword, ...m.args);
    else if (s.keyword.startsWith("notify")) def.notify.push({ keyword: s.keyword, words: s.args, at: s.at });
    else if (s.keyword === "track_script" || s.keyword === "track_interface") {
      const kind: TrackRef["kind"] = s.keyword === "track_script" ? "script" : "interface";
      for (const t of s.block ?? []) {
        const weight = t.args[0] === "weight" ? Number(t.args[1]) : undefined;
        def.tracks.push({ kind, name: t.keyword, weight: Number.isInteger(weight) ? weight : undefined, at: t.at });
      }
    } else if (["smtp_alert", "global_tracking", "sync_group_tracking_weight"].includes(s.keyword))
      d.note(
        s.at,
        "unmapped",
        `vrrp_sync_group ${s.keyword}: no equivalent; the group's tracks decide where all of it runs`,
      );
    else d.unknown(s.at, s.keyword, `vrrp_sync_group ${def.name}`);
  }
  return def;
}

/** Each node's address: from --address, else its unicast_src_ip / mcast_src_ip, else the one address
 * the other nodes list as unicast_peer that is nobody else's. */
function nodeAddresses(
  input: KeepalivedInput,
  sourceIps: ReadonlyMap<string, string>,
  peers: ReadonlyMap<string, string[]>,
): ImportedNode[] {
  const known = new Map<string, { address: string; why?: string }>();
  for (const n of input.nodes) {
    const given = input.addresses.get(n.name);
    const src = sourceIps.get(n.name);
    if (given) known.set(n.name, { address: given });
    else if (src && parseIp(src)) known.set(n.name, { address: src, why: "from unicast_src_ip / mcast_src_ip" });
  }
  for (const n of input.nodes) {
    if (known.has(n.name)) continue;
    const taken = new Set([...known.values()].map((k) => k.address));
    const candidates = new Set(
      input.nodes
        .filter((o) => o.name !== n.name)
        .flatMap((o) => (peers.get(o.name) ?? []).filter((p) => !taken.has(p) && parseIp(p))),
    );
    if (candidates.size === 1 && input.nodes.length === 2)
      known.set(n.name, { address: [...candidates][0] as string, why: "from the other node's unicast_peer" });
  }
  return input.nodes.map((n) => {
    const k =
      known.get(n.name) ??
      (input.nodes.length === 1
        ? {
            address: "127.0.0.1",
            why: "a single node needs no reachable address; put its own here before adding nodes",
          }
        : undefined);
    if (!k)
      throw new ImportError(
        "E_IMPORT_ADDRESS",
        `node ${n.name}: ${n.file} gives no address for it (no unicast_src_ip or mcast_src_ip, and no unicast_peer elsewhere names it); pass --address ${n.name}=IP`,
      );
    return { name: n.name, address: k.address, why: k.why };
  });
}
