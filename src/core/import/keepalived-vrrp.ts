// vrrp_instance and vrrp_sync_group across the nodes' files as vigil groups: the same instance on each
// node (matched by virtual_router_id, else by name) becomes one group whose `prefer` follows the
// priorities, whose `failback` follows preemption, with the VIPs, tracks and notify of the preferred node.
import { formatDuration } from "../config/duration.js";
import type { KeyPath } from "../config/issues.js";
import { Draft, safeName, splitCommand } from "./draft.js";
import type { InstanceView, NotifySpec, TrackRef } from "./keepalived-instance.js";
import { mapTrack, type ScriptDef, weightEffect } from "./keepalived-track.js";
import type { SourcePos } from "./types.js";

/** A vrrp_sync_group as read. */
export interface SyncGroupDef {
  name: string;
  members: string[];
  notify: NotifySpec[];
  tracks: TrackRef[];
  at: SourcePos;
}

/** What one node's file says about VRRP. */
export interface NodeVrrp {
  node: string;
  instances: InstanceView[];
  scripts: Map<string, ScriptDef>;
  syncGroups: SyncGroupDef[];
}

/** Groups, timers and what the files say about each node. */
export interface VrrpOutcome {
  groups: Record<string, unknown>[];
  heartbeat?: { interval: string; lease: string; why: string };
  sourceIps: Map<string, string>;
  peers: Map<string, string[]>;
  priorities: Map<string, number>;
}

/** One vigil group to be: instances (each seen on several nodes) that move together. */
interface Plan {
  name: string;
  members: InstanceView[][];
  sync?: SyncGroupDef;
}

/** Maps the VRRP part of every node's file. `nodeOrder` is the order nodes were given in. */
export function mapVrrp(d: Draft, nodes: readonly NodeVrrp[], nodeOrder: readonly string[]): VrrpOutcome {
  const matched = new Map<string, InstanceView[]>();
  for (const n of nodes)
    for (const v of n.instances) {
      const key = v.vrid !== undefined ? `vrid ${v.vrid} ${v.iface ?? ""}` : `name ${v.name}`;
      matched.set(key, [...(matched.get(key) ?? []), v]);
    }
  const sets = [...matched.values()].map((views) => sortViews(views, nodeOrder));
  const plans = planGroups(d, sets, nodes).filter((p) => {
    if (p.members.some((set) => (set[0]?.vips.length ?? 0) > 0)) return true;
    const lead = p.members[0]?.[0] as InstanceView;
    d.note(lead.at, "unmapped", `vrrp_instance ${lead.name} has no virtual_ipaddress: nothing to move, so no group`);
    return false;
  });
  const scripts = new Map(nodes.map((n) => [n.node, n.scripts]));
  const taken = new Set<string>();
  const groups = plans.map((p, gi) => buildGroup(d, p, gi, scripts, taken));
  const sourceIps = new Map<string, string>();
  const peers = new Map<string, string[]>();
  for (const n of nodes)
    for (const v of n.instances) {
      if (v.srcIp && !sourceIps.has(n.node)) sourceIps.set(n.node, v.srcIp);
      peers.set(n.node, [...(peers.get(n.node) ?? []), ...v.peers]);
    }
  const priorities = new Map<string, number>();
  for (const v of sets[0] ?? []) priorities.set(v.node, Math.min(255, Math.max(0, v.priority)));
  return { groups, heartbeat: timers(d, sets), sourceIps, peers, priorities };
}

function sortViews(views: InstanceView[], order: readonly string[]): InstanceView[] {
  return [...views].sort(
    (a, b) =>
      b.priority - a.priority ||
      Number(b.state === "MASTER") - Number(a.state === "MASTER") ||
      order.indexOf(a.node) - order.indexOf(b.node),
  );
}

/** Instances in one sync group become one plan; every other instance its own. */
function planGroups(d: Draft, sets: InstanceView[][], nodes: readonly NodeVrrp[]): Plan[] {
  const syncs = nodes.find((n) => n.syncGroups.length > 0)?.syncGroups ?? [];
  const used = new Set<InstanceView[]>();
  const plans: Plan[] = [];
  const byName = (name: string) => sets.find((s) => s.some((v) => v.name === name));
  for (const sync of syncs) {
    const members = sync.members.flatMap((m) => {
      const set = byName(m);
      if (!set) d.note(sync.at, "unmapped", `vrrp_sync_group ${sync.name}: no vrrp_instance named ${m}`);
      return set && !used.has(set) ? [set] : [];
    });
    members.forEach((m) => used.add(m));
    if (members.length > 0) plans.push({ name: sync.name, members, sync });
  }
  for (const set of sets) if (!used.has(set)) plans.push({ name: (set[0] as InstanceView).name, members: [set] });
  return plans;
}

function buildGroup(
  d: Draft,
  plan: Plan,
  gi: number,
  scripts: ReadonlyMap<string, ReadonlyMap<string, ScriptDef>>,
  taken: Set<string>,
): Record<string, unknown> {
  const at = (...rest: (string | number)[]): KeyPath => ["groups", gi, ...rest];
  const views = plan.members[0] as InstanceView[];
  const top = views[0] as InstanceView;
  const name = safeName(plan.name, taken, "group");
  const g: Record<string, unknown> = { name, prefer: views.map((v) => v.node) };
  if (plan.sync)
    d.hint(
      at("name"),
      `vrrp_sync_group ${plan.sync.name}: instances ${plan.members.map((m) => m[0]?.name).join(", ")} move together as one group`,
    );
  if (views.length > 1)
    d.hint(at("prefer"), `by keepalived priority: ${views.map((v) => `${v.node} ${v.priority}`).join(", ")}`);
  for (const set of plan.members) {
    const nodesHere = new Set(set.map((v) => v.node));
    const all = new Set([...scripts.keys()]);
    if (nodesHere.size < all.size)
      d.note(
        set[0]?.at as SourcePos,
        "unmapped",
        `vrrp_instance ${set[0]?.name} exists only on ${[...nodesHere].join(", ")}; vigil may also run group ${name} on the other nodes when these are down`,
      );
  }
  const failback = plan.members.every((set) => !(set[0] as InstanceView).nopreempt);
  g.failback = failback;
  if (!failback) d.hint(at("failback"), "nopreempt: the group stays where it runs when the preferred node returns");
  else if (top.preemptDelay)
    d.approx(
      at("failback"),
      `preempt_delay ${top.preemptDelay}s: vigil fails back once the preferred node has been up for max(2s, 4 × lease)`,
      top.at,
    );
  if (plan.members.some((set) => set[0]?.nopreempt) && plan.members.some((set) => !set[0]?.nopreempt))
    d.approx(
      at("failback"),
      "the instances of this sync group disagree on nopreempt; failback is off when any of them had it",
    );
  const resources: Record<string, unknown>[] = [];
  const tracks: Record<string, unknown>[] = [];
  const trackKeys = new Set<string>();
  const nodeScripts = scripts.get(top.node) ?? new Map<string, ScriptDef>();
  const addTrack = (ref: TrackRef, set: InstanceView[]) => {
    const priorities = set.map((v) => v.priority);
    const next = set[1];
    // On its own draft: a check listed twice (two instances of a sync group) is kept, and commented, once.
    const local = new Draft();
    const out = mapTrack(
      local,
      ref,
      nodeScripts,
      (w) => weightEffect(w, priorities, next?.nopreempt ?? false),
      at("track", tracks.length),
    );
    const key = out && JSON.stringify(out.type === "exec" ? [out.path, out.args] : [out.type, out.name]);
    if (!out || !key || trackKeys.has(key)) {
      if (!out) d.notes.push(...local.notes);
      return;
    }
    trackKeys.add(key);
    tracks.push(out);
    d.comments.push(...local.comments);
    d.notes.push(...local.notes);
  };
  for (const set of plan.members) {
    const lead = set[0] as InstanceView;
    compareAcrossNodes(d, set);
    for (const vip of lead.vips) {
      const path = at("resources", resources.length);
      const r: Record<string, unknown> = {
        type: "vip",
        address: vip.address,
        interface: vip.iface ?? lead.iface ?? "eth0",
      };
      if (!vip.iface && !lead.iface) d.approx(path, "no interface was given; eth0 assumed", vip.at);
      if (vip.dropped.length > 0) d.approx(path, `dropped: ${vip.dropped.join(", ")}`, vip.at);
      if (lead.garpRefresh) {
        const ms = Math.round(Number(lead.garpRefresh.seconds) * 1000);
        if (ms > 0) r.garp_refresh = formatDuration(ms);
      }
      resources.push(r);
    }
    for (const t of lead.tracks) addTrack(t, set);
  }
  for (const t of plan.sync?.tracks ?? []) addTrack(t, views);
  if (tracks.length > 0) g.track = tracks;
  g.resources = resources;
  const notify = plan.sync ? plan.sync.notify : plan.members.flatMap((set) => (set[0] as InstanceView).notify);
  mapNotify(
    d,
    notify,
    plan.sync ? { type: "GROUP", name: plan.sync.name } : { type: "INSTANCE", name: top.name },
    g,
    at("notify"),
  );
  if (plan.sync)
    for (const set of plan.members)
      for (const n of (set[0] as InstanceView).notify)
        d.note(
          n.at,
          "unmapped",
          `${n.keyword} of vrrp_instance ${set[0]?.name}: the sync group ${plan.sync.name} is one vigil group, notified once`,
        );
  return g;
}

/** keepalived `notify SCRIPT` becomes a notify script with keepalived's calling convention; the
 * per-state scripts (notify_master, ...) have no counterpart and are listed. */
function mapNotify(
  d: Draft,
  specs: readonly NotifySpec[],
  who: { type: "INSTANCE" | "GROUP"; name: string },
  g: Record<string, unknown>,
  path: KeyPath,
): void {
  for (const n of specs) {
    const words = splitCommand(n.words.join(" "));
    if (n.keyword === "notify" && words[0]?.startsWith("/") && g.notify === undefined) {
      const notify: Record<string, unknown> = { path: words[0], convention: "keepalived", name: who.name };
      if (words.length > 1) notify.args = words.slice(1);
      if (who.type === "GROUP") notify.type = "GROUP";
      g.notify = notify;
      d.hint(path, `called as keepalived did: SCRIPT ${who.type} ${who.name} STATE PRIORITY`);
    } else if (n.keyword === "notify")
      d.note(
        n.at,
        "unmapped",
        `notify ${words[0] ?? ""}: vigil needs an absolute script path (and one notify per group)`,
      );
    else
      d.note(
        n.at,
        "unmapped",
        `${n.keyword} ${words[0] ?? ""}: vigil has one notify script per group, called on every change with the state as an argument; ` +
          `call this script from a notify script when the state is ${n.keyword.replace("notify_", "").replace("stop", "stopped").toUpperCase()}`,
      );
  }
}

/** Notes where nodes disagree about addresses or tracks of one instance (the preferred node's are used). */
function compareAcrossNodes(d: Draft, set: readonly InstanceView[]): void {
  const lead = set[0] as InstanceView;
  const vips = (v: InstanceView) =>
    v.vips
      .map((a) => a.address)
      .sort()
      .join(" ");
  const tracks = (v: InstanceView) =>
    v.tracks
      .map((t) => `${t.kind}:${t.name}`)
      .sort()
      .join(" ");
  for (const v of set.slice(1)) {
    if (vips(v) !== vips(lead))
      d.note(
        v.at,
        "unmapped",
        `vrrp_instance ${v.name} on ${v.node} has other addresses than on ${lead.node}; ${lead.node}'s are used`,
      );
    if (tracks(v) !== tracks(lead))
      d.note(
        v.at,
        "unmapped",
        `vrrp_instance ${v.name} on ${v.node} tracks other checks than on ${lead.node}; ${lead.node}'s are used`,
      );
    if ((v.iface ?? "") !== (lead.iface ?? ""))
      d.note(
        v.at,
        "unmapped",
        `vrrp_instance ${v.name} uses interface ${v.iface ?? "(none)"} on ${v.node} but ${lead.iface ?? "(none)"} on ${lead.node}; a vip has one interface name on every node`,
      );
  }
}

/** advert_int to heartbeat timers: keepalived's backup took over after 3 × advert_int + skew. */
function timers(d: Draft, sets: readonly InstanceView[][]): VrrpOutcome["heartbeat"] {
  const views = sets.flat();
  if (views.length === 0) return undefined;
  const adverts = views.map((v) => v.advertMs ?? 1000);
  const advert = Math.min(...adverts);
  const lowest = Math.min(...views.map((v) => v.priority));
  const skew = Math.round(((256 - Math.min(255, Math.max(1, lowest))) * advert) / 256);
  const lease = 3 * advert + skew;
  if (new Set(adverts).size > 1)
    d.note(
      views[0]?.at as SourcePos,
      "unmapped",
      `instances differ in advert_int (${[...new Set(adverts)].map(formatDuration).join(", ")}); vigil has one heartbeat, set from the smallest`,
    );
  return {
    interval: formatDuration(advert),
    lease: formatDuration(lease),
    why:
      `advert_int ${formatDuration(advert)}: a keepalived backup took over after 3 × advert_int + skew = ${formatDuration(lease)}, and so does vigil here. ` +
      "vigil's defaults (interval 25ms, lease 150ms) fail over much faster on a quiet LAN; remove these two lines to use them",
  };
}
